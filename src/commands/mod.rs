//! One module per subcommand, each running a plain plan (made from the arguments in `cli`): read
//! the runs (`ingest`), judge them (`analysis`), write every report asked for (`report`), and
//! hand the verdict back for the exit code.

pub mod ab;
pub mod baseline;
pub mod check;
pub mod compare;
pub mod config;
pub mod demo;
pub mod history;
pub mod metrics;
pub mod profiles;
pub mod record;
pub mod server;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::analysis::Judgement;
use crate::fsutil::write_atomic;
use crate::model::Status;
use crate::report::charts;
use crate::report::github::GithubAnnotations;
use crate::report::html::HtmlExporter;
use crate::report::json::JsonExporter;
use crate::report::junit::JunitExporter;
use crate::report::markdown::MarkdownExporter;
use crate::report::table::TableExporter;
use crate::report::Exporter;

/// What goes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// The table for people (coloured on a terminal).
    Table,
    /// The JSON report.
    Json,
}

/// The reports a command writes besides stdout.
#[derive(Debug, Clone)]
pub struct Outputs {
    pub stdout: Stdout,
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub charts: Option<PathBuf>,
    pub chart_size: (u32, u32),
    /// `--openmetrics` and `--push-gateway`.
    pub metrics: metrics::MetricsPlan,
    /// The self-contained HTML page.
    pub html: Option<PathBuf>,
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes the report files first (each atomically), then prints to stdout, then talks to GitHub
/// Actions when running there. The verdict is already decided: a reader of stdout that goes away
/// (`| head`) does not change it.
pub fn emit(judgement: &Judgement, outputs: &Outputs) -> Result<Status> {
    outputs.metrics.validate()?;
    // The page first: drawing its charts takes a while, and the JSON file and stdout should carry
    // the same `generated_at`.
    // With both the page and --charts, the charts are drawn once for both.
    let drawn = match (&outputs.html, &outputs.charts) {
        (Some(_), Some(_)) => Some(charts::render(judgement, outputs.chart_size)?),
        _ => None,
    };
    if let Some(path) = &outputs.html {
        let html = HtmlExporter {
            chart_size: outputs.chart_size,
            drawn: drawn.clone(),
        };
        write_atomic(path, &html.render(judgement)?)?;
    }
    let files: [(&Option<PathBuf>, &dyn Exporter); 3] = [
        (&outputs.json, &JsonExporter),
        (&outputs.markdown, &MarkdownExporter),
        (&outputs.junit, &JunitExporter),
    ];
    for (path, exporter) in files {
        if let Some(path) = path {
            write_atomic(path, &exporter.render(judgement)?)?;
        }
    }
    outputs.metrics.write(judgement)?;
    if let Some(dir) = &outputs.charts {
        let charts = match drawn {
            Some(drawn) => drawn,
            None => charts::render(judgement, outputs.chart_size)?,
        };
        for (name, png) in charts {
            write_atomic(&dir.join(name), &png)?;
        }
    }
    let stdout = match outputs.stdout {
        Stdout::Table => TableExporter { color: use_color() }.render(judgement)?,
        Stdout::Json => JsonExporter.render(judgement)?,
    };
    print(&stdout)?;
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        github_actions(judgement, outputs.stdout)?;
    }
    outputs.metrics.push(judgement)?;
    Ok(judgement.verdict)
}

/// Writes to stdout; a closed pipe is not an error (the reader has what it wanted).
pub fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Annotations for what failed or warned, and the Markdown appended to the job's step summary.
/// Annotations go to stderr when stdout carries JSON, so the JSON stays parseable.
fn github_actions(judgement: &Judgement, stdout: Stdout) -> Result<()> {
    let annotations = GithubAnnotations.render(judgement)?;
    match stdout {
        Stdout::Json => std::io::stderr().lock().write_all(&annotations)?,
        Stdout::Table => print(&annotations)?,
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
        file.write_all(&MarkdownExporter.render(judgement)?)?;
    }
    Ok(())
}
