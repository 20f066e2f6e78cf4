//! The baseline store: run summaries ([`RunSummary`], made by analysis) and their runner records'
//! summaries ([`KeptRun`]) kept as versioned JSON under a name. A name may keep the last N runs. Every write is atomic and serialised by a lock, so
//! concurrent or killed saves never corrupt it.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

pub use crate::analysis::server_baseline::ServerFigures;
pub use crate::analysis::summary::RunSummary;
use crate::fsutil::write_atomic;
use crate::model::RunnerSummary;

/// Version of the baseline file format; raised on any incompatible change. 2 keeps failure
/// signatures per run; files of version 1 are still read (their runs have none).
pub const BASELINE_SCHEMA_VERSION: u32 = 2;

/// The oldest baseline file format this loadgate reads.
pub const OLDEST_READ_SCHEMA_VERSION: u32 = 1;

/// Default store, relative to the current directory.
pub const DEFAULT_STORE: &str = ".loadgate/baselines";

/// Environment variable that overrides the default store.
pub const STORE_ENV: &str = "LOADGATE_BASELINE_DIR";

/// A named baseline: the last `keep` runs saved under it, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub name: String,
    pub keep: usize,
    pub loadgate_version: String,
    pub updated_at: String,
    pub runs: Vec<KeptRun>,
}

impl Baseline {
    /// The kept runs' summaries, oldest first: what a comparison reads.
    pub fn into_summaries(self) -> Vec<RunSummary> {
        self.runs.into_iter().map(|r| r.summary).collect()
    }

    /// The kept runs' summaries and their runner records' summaries, oldest first.
    pub fn into_parts(self) -> (Vec<RunSummary>, Vec<Option<RunnerSummary>>) {
        self.runs.into_iter().map(|r| (r.summary, r.runner)).unzip()
    }

    /// What each kept run kept of the server (`None` for a run saved without it), oldest first.
    pub fn server_figures(&self) -> Vec<Option<ServerFigures>> {
        self.runs.iter().map(|r| r.server.clone()).collect()
    }
}

/// A run as the store keeps it: its summary, with its runner record's summary beside the
/// summary's own fields (`runs[].runner`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptRun {
    #[serde(flatten)]
    pub summary: RunSummary,
    /// What `loadgate record` saw of the runner during the run; absent when the run had no record
    /// and in baselines saved before loadgate kept it (an added optional field: same schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<RunnerSummary>,
    /// What the server did in the run's window (`baseline save --prometheus`): each rule's value,
    /// each preset's summary and the per-request figures. Absent when the server was not read
    /// and in baselines saved before loadgate kept it (an added optional field: same schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerFigures>,
}

