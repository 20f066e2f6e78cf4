//! A CSV reader that finds columns by header name and turns every bad cell into an [`InputError`]
//! naming the file, line and column. Shared by the stats, history, failures and exceptions readers.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, StringRecord};

use super::encoding::{decode_record, CodePage};
use super::error::InputError;

/// Refuse cells longer than this: no real Locust cell comes close, and it bounds memory per row.
const MAX_CELL_BYTES: usize = 64 * 1024;

/// An open CSV file whose header has been read.
pub struct Table {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read>>,
    header: Vec<String>,
    /// The code page the text cells were decoded with, once a cell was not UTF-8.
    code_page: Option<CodePage>,
}

impl Table {
    /// Opens `path`, skips a UTF-8 byte-order mark and reads the header row.
    pub fn open(path: &Path) -> Result<Table, InputError> {
        let file =
            File::open(path).map_err(|e| InputError::file(path, format!("cannot open: {e}")))?;
        let mut buffered = BufReader::with_capacity(1 << 16, file);
        skip_bom(&mut buffered).map_err(|e| InputError::file(path, format!("cannot read: {e}")))?;
        let head = buffered.buffer();
        if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
            // Text all the same (Excel's "Unicode text"), but two bytes a character.
            return Err(InputError::file(
                path,
                "the file is UTF-16 text: save it as UTF-8 (or a Windows code page) CSV",
            ));
        }
        if looks_binary(head) {
            return Err(InputError::file(path, "the file is binary, not CSV"));
        }
        // locustio 0.x's stats and failures files: quotes inside names and errors not doubled.
        let source: Box<dyn Read> = match super::legacy_quotes::legacy_text_cells(head) {
            Some(text_cells) => {
                let mut bytes = Vec::new();
                buffered
                    .read_to_end(&mut bytes)
                    .map_err(|e| InputError::file(path, format!("cannot read: {e}")))?;
                let fixed = super::legacy_quotes::repair(&bytes, text_cells)
                    .map_err(|(line, why)| InputError::at_line(path, line, why))?;
                Box::new(CrlfToLf::new(std::io::Cursor::new(fixed)))
            }
            None => Box::new(CrlfToLf::new(buffered)),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(source);
        let mut table = Table {
            path: path.to_path_buf(),
            reader,
            header: Vec::new(),
            code_page: None,
        };
        let mut first = StringRecord::new();
        let got = table.read_text_record(&mut first)?;
        if !got {
            return Err(InputError::file(
                path,
                "the file is empty (expected a CSV header)",
            ));
        }
        if first.iter().any(|h| h.contains('\0')) {
            return Err(InputError::at_line(path, 1, "the file is binary, not CSV"));
        }
        table.header = first.iter().map(|h| h.trim().to_string()).collect();
        Ok(table)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The note saying how text cells were decoded, when some were not UTF-8.
    pub fn code_page_note(&self) -> Option<String> {
        let file = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        self.code_page.map(|page| page.note(&file))
    }

    /// Index of the first header whose canonical form is one of `names`.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.contains(&canonical(h).as_str()))
    }

    /// Like [`Table::find`], but a missing column is an error naming what was expected.
    pub fn require(&self, what: &str, names: &[&str]) -> Result<usize, InputError> {
        self.find(names).ok_or_else(|| {
            InputError::at_line(
                &self.path,
                1,
                format!(
                    "no '{what}' column in the header ({})",
                    self.header.join(",")
                ),
            )
        })
    }

