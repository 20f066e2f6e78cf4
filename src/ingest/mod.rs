//! Reading runs from disk. Knows files and formats; knows nothing of grading or output.
//!
//! `discover` turns what the user typed into a run's files (names from `crate::locust_format`);
//! `find` finds the runs under a directory, a leaf shared by `discover::runs_in` and `history`;
//! `locust` reads each CSV (`table` for the small ones, `stats_history` for `_stats_history.csv`,
//! `header` and `scope` shared by both); `locust_report` reads Locust's own HTML and JSON reports;
//! `failure_set`, a leaf both use, keeps failure rows in bounded memory;
//! `history` reads a directory of runs for the `history` command; `status` and `started` are rules
//! applied at read time. Imports point one way: `locust` -> `stats_history` -> the leaves (`table`,
//! `error`, `scope`, `header`), `history` -> `discover` -> `find`, and nothing in `stats_history`
//! imports `locust`. Inside `stats_history` and `locust_report` the readers share leaves (`row` and
//! `series`; `source`, `walk` and `stream`), and no reader imports its parent module back.
//! Other tools' files go through `formats` (told apart by `detect`, opened by `input`):
//! `console_log` (Locust's console output), `k6` and `jmeter`, the per-sample ones through `samples`.

mod console_log;
pub mod crosscheck;
mod detect;
mod discover;
mod encoding;
pub mod error;
pub(crate) mod failure_set;
mod find;
mod formats;
mod header;
pub mod history;
mod input;
mod jmeter;
mod k6;
mod legacy_quotes;
pub mod locust;
pub(crate) mod locust_report;
#[cfg(test)]
mod properties;
pub mod runner_record;
mod samples;
mod scope;
pub mod started;
mod stats_history;
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

/// The Locust version given for runs whose files do not name one (`--locust-version`, the
/// config's `locust_version`): a Locust run's files win where they name it (its console log), and
/// a run of another tool (k6, JMeter) is not Locust's.
pub fn given_locust_version(run: &mut Run, given: Option<&str>) {
    let Some(given) = given else { return };
    let locust = matches!(
        run.dialect,
        Dialect::Locust
            | Dialect::Legacy
            | Dialect::LocustHtml
            | Dialect::LocustJson
            | Dialect::LocustLog
    );
    if !locust {
        return;
    }
    match &run.info.locust_version {
        None => run.info.locust_version = Some(given.to_string()),
        Some(own) if own != given => run.notes.push(format!(
            "the log says Locust {own}; the given version {given} is not used for it"
        )),
        Some(_) => {}
    }
}

/// `check … --merge`: several files of one test from several machines as one run: per-request
/// files (k6, JMeter) pooled sample by sample, Locust's JSON by its histograms.
pub fn load_merged(inputs: &[std::path::PathBuf]) -> Result<Run> {
    match formats::load_merged(inputs)? {
        Some(run) => Ok(run),
        None => locust_report::load_merged(inputs),
    }
}

/// Every run in `input`, each with the runner record beside it: one for Locust's files, k6's and
/// most JTLs; a console log or a JTL may hold several (runs appended to one file).
pub fn load_runs(input: &Path) -> Result<Vec<Run>> {
    match formats::load(input)? {
        Some(mut runs) => {
            for run in &mut runs {
                runner_record::attach(run)?;
                crosscheck::run_makes_sense(run)?;
            }
            Ok(runs)
        }
        None => Ok(vec![load_run(input)?]),
    }
}

/// Finds and reads every file of the run that `input` names (of several runs in one file, the
/// last), and the runner record beside them.
pub fn load_run(input: &Path) -> Result<Run> {
    let mut run = match formats::load(input)? {
        Some(runs) => formats::last_of(input, runs),
        None => load_run_files(input)?,
    };
    runner_record::attach(&mut run)?;
    crosscheck::run_makes_sense(&run)?;
    Ok(run)
}

