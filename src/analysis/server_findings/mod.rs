//! Findings that explain what the server did during a run: its metrics (as read from Prometheus for
//! the run's window, [`ServerSeries`]) set beside what the load generator saw each second
//! ([`Interval`]s of the aggregate history). Each finding carries its numbers and is made only when
//! the evidence is strong; noise gives none:
//!
//! - [`memory_growth`]: memory growing at constant load, a least-squares slope in MB/min with its
//!   standard error, and the time left until a limit at that rate;
//! - [`saturation`]: the CPU resource that was at its ceiling when throughput stopped growing at a
//!   ramp's knee, with its correlation to throughput and the lag;
//! - [`restarts`]: a process restart or an `up == 0` gap inside the run, tied to the burst of errors
//!   it caused;
//! - [`throttling`]: CPU throttling (cAdvisor's CFS counters) while latency rose;
//! - [`look_downstream`]: latency rose while no server resource did.
//!
//! One file per job: `series` (which series is which), `align` (fits, correlation, buckets),
//! `memory`, `saturation`, `restarts`, `rise`, `throttling`, `downstream`; the findings together
//! are here.
//!
//! Series are recognised by the metric names in their PromQL (the query is what was asked, whatever
//! preset or rule asked it). Every threshold is a named constant; `docs/server-findings.md` states
//! each one in a sentence. Label values come from the server: they are kept as text here and escaped
//! by each output.

use std::collections::BTreeMap;

use serde::Serialize;

use super::findings::Finding;
use super::series::Interval;
use super::stats::{linear_fit, mean};
use crate::model::{Scope, ServerSeries, ServerUnit};

mod align;
mod downstream;
mod memory;
mod restarts;
mod rise;
mod saturation;
mod series;
mod throttling;

pub use align::*;
pub use downstream::*;
pub use memory::*;
pub use restarts::*;
pub use rise::*;
pub use saturation::*;
pub use series::*;
pub use throttling::*;

pub(super) const MB: f64 = 1024.0 * 1024.0;

/// Client figures and server series are compared in buckets of this many seconds: a second of
/// Locust's history holds a few dozen requests, too few for a mean latency that does not jump.
pub const BUCKET_S: f64 = 5.0;

// Memory growth.
/// Seconds skipped once users reach their peak (connections, pools and caches fill first).
pub const GROWTH_SETTLE_S: f64 = 5.0;
/// The constant-load stretch the fit needs.
pub const GROWTH_MIN_SPAN_S: f64 = 30.0;
pub const GROWTH_MIN_POINTS: usize = 20;
/// Smaller slopes are not reported, however significant (an allocator's warm-up, a log buffer).
pub const GROWTH_MIN_MB_PER_MIN: f64 = 1.0;
/// The slope must be this many standard errors from zero.
pub const GROWTH_MIN_T: f64 = 5.0;
/// The line must explain this share of the memory's variance (a step is not a slope).
pub const GROWTH_MIN_R2: f64 = 0.8;
/// The slope over the second half of the stretch must be at least this share of the whole
/// stretch's: memory that grew early and then levelled off (a warm-up) is no leak.
pub const GROWTH_MIN_SECOND_HALF: f64 = 0.5;

// Saturation at a ramp's knee.
/// A ramp has at least this many distinct user counts and ends with at least twice the users it
/// started with.
pub const RAMP_MIN_LEVELS: usize = 5;
/// The knee: the first bucket at this share of the best bucket's throughput.
pub const KNEE_SHARE: f64 = 0.9;
/// After the knee, users rose by at least this factor more...
pub const KNEE_MIN_USER_GROWTH: f64 = 1.3;
/// ... and mean latency at the top of the ramp is at least this factor of the first buckets'.
pub const LATENCY_RISE_FACTOR: f64 = 1.5;
/// A rise must also be at least this many milliseconds (1 ms to 1.5 ms is no rise worth a word).
pub const LATENCY_RISE_MIN_MS: f64 = 5.0;
/// A rise of latency over a run (not a ramp's knee) also needs a line through the 5-s buckets'
/// means rising at this t and r²: buckets' noise is correlated (a neighbour's build lasts seconds),
/// so t is held higher than for memory.
pub const LATENCY_RISE_MIN_T: f64 = 8.0;
pub const LATENCY_RISE_MIN_R2: f64 = 0.6;
/// Before the knee, the resource rose with throughput: Pearson r at the best lag within ±10 s.
pub const SATURATION_MIN_R: f64 = 0.8;
pub const MAX_LAG_S: i64 = 10;
/// After the knee it stayed within this factor of its level at the knee (it stopped growing).
pub const SATURATION_MAX_GROWTH: f64 = 1.15;
/// At the knee it was at this share of a ceiling (its quota, the machine's cores, one core).
pub const SATURATION_MIN_SHARE: f64 = 0.85;

