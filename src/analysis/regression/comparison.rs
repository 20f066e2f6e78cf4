//! What a comparison with a baseline concludes: each metric of each scope as a [`Regression`], the
//! run-wide shifts, the differences in how the runs were made, the new errors, and the
//! comparison's own part of the verdict.

use serde::Serialize;

use super::comparability::Difference;
use super::noise::Noise;
use super::shifts::ShiftFinding;
use crate::analysis::signatures::NewError;
use crate::machine::Machine;
use crate::model::{Metric, Scope, Status};

/// Which way a metric moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Regressed,
    Improved,
    Unchanged,
}

/// One metric of one scope, baseline against current.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub scope: Scope,
    pub metric: Metric,
    pub baseline: f64,
    pub current: f64,
    /// `current - baseline`, in the metric's unit (ms, fraction, req/s).
    pub change: f64,
    /// Relative change in percent; `None` when the baseline is zero.
    pub change_pct: Option<f64>,
    pub direction: Direction,
    pub status: Status,
    pub reason: String,
    /// The between-run noise a latency change was held against.
    pub noise: Option<Noise>,
}

/// The outcome of comparing a run with a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The comparison's part of the verdict, as [`Comparison::status`] decided it when the
    /// comparison was finished (the JSON report's `baseline.verdict`).
    pub verdict: Status,
    pub baseline_runs: usize,
    pub regressions: Vec<Regression>,
    /// Latency metrics on which the whole run moved, the cheapest endpoints too.
    pub shifts: Vec<ShiftFinding>,
    pub new_endpoints: Vec<String>,
    pub vanished_endpoints: Vec<String>,
    pub notes: Vec<String>,
    /// Where the newest baseline run was saved, when the baseline says.
    pub baseline_machine: Option<Machine>,
    /// How the run was made differently from the newest baseline run (users, run time, host, …).
    pub differences: Vec<Difference>,
    /// Failure signatures the baseline did not have, or had fewer of (the profile's expected
    /// failures left out).
    pub new_errors: Vec<NewError>,
    /// The newest baseline run kept its histograms (read from Locust's JSON).
    pub baseline_histograms: bool,
    /// What the runners' records (and Locust's CPU warnings) said of the runner.
    pub runner: super::runner::RunnerCall,
}

/// The note of a comparison with a baseline that holds no runs, or does not exist yet.
pub const NO_BASELINE: &str = "no baseline: nothing compared";

impl Comparison {
    /// Whether there was anything to compare with.
    pub fn compared(&self) -> bool {
        self.baseline_runs > 0
    }

    /// What the comparison does to the verdict: the worst status of its regressions, run-wide
    /// shifts, differences and new errors. Read from those, never from [`Comparison::verdict`].
    pub fn status(&self) -> Status {
        Status::worst(
            self.regressions
                .iter()
                .map(|r| r.status)
                .chain(self.shifts.iter().map(|s| s.status))
                .chain(self.differences.iter().map(Difference::status))
                .chain(self.new_errors.iter().map(|e| e.status)),
        )
    }
}
