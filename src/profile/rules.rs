//! The rules beyond a single run's bands: regressions against a baseline, trends inside a run, new
//! errors against the baseline's, limits sustained over time in the history, and limits on what the
//! server did (`[[server]]`, graded by `crate::server::rules`).

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::bands::Bands;
use crate::glob::glob_match;
use crate::model::{Metric, Status};

/// A `[[server]]` rule as written: PromQL, how its series reduce to one value, and its limit or
/// bands. Validated by `super::server_rules`, graded by `crate::server::rules`; docs/server-metrics.md has the keys.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerRule {
    /// How it is shown.
    pub name: String,
    /// Any PromQL; one or several series.
    pub query: String,
    /// bytes, seconds, ratio, percent, count or none (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// max, mean, min, last, p95, increase or slope (per minute); max by default, min for a floor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<String>,
    /// A bare limit, or the bands as for latency.
    pub limit: Bands,
    /// The limit is a minimum (a cache hit rate, a throughput).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floor: bool,
    /// The value must hold this long to count: `30s`, as [[sustained]].
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// With `for`: that long in total inside any window this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// The metrics a sustained rule can watch in the history.
pub const SUSTAINED_METRICS: [Metric; 6] = [
    Metric::P50,
    Metric::P95,
    Metric::P99,
    Metric::Avg,
    Metric::ErrorRate,
    Metric::Rps,
];

/// A limit over time: breached continuously for `for` (or, with `within`, for `for` in total inside
/// any window of that length) fails or warns. Checked from the history after the run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SustainedRule {
    /// `p50`, `p95`, `p99`, `avg`, `error_rate` or `rps` (a floor).
    pub metric: String,
    /// The limit (ms, a fraction for error_rate, req/s for rps).
    pub limit: f64,
    /// How long the breach must last: `30s`, `2m`.
    #[serde(rename = "for")]
    pub for_: String,
    /// Optional window: the breach may come and go, `for` in total inside any window this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// An endpoint name (exact or glob); the aggregate when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// "fail" (default) or "warn".
    #[serde(default = "fail_status")]
    pub status: Status,
}

fn fail_status() -> Status {
    Status::Fail
}

impl SustainedRule {
    pub fn metric(&self) -> Option<Metric> {
        SUSTAINED_METRICS
            .into_iter()
            .find(|m| m.key() == self.metric)
    }
    /// `for` in seconds (validated when the profile is read).
    pub fn for_s(&self) -> f64 {
        seconds(&self.for_).unwrap_or(0.0)
    }
    /// `within` in seconds.
    pub fn within_s(&self) -> Option<f64> {
        self.within.as_deref().and_then(seconds)
    }
    pub fn matches(&self, method: &str, name: &str) -> bool {
        self.name.as_deref().is_some_and(|p| glob_match(p, name))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    pub(super) fn validate(&self, at: &str) -> Result<()> {
        if self.metric().is_none() {
            bail!(
                "{at}.metric: '{}' is not one of p50, p95, p99, avg, error_rate, rps",
                self.metric
            );
        }
        if !self.limit.is_finite() || self.limit < 0.0 {
            bail!(
                "{at}.limit: must be a non-negative number, found {}",
                self.limit
            );
        }
        let for_s = seconds(&self.for_).ok_or_else(|| {
            anyhow::anyhow!("{at}.for: '{}' is not a duration (30s, 2m)", self.for_)
        })?;
        if for_s <= 0.0 {
            bail!("{at}.for: must be longer than 0 s");
        }
        if let Some(within) = &self.within {
            let w = seconds(within).ok_or_else(|| {
                anyhow::anyhow!("{at}.within: '{within}' is not a duration (60s, 5m)")
            })?;
            if w < for_s {
                bail!(
                    "{at}.within ({within}) must be at least as long as for ({})",
                    self.for_
                );
            }
        }
        if self.status == Status::Pass {
            bail!("{at}.status: must be \"warn\" or \"fail\", found \"pass\"");
        }
        Ok(())
    }
}

fn seconds(text: &str) -> Option<f64> {
    crate::duration::parse_duration(text)
        .ok()
        .map(|d| d.as_secs_f64())
}

/// What a rule does to the verdict: nothing, a warning, or a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    Off,
    Warn,
    Fail,
}

/// New errors against the baseline: failure and exception signatures (messages with ids, numbers,
/// hex and UUIDs normalised) the baseline did not have, or has far fewer of.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErrorRules {
    /// A signature no kept baseline run had: "off", "warn" (default) or "fail".
    pub new: Rule,
    /// A signature whose count grew beyond Poisson noise (at the regression's confidence) over the
    /// baseline's rate scaled to this run's requests: "off", "warn" (default) or "fail".
    pub grown: Rule,
    /// Signatures seen fewer times than this in the current run are not judged.
    pub min_count: u64,
}

impl Default for ErrorRules {
    fn default() -> Self {
        ErrorRules {
            new: Rule::Warn,
            grown: Rule::Warn,
            min_count: 1,
        }
    }
}

