//! The server section as every report for people shows it (`--prometheus`): each `[[server]]` rule
//! with its value, limit, grade and status; the key series with min, max and mean; the notes of what
//! was not read; with a baseline, each server figure against the kept runs'. Text from the backend (labels, messages) is made printable here (control and
//! direction characters escaped, lengths bounded); each format escapes it again for its own syntax.

use crate::analysis::server_baseline::{Moved, ServerComparison};
use crate::model::Status;
use crate::server::client::printable;
use crate::server::listing::limit_text;
use crate::server::rules::{label_text, show_value, summary, Over};
use crate::server::units::show;
use crate::server::ServerReading;

/// The most series rows a report lists (the JSON has them all).
pub const SERIES_SHOWN: usize = 12;

/// One rule, as text.
pub struct RuleRow {
    pub name: String,
    pub value: String,
    pub limit: String,
    pub grade: String,
    pub status: Status,
    pub reason: String,
}

/// One series, as text.
pub struct SeriesRow {
    pub source: String,
    pub labels: String,
    pub min: String,
    pub max: String,
    pub mean: String,
}

/// One note, as text.
pub struct NoteRow {
    pub status: Status,
    pub text: String,
}

pub fn rules(reading: &ServerReading) -> Vec<RuleRow> {
    reading
        .rules
        .iter()
        .map(|r| RuleRow {
            name: printable(&r.rule.name, 80),
            value: r
                .graded
                .value
                .map_or("not read".into(), |v| show_value(&r.rule, v)),
            limit: limit_text(r),
            grade: r.graded.grade.map_or("-".into(), |g| g.to_string()),
            status: r.status(),
            reason: printable(&r.graded.reason, 600),
        })
        .collect()
}

/// The first [`SERIES_SHOWN`] series read, and how many more there were.
pub fn series(reading: &ServerReading) -> (Vec<SeriesRow>, usize) {
    let rows = reading
        .series
        .iter()
        .take(SERIES_SHOWN)
        .map(|s| {
            let at = |over| summary(over, &s.points).map_or("-".into(), |v| show(v, s.unit));
            SeriesRow {
                source: printable(&s.source, 60),
                labels: printable(&label_text(&s.labels), 120),
                min: at(Over::Min),
                max: at(Over::Max),
                mean: at(Over::Mean),
            }
        })
        .collect();
    (rows, reading.series.len().saturating_sub(SERIES_SHOWN))
}

pub fn notes(reading: &ServerReading) -> Vec<NoteRow> {
    reading
        .notes
        .iter()
        .map(|n| {
            let subject = n
                .subject
                .as_ref()
                .map_or(String::new(), |s| format!("{}: ", printable(s, 200)));
            NoteRow {
                status: n.status,
                text: format!("{subject}{}", printable(&n.message, 1200)),
            }
        })
        .collect()
}

/// `Server metrics from http://…: 2 rules (1 failed), 14 series, 1 note`.
pub fn heading(reading: &ServerReading) -> String {
    let failed = reading
        .rules
        .iter()
        .filter(|r| r.status() == Status::Fail)
        .count();
    format!(
        "Server metrics from {}: {} rule(s) ({failed} failed), {} series, {} note(s)",
        printable(&reading.source, 200),
        reading.rules.len(),
        reading.series.len(),
        reading.notes.len()
    )
}

/// One server figure against the baseline's, as text.
pub struct FigureRow {
    pub label: String,
    pub baseline: String,
    pub current: String,
    pub change: String,
    pub noise: String,
    pub status: Status,
    pub reason: String,
}

/// `Server against the baseline (3 kept runs with server figures): 12 figures, 1 worse`.
pub fn baseline_heading(c: &ServerComparison) -> String {
    let worse = c.figures.iter().filter(|f| f.moved == Moved::Worse).count();
    format!(
        "Server against the baseline ({} of {} kept run(s) with server figures): {} figure(s), {worse} worse beyond the noise",
        c.with_figures,
        c.baseline_runs,
        c.figures.len()
    )
}

pub fn baseline_rows(c: &ServerComparison) -> Vec<FigureRow> {
    c.figures
        .iter()
        .map(|f| {
            let fig = &f.figure;
            FigureRow {
                label: printable(&fig.label(), 160),
                baseline: f.baseline.map_or("-".into(), |b| fig.show(b)),
                current: fig.show(fig.value),
                change: match (f.change, f.change_pct) {
                    (_, Some(p)) => format!("{p:+.0}%"),
                    (Some(c), None) => {
                        let shown = fig.show(c);
                        if c > 0.0 {
                            format!("+{shown}")
                        } else {
                            shown
                        }
                    }
                    _ => "-".into(),
                },
                noise: f.noise.map_or("-".into(), |n| match n.relative {
                    Some(r) => format!("±{:.0}%", r * 100.0),
                    None => format!("±{}", fig.show(n.bound)),
                }),
                status: f.status,
                reason: printable(&f.reason, 600),
            }
        })
        .collect()
}

pub fn baseline_notes(c: &ServerComparison) -> Vec<String> {
    c.notes.iter().map(|n| printable(n, 600)).collect()
}
