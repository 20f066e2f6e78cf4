//! The report for people: a table per run, the checks that did not pass, and the verdict line.
//! Coloured on a terminal; plain when piped or when `NO_COLOR` is set.

use std::fmt::Write as _;

use anyhow::Result;
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{CheckReport, Exporter, RunReport};
use crate::analysis::grade::{ScopeResult, Status};
use crate::analysis::status::status_in_message;
use crate::profile::Grade;

pub struct TableExporter {
    pub color: bool,
}

impl Exporter for TableExporter {
    fn render(&self, report: &CheckReport) -> Result<Vec<u8>> {
        let mut out = String::new();
        for (i, item) in report.runs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            self.render_run(&mut out, report, item);
        }
        if report.runs.len() > 1 {
            let _ = writeln!(out, "\nOverall: {}", self.verdict_word(report.verdict()));
        }
        Ok(out.into_bytes())
    }
}

impl TableExporter {
    fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn verdict_word(&self, status: Status) -> String {
        match status {
            Status::Pass => self.paint("PASS", "1;32"),
            Status::Warn => self.paint("WARN", "1;33"),
            Status::Fail => self.paint("FAIL", "1;31"),
        }
    }

    fn render_run(&self, out: &mut String, report: &CheckReport, item: &RunReport) {
        let (run, assessment) = (&item.run, &item.assessment);
        let mut facts = vec![format!("format {}", run.dialect.as_str())];
        if let Some(d) = run.duration_s() {
            facts.push(format!("{d:.0} s"));
        }
        if let Some(u) = run.peak_users() {
            facts.push(format!("{u} users"));
        }
        let _ = writeln!(
            out,
            "{}  ({})  profile: {}",
            self.paint(&run.files.prefix.display().to_string(), "1"),
            facts.join(", "),
            report.profile.name
        );
        out.push_str(&self.endpoint_table(assessment).to_string());
        out.push('\n');

        let failed: Vec<_> = assessment.failed_checks().collect();
        let warned: Vec<_> = assessment.warned_checks().collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\n{}", self.paint("Failed checks:", "1;31"));
            for check in &failed {
                let _ = writeln!(out, "  {} {}", self.paint("✗", "31"), check.message());
            }
        }
        if !warned.is_empty() {
            let _ = writeln!(out, "\n{}", self.paint("Warnings:", "1;33"));
            for check in &warned {
                let _ = writeln!(out, "  {} {}", self.paint("!", "33"), check.message());
            }
        }
        self.render_failures(out, report, item);
        for note in &assessment.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let passed = assessment.checks.len() - failed.len() - warned.len();
        let _ = writeln!(
            out,
            "\nVerdict: {}  ({} failed, {} warned, {} passed checks)",
            self.verdict_word(assessment.verdict),
            failed.len(),
            warned.len(),
            passed
        );
    }

    fn render_failures(&self, out: &mut String, report: &CheckReport, item: &RunReport) {
        let mut failures: Vec<_> = item.run.failures.iter().collect();
        if failures.is_empty() {
            return;
        }
        failures.sort_by_key(|f| std::cmp::Reverse(f.occurrences));
        let _ = writeln!(out, "\nTop failures:");
        for f in failures.iter().take(5) {
            let expected = report
                .profile
                .expected_failures
                .iter()
                .any(|e| e.matches(&f.key.method, &f.key.name, &f.message));
            let tag = if expected {
                " (expected, not graded)"
            } else {
                ""
            };
            let status = status_in_message(&f.message).map_or(String::new(), |s| format!("[{s}] "));
            let _ = writeln!(
                out,
                "  {:>7} × {} {}{}{}",
                f.occurrences,
                f.key,
                status,
                truncate(&f.message, 100),
                tag
            );
        }
        if failures.len() > 5 {
            let _ = writeln!(out, "  … and {} more kinds of failure", failures.len() - 5);
        }
    }

    fn endpoint_table(&self, assessment: &crate::analysis::grade::Assessment) -> Table {
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if self.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        let headers = [
            "Type", "Name", "Requests", "Failures", "Error %", "req/s", "p50", "p95", "p99", "max",
            "Grade",
        ];
        table.set_header(headers.iter().map(Cell::new));
        for scope in &assessment.endpoints {
            table.add_row(self.row(scope));
        }
        table.add_row(self.row(&assessment.aggregated));
        for column in 2..10 {
            if let Some(c) = table.column_mut(column) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        table
    }

    fn row(&self, scope: &ScopeResult) -> Vec<Cell> {
        let s = &scope.stats;
        let ms = |v: Option<f64>| v.map_or("N/A".to_string(), format_ms);
        let mut failures = s.failures.to_string();
        if scope.expected_failures > 0 {
            failures = format!("{} ({} exp.)", s.failures, scope.expected_failures);
        }
        let grade = match (scope.skipped, scope.grade) {
            (true, _) => Cell::new("skipped"),
            (false, None) => Cell::new("-"),
            (false, Some(g)) => {
                let cell = Cell::new(g.as_str());
                if self.color {
                    cell.fg(grade_color(g))
                } else {
                    cell
                }
            }
        };
        vec![
            Cell::new(&s.key.method),
            Cell::new(&s.key.name),
            Cell::new(s.requests),
            Cell::new(failures),
            Cell::new(format!("{:.2}", scope.error_rate * 100.0)),
            Cell::new(format!("{:.1}", s.rps)),
            Cell::new(ms(s.p50())),
            Cell::new(ms(s.percentiles.p95())),
            Cell::new(ms(s.percentiles.p99())),
            Cell::new(ms(s.max())),
            grade,
        ]
    }
}

fn grade_color(grade: Grade) -> Color {
    match grade {
        Grade::Excellent | Grade::Good => Color::Green,
        Grade::Acceptable => Color::Cyan,
        Grade::Poor => Color::Yellow,
        Grade::Critical => Color::Red,
    }
}

fn format_ms(value: f64) -> String {
    if value >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}
