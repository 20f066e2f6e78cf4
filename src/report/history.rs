//! The report of an archive of runs (`loadgate history`): a row per run in the order the runs
//! happened, the runs that broke the trend, as a table for people or the versioned JSON.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Result;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::json::SCHEMA_VERSION;
use super::units::{percent, rate};
use crate::analysis::history::{Break, HistoryRun};
use crate::model::Status;

/// What `history` concluded about an archive.
#[derive(Serialize)]
pub struct HistoryReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub generated_at: String,
    pub verdict: Status,
    pub runs: Vec<HistoryRun>,
    pub breaks: Vec<Break>,
    pub notes: Vec<String>,
}

impl HistoryReport {
    pub fn new(
        runs: Vec<HistoryRun>,
        breaks: Vec<Break>,
        notes: Vec<String>,
        verdict: Status,
    ) -> Self {
        HistoryReport {
            schema_version: SCHEMA_VERSION,
            command: "history",
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            verdict,
            runs,
            breaks,
            notes,
        }
    }
}

impl HistoryReport {
    /// When run `i` started, to the minute (`-` when its files do not say).
    pub fn started_label(&self, i: usize) -> String {
        self.runs[i]
            .started_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    }

    /// The metrics on which run `i` broke the trend.
    pub fn broke(&self, i: usize) -> Vec<&'static str> {
        self.breaks
            .iter()
            .filter(|b| b.run == i)
            .map(|b| b.metric.key())
            .collect()
    }
}

/// Milliseconds in the archive's tables: whole, `N/A` when unknown.
pub fn whole_ms(value: Option<f64>) -> String {
    value.map_or("N/A".to_string(), |v| format!("{v:.0}"))
}

pub fn json(report: &HistoryReport) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    Ok(bytes)
}

pub fn table(report: &HistoryReport, color: bool) -> Result<Vec<u8>> {
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
    let ms = whole_ms;
    for (i, run) in report.runs.iter().enumerate() {
        let started = report.started_label(i);
        let flags = report.broke(i);
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
            Cell::new(rate(run.rps)),
            Cell::new(percent(run.error_rate)),
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
        writeln!(out, "  ! run {} ({}): {}", b.run + 1, b.source, b.reason)?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    let broke: BTreeSet<usize> = report.breaks.iter().map(|b| b.run).collect();
    writeln!(
        out,
        "\n{} runs, {} broke the trend; verdict: {}{}",
        report.runs.len(),
        broke.len(),
        report.verdict.as_str().to_uppercase(),
        if report.verdict == Status::Fail {
            " (the newest run broke the trend)"
        } else {
            ""
        }
    )?;
    Ok(out.into_bytes())
}
