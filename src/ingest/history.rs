//! Reading an archive of runs (a nightly job's output directory: one set of Locust CSVs per run, in
//! subdirectories or side by side) for `loadgate history`. Each run is read only as far as a trend
//! over runs needs: its whole-run stats row, when it started and its peak user count. Hundreds of
//! runs are read on every core.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::discover;
use super::locust;
use super::started::{started_at, time_in_path};
use crate::model::EndpointStats;

/// The archive's runs: Locust's by the leaf `find`, which `discover` shares, and other tools'.
pub use super::discover::archive_runs;
pub use super::find::find_runs_noted;

/// History files larger than this are not read in full just to find the peak user count (only
/// their first row, for the start).
pub const PEAK_USERS_READ_LIMIT: u64 = 8 << 20;

/// What the archive knows of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The run's `--csv` prefix.
    pub prefix: PathBuf,
    /// The stats file's `Aggregated` row.
    pub aggregated: EndpointStats,
    /// Unix time the run started: see [`crate::ingest::started::started_at`] (the history's first
    /// row, else the failures' earliest `First Seen`), else a time its path names.
    pub started_at: Option<i64>,
    /// The files carry no time: `started_at` is one the path names, if any.
    pub dated_by_path: bool,
    /// The highest `User Count` of the aggregate history, for histories up to
    /// [`PEAK_USERS_READ_LIMIT`].
    pub peak_users: Option<u64>,
}

/// The newest of the runs whose stats files are `stats_paths` (`check --latest`), by the time each
/// started as its own files say (the history's first row, else the failures' first `First Seen`),
/// else by a time its path names; with no time at all, the last in path order. Also the note
/// saying which rule chose it. An unreadable run is an error.
pub fn newest(stats_paths: &[PathBuf]) -> Result<(PathBuf, String)> {
    let mut runs = Vec::with_capacity(stats_paths.len());
    let mut total = 0;
    for (path, entries) in stats_paths.iter().zip(read_history(stats_paths)) {
        let entries = entries?;
        total += entries.len();
        // A file of several runs (a log, an appended JTL) is as new as its newest.
        let newest = entries
            .into_iter()
            .max_by_key(|e| e.started_at)
            .ok_or_else(|| anyhow::anyhow!("{}: no run in it", path.display()))?;
        runs.push((path, newest));
    }
    let by_path = runs.iter().filter(|(_, r)| r.dated_by_path).count();
    let newest = runs
        .iter()
        .filter(|(_, r)| r.started_at.is_some())
        .max_by_key(|(path, r)| (r.started_at, *path));
    Ok(match newest {
        Some((path, run)) => {
            let how = if run.dated_by_path {
                "by the time its path names (its files carry none)"
            } else {
                "by the start time in its files"
            };
            let mut note = format!(
                "--latest: {} is the newest of {total} runs, {how}",
                run.prefix.display()
            );
            if by_path > 0 && !run.dated_by_path {
                note.push_str(&format!("; {by_path} run(s) were dated by their path"));
            }
            let undated = runs.iter().filter(|(_, r)| r.started_at.is_none()).count();
            if undated > 0 {
                note.push_str(&format!(
                    "; {undated} run(s) carry no time and were passed over"
                ));
            }
            // One run of a file of several is named as its source (`PATH#2`): `source_run` reads it.
            let chosen = match source_run(&run.prefix.display().to_string()) {
                (_, Some(_)) => run.prefix.clone(),
                (_, None) => (*path).clone(),
            };
            (chosen, note)
        }
        None => {
            let (path, run) = runs
                .iter()
                .max_by_key(|(path, _)| *path)
                .ok_or_else(|| anyhow::anyhow!("--latest: no run to choose from"))?;
            let note = format!(
                "--latest: none of the {total} runs carries a time (in its files or its path): {} is the last in path order",
                run.prefix.display()
            );
            ((*path).clone(), note)
        }
    })
}

