//! `loadgate history DIR`: every run under a directory (an archive of nightly runs), in the order
//! the runs happened, tabulated, charted, and the runs that broke the trend flagged. Exit 1 when
//! the newest run broke it (the nightly gate), else 0.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::analysis::history::{breaks, verdict, Evidence, HistoryRun};
use crate::ingest::history::{find_runs_noted, read_history};
use crate::model::Status;
use crate::report::history::HistoryReport;
use crate::report::{self, Outputs};
use crate::server::source::SourcePlan;

/// What `history` was asked to do.
#[derive(Debug, Clone)]
pub struct HistoryPlan {
    pub dir: PathBuf,
    pub skip_unreadable: bool,
    pub outputs: Outputs,
    /// Where the server's metrics are read (`--prometheus`): for the newest run, the one the
    /// nightly gate is about.
    pub server: SourcePlan,
}

pub fn run(plan: &HistoryPlan) -> Result<Status> {
    plan.outputs.validate()?;
    let report = build(&plan.dir, plan.skip_unreadable)?;
    report::emit(&report, &plan.outputs)
}

pub fn build(dir: &Path, skip_unreadable: bool) -> Result<HistoryReport> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let (paths, mut notes) = find_runs_noted(dir)?;
    if paths.is_empty() {
        let why = notes.first().map(|n| format!(" ({n})")).unwrap_or_default();
        bail!(
            "{}: no *_stats.csv under this directory{why}",
            dir.display()
        );
    }
    let mut runs = Vec::new();
    let mut skipped = 0;
    let mut by_path = 0;
    for result in read_history(&paths) {
        match result {
            Ok(entry) => {
                by_path += usize::from(entry.dated_by_path && entry.started_at.is_some());
                runs.push(HistoryRun::new(
                    entry.prefix.display().to_string(),
                    entry.started_at,
                    entry.peak_users,
                    &entry.aggregated,
                ))
            }
            Err(err) if skip_unreadable => {
                skipped += 1;
                notes.push(format!("skipped an unreadable run: {err:#}"));
            }
            Err(err) => {
                return Err(err.context(
                    "a run in the archive cannot be read (--skip-unreadable leaves it out)",
                ))
            }
        }
    }
    if runs.is_empty() {
        bail!("{}: no readable run under this directory", dir.display());
    }
    if by_path > 0 {
        notes.push(format!(
            "{by_path} run(s) carry no time in their files: they are dated by the time their path names (a directory such as 2020-06-19T12:43:50)"
        ));
    }
    let undated = runs.iter().filter(|r| r.started_at.is_none()).count();
    if undated > 0 {
        notes.push(format!(
            "{undated} run(s) have no history or failure timestamps: they are ordered by path, after the dated ones"
        ));
    }
    runs.sort_by(|a, b| {
        (a.started_at.is_none(), a.started_at, &a.source).cmp(&(
            b.started_at.is_none(),
            b.started_at,
            &b.source,
        ))
    });
    let breaks = breaks(&runs);
    let verdict = verdict(&Evidence {
        runs: &runs,
        breaks: &breaks,
        skipped,
    });
    Ok(HistoryReport::new(
        dir.display().to_string(),
        runs,
        breaks,
        notes,
        verdict,
    ))
}
