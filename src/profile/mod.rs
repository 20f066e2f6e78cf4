//! Threshold profiles: TOML files that say how good each metric must be. Built-ins live in
//! `thresholds/` and are embedded in the binary so that `--profile NAME` works anywhere.
//!
//! Layout, by job: this module is the profile document (what a TOML file holds, how it is read,
//! loaded by name or path, and validated); `builtin` embeds the shipped profiles; `bands` holds the
//! grades, bands, limits and gate; `matching` what the endpoint and expected-failure sections apply
//! to; `rules` the regression, trend, new-error, sustained and server rules as written;
//! `server_rules` the `[[server]]` rules typed and validated. The files below import none of this
//! module, and none of each other but `matching`, `rules` -> `bands` and `server_rules` -> `rules`,
//! `bands`; none imports `crate::server` (which reads the backend and grades the rules).

mod bands;
mod builtin;
mod matching;
mod rules;
pub mod server_rules;

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::model::{FailureRecord, Status};

pub use bands::{Bands, Gate, Grade, Limits};
pub use builtin::{gate_summary, BUILTINS};
pub use matching::{EndpointOverride, ExpectedFailure, Statuses};
pub use rules::{
    ErrorRules, RegressionRules, Rule, ServerRule, SustainedRule, TrendRules, SUSTAINED_METRICS,
};

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

impl Profile {
    /// Parses and validates a profile; `origin` names it in errors (a path, or `builtin:NAME`).
    pub fn parse(text: &str, origin: &str) -> Result<Profile> {
        let profile: Profile = toml::from_str(text)
            .map_err(|e| crate::toml_error::toml_error(origin, text, &e, "profile"))?;
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
            // Read as bytes: a file that is not text is not a profile, and is never quoted.
            let bytes =
                std::fs::read(path).with_context(|| format!("{spec}: cannot read the profile"))?;
            let Ok(text) = String::from_utf8(bytes) else {
                bail!("{spec}: not a loadgate profile (not UTF-8 text); its content is not shown");
            };
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
        bands::validate_limits("thresholds", &self.thresholds)?;
        bands::validate_limits("aggregated", &self.aggregated)?;
        for (i, over) in self.endpoints.iter().enumerate() {
            bands::validate_limits(&format!("endpoint[{i}] ({})", over.name), &over.limits)?;
        }
        self.regression.validate()?;
        self.trend.validate()?;
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
        server_rules::validate(&self.server)?;
        for (i, expected) in self.expected_failures.iter().enumerate() {
            if expected.status.is_none() && expected.message.is_none() {
                bail!("expected_failure[{i}]: needs a `status` or a `message` pattern");
            }
        }
        Ok(())
    }
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

    proptest::proptest! {
        #[test]
        fn any_text_gives_a_profile_or_an_error(text in "\\PC{0,300}") {
            let _ = Profile::parse(&text, "p.toml");
        }
    }
}
