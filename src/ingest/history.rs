//! The fast path for `_stats_history.csv`. A day of `--csv-full-history` with 50 endpoints is two
//! million rows; reading it row by row through a general CSV reader, a String per name, a struct of
//! eleven percentiles per row, costs more time and memory than the file. Here the body is split at
//! line boundaries into one part per core; each part reads its bytes in 512 KiB chunks (small enough
//! to stay in the core's cache while they are scanned), finds commas and line feeds 64 bytes at a
//! time (`scan`), reads only the ten columns analysis needs straight from the comma positions
//! (`fast_row`, `number`), and appends the point to its scope's series, sized ahead from the rows
//! seen so far. A row that is not plain (`N/A`, quotes, anything wrong) goes through the careful
//! path: the CSV parser for quoted cells, the general number parsers, whose errors name the file,
//! line and column exactly as the row reader does; a quoted line break anywhere sends the whole file
//! to that reader. The parts are joined in file order, scopes spread over the cores.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::error::InputError;
use super::fast_row::{self, Layout};
use super::locust::{history_columns, history_scope, read_history_rows, HistoryColumns};
use super::number::{ascii_decimal, ascii_integer};
use super::scan;
use super::table::{parse_count, parse_measure, parse_timestamp};
use crate::model::{EndpointKey, History, HistoryPoint, Series};

/// Below this, one thread reads the whole body.
const PARALLEL_FROM_BYTES: u64 = 8 << 20;
/// Bytes per read: 512 KiB measured a little faster than 4 MiB and 256 KiB.
const CHUNK_BYTES: usize = 512 << 10;

/// Reads a history file, in parallel when it is large.
pub fn read(path: &Path) -> Result<History, InputError> {
    let (columns, header) = history_columns(path)?;
    let io = |e: std::io::Error| InputError::file(path, format!("cannot read: {e}"));
    let len = std::fs::metadata(path).map_err(io)?.len();
    // A header this reader cannot place (no line feed in its first 64 KiB: carriage returns only,
    // or a huge header; quotes or a lone carriage return in it): the row reader decides.
    let Some(body_start) = header_end(path).map_err(io)? else {
        return read_history_rows(path);
    };
    let parts = if len.saturating_sub(body_start) < PARALLEL_FROM_BYTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8) as u64
    };
    let bounds = boundaries(path, body_start, len, parts).map_err(io)?;
    let results: Vec<Result<Part, PartError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let (columns, header) = (&columns, &header);
                // The first part's series receive the later parts' points when joined: size them
                // for the whole file.
                let plan = if start == body_start {
                    len - body_start
                } else {
                    end - start
                };
                scope.spawn(move || parse_part(path, (start, end), plan, columns, header))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    // Lines are numbered from 1; the header is line 1, so part 0 starts on line 2.
    let mut line = 2u64;
    let mut parts_done = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(part) => {
                line += part.lines;
                parts_done.push(part);
            }
            Err(PartError::Fallback) => return read_history_rows(path),
            Err(PartError::Io(e)) => return Err(io(e)),
            Err(PartError::Cell {
                line: local,
                column,
                message,
            }) => {
                let at = line + local;
                return Err(match column {
                    Some(c) => InputError::at_cell(path, at, c + 1, &header[c], message),
                    None => InputError::at_line(path, at, message),
                });
            }
        }
    }
    let series = join(parts_done);
    if series.len() > super::locust::MAX_ENDPOINTS + 1 {
        // Each part stayed under the limit but together they pass it: the row reader names the
        // line where the file does.
        return read_history_rows(path);
    }
    Ok(ordered(series))
}

/// The aggregate first, then the endpoints in order of first appearance; every series in timestamp
/// order (a stable sort, skipped when the file is already ordered, as Locust writes it).
pub(crate) fn ordered(mut series: Vec<Series>) -> History {
    crate::par::for_each_mut(&mut series, |s| {
        if !s
            .points
            .windows(2)
            .all(|w| w[0].timestamp <= w[1].timestamp)
        {
            s.points.sort_by_key(|p| p.timestamp);
        }
    });
    series.sort_by_key(|s| !s.aggregated);
    History { series }
}

