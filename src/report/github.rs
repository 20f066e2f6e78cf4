//! GitHub Actions: workflow-command annotations (`::error::`, `::warning::`) for what failed or
//! warned. The step summary is the Markdown report, appended by the caller.

use anyhow::Result;

use super::exporter::{Context, Exporter, Report};
use crate::analysis::regression::NO_BASELINE;
use crate::analysis::trend;
use crate::model::Status;

pub struct GithubAnnotations;

impl Exporter for GithubAnnotations {
    fn render(&self, report: Report, _: &Context) -> Result<Vec<u8>> {
        let report = report.judgement("GitHub annotations")?;
        let mut out = String::new();
        for item in &report.runs {
            let file = item.run.files.stats.display().to_string();
            if let Some(b) = item.baseline.as_ref().filter(|b| !b.comparison.compared()) {
                out.push_str(&format!(
                    "::notice file={},title=loadgate baseline::{}\n",
                    property(&file),
                    data(&format!("baseline '{}': {NO_BASELINE}", b.label))
                ));
            }
            let mut emit = |status: Status, title: &str, message: String| {
                let level = match status {
                    Status::Fail => "error",
                    Status::Warn => "warning",
                    Status::Pass => return,
                };
                out.push_str(&format!(
                    "::{level} file={},title={}::{}\n",
                    property(&file),
                    property(title),
                    data(&message)
                ));
            };
            for c in &item.checks {
                emit(c.status, "loadgate check", c.message());
            }
            if let Some(b) = &item.baseline {
                for e in &b.comparison.new_errors {
                    emit(e.status, "loadgate new error", e.reason.clone());
                }
                for d in &b.comparison.differences {
                    emit(d.status(), "loadgate baseline not alike", d.message.clone());
                }
                for s in &b.comparison.shifts {
                    emit(
                        s.status,
                        "loadgate run-wide shift",
                        format!("{} of {}: {}", s.title(), s.shift.metric, s.reason),
                    );
                }
                for r in &b.comparison.regressions {
                    emit(
                        r.status,
                        "loadgate regression",
                        format!("{} {}: {}", r.scope, r.metric, r.reason),
                    );
                }
            }
            for c in report.ab.iter().flat_map(|ab| &ab.changes) {
                emit(
                    c.status,
                    "loadgate A/B",
                    format!("{} {}: {}", c.scope, c.metric, c.reason),
                );
            }
            for s in &item.sustained {
                emit(s.status, "loadgate sustained", s.reason.clone());
            }
            if let Some(server) = &item.server {
                for r in &server.reading.rules {
                    emit(
                        r.status(),
                        "loadgate server rule",
                        format!("server rule {}: {}", r.rule.name, r.graded.reason),
                    );
                }
                for n in &server.reading.notes {
                    let subject = n
                        .subject
                        .as_ref()
                        .map_or(String::new(), |s| format!("{s}: "));
                    emit(
                        n.status,
                        "loadgate server not read",
                        format!("{subject}{}", n.message),
                    );
                }
                for f in server.comparison.iter().flat_map(|c| &c.figures) {
                    emit(f.status, "loadgate server regression", f.reason.clone());
                }
            }
            for t in &item.trends {
                emit(
                    t.status,
                    "loadgate trend",
                    format!("{} {}: {}", t.scope, trend::metric_key(t.metric), t.reason),
                );
            }
        }
        Ok(out.into_bytes())
    }
}

use super::untrusted::{workflow_data as data, workflow_property as property};
