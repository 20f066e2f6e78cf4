//! What the server did during a run, as read from a metrics backend (Prometheus): plain series, no
//! querying and no judging. Read by `crate::server` (the source), judged by the analysis.

use std::collections::BTreeMap;

/// The unit a server figure is shown and compared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerUnit {
    Bytes,
    Seconds,
    /// 0..1 (a cache hit rate, a CPU share of one core).
    Ratio,
    /// 0..100.
    Percent,
    Count,
    None,
}

impl ServerUnit {
    /// The names a rule's `unit` may take, in the order the docs list them.
    pub const NAMES: [&'static str; 6] = ["bytes", "seconds", "ratio", "percent", "count", "none"];

    pub fn from_name(name: &str) -> Option<ServerUnit> {
        Some(match name {
            "bytes" => ServerUnit::Bytes,
            "seconds" => ServerUnit::Seconds,
            "ratio" => ServerUnit::Ratio,
            "percent" => ServerUnit::Percent,
            "count" => ServerUnit::Count,
            "none" => ServerUnit::None,
            _ => return None,
        })
    }
}

/// One series read for the run's window.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSeries {
    /// The preset or rule that asked for it (`process_cpu`, `api memory`).
    pub source: String,
    /// The PromQL that was asked.
    pub query: String,
    /// The series' labels as the backend returned them (untrusted text).
    pub labels: BTreeMap<String, String>,
    pub unit: ServerUnit,
    /// (Unix seconds, value), ordered by time; NaN and infinite values dropped at read time.
    pub points: Vec<(f64, f64)>,
}