/// Reads every run on every core, in the order given; each result is the runs in that path (one,
/// but a console log or a JTL may hold several) or why they could not be read.
pub fn read_history(paths: &[PathBuf]) -> Vec<Result<Vec<HistoryEntry>>> {
    crate::par::map(paths, |p| read_entries(p))
}

/// The run a history source names: a path, and which of the file's runs when it holds several
/// (`PATH#2`, as a console log's runs and [`read_entries`] name them), 0-based.
pub fn source_run(source: &str) -> (PathBuf, Option<usize>) {
    if !Path::new(source).exists() {
        if let Some((path, n)) = source.rsplit_once('#') {
            if let Some(i) = n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)) {
                return (PathBuf::from(path), Some(i));
            }
        }
    }
    (PathBuf::from(source), None)
}

/// The runs of one path of an archive: another tool's results file read whole (its runs'
/// aggregate, start and peak users), else a Locust run from its stats file
/// ([`read_history_entry`]).
pub fn read_entries(path: &Path) -> Result<Vec<HistoryEntry>> {
    let Some(runs) = super::formats::load(path)? else {
        return Ok(vec![read_history_entry(path)?]);
    };
    let count = runs.len();
    Ok(runs
        .into_iter()
        .enumerate()
        .map(|(i, run)| {
            let from_files = run.started_at();
            let mut prefix = run.files.prefix.clone();
            if count > 1 && prefix == path {
                // The source names which of the file's runs it is, as a log's runs are named.
                prefix.as_mut_os_string().push(format!("#{}", i + 1));
            }
            HistoryEntry {
                dated_by_path: from_files.is_none(),
                started_at: from_files.or_else(|| time_in_path(path)),
                prefix,
                peak_users: run.peak_users(),
                aggregated: run.aggregated,
            }
        })
        .collect())
}

