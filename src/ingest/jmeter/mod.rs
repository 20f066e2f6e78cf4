//! JMeter's results files (JTL).

/// A formatted JMeter timestamp as Unix milliseconds.
pub fn parse_date(_text: &str) -> Option<i64> {
    None
}

use std::io::BufRead;
use std::path::Path;

use crate::ingest::error::InputError;
use crate::model::Run;

pub fn read_csv(
    path: &Path,
    _reader: Box<dyn BufRead>,
    _gzip: bool,
    _delimiter: u8,
    _header: bool,
) -> Result<Vec<Run>, InputError> {
    Err(InputError::file(path, "JMeter: not yet"))
}

pub fn read_xml(path: &Path, _bytes: &[u8]) -> Result<Vec<Run>, InputError> {
    Err(InputError::file(path, "JMeter: not yet"))
}
