//! `loadgate history DIR`: every run under a directory (an archive of nightly runs), in the order
//! the runs happened, tabulated, charted, and the runs that broke the trend flagged. Exit 1 when
//! the newest run broke it (the nightly gate), else 0.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::analysis::history::{breaks, verdict, Evidence, HistoryRun};
use crate::commands::server::{require_all_read, rules_and_client};
use crate::config::{ConfigFile, Flags, Settings};
use crate::ingest::history::{archive_runs, read_history};
use crate::ingest::{load_run, load_runs};
use crate::model::Status;
use crate::report::history::HistoryReport;
use crate::report::{self, Outputs};
use crate::server::source::SourcePlan;
use crate::server::{read, window, ServerReading};

/// What `history` was asked to do.
#[derive(Debug, Clone)]
pub struct HistoryPlan {
    pub dir: PathBuf,
    pub skip_unreadable: bool,
    pub outputs: Outputs,
    /// Where the server's metrics are read (`--prometheus`): for the newest run, the one the
    /// nightly gate is about; its reading joins the archive's verdict.
    pub server: SourcePlan,
}

pub fn run(plan: &HistoryPlan) -> Result<Status> {
    // The output paths of the project config, as for `check`: those of the formats `history`
    // writes (an archive has no profile or baseline).
    let settings = Settings::here(&Flags {
        files: plan.outputs.files.clone(),
        ..Flags::default()
    })?;
    let files = settings
        .files()
        .into_iter()
        .filter(|(format, _)| format.spec().history_help.is_some())
        .collect();
    let outputs = Outputs {
        files,
        ..plan.outputs.clone()
    };
    outputs.validate()?;
    let mut report = build_with(&plan.dir, plan.skip_unreadable, Some(&plan.server))?;
    if let Some(note) = settings.note {
        report.notes.insert(0, note);
    }
    report::emit(&report, &outputs)
}

pub fn build(dir: &Path, skip_unreadable: bool) -> Result<HistoryReport> {
    build_with(dir, skip_unreadable, None)
}

/// [`build`], and with a backend named, the newest run (the one the nightly gate is about) judged
/// with what the server did in its window: the config's profile's `[[server]]` rules (else the
/// default's), the presets, and a note for what was not read.
fn build_with(
    dir: &Path,
    skip_unreadable: bool,
    server: Option<&SourcePlan>,
) -> Result<HistoryReport> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let (paths, mut notes) = archive_runs(dir)?;
    if paths.is_empty() {
        let why = notes.first().map(|n| format!(" ({n})")).unwrap_or_default();
        bail!(
            "{}: no run under this directory: no *_stats.csv (Locust) nor another tool's results (k6 output or summary, JMeter JTL, Locust console log){why}",
            dir.display()
        );
    }
    let mut runs = Vec::new();
    let mut skipped = 0;
    let mut by_path = 0;
    for result in read_history(&paths) {
        match result {
            Ok(entries) => {
                for entry in entries {
                    by_path += usize::from(entry.dated_by_path && entry.started_at.is_some());
                    runs.push(HistoryRun::new(
                        entry.prefix.display().to_string(),
                        entry.started_at,
                        entry.peak_users,
                        &entry.aggregated,
                    ))
                }
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
    let server = match (server, runs.last()) {
        (Some(plan), Some(newest)) => newest_server(plan, &newest.source)?,
        _ => None,
    };
    let verdict = verdict(&Evidence {
        runs: &runs,
        breaks: &breaks,
        skipped,
        server: server.as_ref().map(|s| &s.1),
    });
    let mut report = HistoryReport::new(dir.display().to_string(), runs, breaks, notes, verdict);
    report.server = server;
    Ok(report)
}

/// The server's reading of the newest run's window, when a backend is named.
fn newest_server(plan: &SourcePlan, source: &str) -> Result<Option<(String, ServerReading)>> {
    let config = ConfigFile::discover(&std::env::current_dir()?)?;
    let named = plan.url.as_deref().is_some_and(|u| !u.trim().is_empty())
        || config.as_ref().and_then(|c| c.prometheus_url()).is_some();
    if !named {
        return Ok(None);
    }
    let (profile, profile_source) =
        Settings::resolve(&Flags::default(), config.as_ref()).profile()?;
    let (rules, client) = rules_and_client(&profile, plan, config.as_ref())?;
    let run = match crate::ingest::history::source_run(source) {
        (path, Some(i)) => load_runs(&path)?
            .into_iter()
            .nth(i)
            .ok_or_else(|| anyhow::anyhow!("{source}: the run is no longer in the file"))?,
        (path, None) => load_run(&path)?,
    };
    let span = window::choose(window::run_span(&run), plan.from, plan.to)?;
    let reading = read(&client, span, &rules, &profile.gate, &profile_source);
    if plan.require {
        require_all_read(&reading, source)?;
    }
    Ok(Some((source.to_string(), reading)))
}
