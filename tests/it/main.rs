//! loadgate's integration tests, built as one binary: each module below was a test target of its
//! own, and each of those linked the whole crate again. They run the real binary
//! (`CARGO_BIN_EXE_loadgate`) on real fixtures; `common` holds what they share: paths and
//! arguments, `require_tool` for external tools, `shared` for other projects' files read in place.
//!
//! The Python wheel and the GitHub Action that installs it are tests/wheel/, a binary of its own:
//! maturin rebuilds `target/debug/loadgate` for the wheel, and any test here that started the
//! binary meanwhile would find it missing.
//!
//! `cargo test --test it MODULE::` runs one module, `cargo test --test it NAME` one test.

#[macro_use]
mod common;
mod text_format;

// The commands, one module each; faults: the generator against failing targets; hardening:
// interrupted saves and runs.
mod ab;
mod baseline;
mod check;
mod compare;
mod config;
mod docs;
mod faults;
mod generator;
mod hardening;
mod history;
mod merge;
mod ratchet;
mod record;
mod server;

// What the reports hold and how they are written.
mod advice;
mod charts;
mod hostile;
mod html;
mod insights;
mod json_contract;
mod metrics;
mod metrics_contract;
mod new_errors;
mod noise;
mod noise_json;
mod outputs;
mod scaling;
mod sustained;
mod trend;

// Inputs: the readers on good, bad and strange files (other projects' files in wild_inputs).
mod bad_input;
mod bad_reports;
mod console_log;
mod formats_archive;
mod formats_jmeter;
mod formats_k6;
mod report_inputs;
mod wild_inputs;

// The HTML report in a real browser.
mod browser;