/// Regression rules: a relative limit per metric, a floor below which no change matters, and how
/// much evidence a tail percentile needs. See docs/how-regressions-are-judged.md.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegressionRules {
    /// Relative increase that counts as a regression (0.20 = +20%).
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub avg: f64,
    /// Absolute increase of the error rate (0.01 = one percentage point).
    pub error_rate: f64,
    /// Relative decrease of throughput (0.15 = -15%); only compared at equal peak user counts.
    pub rps: f64,
    /// Latency changes smaller than this (ms) never count: below Locust's rounding and timer noise.
    pub min_change_ms: f64,
    /// Endpoints with fewer requests than this in either run are reported but never fail.
    pub min_requests: u64,
    /// Confidence of the sample-size interval around each percentile (0.99 = 99%).
    pub confidence: f64,
    /// A P95/P99 regression fails only when the median of the same scope moved the same way.
    pub corroborate_tails: bool,
    /// Status of a regression that passes every test: "fail" (default) or "warn".
    pub status: Status,
    /// What a run-wide shift (the whole runner slower, the cheapest endpoints too) does to the
    /// verdict: "warn" (default) or "fail".
    pub shift: Status,
    /// Under a run-wide shift of S ms, an endpoint may be slower by up to this many times S before
    /// its own change counts: work waits longer on a busy machine than a health check does.
    pub shift_transfer: f64,
    /// The prior between-run noise of a median or mean, as a relative standard deviation, used
    /// when the baseline keeps fewer than three runs (0.15 = runs of one build differ by ~15%).
    pub noise: f64,
    /// The same for P95 and P99, which move more between runs.
    pub tail_noise: f64,
    /// Users or run time differing from the baseline's by more than this factor (2 = twice or
    /// half) warn that the runs are not alike; smaller differences are notes.
    pub comparability_factor: f64,
}

impl RegressionRules {
    /// The limit on a metric's change, or `None` for a metric that is not compared.
    pub fn limit(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::P50 => Some(self.p50),
            Metric::P95 => Some(self.p95),
            Metric::P99 => Some(self.p99),
            Metric::Avg => Some(self.avg),
            Metric::ErrorRate => Some(self.error_rate),
            Metric::Rps => Some(self.rps),
            Metric::P90 | Metric::Max | Metric::Requests => None,
        }
    }

    /// The prior between-run noise of a latency metric.
    pub fn prior_noise(&self, metric: Metric) -> f64 {
        match metric {
            Metric::P95 | Metric::P99 | Metric::Max => self.tail_noise,
            Metric::P50
            | Metric::P90
            | Metric::Avg
            | Metric::ErrorRate
            | Metric::Rps
            | Metric::Requests => self.noise,
        }
    }

    /// Every limit non-negative, the comparability factor at least 1, the confidence in [0.5, 1).
    pub(super) fn validate(&self) -> Result<()> {
        for (key, value) in [
            ("p50", self.p50),
            ("p95", self.p95),
            ("p99", self.p99),
            ("avg", self.avg),
            ("error_rate", self.error_rate),
            ("rps", self.rps),
            ("min_change_ms", self.min_change_ms),
            ("shift_transfer", self.shift_transfer),
            ("noise", self.noise),
            ("tail_noise", self.tail_noise),
        ] {
            if !value.is_finite() || value < 0.0 {
                bail!("regression.{key}: must be a non-negative number, found {value}");
            }
        }
        if !self.comparability_factor.is_finite() || self.comparability_factor < 1.0 {
            bail!(
                "regression.comparability_factor: must be a number of at least 1, found {}",
                self.comparability_factor
            );
        }
        if !(0.5..1.0).contains(&self.confidence) {
            bail!(
                "regression.confidence: must be in [0.5, 1), found {}",
                self.confidence
            );
        }
        Ok(())
    }
}

impl Default for RegressionRules {
    fn default() -> Self {
        RegressionRules {
            p50: 0.20,
            p95: 0.20,
            p99: 0.30,
            avg: 0.20,
            error_rate: 0.01,
            rps: 0.15,
            min_change_ms: 5.0,
            min_requests: 100,
            confidence: 0.99,
            corroborate_tails: true,
            status: Status::Fail,
            shift: Status::Warn,
            shift_transfer: 2.5,
            noise: 0.15,
            tail_noise: 0.20,
            comparability_factor: 2.0,
        }
    }
}

/// Trend rules over the steady state of one run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrendRules {
    /// Relative climb of latency across the steady state that is flagged (0.25 = +25%).
    pub latency_increase: f64,
    /// Relative fall of throughput across the steady state that is flagged (0.15 = -15%).
    pub rps_decrease: f64,
    /// What a flagged trend does to the verdict: "warn" (default) or "fail".
    pub status: Status,
    /// The shortest steady state (s) in which a trend is judged; shorter runs say so instead.
    pub min_window_s: f64,
    /// Latency trends smaller than this (ms) across the window are never flagged: below a
    /// millisecond, timer resolution and scheduling dominate.
    pub min_change_ms: f64,
}

impl Default for TrendRules {
    fn default() -> Self {
        TrendRules {
            latency_increase: 0.25,
            rps_decrease: 0.15,
            status: Status::Warn,
            min_window_s: 20.0,
            min_change_ms: 1.0,
        }
    }
}

impl TrendRules {
    /// Every rate and window positive, the latency floor non-negative.
    pub(super) fn validate(&self) -> Result<()> {
        for (key, value) in [
            ("latency_increase", self.latency_increase),
            ("rps_decrease", self.rps_decrease),
            ("min_window_s", self.min_window_s),
        ] {
            if !value.is_finite() || value <= 0.0 {
                bail!("trend.{key}: must be a positive number, found {value}");
            }
        }
        let floor = self.min_change_ms;
        if !floor.is_finite() || floor < 0.0 {
            bail!("trend.min_change_ms: must be a non-negative number, found {floor}");
        }
        Ok(())
    }
}
