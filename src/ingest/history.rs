//! Reading an archive of runs (a nightly job's output directory: one set of Locust CSVs per run, in
//! subdirectories or side by side) for `loadgate history`. Each run is read only as far as a trend
//! over runs needs: its whole-run stats row, when it started and its peak user count. Hundreds of
//! runs are read on every core.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::discover;
use super::locust;
use super::started::{started_at, time_in_path};
use crate::locust_format::{
    DISTRIBUTION_SUFFIX, EXCEPTIONS_SUFFIX, FAILURES_SUFFIX, HISTORY_SUFFIX, STATS_SUFFIXES,
};
use crate::model::EndpointStats;

/// How deep under the directory runs are looked for.
pub const MAX_DEPTH: usize = 4;

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

/// The stats file of every run under `dir` (`*_stats.csv`, locustio 0.8–0.12's `*_requests.csv`),
/// searched up to [`MAX_DEPTH`] directories deep, skipping directories whose name starts with `.`;
/// in path order. A directory that cannot be listed is an error.
pub fn find_runs(dir: &Path) -> Result<Vec<PathBuf>> {
    find_runs_noted(dir).map(|(runs, _)| runs)
}

/// Like [`find_runs`], and also every other CSV whose header is a Locust stats file's (a renamed
/// download such as `baseline.csv`), with notes naming those and the CSVs left out, so that no run
/// is dropped without a word.
pub fn find_runs_noted(dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let mut found = Vec::new();
    let mut others = Vec::new();
    find(dir, 0, &mut found, &mut others)?;
    let (renamed, left_out): (Vec<PathBuf>, Vec<PathBuf>) = others
        .into_iter()
        .partition(|p| super::header::kind_of_file(p) == Some("stats"));
    let mut notes = Vec::new();
    if !renamed.is_empty() {
        notes.push(format!(
            "{} run(s) have a stats file of another name, read as one by its header: {}",
            renamed.len(),
            listed(&renamed)
        ));
    }
    if !left_out.is_empty() {
        notes.push(format!(
            "{} CSV file(s) are no run's stats file and were left out: {}",
            left_out.len(),
            listed(&left_out)
        ));
    }
    found.extend(renamed);
    found.sort();
    Ok((found, notes))
}

/// Up to five paths, and how many more.
fn listed(paths: &[PathBuf]) -> String {
    let mut names: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 5 {
        names.push(format!("and {} more", paths.len() - 5));
    }
    names.join(", ")
}

/// Whether `name` is one of the files of a run that Locust names (`PREFIX_stats_history.csv`, …).
fn is_run_file(name: &str) -> bool {
    STATS_SUFFIXES
        .iter()
        .chain(&[
            HISTORY_SUFFIX,
            FAILURES_SUFFIX,
            EXCEPTIONS_SUFFIX,
            DISTRIBUTION_SUFFIX,
        ])
        .any(|s| name.ends_with(s))
}

fn find(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, others: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot list: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && depth < MAX_DEPTH && !name.starts_with('.') {
            find(&path, depth + 1, out, others)?;
        } else if STATS_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            out.push(path);
        } else if name.to_ascii_lowercase().ends_with(".csv") && !is_run_file(&name) {
            others.push(path);
        }
    }
    Ok(())
}

/// The newest of the runs whose stats files are `stats_paths` (`check --latest`), by the time each
/// started as its own files say (the history's first row, else the failures' first `First Seen`),
/// else by a time its path names; with no time at all, the last in path order. Also the note
/// saying which rule chose it. An unreadable run is an error.
pub fn newest(stats_paths: &[PathBuf]) -> Result<(PathBuf, String)> {
    let mut runs = Vec::with_capacity(stats_paths.len());
    for (path, entry) in stats_paths.iter().zip(read_history(stats_paths)) {
        runs.push((path, entry?));
    }
    let by_path = runs.iter().filter(|(_, r)| r.dated_by_path).count();
    let newest = runs
        .iter()
        .filter(|(_, r)| r.started_at.is_some())
        .max_by_key(|(path, r)| (r.started_at, *path));
    let total = runs.len();
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
            ((*path).clone(), note)
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

/// Reads every run on every core, in the order given; each result is the run or why it could not
/// be read.
pub fn read_history(stats_paths: &[PathBuf]) -> Vec<Result<HistoryEntry>> {
    crate::par::map(stats_paths, |p| read_history_entry(p))
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
    fn runs_are_found_four_levels_deep_outside_hidden_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        stats(&d.join("top"), 1);
        stats(&d.join("a/b/c/d/deep"), 1);
        stats(&d.join("a/b/c/d/e/too_deep"), 1);
        stats(&d.join(".git/hidden"), 1);
        std::fs::write(d.join("old_requests.csv"), "x").unwrap();
        history(&d.join("top"), "");
        let found = find_runs(d).unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "a/b/c/d/deep_stats.csv",
                "old_requests.csv",
                "top_stats.csv"
            ]
        );
        assert!(find_runs(&d.join("missing")).is_err());
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