/// Byte offset just past the header line (a BOM included).
fn header_end(path: &Path) -> std::io::Result<Option<u64>> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = file.read(&mut buf)?;
    let Some(end) = buf[..n].iter().position(|b| *b == b'\n') else {
        // An empty file or a header alone without a line break: the body is empty.
        return Ok((n < buf.len() && !buf[..n].contains(&b'\r')).then_some(n as u64));
    };
    let header = &buf[..end];
    let header = header.strip_suffix(b"\r").unwrap_or(header);
    let plain = !header.contains(&b'"') && !header.contains(&b'\r');
    Ok(plain.then_some(end as u64 + 1))
}

/// `parts + 1` offsets, each inner one moved forward to just past a line break.
fn boundaries(path: &Path, start: u64, end: u64, parts: u64) -> std::io::Result<Vec<u64>> {
    let mut bounds = vec![start];
    let mut file = File::open(path)?;
    for k in 1..parts {
        let guess = start + (end - start) * k / parts;
        file.seek(SeekFrom::Start(guess))?;
        let mut buf = [0u8; 64 * 1024];
        let n = file.read(&mut buf)?;
        let at = buf[..n]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(end, |i| guess + i as u64 + 1);
        if at > *bounds.last().expect("not empty") && at < end {
            bounds.push(at);
        }
    }
    bounds.push(end);
    Ok(bounds)
}

enum PartError {
    /// A quoted line break: only the row reader can read this file.
    Fallback,
    Io(std::io::Error),
    /// `line` counts from the part's first line (0).
    Cell {
        line: u64,
        column: Option<usize>,
        message: String,
    },
}

/// What one part read: its series (in order of first appearance) and how many lines it spans.
struct Part {
    keys: Vec<(EndpointKey, bool)>,
    /// The raw (method, name) bytes of each key, to recognise a row's scope without hashing.
    key_bytes: Vec<Vec<u8>>,
    series: Vec<Vec<HistoryPoint>>,
    last_slot: Option<usize>,
    lines: u64,
}

/// Reads the lines in `range` of the file; `plan_bytes` is how much of the file the part's series
/// should have room for.
fn parse_part(
    path: &Path,
    (start, end): (u64, u64),
    plan_bytes: u64,
    columns: &HistoryColumns,
    header: &[String],
) -> Result<Part, PartError> {
    let mut file = File::open(path).map_err(PartError::Io)?;
    file.seek(SeekFrom::Start(start)).map_err(PartError::Io)?;
    let mut remaining = end - start;
    let mut reader = PartReader::new(columns, header.len(), plan_bytes);
    // One buffer: the unfinished line of the last read moves to its front, the next read lands
    // behind it, so the file's bytes are copied once (from the page cache) and scanned once.
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            // A line longer than the buffer.
            buf.resize(buf.len() * 2, 0);
        }
        let want = remaining.min((buf.len() - filled) as u64) as usize;
        let n = if want == 0 {
            0
        } else {
            file.read(&mut buf[filled..filled + want])
                .map_err(PartError::Io)?
        };
        remaining -= n as u64;
        filled += n;
        let at_end = n == 0;
        // A last line without a line break is still a line.
        if at_end && filled > 0 && buf[filled - 1] != b'\n' {
            if filled == buf.len() {
                buf.push(b'\n');
            } else {
                buf[filled] = b'\n';
            }
            filled += 1;
        }
        let text = &buf[..filled];
        let line_start = scan::lines(text, |start, end, commas| {
            reader.line(text, start, end, commas)
        })?;
        if at_end {
            return Ok(reader.part);
        }
        buf.copy_within(line_start..filled, 0);
        filled -= line_start;
    }
}

