//! Markdown for a pull-request comment or a GitHub step summary: the verdict first, then only what a
//! reviewer needs (the endpoint table, what failed or warned, regressions, trends, top failures).
//! Everything read from a result file is escaped: it may hold markup.

use std::fmt::{self, Write as _};

use anyhow::Result;

use super::exporter::{Context, Exporter, Report};
use super::history::{whole_ms, HistoryReport};
use super::server_view;
use super::units::{ms, percent, rate};
use super::view::{self, GradeCell};
use crate::analysis::paired::AbComparison;
use crate::analysis::regression::{Comparison, Direction, NO_BASELINE};
use crate::analysis::server_baseline::ServerComparison;
use crate::analysis::trend;
use crate::analysis::{Judgement, RunJudgement};
use crate::model::{Metric, Status};
use crate::server::ServerReading;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn render(&self, report: Report, _: &Context) -> Result<Vec<u8>> {
        if let Report::History(archive) = report {
            return Ok(history(archive)?.into_bytes());
        }
        let judgement = report.judgement("Markdown")?;
        let mut out = String::new();
        writeln!(
            out,
            "## {} loadgate: {}\n",
            icon(judgement.verdict),
            judgement.verdict.as_str().to_uppercase()
        )?;
        if let Some(ab) = &judgement.ab {
            ab_section(&mut out, ab)?;
        }
        for item in &judgement.runs {
            run(&mut out, judgement, item)?;
        }
        if let Some(scaling) = &judgement.scaling {
            writeln!(out, "### Scaling\n\n{}\n", cell(&scaling.reason))?;
            writeln!(
                out,
                "| Users | Run | req/s | per user | p50 | p95 | Errors | |"
            )?;
            writeln!(out, "|--:|---|--:|--:|--:|--:|--:|---|")?;
            for s in &scaling.steps {
                writeln!(
                    out,
                    "| {} | `{}` | {} | {:.0}% | {} | {} | {}% | {} |",
                    s.users,
                    cell(&s.source),
                    rate(s.rps),
                    s.efficiency * 100.0,
                    ms(s.p50),
                    ms(s.p95),
                    percent(s.error_rate),
                    icon(s.verdict)
                )?;
            }
            out.push('\n');
        }
        Ok(out.into_bytes())
    }
}

/// A/B first in a pull-request comment: A and B side by side per scope and figure.
fn ab_section(out: &mut String, ab: &AbComparison) -> fmt::Result {
    writeln!(
        out,
        "### {} A/B: B `{}` against A `{}`\n\n{}\n",
        icon(ab.verdict),
        cell(&ab.b_label),
        cell(&ab.a_label),
        cell(&view::ab_sentence(ab))
    )?;
    writeln!(out, "| Scope | Metric | A | B | Change | Interval | |")?;
    writeln!(out, "|---|---|--:|--:|--:|--:|---|")?;
    for c in &ab.changes {
        let (a, b, change, interval) = if c.metric == Metric::ErrorRate {
            (
                format!("{}%", percent(c.a)),
                format!("{}%", percent(c.b)),
                format!("{:+.2} pt", c.change * 100.0),
                format!(
                    "{:+.2} .. {:+.2} pt",
                    c.interval.0 * 100.0,
                    c.interval.1 * 100.0
                ),
            )
        } else {
            (
                format!("{:.1}", c.a),
                format!("{:.1}", c.b),
                format!("{:+.1}%", c.change * 100.0),
                format!(
                    "{:+.1} .. {:+.1}%",
                    c.interval.0 * 100.0,
                    c.interval.1 * 100.0
                ),
            )
        };
        writeln!(
            out,
            "| {} | {} | {a} | {b} | {change} | {interval} | {} |",
            cell(&c.scope.to_string()),
            c.metric,
            icon(c.status)
        )?;
    }
    out.push('\n');
    let flagged: Vec<_> = view::flagged_ab(ab).collect();
    for c in flagged {
        writeln!(
            out,
            "- {} {} {}: {}",
            icon(c.status),
            cell(&c.scope.to_string()),
            c.metric,
            cell(&c.reason)
        )?;
    }
    writeln!(out, "\n<sub>{}</sub>\n", cell(&ab.method))
}

