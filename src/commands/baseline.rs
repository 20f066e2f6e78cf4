//! `loadgate baseline save|list|show|delete`: the baseline store.

use std::io::Write;

use anyhow::Result;

use crate::baseline::{RunSummary, Store};
use crate::cli::BaselineCommand;
use crate::ingest::load_run;

pub fn run(command: &BaselineCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        BaselineCommand::Save(args) => {
            let store = Store::open(args.store.store.as_deref());
            let run = load_run(&args.run)?;
            let baseline = store.save(
                &args.name,
                RunSummary::from_run(&run),
                args.keep.map(|k| k as usize),
            )?;
            writeln!(
                out,
                "saved {} as baseline '{}' in {} ({} of {} kept run{})",
                run.files.prefix.display(),
                args.name,
                store.dir().display(),
                baseline.runs.len(),
                baseline.keep,
                if baseline.keep == 1 { "" } else { "s" }
            )?;
        }
        BaselineCommand::List(args) => {
            let store = Store::open(args.store.as_deref());
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
        BaselineCommand::Show(args) => {
            let store = Store::open(args.store.store.as_deref());
            let baseline = store.load(&args.name)?;
            serde_json::to_writer_pretty(&mut out, &baseline)?;
            writeln!(out)?;
        }
        BaselineCommand::Delete(args) => {
            let store = Store::open(args.store.store.as_deref());
            store.delete(&args.name)?;
            writeln!(out, "deleted baseline '{}'", args.name)?;
        }
    }
    Ok(())
}