fn load_run_files(input: &Path) -> Result<Run> {
    if let Some(mut run) = locust_report::load(input)? {
        if run.dialect == Dialect::LocustJson {
            add_failures_beside(&mut run)?;
            add_history_beside(&mut run)?;
        }
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
    if let (Some(history), Some(path), Dialect::Locust) = (&history, &files.history, stats.dialect)
    {
        notes.extend(crosscheck::history_against_stats(
            path,
            history,
            &files.stats,
            &aggregated,
        )?);
    }
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

/// Locust's JSON has failure counts but no messages: a `_failures.csv` (and `_exceptions.csv`) beside
/// it with the same name, as `--json-file results/run --csv results/run` writes, supplies them.
fn add_failures_beside(run: &mut Run) -> Result<()> {
    let prefix = run.files.prefix.clone();
    let failures = with_suffix(&prefix, crate::locust_format::FAILURES_SUFFIX);
    if failures.is_file() {
        run.failures = noted(locust::read_failures_noted(&failures)?, &mut run.notes);
        run.notes.push(format!(
            "failure messages from {} (Locust's JSON has none)",
            failures.display()
        ));
        run.files.failures = Some(failures);
    }
    let exceptions = with_suffix(&prefix, crate::locust_format::EXCEPTIONS_SUFFIX);
    if exceptions.is_file() {
        run.exceptions = noted(locust::read_exceptions_noted(&exceptions)?, &mut run.notes);
        run.files.exceptions = Some(exceptions);
    }
    Ok(())
}

/// Locust's JSON has no history: a `_stats_history.csv` beside it with the same name (`--json-file
/// results/run --csv results/run --csv-full-history`) supplies the run's course over time, so its
/// steady state, trends and per-interval noise are read as from the CSVs. Only when its rows lie
/// within the JSON's requests (give or take a history interval): a history left by another run
/// with the same name is not this run's.
fn add_history_beside(run: &mut Run) -> Result<()> {
    let path = with_suffix(&run.files.prefix, crate::locust_format::HISTORY_SUFFIX);
    let Some((first, last)) = run.info.request_span else {
        return Ok(());
    };
    if !path.is_file() {
        return Ok(());
    }
    // The JSON is what was asked for; a history beside it that cannot be read is said, not fatal.
    let history = match locust::read_history_noted(&path) {
        Ok(read) => noted(read, &mut run.notes),
        Err(e) => {
            run.notes
                .push(format!("history beside the JSON not read: {e}"));
            return Ok(());
        }
    };
    let span = history.aggregated().and_then(|a| {
        Some((
            a.points.iter().map(|p| p.timestamp).min()?,
            a.points.iter().map(|p| p.timestamp).max()?,
        ))
    });
    const SLACK_S: f64 = 10.0;
    match span {
        Some((from, to)) if from as f64 >= first - SLACK_S && to as f64 <= last + SLACK_S => {
            run.notes.push(format!(
                "history from {} (Locust's JSON has none)",
                path.display()
            ));
            run.history = Some(history);
            run.files.history = Some(path);
        }
        Some((from, to)) => run.notes.push(format!(
            "{} not read: its rows ({from}–{to}) are not within this JSON's requests ({:.0}–{:.0}), so it is another run's",
            path.display(),
            first,
            last
        )),
        None => {}
    }
    Ok(())
}

/// A file's content, its note (if any) added to `notes`.
fn noted<T>((content, note): (T, Option<String>), notes: &mut Vec<String>) -> T {
    notes.extend(note);
    content
}

#[cfg(test)]
mod tests {
    /// Locust 2.47's full history (fixtures/custom-percentiles) starts with rows whose window is not
    /// cached yet: every percentile 0 with 67 requests done. Those are placeholders, not 0 ms.
    #[test]
    fn zero_placeholders_in_a_real_history_are_not_measurements() {
        let prefix = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/custom-percentiles/custom"
        );
        let run = super::load_run(std::path::Path::new(prefix)).unwrap();
        let aggregated = run.history.as_ref().unwrap().aggregated().unwrap();
        let started: Vec<_> = aggregated
            .points
            .iter()
            .filter(|p| p.total_requests > 0)
            .collect();
        assert!(started.len() > 10);
        // The file's first row with requests: `0,0,0,…` in every percentile column.
        assert_eq!(started[0].p50(), None);
        assert_eq!(started[0].p95(), None);
        // The next row measured its window.
        assert!(started[1].p95().is_some_and(|v| v > 0.0));
        assert!(started.iter().all(|p| p.p50() != Some(0.0)));
    }

    /// Real HTML reports of Locust 2.22 to 2.47 (fixtures/html): the history's running totals grow
    /// and end on the report's own request and failure counts, with a note saying they are derived.
    #[test]
    fn html_history_totals_end_on_the_reports_counts() {
        for version in ["2.22.0", "2.37.12", "2.47.0"] {
            let path = format!(
                "{}/fixtures/html/locust-{version}.html",
                env!("CARGO_MANIFEST_DIR")
            );
            let run = super::load_run(std::path::Path::new(&path)).unwrap();
            let points = &run.history.as_ref().unwrap().aggregated().unwrap().points;
            assert!(points.len() > 1, "{version}");
            let last = points.last().unwrap();
            assert_eq!(
                { last.total_requests },
                run.aggregated.requests,
                "{version}"
            );
            assert_eq!(last.total_failures(), run.aggregated.failures, "{version}");
            assert!(
                points
                    .windows(2)
                    .all(|w| w[0].total_requests <= w[1].total_requests),
                "{version}"
            );
            assert!(run.notes.iter().any(|n| n.contains("integrated over time")));
        }
    }
}
