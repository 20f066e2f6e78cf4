//! loadgate: turns load-test results into a verdict a pipeline can trust.
//!
//! Data flows one way: [`ingest`] reads files into the [`model`], [`analysis`] judges it against a
//! [`profile`] (and a [`baseline`]), [`report`] renders the judgement. [`generator`] makes load and
//! writes Locust-format CSVs; [`commands`] wires each subcommand together; `main` maps errors to
//! exit codes. The library exists for the binary, the fuzz targets and the tests.

pub mod analysis;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod fsutil;
pub mod generator;
pub mod glob;
pub mod ingest;
pub mod locust_format;
pub mod model;
pub mod par;
pub mod profile;
pub mod report;
