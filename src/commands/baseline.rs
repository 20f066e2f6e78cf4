//! `loadgate baseline save|list|show|delete`: the baseline store.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;

use crate::baseline::{RunSummary, Store};
use crate::ingest::load_run;
use crate::machine::Machine;

/// What `baseline` was asked to do.
#[derive(Debug, Clone)]
pub enum BaselinePlan {
    Save {
        run: PathBuf,
        name: String,
        keep: Option<usize>,
        store: Option<PathBuf>,
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
        } => {
            let store = Store::open(store.as_deref());
            let run = load_run(run)?;
            let summary = RunSummary {
                machine: Some(Machine::this()),
                ..RunSummary::from_run(&run)
            };
            let baseline = store.save(name, summary, *keep)?;
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
                        let last = b.runs.last().map_or(String::new(), |r| r.source.clone());
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
        }
        BaselinePlan::Delete { name, store } => {
            Store::open(store.as_deref()).delete(name)?;
            writeln!(out, "deleted baseline '{name}'")?;
        }
    }
    super::print(out.as_bytes())
}
