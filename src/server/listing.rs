//! `loadgate server`'s own listing of a [`ServerReading`]: what the backend holds for the run's
//! window (presets, series with their points and range) and each rule's value, as a table for people
//! or as JSON. Text from the backend (labels, messages) is escaped here before it is shown.

use std::fmt::Write as _;

use comfy_table::{presets as styles, Cell, ContentArrangement, Table};
use serde_json::{json, Value};

use super::client::printable;
use super::rules::{label_text, show_value, summary, Over};
use super::units::{show, unit_name};
use super::window::rfc3339;
use super::{RuleResult, ServerReading};
use crate::model::ServerSeries;

/// The listing for people.
pub fn table(reading: &ServerReading) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Server metrics from {}", reading.source);
    if let Some(w) = &reading.window {
        let _ = writeln!(
            out,
            "Window: {} .. {} ({}); read {} .. {}",
            rfc3339(w.span.from),
            rfc3339(w.span.to),
            w.span.origin.describe(),
            rfc3339(w.read_from),
            rfc3339(w.read_to)
        );
        let mut jobs: Vec<String> = w
            .intervals
            .jobs
            .iter()
            .map(|(job, s)| format!("{} {s} s", printable(job, 60)))
            .collect();
        jobs.truncate(8);
        let jobs = if jobs.is_empty() {
            String::new()
        } else {
            format!(" ({})", jobs.join(", "))
        };
        let retention = w.retention_s.map_or("not said".to_string(), |r| {
            format!("{:.0} days", r / 86_400.0)
        });
        let _ = writeln!(
            out,
            "Scrape interval: {} s by default{jobs}, from {}; rule step {} s; retention {retention}; {} metric names",
            w.intervals.default_s,
            w.intervals.source.describe(),
            w.rule_step_s,
            w.metric_names
        );
    }
    if !reading.presets.is_empty() {
        let _ = writeln!(out, "\nPresets:");
        let mut t = new_table(&["Preset", "Job", "Series", "Step", "Rate window", "What"]);
        for p in &reading.presets {
            t.add_row(vec![
                Cell::new(p.preset),
                Cell::new(printable(&p.job, 60)),
                Cell::new(p.series),
                Cell::new(format!("{} s", p.step_s)),
                Cell::new(p.rate_window_s.map_or("-".into(), |r| format!("{r} s"))),
                Cell::new(p.title),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !reading.series.is_empty() {
        let _ = writeln!(out, "\nSeries:");
        let mut t = new_table(&["From", "Labels", "Points", "Min", "Max", "Last"]);
        for s in &reading.series {
            let at = |over| summary(over, &s.points).map_or("-".into(), |v| show(v, s.unit));
            t.add_row(vec![
                Cell::new(printable(&s.source, 60)),
                Cell::new(printable(&label_text(&s.labels), 160)),
                Cell::new(s.points.len()),
                Cell::new(at(Over::Min)),
                Cell::new(at(Over::Max)),
                Cell::new(at(Over::Last)),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !reading.rules.is_empty() {
        let _ = writeln!(out, "\nRules:");
        let mut t = new_table(&[
            "Rule", "Profile", "Value", "Grade", "Status", "Limit", "Over",
        ]);
        for r in &reading.rules {
            let g = &r.graded;
            let limit = limit_text(r);
            t.add_row(vec![
                Cell::new(printable(&r.rule.name, 60)),
                Cell::new(printable(&r.profile, 60)),
                Cell::new(
                    g.value
                        .map_or("not read".into(), |v| show_value(&r.rule, v)),
                ),
                Cell::new(g.grade.map_or("-".into(), |g| g.to_string())),
                Cell::new(g.status),
                Cell::new(limit),
                Cell::new(r.rule.describe_over()),
            ]);
        }
        let _ = writeln!(out, "{t}");
        for r in &reading.rules {
            let _ = writeln!(out, "  {}", printable(&r.graded.reason, 600));
        }
    }
    if reading.window.is_some() && reading.presets.is_empty() && reading.series.is_empty() {
        let _ = writeln!(out, "\nNo series read.");
    }
    if !reading.notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for n in &reading.notes {
            let subject = n
                .subject
                .as_ref()
                .map_or(String::new(), |s| format!("{}: ", printable(s, 200)));
            let _ = writeln!(
                out,
                "  {} {subject}{}",
                n.status,
                printable(&n.message, 1200)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nServer: {}",
        reading.status().as_str().to_uppercase()
    );
    out
}

/// `≤ 500 MB (warn past 400 MB)`, `≥ 50%`.
pub fn limit_text(r: &RuleResult) -> String {
    let g = &r.graded;
    let way = if r.rule.floor { "≥" } else { "≤" };
    match (g.limit, g.warn_limit) {
        (Some(fail), Some(warn)) if fail != warn => format!(
            "{way} {} (warn past {})",
            show_value(&r.rule, fail),
            show_value(&r.rule, warn)
        ),
        (Some(l), _) | (None, Some(l)) => format!("{way} {}", show_value(&r.rule, l)),
        (None, None) => "-".into(),
    }
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(styles::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .force_no_tty()
        .set_header(header.iter().map(Cell::new));
    table
}

/// The listing as JSON (`loadgate server --format json`): summaries, not points.
pub fn json(reading: &ServerReading) -> Value {
    let window = reading.window.as_ref().map(|w| {
        json!({
            "from": rfc3339(w.span.from),
            "to": rfc3339(w.span.to),
            "from_unix": w.span.from,
            "to_unix": w.span.to,
            "origin": w.span.origin,
            "read_from_unix": w.read_from,
            "read_to_unix": w.read_to,
            "scrape_interval": {
                "default_s": w.intervals.default_s,
                "jobs": w.intervals.jobs,
                "source": w.intervals.source,
            },
            "rule_step_s": w.rule_step_s,
            "retention_s": w.retention_s,
            "metric_names": w.metric_names,
        })
    });
    let presets: Vec<Value> = reading
        .presets
        .iter()
        .map(|p| {
            json!({
                "preset": p.preset,
                "title": p.title,
                "job": p.job,
                "query": p.query,
                "unit": unit_name(p.unit),
                "step_s": p.step_s,
                "rate_window_s": p.rate_window_s,
                "series": p.series,
            })
        })
        .collect();
    let series: Vec<Value> = reading.series.iter().map(series_json).collect();
    let rules: Vec<Value> = reading
        .rules
        .iter()
        .map(|r| {
            let g = &r.graded;
            json!({
                "name": r.rule.name,
                "profile": r.profile,
                "query": r.rule.query,
                "unit": unit_name(r.rule.unit),
                "over": r.rule.over,
                "floor": r.rule.floor,
                "for_s": r.rule.for_s,
                "within_s": r.rule.within_s,
                "checked": g.checked,
                "value": g.value,
                "grade": g.grade,
                "status": g.status,
                "limit": g.limit,
                "warn_limit": g.warn_limit,
                "reason": g.reason,
                "series": g.series.iter().map(|s| json!({
                    "labels": s.labels,
                    "value": s.value,
                    "grade": s.grade,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let notes: Vec<Value> = reading
        .notes
        .iter()
        .map(|n| {
            json!({
                "kind": n.kind,
                "status": n.status,
                "subject": n.subject,
                "message": n.message,
            })
        })
        .collect();
    json!({
        "source": reading.source,
        "status": reading.status(),
        "window": window,
        "presets": presets,
        "series": series,
        "rules": rules,
        "notes": notes,
    })
}

fn series_json(s: &ServerSeries) -> Value {
    let at = |over| summary(over, &s.points);
    json!({
        "source": s.source,
        "query": s.query,
        "labels": s.labels,
        "unit": unit_name(s.unit),
        "points": s.points.len(),
        "first_unix": s.points.first().map(|p| p.0),
        "last_unix": s.points.last().map(|p| p.0),
        "min": at(Over::Min),
        "max": at(Over::Max),
        "mean": at(Over::Mean),
        "last": at(Over::Last),
    })
}
