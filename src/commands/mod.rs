//! One module per subcommand: each wires ingest, analysis and report together for one job.

pub mod baseline;
pub mod check;
pub mod compare;
pub mod demo;
pub mod history;
pub mod profiles;

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};

use crate::cli::{OutputArgs, OutputFormat};
use crate::fsutil::write_atomic;
use crate::report::charts;
use crate::report::github::GithubAnnotations;
use crate::report::json::JsonExporter;
use crate::report::junit::JunitExporter;
use crate::report::markdown::MarkdownExporter;
use crate::report::table::TableExporter;
use crate::report::{Exporter, Report};

/// Colour only for a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Writes the report files first (each atomically), then prints to stdout, then talks to GitHub
/// Actions when running there.
pub fn emit(report: &Report, output: &OutputArgs) -> Result<()> {
    let files: [(&Option<std::path::PathBuf>, &dyn Exporter); 3] = [
        (&output.json, &JsonExporter),
        (&output.markdown, &MarkdownExporter),
        (&output.junit, &JunitExporter),
    ];
    for (path, exporter) in files {
        if let Some(path) = path {
            write_atomic(path, &exporter.render(report)?)?;
        }
    }
    if let Some(dir) = &output.charts {
        for (name, png) in charts::render(report, output.chart_size)? {
            write_atomic(&dir.join(name), &png)?;
        }
    }
    let stdout = match output.format {
        OutputFormat::Table => TableExporter { color: use_color() }.render(report)?,
        OutputFormat::Json => JsonExporter.render(report)?,
    };
    std::io::stdout().lock().write_all(&stdout)?;
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        github_actions(report, output.format)?;
    }
    Ok(())
}

/// Annotations for what failed or warned, and the Markdown appended to the job's step summary.
/// Annotations go to stderr when stdout carries JSON, so the JSON stays parseable.
fn github_actions(report: &Report, format: OutputFormat) -> Result<()> {
    let annotations = GithubAnnotations.render(report)?;
    match format {
        OutputFormat::Json => std::io::stderr().lock().write_all(&annotations)?,
        OutputFormat::Table => std::io::stdout().lock().write_all(&annotations)?,
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
        file.write_all(&MarkdownExporter.render(report)?)?;
    }
    Ok(())
}