/// An archive of runs (`history --markdown`): the verdict, a row per run with the metrics that
/// broke the trend, why each broke it, the notes, and the newest run's server section as `check`
/// shows it.
fn history(report: &HistoryReport) -> Result<String, fmt::Error> {
    let mut out = String::new();
    writeln!(
        out,
        "## {} loadgate history: {}\n",
        icon(report.verdict),
        report.verdict.as_str().to_uppercase()
    )?;
    writeln!(
        out,
        "| # | Run | Started (UTC) | Users | Requests | req/s | Error % | p50 | p95 | p99 | Broke the trend |"
    )?;
    writeln!(out, "|--:|---|---|--:|--:|--:|--:|--:|--:|--:|---|")?;
    let whole = |v: Option<f64>| cell(&whole_ms(v));
    for (i, run) in report.runs.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            cell(&run.source),
            report.started_label(i),
            run.peak_users.map_or("-".to_string(), |u| u.to_string()),
            run.requests,
            rate(run.rps),
            percent(run.error_rate),
            whole(run.p50),
            whole(run.p95),
            whole(run.p99),
            report.broke(i).join(", ")
        )?;
    }
    out.push('\n');
    for b in &report.breaks {
        writeln!(
            out,
            "- {} run {} ({}): {}",
            icon(Status::Fail),
            b.run + 1,
            cell(&b.source),
            cell(&b.reason)
        )?;
    }
    for note in &report.notes {
        writeln!(out, "> {}\n", cell(note))?;
    }
    if let Some((run, reading)) = &report.server {
        writeln!(out, "\nThe newest run, {}:\n", cell(run))?;
        server_section(&mut out, reading)?;
    }
    Ok(out)
}

fn icon(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
    }
}

/// Escapes what would break a table cell or start markup ([`super::untrusted::markdown`]).
pub fn cell(text: &str) -> String {
    super::untrusted::markdown(text)
}

fn run(out: &mut String, judgement: &Judgement, item: &RunJudgement) -> fmt::Result {
    let run = &item.run;
    let mut facts = vec![format!("profile `{}`", cell(&judgement.profile.name))];
    facts.extend(view::run_facts(run).iter().map(|f| cell(f)));
    writeln!(
        out,
        "### {} `{}`: {}\n\n{}\n",
        icon(item.verdict),
        cell(&run.files.prefix.display().to_string()),
        item.verdict.as_str(),
        facts.join(" · ")
    )?;
    endpoints(out, item)?;
    let flagged: Vec<_> = item
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .collect();
    if !flagged.is_empty() {
        writeln!(out, "**Checks**\n")?;
        for c in flagged {
            writeln!(out, "- {} {}", icon(c.status), cell(&c.message()))?;
        }
        out.push('\n');
    }
    if let Some((heading, lines)) = view::tool_verdicts(run) {
        writeln!(out, "**{}**\n", cell(&heading))?;
        for (outcome, line) in lines {
            let mark = match outcome {
                view::ToolOutcome::Held => "✅",
                view::ToolOutcome::Crossed => "❌",
                view::ToolOutcome::Unknown => "❔",
            };
            writeln!(out, "- {mark} {}", cell(&line))?;
        }
        out.push('\n');
    }
    if let Some(b) = &item.baseline {
        comparison(out, &b.label, &b.comparison)?;
    }
    let trends: Vec<_> = view::flagged_trends(item).collect();
    if !trends.is_empty() {
        writeln!(out, "**Trends**\n")?;
        for t in trends {
            writeln!(
                out,
                "- {} {} {}: {}",
                icon(t.status),
                cell(&t.scope.to_string()),
                trend::metric_key(t.metric),
                cell(&t.reason)
            )?;
        }
        out.push('\n');
    }
    let sustained: Vec<_> = item
        .sustained
        .iter()
        .filter(|s| s.status != Status::Pass)
        .collect();
    if !sustained.is_empty() {
        writeln!(out, "**Sustained**\n")?;
        for s in sustained {
            writeln!(out, "- {} {}", icon(s.status), cell(&s.reason))?;
        }
        out.push('\n');
    }
    if let Some(c) = item.capacity.as_ref().filter(|c| c.applicable) {
        writeln!(out, "**Capacity**: {}\n", cell(&c.reason))?;
        writeln!(out, "| Users | req/s | avg ms | p95 ms | Errors |")?;
        writeln!(out, "|--:|--:|--:|--:|--:|")?;
        for step in &c.steps {
            let knee = if c.knee_users == Some(step.users) {
                " (knee)"
            } else {
                ""
            };
            writeln!(
                out,
                "| {}{knee} | {} | {} | {} | {}% |",
                step.users,
                rate(step.rps),
                ms(step.avg),
                ms(step.p95),
                percent(step.error_rate)
            )?;
        }
        out.push('\n');
    }
    if let Some(server) = &item.server {
        server_section(out, &server.reading)?;
        if let Some(c) = &server.comparison {
            server_baseline(out, c)?;
        }
    }
    if !item.findings.is_empty() {
        writeln!(out, "**Findings**\n")?;
        for f in &item.findings {
            writeln!(
                out,
                "- **{}** ({}): {}. {}",
                f.kind,
                cell(&f.scope.to_string()),
                cell(&f.evidence),
                cell(&f.advice)
            )?;
        }
        out.push('\n');
    }
    // What the reader should know that is not a check (trends not judged, a missing metric).
    for note in &item.notes {
        writeln!(out, "> {}\n", cell(note))?;
    }
    failures(out, item)
}