/// One part's state while it reads its lines.
struct PartReader<'c> {
    columns: &'c HistoryColumns,
    layout: Layout,
    part: Part,
    /// Raw scope bytes and canonical scopes, each to its slot in `part.series`.
    index: HashMap<Vec<u8>, usize>,
    scopes: HashMap<EndpointKey, usize>,
    key_buf: Vec<u8>,
    cells: CellRanges,
    /// Bytes read so far and the bytes to plan the series' capacity for.
    bytes_read: u64,
    plan_bytes: u64,
}

impl<'c> PartReader<'c> {
    fn new(columns: &'c HistoryColumns, width: usize, plan_bytes: u64) -> Self {
        PartReader {
            columns,
            layout: Layout::new(columns),
            part: Part {
                keys: Vec::new(),
                key_bytes: Vec::new(),
                series: Vec::new(),
                last_slot: None,
                lines: 0,
            },
            index: HashMap::new(),
            scopes: HashMap::new(),
            key_buf: Vec::with_capacity(128),
            cells: Vec::with_capacity(width + 1),
            bytes_read: 0,
            plan_bytes,
        }
    }

    /// The line `text[start..end]` (`end` at its line feed): the fast path when it is plain (its
    /// `commas` known), else the careful one.
    fn line(
        &mut self,
        text: &[u8],
        start: usize,
        end: usize,
        commas: Option<&[usize]>,
    ) -> Result<(), PartError> {
        let end = if end > start && text[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        self.bytes_read += (end - start) as u64 + 1;
        let line = &text[start..end];
        let fast = commas
            .filter(|_| end - start <= MAX_LINE_BYTES)
            .and_then(|c| fast_row::read(text, start, end, c, &self.layout));
        match fast {
            Some(row) => {
                let point = HistoryPoint::new(
                    row.timestamp,
                    row.users,
                    row.percentiles,
                    row.total_requests,
                    row.total_failures,
                    row.total_avg,
                );
                self.push(row.method, row.name, point)?;
            }
            None => self.careful(line)?,
        }
        self.part.lines += 1;
        Ok(())
    }

    /// Splits a line into cells (through the CSV parser when it has quotes) and reads every cell
    /// with the general parsers, which word the errors.
    fn careful(&mut self, line: &[u8]) -> Result<(), PartError> {
        // Lines the row reader treats differently from a plain split: a lone carriage return (the
        // CSV parser ends the record there), invalid UTF-8 or an over-long cell (it words those
        // errors itself), quotes in any but the usual places. Rare enough to hand it the file.
        if memchr::memchr(b'\r', line).is_some()
            || line.len() > MAX_LINE_BYTES
            || std::str::from_utf8(line).is_err()
        {
            return Err(PartError::Fallback);
        }
        let mut cells = std::mem::take(&mut self.cells);
        cells.clear();
        let unquoted;
        let text: &[u8] = if memchr::memchr(b'"', line).is_some() {
            if !plainly_quoted(line) {
                return Err(PartError::Fallback);
            }
            unquoted = unquote(line).ok_or(PartError::Fallback)?;
            cells.extend(unquoted.1.iter().copied());
            &unquoted.0
        } else {
            let mut from = 0;
            for i in memchr::memchr_iter(b',', line) {
                cells.push((from, i));
                from = i + 1;
            }
            cells.push((from, line.len()));
            line
        };
        // A blank line (one cell of whitespace, quoted or not) is not data, as for the row reader.
        let blank = cells.len() == 1
            && std::str::from_utf8(&text[cells[0].0..cells[0].1])
                .is_ok_and(|c| c.trim().is_empty());
        let result = if blank {
            Ok(())
        } else {
            self.fields(text, &cells)
        };
        self.cells = cells;
        result
    }

    /// Reads one row whose cells are known: `cells[i]` is the byte range of cell `i` in `text`.
    fn fields(&mut self, text: &[u8], cells: &CellRanges) -> Result<(), PartError> {
        let columns = self.columns;
        let line = self.part.lines;
        if cells.len() != columns.width {
            return Err(PartError::Cell {
                line,
                column: None,
                message: format!(
                    "row has {} fields but the header has {} (truncated or ragged row)",
                    cells.len(),
                    columns.width
                ),
            });
        }
        let bytes = |c: usize| -> &[u8] {
            let (a, b) = cells[c];
            &text[a..b]
        };
        let cell = |c: usize| -> Result<&str, PartError> { utf8(bytes(c), line, c) };
        let fail = |c: usize| {
            move |message: String| PartError::Cell {
                line,
                column: Some(c),
                message,
            }
        };
        let count = |c: usize| -> Result<u64, PartError> {
            match ascii_integer(bytes(c)) {
                Some(v) => Ok(v),
                None => parse_count(cell(c)?).map_err(fail(c)),
            }
        };
        let opt = |c: Option<usize>| -> Result<Option<f64>, PartError> {
            let Some(c) = c else { return Ok(None) };
            match ascii_decimal(bytes(c)) {
                Some(v) => Ok(Some(v)),
                None => parse_measure(cell(c)?).map_err(fail(c)),
            }
        };
        let ts = columns.timestamp;
        let timestamp = parse_timestamp(cell(ts)?).map_err(fail(ts))?;
        let point = HistoryPoint::new(
            timestamp,
            match columns.users {
                Some(c) => count(c)?,
                None => 0,
            },
            [opt(columns.p50)?, opt(columns.p95)?, opt(columns.p99)?],
            count(columns.total_requests)?,
            count(columns.total_failures)?,
            opt(columns.total_avg)?,
        );
        let method = columns.method.map_or(&[][..], |c| bytes(c).trim_ascii());
        let name = columns.name.map_or(&[][..], |c| bytes(c));
        self.push(method, name, point)
    }

    /// Appends a point to its scope's series, creating the scope on its first row.
    fn push(&mut self, method: &[u8], name: &[u8], point: HistoryPoint) -> Result<(), PartError> {
        let part = &mut self.part;
        // Locust writes the scopes in the same order every second: the row after slot k is most
        // often slot k + 1, so check that before building a key and hashing.
        let guess = part
            .last_slot
            .map_or(0, |s| (s + 1) % part.series.len().max(1));
        let slot = if part
            .key_bytes
            .get(guess)
            .is_some_and(|k| is_key(k, method, name))
        {
            guess
        } else if let Some(slot) = self.index.get(key_of(&mut self.key_buf, method, name)) {
            *slot
        } else {
            let (line, columns) = (part.lines, self.columns);
            let method = utf8(method, line, columns.method.unwrap_or(0))?;
            let name = match columns.name {
                Some(c) => Some(utf8(name, line, c)?),
                None => None,
            };
            // Raw spellings of one scope (`""` and `None` for the aggregate, trailing Unicode
            // spaces) share its series, as in the row reader.
            let (key, aggregated) = history_scope(method, name);
            let slot = match self.scopes.get(&key) {
                Some(&slot) => slot,
                None if part.series.len() > super::locust::MAX_ENDPOINTS => {
                    return Err(PartError::Cell {
                        line,
                        column: columns.name,
                        message: super::locust::too_many_endpoints(),
                    });
                }
                None => {
                    self.scopes.insert(key.clone(), part.series.len());
                    part.keys.push((key, aggregated));
                    part.key_bytes.push(self.key_buf.clone());
                    part.series.push(Vec::new());
                    part.series.len() - 1
                }
            };
            self.index.insert(self.key_buf.clone(), slot);
            slot
        };
        part.last_slot = Some(slot);
        let points = &mut part.series[slot];
        if points.len() == points.capacity() && points.len() >= 1024 {
            // Grow once to what the scope's share of the rows so far predicts for the planned
            // bytes, instead of doubling: every doubling copies the points and touches new pages.
            let predicted = (points.len() as f64 * self.plan_bytes as f64 / self.bytes_read as f64
                * 1.05) as usize;
            points.reserve(predicted.saturating_sub(points.len()).max(points.len()));
        }
        points.push(point);
        Ok(())
    }
}

fn utf8(bytes: &[u8], line: u64, column: usize) -> Result<&str, PartError> {
    std::str::from_utf8(bytes).map_err(|_| PartError::Cell {
        line,
        column: Some(column),
        message: "not valid UTF-8 (is this a binary file?)".to_string(),
    })
}

/// The hash key of a row's raw scope bytes: the method's length, the method, the name (the length
/// keeps `("GET,/a", "b")` apart from `("GET", "/a,b")` whatever bytes the cells hold).
fn key_of<'k>(buf: &'k mut Vec<u8>, method: &[u8], name: &[u8]) -> &'k [u8] {
    buf.clear();
    buf.extend_from_slice(&(method.len() as u64).to_le_bytes());
    buf.extend_from_slice(method);
    buf.extend_from_slice(name);
    buf
}

