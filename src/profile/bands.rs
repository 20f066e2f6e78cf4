//! Grades and bands: the five grades, a metric's band bounds (a table, or a bare number as a single
//! limit), the limits per metric, the gate that says which grades warn and which fail, and the checks
//! that a profile's bands are well formed.

use std::fmt;

use anyhow::{bail, Result};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::model::Metric;

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

/// Every metric of `limits` has bounds, non-negative (an error rate at most 1), ordered from
/// excellent to poor; errors name `section`.
pub(super) fn validate_limits(section: &str, limits: &Limits) -> Result<()> {
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
    use proptest::prelude::*;

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

    proptest! {
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
