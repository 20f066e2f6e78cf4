//! Reports: every output format is one file behind [`Exporter`]. An exporter turns a graded check
//! into bytes; the caller decides where they go (stdout or a file, written atomically).

pub mod json;
pub mod table;

use anyhow::Result;

use crate::analysis::grade::{Assessment, Status};
use crate::model::Run;
use crate::profile::Profile;

/// One run and its grading.
pub struct RunReport {
    pub run: Run,
    pub assessment: Assessment,
}

/// The outcome of `loadgate check`: every run given, graded against one profile.
pub struct CheckReport {
    pub profile: Profile,
    /// Where the profile came from: `builtin:NAME` or its path.
    pub profile_source: String,
    pub runs: Vec<RunReport>,
}

impl CheckReport {
    /// The worst verdict over all runs.
    pub fn verdict(&self) -> Status {
        self.runs
            .iter()
            .map(|r| r.assessment.verdict)
            .max()
            .unwrap_or(Status::Pass)
    }
}

/// Interface of every output format.
pub trait Exporter {
    fn render(&self, report: &CheckReport) -> Result<Vec<u8>>;
}