/// The directory of baselines.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// `--store` if given, else `$LOADGATE_BASELINE_DIR`, else `.loadgate/baselines`.
    pub fn open(explicit: Option<&Path>) -> Store {
        let dir = explicit
            .map(Path::to_path_buf)
            .or_else(|| {
                std::env::var_os(STORE_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STORE));
        Store { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, name: &str) -> Result<PathBuf> {
        validate_name(name)?;
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Adds `run` to the baseline `name`, keeping its last `keep` runs (the stored `keep` when `None`).
    pub fn save(&self, name: &str, run: KeptRun, keep: Option<usize>) -> Result<Baseline> {
        let path = self.path_of(name)?;
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("{}: cannot create the baseline store", self.dir.display()))?;
        // One writer at a time per name: without the lock two savers could each drop the other's run.
        let lock_path = self.dir.join(format!(".{name}.lock"));
        let lock = open_lock(&lock_path)
            .with_context(|| format!("{}: cannot create the lock file", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("{}: cannot take the lock", lock_path.display()))?;
        let mut baseline = if path.exists() {
            read_baseline(&path)?
        } else {
            Baseline {
                schema_version: BASELINE_SCHEMA_VERSION,
                name: name.to_string(),
                keep: 1,
                loadgate_version: String::new(),
                updated_at: String::new(),
                runs: Vec::new(),
            }
        };
        baseline.keep = keep.unwrap_or(baseline.keep).max(1);
        baseline.schema_version = BASELINE_SCHEMA_VERSION;
        baseline.loadgate_version = env!("CARGO_PKG_VERSION").to_string();
        baseline.updated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        baseline.runs.push(run);
        let excess = baseline.runs.len().saturating_sub(baseline.keep);
        baseline.runs.drain(..excess);
        let mut bytes = serde_json::to_vec_pretty(&baseline)?;
        bytes.push(b'\n');
        write_atomic(&path, &bytes)?;
        drop(lock);
        Ok(baseline)
    }

    pub fn load(&self, name: &str) -> Result<Baseline> {
        let path = self.path_of(name)?;
        if !path.exists() {
            bail!(
                "no baseline named '{name}' in {} (save one with `loadgate baseline save RUN --name {name}`)",
                self.dir.display()
            );
        }
        read_baseline(&path)
    }

    /// Names of stored baselines, sorted.
    pub fn list(&self) -> Result<Vec<String>> {
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .with_context(|| format!("{}: cannot list the store", self.dir.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".json")
                    .filter(|n| validate_name(n).is_ok())
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        Ok(names)
    }

    pub fn delete(&self, name: &str) -> Result<()> {
        let path = self.path_of(name)?;
        if !path.exists() {
            bail!("no baseline named '{name}' in {}", self.dir.display());
        }
        std::fs::remove_file(&path)
            .with_context(|| format!("{}: cannot delete", path.display()))?;
        let _ = std::fs::remove_file(self.dir.join(format!(".{name}.lock")));
        Ok(())
    }
}

/// The lock file, opened without following a link: one planted at `.NAME.lock` would otherwise
/// have the save truncate the file it points to. Never truncated: only its lock matters.
fn open_lock(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Reads a baseline file, refusing one from a newer loadgate rather than misreading it.
pub fn read_baseline(path: &Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the baseline", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let at = format!("{}:{}:{}", path.display(), e.line(), e.column());
        anyhow::Error::new(e).context(format!("{at}: not a baseline file"))
    })?;
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    match version {
        Some(v)
            if (u64::from(OLDEST_READ_SCHEMA_VERSION)..=u64::from(BASELINE_SCHEMA_VERSION))
                .contains(&v) => {}
        Some(v) if v > u64::from(BASELINE_SCHEMA_VERSION) => bail!(
            "{}: baseline schema {v} was written by a newer loadgate (this one reads {}); upgrade loadgate or save the baseline again",
            path.display(),
            BASELINE_SCHEMA_VERSION
        ),
        Some(v) => bail!(
            "{}: baseline schema {v} is no longer supported (this loadgate reads {}); save the baseline again",
            path.display(),
            BASELINE_SCHEMA_VERSION
        ),
        None => bail!("{}: not a loadgate baseline (no schema_version)", path.display()),
    }
    let baseline: Baseline = serde_json::from_value(value)
        .with_context(|| format!("{}: malformed baseline", path.display()))?;
    if baseline.runs.is_empty() {
        bail!("{}: the baseline holds no runs", path.display());
    }
    // Figures no run can hold (1e308 ms) would let any run pass against them.
    for (i, run) in baseline.runs.iter().enumerate() {
        for scope in std::iter::once(&run.summary.aggregated).chain(&run.summary.endpoints) {
            let percentiles: Vec<(&str, Option<f64>)> = crate::model::PERCENTILE_LABELS
                .iter()
                .copied()
                .zip(scope.percentiles.iter().copied())
                .collect();
            let label = scope.label();
            let figures = crate::ingest::crosscheck::Figures {
                scope: if label.is_empty() {
                    "aggregated"
                } else {
                    &label
                },
                requests: scope.requests,
                failures: scope.failures,
                rps: scope.rps,
                times: [scope.avg, scope.min, scope.max],
                percentiles: &percentiles,
            };
            if let Err(why) = crate::ingest::crosscheck::figures_make_sense(&figures) {
                bail!("{}: run {}: {why}", path.display(), i + 1);
            }
        }
    }
    Ok(baseline)
}

/// A baseline name is one plain file name: letters, digits, `.`, `_`, `-`; no path, no leading dot.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        bail!(
            "invalid baseline name '{name}': use letters, digits, '.', '_' and '-' (no paths, no leading dot)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_name;

    #[test]
    fn names_that_escape_the_store_are_rejected() {
        for bad in ["../x", "/etc/passwd", "a/b", "..", ".hidden", "", "a\\b"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        for good in ["main", "nightly-2026.11", "pr_42"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_a_baseline_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("b.json");
            std::fs::write(&path, &bytes).unwrap();
            let _ = super::read_baseline(&path);
        }
    }
}
