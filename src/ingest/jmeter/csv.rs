//! JMeter's CSV results (`CSVSaveService`): columns found by the header's names, or, in a file
//! without a header (`jmeter.save.saveservice.print_field_names=false`, JMeter 2.x's default),
//! JMeter's default column set told by the number of fields. Any delimiter JMeter can be told to use.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use super::{parse_date, Fields, Rows};
use crate::ingest::error::InputError;
use crate::ingest::input::read_error;
use crate::ingest::samples::Parsed;

/// JMeter 2.13 – 3.0's default columns (`jmeter.properties` of 2.13: no failure message, URL,
/// idle or connect time, and no sent bytes before 3.1).
const DEFAULT_2_13: [&str; 12] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "bytes",
    "grpThreads",
    "allThreads",
    "Latency",
];

/// JMeter 3.1 and later's default columns.
const DEFAULT_3_1: [&str; 17] = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
];

/// The parsed cells of one row a column reads, or the error naming it.
struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    fn new(names: Vec<String>) -> Self {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Columns { names, index }
    }
    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        b',' => "comma".to_string(),
        b';' => "semicolon".to_string(),
        other => format!("'{}'", other as char),
    }
}

/// Whether a formatted timestamp names its zone (`+0100`, `-05:00`, `Z` after the time).
fn has_zone(text: &str) -> bool {
    text.get(19..)
        .is_some_and(|rest| rest.contains(['+', '-', 'Z']))
}

