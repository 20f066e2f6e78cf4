//! `loadgate compare BASELINE_RUN CURRENT_RUN`: regressions between two runs on disk. The verdict
//! and exit code are about regressions only; the profile contributes its [regression] rules.

use anyhow::Result;

use crate::analysis::grade::Status;
use crate::analysis::regression::compare;
use crate::baseline::RunSummary;
use crate::cli::CompareArgs;
use crate::ingest::load_run;
use crate::report::{BaselineComparison, Report, RunReport};

pub fn run(args: &CompareArgs) -> Result<Status> {
    let report = build(args)?;
    super::emit(&report, &args.output)?;
    Ok(report.verdict())
}

pub fn build(args: &CompareArgs) -> Result<Report> {
    let (profile, profile_source) = super::check::load_profile(&args.profile)?;
    let baseline = load_run(&args.baseline)?;
    let current = load_run(&args.current)?;
    let comparison = compare(
        &[RunSummary::from_run(&baseline)],
        &RunSummary::from_run(&current),
        &profile.regression,
    );
    Ok(Report {
        command: "compare",
        profile,
        profile_source,
        runs: vec![RunReport {
            run: current,
            assessment: None,
            // Only regressions decide `compare`'s verdict; `check --baseline` adds trends.
            trends: Vec::new(),
            baseline: Some(BaselineComparison {
                label: args.baseline.display().to_string(),
                comparison,
            }),
            capacity: None,
            findings: Vec::new(),
            notes: Vec::new(),
        }],
    })
}
