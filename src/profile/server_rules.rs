//! `[[server]]` rules read into types and validated when the profile is read: the unit, how each
//! series becomes one value (`over`), the bands in order, `for` and `within`. Grading them over the
//! series read is `crate::server::rules`' job; this file imports nothing from `crate::server`, so the
//! profile does not depend on the code that reads the backend.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use super::bands::{Bands, Grade};
use super::rules::ServerRule;
use crate::model::ServerUnit;

/// How a series becomes one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Over {
    Max,
    Mean,
    Min,
    Last,
    P95,
    /// Last minus first: the growth over the run.
    Increase,
    /// The least-squares slope, per minute.
    Slope,
}

impl Over {
    pub const ALL: [Over; 7] = [
        Over::Max,
        Over::Mean,
        Over::Min,
        Over::Last,
        Over::P95,
        Over::Increase,
        Over::Slope,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Over::Max => "max",
            Over::Mean => "mean",
            Over::Min => "min",
            Over::Last => "last",
            Over::P95 => "p95",
            Over::Increase => "increase",
            Over::Slope => "slope",
        }
    }

    fn parse(text: &str) -> Option<Over> {
        Over::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// A rule as graded: its text read once into types.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub query: String,
    pub unit: ServerUnit,
    pub over: Over,
    pub bands: Bands,
    pub floor: bool,
    pub for_s: Option<f64>,
    pub within_s: Option<f64>,
}

impl Rule {
    /// The rule as written; errors are `validate`'s.
    pub fn from_profile(rule: &ServerRule) -> Result<Rule> {
        let unit_text = rule.unit.as_deref().unwrap_or("none");
        let unit = ServerUnit::from_name(unit_text).ok_or_else(|| {
            anyhow!(
                "unit: '{unit_text}' is not one of {}",
                ServerUnit::NAMES.join(", ")
            )
        })?;
        let over = match &rule.over {
            Some(text) => Over::parse(text).ok_or_else(|| {
                let names: Vec<_> = Over::ALL.iter().map(|o| o.as_str()).collect();
                anyhow!("over: '{text}' is not one of {}", names.join(", "))
            })?,
            None if rule.floor => Over::Min,
            None => Over::Max,
        };
        if rule.name.trim().is_empty() {
            bail!("name: must not be empty");
        }
        if rule.query.trim().is_empty() {
            bail!("query: must not be empty");
        }
        let defined: Vec<(Grade, f64)> = Grade::ALL
            .iter()
            .zip(rule.limit.bounds())
            .filter_map(|(g, b)| b.map(|b| (*g, b)))
            .collect();
        if defined.is_empty() {
            bail!("limit: no band bounds given");
        }
        for (grade, bound) in &defined {
            if !bound.is_finite() {
                bail!("limit.{grade}: must be a number, found {bound}");
            }
        }
        for pair in defined.windows(2) {
            let ((g1, b1), (g2, b2)) = (pair[0], pair[1]);
            let ordered = if rule.floor { b1 >= b2 } else { b1 <= b2 };
            if !ordered {
                let way = if rule.floor { "at least" } else { "at most" };
                bail!(
                    "limit: {g1} ({b1}) must be {way} {g2} ({b2}) (floor = {})",
                    rule.floor
                );
            }
        }
        let duration = |key: &str, text: &str| -> Result<f64> {
            let seconds = crate::duration::parse_duration(text)
                .map(|d| d.as_secs_f64())
                .map_err(|_| anyhow!("{key}: '{text}' is not a duration (30s, 2m)"))?;
            if seconds <= 0.0 {
                bail!("{key}: must be longer than 0 s");
            }
            Ok(seconds)
        };
        let for_s = rule
            .for_
            .as_deref()
            .map(|t| duration("for", t))
            .transpose()?;
        let within_s = rule
            .within
            .as_deref()
            .map(|t| duration("within", t))
            .transpose()?;
        match (for_s, within_s) {
            (None, Some(_)) => bail!("within: needs `for` (how long in total inside the window)"),
            (Some(f), Some(w)) if w < f => bail!(
                "within ({}) must be at least as long as for ({})",
                rule.within.as_deref().unwrap_or_default(),
                rule.for_.as_deref().unwrap_or_default()
            ),
            _ => {}
        }
        if for_s.is_some() && !matches!(over, Over::Max | Over::Min) {
            bail!(
                "for: applies to over = \"max\" (the highest level held that long) or \"min\" (the lowest), not \"{}\"",
                over.as_str()
            );
        }
        Ok(Rule {
            name: rule.name.clone(),
            query: rule.query.clone(),
            unit,
            over,
            bands: rule.limit,
            floor: rule.floor,
            for_s,
            within_s,
        })
    }

    /// How the value is taken, for people: `max`, `max held for 30 s`, `max held for 30 s within 60 s`.
    pub fn describe_over(&self) -> String {
        let over = match self.over {
            Over::Slope => "slope per minute".to_string(),
            other => other.as_str().to_string(),
        };
        match (self.for_s, self.within_s) {
            (Some(f), Some(w)) => format!("{over} held for {f:.0} s within {w:.0} s"),
            (Some(f), None) => format!("{over} held for {f:.0} s"),
            _ => over,
        }
    }
}

/// Every `[[server]]` rule of a profile, each error naming the rule by index and name.
pub fn validate(rules: &[ServerRule]) -> Result<()> {
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("server[{i}] ({})", rule.name);
        Rule::from_profile(rule).with_context(|| at.clone())?;
        if rules[..i].iter().any(|r| r.name == rule.name) {
            bail!("{at}: another [[server]] rule has this name");
        }
    }
    Ok(())
}
