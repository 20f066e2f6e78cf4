//! JUnit XML: one testcase per check, server rule, regression and trend, a `<failure>` for each that failed the
//! gate, so that CI test reporters show the gate next to the unit tests.

use std::fmt::Write as _;

use anyhow::Result;

use super::exporter::{Context, Exporter, Report};
use crate::analysis::paired::AbComparison;
use crate::analysis::regression::NO_BASELINE;
use crate::analysis::trend;
use crate::analysis::RunJudgement;
use crate::model::Status;

pub struct JunitExporter;

struct Case {
    class: String,
    name: String,
    status: Status,
    message: String,
}

impl Exporter for JunitExporter {
    fn render(&self, report: Report, _: &Context) -> Result<Vec<u8>> {
        let report = report.judgement("JUnit XML")?;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let mut suites: Vec<(String, Vec<Case>, Option<String>)> = report
            .runs
            .iter()
            .map(|item| {
                (
                    item.run.files.prefix.display().to_string(),
                    cases(item),
                    missing_baseline(item),
                )
            })
            .collect();
        if let Some(ab) = &report.ab {
            suites.push((
                format!("B {} against A {}", ab.b_label, ab.a_label),
                ab_cases(ab),
                None,
            ));
        }
        // A missing baseline is one skipped testcase more.
        let total: usize = suites
            .iter()
            .map(|(_, c, m)| c.len() + usize::from(m.is_some()))
            .sum();
        let failed: usize = suites
            .iter()
            .map(|(_, c, _)| c.iter().filter(|c| c.status == Status::Fail).count())
            .sum();
        writeln!(
            out,
            "<testsuites name=\"loadgate\" tests=\"{total}\" failures=\"{failed}\">"
        )?;
        for (run, cases, missing) in &suites {
            let failures = cases.iter().filter(|c| c.status == Status::Fail).count();
            writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{}\">",
                xml(&format!("loadgate {} ({})", report.command, run)),
                cases.len() + usize::from(missing.is_some()),
                usize::from(missing.is_some())
            )?;
            if let Some(label) = missing {
                writeln!(
                    out,
                    "    <testcase classname=\"baseline\" name=\"{}\">\n      <skipped message=\"{}\" />\n    </testcase>",
                    xml(label),
                    xml(NO_BASELINE)
                )?;
            }
            for case in cases {
                write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(&case.class),
                    xml(&case.name)
                )?;
                match case.status {
                    Status::Fail => {
                        writeln!(
                            out,
                            ">\n      <failure message=\"{}\" type=\"gate\">{}</failure>\n    </testcase>",
                            xml(&case.message),
                            xml(&case.message)
                        )?;
                    }
                    Status::Warn => {
                        writeln!(
                            out,
                            ">\n      <system-out>warning: {}</system-out>\n    </testcase>",
                            xml(&case.message)
                        )?;
                    }
                    Status::Pass => out.push_str(" />\n"),
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        Ok(out.into_bytes())
    }
}

/// The label of the run's baseline when it does not exist yet (nothing was compared).
fn missing_baseline(item: &RunJudgement) -> Option<String> {
    let b = item.baseline.as_ref()?;
    (!b.comparison.compared()).then(|| b.label.clone())
}

/// One testcase per scope and figure of an A/B run.
fn ab_cases(ab: &AbComparison) -> Vec<Case> {
    ab.changes
        .iter()
        .map(|c| Case {
            class: format!("ab.{}", c.scope),
            name: c.metric.to_string(),
            status: c.status,
            message: format!("{} {}: {}", c.scope, c.metric, c.reason),
        })
        .collect()
}

fn cases(item: &RunJudgement) -> Vec<Case> {
    let checks = item.checks.iter().map(|c| Case {
        class: format!("check.{}", c.scope),
        name: c.metric.key().to_string(),
        status: c.status,
        message: c.message(),
    });
    let regressions = item
        .baseline
        .iter()
        .flat_map(|b| &b.comparison.regressions)
        .map(|r| Case {
            class: format!("regression.{}", r.scope),
            name: r.metric.key().to_string(),
            status: r.status,
            message: format!("{} {}: {}", r.scope, r.metric, r.reason),
        });
    let shifts = item
        .baseline
        .iter()
        .flat_map(|b| &b.comparison.shifts)
        .map(|s| Case {
            class: "regression.run-wide".to_string(),
            name: s.shift.metric.key().to_string(),
            status: s.status,
            message: format!("{} of {}: {}", s.title(), s.shift.metric, s.reason),
        });
    let differences = item
        .baseline
        .iter()
        .flat_map(|b| &b.comparison.differences)
        .map(|d| Case {
            class: "baseline.comparability".to_string(),
            name: d.field.to_string(),
            status: d.status(),
            message: d.message.clone(),
        });
    let new_errors = item
        .baseline
        .iter()
        .flat_map(|b| &b.comparison.new_errors)
        .map(|e| Case {
            class: "baseline.new_errors".to_string(),
            name: e.current.label(),
            status: e.status,
            message: e.reason.clone(),
        });
    let sustained = item.sustained.iter().map(|s| Case {
        class: format!("sustained.{}", s.scope),
        name: s.metric.key().to_string(),
        status: s.status,
        message: s.reason.clone(),
    });
    let trends = item.trends.iter().map(|t| {
        let metric = trend::metric_key(t.metric);
        Case {
            class: format!("trend.{}", t.scope),
            name: metric.to_string(),
            status: t.status,
            message: format!("{} {metric}: {}", t.scope, t.reason),
        }
    });
    // The server's rules, and what could not be read from it (a warning each).
    let server = item.server.iter().flat_map(|s| {
        let rules = s.reading.rules.iter().map(|r| Case {
            class: "server".to_string(),
            name: r.rule.name.clone(),
            status: r.status(),
            message: format!("server rule {}: {}", r.rule.name, r.graded.reason),
        });
        let notes = s.reading.notes.iter().map(|n| Case {
            class: "server.not_read".to_string(),
            name: n
                .subject
                .clone()
                .unwrap_or_else(|| s.reading.source.clone()),
            status: n.status,
            message: n.message.clone(),
        });
        let figures = s.comparison.iter().flat_map(|c| &c.figures).map(|f| Case {
            class: "server.baseline".to_string(),
            name: f.figure.label(),
            status: f.status,
            message: f.reason.clone(),
        });
        rules.chain(notes).chain(figures)
    });
    // k6's own thresholds and checks: shown, never a failure (loadgate's verdict is the gate).
    let tool = crate::report::view::tool_verdicts(&item.run)
        .map(|(_, lines)| lines)
        .unwrap_or_default()
        .into_iter()
        // A threshold whose outcome the file does not hold is no testcase: it neither held nor not.
        .filter(|(outcome, _)| *outcome != crate::report::view::ToolOutcome::Unknown)
        .map(|(outcome, line)| Case {
            class: format!("{}.own", crate::report::view::tool_name(&item.run)),
            name: line.clone(),
            status: match outcome {
                crate::report::view::ToolOutcome::Crossed => Status::Warn,
                _ => Status::Pass,
            },
            message: line,
        });
    checks
        .chain(tool)
        .chain(server)
        .chain(regressions)
        .chain(shifts)
        .chain(differences)
        .chain(new_errors)
        .chain(sustained)
        .chain(trends)
        .collect()
}

/// Escapes text for an XML attribute or element, dropping characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
