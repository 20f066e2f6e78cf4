//! The record-by-record history reader, for the files the parallel line reader hands over (a quoted
//! line break, a lone carriage return, a quote inside an unquoted cell, invalid UTF-8, a line over
//! 64 KiB, a header it cannot place): the csv crate splits the records, into one reused
//! `ByteRecord` (xsv's habit: no allocation per row), and the same row reader and series builder as
//! the parallel path make the points. Errors name the line the CSV parser reports.

use std::path::Path;

use super::columns::HistoryColumns;
use super::row;
use super::series::SeriesBuilder;
use crate::ingest::error::InputError;
use crate::ingest::table::Table;
use crate::model::Series;

/// Reads the whole file, whose header has given `columns` and `header`; the series in order of
/// their first row, and the note saying how text cells were decoded when they were not UTF-8.
pub(super) fn read(
    path: &Path,
    columns: &HistoryColumns,
    header: &[String],
) -> Result<(Vec<Series>, Option<String>), InputError> {
    let mut table = Table::open(path)?;
    let plan = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut series = SeriesBuilder::new(columns.method, columns.name, plan);
    let mut record = csv::ByteRecord::new();
    while let Some(line) = table.next_record(&mut record)? {
        if let Some(position) = record.position() {
            series.set_bytes_read(position.byte().max(1));
        }
        let pushed = match row::read(&&record, columns) {
            Ok(Some(row)) => series.push(row.method, row.name, row.point),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        pushed.map_err(|e| row::input_error(path, header, line, e))?;
    }
    Ok((series.finish(), table.code_page_note()))
}
