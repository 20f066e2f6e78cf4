//! Threshold profiles: TOML files that say how good each metric must be. Built-ins live in
//! `thresholds/` and are embedded in the binary so that `--profile NAME` works anywhere.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::glob::glob_match;
use crate::model::{FailureRecord, Metric, Status};

/// The built-in profiles: (name, TOML text).
pub const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../thresholds/default.toml")),
    ("light", include_str!("../thresholds/light.toml")),
    ("medium", include_str!("../thresholds/medium.toml")),
    ("heavy", include_str!("../thresholds/heavy.toml")),
    ("spike", include_str!("../thresholds/spike.toml")),
    ("ml-api", include_str!("../thresholds/ml-api.toml")),
    ("llm-api", include_str!("../thresholds/llm-api.toml")),
    ("web-api", include_str!("../thresholds/web-api.toml")),
    (
        "high-throughput",
        include_str!("../thresholds/high-throughput.toml"),
    ),
];

/// The five grades users know, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    Excellent,
    Good,
    Acceptable,
    Poor,
    Critical,
}

impl Grade {
    pub const ALL: [Grade; 5] = [
        Grade::Excellent,
        Grade::Good,
        Grade::Acceptable,
        Grade::Poor,
        Grade::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Good => "good",
            Grade::Acceptable => "acceptable",
            Grade::Poor => "poor",
            Grade::Critical => "critical",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metric's band bounds: the worst value that still earns each band. Beyond the last bound is
/// critical. A band left out is skipped. A bare number in the TOML is a single pass/fail limit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Bands {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excellent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub good: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptable: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poor: Option<f64>,
}

impl Bands {
    /// The bounds of excellent, good, acceptable and poor, in that order.
    pub fn bounds(&self) -> [Option<f64>; 4] {
        [self.excellent, self.good, self.acceptable, self.poor]
    }

    /// The grade a value earns.
    pub fn grade(&self, value: f64, higher_is_better: bool) -> Grade {
        for (grade, bound) in Grade::ALL.iter().zip(self.bounds()) {
            if let Some(bound) = bound {
                let within = if higher_is_better {
                    value >= bound
                } else {
                    value <= bound
                };
                if within {
                    return *grade;
                }
            }
        }
        Grade::Critical
    }

    /// The worst value that still grades better than `grade`: the line a check crosses to reach it.
    pub fn limit_before(&self, grade: Grade) -> Option<f64> {
        let bounds = self.bounds();
        Grade::ALL
            .iter()
            .position(|g| *g == grade)
            .and_then(|i| bounds[..i].iter().rev().find_map(|b| *b))
    }
}

impl<'de> Deserialize<'de> for Bands {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BandsVisitor;
        impl<'de> Visitor<'de> for BandsVisitor {
            type Value = Bands;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number (a single limit) or a table of bands {excellent, good, acceptable, poor}")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bands, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bands, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bands, E> {
                Ok(Bands {
                    good: Some(v),
                    ..Bands::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bands, A::Error> {
                const FIELDS: &[&str] = &["excellent", "good", "acceptable", "poor"];
                let mut bands = Bands::default();
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "excellent" => &mut bands.excellent,
                        "good" => &mut bands.good,
                        "acceptable" => &mut bands.acceptable,
                        "poor" => &mut bands.poor,
                        other => return Err(de::Error::unknown_field(other, FIELDS)),
                    };
                    *slot = Some(map.next_value::<f64>()?);
                }
                Ok(bands)
            }
        }
        deserializer.deserialize_any(BandsVisitor)
    }
}

/// Limits per metric; any may be absent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<Bands>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rps: Option<Bands>,
}

impl Limits {
    pub fn get(&self, metric: Metric) -> Option<&Bands> {
        match metric {
            Metric::P50 => self.p50.as_ref(),
            Metric::P90 => self.p90.as_ref(),
            Metric::P95 => self.p95.as_ref(),
            Metric::P99 => self.p99.as_ref(),
            Metric::Avg => self.avg.as_ref(),
            Metric::Max => self.max.as_ref(),
            Metric::ErrorRate => self.error_rate.as_ref(),
            Metric::Rps => self.rps.as_ref(),
            // The gate's `min_requests` limits the request count, not a band.
            Metric::Requests => None,
        }
    }

    pub fn set(&mut self, metric: Metric, bands: Bands) {
        let slot = match metric {
            Metric::P50 => &mut self.p50,
            Metric::P90 => &mut self.p90,
            Metric::P95 => &mut self.p95,
            Metric::P99 => &mut self.p99,
            Metric::Avg => &mut self.avg,
            Metric::Max => &mut self.max,
            Metric::ErrorRate => &mut self.error_rate,
            Metric::Rps => &mut self.rps,
            Metric::Requests => return,
        };
        *slot = Some(bands);
    }

