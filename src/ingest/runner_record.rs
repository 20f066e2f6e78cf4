//! The runner record (`loadgate record`) beside a run: found by name, validated, and attached to
//! the run when its time covers the run's.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::InputError;
use crate::locust_format::with_suffix;
use crate::model::{
    AttachedRecord, Run, RunnerRecord, RUNNER_FILE, RUNNER_SCHEMA_VERSION, RUNNER_SUFFIX,
};

/// Seconds a run may stick out of its record at either end: Locust's history rows are whole
/// seconds, written up to a second after the fact.
const SLACK_S: f64 = 10.0;

/// Whether `path` is named as a runner record is (not a Locust JSON file to read as a run).
pub fn is_runner_record(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == RUNNER_FILE || n.ends_with(RUNNER_SUFFIX))
}

/// Attaches the record beside `run`: `PREFIX_runner.json`, else `loadgate-runner.json` in the
/// run's directory. A record that is there but damaged is an error (exit 2), as any damaged input
/// is; one whose time does not cover the run's belongs to another run and is left, with a note.
pub fn attach(run: &mut Run) -> anyhow::Result<()> {
    let own = with_suffix(&run.files.prefix, RUNNER_SUFFIX);
    let shared = run
        .files
        .prefix
        .parent()
        .map_or_else(|| PathBuf::from(RUNNER_FILE), |dir| dir.join(RUNNER_FILE));
    let (path, named_for_run) = if own.is_file() {
        (own, true)
    } else if shared.is_file() {
        (shared, false)
    } else {
        return Ok(());
    };
    let record = read_record(&path)?;
    // `read_record` checked that both times read.
    let Some(span) = record_span(&record) else {
        return Ok(());
    };
    match run_span(run) {
        Some((from, to)) if from >= span.0 - SLACK_S && to <= span.1 + SLACK_S => {}
        Some((from, to)) => {
            run.notes.push(format!(
                "runner record {} not used: it covers {:.0}–{:.0} (Unix s), the run {from:.0}–{to:.0}, so it is another run's",
                path.display(),
                span.0,
                span.1
            ));
            return Ok(());
        }
        // A run whose files state no time (a stats CSV alone) takes the record named after it,
        // not one shared by a directory of runs.
        None if named_for_run => run.notes.push(format!(
            "runner record {}: the run's files state no time, so it could not be matched to the run",
            path.display()
        )),
        None => {
            run.notes.push(format!(
                "runner record {} not used: the run's files state no time to match it with",
                path.display()
            ));
            return Ok(());
        }
    }
    run.notes.push(match &record.summary {
        Some(s) => format!(
            "runner record from {}: {} sample{} over {:.0} s",
            path.display(),
            s.samples,
            if s.samples == 1 { "" } else { "s" },
            s.duration_s
        ),
        None => format!(
            "runner record from {}: no samples (the command ended within its first interval)",
            path.display()
        ),
    });
    run.info.evidence.runner = Some(AttachedRecord { path, record });
    Ok(())
}

/// The run's first and last moment (Unix seconds) as its files state them.
fn run_span(run: &Run) -> Option<(f64, f64)> {
    if let Some(span) = run.info.request_span {
        return Some(span);
    }
    let start = run.started_at()? as f64;
    Some((start, start + run.duration_s().unwrap_or(0.0)))
}

fn record_span(record: &RunnerRecord) -> Option<(f64, f64)> {
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_millis() as f64 / 1000.0)
    };
    Some((at(&record.started_at)?, at(&record.ended_at)?))
}

