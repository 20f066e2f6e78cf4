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

/// Puts the note naming the project config that applied (if one did) first in every run's notes,
/// so that the table, Markdown, HTML and JSON all say which file set the gate.
pub(crate) fn note_config(judgement: &mut Judgement, note: Option<&String>) {
    if let Some(note) = note {
        for run in &mut judgement.runs {
            run.notes.insert(0, note.clone());
        }
    }
}