/// Whether `key` is `key_of(method, name)`, without building it.
fn is_key(key: &[u8], method: &[u8], name: &[u8]) -> bool {
    key.len() == 8 + method.len() + name.len()
        && key[..8] == (method.len() as u64).to_le_bytes()
        && key[8..8 + method.len()] == *method
        && key.ends_with(name)
}

/// Longer lines go to the row reader, which refuses cells over 64 KiB with its own message.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Whether every quote in `line` belongs to a quoted cell written the usual way (a quote opens the
/// cell, doubled quotes inside, a quote closes it right before a comma or the end): then the CSV
/// parser reads the line as one record. Anything else (a quote inside an unquoted cell, text after
/// a closing quote, a cell still open at the end) goes to the row reader.
fn plainly_quoted(line: &[u8]) -> bool {
    let mut i = 0;
    while i <= line.len() {
        // At the start of a cell.
        if line.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match line.get(i) {
                    None => return false,
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match line.get(i) {
                None => return true,
                Some(b',') => i += 1,
                Some(_) => return false,
            }
        } else {
            match line[i..].iter().position(|b| *b == b',' || *b == b'"') {
                None => return true,
                Some(at) if line[i + at] == b'"' => return false,
                Some(at) => i += at + 1,
            }
        }
    }
    true
}