/// Reads and checks a runner record: JSON errors at their line and column, values out of range
/// by their place in the record (`samples[3].busy`).
pub fn read_record(path: &Path) -> Result<RunnerRecord, InputError> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::file(path, format!("cannot read the runner record: {e}")))?;
    let at = |e: serde_json::Error, what: &str| InputError {
        line: Some(e.line() as u64),
        column: Some(e.column()),
        ..InputError::file(path, format!("{what}: {e}"))
    };
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<serde_json::Value>,
    }
    let version = serde_json::from_slice::<Version>(&bytes)
        .map_err(|e| at(e, "not a runner record"))?
        .schema_version;
    match version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(RUNNER_SCHEMA_VERSION) => {}
        Some(v) if v > u64::from(RUNNER_SCHEMA_VERSION) => {
            return Err(InputError::file(
                path,
                format!(
                    "schema_version: runner record schema {v} was written by a newer loadgate (this one reads {RUNNER_SCHEMA_VERSION}); upgrade loadgate"
                ),
            ))
        }
        _ => {
            return Err(InputError::file(
                path,
                format!(
                    "schema_version: not a loadgate runner record (schema_version {}, expected {RUNNER_SCHEMA_VERSION})",
                    version.map_or_else(|| "missing".to_string(), |v| v.to_string())
                ),
            ))
        }
    }
    let record: RunnerRecord =
        serde_json::from_slice(&bytes).map_err(|e| at(e, "not a valid runner record"))?;
    check(&record).map_err(|why| InputError::file(path, why))?;
    Ok(record)
}

/// The record's values against their ranges; the message names the offending field.
fn check(record: &RunnerRecord) -> Result<(), String> {
    if !(record.interval_s.is_finite() && record.interval_s > 0.0) {
        return Err(format!(
            "interval_s: {} is not a positive number of seconds",
            record.interval_s
        ));
    }
    let span = record_span(record).ok_or_else(|| {
        format!(
            "started_at, ended_at: '{}' and '{}' must be RFC 3339 times",
            record.started_at, record.ended_at
        )
    })?;
    if span.1 < span.0 {
        return Err(format!(
            "ended_at: '{}' is before started_at '{}'",
            record.ended_at, record.started_at
        ));
    }
    let mut last_t = f64::NEG_INFINITY;
    for (i, s) in record.samples.iter().enumerate() {
        let field = |name: &str| format!("samples[{i}].{name}");
        for (name, value) in [
            ("busy", Some(s.busy)),
            ("steal", Some(s.steal)),
            ("iowait", Some(s.iowait)),
            ("busiest_cpu", Some(s.busiest_cpu)),
            ("cpu_pressure", s.cpu_pressure),
        ] {
            if let Some(v) = value.filter(|v| !(0.0..=1.0).contains(v)) {
                return Err(format!(
                    "{}: {v} is not a share between 0 and 1",
                    field(name)
                ));
            }
        }
        // The shares are of one interval's time; rounding allows a hair over 1.
        if s.busy + s.steal + s.iowait > 1.0 + 1e-3 {
            return Err(format!(
                "{}: busy, steal and iowait add up to {:.4}, more than the whole interval",
                field("busy"),
                s.busy + s.steal + s.iowait
            ));
        }
        for (name, value) in [
            ("load1", Some(s.load1)),
            ("command_cpu", Some(s.command_cpu)),
            ("others_cpu", Some(s.others_cpu)),
            ("command_wait", s.command_wait),
            ("rtt_ms", s.rtt_ms),
            ("rtt_max_ms", s.rtt_max_ms),
        ] {
            if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(format!(
                    "{}: {v} is not a number of at least 0",
                    field(name)
                ));
            }
        }
        if s.cpus == 0 {
            return Err(format!("{}: a machine has at least one CPU", field("cpus")));
        }
        if !(s.t.is_finite() && s.t >= last_t) {
            return Err(format!(
                "{}: {} comes before the sample ahead of it ({last_t})",
                field("t"),
                s.t
            ));
        }
        last_t = s.t;
    }
    match &record.summary {
        Some(summary) if summary.samples != record.samples.len() => Err(format!(
            "summary.samples: {} but the record holds {} samples",
            summary.samples,
            record.samples.len()
        )),
        None if !record.samples.is_empty() => {
            Err("summary: missing, but the record holds samples".to_string())
        }
        _ => Ok(()),
    }
}
