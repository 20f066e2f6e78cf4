//! Turns what a user typed (a `--csv` prefix, a file, a directory) into the set of files of one run.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::locust_format::{
    with_suffix, EXCEPTIONS_SUFFIX as EXCEPTIONS, FAILURES_SUFFIX as FAILURES,
    HISTORY_SUFFIX as HISTORY, LEGACY_STATS_SUFFIX as LEGACY_STATS, STATS_SUFFIX as STATS,
};
use crate::model::RunFiles;

/// Resolves `input` to a run's files. Only the stats file must exist; the others are used when present.
pub fn discover(input: &Path) -> Result<RunFiles> {
    if input.is_dir() {
        return from_directory(input);
    }
    if input.is_file() {
        let name = file_name(input);
        for suffix in [HISTORY, STATS, LEGACY_STATS, FAILURES, EXCEPTIONS] {
            if let Some(stem) = name.strip_suffix(suffix) {
                return from_prefix(&input.with_file_name(stem), input);
            }
        }
        // Any other CSV is taken as a stats file standing alone (e.g. a renamed download).
        return Ok(RunFiles {
            prefix: input.with_extension(""),
            stats: input.to_path_buf(),
            history: None,
            failures: None,
            exceptions: None,
        });
    }
    from_prefix(input, input)
}

/// What `input` names, one run or several: a directory that holds several sets of files is each
/// of them (by prefix, in name order); one with none of its own but runs in its subdirectories (a
/// nightly job's folder per run) is each of those, else each other tool's result file in it;
/// anything else is itself.
pub fn runs_in(input: &Path) -> Result<Vec<PathBuf>> {
    if !input.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let prefixes = prefixes_in(input)?;
    if prefixes.is_empty() {
        // Runs in its subdirectories (a nightly job's folder per run), or other tools' results
        // (JTLs, k6 outputs, console logs) in it or under it.
        let (nested, _) = archive_runs(input)?;
        if !nested.is_empty() {
            return Ok(nested);
        }
    }
    Ok(if prefixes.len() > 1 {
        prefixes
    } else {
        vec![input.to_path_buf()]
    })
}

