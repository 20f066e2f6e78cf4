//! Reading runs from disk. Knows files and formats; knows nothing of grading or output.

pub mod archive;
mod discover;
pub mod error;
mod fast_row;
mod history;
pub mod locust;
mod number;
#[cfg(test)]
mod parity_tests;
#[cfg(test)]
mod properties;
mod report;
mod scan;
mod table;

use std::path::Path;

use anyhow::Result;

pub use discover::discover;

use crate::model::Run;

/// Finds and reads every file of the run that `input` names.
pub fn load_run(input: &Path) -> Result<Run> {
    if let Some(run) = report::load(input)? {
        return Ok(run);
    }
    let files = discover(input)?;
    let stats = locust::read_stats(&files.stats)?;
    let failures = match &files.failures {
        Some(path) => locust::read_failures(path)?,
        None => Vec::new(),
    };
    let exceptions = match &files.exceptions {
        Some(path) => locust::read_exceptions(path)?,
        None => Vec::new(),
    };
    let history = match &files.history {
        Some(path) => Some(locust::read_history(path)?),
        None => None,
    };
    Ok(Run {
        files,
        dialect: stats.dialect,
        endpoints: stats.endpoints,
        aggregated: stats.aggregated,
        failures,
        exceptions,
        history,
    })
}