    /// These limits with every metric that `over` sets replaced by its value.
    pub fn overlaid(&self, over: &Limits) -> Limits {
        let mut merged = self.clone();
        for metric in Metric::ALL {
            if let Some(bands) = over.get(metric) {
                merged.set(metric, *bands);
            }
        }
        merged
    }
}

/// Which grades warn and which fail the gate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gate {
    /// A check graded this or worse warns (exit 0).
    pub warn: Grade,
    /// A check graded this or worse fails the gate (exit 1).
    pub fail: Grade,
    /// A run with fewer requests than this fails: an empty run proves nothing.
    pub min_requests: u64,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            warn: Grade::Poor,
            fail: Grade::Critical,
            min_requests: 1,
        }
    }
}

/// Limits for the endpoints whose name matches `name` (exact, or a glob with `*` and `?`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointOverride {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Leave matching endpoints out of grading altogether.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip: bool,
    #[serde(flatten)]
    pub limits: Limits,
}

impl EndpointOverride {
    pub fn matches(&self, method: &str, name: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_match(&self.name, name)
    }
}

/// HTTP statuses as one number or a list.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Statuses {
    One(u16),
    Many(Vec<u16>),
}

impl Statuses {
    pub fn contains(&self, status: u16) -> bool {
        match self {
            Statuses::One(s) => *s == status,
            Statuses::Many(list) => list.contains(&status),
        }
    }
}

/// Failures the test expects (such as 429 under rate limiting): kept out of the graded error rate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFailure {
    /// HTTP status(es), read from the failure message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Statuses>,
    /// A glob over the failure message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A glob over the endpoint name; all endpoints when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Why these failures are fine, shown in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ExpectedFailure {
    /// Whether a failure of `method name` with `message` (and the HTTP `status` read from it)
    /// is one of these.
    pub fn matches(&self, method: &str, name: &str, message: &str, status: Option<u16>) -> bool {
        let status_ok = self
            .status
            .as_ref()
            .is_none_or(|s| status.is_some_and(|code| s.contains(code)));
        status_ok
            && self
                .message
                .as_deref()
                .is_none_or(|p| glob_match(p, message))
            && self.name.as_deref().is_none_or(|p| glob_match(p, name))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// A threshold profile.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub gate: Gate,
    /// Limits for the aggregate and for every endpoint.
    #[serde(default)]
    pub thresholds: Limits,
    /// Limits for the aggregate only (laid over `thresholds`), e.g. minimum throughput.
    #[serde(default)]
    pub aggregated: Limits,
    #[serde(default, rename = "endpoint", skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointOverride>,
    #[serde(
        default,
        rename = "expected_failure",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub expected_failures: Vec<ExpectedFailure>,
    /// How a run is compared with a baseline.
    #[serde(default)]
    pub regression: RegressionRules,
    /// What counts as degradation inside one run.
    #[serde(default)]
    pub trend: TrendRules,
    /// Failure signatures against the baseline's.
    #[serde(default)]
    pub new_errors: ErrorRules,
    /// Limits that must hold over time in the history, not only over the whole run.
    #[serde(default, rename = "sustained", skip_serializing_if = "Vec::is_empty")]
    pub sustained: Vec<SustainedRule>,
    /// Limits on what the server did, read from a metrics backend (`crate::server::rules`).
    #[serde(default, rename = "server", skip_serializing_if = "Vec::is_empty")]
    pub server: Vec<ServerRule>,
}

