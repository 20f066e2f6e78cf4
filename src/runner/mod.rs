//! `loadgate record`: runs a load test's command and samples, every interval, how much of the
//! runner's CPU the test really had (`/proc`), writing the record beside the run's files. The
//! record is read back with the run by `ingest::runner_record`; `docs/runner-record.md` describes
//! the file.

pub mod path;
pub mod proc;
#[cfg(target_os = "linux")]
mod sampler;
pub mod summary;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::RunnerRecord;

/// What the command did and what was sampled while it ran.
pub struct Recorded {
    pub record: RunnerRecord,
    /// The exit code `loadgate record` passes on: the command's own, or 128 + the signal that
    /// ended it (as a shell reports it).
    pub exit_code: u8,
}

/// Starts `command` and samples until it exits. Linux only: everything sampled is in `/proc`.
#[cfg(target_os = "linux")]
pub fn record(command: &[OsString], interval: Duration) -> anyhow::Result<Recorded> {
    sampler::record(command, interval)
}

#[cfg(not(target_os = "linux"))]
pub fn record(_command: &[OsString], _interval: Duration) -> anyhow::Result<Recorded> {
    anyhow::bail!(
        "loadgate record samples /proc, which only Linux has ({} here); run it on a Linux runner",
        std::env::consts::OS
    )
}

/// Where the record goes when `--out` is not given: see [`path::default_path`].
pub fn default_path(command: &[OsString]) -> PathBuf {
    path::default_path(command)
}
