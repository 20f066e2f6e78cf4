//! One plain history row, read from its comma positions (found 64 bytes at a time by `scan`): only
//! the columns analysis reads are touched. "Plain" is what Locust writes for all but a handful of
//! rows: digits, decimals, names without quotes. Anything else (`N/A`, a ragged row, a bad number)
//! returns `None`, and the careful reader takes the row and, if it is wrong, words the error with
//! its line and column.

use super::locust::HistoryColumns;
use super::number::{ascii_decimal, ascii_integer};

/// What the fast path does with a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Timestamp,
    Users,
    Method,
    Name,
    P50,
    P95,
    P99,
    TotalRequests,
    TotalFailures,
    TotalAvg,
}

/// The columns the fast path reads, in header order, and the row's width.
pub struct Layout {
    read: Vec<(usize, Cell)>,
    width: usize,
}

impl Layout {
    pub fn new(columns: &HistoryColumns) -> Self {
        let mut read: Vec<(usize, Cell)> = [
            (Some(columns.timestamp), Cell::Timestamp),
            (columns.users, Cell::Users),
            (columns.method, Cell::Method),
            (columns.name, Cell::Name),
            (columns.p50, Cell::P50),
            (columns.p95, Cell::P95),
            (columns.p99, Cell::P99),
            (Some(columns.total_requests), Cell::TotalRequests),
            (Some(columns.total_failures), Cell::TotalFailures),
            (columns.total_avg, Cell::TotalAvg),
        ]
        .into_iter()
        .filter_map(|(at, cell)| Some((at?, cell)))
        .collect();
        read.sort_by_key(|(at, _)| *at);
        Layout {
            read,
            width: columns.width,
        }
    }
}

/// A row's values; `method` and `name` are the cells' raw bytes.
#[derive(Debug, Default, PartialEq)]
pub struct FastRow<'a> {
    pub timestamp: i64,
    pub users: u64,
    pub percentiles: [Option<f64>; 3],
    pub total_requests: u64,
    pub total_failures: u64,
    pub total_avg: Option<f64>,
    pub method: &'a [u8],
    pub name: &'a [u8],
}

/// Timestamps past the year 3000 are refused (by the careful reader).
const LAST_TIMESTAMP: u64 = 32_503_680_000;

/// Reads the row in `text[start..end]` (`end` before any `\r`) whose commas are at `commas`, or
/// returns `None` for the careful reader.
pub fn read<'a>(
    text: &'a [u8],
    start: usize,
    end: usize,
    commas: &[usize],
    layout: &Layout,
) -> Option<FastRow<'a>> {
    if commas.len() + 1 != layout.width {
        return None;
    }
    let mut row = FastRow::default();
    for &(column, cell) in &layout.read {
        let from = if column == 0 {
            start
        } else {
            commas[column - 1] + 1
        };
        let to = commas.get(column).copied().unwrap_or(end);
        let bytes = text.get(from..to)?;
        match cell {
            Cell::Timestamp => {
                row.timestamp = ascii_integer(bytes).filter(|v| *v <= LAST_TIMESTAMP)? as i64
            }
            Cell::Users => row.users = ascii_integer(bytes)?,
            Cell::TotalRequests => row.total_requests = ascii_integer(bytes)?,
            Cell::TotalFailures => row.total_failures = ascii_integer(bytes)?,
            Cell::Method => row.method = bytes.trim_ascii(),
            Cell::Name => row.name = bytes,
            Cell::P50 => row.percentiles[0] = Some(ascii_decimal(bytes)?),
            Cell::P95 => row.percentiles[1] = Some(ascii_decimal(bytes)?),
            Cell::P99 => row.percentiles[2] = Some(ascii_decimal(bytes)?),
            Cell::TotalAvg => row.total_avg = Some(ascii_decimal(bytes)?),
        }
    }
    Some(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        // Locust 2.x's history header: the columns the fast path reads.
        Layout::new(&HistoryColumns {
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
        })
    }

    const ROW: &[u8] = b"1795405292,10,GET,/fast,17.000000,0.000000,3,3,3,3,4,5,6,6,6,6,6,107,0,3,3.3101279626029383,2.0683009997810586,20.804146000045876,5.0";

    fn read_line<'a>(line: &'a [u8], layout: &Layout) -> Option<FastRow<'a>> {
        let commas: Vec<usize> = (0..line.len()).filter(|&i| line[i] == b',').collect();
        read(line, 0, line.len(), &commas, layout)
    }

    #[test]
    fn a_real_locust_row_is_read() {
        let row = read_line(ROW, &layout()).unwrap();
        assert_eq!(row.timestamp, 1_795_405_292);
        assert_eq!(row.users, 10);
        assert_eq!(row.method, b"GET");
        assert_eq!(row.name, b"/fast");
        assert_eq!(row.percentiles, [Some(3.0), Some(5.0), Some(6.0)]);
        assert_eq!((row.total_requests, row.total_failures), (107, 0));
        // 17 significant digits: the standard parser's exact value.
        assert_eq!(row.total_avg, Some(3.3101279626029383));
    }

    #[test]
    fn anything_unusual_goes_to_the_careful_reader() {
        let text = std::str::from_utf8(ROW).unwrap();
        let cases = [
            text.replacen(",3,3,3,3,4,", ",N/A,3,3,3,4,", 1),
            text.replacen(",10,", ",ten,", 1),
            text.replacen(",10,", ",,", 1),
            text.replacen(",107,", ",-107,", 1),
            text.replacen("1795405292", "99999999999", 1),
            text.replacen("1795405292", "1795405292.5", 1),
            format!("{text},extra"),
            text.rsplit_once(',').unwrap().0.to_string(),
            String::new(),
        ];
        for case in cases {
            assert_eq!(read_line(case.as_bytes(), &layout()), None, "{case}");
        }
    }

    #[test]
    fn an_empty_type_is_the_aggregate_row() {
        let text = std::str::from_utf8(ROW)
            .unwrap()
            .replacen("GET,/fast", ",Aggregated", 1);
        let row = read_line(text.as_bytes(), &layout()).unwrap();
        assert_eq!((row.method, row.name), (&b""[..], &b"Aggregated"[..]));
    }
}
