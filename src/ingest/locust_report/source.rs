//! A report's source text and places in it: the text (or an error at its first byte that is not
//! UTF-8), the line and column of a byte, serde_json's errors placed in the file, and the files a
//! report stands for. A leaf shared by the HTML and the JSON reader.

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

/// 1-based line and byte column of `offset` in `text`.
fn position(text: &str, offset: usize) -> (u64, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

fn at(path: &Path, (line, column): (u64, usize), message: impl Into<String>) -> InputError {
    InputError {
        line: Some(line),
        column: Some(column),
        ..InputError::file(path, message)
    }
}

pub(super) fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        at(
            path,
            position(valid, valid.len()),
            "not UTF-8 text (a binary or damaged file?)",
        )
    })
}

/// A serde_json error in the JSON that starts at byte `start` of `text`, as `file:line:col`.
pub(super) fn json_error(
    path: &Path,
    text: &str,
    start: usize,
    what: &str,
    e: &serde_json::Error,
) -> InputError {
    let (base_line, base_column) = position(text, start);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("ab\ncd", 0), (1, 1));
        assert_eq!(position("ab\ncd", 4), (2, 2));
    }
}
