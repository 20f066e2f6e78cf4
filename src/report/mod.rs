//! Reports: every output format is one file behind [`Exporter`]. An exporter turns a report into
//! bytes; the caller decides where they go (stdout or a file, written atomically).

pub mod charts;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;

use anyhow::Result;

use crate::analysis::capacity::Capacity;
use crate::analysis::findings::Finding;
use crate::analysis::grade::{Assessment, Status};
use crate::analysis::regression::Comparison;
use crate::analysis::trend::Trend;
use crate::model::Run;
use crate::profile::Profile;

/// A comparison with a baseline and what the baseline was.
pub struct BaselineComparison {
    /// The baseline's name in the store, or the path of the baseline run or file.
    pub label: String,
    pub comparison: Comparison,
}

/// One run and everything judged about it.
pub struct RunReport {
    pub run: Run,
    /// The profile's grading; `None` for `compare`, whose verdict is about regressions only.
    pub assessment: Option<Assessment>,
    pub trends: Vec<Trend>,
    pub baseline: Option<BaselineComparison>,
    /// Capacity from a ramp (`None` for `compare`).
    pub capacity: Option<Capacity>,
    /// Rule-based advice, each with its evidence.
    pub findings: Vec<Finding>,
    /// Things the reader should know that are not checks.
    pub notes: Vec<String>,
}

impl RunReport {
    /// The worst of the grades, the trends and the regressions.
    pub fn verdict(&self) -> Status {
        let graded = self.assessment.as_ref().map(|a| a.verdict);
        let trends = self.trends.iter().map(|t| t.status).max();
        let regressions = self.baseline.as_ref().map(|b| b.comparison.verdict);
        [graded, trends, regressions]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(Status::Pass)
    }
}

/// The outcome of `check` or `compare`: every run given, judged against one profile.
pub struct Report {
    /// `check` or `compare`.
    pub command: &'static str,
    pub profile: Profile,
    /// Where the profile came from: `builtin:NAME` or its path.
    pub profile_source: String,
    pub runs: Vec<RunReport>,
}

impl Report {
    /// The worst verdict over all runs.
    pub fn verdict(&self) -> Status {
        self.runs
            .iter()
            .map(RunReport::verdict)
            .max()
            .unwrap_or(Status::Pass)
    }
}

/// The run's length and peak users, for headlines ("29 s", "10 users").
pub fn run_facts(run: &Run) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(d) = run.duration_s() {
        facts.push(format!("{d:.0} s"));
    }
    if let Some(u) = run.peak_users() {
        facts.push(format!("{u} users"));
    }
    facts
}

/// Interface of every output format.
pub trait Exporter {
    fn render(&self, report: &Report) -> Result<Vec<u8>>;
}
