//! Analysis: turns runs into judgements. Knows neither files nor terminals.
//!
//! How a run is judged, and what decides exit 1: [`judgement`] ([`judge`], [`judge_change`],
//! [`judgement::verdict`]); a directory of runs (the `history` command): [`history`]. The rest are the parts they use:
//! grades against the profile ([`grade`]), regressions against a baseline ([`regression`], over
//! [`summary`]), trends inside a run ([`trend`]), capacity from a ramp ([`capacity`]), advice
//! ([`findings`]), runs at several user counts ([`scaling`]), and the small statistics under them.

pub mod advice;
pub mod capacity;
pub mod comparability;
pub mod errors;
pub mod findings;
pub mod grade;
pub mod history;
pub mod judgement;
pub mod noise;
pub mod paired;

pub mod ratchet;
pub mod regression;
pub mod scaling;
pub mod series;
pub mod server_findings;
pub mod signatures;
pub mod stats;
pub mod steady;
pub mod summary;
pub mod sustained;
pub mod trend;

pub use judgement::{judge, judge_change, Baseline, Judgement, RunJudgement};
