//! What the runner (the machine that generated the load) had to give while a run ran, as
//! `loadgate record` samples it: the evidence that tells a slower runner from a slower server.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::machine::Machine;

/// Version of the runner record's file format; raised on any incompatible change.
pub const RUNNER_SCHEMA_VERSION: u32 = 1;

/// A run's record beside its files: `PREFIX_runner.json` (`--csv PREFIX`, or a report's name
/// without its extension).
pub const RUNNER_SUFFIX: &str = "_runner.json";
/// The record of a command that names no files of its own (k6, JMeter), in its directory.
pub const RUNNER_FILE: &str = "loadgate-runner.json";

/// Evidence about how a run was made, found beside its files. Optional in every part: a run read
/// without any is judged as before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunEvidence {
    /// The runner record (`PREFIX_runner.json` or `loadgate-runner.json`) and where it was read.
    pub runner: Option<AttachedRecord>,
    /// The load generator said it ran out of CPU (Locust's "CPU usage above 90%" in its log):
    /// what it said and where.
    pub generator_warning: Option<String>,
}

/// A runner record attached to a run.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachedRecord {
    pub path: PathBuf,
    pub record: RunnerRecord,
}

/// The file `loadgate record` writes (`docs/runner-record.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerRecord {
    pub schema_version: u32,
    /// The loadgate version that recorded it.
    pub loadgate_version: String,
    /// The command's program name only (its arguments may hold secrets).
    pub command: String,
    /// The command's exit code; `None` when a signal ended it.
    pub exit_code: Option<i32>,
    /// The signal that ended the command, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// RFC 3339, UTC, to the millisecond.
    pub started_at: String,
    pub ended_at: String,
    /// The sampling interval in seconds.
    pub interval_s: f64,
    pub machine: Machine,
    /// `None` only when the command ended before the first sample.
    pub summary: Option<RunnerSummary>,
    pub samples: Vec<RunnerSample>,
}

/// One interval of the record. Shares are fractions of the interval (0..=1); CPU figures of the
/// command are in cores (1.0 = one CPU busy the whole interval, more with several processes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunnerSample {
    /// Seconds since the command started, at the end of the interval.
    pub t: f64,
    /// CPUs online (`cpuN` lines of `/proc/stat`).
    pub cpus: u32,
    /// Share of all online CPUs' time spent running anything (user, nice, system, irq, softirq).
    pub busy: f64,
    /// Share taken by the hypervisor for other guests: CPU this machine was promised but not given.
    pub steal: f64,
    pub iowait: f64,
    /// The busiest single CPU's busy share: a single-threaded generator is starved by one full CPU
    /// even when the machine's average looks fine.
    pub busiest_cpu: f64,
    /// `/proc/loadavg`: the one-minute load average and the tasks runnable at that moment.
    pub load1: f64,
    pub runnable: u32,
    /// Share of the interval in which some task waited for a CPU (`/proc/pressure/cpu`); `None`
    /// where the kernel has no pressure stall information.
    #[serde(default)]
    pub cpu_pressure: Option<f64>,
    /// CPU used by the command and every process it started (cores).
    pub command_cpu: f64,
    /// CPU used by everything else on the machine (cores): busy share × CPUs − the command's.
    pub others_cpu: f64,
    /// Time the command's processes spent runnable but waiting for a CPU, per second (cores of
    /// unmet demand; `/proc/PID/schedstat`); `None` where the kernel does not report it.
    #[serde(default)]
    pub command_wait: Option<f64>,
    /// The share of the interval the command's busiest thread was runnable (on a CPU or waiting
    /// for one): a generator whose event loop is one thread is its own limit near 1.0, however
    /// many cores the machine has. `None` where the kernel does not report it, or in records
    /// written before loadgate read it.
    #[serde(default)]
    pub command_busiest_thread: Option<f64>,
    /// Processes in the command's tree at the end of the interval.
    pub processes: u32,
    /// CPUs the command may run on (its affinity: `taskset`, a container's cpuset).
    pub allowed_cpus: u32,
    /// Loopback round trips through an echo thread on 127.0.0.1 in the interval: median and
    /// largest, in ms: the scheduler delay a busy runner adds to every request it measures.
    pub rtt_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Round trips that got no answer within the probe's timeout in the interval.
    #[serde(default)]
    pub rtt_lost: u32,
}

/// The record's figures over all intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerSummary {
    pub samples: usize,
    /// Seconds from the command's start to its end.
    pub duration_s: f64,
    /// CPUs online: the fewest and the most seen.
    pub cpus_min: u32,
    pub cpus_max: u32,
    /// CPUs the command could run on, the fewest seen.
    pub allowed_cpus: u32,
    pub busy: Spread,
    pub steal: Spread,
    pub iowait: Spread,
    pub busiest_cpu: Spread,
    pub load1: Spread,
    pub cpu_pressure: Option<Spread>,
    pub command_cpu: Spread,
    pub others_cpu: Spread,
    pub command_wait: Option<Spread>,
    /// `None` in records written before loadgate read each thread.
    #[serde(default)]
    pub command_busiest_thread: Option<Spread>,
    /// Over every interval's median round trip, and over every interval's largest.
    pub rtt_ms: Option<Spread>,
    pub rtt_max_ms: Option<Spread>,
    pub rtt_lost: u32,
}

/// Median, 90th percentile and largest of one figure over the intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub p90: f64,
    pub max: f64,
}