/// Where each cell of a line starts and ends.
type CellRanges = Vec<(usize, usize)>;

/// Splits a line with quoted cells the way the csv crate does: (unquoted bytes, cell ranges).
fn unquote(raw: &[u8]) -> Option<(Vec<u8>, CellRanges)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(raw);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).ok()? {
        return None;
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut ranges = Vec::with_capacity(record.len());
    for field in record.iter() {
        let from = bytes.len();
        bytes.extend_from_slice(field);
        ranges.push((from, bytes.len()));
    }
    Some((bytes, ranges))
}

/// Joins the parts' series in file order: a scope's points from part 0, then part 1, and so on.
/// Part 0's vectors are kept; the later parts' points are appended, scopes spread over the cores.
fn join(parts: Vec<Part>) -> Vec<Series> {
    let mut index: HashMap<EndpointKey, usize> = HashMap::new();
    // Each scope with the segments still to append to it.
    let mut joined: Vec<(Series, Vec<Vec<HistoryPoint>>)> = Vec::new();
    for part in parts {
        for ((key, aggregated), points) in part.keys.into_iter().zip(part.series) {
            match index.get(&key) {
                Some(&i) => joined[i].1.push(points),
                None => {
                    index.insert(key.clone(), joined.len());
                    let series = Series {
                        key,
                        aggregated,
                        points,
                    };
                    joined.push((series, Vec::new()));
                }
            }
        }
    }
    crate::par::for_each_mut(&mut joined, |(series, segments)| {
        series
            .points
            .reserve_exact(segments.iter().map(Vec::len).sum());
        for segment in segments.drain(..) {
            series.points.extend(segment);
        }
    });
    joined.into_iter().map(|(series, _)| series).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

    fn row(ts: i64, name: &str, total: u64) -> String {
        let method = if name == "Aggregated" { "" } else { "GET" };
        format!("{ts},10,{method},{name},1.0,0.0,5,6,7,8,9,10,11,12,13,14,15,{total},0,5,5.5,1,20,100\r\n")
    }

    /// A file large enough to be read in parts, with quoted names and CRLF line ends.
    fn big_file(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("h_stats_history.csv");
        let mut text = format!("{HEADER}\r\n");
        let mut total = 0;
        let mut ts = 1_700_000_000;
        while text.len() < (PARALLEL_FROM_BYTES as usize) * 2 {
            total += 3;
            text.push_str(&row(ts, "/a", total));
            text.push_str(&row(ts, "\"/b, \"\"q\"\"\"", total));
            text.push_str(&row(ts, "Aggregated", total * 2));
            ts += 1;
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_parallel_reader_reads_what_the_row_reader_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(dir.path());
        let fast = read(&path).unwrap();
        let slow = read_history_rows(&path).unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast.series.len(), 3);
        assert!(fast.series[0].aggregated);
        assert!(fast.series.iter().any(|s| s.key.name == "/b, \"q\""));
    }

    #[test]
    fn errors_in_a_later_part_name_the_right_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        let target = lines.len() * 3 / 4;
        let mut broken: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        broken[target] = broken[target].replacen(",10,", ",ten,", 1);
        std::fs::write(&path, broken.join("\r\n")).unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.line, Some(target as u64 + 1), "{err}");
        assert_eq!(err.column, Some(2));
        assert!(
            err.to_string()
                .contains("column 'User Count': expected a whole number, found 'ten'"),
            "{err}"
        );
    }

    fn cell_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            (0u32..100_000).prop_map(|v| v.to_string()),
            (0.0f64..10_000.0).prop_map(|v| v.to_string()),
            Just("N/A".to_string()),
            Just(String::new()),
        ]
    }

    fn row_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let name = prop_oneof![
            Just("/a".to_string()),
            Just("\"/b, \"\"q\"\"\"".to_string()),
            Just("Aggregated".to_string()),
            "/[a-z]{1,8}",
        ];
        (
            1_700_000_000u64..1_700_000_100,
            0u64..500,
            name,
            proptest::collection::vec(cell_strategy(), 13),
            (0u64..1 << 40, 0u64..1000),
            (0.0f64..5_000.0),
            prop_oneof![Just("\n"), Just("\r\n")],
        )
            .prop_map(|(ts, users, name, cells, (total, fails), avg, eol)| {
                let method = if name == "Aggregated" { "" } else { "GET" };
                format!(
                    "{ts},{users},{method},{name},1.5,0.0,{},{total},{fails},7,{avg},1,20,100{eol}",
                    cells[..11].join(","),
                )
            })
    }

    proptest::proptest! {
        /// The fast path (plain rows) and the careful one (quotes, N/A, empty cells) together read
        /// exactly what the general row reader reads.
        #[test]
        fn the_fast_reader_equals_the_row_reader(rows in proptest::collection::vec(row_strategy(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p_stats_history.csv");
            std::fs::write(&path, format!("{HEADER}\r\n{}", rows.concat())).unwrap();
            let fast = read(&path).map_err(|e| e.to_string());
            let slow = read_history_rows(&path).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn a_quoted_line_break_falls_back_to_the_row_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q_stats_history.csv");
        let text = format!(
            "{HEADER}\n{}{}",
            row(1, "\"/multi\nline\"", 1),
            row(1, "Aggregated", 1)
        );
        std::fs::write(&path, text).unwrap();
        let history = read(&path).unwrap();
        assert!(history.series.iter().any(|s| s.key.name == "/multi\nline"));
    }
}
