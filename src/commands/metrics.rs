//! `--openmetrics FILE` and `--push-gateway URL`: the same metrics, written to a file and pushed
//! to a Prometheus Pushgateway. Any command with a [`Judgement`] (check, compare, ab)
//! calls [`MetricsPlan::write`] with its other report files and [`MetricsPlan::push`] after its
//! output; `history` has its archive counterparts.
//!
//! A push that fails is a warning on stderr: a gateway that is down must not turn a passing gate
//! red. `--require-push` makes it an error (exit 2, as an unwritable report file is), after every
//! report has been written and printed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::analysis::Judgement;
use crate::fsutil::{write_atomic, write_atomic_with};
use crate::push::{Gateway, Group, TIMEOUT};
use crate::report::history::HistoryReport;
use crate::report::openmetrics::{
    history_families, render, run_families, run_name, Flavor, OpenMetricsExporter,
};

/// What was asked of the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsPlan {
    /// Where to write them: OpenMetrics, or the Prometheus text format for a `*.prom` file.
    pub file: Option<PathBuf>,
    /// Also each history row as timestamped samples (OpenMetrics only).
    pub history: bool,
    pub gateway: Option<Gateway>,
    pub require_push: bool,
}

impl MetricsPlan {
    /// A `.prom` file is for node-exporter's textfile collector, which reads only `*.prom` files
    /// and only the Prometheus text format; anything else is OpenMetrics.
    pub fn flavor(path: &Path) -> Flavor {
        match path.extension() {
            Some(ext) if ext == "prom" => Flavor::Prometheus,
            _ => Flavor::OpenMetrics,
        }
    }

    /// Refuses what cannot be written, before any report is: called first by every command.
    pub fn validate(&self) -> Result<()> {
        if let Some(file) = &self.file {
            if self.history && Self::flavor(file) == Flavor::Prometheus {
                bail!(
                    "{}: --openmetrics-history needs an OpenMetrics file: a .prom file is read by node-exporter's textfile collector, which rejects timestamped samples",
                    file.display()
                );
            }
        } else if self.history {
            bail!("--openmetrics-history needs --openmetrics FILE");
        }
        Ok(())
    }

    /// Writes the file asked for (atomically).
    pub fn write(&self, judgement: &Judgement) -> Result<()> {
        if let Some(path) = &self.file {
            let exporter = OpenMetricsExporter {
                flavor: Self::flavor(path),
                history: self.history,
            };
            write_atomic_with(path, |file| exporter.write(judgement, file))?;
        }
        Ok(())
    }

    /// Pushes each run as its own group (`run` = its `--csv` prefix).
    pub fn push(&self, judgement: &Judgement) -> Result<()> {
        let groups = judgement
            .runs
            .iter()
            .map(|run| Group {
                key: vec![("run", run_name(run))],
                body: render(&run_families(judgement, run), Flavor::Prometheus),
                content_type: Flavor::Prometheus.content_type(),
            })
            .collect();
        self.push_groups(groups)
    }

    /// `history`'s metrics, to a file.
    pub fn write_history(&self, report: &HistoryReport, archive: &str) -> Result<()> {
        if let Some(path) = &self.file {
            let flavor = Self::flavor(path);
            let dated = self.history && flavor == Flavor::OpenMetrics;
            let families = history_families(report, archive, dated);
            write_atomic(path, &render(&families, flavor))?;
        }
        Ok(())
    }

    /// `history`'s metrics as one group (`archive` = the directory).
    pub fn push_history(&self, report: &HistoryReport, archive: &str) -> Result<()> {
        self.push_groups(vec![Group {
            key: vec![("archive", archive.to_string())],
            body: render(
                &history_families(report, archive, false),
                Flavor::Prometheus,
            ),
            content_type: Flavor::Prometheus.content_type(),
        }])
    }

    fn push_groups(&self, groups: Vec<Group>) -> Result<()> {
        let Some(gateway) = &self.gateway else {
            return Ok(());
        };
        match gateway.push(&groups, TIMEOUT) {
            Ok(()) => Ok(()),
            Err(err) if self.require_push => Err(err.context("--require-push")),
            Err(err) => {
                eprintln!(
                    "warning: {}; the verdict stands (--require-push makes a failed push exit 2)",
                    format!("{err:#}").trim_end()
                );
                Ok(())
            }
        }
    }
}
