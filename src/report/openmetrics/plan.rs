//! What was asked of the metrics besides their file: `--openmetrics-history` and
//! `--push-gateway`. The manager pushes a judgement's runs (one group each) or an archive (one
//! group) after every other output.
//!
//! A push that fails is a warning on stderr: a gateway that is down must not turn a passing gate
//! red. `--require-push` makes it an error (exit 2, as an unwritable report file is), after every
//! report has been written and printed.

use std::path::Path;

use anyhow::{bail, Result};

use super::families::{history_families, run_families, run_name};
use super::push::{Gateway, Group, TIMEOUT};
use super::text::{render, Family, Flavor};
use crate::report::exporter::Report;

/// What was asked of the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsPlan {
    /// Also each history row as timestamped samples (OpenMetrics only).
    pub history: bool,
    pub gateway: Option<Gateway>,
    pub require_push: bool,
}

impl MetricsPlan {
    /// Refuses what cannot be written (`file`: the `--openmetrics` file), before any report is.
    pub fn validate(&self, file: Option<&Path>) -> Result<()> {
        if let Some(file) = file {
            if self.history && Flavor::of(file) == Flavor::Prometheus {
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

    /// Pushes each run of a judgement as its own group (`run` = its `--csv` prefix), or an archive
    /// as one group (`archive` = the directory).
    pub fn push(&self, report: Report) -> Result<()> {
        if self.gateway.is_none() {
            return Ok(());
        }
        let group = |key, families: Vec<Family>| Group {
            key: vec![key],
            body: render(&families, Flavor::Prometheus),
            content_type: Flavor::Prometheus.content_type(),
        };
        let groups = match report {
            Report::Judgement(judgement) => judgement
                .runs
                .iter()
                .map(|run| group(("run", run_name(run)), run_families(judgement, run)))
                .collect(),
            Report::History(archive) => vec![group(
                ("archive", archive.archive.clone()),
                history_families(archive, false),
            )],
        };
        self.push_groups(groups)
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
