//! What can be measured of a scope, in which unit, and which way is better. Every part of loadgate
//! names a metric with this one type; its [`Metric::key`] is the string that profiles, baselines
//! and the JSON report use. How a metric is read is said once, here, for anything that holds a
//! scope's [`Figures`] (an endpoint's stats, a baseline summary, a run of an archive).

use std::fmt;

use serde::{Serialize, Serializer};

use super::{ratio, EndpointStats, PERCENTILE_LEVELS};

/// A measurable figure of a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    P50,
    P90,
    P95,
    P99,
    Avg,
    Max,
    ErrorRate,
    Rps,
    /// The number of requests (the gate's minimum).
    Requests,
}

/// The unit a metric's values are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds, as Locust's files hold them.
    Millis,
    /// A fraction of 1 (0.01 = 1%).
    Fraction,
    /// Requests per second.
    PerSecond,
    /// A whole count.
    Count,
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

/// The figures of one scope, whatever holds them. Accessors only: what a metric means is
/// [`Metric::of`].
pub trait Figures {
    fn requests(&self) -> u64;
    fn failures(&self) -> u64;
    fn rps(&self) -> f64;
    fn avg_ms(&self) -> Option<f64>;
    fn max_ms(&self) -> Option<f64>;
    /// The percentile at `PERCENTILE_LEVELS[index]`, in ms.
    fn percentile_ms(&self, index: usize) -> Option<f64>;
}

impl Figures for EndpointStats {
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
        self.avg_ms
    }
    fn max_ms(&self) -> Option<f64> {
        self.max()
    }
    fn percentile_ms(&self, index: usize) -> Option<f64> {
        match index {
            0 => self.p50(),
            i => self.percentiles.0.get(i).copied().flatten(),
        }
    }
}

impl Metric {
    /// Every metric, in the order reports list them.
    pub const ALL: [Metric; 9] = [
        Metric::P50,
        Metric::P90,
        Metric::P95,
        Metric::P99,
        Metric::Avg,
        Metric::Max,
        Metric::ErrorRate,
        Metric::Rps,
        Metric::Requests,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Metric::P50 => "p50",
            Metric::P90 => "p90",
            Metric::P95 => "p95",
            Metric::P99 => "p99",
            Metric::Avg => "avg",
            Metric::Max => "max",
            Metric::ErrorRate => "error_rate",
            Metric::Rps => "rps",
            Metric::Requests => "requests",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::P50 | Metric::P90 | Metric::P95 | Metric::P99 | Metric::Avg | Metric::Max => {
                Unit::Millis
            }
            Metric::ErrorRate => Unit::Fraction,
            Metric::Rps => Unit::PerSecond,
            Metric::Requests => Unit::Count,
        }
    }

    /// Throughput and request counts are better when higher; latencies and errors when lower.
    pub fn better(self) -> Better {
        match self {
            Metric::Rps | Metric::Requests => Better::Higher,
            Metric::P50
            | Metric::P90
            | Metric::P95
            | Metric::P99
            | Metric::Avg
            | Metric::Max
            | Metric::ErrorRate => Better::Lower,
        }
    }

    pub fn higher_is_better(self) -> bool {
        self.better() == Better::Higher
    }

    /// The index in [`PERCENTILE_LEVELS`] of a percentile metric.
    pub fn percentile_index(self) -> Option<usize> {
        match self {
            Metric::P50 => Some(0),
            Metric::P90 => Some(4),
            Metric::P95 => Some(5),
            Metric::P99 => Some(7),
            Metric::Avg | Metric::Max | Metric::ErrorRate | Metric::Rps | Metric::Requests => None,
        }
    }

    /// The quantile of a percentile metric (P95 -> 0.95).
    pub fn quantile(self) -> Option<f64> {
        self.percentile_index().map(|i| PERCENTILE_LEVELS[i])
    }

    /// The metric's value in `figures`; `None` where the file did not say.
    pub fn of(self, figures: &(impl Figures + ?Sized)) -> Option<f64> {
        match self {
            Metric::P50 | Metric::P90 | Metric::P95 | Metric::P99 => {
                figures.percentile_ms(self.percentile_index()?)
            }
            Metric::Avg => figures.avg_ms(),
            Metric::Max => figures.max_ms(),
            Metric::ErrorRate => Some(ratio(figures.failures(), figures.requests())),
            Metric::Rps => Some(figures.rps()),
            Metric::Requests => Some(figures.requests() as f64),
        }
    }

    /// A value in the unit people read, as checks and reasons state it: `12 ms`, `1.25%`,
    /// `40.0 req/s`, `95`.
    pub fn display(self, value: f64) -> String {
        match self.unit() {
            Unit::Millis => format!("{} ms", trim_number(value)),
            Unit::Fraction => format!("{:.2}%", value * 100.0),
            Unit::PerSecond => format!("{value:.1} req/s"),
            Unit::Count => format!("{value:.0}"),
        }
    }
}

/// A whole number without decimals, anything else with one.
fn trim_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Figures for Fixed {
        fn requests(&self) -> u64 {
            200
        }
        fn failures(&self) -> u64 {
            3
        }
        fn rps(&self) -> f64 {
            12.5
        }
        fn avg_ms(&self) -> Option<f64> {
            Some(41.0)
        }
        fn max_ms(&self) -> Option<f64> {
            None
        }
        fn percentile_ms(&self, index: usize) -> Option<f64> {
            Some(index as f64 * 10.0)
        }
    }

    #[test]
    fn each_metric_reads_its_own_figure() {
        let read: Vec<Option<f64>> = Metric::ALL.iter().map(|m| m.of(&Fixed)).collect();
        assert_eq!(
            read,
            [
                Some(0.0),
                Some(40.0),
                Some(50.0),
                Some(70.0),
                Some(41.0),
                None,
                Some(0.015),
                Some(12.5),
                Some(200.0)
            ]
        );
    }

    #[test]
    fn keys_are_unique_and_units_read_as_people_read_them() {
        let keys: std::collections::BTreeSet<_> = Metric::ALL.iter().map(|m| m.key()).collect();
        assert_eq!(keys.len(), Metric::ALL.len());
        assert_eq!(Metric::P95.display(120.0), "120 ms");
        assert_eq!(Metric::P95.display(0.25), "0.2 ms");
        assert_eq!(Metric::ErrorRate.display(0.0125), "1.25%");
        assert_eq!(Metric::Rps.display(40.0), "40.0 req/s");
        assert_eq!(Metric::Requests.display(95.0), "95");
        assert_eq!(Metric::P99.quantile(), Some(0.99));
        assert_eq!(Metric::Avg.quantile(), None);
    }

    #[test]
    fn throughput_and_counts_are_better_higher() {
        let higher: Vec<Metric> = Metric::ALL
            .into_iter()
            .filter(|m| m.higher_is_better())
            .collect();
        assert_eq!(higher, [Metric::Rps, Metric::Requests]);
    }
}
