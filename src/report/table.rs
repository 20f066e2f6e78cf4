//! The report for people: a table per run, the checks that did not pass, and the verdict line.
//! Coloured on a terminal; plain when piped or when `NO_COLOR` is set.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use anyhow::Result;
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::exporter::{Context, Exporter, Report};
use super::history::{whole_ms, HistoryReport};
use super::server_view;
use super::units::{ms, percent, rate, truncate};
use super::untrusted;
use super::view::{self, Counts, GradeCell};
use crate::analysis::capacity::Capacity;
use crate::analysis::paired::{self, AbComparison};
use crate::analysis::regression::{Comparison, Direction, Regression, NO_BASELINE};
use crate::analysis::scaling::Scaling;
use crate::analysis::server_baseline::ServerComparison;
use crate::analysis::trend;
use crate::analysis::{Judgement, RunJudgement};
use crate::model::{Metric, Scope, Status, Unit};
use crate::profile::Grade;
use crate::server::ServerReading;

pub struct TableExporter;

impl Exporter for TableExporter {
    fn render(&self, report: Report, ctx: &Context) -> Result<Vec<u8>> {
        let tables = Tables { color: ctx.color };
        let text = match report {
            Report::Judgement(judgement) => tables.judgement(judgement),
            Report::History(history) => tables.history(history),
        }?;
        // Fields are escaped where they are written ([`t`]); this pass over the whole text makes
        // sure no line of it can be a workflow command or carry a control, whatever was missed.
        let text = String::from_utf8(text)?;
        Ok(untrusted::terminal_text(&text, ctx.color).into_bytes())
    }
}

/// A field from a file (a name, a message, a path, a reason quoting them), shown escaped.
fn t(text: impl fmt::Display) -> String {
    untrusted::terminal(&text.to_string()).into_owned()
}

/// The tables, coloured or not.
struct Tables {
    color: bool,
}

impl Tables {
    fn judgement(&self, judgement: &Judgement) -> Result<Vec<u8>> {
        let mut out = String::new();
        for (i, run) in judgement.runs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            self.run(&mut out, judgement, run)?;
        }
        if let Some(scaling) = &judgement.scaling {
            self.scaling(&mut out, scaling)?;
        }
        if let Some(ab) = &judgement.ab {
            self.ab(&mut out, ab)?;
        }
        if judgement.runs.len() > 1 || judgement.ab.is_some() {
            writeln!(out, "\nOverall: {}", self.verdict_word(judgement.verdict))?;
        }
        Ok(out.into_bytes())
    }
}

/// The metrics of the comparison table, in its column order.
const COMPARED: [Metric; 6] = [
    Metric::P50,
    Metric::P95,
    Metric::P99,
    Metric::Avg,
    Metric::ErrorRate,
    Metric::Rps,
];

impl Tables {
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

    fn mark(&self, status: Status) -> String {
        match status {
            Status::Fail => self.paint("✗", "31"),
            Status::Warn | Status::Pass => self.paint("!", "33"),
        }
    }

    fn run(&self, out: &mut String, judgement: &Judgement, item: &RunJudgement) -> fmt::Result {
        let run = &item.run;
        let mut facts = vec![format!("format {}", run.dialect.as_str())];
        facts.extend(view::run_facts(run));
        writeln!(
            out,
            "{}  ({})  profile: {}",
            self.paint(&t(run.files.prefix.display()), "1"),
            t(facts.join(", ")),
            t(&judgement.profile.name)
        )?;
        writeln!(out, "{}", self.endpoint_table(item))?;
        if item.graded {
            self.checks(out, item)?;
        }
        self.tool_verdicts(out, item)?;
        if let Some(baseline) = &item.baseline {
            self.comparison(out, &baseline.label, &baseline.comparison)?;
        }
        self.trends(out, item)?;
        let flagged: Vec<_> = item
            .sustained
            .iter()
            .filter(|s| s.status != Status::Pass)
            .collect();
        if !flagged.is_empty() {
            writeln!(out, "\n{}", self.paint("Sustained:", "1"))?;
            for s in flagged {
                writeln!(out, "  {} {}", self.mark(s.status), t(&s.reason))?;
            }
        }
        if let Some(c) = item.capacity.as_ref().filter(|c| c.applicable) {
            self.capacity(out, c)?;
        }
        self.failures(out, item)?;
        if let Some(server) = &item.server {
            self.server(out, &server.reading)?;
            if let Some(c) = &server.comparison {
                self.server_baseline(out, c)?;
            }
        }
        if !item.findings.is_empty() {
            writeln!(out, "\n{}", self.paint("Findings:", "1"))?;
            for f in &item.findings {
                writeln!(out, "  • {} ({}): {}", f.kind, t(&f.scope), t(&f.evidence))?;
                writeln!(out, "    {}", self.paint(&t(&f.advice), "2"))?;
            }
        }
        for note in &item.notes {
            writeln!(out, "note: {}", t(note))?;
        }
        writeln!(
            out,
            "\nVerdict: {}  ({})",
            self.verdict_word(item.verdict),
            Counts::of(item).sentence()
        )
    }

