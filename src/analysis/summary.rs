//! A run reduced to what a later comparison needs: the figures and sample counts of every scope and
//! the per-interval series of its steady state. Baselines store these; regressions compare them.

use serde::{Deserialize, Serialize};

use super::signatures::{signatures, SignatureCount};
use super::{series, steady};
use crate::machine::Machine;
use crate::model::{EndpointKey, EndpointStats, Figures, Histogram, Run, Series};

/// Per-interval values over a run's steady state, derived from the history's running totals.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Intervals {
    /// Requests per second in each interval.
    pub rps: Vec<f64>,
    /// Mean response time (ms) of the requests of each interval.
    pub avg: Vec<f64>,
    /// Current-window P95 per interval (only with `--csv-full-history`, where Locust writes it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub p95: Vec<f64>,
}

/// One scope (endpoint or aggregate) of a summarised run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeSummary {
    pub method: String,
    pub name: String,
    pub requests: u64,
    pub failures: u64,
    pub rps: f64,
    pub avg: Option<f64>,
    pub max: Option<f64>,
    /// Percentiles at 50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100 (ms; null = N/A).
    pub percentiles: Vec<Option<f64>>,
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Intervals>,
    /// Every response time, bucketed, when the run was read from Locust's JSON: the comparison then
    /// takes each percentile's sampling interval and the mean's from the whole distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
}

impl ScopeSummary {
    pub fn p(&self, index: usize) -> Option<f64> {
        self.percentiles.get(index).copied().flatten()
    }
    pub fn key(&self) -> EndpointKey {
        EndpointKey::new(self.method.clone(), self.name.clone())
    }
    pub fn label(&self) -> String {
        self.key().to_string()
    }
}

impl Figures for ScopeSummary {
    fn requests(&self) -> u64 {
        self.requests
    }
    fn failures(&self) -> u64 {
        self.failures
    }
    fn rps(&self) -> f64 {
        self.rps
    }
    fn avg_ms(&self) -> Option<f64> {
        self.avg
    }
    fn max_ms(&self) -> Option<f64> {
        self.max
    }
    fn percentile_ms(&self, index: usize) -> Option<f64> {
        self.p(index)
    }
}

/// A run as a baseline keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub source: String,
    pub format: String,
    pub started_at: Option<i64>,
    pub duration_s: Option<f64>,
    pub peak_users: Option<u64>,
    pub aggregated: ScopeSummary,
    pub endpoints: Vec<ScopeSummary>,
    /// The machine the run was made on, as its runner record says; else where `baseline save`
    /// kept it. `None` for a run without a record read from files, and in older baselines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    /// The host the run loaded, when its files name it (Locust's HTML report does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The locustfile, when the files name it (the HTML report does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locustfile: Option<String>,
    /// Seconds from the first history row until peak users were first reached: the spawn rate as
    /// the files show it (none of them states the rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_s: Option<f64>,
    /// Failure and exception signatures with counts (baseline schema 2); `None` in schema 1 files,
    /// which did not keep them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<Vec<SignatureCount>>,
    /// The Locust version that wrote the run (its console log, or `--locust-version`); `None`
    /// when unknown or another tool's run, and in baselines saved before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locust_version: Option<String>,
    /// The load generator said it ran out of CPU (Locust's log), as
    /// [`crate::model::RunEvidence::generator_warning`]; `None` in baselines saved before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_warning: Option<String>,
}

impl RunSummary {
    pub fn from_run(run: &Run) -> RunSummary {
        let history = run.history.as_ref();
        let aggregate_series = history.and_then(|h| h.aggregated());
        let intervals_of = |key: &EndpointKey, aggregated: bool| -> Option<Intervals> {
            let agg = aggregate_series?;
            let series = if aggregated {
                agg
            } else {
                history?
                    .series
                    .iter()
                    .find(|s| !s.aggregated && &s.key == key)?
            };
            intervals(series, agg, history.is_some_and(|h| h.is_full()))
        };
        let scope = |stats: &EndpointStats, aggregated: bool| ScopeSummary {
            method: stats.key.method.clone(),
            name: stats.key.name.clone(),
            requests: stats.requests,
            failures: stats.failures,
            rps: stats.rps,
            avg: stats.avg_ms,
            max: stats.max(),
            min: stats.min_ms,
            percentiles: stats.percentiles.0.to_vec(),
            intervals: intervals_of(&stats.key, aggregated),
            histogram: stats.histogram.clone(),
        };
        RunSummary {
            source: run.files.prefix.display().to_string(),
            format: run.dialect.as_str().to_string(),
            started_at: run.started_at(),
            duration_s: run.duration_s(),
            peak_users: run.peak_users(),
            aggregated: scope(&run.aggregated, true),
            endpoints: run.endpoints.iter().map(|e| scope(e, false)).collect(),
            machine: run
                .info
                .evidence
                .runner
                .as_ref()
                .map(|r| r.record.machine.clone()),
            host: run.info.host.clone(),
            locustfile: run.info.locustfile.clone(),
            ramp_s: ramp_s(run),
            signatures: Some(signatures(run, None)),
            locust_version: run.info.locust_version.clone(),
            generator_warning: run.info.evidence.generator_warning.clone(),
        }
    }
}

/// Seconds from the first history row to the first row at peak users (`None` without users).
fn ramp_s(run: &Run) -> Option<f64> {
    let peak = run.peak_users()?;
    let points = &run.history.as_ref()?.aggregated()?.points;
    let first = points.first()?.timestamp;
    let at_peak = points.iter().find(|p| p.users() == peak)?.timestamp;
    Some((at_peak - first) as f64)
}

/// Per-interval rates and mean latencies over the steady state, from consecutive running totals.
fn intervals(series: &Series, aggregate: &Series, windowed_percentiles: bool) -> Option<Intervals> {
    let points = steady::steady_points(series, aggregate);
    if points.len() < steady::MIN_POINTS {
        return None;
    }
    let derived = series::intervals(points);
    Some(Intervals {
        rps: derived.iter().map(|i| i.rps).collect(),
        avg: derived.iter().filter_map(|i| i.avg_ms).collect(),
        p95: if windowed_percentiles {
            points.iter().filter_map(|p| p.p95()).collect()
        } else {
            Vec::new()
        },
    })
}
