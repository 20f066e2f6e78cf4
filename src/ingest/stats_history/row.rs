//! The one place a history row becomes a point. Every reader of the body (a plain line split at its
//! comma positions, a line with quotes split by the CSV parser, a record of the whole-file fall-back)
//! hands its cells here, so they cannot read a row differently. Numbers take the fast shapes first
//! (`number`: `123`, `12.3456`, straight from the bytes) and anything else (`N/A`, spaces, a bad
//! value) goes through the general parsers of `table`, which word the error for the cell. A plain
//! line first tries [`read_plain`], which reads Locust's usual shapes in place and gives up on any
//! other; the row then goes through [`read`], so both agree wherever the first one answers.

use std::path::Path;

use super::columns::HistoryColumns;
use super::number::{ascii_decimal, ascii_integer, decimal_at, integer_at};
use crate::ingest::error::InputError;
use crate::ingest::table::{parse_count, parse_measure, parse_timestamp};
use crate::model::HistoryPoint;

/// A row's cells, however they were split: cell `i`'s bytes live as long as the text (`'a`).
pub(super) trait Cells<'a> {
    /// How many cells the row has.
    fn width(&self) -> usize;
    /// Cell `i` (`i < width()`), unquoted.
    fn cell(&self, i: usize) -> &'a [u8];
}

/// A plain line (no quotes, ASCII, no carriage return) and the positions of its commas, as `scan`
/// finds them: cells are read in place, only those asked for.
pub(super) struct CommaCells<'a, 'c> {
    pub text: &'a [u8],
    /// The line is `text[start..end]`, `end` before any `\r`.
    pub start: usize,
    pub end: usize,
    pub commas: &'c [usize],
}

impl<'a> Cells<'a> for CommaCells<'a, '_> {
    #[inline]
    fn width(&self) -> usize {
        self.commas.len() + 1
    }

    #[inline]
    fn cell(&self, i: usize) -> &'a [u8] {
        let from = if i == 0 {
            self.start
        } else {
            self.commas[i - 1] + 1
        };
        let to = self.commas.get(i).copied().unwrap_or(self.end);
        &self.text[from..to]
    }
}

/// Cells as byte ranges of a text (a quoted line after unquoting).
pub(super) struct RangeCells<'a, 'r> {
    pub text: &'a [u8],
    pub ranges: &'r [(usize, usize)],
}

impl<'a> Cells<'a> for RangeCells<'a, '_> {
    fn width(&self) -> usize {
        self.ranges.len()
    }

    fn cell(&self, i: usize) -> &'a [u8] {
        let (from, to) = self.ranges[i];
        &self.text[from..to]
    }
}

/// A record of the csv crate.
impl<'a> Cells<'a> for &'a csv::ByteRecord {
    fn width(&self) -> usize {
        self.len()
    }

    fn cell(&self, i: usize) -> &'a [u8] {
        &self[i]
    }
}

/// What is wrong with a row: the column (0-based) when one cell is to blame. The caller adds the
/// file and line.
#[derive(Debug, PartialEq)]
pub(super) struct CellError {
    pub column: Option<usize>,
    pub message: String,
}

/// A row's point and its scope's raw bytes (`method` trimmed of ASCII spaces, `name` as written).
#[derive(Debug, PartialEq)]
pub(super) struct Row<'a> {
    pub point: HistoryPoint,
    pub method: &'a [u8],
    pub name: &'a [u8],
}

/// Timestamps past the year 3000 are refused (by `parse_timestamp`, which words it).
const LAST_TIMESTAMP: u64 = 32_503_680_000;

