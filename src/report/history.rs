//! The report of an archive of runs (`loadgate history`): a row per run in the order the runs
//! happened, the runs that broke the trend. Each format lays it out in its own file, as it does a
//! judgement.

use chrono::{DateTime, Utc};

use crate::analysis::history::{Break, HistoryRun};
use crate::model::Status;
use crate::server::ServerReading;

/// What `history` concluded about an archive.
pub struct HistoryReport {
    /// The directory the runs were read from, as given (the metrics' `run` and push group).
    pub archive: String,
    /// When the report was made: the one time every output gives.
    pub generated_at: DateTime<Utc>,
    pub verdict: Status,
    pub runs: Vec<HistoryRun>,
    pub breaks: Vec<Break>,
    pub notes: Vec<String>,
    /// `--prometheus`: the newest run (as its row names it) and what the server did in its window.
    pub server: Option<(String, ServerReading)>,
}

impl HistoryReport {
    pub fn new(
        archive: String,
        runs: Vec<HistoryRun>,
        breaks: Vec<Break>,
        notes: Vec<String>,
        verdict: Status,
    ) -> Self {
        HistoryReport {
            archive,
            generated_at: Utc::now(),
            verdict,
            runs,
            breaks,
            notes,
            server: None,
        }
    }

    /// When run `i` started, to the minute (`-` when its files do not say).
    pub fn started_label(&self, i: usize) -> String {
        self.runs[i]
            .started_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    }

    /// The metrics on which run `i` broke the trend.
    pub fn broke(&self, i: usize) -> Vec<&'static str> {
        self.breaks
            .iter()
            .filter(|b| b.run == i)
            .map(|b| b.metric.key())
            .collect()
    }
}

/// Milliseconds in the archive's tables: whole, `N/A` when unknown.
pub fn whole_ms(value: Option<f64>) -> String {
    value.map_or("N/A".to_string(), |v| format!("{v:.0}"))
}
