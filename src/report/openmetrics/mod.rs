//! The run's figures as metrics for Prometheus (`--openmetrics FILE`, `--push-gateway URL`): the
//! OpenMetrics 1.0 text format, or the Prometheus text format 0.0.4 that the Pushgateway and
//! node-exporter's textfile collector read. One file a job: the metric catalogue
//! ([`catalogue`], every name and label listed in `docs/metrics.md`), family building
//! ([`families`], built once for both formats), text framing ([`text`]), what was asked
//! ([`plan`]) and the Pushgateway client ([`push`]).

pub mod catalogue;
pub mod families;
pub mod plan;
pub mod push;
pub mod text;

use std::io::Write;
use std::path::Path;

use anyhow::Result;

pub use self::catalogue::ALL;
use self::families::{history_families, judgement_families, write_history};
pub use self::plan::MetricsPlan;
pub use self::text::Flavor;
use self::text::{finish, render, write_families, Chunked};
use crate::fsutil::{stage_with, Staged};
use crate::report::exporter::{Context, Exporter, Report};

/// `--openmetrics FILE`: every run of the judgement, optionally (`--openmetrics-history`) with
/// its history as timestamped samples; or every run of an archive, optionally dated by its start.
/// The flavor is the file's: Prometheus text for a `.prom` file, else OpenMetrics.
pub struct OpenMetricsExporter;

impl Exporter for OpenMetricsExporter {
    fn render(&self, report: Report, ctx: &Context) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        write(report, ctx, Flavor::OpenMetrics, &mut bytes)?;
        Ok(bytes)
    }

    /// Streamed: with history, the text is many times the size of the run in memory (1.4 GB for
    /// a day of full history), so it is never held whole.
    fn write_file(&self, report: Report, ctx: &Context, path: &Path) -> Result<Staged> {
        stage_with(path, |file| write(report, ctx, Flavor::of(path), file))
    }
}

fn write(report: Report, ctx: &Context, flavor: Flavor, sink: &mut dyn Write) -> Result<()> {
    let history = ctx.history_samples && flavor == Flavor::OpenMetrics;
    match report {
        Report::Judgement(judgement) => {
            let mut out = Chunked::new(sink);
            write_families(&mut out.text, &judgement_families(judgement), flavor);
            if history {
                write_history(&mut out, &judgement.runs)?;
            }
            finish(&mut out.text, flavor);
            out.flush()?;
        }
        Report::History(archive) => {
            sink.write_all(&render(&history_families(archive, history), flavor))?;
        }
    }
    Ok(())
}
