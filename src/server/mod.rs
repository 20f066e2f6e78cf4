//! What the server did during a run, read from a Prometheus-compatible backend: the source
//! (`client`, `auth`, `tls`), the window (`window`), what is read without configuration
//! (`discover`, `presets`), the profile's `[[server]]` rules (`rules`), and the reading that ties
//! them together (`read`) into a [`ServerReading`]: every series read, every rule graded, and a note
//! for everything that could not be read. Nothing here decides an exit code or writes a report;
//! `listing` only prints `loadgate server`'s own listing. docs/server-metrics.md is the user's view.

pub mod auth;
pub mod client;
pub mod discover;
pub mod listing;
pub mod presets;
mod read;
pub mod rules;
pub mod selector;
pub mod source;
mod tls;
pub mod units;
pub mod window;

use serde::Serialize;

pub use read::{read, MAX_JOBS, MAX_SERIES};

use crate::model::{ServerSeries, ServerUnit, Status};
use discover::Intervals;
use rules::{Graded, Rule};
use window::Span;

/// Everything read from the backend for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerReading {
    /// The backend as shown (scheme, host, port, path; never credentials).
    pub source: String,
    /// `None` when the server was not read at all (the run has no timestamps).
    pub window: Option<WindowRead>,
    /// Each preset asked, once per job that has its metrics.
    pub presets: Vec<PresetRead>,
    /// Every series read: the presets' (`source` = the preset's id) and the rules'
    /// (`source` = the rule's name).
    pub series: Vec<ServerSeries>,
    pub rules: Vec<RuleResult>,
    /// What could not be read and why; each at least `warn`.
    pub notes: Vec<ServerNote>,
}

/// The time read and how finely.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRead {
    /// The span graded: the run's, or `--from`/`--to`.
    pub span: Span,
    /// The span read: the graded one with a margin either side when the run gave it.
    pub read_from: f64,
    pub read_to: f64,
    pub intervals: Intervals,
    /// The step of the rules' queries (the finest scrape interval, at least 1 s).
    pub rule_step_s: f64,
    /// How far back the backend keeps samples, when it says.
    pub retention_s: Option<f64>,
    /// How many metric names the backend holds in the window.
    pub metric_names: usize,
}

/// One preset asked for one job.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetRead {
    pub preset: &'static str,
    pub title: &'static str,
    pub job: String,
    pub query: String,
    pub unit: ServerUnit,
    pub step_s: f64,
    /// The rate window in the query, when it has one (4x the job's scrape interval).
    pub rate_window_s: Option<f64>,
    /// How many series it returned (0 when it failed: see the notes).
    pub series: usize,
}

/// One `[[server]]` rule, graded (or not, and why).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult {
    /// The profile the rule came from, as its source is shown (`builtin:ml-api`, a path).
    pub profile: String,
    pub rule: Rule,
    pub graded: Graded,
}

impl RuleResult {
    pub fn status(&self) -> Status {
        self.graded.status
    }
}

/// What went wrong reading the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Nothing was read: the run has no timestamps.
    NotRead,
    /// No connection (refused, no such host, TLS).
    Unreachable,
    /// No answer within the timeout.
    Timeout,
    /// An HTTP error other than a refused query (401, 500…), its body quoted.
    Http,
    /// The backend refused the PromQL.
    BadQuery,
    /// The query matched nothing.
    Empty,
    /// More series than a query may return.
    TooManySeries,
    /// The window reaches past the backend's retention.
    Retention,
    /// An answer that is not the API's.
    BadAnswer,
    /// The backend answered with a warning (a partial answer).
    BackendWarning,
}

/// One thing that could not be read, with the reason. Its text is already scrubbed of secrets and
/// quoted server text in it is escaped; outputs escape it again for their own format.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerNote {
    pub kind: NoteKind,
    /// Never `pass`: a note is data not read.
    pub status: Status,
    /// The preset (`process_cpu for job "api"`) or rule (`rule "api memory" of builtin:ml-api`)
    /// it concerns, when one.
    pub subject: Option<String>,
    pub message: String,
}

impl ServerReading {
    /// The worst of the rules and the notes; pass with neither.
    pub fn status(&self) -> Status {
        Status::worst(
            self.rules
                .iter()
                .map(RuleResult::status)
                .chain(self.notes.iter().map(|n| n.status)),
        )
    }

    /// The series a preset or a rule read.
    pub fn series_of<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a ServerSeries> {
        self.series.iter().filter(move |s| s.source == source)
    }
}
