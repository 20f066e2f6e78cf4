//! Reading one part of a history's body (a range of whole lines; the file is split into one part per
//! core). The bytes come in 512 KiB chunks into one buffer (small enough to stay in the core's cache
//! while they are scanned); `scan` finds commas and line feeds 64 bytes at a time. A plain line's
//! cells are read in place from its comma positions; a line with quotes is split by the CSV parser
//! first; both go to the one row reader (`row::read`). A line the CSV parser would split differently
//! from a line-by-line reader (a lone carriage return, a quote inside an unquoted cell, invalid
//! UTF-8, a line over 64 KiB) gives `PartError::Fallback`: the whole file then goes to the
//! record-by-record reader (`fallback`), which reads every CSV.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::columns::HistoryColumns;
use super::row::{self, CellError, CommaCells, RangeCells};
use super::scan;
use super::series::SeriesBuilder;

/// Bytes per read: 512 KiB measured a little faster than 4 MiB and 256 KiB.
const CHUNK_BYTES: usize = 512 << 10;

/// Longer lines go to the fall-back reader, which refuses cells over 64 KiB with its own message.
const MAX_LINE_BYTES: usize = 64 * 1024;

pub(super) enum PartError {
    /// A line only the record-by-record reader splits right: it reads the file.
    Fallback,
    Io(std::io::Error),
    /// `line` counts from the part's first line (0).
    Cell {
        line: u64,
        error: CellError,
    },
}

/// What one part read: its series (in order of first appearance) and how many lines it spans.
pub(super) struct Part<'r> {
    pub series: SeriesBuilder<'r>,
    pub lines: u64,
}

/// Reads the lines in `range` of the file into `series`.
pub(super) fn read<'r>(
    path: &Path,
    range: (u64, u64),
    series: SeriesBuilder<'r>,
    columns: &HistoryColumns,
) -> Result<Part<'r>, PartError> {
    let file = File::open(path).map_err(PartError::Io)?;
    read_from(file, range, series, columns)
}

/// [`read`] from a file already open.
pub(super) fn read_from<'r>(
    mut file: File,
    (start, end): (u64, u64),
    series: SeriesBuilder<'r>,
    columns: &HistoryColumns,
) -> Result<Part<'r>, PartError> {
    file.seek(SeekFrom::Start(start)).map_err(PartError::Io)?;
    let mut remaining = end - start;
    let mut reader = PartReader::new(columns, series);
    // One buffer: the unfinished line of the last read moves to its front, the next read lands
    // behind it, so the file's bytes are copied once (from the page cache) and scanned once. A
    // small part gets a buffer of its size (and room for the line feed a last line may lack).
    let mut buf = vec![0u8; (remaining as usize).saturating_add(64).min(CHUNK_BYTES)];
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
struct PartReader<'c, 'r> {
    columns: &'c HistoryColumns,
    part: Part<'r>,
    /// Cell ranges of the last quoted line (kept for its allocation).
    cells: Vec<(usize, usize)>,
}

impl<'c, 'r> PartReader<'c, 'r> {
    fn new(columns: &'c HistoryColumns, series: SeriesBuilder<'r>) -> Self {
        PartReader {
            columns,
            part: Part { series, lines: 0 },
            cells: Vec::with_capacity(columns.width + 1),
        }
    }

    /// The line `text[start..end]` (`end` at its line feed), its `commas` known when it is plain.
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
        self.part.series.add_bytes_read((end - start) as u64 + 1);
        let result = match commas {
            Some(commas) if end - start <= MAX_LINE_BYTES => {
                let cells = CommaCells {
                    text,
                    start,
                    end,
                    commas,
                };
                match row::read_plain(&cells, self.columns) {
                    Some(row) => self.part.series.push(row.method, row.name, row.point),
                    None => self.row(&cells),
                }
            }
            _ => self.careful(&text[start..end])?,
        };
        result.map_err(|error| PartError::Cell {
            line: self.part.lines,
            error,
        })?;
        self.part.lines += 1;
        Ok(())
    }

    /// Reads a row from its cells and files its point.
    #[inline]
    fn row<'a>(&mut self, cells: &impl row::Cells<'a>) -> Result<(), CellError> {
        match row::read(cells, self.columns)? {
            Some(row) => self.part.series.push(row.method, row.name, row.point),
            None => Ok(()),
        }
    }

    /// A line that is not plain: split at its commas, or by the CSV parser when it has quotes.
    fn careful(&mut self, line: &[u8]) -> Result<Result<(), CellError>, PartError> {
        // Lines the fall-back reader treats differently from a plain split: a lone carriage return
        // (the CSV parser ends the record there), invalid UTF-8 or an over-long cell (it words those
        // errors itself), quotes in any but the usual places. Rare enough to hand it the file.
        if memchr::memchr(b'\r', line).is_some()
            || line.len() > MAX_LINE_BYTES
            || std::str::from_utf8(line).is_err()
        {
            return Err(PartError::Fallback);
        }
        let mut cells = std::mem::take(&mut self.cells);
        cells.clear();
        let result = if memchr::memchr(b'"', line).is_some() {
            if !plainly_quoted(line) {
                self.cells = cells;
                return Err(PartError::Fallback);
            }
            let Some(text) = unquote(line, &mut cells) else {
                self.cells = cells;
                return Err(PartError::Fallback);
            };
            self.row(&RangeCells {
                text: &text,
                ranges: &cells,
            })
        } else {
            let mut from = 0;
            for i in memchr::memchr_iter(b',', line) {
                cells.push((from, i));
                from = i + 1;
            }
            cells.push((from, line.len()));
            self.row(&RangeCells {
                text: line,
                ranges: &cells,
            })
        };
        self.cells = cells;
        Ok(result)
    }
}

/// Whether every quote in `line` belongs to a quoted cell written the usual way (a quote opens the
/// cell, doubled quotes inside, a quote closes it right before a comma or the end): then the CSV
/// parser reads the line as one record. Anything else (a quote inside an unquoted cell, text after
/// a closing quote, a cell still open at the end) goes to the fall-back reader.
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

/// Splits a line with quoted cells the way the csv crate does: the unquoted bytes, and each cell's
/// range of them in `ranges`.
fn unquote(raw: &[u8], ranges: &mut Vec<(usize, usize)>) -> Option<Vec<u8>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(raw);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).ok()? {
        return None;
    }
    let mut bytes = Vec::with_capacity(raw.len());
    for field in record.iter() {
        let from = bytes.len();
        bytes.extend_from_slice(field);
        ranges.push((from, bytes.len()));
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::plainly_quoted;

    #[test]
    fn only_usual_quoting_is_read_line_by_line() {
        for line in [
            &b"1,\"a,b\",3"[..],
            b"\"\"",
            b"1,\"x\"\"y\"",
            b"\"a\",\"b\"",
        ] {
            assert!(plainly_quoted(line), "{}", String::from_utf8_lossy(line));
        }
        for line in [&b"1,a\"b,3"[..], b"\"a\"x,1", b"1,\"open", b"\""] {
            assert!(!plainly_quoted(line), "{}", String::from_utf8_lossy(line));
        }
    }
}