    fn checks(&self, out: &mut String, item: &RunJudgement) -> fmt::Result {
        let sections = [
            ("Failed checks:", "1;31", Status::Fail),
            ("Warnings:", "1;33", Status::Warn),
        ];
        for (title, colour, status) in sections {
            let listed: Vec<_> = item.checks.iter().filter(|c| c.status == status).collect();
            if listed.is_empty() {
                continue;
            }
            writeln!(out, "\n{}", self.paint(title, colour))?;
            for check in listed {
                writeln!(out, "  {} {}", self.mark(status), t(check.message()))?;
            }
        }
        Ok(())
    }

    /// k6's own thresholds and checks, beside loadgate's.
    fn tool_verdicts(&self, out: &mut String, item: &RunJudgement) -> fmt::Result {
        let Some((heading, lines)) = view::tool_verdicts(&item.run) else {
            return Ok(());
        };
        writeln!(out, "\n{}", self.paint(&t(format!("{heading}:")), "1"))?;
        for (outcome, line) in lines {
            let mark = match outcome {
                view::ToolOutcome::Held => self.paint("✓", "32"),
                view::ToolOutcome::Crossed => self.paint("✗", "31"),
                view::ToolOutcome::Unknown => "?".to_string(),
            };
            writeln!(out, "  {mark} {}", t(line))?;
        }
        Ok(())
    }

    fn comparison(&self, out: &mut String, label: &str, comparison: &Comparison) -> fmt::Result {
        if !comparison.compared() {
            return writeln!(
                out,
                "\n{} {}: {NO_BASELINE}",
                self.paint("Baseline", "1"),
                t(label)
            );
        }
        let runs = comparison.baseline_runs;
        writeln!(
            out,
            "\n{} {} ({} run{})",
            self.paint("Against baseline", "1"),
            t(label),
            runs,
            if runs == 1 { "" } else { "s" }
        )?;
        let mut table = self.new_table();
        let mut header = vec![Cell::new("Scope")];
        header.extend(COMPARED.iter().map(|m| Cell::new(m.key())));
        table.set_header(header);
        let mut scopes: Vec<&Scope> = Vec::new();
        for r in &comparison.regressions {
            if !scopes.contains(&&r.scope) {
                scopes.push(&r.scope);
            }
        }
        for scope in scopes {
            let mut row = vec![Cell::new(t(scope))];
            for metric in COMPARED {
                let found = comparison
                    .regressions
                    .iter()
                    .find(|r| &r.scope == scope && r.metric == metric);
                row.push(found.map_or_else(|| Cell::new("-"), |r| self.change_cell(r)));
            }
            table.add_row(row);
        }
        writeln!(out, "{table}")?;
        for d in &comparison.differences {
            writeln!(
                out,
                "  {} not alike: {}",
                self.mark(d.status()),
                t(&d.message)
            )?;
        }
        for e in &comparison.new_errors {
            writeln!(out, "  {} new error: {}", self.mark(e.status), t(&e.reason))?;
        }
        for s in &comparison.shifts {
            // A faster runner's shift passes: it is a fact, not a warning.
            let mark = match s.status {
                Status::Pass => "·".to_string(),
                status => self.mark(status),
            };
            writeln!(
                out,
                "  {} {} of {} ({:+.0} ms, {:.1}x): {}",
                mark,
                s.title(),
                s.shift.metric,
                s.shift.ms,
                s.shift.factor,
                t(&s.reason)
            )?;
        }
        for r in view::flagged_regressions(comparison) {
            writeln!(
                out,
                "  {} {} {}: {}",
                self.mark(r.status),
                t(&r.scope),
                r.metric,
                t(&r.reason)
            )?;
        }
        let improved: Vec<String> = view::improved(comparison)
            .map(|r| format!("{} {}", t(&r.scope), r.metric))
            .collect();
        if !improved.is_empty() {
            writeln!(
                out,
                "  {} improved: {}",
                self.paint("✓", "32"),
                improved.join(", ")
            )?;
        }
        if !comparison.new_endpoints.is_empty() {
            writeln!(
                out,
                "  new endpoints: {}",
                t(comparison.new_endpoints.join(", "))
            )?;
        }
        if !comparison.vanished_endpoints.is_empty() {
            writeln!(
                out,
                "  vanished endpoints: {}",
                t(comparison.vanished_endpoints.join(", "))
            )?;
        }
        for note in &comparison.notes {
            writeln!(out, "note: {}", t(note))?;
        }
        Ok(())
    }

