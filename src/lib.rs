//! loadgate: turns load-test results into a verdict a pipeline can trust.
//!
//! Data flows one way, read → judge → format → exit: [`cli`] turns the arguments into a plan;
//! [`ingest`] reads files into the [`model`]; [`analysis::judge`] judges a run against a
//! [`profile`] (and a [`baseline`]) into a judgement whose verdict decides the exit code; [`report`]
//! holds every output: it formats the judgement (or an archive's history) and writes each format
//! asked for, from one table of formats that [`cli`] and [`config`] read too. [`commands`] runs each
//! plan through those steps; `main` maps the verdict and errors to exit codes. [`generator`] makes
//! load and writes Locust-format CSVs. The library exists for the binary, the fuzz targets and the
//! tests.

pub mod analysis;
pub mod base64;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod duration;
pub mod fsutil;
pub mod generator;
pub mod glob;
pub mod ingest;
pub mod locust_format;
pub mod machine;
pub mod model;
pub mod par;
pub mod profile;
pub mod report;
pub mod runner;
pub mod server;
pub mod tls;
pub mod toml_error;
