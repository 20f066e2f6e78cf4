//! What the comparison of one metric of one scope has to go on, and what it concludes.

use super::comparison::Direction;
use super::noise::{MachineFit, Noise};
use super::runner::RunnerCall;
use crate::analysis::summary::ScopeSummary;
use crate::model::{Metric, Status};

/// How one metric of one scope moved, its status, and why.
pub(super) type Judged = (Direction, Status, String);

/// What the comparison of one metric of one scope has to go on.
#[derive(Clone, Copy)]
pub(super) struct Evidence<'a> {
    pub(super) metric: Metric,
    /// The profile's limit on this metric's change.
    pub(super) limit: f64,
    /// The baseline value (the median of the kept runs) and the current one.
    pub(super) base: f64,
    pub(super) cur: f64,
    /// The metric in each kept baseline run.
    pub(super) kept: &'a [f64],
    pub(super) latest: &'a ScopeSummary,
    /// The scope in the kept run whose runner record vouches (see [`RunnerCall::Held`]; the
    /// newest kept run otherwise).
    pub(super) vouching: &'a ScopeSummary,
    pub(super) current: &'a ScopeSummary,
    pub(super) baselines: &'a [&'a ScopeSummary],
    /// The scope is the whole run's aggregate.
    pub(super) aggregated: bool,
    /// The endpoints whose same metric rose past the limit and the floor (for the aggregate's
    /// reason).
    pub(super) risen: &'a [String],
    /// The run-wide shift of this metric (ms; 0 without one).
    pub(super) shift_ms: f64,
    /// The metric whose run-wide shift `shift_ms` is (see [`super::shifts::shift_for`]).
    pub(super) shift_metric: Metric,
    /// Whether the run has a run-wide shift of any latency metric that lends an allowance (not
    /// server-wide).
    pub(super) shifted: bool,
    /// On a runner its records show busier, the whole run's move of this metric: its endpoints'
    /// median ratio of current to baseline (1.0 otherwise, or when it did not rise; see
    /// [`super::shifts::busier_moves`]).
    pub(super) busier_move: f64,
    /// Whether this scope is one of the shift's probes.
    pub(super) probe: bool,
    pub(super) noise: Option<Noise>,
    /// What the kept runs predict on a machine as busy as this run's, when they can tell.
    pub(super) fit: Option<MachineFit>,
    /// What the runners' records say: a throughput fall is judged with it.
    pub(super) runner: &'a RunnerCall,
}
