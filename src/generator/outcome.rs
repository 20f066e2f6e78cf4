//! What a run hands back: the summary of each target, and for an A/B run every pair of requests.

use std::sync::{Arc, Mutex};

/// What a finished run measured, for the summary and for `demo`.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub requests: u64,
    pub failures: u64,
    pub seconds: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub interrupted: bool,
}

impl RunOutcome {
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// One request as the A/B pairs keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub micros: u64,
    pub failed: bool,
}

/// One task sent to both targets of an A/B run, in the order `b_first` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Index into the run's entries (the scenario's distinct method and name).
    pub entry: usize,
    pub a: Measured,
    pub b: Measured,
    pub b_first: bool,
}

/// A user's buffer of pairs, read once when the run ends.
pub(super) type PairRecorder = Arc<Mutex<Vec<Pair>>>;

/// What an A/B run measured: each side as a run, and every complete pair.
pub struct AbOutcome {
    pub a: RunOutcome,
    pub b: RunOutcome,
    pub pairs: Vec<Pair>,
    /// (method, name) of each entry index the pairs refer to.
    pub entries: Vec<(String, String)>,
}
