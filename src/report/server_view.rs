//! The server section as every report for people shows it (`--prometheus`): each `[[server]]` rule
//! with its value, limit, grade and status; the key series with min, max and mean; the notes of what
//! was not read. Text from the backend (labels, messages) is made printable here (control and
//! direction characters escaped, lengths bounded); each format escapes it again for its own syntax.

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
