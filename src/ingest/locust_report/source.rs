//! Places in a report: serde_json's errors placed in the file, and the files a report stands for.
//! A leaf shared by the HTML and the JSON reader.

use std::path::Path;

use crate::ingest::error::InputError;
use crate::model::RunFiles;

/// The files of a run read from one report: the report stands where the stats file would.
pub(super) fn files(path: &Path) -> RunFiles {
    RunFiles {
        prefix: path.with_extension(""),
        stats: path.to_path_buf(),
        history: None,
        failures: None,
        exceptions: None,
    }
}

fn at(path: &Path, (line, column): (u64, usize), message: impl Into<String>) -> InputError {
    InputError {
        line: Some(line),
        column: Some(column),
        ..InputError::file(path, message)
    }
}

/// A serde_json error in JSON whose first byte is at `(line, column)` of the file, as
/// `file:line:col`.
pub(super) fn json_error_at(
    path: &Path,
    (base_line, base_column): (u64, usize),
    what: &str,
    e: &serde_json::Error,
) -> InputError {
    let (line, column) = if e.line() <= 1 {
        (base_line, base_column + e.column().saturating_sub(1))
    } else {
        (base_line + e.line() as u64 - 1, e.column())
    };
    let why = if e.is_eof() {
        format!("{what} ends before its value does (a truncated file?)")
    } else {
        // serde_json appends its own "at line L column C", relative to the value: drop it.
        let text = e.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text).to_string();
        format!("{what} is not valid JSON: {text}")
    };
    at(path, (line, column.max(1)), why)
}
