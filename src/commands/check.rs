//! `loadgate check`: read runs, grade them, report, and say whether the gate passed.

use std::io::Write;

use anyhow::Result;

use crate::analysis::grade::{assess, Status};
use crate::cli::{CheckArgs, OutputFormat};
use crate::fsutil::write_atomic;
use crate::ingest::load_run;
use crate::profile::Profile;
use crate::report::json::JsonExporter;
use crate::report::table::TableExporter;
use crate::report::{CheckReport, Exporter, RunReport};

/// Runs the check and returns the verdict; input problems are errors.
pub fn run(args: &CheckArgs) -> Result<Status> {
    let report = build(args)?;
    if let Some(path) = &args.json {
        write_atomic(path, &JsonExporter.render(&report)?)?;
    }
    let stdout: Vec<u8> = match args.format {
        OutputFormat::Table => TableExporter {
            color: super::use_color(),
        }
        .render(&report)?,
        OutputFormat::Json => JsonExporter.render(&report)?,
    };
    std::io::stdout().lock().write_all(&stdout)?;
    Ok(report.verdict())
}

/// Reads every run and grades it. Every run is read before anything is reported, so one bad file
/// fails the whole command instead of leaving a partial report.
pub fn build(args: &CheckArgs) -> Result<CheckReport> {
    let profile = Profile::load(&args.profile)?;
    let profile_source = if crate::profile::BUILTINS
        .iter()
        .any(|(n, _)| *n == args.profile)
    {
        format!("builtin:{}", args.profile)
    } else {
        args.profile.clone()
    };
    let runs = args
        .runs
        .iter()
        .map(|path| {
            let run = load_run(path)?;
            let assessment = assess(&run, &profile);
            Ok(RunReport { run, assessment })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CheckReport {
        profile,
        profile_source,
        runs,
    })
}
