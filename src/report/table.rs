//! The report for people: a table per run, the checks that did not pass, and the verdict line.
//! Coloured on a terminal; plain when piped or when `NO_COLOR` is set.

use std::fmt::Write as _;

use anyhow::Result;
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{Exporter, Report, RunReport};
use crate::analysis::capacity::Capacity;
use crate::analysis::grade::{Assessment, ScopeResult, Status};
use crate::analysis::regression::{Comparison, Direction, Regression};
use crate::analysis::status::status_in_message;
use crate::analysis::trend::Trend;
use crate::model::EndpointStats;
use crate::profile::Grade;

pub struct TableExporter {
    pub color: bool,
}

impl Exporter for TableExporter {
    fn render(&self, report: &Report) -> Result<Vec<u8>> {
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

    fn render_run(&self, out: &mut String, report: &Report, item: &RunReport) {
        let run = &item.run;
        let mut facts = vec![format!("format {}", run.dialect.as_str())];
        facts.extend(super::run_facts(run));
        let _ = writeln!(
            out,
            "{}  ({})  profile: {}",
            self.paint(&run.files.prefix.display().to_string(), "1"),
            facts.join(", "),
            report.profile.name
        );
        let mut counts = (0, 0, 0);
        match &item.assessment {
            Some(assessment) => {
                out.push_str(&self.endpoint_table(assessment).to_string());
                out.push('\n');
                counts = self.render_checks(out, assessment);
            }
            None => {
                out.push_str(&self.plain_table(run).to_string());
                out.push('\n');
            }
        }
        if let Some(baseline) = &item.baseline {
            self.render_comparison(out, &baseline.label, &baseline.comparison);
        }
        self.render_trends(out, &item.trends);
        if let Some(c) = item.capacity.as_ref().filter(|c| c.applicable) {
            self.render_capacity(out, c);
        }
        self.render_failures(out, report, item);
        if !item.findings.is_empty() {
            let _ = writeln!(out, "\n{}", self.paint("Findings:", "1"));
            for f in &item.findings {
                let _ = writeln!(out, "  • {} ({}): {}", f.kind, f.scope, f.evidence);
                let _ = writeln!(out, "    {}", self.paint(&f.advice, "2"));
            }
        }
        let notes = item
            .assessment
            .iter()
            .flat_map(|a| a.notes.iter())
            .chain(&item.notes);
        for note in notes {
            let _ = writeln!(out, "note: {note}");
        }
        let mut summary = Vec::new();
        if item.assessment.is_some() {
            summary.push(format!(
                "{} failed, {} warned, {} passed checks",
                counts.0, counts.1, counts.2
            ));
        }
        if let Some(b) = &item.baseline {
            let worse = |s: Status| {
                b.comparison
                    .regressions
                    .iter()
                    .filter(|r| r.direction == Direction::Regressed && r.status == s)
                    .count()
            };
            summary.push(format!(
                "{} regressions failed, {} warned",
                worse(Status::Fail),
                worse(Status::Warn)
            ));
        }
        let flagged = item
            .trends
            .iter()
            .filter(|t| t.status != Status::Pass)
            .count();
        if flagged > 0 {
            summary.push(format!("{flagged} trends flagged"));
        }
        let _ = writeln!(
            out,
            "\nVerdict: {}  ({})",
            self.verdict_word(item.verdict()),
            summary.join("; ")
        );
    }

    /// Lists failed and warned checks; returns (failed, warned, passed) counts.
    fn render_checks(&self, out: &mut String, assessment: &Assessment) -> (usize, usize, usize) {
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
        let passed = assessment.checks.len() - failed.len() - warned.len();
        (failed.len(), warned.len(), passed)
    }

    fn render_comparison(&self, out: &mut String, label: &str, comparison: &Comparison) {
        let _ = writeln!(
            out,
            "\n{} {} ({} run{})",
            self.paint("Against baseline", "1"),
            label,
            comparison.baseline_runs,
            if comparison.baseline_runs == 1 {
                ""
            } else {
                "s"
            }
        );
        let mut table = self.new_table();
        let metrics = ["p50", "p95", "p99", "avg", "error_rate", "rps"];
        let mut header = vec![Cell::new("Scope")];
        header.extend(metrics.iter().map(Cell::new));
        table.set_header(header);
        let mut scopes: Vec<&str> = Vec::new();
        for r in &comparison.regressions {
            if !scopes.contains(&r.scope.as_str()) {
                scopes.push(&r.scope);
            }
        }
        for scope in scopes {
            let mut row = vec![Cell::new(scope)];
            for metric in metrics {
                let found = comparison
                    .regressions
                    .iter()
                    .find(|r| r.scope == scope && r.metric == metric);
                row.push(match found {
                    Some(r) => self.change_cell(r),
                    None => Cell::new("-"),
                });
            }
            table.add_row(row);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        for r in comparison
            .regressions
            .iter()
            .filter(|r| r.status != Status::Pass)
        {
            let mark = match r.status {
                Status::Fail => self.paint("✗", "31"),
                _ => self.paint("!", "33"),
            };
            let _ = writeln!(out, "  {mark} {} {}: {}", r.scope, r.metric, r.reason);
        }
        let improved: Vec<_> = comparison
            .regressions
            .iter()
            .filter(|r| r.direction == Direction::Improved)
            .collect();
        if !improved.is_empty() {
            let list: Vec<String> = improved
                .iter()
                .map(|r| format!("{} {}", r.scope, r.metric))
                .collect();
            let _ = writeln!(
                out,
                "  {} improved: {}",
                self.paint("✓", "32"),
                list.join(", ")
            );
        }
        if !comparison.new_endpoints.is_empty() {
            let _ = writeln!(
                out,
                "  new endpoints: {}",
                comparison.new_endpoints.join(", ")
            );
        }
        if !comparison.vanished_endpoints.is_empty() {
            let _ = writeln!(
                out,
                "  vanished endpoints: {}",
                comparison.vanished_endpoints.join(", ")
            );
        }
        for note in &comparison.notes {
            let _ = writeln!(out, "note: {note}");
        }
    }

    fn change_cell(&self, r: &Regression) -> Cell {
        let fmt = |v: f64| match r.metric {
            "error_rate" => format!("{:.2}%", v * 100.0),
            "rps" => format!("{v:.1}"),
            _ => format_ms(v),
        };
        let pct = match (r.metric, r.change_pct) {
            ("error_rate", _) => format!("{:+.2}pt", r.change * 100.0),
            (_, Some(p)) => format!("{p:+.0}%"),
            (_, None) => "new".to_string(),
        };
        let cell = Cell::new(format!("{}→{} ({pct})", fmt(r.baseline), fmt(r.current)));
        if !self.color {
            return cell;
        }
        match (r.status, r.direction) {
            (Status::Fail, _) => cell.fg(Color::Red),
            (Status::Warn, _) => cell.fg(Color::Yellow),
            (_, Direction::Improved) => cell.fg(Color::Green),
            _ => cell,
        }
    }

    fn render_capacity(&self, out: &mut String, capacity: &Capacity) {
        let _ = writeln!(
            out,
            "\n{} {}",
            self.paint("Capacity:", "1"),
            capacity.reason
        );
        let mut table = self.new_table();
        table.set_header(
            ["Users", "req/s", "avg", "p50", "p95", "Error %"]
                .iter()
                .map(Cell::new),
        );
        let ms = |v: Option<f64>| v.map_or("N/A".to_string(), format_ms);
        for step in &capacity.steps {
            let mut users = step.users.to_string();
            if capacity.knee_users == Some(step.users) {
                users.push_str(" ← knee");
            }
            if capacity.max_users == Some(step.users) {
                users.push_str(" ← max within limits");
            }
            table.add_row(vec![
                Cell::new(users),
                Cell::new(format!("{:.1}", step.rps)),
                Cell::new(ms(step.avg)),
                Cell::new(ms(step.p50)),
                Cell::new(ms(step.p95)),
                Cell::new(format!("{:.2}", step.error_rate * 100.0)),
            ]);
        }
        for column in 1..6 {
            if let Some(c) = table.column_mut(column) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }

    fn render_trends(&self, out: &mut String, trends: &[Trend]) {
        let flagged: Vec<_> = trends.iter().filter(|t| t.status != Status::Pass).collect();
        if flagged.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n{}",
            self.paint("Trends over the steady state:", "1;33")
        );
        for t in flagged {
            let mark = match t.status {
                Status::Fail => self.paint("✗", "31"),
                _ => self.paint("!", "33"),
            };
            let _ = writeln!(
                out,
                "  {mark} {} {}: {} ({:+.2}/min over {:.0} s)",
                t.scope, t.metric, t.reason, t.slope_per_min, t.window_s
            );
        }
    }

    fn render_failures(&self, out: &mut String, report: &Report, item: &RunReport) {
        let mut failures: Vec<_> = item.run.failures.iter().collect();
        if failures.is_empty() {
            return;
        }
        failures.sort_by_key(|f| std::cmp::Reverse(f.occurrences));
        let _ = writeln!(out, "\nTop failures:");
        for f in failures.iter().take(5) {
            let expected = report.profile.expects(f);
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

    fn new_table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if self.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table
    }

    /// Endpoint figures without grades (for `compare`).
    fn plain_table(&self, run: &crate::model::Run) -> Table {
        let mut table = self.new_table();
        table.set_header(
            [
                "Type", "Name", "Requests", "Failures", "req/s", "p50", "p95", "p99", "max",
            ]
            .iter()
            .map(Cell::new),
        );
        let ms = |v: Option<f64>| v.map_or("N/A".to_string(), format_ms);
        let row = |s: &EndpointStats| {
            vec![
                Cell::new(&s.key.method),
                Cell::new(&s.key.name),
                Cell::new(s.requests),
                Cell::new(s.failures),
                Cell::new(format!("{:.1}", s.rps)),
                Cell::new(ms(s.p50())),
                Cell::new(ms(s.percentiles.p95())),
                Cell::new(ms(s.percentiles.p99())),
                Cell::new(ms(s.max())),
            ]
        };
        for s in &run.endpoints {
            table.add_row(row(s));
        }
        table.add_row(row(&run.aggregated));
        table
    }

    fn endpoint_table(&self, assessment: &Assessment) -> Table {
        let mut table = self.new_table();
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
