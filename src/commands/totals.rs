//! One Locust run written three ways disagrees a little: Locust writes `_stats.csv` up to a second
//! before the run ends and its HTML report and JSON at the end, so the CSV may count fewer
//! requests. When both lie side by side and their totals differ, the notes say which one was read
//! and why they differ, so that `check run` and `check run.json` giving different figures is no
//! mystery.

use std::path::{Path, PathBuf};

use crate::ingest::locust::read_stats;
use crate::ingest::locust_report;
use crate::model::Run;

/// A report beside a CSV run is read only up to this size: the note is worth a small read, not a
/// second pass over a huge report.
const MAX_REPORT_BYTES: u64 = 64 << 20;

/// The note for `run`, read from `input`, when the run's other file beside it counts differently.
pub(crate) fn cross_check(input: &Path, run: &Run) -> Option<String> {
    let read_report = is_report(input);
    let (csv, report, csv_totals, report_totals) = if read_report {
        let csv = with_suffix(&input.with_extension(""), "_stats.csv");
        let stats = read_stats(&csv).ok()?;
        let totals = (stats.aggregated.requests, stats.aggregated.failures);
        (csv, input.to_path_buf(), totals, totals_of(run))
    } else {
        let stats = &run.files.stats;
        if !stats.to_string_lossy().ends_with("_stats.csv") {
            return None;
        }
        let report = ["json", "html", "htm"]
            .iter()
            .map(|ext| with_suffix(&run.files.prefix, &format!(".{ext}")))
            .find(|p| {
                std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() <= MAX_REPORT_BYTES)
            })?;
        let other = locust_report::load(&report).ok()??;
        (stats.clone(), report, totals_of(run), totals_of(&other))
    };
    if csv_totals == report_totals {
        return None;
    }
    let (read, why) = if read_report {
        (
            &report,
            "the file given; its totals are the run's final ones".to_string(),
        )
    } else {
        (
            &csv,
            format!(
                "the run given; `check {}` judges the final totals",
                report.display()
            ),
        )
    };
    Some(format!(
        "{} counts {} requests and {} failures, {} {} and {}: Locust writes _stats.csv up to a second before the run ends and its HTML report and JSON at the end. loadgate read {}, {why}",
        csv.display(),
        csv_totals.0,
        csv_totals.1,
        report.display(),
        report_totals.0,
        report_totals.1,
        read.display(),
    ))
}

fn totals_of(run: &Run) -> (u64, u64) {
    (run.aggregated.requests, run.aggregated.failures)
}

fn is_report(path: &Path) -> bool {
    path.is_file()
        && path.extension().is_some_and(|e| {
            let e = e.to_string_lossy().to_ascii_lowercase();
            e == "json" || e == "html" || e == "htm"
        })
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}
