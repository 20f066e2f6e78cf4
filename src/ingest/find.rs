//! Finding the runs under a directory: every stats file (by Locust's names, or a renamed one by its
//! header) up to a few levels deep. A leaf shared by `discover::runs_in` (a directory of runs given
//! to `check`) and the archive reader (`history`); it imports neither.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::locust_format::{
    DISTRIBUTION_SUFFIX, EXCEPTIONS_SUFFIX, FAILURES_SUFFIX, HISTORY_SUFFIX, STATS_SUFFIXES,
};

/// How deep under the directory runs are looked for.
pub const MAX_DEPTH: usize = 4;

/// The stats file of every run under `dir` (`*_stats.csv`, locustio 0.8–0.12's `*_requests.csv`),
/// searched up to [`MAX_DEPTH`] directories deep, skipping directories whose name starts with `.`;
/// in path order. A directory that cannot be listed is an error.
#[cfg(test)]
pub fn find_runs(dir: &Path) -> Result<Vec<PathBuf>> {
    find_runs_noted(dir).map(|(runs, _)| runs)
}

/// Like [`find_runs`], and also every other CSV whose header is a Locust stats file's (a renamed
/// download such as `baseline.csv`), with notes naming those and the CSVs left out, so that no run
/// is dropped without a word.
pub fn find_runs_noted(dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>)> {
    find_all(dir, &|_| false).map(|(runs, _, notes)| (runs, notes))
}

/// Like [`find_runs_noted`], and also every other file that `is_result` takes for another tool's
/// results (a k6 output, a JTL, a console log): those come apart, in path order, and a CSV among
/// them is not noted as left out. `is_result` sees only files that are not Locust's by name.
pub fn find_all(
    dir: &Path,
    is_result: &(dyn Fn(&Path) -> bool + Sync),
) -> Result<(Vec<PathBuf>, Vec<PathBuf>, Vec<String>)> {
    let mut found = Vec::new();
    let mut others = Vec::new();
    find(dir, 0, &mut found, &mut others)?;
    // Opening every candidate's first bytes: on every core, as the archive's runs are read.
    let results_of = crate::par::map(&others, |p| is_result(p));
    let mut results = Vec::new();
    let mut csvs = Vec::new();
    for (path, result) in others.into_iter().zip(results_of) {
        if result {
            results.push(path);
        } else if file_name_of(&path).to_ascii_lowercase().ends_with(".csv") {
            csvs.push(path);
        }
    }
    results.sort();
    let (renamed, left_out): (Vec<PathBuf>, Vec<PathBuf>) = csvs
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
    Ok((found, results, notes))
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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
        } else if path.is_file() && !is_run_file(&name) && !name.starts_with('.') {
            // Any other file: a renamed stats CSV, another tool's results, or nothing of a run.
            others.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs are found by their files' names: what the files hold is not read.
    fn file(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }

    #[test]
    fn runs_are_found_four_levels_deep_outside_hidden_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        file(&d.join("top_stats.csv"));
        file(&d.join("a/b/c/d/deep_stats.csv"));
        file(&d.join("a/b/c/d/e/too_deep_stats.csv"));
        file(&d.join(".git/hidden_stats.csv"));
        file(&d.join("old_requests.csv"));
        file(&d.join("top_stats_history.csv"));
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
}