pub fn read_csv(
    path: &Path,
    reader: Box<dyn BufRead>,
    gzip: bool,
    delimiter: u8,
    header: bool,
) -> Result<Vec<Parsed>, InputError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut read = |record: &mut csv::ByteRecord| -> Result<bool, InputError> {
        csv.read_byte_record(record).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) => read_error(path, gzip, io),
            _ => InputError::at_line(
                path,
                e.position().map_or(0, |p| p.line()),
                format!("not valid CSV: {e}"),
            ),
        })
    };
    let text = |cell: &[u8]| String::from_utf8_lossy(cell).into_owned();
    if !read(&mut record)? {
        return Err(InputError::file(path, "the file is empty"));
    }
    let mut rows = Rows {
        csv: true,
        ..Rows::default()
    };
    let what;
    let columns;
    // A header-less file's first line is a sample: keep it for below.
    let mut pending: Option<csv::ByteRecord> = None;
    if header {
        let names: Vec<String> = record
            .iter()
            .map(|h| {
                text(h)
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
            .collect();
        columns = Columns::new(names);
        what = format!(
            "read as a JMeter JTL (CSV, {} columns by their header, {}-delimited)",
            columns.names.len(),
            delimiter_name(delimiter)
        );
    } else {
        let names: &[&str] = match record.len() {
            12 => &DEFAULT_2_13,
            17 => &DEFAULT_3_1,
            n => {
                return Err(InputError::at_line(
                    path,
                    1,
                    format!(
                        "a JMeter JTL without a header, of {n} fields a line: JMeter's default columns are 12 (JMeter 2.13 to 3.0) or 17 (3.1 and later), so which field is which cannot be told; save the results with jmeter.save.saveservice.print_field_names=true (the default since 3.0), or add the header line JMeter's save configuration gives"
                    ),
                ))
            }
        };
        columns = Columns::new(names.iter().map(|s| s.to_string()).collect());
        what = format!(
            "read as a JMeter JTL (CSV without a header: JMeter {}'s default {} columns, {}-delimited)",
            if names.len() == 12 { "2.13–3.0" } else { "3.1+" },
            names.len(),
            delimiter_name(delimiter)
        );
        pending = Some(record.clone());
    }
    let elapsed_i = columns
        .get("elapsed")
        .ok_or_else(|| InputError::at_line(path, 1, "a JTL header without an 'elapsed' column"))?;
    let label_i = columns
        .get("label")
        .ok_or_else(|| InputError::at_line(path, 1, "a JTL header without a 'label' column"))?;
    let time_i = columns.get("timeStamp");
    let success_i = columns.get("success");
    let code_i = columns.get("responseCode");
    let message_i = columns.get("responseMessage");
    let failure_i = columns.get("failureMessage");
    let thread_i = columns.get("threadName");
    let users_i = columns.get("allThreads");
    let bytes_i = columns.get("bytes");
    if time_i.is_none() {
        rows.notes
            .push("the file has no timeStamp column: no history, no request rate".to_string());
    }
    // Per thread: the last top-level sampler row (label, start, end), whose sub-results follow it.
    let mut parents: HashMap<String, (String, i64, i64)> = HashMap::new();
    let width = columns.names.len();
    let mut line = 1u64;
    let mut cut_last: Option<(u64, usize)> = None;
    loop {
        let record = match pending.take() {
            Some(r) => r,
            None => {
                if !read(&mut record)? {
                    break;
                }
                line = record.position().map_or(line + 1, |p| p.line());
                record.clone()
            }
        };
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue;
        }
        if header
            && record.len() == width
            && (0..width).all(|i| text(&record[i]).trim() == columns.names[i])
        {
            // The header again: a file that was appended to with its header.
            continue;
        }
        if record.len() != width {
            // Only a last line without its line end may be cut short (a copy of a file being
            // written): left out, and said. Anywhere else it is damage.
            cut_last = Some((line, record.len()));
            if read(&mut csv::ByteRecord::new())? {
                return Err(InputError::at_line(
                    path,
                    line,
                    format!(
                        "{} fields where the {} has {width}",
                        record.len(),
                        if header { "header" } else { "first line" }
                    ),
                ));
            }
            break;
        }
        let cell = |i: usize| text(&record[i]);
        let at =
            |i: usize, why: String| InputError::at_cell(path, line, i + 1, &columns.names[i], why);
        let time_ms = match time_i {
            None => None,
            Some(i) => {
                let raw = cell(i);
                let raw = raw.trim();
                if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
                    Some(
                        raw.parse::<i64>()
                            .ok()
                            .filter(|&t| t <= super::LATEST_MS)
                            .ok_or_else(|| at(i, format!("'{raw}' is not a time a test ran at")))?,
                    )
                } else {
                    let t = parse_date(raw).ok_or_else(|| {
                        at(
                            i,
                            format!(
                                "'{raw}' is neither a time in milliseconds nor a date loadgate reads (year first: yyyy/MM/dd HH:mm:ss[.SSS])"
                            ),
                        )
                    })?;
                    if !has_zone(raw) {
                        rows.dates_without_zone = true;
                    }
                    Some(t)
                }
            }
        };
        let elapsed_raw = cell(elapsed_i);
        let elapsed_ms = elapsed_raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                at(
                    elapsed_i,
                    format!("'{}' is not a time in milliseconds", elapsed_raw.trim()),
                )
            })?;
        let code = code_i.map(cell).unwrap_or_default();
        let success = match success_i {
            Some(i) => match cell(i).trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                other => return Err(at(i, format!("'{other}' is not true or false"))),
            },
            // No success column: HTTP's own rule.
            None => code
                .trim()
                .parse::<u16>()
                .is_ok_and(|c| (200..400).contains(&c)),
        };
        let number = |i: Option<usize>| -> Result<Option<f64>, InputError> {
            match i {
                None => Ok(None),
                Some(i) => {
                    let raw = cell(i);
                    let raw = raw.trim();
                    if raw.is_empty() {
                        return Ok(None);
                    }
                    raw.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .map(Some)
                        .ok_or_else(|| at(i, format!("'{raw}' is not a number")))
                }
            }
        };
        let users = number(users_i)?.map(|u| u as u64);
        let bytes = number(bytes_i)?;
        let label = cell(label_i);
        let thread = thread_i.map(cell).unwrap_or_default();
        let message = message_i.map(cell).unwrap_or_default();
        // A sub-result: right after its parent in the same thread, named parent-N (-M …), and
        // started within the parent's time.
        let start = time_ms.unwrap_or(0);
        let is_transaction = super::transaction_size(&message).is_some();
        let parent = parents.get(&thread);
        let sub_result = !is_transaction
            && parent.is_some_and(|(parent, from, to)| {
                label.strip_prefix(parent.as_str()).is_some_and(|rest| {
                    !rest.is_empty()
                        && rest
                            .split('-')
                            .skip(1)
                            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                        && rest.starts_with('-')
                }) && start >= *from
                    && start <= *to
            });
        if sub_result {
            rows.sub_results += 1;
            continue;
        }
        if is_transaction {
            parents.remove(&thread);
        } else {
            parents.insert(
                thread.clone(),
                (
                    label.clone(),
                    start,
                    start.saturating_add(elapsed_ms as i64),
                ),
            );
        }
        rows.push(Fields {
            time_ms,
            elapsed_ms,
            label: &label,
            success,
            code: &code,
            message: &message,
            failure_message: &failure_i.map(cell).unwrap_or_default(),
            users,
            bytes,
        });
    }
    if let Some((line, fields)) = cut_last {
        rows.notes.push(format!(
            "the last line ({line}) has {fields} of {width} fields: cut short (a copy of a file still being written?), and left out"
        ));
    }
    rows.into_parsed(path, &what)
}
