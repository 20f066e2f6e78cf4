//! `loadgate record [--out PATH] [--interval 1s] -- CMD ARGS…`: runs the load test's command, samples
//! the runner while it runs (`crate::runner`), writes the record and exits with the command's code.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::fsutil::write_atomic;

#[derive(Debug, Clone)]
pub struct RecordPlan {
    /// Where the record goes; beside the run's files when `None` (`runner::default_path`).
    pub out: Option<PathBuf>,
    pub interval: Duration,
    pub command: Vec<OsString>,
}

/// Records the command and returns the exit code to leave with: the command's own. A record that
/// cannot be written is an error (exit 2) when the command succeeded; when it failed, its code
/// stands and the error is said on stderr.
pub fn run(plan: &RecordPlan) -> Result<u8> {
    let path = plan
        .out
        .clone()
        .unwrap_or_else(|| crate::runner::default_path(&plan.command));
    let recorded = crate::runner::record(&plan.command, plan.interval)?;
    let mut bytes = serde_json::to_vec_pretty(&recorded.record)?;
    bytes.push(b'\n');
    match write_atomic(&path, &bytes) {
        Ok(()) => {
            let samples = recorded.record.samples.len();
            eprintln!(
                "loadgate record: {samples} sample{} written to {}",
                if samples == 1 { "" } else { "s" },
                path.display()
            );
            Ok(recorded.exit_code)
        }
        Err(err) if recorded.exit_code != 0 => {
            eprintln!("loadgate record: the runner record was not written: {err:#}");
            Ok(recorded.exit_code)
        }
        Err(err) => Err(err.context("the command succeeded but its runner record was not written")),
    }
}
