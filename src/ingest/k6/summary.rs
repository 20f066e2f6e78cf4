//! k6's end-of-test summary as JSON: `--summary-export` (k6's legacy flat form: each metric's
//! statistics directly under its name, thresholds as `{"p(95)<500": false}` where `true` means it
//! was crossed) and the data `handleSummary` receives (`{"type", "contains", "values": {…},
//! "thresholds": {"p(95)<500": {"ok": true}}}` per metric, plus `state` and `options`). Only
//! aggregates: the whole run's trend statistics k6 chose to keep, no endpoints, no history.

use std::path::Path;

use serde_json::Value;

use crate::ingest::error::InputError;
use crate::ingest::locust_report::walk::{At, Ctx};
use crate::ingest::scope::aggregate_key;
use crate::model::{
    Dialect, EndpointStats, Percentiles, Run, RunFiles, RunInfo, ToolCheck, ToolGroup,
    ToolThreshold, ToolVerdicts,
};

/// A metric's statistics, wherever the form keeps them.
fn stats<'a>(metric: &At<'a>) -> Result<At<'a>, InputError> {
    Ok(metric.opt("values")?.unwrap_or_else(|| metric.clone()))
}

pub fn read(path: &Path, bytes: &[u8]) -> Result<Run, InputError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| InputError::file(path, "not UTF-8 text (a binary or damaged file?)"))?;
    let text = text.trim_start_matches('\u{feff}');
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let why = if e.is_eof() {
            "the JSON ends before its value does (a file cut short?)".to_string()
        } else {
            let msg = e.to_string();
            format!(
                "not valid JSON: {}",
                msg.split(" at line ").next().unwrap_or(&msg)
            )
        };
        InputError {
            line: Some(e.line() as u64),
            column: Some(e.column().max(1)),
            ..InputError::file(path, why)
        }
    })?;
    let ctx = Ctx { file: path };
    let root = At::root(ctx, &value, "$");
    let metrics = root.get("metrics")?;
    let handle_summary = metrics
        .members()?
        .iter()
        .any(|(_, m)| m.has("values") || m.has("type"));
    let metric = |name: &str| metrics.opt(name);
    let number = |at: &At, key: &str| -> Result<Option<f64>, InputError> {
        match at.opt(key)? {
            Some(v) if v.value.is_null() => Ok(None),
            Some(v) => Ok(Some(v.number()?)),
            None => Ok(None),
        }
    };

    let reqs = metric("http_reqs")?.ok_or_else(|| {
        metrics.error("no http_reqs metric: not a summary of an HTTP test (or not k6's)")
    })?;
    let reqs = stats(&reqs)?;
    let requests = reqs.get("count")?.count()?;
    let rps = number(&reqs, "rate")?.unwrap_or(0.0);
    let mut notes = vec![format!(
        "k6's end-of-test summary ({}): aggregates only — percentiles are k6's own trend statistics (whichever of med, p(90), p(95), p(99), max it kept), no endpoints, no history",
        if handle_summary { "handleSummary data" } else { "--summary-export" }
    )];
    let failures = match metric("http_req_failed")? {
        Some(failed) => {
            // A Rate's `passes` counts its non-zero samples: for http_req_failed, failed requests.
            let failed = stats(&failed)?;
            match (failed.opt("passes")?, number(&failed, "rate")?) {
                (Some(passes), _) => passes.count()?,
                (None, Some(rate)) => (rate * requests as f64).round() as u64,
                (None, None) => 0,
            }
        }
        None => {
            notes.push(
                "no http_req_failed in the summary (k6 before 0.31): failures counted as 0"
                    .to_string(),
            );
            0
        }
    };
    let duration = metric("http_req_duration")?
        .map(|d| stats(&d))
        .transpose()?;
    let mut percentiles = Percentiles::default();
    let (mut avg, mut min, mut max, mut med) = (None, None, None, None);
    if let Some(d) = &duration {
        avg = number(d, "avg")?;
        min = number(d, "min")?;
        max = number(d, "max")?;
        med = number(d, "med")?;
        for (i, key) in [
            (0, "p(50)"),
            (4, "p(90)"),
            (5, "p(95)"),
            (7, "p(99)"),
            (8, "p(99.9)"),
        ] {
            if let Some(v) = number(d, key)? {
                percentiles.0[i] = Some(v);
            }
        }
        percentiles.0[0] = percentiles.0[0].or(med);
        percentiles.0[10] = max;
    }
    let aggregated = EndpointStats {
        key: aggregate_key(),
        requests,
        failures,
        rps,
        failures_per_s: Some(if requests > 0 {
            rps * failures as f64 / requests as f64
        } else {
            0.0
        }),
        avg_ms: avg,
        min_ms: min,
        max_ms: max,
        median_ms: med,
        avg_content_size: None,
        percentiles,
        custom_percentiles: Vec::new(),
        histogram: None,
    }
    .without_empty_placeholders();

    let mut tool = ToolVerdicts::default();
    for (name, m) in metrics.members()? {
        if let Some(thresholds) = m.opt("thresholds")? {
            for (expression, outcome) in thresholds.members()? {
                let ok = match outcome.value {
                    // handleSummary: {"ok": true}.
                    Value::Object(_) => outcome.opt("ok")?.and_then(|v| v.value.as_bool()),
                    // --summary-export: true when the threshold was crossed.
                    Value::Bool(crossed) => Some(!crossed),
                    _ => None,
                };
                tool.thresholds.push(ToolThreshold {
                    metric: name.to_string(),
                    expression: expression.to_string(),
                    ok,
                });
            }
        }
        if let Some(group) = name
            .strip_prefix("group_duration{group:")
            .and_then(|g| g.strip_suffix('}'))
        {
            let s = stats(&m)?;
            tool.groups.push(ToolGroup {
                path: group.to_string(),
                count: 0,
                avg_ms: number(&s, "avg")?,
                p95_ms: number(&s, "p(95)")?,
                max_ms: number(&s, "max")?,
            });
        }
    }
    if let Some(group) = root.opt("root_group")? {
        checks_of(&group, &mut tool.checks)?;
    }
    let users = match metric("vus_max")? {
        Some(v) => {
            let v = stats(&v)?;
            number(&v, "max")?
                .or(number(&v, "value")?)
                .map(|u| u.max(0.0) as u64)
        }
        None => None,
    };
    let run_time_s = match root.opt("state")? {
        Some(state) => number(&state, "testRunDurationMs")?.map(|ms| ms / 1000.0),
        None => None,
    };
    let failed_thresholds = tool
        .thresholds
        .iter()
        .filter(|t| t.ok == Some(false))
        .count();
    if !tool.thresholds.is_empty() {
        notes.push(format!(
            "{} k6 threshold(s) kept, {} crossed by k6's own judgement",
            tool.thresholds.len(),
            failed_thresholds
        ));
    }
    Ok(Run {
        files: RunFiles {
            prefix: path.to_path_buf(),
            stats: path.to_path_buf(),
            history: None,
            failures: None,
            exceptions: None,
        },
        dialect: Dialect::K6Summary,
        endpoints: Vec::new(),
        aggregated,
        failures: Vec::new(),
        exceptions: Vec::new(),
        history: None,
        notes,
        info: RunInfo {
            users,
            run_time_s,
            tool,
            ..RunInfo::default()
        },
    })
}

/// The checks of a group and its subgroups, depth first.
fn checks_of(group: &At, out: &mut Vec<ToolCheck>) -> Result<(), InputError> {
    let path = group.opt_str("path")?.unwrap_or("").to_string();
    if let Some(checks) = group.opt("checks")? {
        // An array in both forms (older k6 wrote an object keyed by name).
        let items: Vec<At> = match checks.value {
            Value::Object(_) => checks.members()?.into_iter().map(|(_, c)| c).collect(),
            _ => checks.array()?,
        };
        for check in items {
            out.push(ToolCheck {
                name: check.get("name")?.str()?.to_string(),
                group: path.clone(),
                passes: check.get("passes")?.count()?,
                fails: check.get("fails")?.count()?,
            });
        }
    }
    if let Some(groups) = group.opt("groups")? {
        let items: Vec<At> = match groups.value {
            Value::Object(_) => groups.members()?.into_iter().map(|(_, g)| g).collect(),
            _ => groups.array()?,
        };
        for sub in items {
            checks_of(&sub, out)?;
        }
    }
    Ok(())
}