    /// A/B: one row per scope, A→B and the paired change per figure, then what did not pass.
    fn ab(&self, out: &mut String, ab: &AbComparison) -> fmt::Result {
        writeln!(
            out,
            "\n{} B {} against A {} ({} pairs, B first in {})",
            self.paint("A/B:", "1"),
            t(&ab.b_label),
            t(&ab.a_label),
            ab.pairs,
            ab.b_first
        )?;
        let mut table = self.new_table();
        let mut header = vec![Cell::new("Scope")];
        header.extend(paired::METRICS.iter().map(|m| Cell::new(m.key())));
        table.set_header(header);
        for (scope, changes) in view::ab_scopes(ab) {
            let mut row = vec![Cell::new(t(scope))];
            row.extend(changes.iter().map(|c| {
                let cell = Cell::new(t(view::ab_cell(c)));
                match (self.color, c.status) {
                    (true, Status::Fail) => cell.fg(Color::Red),
                    (true, Status::Warn) => cell.fg(Color::Yellow),
                    _ => cell,
                }
            }));
            table.add_row(row);
        }
        writeln!(out, "{table}")?;
        for c in view::flagged_ab(ab) {
            writeln!(
                out,
                "  {} {} {}: {}",
                self.mark(c.status),
                t(&c.scope),
                c.metric,
                t(&c.reason)
            )?;
        }
        writeln!(
            out,
            "  {}",
            self.paint(&format!("test: {}", ab.method), "2")
        )?;
        writeln!(
            out,
            "A/B verdict: {}  ({})",
            self.verdict_word(ab.verdict),
            view::ab_sentence(ab)
        )
    }