// Restarts.
/// An error burst is tied to a restart when it starts within this many seconds of the moment the
/// server was seen down and ends within as many seconds of when it was back.
pub const RESTART_TIE_S: f64 = 2.0;
/// A burst needs at least this many failures.
pub const BURST_MIN_FAILURES: u64 = 5;
/// An `up == 0` gap without a restart and without an error burst is reported from this many
/// samples on (one missed scrape of a busy target is not).
pub const MIN_DOWN_SAMPLES: usize = 2;

// Throttling.
/// The share of CFS periods throttled, averaged over the stretch where latency was high.
pub const THROTTLED_MIN_SHARE: f64 = 0.25;
/// Throttling and latency move together: Pearson r at the best lag within ±10 s.
pub const THROTTLED_MIN_R: f64 = 0.6;

// Look downstream.
/// A resource "rose" when its mean over the run's last third is above this factor of its first
/// third's (and above it by a floor of its own kind: 2% of a core, 1 MB, 2% of the period).
pub const FLAT_MAX_GROWTH: f64 = 1.2;

/// One finding about the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerFinding {
    MemoryGrowth(MemoryGrowth),
    Saturation(Saturation),
    Restart(Restart),
    Throttling(Throttling),
    LookDownstream(LookDownstream),
}

impl ServerFinding {
    /// The sentence that states it, with its numbers.
    pub fn reason(&self) -> &str {
        match self {
            ServerFinding::MemoryGrowth(f) => &f.reason,
            ServerFinding::Saturation(f) => &f.reason,
            ServerFinding::Restart(f) => &f.reason,
            ServerFinding::Throttling(f) => &f.reason,
            ServerFinding::LookDownstream(f) => &f.reason,
        }
    }

    /// The finding as one of the run's findings (`server_` and its kind), its sentence the evidence.
    pub fn finding(&self) -> Finding {
        let (kind, advice) = match self {
            ServerFinding::MemoryGrowth(_) => (
                "server_memory_growth",
                "Memory grew while the load held still: look for a leak (a cache or collection \
                 without a bound, connections or buffers not released); a longer run shows whether \
                 it levels off.",
            ),
            ServerFinding::Saturation(_) => (
                "server_saturation",
                "The resource named was at its ceiling at the knee: give it more (workers, cores, \
                 replicas) or make each request need less of it.",
            ),
            ServerFinding::Restart(_) => (
                "server_restart",
                "The server went down during the run: read its logs at the time shown (a crash, an \
                 out-of-memory kill, a failed health check).",
            ),
            ServerFinding::Throttling(_) => (
                "server_throttling",
                "The container's CPU quota throttled it: raise the CPU limit or remove it.",
            ),
            ServerFinding::LookDownstream(_) => (
                "server_look_downstream",
                "The server's own resources stayed flat: time a database, a dependency, the network \
                 or the load generator.",
            ),
        };
        Finding::on_scope(kind, Scope::Aggregated, self.reason().to_string(), advice)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ServerFinding::MemoryGrowth(_) => "memory_growth",
            ServerFinding::Saturation(_) => "saturation",
            ServerFinding::Restart(_) => "restart",
            ServerFinding::Throttling(_) => "throttling",
            ServerFinding::LookDownstream(_) => "look_downstream",
        }
    }
}

/// Every finding about the server for one run: `client` is the run's aggregate history as
/// intervals (`analysis::series::intervals`), `memory_limit` a memory rule's limit when there is one.
pub fn server_findings(
    server: &[ServerSeries],
    client: &[Interval],
    memory_limit: Option<&GivenLimit>,
) -> Vec<ServerFinding> {
    let mut out: Vec<ServerFinding> = Vec::new();
    out.extend(
        restarts(server, client)
            .into_iter()
            .map(ServerFinding::Restart),
    );
    out.extend(
        memory_growth(server, client, memory_limit)
            .into_iter()
            .map(ServerFinding::MemoryGrowth),
    );
    out.extend(saturation(server, client).map(ServerFinding::Saturation));
    out.extend(
        throttling(server, client)
            .into_iter()
            .map(ServerFinding::Throttling),
    );
    let downstream = look_downstream(server, client, &out);
    out.extend(downstream.map(ServerFinding::LookDownstream));
    out
}

#[cfg(test)]
mod tests;