/// Reads one row: `None` for a blank line (one cell of whitespace, quoted or not: not data, though
/// editors write them), else its point, or the error for the first bad cell in the order the columns
/// are read (timestamp, users, P50, P95, P99, requests, failures, average).
#[inline]
pub(super) fn read<'a>(
    cells: &impl Cells<'a>,
    columns: &HistoryColumns,
) -> Result<Option<Row<'a>>, CellError> {
    let width = cells.width();
    if width != columns.width {
        if width == 1 && std::str::from_utf8(cells.cell(0)).is_ok_and(|c| c.trim().is_empty()) {
            return Ok(None);
        }
        return Err(CellError {
            column: None,
            message: format!(
                "row has {width} fields but the header has {} (truncated or ragged row)",
                columns.width
            ),
        });
    }
    let text = |c: usize| -> Result<&'a str, CellError> {
        std::str::from_utf8(cells.cell(c)).map_err(|_| not_utf8(c))
    };
    let fail = |c: usize| {
        move |message: String| CellError {
            column: Some(c),
            message,
        }
    };
    let count = |c: usize| -> Result<u64, CellError> {
        match ascii_integer(cells.cell(c)) {
            Some(v) => Ok(v),
            None => parse_count(text(c)?).map_err(fail(c)),
        }
    };
    let measure = |c: Option<usize>| -> Result<Option<f64>, CellError> {
        let Some(c) = c else { return Ok(None) };
        match ascii_decimal(cells.cell(c)) {
            Some(v) => Ok(Some(v)),
            None => parse_measure(text(c)?).map_err(fail(c)),
        }
    };
    let ts = columns.timestamp;
    let timestamp = match ascii_integer(cells.cell(ts)).filter(|v| *v <= LAST_TIMESTAMP) {
        Some(v) => v as i64,
        None => parse_timestamp(text(ts)?).map_err(fail(ts))?,
    };
    let point = HistoryPoint::new(
        timestamp,
        match columns.users {
            Some(c) => count(c)?,
            None => 0,
        },
        [
            measure(columns.p50)?,
            measure(columns.p95)?,
            measure(columns.p99)?,
        ],
        count(columns.total_requests)?,
        count(columns.total_failures)?,
        measure(columns.total_avg)?,
    );
    Ok(Some(Row {
        point,
        method: columns
            .method
            .map_or(&[][..], |c| cells.cell(c).trim_ascii()),
        name: columns.name.map_or(&[][..], |c| cells.cell(c)),
    }))
}

/// The fast path for a plain line (see [`CommaCells`]) whose cells are in the shapes Locust writes
/// (digits, `digits.digits`): its row, straight from the bytes, a word of digits at a time; `None`
/// when the width is not the header's or a cell read is in another shape. Then [`read`] reads the
/// row, and gives the same point (the number readers agree on every cell both accept) or the error.
#[inline(always)]
pub(super) fn read_plain<'a>(
    cells: &CommaCells<'a, '_>,
    columns: &HistoryColumns,
) -> Option<Row<'a>> {
    if cells.commas.len() + 1 != columns.width {
        return None;
    }
    let text = cells.text;
    let timestamp = plain_count(cells, columns.timestamp)?;
    if timestamp > LAST_TIMESTAMP {
        return None;
    }
    let users = match columns.users {
        Some(c) => plain_count(cells, c)?,
        None => 0,
    };
    let percentiles = [
        plain_measure(cells, columns.p50)?,
        plain_measure(cells, columns.p95)?,
        plain_measure(cells, columns.p99)?,
    ];
    let requests = plain_count(cells, columns.total_requests)?;
    let failures = plain_count(cells, columns.total_failures)?;
    let average = plain_measure(cells, columns.total_avg)?;
    let method = match columns.method {
        Some(c) => {
            let (from, to) = cells.bounds(c);
            trim_ascii(&text[from..to])
        }
        None => &[][..],
    };
    let name = match columns.name {
        Some(c) => {
            let (from, to) = cells.bounds(c);
            &text[from..to]
        }
        None => &[][..],
    };
    Some(Row {
        point: HistoryPoint::new(
            timestamp as i64,
            users,
            percentiles,
            requests,
            failures,
            average,
        ),
        method,
        name,
    })
}

impl CommaCells<'_, '_> {
    /// Where cell `c` starts and ends in `text`.
    #[inline(always)]
    fn bounds(&self, c: usize) -> (usize, usize) {
        let from = if c == 0 {
            self.start
        } else {
            self.commas[c - 1] + 1
        };
        let to = if c < self.commas.len() {
            self.commas[c]
        } else {
            self.end
        };
        (from, to)
    }
}

#[inline(always)]
fn plain_count(cells: &CommaCells<'_, '_>, c: usize) -> Option<u64> {
    let (from, to) = cells.bounds(c);
    integer_at(cells.text, from, to)
}

