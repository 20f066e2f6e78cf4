//! Reading runs from disk. Knows files and formats; knows nothing of grading or output.
//!
//! `discover` turns what the user typed into a run's files (names from `crate::locust_format`);
//! `locust` reads each file (`table` for the small ones, `history` for the history, `header` and
//! `scope` shared by both); `archive` reads a directory of runs; `status` and `started` are rules
//! applied at read time. Imports point one way: `locust` -> `history` -> the leaves (`table`,
//! `error`, `scope`, `header`), and nothing in `history` imports `locust`.

pub mod archive;
mod discover;
mod encoding;
pub mod error;
mod header;
mod history;
pub mod locust;
#[cfg(test)]
mod properties;
mod report;
mod scope;
pub mod started;
pub mod status;
mod table;

use std::path::Path;

use anyhow::Result;

pub use discover::{discover, runs_in};

use crate::locust_format::{with_suffix, DISTRIBUTION_SUFFIX};
use crate::model::{Dialect, EndpointStats, Run, RunInfo};

/// locustio 0.8–0.13.0 wrote percentiles to `PREFIX_distribution.csv` only: lay them onto the
/// stats rows they belong to (a stats row without them would be graded on no percentile at all).
fn add_distribution(
    prefix: &Path,
    endpoints: &mut [EndpointStats],
    aggregated: &mut EndpointStats,
) -> Result<()> {
    let path = with_suffix(prefix, DISTRIBUTION_SUFFIX);
    if !path.is_file() {
        return Ok(());
    }
    for (name, percentiles) in locust::read_distribution(&path)? {
        let target = if name == "Total" || name == "None Total" {
            Some(&mut *aggregated)
        } else {
            endpoints.iter_mut().find(|e| e.key.to_string() == name)
        };
        if let Some(stats) = target.filter(|s| s.percentiles.0.iter().all(Option::is_none)) {
            stats.percentiles = percentiles;
        }
    }
    Ok(())
}

/// Finds and reads every file of the run that `input` names.
pub fn load_run(input: &Path) -> Result<Run> {
    if let Some(run) = report::load(input)? {
        return Ok(run);
    }
    let files = discover(input)?;
    let stats = locust::read_stats(&files.stats)?;
    let mut notes = stats.notes;
    let failures = match &files.failures {
        Some(path) => noted(locust::read_failures_noted(path)?, &mut notes),
        None => Vec::new(),
    };
    let exceptions = match &files.exceptions {
        Some(path) => noted(locust::read_exceptions_noted(path)?, &mut notes),
        None => Vec::new(),
    };
    let history = match &files.history {
        Some(path) => Some(noted(locust::read_history_noted(path)?, &mut notes)),
        None => None,
    };
    let (mut endpoints, mut aggregated) = (stats.endpoints, stats.aggregated);
    if stats.dialect == Dialect::Legacy {
        add_distribution(&files.prefix, &mut endpoints, &mut aggregated)?;
    }
    Ok(Run {
        files,
        dialect: stats.dialect,
        endpoints,
        aggregated,
        failures,
        exceptions,
        history,
        notes,
        info: RunInfo::default(),
    })
}

/// A file's content, its note (if any) added to `notes`.
fn noted<T>((content, note): (T, Option<String>), notes: &mut Vec<String>) -> T {
    notes.extend(note);
    content
}