/// A `[[server]]` rule as written: PromQL, how its series reduce to one value, and its limit or
/// bands. Validated and graded by `crate::server::rules`; docs/server-metrics.md has the keys.
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

    fn validate(&self, at: &str) -> Result<()> {
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

impl Profile {
    /// Parses and validates a profile; `origin` names it in errors (a path, or `builtin:NAME`).
    pub fn parse(text: &str, origin: &str) -> Result<Profile> {
        let profile: Profile =
            toml::from_str(text).with_context(|| format!("{origin}: invalid profile"))?;
        profile
            .validate()
            .with_context(|| format!("{origin}: invalid profile"))?;
        Ok(profile)
    }

    /// Loads `spec`: a built-in name, or the path of a TOML file.
    pub fn load(spec: &str) -> Result<Profile> {
        if let Some((_, text)) = BUILTINS.iter().find(|(name, _)| *name == spec) {
            return Profile::parse(text, &format!("builtin:{spec}"));
        }
        let path = Path::new(spec);
        if path.exists() || spec.ends_with(".toml") || spec.contains(std::path::MAIN_SEPARATOR) {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{spec}: cannot read the profile"))?;
            return Profile::parse(&text, spec);
        }
        let names: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
        bail!(
            "unknown profile '{spec}': not a built-in ({}) and no such file",
            names.join(", ")
        )
    }

    /// Loads `spec` and says where it came from: `builtin:NAME`, or the path as given.
    pub fn load_with_source(spec: &str) -> Result<(Profile, String)> {
        let profile = Profile::load(spec)?;
        let source = if BUILTINS.iter().any(|(n, _)| *n == spec) {
            format!("builtin:{spec}")
        } else {
            spec.to_string()
        };
        Ok((profile, source))
    }

    /// Whether a failures-file row is one the profile declares expected.
    pub fn expects(&self, failure: &FailureRecord) -> bool {
        self.expected_failures.iter().any(|e| {
            e.matches(
                &failure.key.method,
                &failure.key.name,
                &failure.message,
                failure.status_code,
            )
        })
    }

    /// The limits for the aggregate.
    pub fn aggregated_limits(&self) -> Limits {
        self.thresholds.overlaid(&self.aggregated)
    }

    /// The limits for one endpoint, or `None` when an override skips it. Later overrides win.
    pub fn endpoint_limits(&self, method: &str, name: &str) -> Option<Limits> {
        let mut limits = self.thresholds.clone();
        for over in self.endpoints.iter().filter(|o| o.matches(method, name)) {
            if over.skip {
                return None;
            }
            limits = limits.overlaid(&over.limits);
        }
        Some(limits)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.gate.warn > self.gate.fail {
            bail!(
                "gate.warn ({}) must not be worse than gate.fail ({})",
                self.gate.warn,
                self.gate.fail
            );
        }
        validate_limits("thresholds", &self.thresholds)?;
        validate_limits("aggregated", &self.aggregated)?;
        for (i, over) in self.endpoints.iter().enumerate() {
            validate_limits(&format!("endpoint[{i}] ({})", over.name), &over.limits)?;
        }
        let r = &self.regression;
        for (key, value) in [
            ("p50", r.p50),
            ("p95", r.p95),
            ("p99", r.p99),
            ("avg", r.avg),
            ("error_rate", r.error_rate),
            ("rps", r.rps),
            ("min_change_ms", r.min_change_ms),
            ("shift_transfer", r.shift_transfer),
            ("noise", r.noise),
            ("tail_noise", r.tail_noise),
        ] {
            if !value.is_finite() || value < 0.0 {
                bail!("regression.{key}: must be a non-negative number, found {value}");
            }
        }
        if !r.comparability_factor.is_finite() || r.comparability_factor < 1.0 {
            bail!(
                "regression.comparability_factor: must be a number of at least 1, found {}",
                r.comparability_factor
            );
        }
        if !(0.5..1.0).contains(&r.confidence) {
            bail!(
                "regression.confidence: must be in [0.5, 1), found {}",
                r.confidence
            );
        }
        for (key, value) in [
            ("latency_increase", self.trend.latency_increase),
            ("rps_decrease", self.trend.rps_decrease),
            ("min_window_s", self.trend.min_window_s),
        ] {
            if !value.is_finite() || value <= 0.0 {
                bail!("trend.{key}: must be a positive number, found {value}");
            }
        }
        let floor = self.trend.min_change_ms;
        if !floor.is_finite() || floor < 0.0 {
            bail!("trend.min_change_ms: must be a non-negative number, found {floor}");
        }
        for (key, status) in [
            ("regression.status", self.regression.status),
            ("regression.shift", self.regression.shift),
            ("trend.status", self.trend.status),
        ] {
            if status == Status::Pass {
                bail!("{key}: must be \"warn\" or \"fail\", found \"pass\"");
            }
        }
        for (i, rule) in self.sustained.iter().enumerate() {
            rule.validate(&format!("sustained[{i}]"))?;
        }
        crate::server::rules::validate(&self.server)?;
        for (i, expected) in self.expected_failures.iter().enumerate() {
            if expected.status.is_none() && expected.message.is_none() {
                bail!("expected_failure[{i}]: needs a `status` or a `message` pattern");
            }
        }
        Ok(())
    }
}

/// Regression rules: a relative limit per metric, a floor below which no change matters, and how
/// much evidence a tail percentile needs. See the README's "How regressions are judged".
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

fn validate_limits(section: &str, limits: &Limits) -> Result<()> {
    for metric in Metric::ALL {
        let Some(bands) = limits.get(metric) else {
            continue;
        };
        let defined: Vec<(Grade, f64)> = Grade::ALL
            .iter()
            .zip(bands.bounds())
            .filter_map(|(g, b)| b.map(|b| (*g, b)))
            .collect();
        if defined.is_empty() {
            bail!("{section}.{metric}: no band bounds given");
        }
        for (grade, bound) in &defined {
            if !bound.is_finite() || *bound < 0.0 {
                bail!("{section}.{metric}.{grade}: must be a non-negative number, found {bound}");
            }
            if metric == Metric::ErrorRate && *bound > 1.0 {
                bail!(
                    "{section}.{metric}.{grade}: error rates are fractions of 1 (0.01 = 1%), found {bound}"
                );
            }
        }
        for pair in defined.windows(2) {
            let ((g1, b1), (g2, b2)) = (pair[0], pair[1]);
            let ordered = if metric.higher_is_better() {
                b1 >= b2
            } else {
                b1 <= b2
            };
            if !ordered {
                let word = if metric.higher_is_better() {
                    "decrease"
                } else {
                    "increase"
                };
                bail!("{section}.{metric}: bounds must {word} from excellent to poor ({g1} {b1}, {g2} {b2})");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (name, text) in BUILTINS {
            let profile = Profile::parse(text, name).unwrap();
            assert_eq!(&profile.name, name);
        }
    }

    #[test]
    fn bands_grade_inclusively_and_skip_missing_bands() {
        let bands = Bands {
            excellent: Some(50.0),
            good: Some(100.0),
            acceptable: None,
            poor: Some(500.0),
        };
        assert_eq!(bands.grade(50.0, false), Grade::Excellent);
        assert_eq!(bands.grade(50.1, false), Grade::Good);
        assert_eq!(bands.grade(200.0, false), Grade::Poor);
        assert_eq!(bands.grade(500.1, false), Grade::Critical);
        assert_eq!(bands.limit_before(Grade::Critical), Some(500.0));
        assert_eq!(bands.limit_before(Grade::Poor), Some(100.0));
    }

    #[test]
    fn throughput_bands_are_minimums() {
        let bands = Bands {
            good: Some(100.0),
            acceptable: Some(50.0),
            ..Bands::default()
        };
        assert_eq!(bands.grade(150.0, true), Grade::Good);
        assert_eq!(bands.grade(60.0, true), Grade::Acceptable);
        assert_eq!(bands.grade(10.0, true), Grade::Critical);
    }

    #[test]
    fn a_bare_number_is_a_single_limit() {
        let p = Profile::parse("name = \"x\"\n[thresholds]\np95 = 300\n", "t").unwrap();
        let bands = p.thresholds.p95.unwrap();
        assert_eq!(bands.grade(300.0, false), Grade::Good);
        assert_eq!(bands.grade(301.0, false), Grade::Critical);
    }

    #[test]
    fn an_unknown_key_names_the_key_and_origin() {
        let err = format!(
            "{:#}",
            Profile::parse("name = \"x\"\n[thresholds]\np96 = 300\n", "my.toml").unwrap_err()
        );
        assert!(err.contains("my.toml"), "{err}");
        assert!(err.contains("p96"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_the_key() {
        let err = format!(
            "{:#}",
            Profile::parse("name = \"x\"\n[thresholds]\np95 = \"fast\"\n", "my.toml").unwrap_err()
        );
        assert!(err.contains("p95"), "{err}");
    }

    #[test]
    fn unordered_bands_are_rejected() {
        let err = Profile::parse(
            "name = \"x\"\n[thresholds]\np95 = { excellent = 300, good = 100 }\n",
            "t",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("must increase"), "{err:#}");
    }

    #[test]
    fn error_rates_above_one_are_rejected() {
        let err = Profile::parse("name = \"x\"\n[thresholds]\nerror_rate = 5\n", "t").unwrap_err();
        assert!(format!("{err:#}").contains("fractions of 1"), "{err:#}");
    }

    #[test]
    fn endpoint_overrides_apply_in_order_and_can_skip() {
        let p = Profile::parse(
            r#"name = "x"
[thresholds]
p95 = 100
[[endpoint]]
name = "/slow*"
p95 = 1000
[[endpoint]]
name = "/health"
skip = true
"#,
            "t",
        )
        .unwrap();
        assert_eq!(
            p.endpoint_limits("GET", "/slow/report")
                .unwrap()
                .p95
                .unwrap()
                .good,
            Some(1000.0)
        );
        assert_eq!(
            p.endpoint_limits("GET", "/fast").unwrap().p95.unwrap().good,
            Some(100.0)
        );
        assert!(p.endpoint_limits("GET", "/health").is_none());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_text_gives_a_profile_or_an_error(text in "\\PC{0,300}") {
                let _ = Profile::parse(&text, "p.toml");
            }

            #[test]
            fn grades_never_improve_as_latency_grows(
                mut bounds in prop::collection::vec(0.0f64..10_000.0, 4),
                a in 0.0f64..20_000.0,
                b in 0.0f64..20_000.0,
            ) {
                bounds.sort_by(f64::total_cmp);
                let bands = Bands { excellent: Some(bounds[0]), good: Some(bounds[1]), acceptable: Some(bounds[2]), poor: Some(bounds[3]) };
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                prop_assert!(bands.grade(lo, false) <= bands.grade(hi, false));
                prop_assert!(bands.grade(hi, true) <= bands.grade(lo, true));
            }
        }
    }
}
