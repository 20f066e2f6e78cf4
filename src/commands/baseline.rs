//! `loadgate baseline save|list|show|delete`: the baseline store.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;

use crate::analysis::{judge, Baseline};
use crate::baseline::{KeptRun, RunSummary, Store};
use crate::ingest::load_run;
use crate::machine::Machine;
use crate::model::{Run, Status};
use crate::profile::Profile;
use crate::report::{print, print_text};

/// What `baseline` was asked to do.
#[derive(Debug, Clone)]
pub enum BaselinePlan {
    Save {
        run: PathBuf,
        name: String,
        keep: Option<usize>,
        store: Option<PathBuf>,
        /// Save only when the run passes the gate of this profile (and the stored baseline).
        if_pass: Option<String>,
        /// `--locust-version`: for a run whose files do not name it.
        locust_version: Option<String>,
    },
    List {
        store: Option<PathBuf>,
    },
    Show {
        name: String,
        store: Option<PathBuf>,
    },
    Delete {
        name: String,
        store: Option<PathBuf>,
    },
}

pub fn run(plan: &BaselinePlan) -> Result<()> {
    let mut out = String::new();
    match plan {
        BaselinePlan::Save {
            run,
            name,
            keep,
            store,
            if_pass,
            locust_version,
        } => {
            let store = Store::open(store.as_deref());
            let mut run = load_run(run)?;
            crate::ingest::given_locust_version(&mut run, locust_version.as_deref());
            if let Some(profile) = if_pass {
                if let Some(why) = gate_failure(&run, profile, &store, name)? {
                    writeln!(
                        out,
                        "not saved: {} failed the gate ({why}); baseline '{name}' is unchanged",
                        run.files.prefix.display()
                    )?;
                    return print_text(&out);
                }
            }
            let summary = RunSummary {
                machine: Some(Machine::this()),
                ..RunSummary::from_run(&run)
            };
            let runner = run.info.evidence.runner.as_ref();
            let kept = KeptRun {
                summary,
                runner: runner.and_then(|r| r.record.summary.clone()),
            };
            let baseline = store.save(name, kept, *keep)?;
            writeln!(
                out,
                "saved {} as baseline '{}' in {} ({} of {} kept run{})",
                run.files.prefix.display(),
                name,
                store.dir().display(),
                baseline.runs.len(),
                baseline.keep,
                if baseline.keep == 1 { "" } else { "s" }
            )?;
        }
        BaselinePlan::List { store } => {
            let store = Store::open(store.as_deref());
            let names = store.list()?;
            if names.is_empty() {
                writeln!(out, "no baselines in {}", store.dir().display())?;
            }
            for name in names {
                match store.load(&name) {
                    Ok(b) => {
                        let last = b
                            .runs
                            .last()
                            .map_or(String::new(), |r| r.summary.source.clone());
                        writeln!(
                            out,
                            "{name}  {} run(s), keep {}, updated {}, last from {last}",
                            b.runs.len(),
                            b.keep,
                            b.updated_at
                        )?;
                    }
                    Err(err) => writeln!(out, "{name}  unreadable: {err:#}")?,
                }
            }
        }
        BaselinePlan::Show { name, store } => {
            let baseline = Store::open(store.as_deref()).load(name)?;
            out = serde_json::to_string_pretty(&baseline)?;
            out.push('\n');
            // JSON, escaped by its writer: printed as it is.
            return print(out.as_bytes());
        }
        BaselinePlan::Delete { name, store } => {
            Store::open(store.as_deref()).delete(name)?;
            writeln!(out, "deleted baseline '{name}'")?;
        }
    }
    print_text(&out)
}

/// Why `run` fails the gate of `profile` against the baseline stored under `name` (when there is
/// one), or `None` when it passes (warnings pass, as they do for `check`).
fn gate_failure(run: &Run, profile: &str, store: &Store, name: &str) -> Result<Option<String>> {
    let profile = Profile::load(profile)?;
    let baseline = if store.path_of(name)?.exists() {
        let (runs, runners) = store.load(name)?.into_parts();
        Some(Baseline {
            label: name.to_string(),
            runs,
            runners,
            checked_on: Some(Machine::this()),
        })
    } else {
        None
    };
    let judged = judge(run.clone(), &profile, baseline.as_ref());
    if judged.verdict != Status::Fail {
        return Ok(None);
    }
    let failed_checks = judged.failed_checks().count();
    let failed_regressions = judged.baseline.as_ref().map_or(0, |b| {
        b.comparison
            .regressions
            .iter()
            .filter(|r| r.status == Status::Fail)
            .count()
            + b.comparison
                .shifts
                .iter()
                .filter(|s| s.status == Status::Fail)
                .count()
    });
    let failed_trends = judged
        .trends
        .iter()
        .filter(|t| t.status == Status::Fail)
        .count();
    Ok(Some(format!(
        "profile {}: {failed_checks} checks, {failed_regressions} regressions against '{name}', {failed_trends} trends failed",
        profile.name
    )))
}
