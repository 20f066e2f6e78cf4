//! The output manager: what a command writes ([`Outputs`]) and [`emit`], which writes it. Which
//! formats exist and how each is written comes from the table in [`super::formats`].

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::exporter::{Context, Exporter, Report};
use super::formats::{Format, Writes};
use super::github::GithubAnnotations;
use super::markdown::MarkdownExporter;
use super::openmetrics::MetricsPlan;
use crate::fsutil::stage;
use crate::model::Status;

/// What a command writes: stdout, and the files and directories asked for.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// The format printed: one whose row says it can go to stdout.
    pub stdout: Format,
    /// Each format asked for and where it goes, in the table's order.
    pub files: Vec<(Format, PathBuf)>,
    pub chart_size: (u32, u32),
    /// `--openmetrics-history` and `--push-gateway`.
    pub metrics: MetricsPlan,
}

impl Outputs {
    /// Where `format` goes, if it was asked for.
    pub fn path(&self, format: Format) -> Option<&Path> {
        self.files
            .iter()
            .find(|(f, _)| *f == format)
            .map(|(_, p)| p.as_path())
    }

    /// Refuses what cannot be written: every command calls it before it reads anything.
    pub fn validate(&self) -> Result<()> {
        self.metrics.validate(self.path(Format::OpenMetrics))
    }
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes the report files first (all or none, each atomically), then prints to stdout, then talks to GitHub
/// Actions when running there, then pushes the metrics. The verdict is already decided: a reader
/// of stdout that goes away (`| head`) does not change it.
pub fn emit<'a>(report: impl Into<Report<'a>>, outputs: &Outputs) -> Result<Status> {
    let report = report.into();
    let ctx = Context {
        color: use_color(),
        chart_size: outputs.chart_size,
        history_samples: outputs.metrics.history,
        ..Context::default()
    };
    // All or none: every file is written in full before any is put in place, so an output that
    // fails (exit 2) leaves the earlier ones as they were.
    let mut staged = Vec::new();
    for (format, path) in &outputs.files {
        match format.spec().writes {
            Writes::File(exporter) => staged.push(exporter.write_file(report, &ctx, path)?),
            Writes::Dir(exporter) => {
                for (name, bytes) in exporter.files(report, &ctx)? {
                    staged.push(stage(&path.join(name), &bytes)?);
                }
            }
        }
    }
    for file in staged {
        file.commit()?;
    }
    let spec = outputs.stdout.spec();
    let (Some(_), Writes::File(exporter)) = (spec.stdout, &spec.writes) else {
        bail!("{} cannot be printed on stdout", spec.name);
    };
    print(&exporter.render(report, &ctx)?)?;
    // Annotations point at a run's checks: an archive has none.
    if let Report::Judgement(_) = report {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            github_actions(report, &ctx, outputs.stdout)?;
        }
    }
    outputs.metrics.push(report)?;
    Ok(report.verdict())
}

/// Writes to stdout; a closed pipe is not an error (the reader has what it wanted).
pub fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Text for people on stdout (a command's lines, not a report): what came from a file in it is
/// shown escaped and no line of it can be a workflow command ([`super::untrusted::terminal_text`]).
pub fn print_text(text: &str) -> Result<()> {
    print(super::untrusted::terminal_text(text, false).as_bytes())
}

/// Annotations for what failed or warned, and the Markdown appended to the job's step summary.
/// Annotations go to stderr when stdout carries anything but the table, so that it stays parseable.
fn github_actions(report: Report, ctx: &Context, stdout: Format) -> Result<()> {
    let annotations = GithubAnnotations.render(report, ctx)?;
    match stdout {
        Format::Table => print(&annotations)?,
        _ => std::io::stderr().lock().write_all(&annotations)?,
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        // The runner owns this file and reads it after the step: append, never replace.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| {
                format!("{}: cannot append the step summary", path.to_string_lossy())
            })?;
        file.write_all(&MarkdownExporter.render(report, ctx)?)?;
    }
    Ok(())
}
