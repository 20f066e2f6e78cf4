//! An archive of runs: every run's files under a directory, and the little of each run that an
//! archive's table needs (the aggregate, when it started, its peak users).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::{discover, locust};
use crate::model::EndpointStats;

/// History files larger than this are not read in full just to find the peak user count.
const PEAK_USERS_READ_LIMIT: u64 = 8 << 20;
/// How deep under the directory runs are looked for.
const MAX_DEPTH: usize = 4;

/// One run of an archive.
pub struct ArchiveEntry {
    /// The run's `--csv` prefix.
    pub source: String,
    pub aggregated: EndpointStats,
    pub started_at: Option<i64>,
    pub peak_users: Option<u64>,
}

/// The stats file of every run under `dir`, in path order.
pub fn find_runs(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let mut found = Vec::new();
    find_stats_files(dir, 0, &mut found)?;
    if found.is_empty() {
        bail!("{}: no *_stats.csv under this directory", dir.display());
    }
    found.sort();
    Ok(found)
}

fn find_stats_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot list: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && depth < MAX_DEPTH && !name.starts_with('.') {
            find_stats_files(&path, depth + 1, out)?;
        } else if name.ends_with("_stats.csv") || name.ends_with("_requests.csv") {
            // `_requests.csv`: locustio 0.8–0.12's name for the stats.
            out.push(path);
        }
    }
    Ok(())
}

/// Reads what the archive needs of the run whose stats file is `stats_path`.
pub fn read_entry(stats_path: &Path) -> Result<ArchiveEntry> {
    let files = discover(stats_path)?;
    let stats = locust::read_stats(&files.stats)?;
    let mut started_at = None;
    let mut peak_users = None;
    if let Some(history) = &files.history {
        // A small history is read whole (for the peak user count); a large one only to its first row.
        let small = std::fs::metadata(history).is_ok_and(|m| m.len() <= PEAK_USERS_READ_LIMIT);
        if small {
            let full = locust::read_history(history)?;
            let aggregate = full.aggregated();
            peak_users = aggregate.and_then(|s| s.points.iter().map(|p| p.users()).max());
            started_at = aggregate
                .and_then(|s| s.points.first())
                .map(|p| p.timestamp);
        } else {
            started_at = locust::first_timestamp(history)?;
        }
    }
    if started_at.is_none() {
        if let Some(failures) = &files.failures {
            started_at = locust::read_failures(failures)?
                .iter()
                .filter_map(|f| f.first_seen.as_deref())
                .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp())
                .min();
        }
    }
    Ok(ArchiveEntry {
        source: files.prefix.display().to_string(),
        aggregated: stats.aggregated,
        started_at,
        peak_users,
    })
}
