//! Input errors that point at the exact place in a file, compiler style: `path:line:column: message`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with an input file. Lines and columns are 1-based; the column is the CSV field number.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub column: Option<usize>,
    /// The header of the offending column, when known.
    pub column_name: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        InputError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            column_name: None,
            message: message.into(),
        }
    }

    pub fn at_line(path: &Path, line: u64, message: impl Into<String>) -> Self {
        InputError {
            line: Some(line),
            ..InputError::file(path, message)
        }
    }

    pub fn at_cell(
        path: &Path,
        line: u64,
        column: usize,
        name: &str,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            line: Some(line),
            column: Some(column),
            column_name: Some(name.to_string()),
            ..InputError::file(path, message)
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(name) = &self.column_name {
            write!(f, "column '{name}': ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for InputError {}