/// The server's rules, its key series and what was not read (`--prometheus`).
fn server_section(out: &mut String, reading: &ServerReading) -> fmt::Result {
    writeln!(out, "**{}**\n", cell(&server_view::heading(reading)))?;
    let rules = server_view::rules(reading);
    if !rules.is_empty() {
        writeln!(out, "| | Server rule | Value | Limit | Grade |")?;
        writeln!(out, "|---|---|--:|---|---|")?;
        for r in &rules {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                icon(r.status),
                cell(&r.name),
                cell(&r.value),
                cell(&r.limit),
                cell(&r.grade)
            )?;
        }
        out.push('\n');
    }
    let (series, more) = server_view::series(reading);
    if !series.is_empty() {
        writeln!(out, "| Series | Labels | Min | Max | Mean |")?;
        writeln!(out, "|---|---|--:|--:|--:|")?;
        for s in &series {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&s.source),
                cell(&s.labels),
                cell(&s.min),
                cell(&s.max),
                cell(&s.mean)
            )?;
        }
        if more > 0 {
            writeln!(out, "\n… and {more} more series (in the JSON report)")?;
        }
        out.push('\n');
    }
    for n in server_view::notes(reading) {
        writeln!(out, "- {} {}", icon(n.status), cell(&n.text))?;
    }
    out.push('\n');
    Ok(())
}

/// The server's figures against the baseline's (`--prometheus` with a baseline).
fn server_baseline(out: &mut String, c: &ServerComparison) -> fmt::Result {
    writeln!(out, "**{}**\n", cell(&server_view::baseline_heading(c)))?;
    let rows = server_view::baseline_rows(c);
    if !rows.is_empty() {
        writeln!(out, "| | Server figure | Baseline | Now | Change | Noise |")?;
        writeln!(out, "|---|---|--:|--:|--:|--:|")?;
        for r in &rows {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                icon(r.status),
                cell(&r.label),
                cell(&r.baseline),
                cell(&r.current),
                cell(&r.change),
                cell(&r.noise)
            )?;
        }
        out.push('\n');
        for r in rows.iter().filter(|r| r.status != Status::Pass) {
            writeln!(out, "- {} {}", icon(r.status), cell(&r.reason))?;
        }
    }
    for n in server_view::baseline_notes(c) {
        writeln!(out, "> {}\n", cell(&n))?;
    }
    out.push('\n');
    Ok(())
}