/// Every run under `dir` (an archive: `history`, `check DIR`), up to `find::MAX_DEPTH` deep, in
/// path order: each Locust run's stats file and each other tool's results file (k6's outputs and
/// summaries, JTLs, console logs), with notes saying what was left out. A console log in a
/// folder that holds a Locust stats file is that run's log, already read from its CSVs: left out,
/// and said.
pub fn archive_runs(dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>)> {
    use super::detect::Format;
    let is_result = |p: &Path| super::formats::result_format(p).is_some();
    let (mut runs, results, mut notes) = super::find::find_all(dir, &is_result)?;
    let beside_stats = |p: &Path| runs.iter().any(|s| s.parent() == p.parent());
    let (logs_of_csvs, results): (Vec<PathBuf>, Vec<PathBuf>) =
        results.into_iter().partition(|p| {
            beside_stats(p) && super::formats::result_format(p) == Some(Format::LocustLog)
        });
    if !logs_of_csvs.is_empty() {
        notes.push(format!(
            "{} console log(s) lie beside a run's Locust CSVs and were read as that run (from its CSVs), not as runs of their own: {}",
            logs_of_csvs.len(),
            logs_of_csvs
                .iter()
                .take(5)
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    runs.extend(results);
    runs.sort();
    Ok((runs, notes))
}

/// The `--csv` prefixes of the stats files directly in `dir`, sorted.
fn prefixes_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut prefixes: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the directory", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let name = file_name(&p);
            let stem = name
                .strip_suffix(STATS)
                .or_else(|| name.strip_suffix(LEGACY_STATS))?;
            Some(p.with_file_name(stem))
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    Ok(prefixes)
}

fn from_directory(dir: &Path) -> Result<RunFiles> {
    let prefixes = prefixes_in(dir)?;
    match prefixes.len() {
        0 => renamed_stats_file(dir),
        1 => from_prefix(&prefixes[0], dir),
        _ => {
            let names: Vec<String> = prefixes
                .iter()
                .map(|p| format!("  {}", p.display()))
                .collect();
            bail!(
                "{}: holds {} runs; name one of them:\n{}",
                dir.display(),
                prefixes.len(),
                names.join("\n")
            )
        }
    }
}

/// A directory without `*_stats.csv`: its one CSV whose header is a Locust stats file's (a renamed
/// download, `baseline.csv`) read on its own, or the error saying what is there.
fn renamed_stats_file(dir: &Path) -> Result<RunFiles> {
    let csvs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the directory", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && file_name(p).to_ascii_lowercase().ends_with(".csv"))
        .collect();
    let mut stats: Vec<&PathBuf> = csvs
        .iter()
        .filter(|p| super::header::kind_of_file(p) == Some("stats"))
        .collect();
    stats.sort();
    match stats.as_slice() {
        [one] => discover(one),
        [] if csvs.is_empty() => bail!(
            "{}: no run in this directory: no Locust *{STATS} (nor any CSV), HTML report, JSON output or other tool's results file",
            dir.display()
        ),
        [] => bail!(
            "{}: no *{STATS} file in this directory, and none of its {} CSV file(s) has a Locust stats header",
            dir.display(),
            csvs.len()
        ),
        several => {
            let names: Vec<String> = several.iter().map(|p| format!("  {}", p.display())).collect();
            bail!(
                "{}: no *{STATS} file, but {} CSV files with a Locust stats header; name one of them:\n{}",
                dir.display(),
                several.len(),
                names.join("\n")
            )
        }
    }
}

fn from_prefix(prefix: &Path, as_typed: &Path) -> Result<RunFiles> {
    let mut stats = with_suffix(prefix, STATS);
    if !stats.is_file() && with_suffix(prefix, LEGACY_STATS).is_file() {
        stats = with_suffix(prefix, LEGACY_STATS);
    }
    if !stats.is_file() {
        // A file's own name typed (`x_stats.csv`), not a prefix: it does not exist.
        if file_name(as_typed).ends_with(STATS) || file_name(as_typed).ends_with(".csv") {
            bail!("{}: no such file", as_typed.display());
        }
        bail!(
            "{}: no such run (looked for {})",
            as_typed.display(),
            stats.display()
        );
    }
    let existing = |suffix: &str| Some(with_suffix(prefix, suffix)).filter(|p| p.is_file());
    Ok(RunFiles {
        prefix: prefix.to_path_buf(),
        stats,
        history: existing(HISTORY),
        failures: existing(FAILURES),
        exceptions: existing(EXCEPTIONS),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(path: &Path) {
        fs::write(path, "x").unwrap();
    }

    #[test]
    fn a_prefix_finds_its_siblings() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("night_stats.csv"));
        touch(&dir.path().join("night_failures.csv"));
        let files = discover(&dir.path().join("night")).unwrap();
        assert_eq!(files.stats, dir.path().join("night_stats.csv"));
        assert_eq!(files.failures, Some(dir.path().join("night_failures.csv")));
        assert_eq!(files.history, None);
    }

    #[test]
    fn a_history_path_resolves_to_its_run() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("a_stats.csv"));
        touch(&dir.path().join("a_stats_history.csv"));
        let files = discover(&dir.path().join("a_stats_history.csv")).unwrap();
        assert_eq!(files.stats, dir.path().join("a_stats.csv"));
        assert!(files.history.is_some());
    }

    #[test]
    fn a_directory_with_two_runs_lists_them() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("a_stats.csv"));
        touch(&dir.path().join("b_stats.csv"));
        touch(&dir.path().join("b_stats_history.csv"));
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("holds 2 runs"), "{err}");
        assert!(
            err.contains("a\n") || err.ends_with('a') || err.contains("/a"),
            "{err}"
        );
        assert!(err.contains("/b"), "{err}");
    }

    #[test]
    fn a_locustio_012_prefix_finds_its_requests_file() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("old_requests.csv"));
        let files = discover(&dir.path().join("old")).unwrap();
        assert_eq!(files.stats, dir.path().join("old_requests.csv"));
        let files = discover(dir.path()).unwrap();
        assert_eq!(files.stats, dir.path().join("old_requests.csv"));
    }

    #[test]
    fn a_missing_prefix_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = discover(&dir.path().join("nothing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no such run"), "{err}");
    }
}