    /// Reads the next data row; `None` at the end. Rows whose width differs from the header are errors.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, InputError> {
        let mut record = StringRecord::new();
        loop {
            if !self.read_text_record(&mut record)? {
                return Ok(None);
            }
            if !is_blank(record.as_byte_record()) {
                break;
            }
        }
        let line = self.check_record(record.as_byte_record())?;
        Ok(Some(Row {
            path: &self.path,
            header: &self.header,
            line,
            record,
        }))
    }

    /// Like [`Table::next_row`], into `record`, reused from row to row (for files of millions of
    /// rows); returns the row's line. Fields that are not UTF-8 are decoded (`encoding`).
    pub fn next_record(&mut self, record: &mut ByteRecord) -> Result<Option<u64>, InputError> {
        loop {
            if !self.read_decoded(record)? {
                return Ok(None);
            }
            if !is_blank(record) {
                return self.check_record(record).map(Some);
            }
        }
    }

    /// Reads the next record and makes its fields UTF-8: a code page's text decoded, or the error
    /// for a cell that the file's code page cannot decode either.
    fn read_decoded(&mut self, record: &mut ByteRecord) -> Result<bool, InputError> {
        if !self
            .reader
            .read_byte_record(record)
            .map_err(|e| csv_error(&self.path, e))?
        {
            return Ok(false);
        }
        let line = record.position().map_or(0, |p| p.line());
        decode_record(record, &mut self.code_page, line).map_err(|e| {
            let page = self.code_page.expect("set by decode_record before it fails");
            InputError::at_line(
                &self.path,
                line,
                format!(
                    "field {} is neither UTF-8 nor {}, which line {} was decoded as (does the file mix encodings?)",
                    e.field + 1,
                    page.encoding.name(),
                    page.decided_on_line
                ),
            )
        })?;
        Ok(true)
    }

    /// A data row's line, or why it is refused: a width other than the header's, a cell over 64 KiB.
    fn check_record(&self, record: &ByteRecord) -> Result<u64, InputError> {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != self.header.len() {
            return Err(InputError::at_line(
                &self.path,
                line,
                format!(
                    "row has {} fields but the header has {} (truncated or ragged row)",
                    record.len(),
                    self.header.len()
                ),
            ));
        }
        if let Some(i) = record.iter().position(|c| c.len() > MAX_CELL_BYTES) {
            return Err(InputError::at_cell(
                &self.path,
                line,
                i + 1,
                &self.header[i],
                format!("cell is longer than {MAX_CELL_BYTES} bytes"),
            ));
        }
        Ok(line)
    }

    fn read_text_record(&mut self, record: &mut StringRecord) -> Result<bool, InputError> {
        let mut bytes = std::mem::take(record).into_byte_record();
        let got = self.read_decoded(&mut bytes)?;
        let line = bytes.position().map_or(0, |p| p.line());
        // Unreachable: `read_decoded` made every field UTF-8.
        *record = StringRecord::from_byte_record(bytes).map_err(|e| {
            let field = e.utf8_error().field() + 1;
            InputError::at_line(&self.path, line, format!("field {field} is not text"))
        })?;
        Ok(got)
    }
}

/// Turns `\r\n` (and `\r\r\n`, any carriage returns before a line feed) into `\n` while
/// reading. The csv crate counts a CRLF record's line one short (it sees the `\n` only when the next
/// record starts), and Locust writes CRLF: without this, every error in a real Locust file would name
/// the line above the bad one. CR CR LF is what two autocrlf passes make of a CRLF file.
struct CrlfToLf<R> {
    inner: R,
    /// Converted bytes not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// Carriage returns that ended the previous chunk, not yet known to precede a `\n`.
    pending_crs: usize,
}

impl<R: Read> CrlfToLf<R> {
    fn new(inner: R) -> Self {
        CrlfToLf {
            inner,
            out: Vec::with_capacity(1 << 16),
            pos: 0,
            pending_crs: 0,
        }
    }