/// Reads one run of an archive from the path of its stats file: the stats, then a small history
/// whole (start and peak users) or a large one to its first row (start), then, only when that gives
/// no start, the failures (their earliest `First Seen`). Any of these files that is read and
/// unreadable makes the run unreadable.
pub fn read_history_entry(stats_path: &Path) -> Result<HistoryEntry> {
    let files = discover(stats_path)?;
    let stats = locust::read_stats(&files.stats)?;
    let mut history_start = None;
    let mut peak_users = None;
    if let Some(history) = &files.history {
        let small = std::fs::metadata(history).is_ok_and(|m| m.len() <= PEAK_USERS_READ_LIMIT);
        if small {
            let full = locust::read_history(history)?;
            let aggregate = full.aggregated();
            peak_users = aggregate.and_then(|s| s.points.iter().map(|p| p.users()).max());
            history_start = aggregate
                .and_then(|s| s.points.first())
                .map(|p| p.timestamp);
        } else {
            history_start = locust::first_timestamp(history)?;
        }
    }
    let failures = match (&history_start, &files.failures) {
        (None, Some(path)) => locust::read_failures(path)?,
        _ => Vec::new(),
    };
    let from_files = started_at(history_start, &failures);
    Ok(HistoryEntry {
        dated_by_path: from_files.is_none(),
        started_at: from_files.or_else(|| time_in_path(&files.prefix)),
        prefix: files.prefix,
        aggregated: stats.aggregated,
        peak_users,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locust_format::{
        with_suffix, FAILURES_HEADER, FAILURES_SUFFIX, HISTORY_HEADER, HISTORY_SUFFIX,
        STATS_HEADER, STATS_SUFFIX,
    };

    fn stats(prefix: &Path, requests: u64) {
        let row =
            format!(",Aggregated,{requests},0,5,5.0,1,9,10,1.0,0.0,5,6,7,8,9,10,11,12,13,14,15");
        std::fs::create_dir_all(prefix.parent().unwrap()).unwrap();
        std::fs::write(
            with_suffix(prefix, STATS_SUFFIX),
            format!("{STATS_HEADER}\r\n{row}\r\n"),
        )
        .unwrap();
    }

    fn history_row(ts: i64, users: u64, name: &str) -> String {
        let method = if name == "Aggregated" { "" } else { "GET" };
        format!("{ts},{users},{method},{name},1.0,0.0,5,6,7,8,9,10,11,12,13,14,15,3,0,5,5.5,1,20,100\r\n")
    }

    fn history(prefix: &Path, rows: &str) {
        std::fs::write(
            with_suffix(prefix, HISTORY_SUFFIX),
            format!("{HISTORY_HEADER}\r\n{rows}"),
        )
        .unwrap();
    }

    fn failures(prefix: &Path, first_seen: &[&str]) {
        let rows: String = first_seen
            .iter()
            .map(|t| format!("GET,/a,boom,1,{t},{t}\r\n"))
            .collect();
        std::fs::write(
            with_suffix(prefix, FAILURES_SUFFIX),
            format!("{FAILURES_HEADER}\r\n{rows}"),
        )
        .unwrap();
    }

    #[test]
    fn a_small_history_gives_start_and_peak_users() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("night");
        stats(&prefix, 42);
        history(
            &prefix,
            &[
                history_row(1_795_405_300, 10, "/a"),
                history_row(1_795_405_300, 10, "Aggregated"),
                history_row(1_795_405_301, 25, "Aggregated"),
                history_row(1_795_405_299, 5, "Aggregated"),
            ]
            .concat(),
        );
        // Not read: the history gives the start.
        failures(&prefix, &["2020-01-01T00:00:00Z"]);
        let run = read_history_entry(&with_suffix(&prefix, STATS_SUFFIX)).unwrap();
        assert_eq!(run.prefix, prefix);
        assert_eq!(run.aggregated.requests, 42);
        // The aggregate's earliest point (the series is in timestamp order).
        assert_eq!(run.started_at, Some(1_795_405_299));
        assert_eq!(run.peak_users, Some(25));
    }

    #[test]
    fn a_large_history_is_read_to_its_first_row_only() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("day");
        stats(&prefix, 1);
        let mut rows = String::new();
        let mut ts = 1_795_405_300;
        while rows.len() as u64 <= PEAK_USERS_READ_LIMIT {
            rows.push_str(&history_row(ts, 10, "/a"));
            rows.push_str(&history_row(ts, 10, "Aggregated"));
            ts += 1;
        }
        // A bad row far down: never read.
        rows.push_str("oops\r\n");
        history(&prefix, &rows);
        let run = read_history_entry(&with_suffix(&prefix, STATS_SUFFIX)).unwrap();
        assert_eq!(
            (run.started_at, run.peak_users),
            (Some(1_795_405_300), None)
        );
    }

    #[test]
    fn without_a_history_start_the_failures_date_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("r");
        stats(&prefix, 1);
        failures(&prefix, &["2026-11-23T03:00:05Z", "2026-11-23T03:00:01Z"]);
        let path = with_suffix(&prefix, STATS_SUFFIX);
        assert_eq!(
            read_history_entry(&path).unwrap().started_at,
            Some(1_795_402_801)
        );
        // An empty history gives no start either.
        history(&prefix, "");
        let run = read_history_entry(&path).unwrap();
        assert_eq!(
            (run.started_at, run.peak_users),
            (Some(1_795_402_801), None)
        );
        // No failures file: unknown.
        std::fs::remove_file(with_suffix(&prefix, FAILURES_SUFFIX)).unwrap();
        assert_eq!(read_history_entry(&path).unwrap().started_at, None);
    }

    #[test]
    fn an_unreadable_file_that_is_needed_makes_the_run_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("r");
        stats(&prefix, 1);
        history(&prefix, "not,a,row\r\n");
        let path = with_suffix(&prefix, STATS_SUFFIX);
        let err = format!("{:#}", read_history_entry(&path).unwrap_err());
        assert!(err.contains("r_stats_history.csv:2"), "{err}");
        let results = read_history(&[path.clone(), path]);
        assert!(results.iter().all(Result::is_err));
    }
}
