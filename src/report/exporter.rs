//! What every format is written from and behind: the [`Report`] a command made, the [`Exporter`]
//! (or [`DirExporter`]) interface, and the [`Context`] the manager gives every exporter.

use std::cell::OnceCell;
use std::path::Path;

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};

use super::history::HistoryReport;
use crate::analysis::Judgement;
use crate::fsutil::{stage, Staged};
use crate::model::Status;

/// What a command reports: a judgement of runs (`check`, `compare`, `ab`) or the history of an
/// archive of runs (`history`).
#[derive(Clone, Copy)]
pub enum Report<'a> {
    Judgement(&'a Judgement),
    History(&'a HistoryReport),
}

impl<'a> Report<'a> {
    /// What the exit code says.
    pub fn verdict(self) -> Status {
        match self {
            Report::Judgement(j) => j.verdict,
            Report::History(h) => h.verdict,
        }
    }

    /// When the report was made: one time for every output.
    pub fn generated_at(self) -> DateTime<Utc> {
        match self {
            Report::Judgement(j) => j.generated_at,
            Report::History(h) => h.generated_at,
        }
    }

    /// The judgement, for a format that only a judgement is written in (the table of formats
    /// offers no such flag to `history`).
    pub fn judgement(self, format: &str) -> Result<&'a Judgement> {
        match self {
            Report::Judgement(j) => Ok(j),
            Report::History(_) => bail!("{format} is not written for an archive of runs"),
        }
    }
}

impl<'a> From<&'a Judgement> for Report<'a> {
    fn from(judgement: &'a Judgement) -> Self {
        Report::Judgement(judgement)
    }
}

impl<'a> From<&'a HistoryReport> for Report<'a> {
    fn from(history: &'a HistoryReport) -> Self {
        Report::History(history)
    }
}

/// Interface of every format written as one file, or to stdout.
pub trait Exporter: Sync {
    /// The report in this format.
    fn render(&self, report: Report, ctx: &Context) -> Result<Vec<u8>>;

    /// Writes the report for `path` in full, to be put in place with the other outputs
    /// ([`Staged::commit`]). A format too large to hold in memory streams it.
    fn write_file(&self, report: Report, ctx: &Context, path: &Path) -> Result<Staged> {
        stage(path, &self.render(report, ctx)?)
    }
}

/// Interface of a format written as a directory of files (the charts).
pub trait DirExporter: Sync {
    /// Each file's name and bytes.
    fn files(&self, report: Report, ctx: &Context) -> Result<Vec<(String, Vec<u8>)>>;
}

/// What exporters may need besides the report: made once per command's output.
#[derive(Default)]
pub struct Context {
    /// Colour: stdout is a terminal that wants it.
    pub color: bool,
    pub chart_size: (u32, u32),
    /// `--openmetrics-history`: each history row as timestamped samples too.
    pub history_samples: bool,
    /// The charts as (file name, PNG), drawn once for every format that shows them (the page and
    /// `--charts`): see `charts::drawn`.
    pub(crate) charts: OnceCell<Vec<(String, Vec<u8>)>>,
}