    /// Reads the next chunk and converts it; `false` at the end of input.
    fn refill(&mut self) -> std::io::Result<bool> {
        let mut chunk = [0u8; 1 << 16];
        self.out.clear();
        self.pos = 0;
        let n = self.inner.read(&mut chunk)?;
        if n == 0 {
            let crs = std::mem::take(&mut self.pending_crs);
            self.out.resize(crs, b'\r');
            return Ok(crs > 0);
        }
        for &byte in &chunk[..n] {
            match byte {
                b'\r' => self.pending_crs += 1,
                b'\n' => {
                    self.pending_crs = 0;
                    self.out.push(b'\n');
                }
                _ => {
                    let crs = std::mem::take(&mut self.pending_crs);
                    self.out.resize(self.out.len() + crs, b'\r');
                    self.out.push(byte);
                }
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Whether the file's first bytes are binary rather than text in some encoding: a NUL byte, or
/// more than 1% control bytes (no code page writes them; a stray vertical tab or form feed is text).
fn looks_binary(head: &[u8]) -> bool {
    let control = |b: &&u8| matches!(**b, 0x01..=0x08 | 0x0E..=0x1F | 0x7F);
    head.contains(&0) || head.iter().filter(control).count() * 100 > head.len()
}

fn skip_bom(reader: &mut BufReader<File>) -> std::io::Result<()> {
    let buf = reader.fill_buf()?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(())
}

/// A blank line inside the file is not data (Locust never writes one, editors sometimes do): one cell
/// of whitespace.
fn is_blank(record: &ByteRecord) -> bool {
    record.len() == 1 && std::str::from_utf8(&record[0]).is_ok_and(|c| c.trim().is_empty())
}

fn csv_error(path: &Path, e: csv::Error) -> InputError {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    };
    match line {
        Some(line) => InputError::at_line(path, line, message),
        None => InputError::file(path, message),
    }
}

/// The form a header is compared in: lower case, single spaces, no leading `#`.
pub fn canonical(header: &str) -> String {
    let trimmed = header.trim().trim_start_matches('\u{feff}');
    let without_hash = trimmed.trim_start_matches('#').trim();
    without_hash
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One data row, with typed accessors that report the cell's position on failure.
pub struct Row<'a> {
    path: &'a Path,
    header: &'a [String],
    line: u64,
    record: StringRecord,
}

impl Row<'_> {
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn text(&self, column: usize) -> &str {
        &self.record[column]
    }

    pub fn opt_text(&self, column: Option<usize>) -> Option<&str> {
        column.map(|c| self.text(c))
    }

    /// An error about one cell of this row.
    pub fn cell_error(&self, column: usize, message: String) -> InputError {
        InputError::at_cell(
            self.path,
            self.line,
            column + 1,
            &self.header[column],
            message,
        )
    }

    /// A count: a non-negative integer.
    pub fn count(&self, column: usize) -> Result<u64, InputError> {
        parse_count(self.text(column)).map_err(|m| self.cell_error(column, m))
    }

    /// A measurement: a finite, non-negative number, or `None` for `N/A` and empty cells.
    pub fn measure(&self, column: usize) -> Result<Option<f64>, InputError> {
        parse_measure(self.text(column)).map_err(|m| self.cell_error(column, m))
    }

    pub fn opt_measure(&self, column: Option<usize>) -> Result<Option<f64>, InputError> {
        column.map_or(Ok(None), |c| self.measure(c))
    }

    /// Like [`Row::measure`] but `N/A` reads as zero: Locust writes rates that way before any request.
    pub fn rate(&self, column: usize) -> Result<f64, InputError> {
        Ok(self.measure(column)?.unwrap_or(0.0))
    }

    /// A Unix timestamp in whole seconds (a fractional part is accepted and dropped).
    pub fn timestamp(&self, column: usize) -> Result<i64, InputError> {
        parse_timestamp(self.text(column)).map_err(|m| self.cell_error(column, m))
    }
}

/// A count: a non-negative integer. The error is the message for the cell.
pub fn parse_count(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    if let Ok(value) = raw.parse::<u64>() {
        return Ok(value);
    }
    if raw.len() > 1 && raw.starts_with('-') && raw[1..].chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("a count cannot be negative, found '{raw}'"));
    }
    Err(format!("expected a whole number, found '{}'", shorten(raw)))
}

/// A measurement: a finite, non-negative number, or `None` for `N/A` and empty cells.
pub fn parse_measure(raw: &str) -> Result<Option<f64>, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("N/A") {
        return Ok(None);
    }
    let value: f64 = raw
        .parse()
        .map_err(|_| format!("expected a number or N/A, found '{}'", shorten(raw)))?;
    if !value.is_finite() {
        return Err(format!("expected a finite number, found '{raw}'"));
    }
    if value < 0.0 {
        return Err(format!("cannot be negative, found '{raw}'"));
    }
    Ok(Some(value))
}

/// A Unix timestamp in whole seconds between 1970 and 3000 (a fractional part is dropped).
pub fn parse_timestamp(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    let parsed = raw.parse::<i64>().ok().or_else(|| {
        raw.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| v as i64)
    });
    match parsed {
        Some(ts) if (0..=32_503_680_000).contains(&ts) => Ok(ts),
        _ => Err(format!(
            "expected a Unix timestamp, found '{}'",
            shorten(raw)
        )),
    }
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        text.to_string()
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::{canonical, CrlfToLf};
    use std::io::Read;

    /// A reader that hands out one byte at a time, to split every CRLF across reads.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn crlf_becomes_lf_across_read_boundaries() {
        let input = b"a,b\r\n1,2\r\r\n\"x\ry\"\r\nz\r\r\rend\r\r";
        for chunked in [false, true] {
            let mut out = Vec::new();
            if chunked {
                CrlfToLf::new(Trickle(input)).read_to_end(&mut out).unwrap();
            } else {
                CrlfToLf::new(&input[..]).read_to_end(&mut out).unwrap();
            }
            assert_eq!(out, b"a,b\n1,2\n\"x\ry\"\nz\r\r\rend\r\r");
        }
    }

    #[test]
    fn canonical_folds_case_hash_and_spaces() {
        assert_eq!(canonical("# requests"), "requests");
        assert_eq!(canonical("Request  Count "), "request count");
        assert_eq!(canonical("\u{feff}Type"), "type");
        assert_eq!(canonical("99.9%"), "99.9%");
    }
}