fn endpoints(out: &mut String, item: &RunJudgement) -> fmt::Result {
    // Percentile columns beyond the default eleven (`PERCENTILES_TO_REPORT`), after p99.
    let custom = &item.run.aggregated.custom_percentiles;
    let custom_header: String = custom
        .iter()
        .map(|c| format!(" {} |", cell(&c.label)))
        .collect();
    writeln!(
        out,
        "| Endpoint | Requests | Errors | req/s | p50 | p95 | p99 |{custom_header} Grade |"
    )?;
    writeln!(
        out,
        "|---|--:|--:|--:|--:|--:|--:|{}---|",
        "--:|".repeat(custom.len())
    )?;
    for (scope, grade) in view::scope_rows(item) {
        let stats = &scope.stats;
        let name = if stats.key.method.is_empty() {
            format!("**{}**", cell(&stats.key.name))
        } else {
            format!("`{}` {}", cell(&stats.key.method), cell(&stats.key.name))
        };
        let grade = match grade {
            GradeCell::Skipped => "skipped".to_string(),
            GradeCell::Ungraded => "-".to_string(),
            GradeCell::Graded(g, status) => format!("{} {g}", icon(status)),
        };
        let custom_cells: String = stats
            .custom_percentiles
            .iter()
            .map(|c| format!(" {} |", ms(c.ms)))
            .collect();
        writeln!(
            out,
            "| {name} | {} | {}% | {} | {} | {} | {} |{custom_cells} {grade} |",
            stats.requests,
            percent(scope.error_rate),
            rate(stats.rps),
            ms(stats.p50()),
            ms(stats.percentiles.p95()),
            ms(stats.percentiles.p99())
        )?;
    }
    out.push('\n');
    Ok(())
}

fn comparison(out: &mut String, label: &str, c: &Comparison) -> fmt::Result {
    if !c.compared() {
        return writeln!(
            out,
            "**Baseline `{}`**: {}\n",
            cell(label),
            cell(NO_BASELINE)
        );
    }
    writeln!(
        out,
        "**Against baseline `{}`** ({} run(s))\n",
        cell(label),
        c.baseline_runs
    )?;
    for d in &c.differences {
        writeln!(
            out,
            "{} **Not alike**: {}\n",
            icon(d.status()),
            cell(&d.message)
        )?;
    }
    for e in &c.new_errors {
        writeln!(
            out,
            "{} **New error**: {}\n",
            icon(e.status),
            cell(&e.reason)
        )?;
    }
    for s in &c.shifts {
        writeln!(
            out,
            "{} **Run-wide shift** of {} ({:+.0} ms, {:.1}x): {}\n",
            icon(s.status),
            s.shift.metric,
            s.shift.ms,
            s.shift.factor,
            cell(&s.reason)
        )?;
    }
    let notable: Vec<_> = view::notable_regressions(c).collect();
    if notable.is_empty() {
        writeln!(out, "No change past the limits.\n")?;
    } else {
        writeln!(out, "| Scope | Metric | Baseline | Current | Change | |")?;
        writeln!(out, "|---|---|--:|--:|--:|---|")?;
        for r in notable {
            let (base, cur, change) = view::regression_sides(r);
            let mark = if r.direction == Direction::Improved {
                "✅ improved"
            } else {
                icon(r.status)
            };
            writeln!(
                out,
                "| {} | {} | {base} | {cur} | {change} | {mark} |",
                cell(&r.scope.to_string()),
                r.metric
            )?;
        }
        out.push('\n');
    }
    if !c.new_endpoints.is_empty() {
        writeln!(
            out,
            "New endpoints: {}\n",
            cell(&c.new_endpoints.join(", "))
        )?;
    }
    if !c.vanished_endpoints.is_empty() {
        writeln!(
            out,
            "Vanished endpoints: {}\n",
            cell(&c.vanished_endpoints.join(", "))
        )?;
    }
    for note in &c.notes {
        writeln!(out, "> {}\n", cell(note))?;
    }
    Ok(())
}

fn failures(out: &mut String, item: &RunJudgement) -> fmt::Result {
    let (shown, _) = view::top_failures(item);
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(out, "<details><summary>Top failures</summary>\n")?;
    writeln!(out, "| Count | Endpoint | Status | Message |")?;
    writeln!(out, "|--:|---|---|---|")?;
    for f in shown {
        let r = &f.record;
        let message: String = r.message.chars().take(120).collect();
        writeln!(
            out,
            "| {} | {} | {}{} | {} |",
            r.occurrences,
            cell(&r.key.to_string()),
            r.status_code.map_or("-".to_string(), |s| s.to_string()),
            if f.expected { " (expected)" } else { "" },
            cell(&message)
        )?;
    }
    writeln!(out, "\n</details>\n")
}
