//! `loadgate history DIR`: every run under a directory (a nightly archive), in the order the runs
//! happened, tabulated, charted, and the runs that broke the trend flagged. Exit 1 when the newest
//! run broke it (the nightly gate), else 0.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use crate::analysis::grade::Status;
use crate::analysis::nightly::{breaks, Break, NightlyRun};
use crate::cli::OutputFormat;
use crate::fsutil::write_atomic;
use crate::ingest::{discover, locust};

/// History files larger than this are not read in full just to find the peak user count.
const PEAK_USERS_READ_LIMIT: u64 = 8 << 20;
/// How deep under DIR runs are looked for.
const MAX_DEPTH: usize = 4;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A directory of runs (each a set of Locust CSVs), searched up to four levels deep.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write history.png (percentiles and throughput per run) into this directory.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,

    /// Leave unreadable runs out (listed in the notes, verdict at least warn) instead of exit 2.
    #[arg(long)]
    pub skip_unreadable: bool,
}

#[derive(Serialize)]
pub struct HistoryReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub generated_at: String,
    pub verdict: Status,
    pub runs: Vec<NightlyRun>,
    pub breaks: Vec<Break>,
    pub notes: Vec<String>,
}

pub fn run(args: &HistoryArgs) -> Result<Status> {
    let report = build(&args.dir, args.skip_unreadable)?;
    if let Some(path) = &args.json {
        write_atomic(path, &json(&report)?)?;
    }
    if let Some(dir) = &args.charts {
        write_atomic(
            &dir.join("history.png"),
            &crate::report::charts::history(&report.runs, &report.breaks, (1280, 720))?,
        )?;
    }
    let out = match args.format {
        OutputFormat::Json => json(&report)?,
        OutputFormat::Table => table(&report, super::use_color()).into_bytes(),
    };
    std::io::stdout().lock().write_all(&out)?;
    Ok(report.verdict)
}

fn json(report: &HistoryReport) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    Ok(bytes)
}

pub fn build(dir: &Path, skip_unreadable: bool) -> Result<HistoryReport> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let mut stats_files = Vec::new();
    find_stats_files(dir, 0, &mut stats_files)?;
    if stats_files.is_empty() {
        bail!("{}: no *_stats.csv under this directory", dir.display());
    }
    stats_files.sort();
    let mut notes = Vec::new();
    let mut runs = Vec::new();
    let mut skipped = 0;
    for result in read_all(&stats_files) {
        match result {
            Ok(run) => runs.push(run),
            Err(err) if skip_unreadable => {
                skipped += 1;
                notes.push(format!("skipped an unreadable run: {err:#}"));
            }
            Err(err) => {
                return Err(err.context(
                    "a run in the archive cannot be read (--skip-unreadable leaves it out)",
                ))
            }
        }
    }
    if runs.is_empty() {
        bail!("{}: no readable run under this directory", dir.display());
    }
    let undated = runs.iter().filter(|r| r.started_at.is_none()).count();
    if undated > 0 {
        notes.push(format!(
            "{undated} run(s) have no history or failure timestamps: they are ordered by path, after the dated ones"
        ));
    }
    runs.sort_by(|a, b| {
        (a.started_at.is_none(), a.started_at, &a.source).cmp(&(
            b.started_at.is_none(),
            b.started_at,
            &b.source,
        ))
    });
    let breaks = breaks(&runs);
    let last = runs.len() - 1;
    // A skipped run is something the reader should see: never a clean pass.
    let verdict = if breaks.iter().any(|b| b.run == last) {
        Status::Fail
    } else if breaks.is_empty() && skipped == 0 {
        Status::Pass
    } else {
        Status::Warn
    };
    Ok(HistoryReport {
        schema_version: crate::report::json::SCHEMA_VERSION,
        command: "history",
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        verdict,
        runs,
        breaks,
        notes,
    })
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

/// Reads every run on every core (hundreds of runs take well under a second), in path order; each
/// result is the run or why it could not be read.
fn read_all(paths: &[PathBuf]) -> Vec<Result<NightlyRun>> {
    crate::par::map(paths, |p| read_one(p))
}

fn read_one(stats_path: &Path) -> Result<NightlyRun> {
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
    let a = &stats.aggregated;
    Ok(NightlyRun {
        source: files.prefix.display().to_string(),
        started_at,
        peak_users,
        requests: a.requests,
        failures: a.failures,
        error_rate: a.error_rate(),
        rps: a.rps,
        p50: a.p50(),
        p95: a.percentiles.p95(),
        p99: a.percentiles.p99(),
    })
}

fn table(report: &HistoryReport, color: bool) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(
        [
            "#",
            "Run",
            "Started (UTC)",
            "Users",
            "Requests",
            "req/s",
            "Error %",
            "p50",
            "p95",
            "p99",
            "Broke the trend",
        ]
        .iter()
        .map(Cell::new),
    );
    let ms = |v: Option<f64>| v.map_or("N/A".to_string(), |v| format!("{v:.0}"));
    for (i, run) in report.runs.iter().enumerate() {
        let started = run
            .started_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
        let flags: Vec<&str> = report
            .breaks
            .iter()
            .filter(|b| b.run == i)
            .map(|b| b.metric)
            .collect();
        let mut flag_cell = Cell::new(flags.join(", "));
        if color && !flags.is_empty() {
            flag_cell = flag_cell.fg(comfy_table::Color::Red);
        }
        table.add_row(vec![
            Cell::new(i + 1),
            Cell::new(&run.source),
            Cell::new(started),
            Cell::new(run.peak_users.map_or("-".to_string(), |u| u.to_string())),
            Cell::new(run.requests),
            Cell::new(format!("{:.1}", run.rps)),
            Cell::new(format!("{:.2}", run.error_rate * 100.0)),
            Cell::new(ms(run.p50)),
            Cell::new(ms(run.p95)),
            Cell::new(ms(run.p99)),
            flag_cell,
        ]);
    }
    for column in [0, 3, 4, 5, 6, 7, 8, 9] {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = format!("{table}\n");
    for b in &report.breaks {
        out.push_str(&format!(
            "  ! run {} ({}): {}\n",
            b.run + 1,
            b.source,
            b.reason
        ));
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&format!(
        "\n{} runs, {} broke the trend; verdict: {}{}\n",
        report.runs.len(),
        report
            .breaks
            .iter()
            .map(|b| b.run)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        report.verdict.as_str().to_uppercase(),
        if report.verdict == Status::Fail {
            " (the newest run broke the trend)"
        } else {
            ""
        }
    ));
    out
}
