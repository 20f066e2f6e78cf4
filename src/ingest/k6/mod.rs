//! k6's results: the per-request outputs `--out csv` and `--out json` (every metric sample, one a
//! row or line; gzipped when k6 was given a `.gz` name), and the end-of-test summaries
//! (`--summary-export`, the data `handleSummary` receives) where only aggregates exist.
//! `docs/input-formats.md` says what maps to what.

mod points;
mod summary;

pub use points::{read_csv, read_json};
pub use summary::read as read_summary;

use std::collections::HashMap;

use crate::ingest::samples::{Failure, Rule, Sample, Samples};
use crate::model::{EndpointKey, ToolCheck, ToolGroup, ToolThreshold, ToolVerdicts};

/// The tags of one sample, as k6 writes them (a CSV's tag columns, a JSON line's `tags`).
pub trait Tags {
    fn tag(&self, name: &str) -> Option<&str>;
}

/// A request waiting for the `http_req_failed` sample k6 writes after its `http_req_duration`.
struct Pending {
    key: EndpointKey,
    time_ms: i64,
    duration_ms: f64,
    /// From the `expected_response` tag, else the status and error code.
    failed_by_tags: bool,
    /// From `http_req_failed`, when it follows.
    failed: Option<bool>,
    failure: Failure,
}

/// Gathers a k6 output's samples as they are read.
pub struct Collector {
    samples: Samples,
    pending: Option<Pending>,
    http_reqs: f64,
    checks: Vec<ToolCheck>,
    check_index: HashMap<(String, String), usize>,
    groups: Vec<(String, Vec<f32>)>,
    group_index: HashMap<String, usize>,
    thresholds: Vec<ToolThreshold>,
}

impl Collector {
    pub fn new() -> Self {
        Collector {
            samples: Samples::new(Rule::K6),
            pending: None,
            http_reqs: 0.0,
            checks: Vec::new(),
            check_index: HashMap::new(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            thresholds: Vec::new(),
        }
    }

    /// One metric sample. Errs (for the reader to place) past the endpoint limit.
    pub fn point(
        &mut self,
        metric: &str,
        time_ms: i64,
        value: f64,
        tags: &dyn Tags,
    ) -> Result<(), String> {
        match metric {
            "http_req_duration" => {
                self.flush()?;
                let tag = |n| tags.tag(n).filter(|v| !v.is_empty());
                let method = tag("method").unwrap_or("");
                let name = tag("name").or(tag("url")).unwrap_or("(unnamed)");
                let status = tag("status").and_then(|s| s.parse::<u16>().ok());
                let error = tag("error");
                let error_code = tag("error_code");
                let failed_by_tags = match tag("expected_response") {
                    Some(expected) => expected != "true",
                    None => status.is_some_and(|s| s == 0 || s >= 400) || error_code.is_some(),
                };
                let message = match (error, error_code, status) {
                    (Some(e), Some(code), _) => format!("{e} (k6 error_code {code})"),
                    (Some(e), None, _) => e.to_string(),
                    (None, Some(code), Some(s)) if s > 0 => {
                        format!("HTTP {s} (k6 error_code {code})")
                    }
                    (None, Some(code), _) => format!("k6 error_code {code}"),
                    (None, None, Some(s)) if s > 0 => format!("HTTP {s}"),
                    _ => "failed (http_req_failed)".to_string(),
                };
                self.pending = Some(Pending {
                    key: EndpointKey::new(method, name),
                    time_ms,
                    duration_ms: value,
                    failed_by_tags,
                    failed: None,
                    failure: Failure {
                        message,
                        status: status.filter(|s| (100..=599).contains(s)),
                    },
                });
            }
            "http_req_failed" => {
                if let Some(p) = self.pending.as_mut().filter(|p| p.time_ms == time_ms) {
                    p.failed = Some(value != 0.0);
                }
            }
            "http_reqs" => self.http_reqs += value,
            "vus" => self.samples.users_at(time_ms, value.max(0.0) as u64),
            "checks" => {
                let name = tags.tag("check").unwrap_or("").to_string();
                let group = tags.tag("group").unwrap_or("").to_string();
                let slot = (group.clone(), name.clone());
                let i = *self.check_index.entry(slot).or_insert_with(|| {
                    self.checks.push(ToolCheck {
                        name,
                        group,
                        passes: 0,
                        fails: 0,
                    });
                    self.checks.len() - 1
                });
                if value != 0.0 {
                    self.checks[i].passes += 1;
                } else {
                    self.checks[i].fails += 1;
                }
            }
            "group_duration" => {
                let path = tags.tag("group").unwrap_or("").to_string();
                let i = *self.group_index.entry(path.clone()).or_insert_with(|| {
                    self.groups.push((path, Vec::new()));
                    self.groups.len() - 1
                });
                self.groups[i].1.push(value as f32);
            }
            _ => {}
        }
        Ok(())
    }

    /// A threshold named on a metric (`--out json`'s Metric lines; k6 writes no outcome there).
    pub fn threshold(&mut self, metric: &str, expression: &str) {
        let known = self
            .thresholds
            .iter()
            .any(|t| t.metric == metric && t.expression == expression);
        if !known {
            self.thresholds.push(ToolThreshold {
                metric: metric.to_string(),
                expression: expression.to_string(),
                ok: None,
            });
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        if let Some(p) = self.pending.take() {
            let failed = p.failed.unwrap_or(p.failed_by_tags);
            self.samples.add(
                &p.key,
                Sample {
                    time_ms: p.time_ms,
                    elapsed_ms: p.duration_ms,
                    failed,
                    bytes: None,
                    users: None,
                },
                failed.then_some(p.failure),
            )?;
        }
        Ok(())
    }

    /// The samples, k6's own request count (`http_reqs`), and its checks, thresholds and groups.
    pub fn finish(mut self) -> Result<(Samples, f64, ToolVerdicts), String> {
        self.flush()?;
        let groups = self
            .groups
            .into_iter()
            .map(|(path, mut values)| {
                values.sort_unstable_by(f32::total_cmp);
                let count = values.len() as u64;
                let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
                ToolGroup {
                    path,
                    count,
                    avg_ms: (count > 0).then(|| sum / count as f64),
                    p95_ms: (count > 0).then(|| Rule::K6.percentile(&values, 0.95)),
                    max_ms: values.last().map(|&v| f64::from(v)),
                }
            })
            .collect();
        Ok((
            self.samples,
            self.http_reqs,
            ToolVerdicts {
                checks: self.checks,
                thresholds: self.thresholds,
                groups,
            },
        ))
    }
}

/// The note a per-request run carries: where its figures come from, and k6's own request count
/// when it differs from the requests read.
fn notes(requests: u64, http_reqs: f64, verdicts: &ToolVerdicts) -> Vec<String> {
    let mut notes = Vec::new();
    if http_reqs > 0.0 && (http_reqs - requests as f64).abs() > 0.5 {
        notes.push(format!(
            "k6 counted {http_reqs} http_reqs but the file holds {requests} http_req_duration samples (a file cut short?)"
        ));
    }
    if !verdicts.checks.is_empty() {
        let fails: u64 = verdicts.checks.iter().map(|c| c.fails).sum();
        notes.push(format!(
            "{} k6 check(s) kept ({} failed check evaluations)",
            verdicts.checks.len(),
            fails
        ));
    }
    notes
}