/// `Some(None)` for a column the header lacks.
#[inline(always)]
fn plain_measure(cells: &CommaCells<'_, '_>, c: Option<usize>) -> Option<Option<f64>> {
    match c {
        Some(c) => {
            let (from, to) = cells.bounds(c);
            decimal_at(cells.text, from, to).map(Some)
        }
        None => Some(None),
    }
}

/// `cell.trim_ascii()`, without a loop for the usual cell that starts and ends with no space.
#[inline(always)]
fn trim_ascii(cell: &[u8]) -> &[u8] {
    match (cell.first(), cell.last()) {
        (Some(a), Some(b)) if !a.is_ascii_whitespace() && !b.is_ascii_whitespace() => cell,
        _ => cell.trim_ascii(),
    }
}

/// The error for a cell that is not UTF-8.
pub(super) fn not_utf8(column: usize) -> CellError {
    CellError {
        column: Some(column),
        message: "not valid UTF-8 (is this a binary file?)".to_string(),
    }
}

/// The error for a bad row on `line` of the file, naming the column when one cell is to blame.
pub(super) fn input_error(
    path: &Path,
    header: &[String],
    line: u64,
    error: CellError,
) -> InputError {
    match error.column {
        Some(c) => InputError::at_cell(path, line, c + 1, &header[c], error.message),
        None => InputError::at_line(path, line, error.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Locust 2.x's history header: the columns analysis reads.
    fn columns() -> HistoryColumns {
        HistoryColumns {
            timestamp: 0,
            users: Some(1),
            method: Some(2),
            name: Some(3),
            p50: Some(6),
            p95: Some(11),
            p99: Some(13),
            total_requests: 17,
            total_failures: 18,
            total_avg: Some(20),
            width: 24,
        }
    }

    const ROW: &[u8] = b"1795405292,10,GET,/fast,17.000000,0.000000,3,3,3,3,4,5,6,6,6,6,6,107,0,3,3.3101279626029383,2.0683009997810586,20.804146000045876,5.0";

    fn read_line(line: &[u8]) -> Result<Option<Row<'_>>, CellError> {
        let commas: Vec<usize> = (0..line.len()).filter(|&i| line[i] == b',').collect();
        let cells = CommaCells {
            text: line,
            start: 0,
            end: line.len(),
            commas: &commas,
        };
        read(&cells, &columns())
    }

    #[test]
    fn a_real_locust_row_is_read() {
        let row = read_line(ROW).unwrap().unwrap();
        let p = row.point;
        assert_eq!({ p.timestamp }, 1_795_405_292);
        assert_eq!(p.users(), 10);
        assert_eq!(row.method, b"GET");
        assert_eq!(row.name, b"/fast");
        assert_eq!(
            (p.p50(), p.p95(), p.p99()),
            (Some(3.0), Some(5.0), Some(6.0))
        );
        assert_eq!((p.total_requests, p.total_failures()), (107, 0));
        // 17 significant digits: the standard parser's exact value.
        assert_eq!(p.total_avg_ms(), Some(3.3101279626029383));
    }

    #[test]
    fn unusual_cells_read_as_the_general_parsers_read_them() {
        let text = std::str::from_utf8(ROW).unwrap();
        let ok = |line: String| read_line(line.as_bytes()).unwrap().unwrap().point;
        let err = |line: String| {
            let e = read_line(line.as_bytes()).unwrap_err();
            (e.column, e.message)
        };
        assert_eq!(
            ok(text.replacen(",3,3,3,3,4,", ",N/A,3,3,3,4,", 1)).p50(),
            None
        );
        assert_eq!(
            ok(text.replacen(",3,3,3,3,4,", ", 3 ,3,3,3,4,", 1)).p50(),
            Some(3.0)
        );
        assert_eq!(
            { ok(text.replacen("1795405292", "1795405292.5", 1)).timestamp },
            1_795_405_292
        );
        assert_eq!(
            err(text.replacen(",10,", ",ten,", 1)),
            (Some(1), "expected a whole number, found 'ten'".to_string())
        );
        assert_eq!(
            err(text.replacen(",10,", ",,", 1)),
            (Some(1), "expected a whole number, found ''".to_string())
        );
        assert_eq!(
            err(text.replacen(",107,", ",-107,", 1)),
            (
                Some(17),
                "a count cannot be negative, found '-107'".to_string()
            )
        );
        assert_eq!(
            err(text.replacen("1795405292", "99999999999", 1)),
            (
                Some(0),
                "expected a Unix timestamp, found '99999999999'".to_string()
            )
        );
        for ragged in [
            format!("{text},extra"),
            text.rsplit_once(',').unwrap().0.to_string(),
        ] {
            assert_eq!(err(ragged).0, None);
        }
    }

    #[test]
    fn a_blank_line_is_no_row_and_an_empty_type_is_the_aggregate() {
        for blank in ["", " ", "\u{a0}", "\x0b"] {
            assert_eq!(read_line(blank.as_bytes()), Ok(None), "{blank:?}");
        }
        let text = std::str::from_utf8(ROW)
            .unwrap()
            .replacen("GET,/fast", ",Aggregated", 1);
        let row = read_line(text.as_bytes()).unwrap().unwrap();
        assert_eq!((row.method, row.name), (&b""[..], &b"Aggregated"[..]));
    }

    /// A row's values with every float as its bits, so that equal means identical.
    fn bits(row: &Row<'_>) -> String {
        let p = row.point;
        let floats = [p.p50(), p.p95(), p.p99(), p.total_avg_ms()].map(|v| v.map(f64::to_bits));
        format!(
            "{} {} {} {} {floats:?} {:?} {:?}",
            { p.timestamp },
            p.users(),
            { p.total_requests },
            p.total_failures(),
            row.method,
            row.name
        )
    }

    fn cell_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        // Mostly Locust's shapes, so that whole rows of them are common.
        prop_oneof![
            4 => (0u64..100_000).prop_map(|v| v.to_string()),
            1 => (0u64..u64::MAX).prop_map(|v| v.to_string()),
            4 => (0.0f64..10_000.0).prop_map(|v| v.to_string()),
            2 => (0u32..100_000, 0u32..18).prop_map(|(v, k)| format!("{v}.{}", "7".repeat(k as usize))),
            1 => "[0-9. a/N-]{0,6}",
        ]
    }

    proptest::proptest! {
        /// The fast path reads a row exactly as the general one does whenever it reads it at all,
        /// and it reads every row in Locust's usual shapes.
        #[test]
        fn the_plain_row_reader_agrees_with_the_general_one(
            cells in proptest::collection::vec(cell_strategy(), 24),
            method in "(GET| GET|POST |)",
            tail in "[0-9,\r\n]{0,9}",
        ) {
            let mut cells = cells;
            cells[2] = method;
            cells[3] = "/a".to_string();
            let line = cells.join(",");
            let text = format!("{line}{tail}");
            let commas: Vec<usize> = (0..line.len()).filter(|&i| line.as_bytes()[i] == b',').collect();
            let plain = CommaCells { text: text.as_bytes(), start: 0, end: line.len(), commas: &commas };
            let general = read(&plain, &columns());
            if let Some(fast) = read_plain(&plain, &columns()) {
                let general = general.expect("read").expect("a row");
                proptest::prop_assert_eq!(bits(&fast), bits(&general));
            }
        }
    }

    #[test]
    fn usual_rows_take_the_fast_path() {
        let text = [ROW, b"\r\n"].concat();
        let line = &text[..ROW.len()];
        let commas: Vec<usize> = (0..line.len()).filter(|&i| line[i] == b',').collect();
        let cells = CommaCells {
            text: &text,
            start: 0,
            end: line.len(),
            commas: &commas,
        };
        let fast = read_plain(&cells, &columns()).expect("the fast path");
        assert_eq!(
            bits(&fast),
            bits(&read(&cells, &columns()).unwrap().unwrap())
        );
        // A cell in another shape leaves the row to the general reader.
        let odd = std::str::from_utf8(ROW)
            .unwrap()
            .replacen(",3,3,3,3,4,", ",N/A,3,3,3,4,", 1);
        let commas: Vec<usize> = (0..odd.len())
            .filter(|&i| odd.as_bytes()[i] == b',')
            .collect();
        let cells = CommaCells {
            text: odd.as_bytes(),
            start: 0,
            end: odd.len(),
            commas: &commas,
        };
        assert!(read_plain(&cells, &columns()).is_none());
    }
}
