//! One module per subcommand, each running a plain plan (made from the arguments in `cli`): read
//! the runs (`ingest`), judge them (`analysis`), and hand the report to `report::emit`, which
//! writes every output asked for; the verdict goes back to `main` for the exit code. Nothing here
//! formats or writes a report (`record` writes the runner's record, not a report).

pub mod ab;
pub mod baseline;
pub mod check;
pub mod compare;
pub mod config;
pub mod demo;
pub mod history;
pub mod profiles;
pub mod record;
pub mod server;
mod totals;

use crate::analysis::Judgement;
use crate::config::{Flags, Settings};
use crate::report::Outputs;

/// The flags of a command that judges and reports (`--profile`, the output files) over the
/// project config, as `check` reads them, and the outputs they come to, checked before any work.
pub(crate) fn settings_for(
    profile: Option<String>,
    outputs: &Outputs,
) -> anyhow::Result<(Settings, Outputs)> {
    let settings = Settings::here(&Flags {
        profile,
        files: outputs.files.clone(),
        ..Flags::default()
    })?;
    let outputs = Outputs {
        files: settings.files(),
        ..outputs.clone()
    };
    outputs.validate()?;
    Ok((settings, outputs))
}

/// Puts the note naming the project config that applied (if one did) first in every run's notes,
/// so that the table, Markdown, HTML and JSON all say which file set the gate.
pub(crate) fn note_config(judgement: &mut Judgement, note: Option<&String>) {
    if let Some(note) = note {
        for run in &mut judgement.runs {
            run.notes.insert(0, note.clone());
        }
    }
}
