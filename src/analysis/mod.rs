//! Analysis: turns runs into judgements. Knows neither files nor terminals.
//!
//! **Where the verdict is decided.** [`verdict::verdict`] alone decides pass, warn or fail, from a
//! [`verdict::Evidence`]: the checks against the profile ([`grade`]), the trends inside the run
//! ([`trend`]), the comparison with a baseline ([`regression`]: regressions, run-wide shifts,
//! differences in how the runs were made, new errors), the sustained breaches ([`sustained`]), the
//! "no check applied" rule, and with `ab` the paired comparison ([`paired`]). A comparison comes
//! back from [`regression::compare`] finished, its own part of the verdict decided; exporters only
//! print what was decided. An archive of runs (the `history` command) has a verdict of the same
//! kind over its runs: [`history::verdict`].
//!
//! **How a run is judged.** [`judgement`] is the entry point: [`judge`] (`check`, `ab`) and
//! [`judge_change`] (`compare`) turn a run into a [`RunJudgement`]; a [`Judgement`] holds every run
//! of a command, the scaling series over them ([`scaling`]) and the A/B comparison. The rest are
//! the parts they use: capacity from a ramp ([`capacity`]), advice ([`findings`], [`advice`];
//! from a metrics backend's series, [`server_findings`]; the server in a baseline, [`server_baseline`]), the ratchet ([`ratchet`]), a run as a baseline keeps it ([`summary`], [`signatures`]), and the small
//! statistics under them ([`stats`], [`series`], [`steady`], [`errors`]).
//!
//! Data flows one way: `stats` and the other leaves at the bottom, `judgement` at the top; no file
//! here imports one that imports it back.

pub mod advice;
pub mod capacity;
pub mod errors;
pub mod findings;
pub mod grade;
pub mod history;
pub mod judgement;
pub mod paired;

pub mod ratchet;
pub mod regression;
pub mod scaling;
pub mod series;
pub mod server_baseline;
pub mod server_findings;
pub mod signatures;
pub mod stats;
pub mod steady;
pub mod summary;
pub mod sustained;
pub mod trend;
pub mod verdict;

// The comparison's parts moved into `regression/`; their paths stay for the exporters.
pub use regression::{comparability, noise};

pub use judgement::{judge, judge_change, Baseline, Judgement, RunJudgement};
