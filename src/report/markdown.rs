//! Markdown for a pull-request comment or a GitHub step summary: the verdict first, then only what a
//! reviewer needs (the endpoint table, what failed or warned, regressions, trends, top failures).

use std::fmt::Write as _;

use anyhow::Result;

use super::{Exporter, Report, RunReport};
use crate::analysis::grade::Status;
use crate::analysis::regression::Direction;
use crate::analysis::status::status_in_message;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn render(&self, report: &Report) -> Result<Vec<u8>> {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## {} loadgate: {}\n",
            icon(report.verdict()),
            report.verdict().as_str().to_uppercase()
        );
        for item in &report.runs {
            render_run(&mut out, report, item);
        }
        Ok(out.into_bytes())
    }
}

fn icon(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
    }
}

/// Escapes what would break a table cell or start markup.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "\\`")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

fn ms(value: Option<f64>) -> String {
    match value {
        Some(v) if v >= 100.0 || v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => "N/A".to_string(),
    }
}

fn render_run(out: &mut String, report: &Report, item: &RunReport) {
    let run = &item.run;
    let mut facts = vec![format!("profile `{}`", report.profile.name)];
    facts.extend(super::run_facts(run));
    let _ = writeln!(
        out,
        "### {} `{}`: {}\n\n{}\n",
        icon(item.verdict()),
        cell(&run.files.prefix.display().to_string()),
        item.verdict().as_str(),
        facts.join(" · ")
    );
    let _ = writeln!(
        out,
        "| Endpoint | Requests | Errors | req/s | p50 | p95 | p99 | Grade |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|---|");
    let rows: Vec<_> = match &item.assessment {
        Some(a) => a
            .endpoints
            .iter()
            .chain(std::iter::once(&a.aggregated))
            .map(|s| {
                let grade = match (s.skipped, s.grade) {
                    (true, _) => "skipped".to_string(),
                    (false, Some(g)) => format!("{} {}", icon(s.status), g),
                    (false, None) => "-".to_string(),
                };
                (&s.stats, s.error_rate, grade)
            })
            .collect(),
        None => run
            .endpoints
            .iter()
            .chain(std::iter::once(&run.aggregated))
            .map(|s| (s, s.error_rate(), "-".to_string()))
            .collect(),
    };
    for (stats, error_rate, grade) in rows {
        let name = if stats.key.method.is_empty() {
            format!("**{}**", cell(&stats.key.name))
        } else {
            format!("`{}` {}", stats.key.method, cell(&stats.key.name))
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {:.2}% | {:.1} | {} | {} | {} | {grade} |",
            stats.requests,
            error_rate * 100.0,
            stats.rps,
            ms(stats.p50()),
            ms(stats.percentiles.p95()),
            ms(stats.percentiles.p99())
        );
    }
    out.push('\n');

    if let Some(a) = &item.assessment {
        let flagged: Vec<_> = a
            .checks
            .iter()
            .filter(|c| c.status != Status::Pass)
            .collect();
        if !flagged.is_empty() {
            let _ = writeln!(out, "**Checks**\n");
            for c in flagged {
                let _ = writeln!(out, "- {} {}", icon(c.status), cell(&c.message()));
            }
            out.push('\n');
        }
    }
    if let Some(b) = &item.baseline {
        let c = &b.comparison;
        let _ = writeln!(
            out,
            "**Against baseline `{}`** ({} run(s))\n",
            cell(&b.label),
            c.baseline_runs
        );
        let notable: Vec<_> = c
            .regressions
            .iter()
            .filter(|r| r.status != Status::Pass || r.direction == Direction::Improved)
            .collect();
        if notable.is_empty() {
            let _ = writeln!(out, "No change past the limits.\n");
        } else {
            let _ = writeln!(out, "| Scope | Metric | Baseline | Current | Change | |");
            let _ = writeln!(out, "|---|---|--:|--:|--:|---|");
            for r in notable {
                let (base, cur, change) = if r.metric == "error_rate" {
                    (
                        format!("{:.2}%", r.baseline * 100.0),
                        format!("{:.2}%", r.current * 100.0),
                        format!("{:+.2} pt", r.change * 100.0),
                    )
                } else {
                    (
                        format!("{:.1}", r.baseline),
                        format!("{:.1}", r.current),
                        r.change_pct
                            .map_or("-".to_string(), |p| format!("{p:+.1}%")),
                    )
                };
                let mark = if r.direction == Direction::Improved {
                    "✅ improved"
                } else {
                    icon(r.status)
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {base} | {cur} | {change} | {mark} |",
                    cell(&r.scope),
                    r.metric
                );
            }
            out.push('\n');
        }
        if !c.new_endpoints.is_empty() {
            let _ = writeln!(
                out,
                "New endpoints: {}\n",
                cell(&c.new_endpoints.join(", "))
            );
        }
        if !c.vanished_endpoints.is_empty() {
            let _ = writeln!(
                out,
                "Vanished endpoints: {}\n",
                cell(&c.vanished_endpoints.join(", "))
            );
        }
    }
    let trends: Vec<_> = item
        .trends
        .iter()
        .filter(|t| t.status != Status::Pass)
        .collect();
    if !trends.is_empty() {
        let _ = writeln!(out, "**Trends**\n");
        for t in trends {
            let _ = writeln!(
                out,
                "- {} {} {}: {}",
                icon(t.status),
                cell(&t.scope),
                t.metric,
                cell(&t.reason)
            );
        }
        out.push('\n');
    }
    if let Some(c) = item.capacity.as_ref().filter(|c| c.applicable) {
        let _ = writeln!(out, "**Capacity**: {}\n", cell(&c.reason));
        let _ = writeln!(out, "| Users | req/s | avg ms | p95 ms | Errors |");
        let _ = writeln!(out, "|--:|--:|--:|--:|--:|");
        for step in &c.steps {
            let _ = writeln!(
                out,
                "| {}{} | {:.1} | {} | {} | {:.2}% |",
                step.users,
                if c.knee_users == Some(step.users) {
                    " (knee)"
                } else {
                    ""
                },
                step.rps,
                ms(step.avg),
                ms(step.p95),
                step.error_rate * 100.0
            );
        }
        out.push('\n');
    }
    if !item.findings.is_empty() {
        let _ = writeln!(out, "**Findings**\n");
        for f in &item.findings {
            let _ = writeln!(
                out,
                "- **{}** ({}): {}. {}",
                f.kind,
                cell(&f.scope),
                cell(&f.evidence),
                cell(&f.advice)
            );
        }
        out.push('\n');
    }
    let mut failures: Vec<_> = run.failures.iter().collect();
    if !failures.is_empty() {
        failures.sort_by_key(|f| std::cmp::Reverse(f.occurrences));
        let _ = writeln!(out, "<details><summary>Top failures</summary>\n");
        let _ = writeln!(out, "| Count | Endpoint | Status | Message |");
        let _ = writeln!(out, "|--:|---|---|---|");
        for f in failures.iter().take(5) {
            let expected = report.profile.expects(f);
            let message: String = f.message.chars().take(120).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {}{} | {} |",
                f.occurrences,
                cell(&f.key.to_string()),
                status_in_message(&f.message).map_or("-".to_string(), |s| s.to_string()),
                if expected { " (expected)" } else { "" },
                cell(&message)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
}