    fn change_cell(&self, r: &Regression) -> Cell {
        let value = |v: f64| match r.metric.unit() {
            Unit::Fraction => format!("{}%", percent(v)),
            Unit::PerSecond => rate(v),
            Unit::Millis | Unit::Count => ms(Some(v)),
        };
        let change = match (r.metric.unit(), r.change_pct) {
            (Unit::Fraction, _) => format!("{:+.2}pt", r.change * 100.0),
            (_, Some(p)) => format!("{p:+.0}%"),
            (_, None) => "new".to_string(),
        };
        let cell = Cell::new(format!(
            "{}→{} ({change})",
            value(r.baseline),
            value(r.current)
        ));
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

    fn capacity(&self, out: &mut String, capacity: &Capacity) -> fmt::Result {
        writeln!(
            out,
            "\n{} {}",
            self.paint("Capacity:", "1"),
            t(&capacity.reason)
        )?;
        let mut table = self.new_table();
        table.set_header(
            ["Users", "req/s", "avg", "p50", "p95", "Error %"]
                .iter()
                .map(Cell::new),
        );
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
                Cell::new(rate(step.rps)),
                Cell::new(ms(step.avg)),
                Cell::new(ms(step.p50)),
                Cell::new(ms(step.p95)),
                Cell::new(percent(step.error_rate)),
            ]);
        }
        align_right(&mut table, 1..6);
        writeln!(out, "{table}")
    }

    fn scaling(&self, out: &mut String, scaling: &Scaling) -> fmt::Result {
        writeln!(
            out,
            "\n{} {}",
            self.paint("Scaling:", "1"),
            t(&scaling.reason)
        )?;
        let mut table = self.new_table();
        table.set_header(
            [
                "Users", "Run", "req/s", "per user", "p50", "p95", "Error %", "Verdict",
            ]
            .iter()
            .map(Cell::new),
        );
        for step in &scaling.steps {
            let mut users = step.users.to_string();
            if scaling.saturated_at_users == Some(step.users) {
                users.push_str(" ← stops scaling");
            }
            table.add_row(vec![
                Cell::new(users),
                Cell::new(t(&step.source)),
                Cell::new(rate(step.rps)),
                Cell::new(format!("{:.0}%", step.efficiency * 100.0)),
                Cell::new(ms(step.p50)),
                Cell::new(ms(step.p95)),
                Cell::new(percent(step.error_rate)),
                Cell::new(step.verdict),
            ]);
        }
        align_right(&mut table, 2..7);
        writeln!(out, "{table}")
    }

    /// The server's rules, its key series and what was not read (`--prometheus`).
    fn server(&self, out: &mut String, reading: &ServerReading) -> fmt::Result {
        writeln!(out, "\n{}", self.paint(&server_view::heading(reading), "1"))?;
        let rules = server_view::rules(reading);
        if !rules.is_empty() {
            let mut t = self.new_table();
            t.set_header(["Server rule", "Value", "Limit", "Grade", "Status"]);
            for r in &rules {
                t.add_row(vec![
                    Cell::new(&r.name),
                    Cell::new(&r.value),
                    Cell::new(&r.limit),
                    Cell::new(&r.grade),
                    Cell::new(self.verdict_word(r.status)),
                ]);
            }
            align_right(&mut t, 1..2);
            writeln!(out, "{t}")?;
            for r in rules.iter().filter(|r| r.status != Status::Pass) {
                writeln!(out, "  {} {}", self.mark(r.status), r.reason)?;
            }
        }
        let (series, more) = server_view::series(reading);
        if !series.is_empty() {
            let mut t = self.new_table();
            t.set_header(["Series", "Labels", "Min", "Max", "Mean"]);
            for s in &series {
                t.add_row(vec![
                    Cell::new(&s.source),
                    Cell::new(&s.labels),
                    Cell::new(&s.min),
                    Cell::new(&s.max),
                    Cell::new(&s.mean),
                ]);
            }
            align_right(&mut t, 2..5);
            writeln!(out, "{t}")?;
            if more > 0 {
                writeln!(out, "  … and {more} more series (in the JSON report)")?;
            }
        }
        for n in server_view::notes(reading) {
            writeln!(out, "  {} {}", self.mark(n.status), n.text)?;
        }
        Ok(())
    }

    /// The server's figures against the baseline's (`--prometheus` with a baseline).
    fn server_baseline(&self, out: &mut String, c: &ServerComparison) -> fmt::Result {
        writeln!(
            out,
            "\n{}",
            self.paint(&server_view::baseline_heading(c), "1")
        )?;
        let rows = server_view::baseline_rows(c);
        if !rows.is_empty() {
            let mut t = self.new_table();
            t.set_header([
                "Server figure",
                "Baseline",
                "Now",
                "Change",
                "Noise",
                "Status",
            ]);
            for r in &rows {
                t.add_row(vec![
                    Cell::new(&r.label),
                    Cell::new(&r.baseline),
                    Cell::new(&r.current),
                    Cell::new(&r.change),
                    Cell::new(&r.noise),
                    Cell::new(self.verdict_word(r.status)),
                ]);
            }
            align_right(&mut t, 1..5);
            writeln!(out, "{t}")?;
            for r in rows.iter().filter(|r| r.status != Status::Pass) {
                writeln!(out, "  {} {}", self.mark(r.status), r.reason)?;
            }
        }
        for n in server_view::baseline_notes(c) {
            writeln!(out, "  {n}")?;
        }
        Ok(())
    }

    fn trends(&self, out: &mut String, item: &RunJudgement) -> fmt::Result {
        let flagged: Vec<_> = view::flagged_trends(item).collect();
        if flagged.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "\n{}",
            self.paint("Trends over the steady state:", "1;33")
        )?;
        for tr in flagged {
            writeln!(
                out,
                "  {} {} {}: {} ({:+.2}/min over {:.0} s)",
                self.mark(tr.status),
                t(&tr.scope),
                trend::metric_key(tr.metric),
                t(&tr.reason),
                tr.slope_per_min,
                tr.window_s
            )?;
        }
        Ok(())
    }

    fn failures(&self, out: &mut String, item: &RunJudgement) -> fmt::Result {
        let (shown, more) = view::top_failures(item);
        if shown.is_empty() {
            return Ok(());
        }
        writeln!(out, "\nTop failures:")?;
        for f in shown {
            let r = &f.record;
            let status = r.status_code.map_or(String::new(), |s| format!("[{s}] "));
            let tag = if f.expected {
                " (expected, not graded)"
            } else {
                ""
            };
            writeln!(
                out,
                "  {:>7} × {} {}{}{}",
                r.occurrences,
                t(&r.key),
                status,
                t(truncate(&r.message, 100)),
                tag
            )?;
        }
        if more > 0 {
            writeln!(out, "  … and {more} more kinds of failure")?;
        }
        Ok(())
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

    /// Laid out as `check`'s for every command; graded runs add the grades (`compare` judges
    /// regressions only, so it shows the figures alone).
    fn endpoint_table(&self, item: &RunJudgement) -> Table {
        let mut table = self.new_table();
        let graded = item.graded;
        let mut header = vec!["Type", "Name", "Requests", "Failures", "Error %"];
        header.extend(["req/s", "p50", "p95", "p99"]);
        // Percentile columns beyond the default eleven (`PERCENTILES_TO_REPORT`): every row of a
        // stats file has the same ones.
        let custom: Vec<String> = item
            .run
            .aggregated
            .custom_percentiles
            .iter()
            .map(|c| t(&c.label))
            .collect();
        header.extend(custom.iter().map(String::as_str));
        header.push("max");
        if graded {
            header.push("Grade");
        }
        table.set_header(header.iter().map(Cell::new));
        for (scope, grade) in view::scope_rows(item) {
            let s = &scope.stats;
            let mut failures = s.failures.to_string();
            if graded && scope.expected_failures > 0 {
                failures = format!("{} ({} exp.)", s.failures, scope.expected_failures);
            }
            let mut row = vec![
                Cell::new(t(&s.key.method)),
                Cell::new(t(&s.key.name)),
                Cell::new(s.requests),
                Cell::new(failures),
            ];
            row.push(Cell::new(percent(scope.error_rate)));
            row.extend([
                Cell::new(rate(s.rps)),
                Cell::new(ms(s.p50())),
                Cell::new(ms(s.percentiles.p95())),
                Cell::new(ms(s.percentiles.p99())),
            ]);
            row.extend(s.custom_percentiles.iter().map(|c| Cell::new(ms(c.ms))));
            row.push(Cell::new(ms(s.max())));
            if graded {
                row.push(self.grade_cell(grade));
            }
            table.add_row(row);
        }
        align_right(&mut table, 2..10 + custom.len());
        table
    }

    fn grade_cell(&self, grade: GradeCell) -> Cell {
        match grade {
            GradeCell::Skipped => Cell::new("skipped"),
            GradeCell::Ungraded => Cell::new("-"),
            GradeCell::Graded(g, _) if self.color => Cell::new(g.as_str()).fg(grade_color(g)),
            GradeCell::Graded(g, _) => Cell::new(g.as_str()),
        }
    }
}

fn align_right(table: &mut Table, columns: std::ops::Range<usize>) {
    for column in columns {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
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

impl Tables {
    /// `history`: a row per run, oldest first, the metrics each run broke the trend on.
    fn history(&self, report: &HistoryReport) -> Result<Vec<u8>> {
        let color = self.color;
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
                Cell::new(t(&run.source)),
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
            writeln!(
                out,
                "  ! run {} ({}): {}",
                b.run + 1,
                t(&b.source),
                t(&b.reason)
            )?;
        }
        for note in &report.notes {
            writeln!(out, "note: {}", t(note))?;
        }
        if let Some((run, reading)) = &report.server {
            writeln!(out, "\nThe newest run, {run}:")?;
            Tables { color }.server(&mut out, reading)?;
        }
        let broke: BTreeSet<usize> = report.breaks.iter().map(|b| b.run).collect();
        writeln!(
            out,
            "\n{} runs, {} broke the trend; verdict: {}{}",
            report.runs.len(),
            broke.len(),
            report.verdict.as_str().to_uppercase(),
            if report.verdict == Status::Fail && broke.contains(&(report.runs.len() - 1)) {
                " (the newest run broke the trend)"
            } else {
                ""
            }
        )?;
        Ok(out.into_bytes())
    }
}
