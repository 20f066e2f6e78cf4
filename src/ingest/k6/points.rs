//! k6's per-sample outputs. `--out csv`: a header (`metric_name,timestamp,metric_value,` then one
//! column per system tag, `extra_tags` and, from k6 0.42, `metadata`), one row per sample.
//! `--out json`: one object a line, `{"type":"Metric",…}` when a metric is first seen (with its
//! thresholds) and `{"type":"Point","data":{"time","value","tags"},"metric":…}` per sample.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{notes, Collector, Tags};
use crate::ingest::error::InputError;
use crate::ingest::input::read_error;
use crate::ingest::samples::Parsed;
use crate::model::{Dialect, RunInfo};

/// Unix time in milliseconds from k6's CSV `timestamp`: whole seconds by default, or milli-, micro-
/// or nanoseconds (`K6_CSV_TIME_FORMAT`), told apart by size; or RFC 3339.
fn csv_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(match n.unsigned_abs() {
            0..100_000_000_000 => n * 1000,
            100_000_000_000..100_000_000_000_000 => n,
            100_000_000_000_000..100_000_000_000_000_000 => n / 1000,
            _ => n / 1_000_000,
        });
    }
    if let Ok(f) = text.parse::<f64>() {
        return f.is_finite().then_some((f * 1000.0) as i64);
    }
    rfc3339(text)
}

fn rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

struct CsvTags<'a> {
    columns: &'a HashMap<String, usize>,
    record: &'a csv::StringRecord,
    extra: Vec<(&'a str, &'a str)>,
}

impl Tags for CsvTags<'_> {
    fn tag(&self, name: &str) -> Option<&str> {
        match self.columns.get(name) {
            Some(&i) => self.record.get(i),
            None => self.extra.iter().find(|(k, _)| *k == name).map(|(_, v)| *v),
        }
    }
}

/// Reads k6's `--out csv` from `reader` (`path` names it in errors).
pub fn read_csv(path: &Path, reader: Box<dyn BufRead>, gzip: bool) -> Result<Parsed, InputError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let read = |csv: &mut csv::Reader<Box<dyn BufRead>>,
                record: &mut csv::StringRecord|
     -> Result<bool, InputError> {
        csv.read_record(record)
            .map_err(|e| csv_error(path, gzip, &e))
    };
    if !read(&mut csv, &mut record)? {
        return Err(InputError::file(path, "the file is empty"));
    }
    let header: Vec<String> = record
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), i))
        .collect();
    let need = |name: &str| {
        columns.get(name).copied().ok_or_else(|| {
            InputError::at_line(path, 1, format!("k6 CSV header without a '{name}' column"))
        })
    };
    let (metric_i, time_i, value_i) = (
        need("metric_name")?,
        need("timestamp")?,
        need("metric_value")?,
    );
    let extra_i = columns.get("extra_tags").copied();
    let mut collector = Collector::new();
    while read(&mut csv, &mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            return Err(InputError::at_line(
                path,
                line,
                format!(
                    "{} fields where the header has {} (a row cut short?)",
                    record.len(),
                    header.len()
                ),
            ));
        }
        let cell = |i: usize| record.get(i).unwrap_or("");
        let time_ms = csv_time(cell(time_i)).ok_or_else(|| {
            InputError::at_cell(
                path,
                line,
                time_i + 1,
                "timestamp",
                format!("'{}' is not a time", cell(time_i)),
            )
        })?;
        let value = cell(value_i)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                InputError::at_cell(
                    path,
                    line,
                    value_i + 1,
                    "metric_value",
                    format!("'{}' is not a number", cell(value_i)),
                )
            })?;
        let extra = extra_i
            .map(|i| {
                cell(i)
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .collect()
            })
            .unwrap_or_default();
        let tags = CsvTags {
            columns: &columns,
            record: &record,
            extra,
        };
        collector
            .point(cell(metric_i), time_ms, value, &tags)
            .map_err(|why| InputError::at_line(path, line, why))?;
    }
    finish(path, collector, "k6 --out csv")
}

fn csv_error(path: &Path, gzip: bool, e: &csv::Error) -> InputError {
    match e.kind() {
        csv::ErrorKind::Io(io) => read_error(path, gzip, io),
        _ => {
            let line = e.position().map_or(0, |p| p.line());
            InputError::at_line(path, line, format!("not valid CSV: {e}"))
        }
    }
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    metric: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(borrow, default)]
    tags: Option<HashMap<Cow<'a, str>, Cow<'a, str>>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    thresholds: Option<Vec<Cow<'a, str>>>,
}

struct JsonTags<'a>(Option<&'a HashMap<Cow<'a, str>, Cow<'a, str>>>);

impl Tags for JsonTags<'_> {
    fn tag(&self, name: &str) -> Option<&str> {
        self.0.and_then(|t| t.get(name)).map(|v| v.as_ref())
    }
}

/// Reads k6's `--out json` from `reader`.
pub fn read_json(
    path: &Path,
    mut reader: Box<dyn BufRead>,
    gzip: bool,
) -> Result<Parsed, InputError> {
    let mut collector = Collector::new();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_error(path, gzip, &e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t,
            Err(e) => {
                return Err(InputError {
                    line: Some(line_no),
                    column: Some(e.valid_up_to() + 1),
                    ..InputError::file(path, "not UTF-8 text (a binary or damaged file?)")
                })
            }
        };
        let text = text.trim_start_matches('\u{feff}').trim_end();
        if text.is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(text).map_err(|e| {
            let why = if e.is_eof() {
                "the line ends before its JSON object does (a file cut short?)".to_string()
            } else {
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                format!("not a k6 --out json line: {msg}")
            };
            InputError {
                line: Some(line_no),
                column: Some(e.column().max(1)),
                ..InputError::file(path, why)
            }
        })?;
        let Some(data) = parsed.data.as_ref() else {
            continue;
        };
        match parsed.kind.as_ref() {
            "Point" => {
                let metric = parsed.metric.as_deref().unwrap_or("");
                let place = |what: &str| InputError {
                    line: Some(line_no),
                    column: Some(1),
                    ..InputError::file(path, format!("$.data.{what}"))
                };
                let time = data.time.as_deref().ok_or_else(|| {
                    let mut e = place("time");
                    e.message.push_str(": a Point without a time");
                    e
                })?;
                let time_ms = rfc3339(time).ok_or_else(|| {
                    let mut e = place("time");
                    e.message
                        .push_str(&format!(": '{time}' is not an RFC 3339 time"));
                    e
                })?;
                let value = data.value.filter(|v| v.is_finite()).ok_or_else(|| {
                    let mut e = place("value");
                    e.message.push_str(": a Point without a numeric value");
                    e
                })?;
                collector
                    .point(metric, time_ms, value, &JsonTags(data.tags.as_ref()))
                    .map_err(|why| InputError::at_line(path, line_no, why))?;
            }
            "Metric" => {
                let name = data
                    .name
                    .as_deref()
                    .or(parsed.metric.as_deref())
                    .unwrap_or("");
                for expression in data.thresholds.iter().flatten() {
                    collector.threshold(name, expression);
                }
            }
            _ => {}
        }
    }
    finish(path, collector, "k6 --out json")
}

fn finish(path: &Path, collector: Collector, what: &str) -> Result<Parsed, InputError> {
    let (samples, http_reqs, verdicts) = collector
        .finish()
        .map_err(|why| InputError::file(path, why))?;
    let mut notes = notes(samples.len(), http_reqs, &verdicts);
    notes.insert(0, format!("read as {what}"));
    Ok(Parsed {
        samples,
        dialect: Dialect::K6,
        notes,
        info: RunInfo {
            tool: verdicts,
            ..RunInfo::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_times_in_any_unit() {
        assert_eq!(csv_time("1619922931"), Some(1_619_922_931_000));
        assert_eq!(csv_time("1619922931123"), Some(1_619_922_931_123));
        assert_eq!(csv_time("1619922931123456"), Some(1_619_922_931_123));
        assert_eq!(csv_time("1619922931123456789"), Some(1_619_922_931_123));
        assert_eq!(
            csv_time("2021-05-01T23:04:28.866972-04:00"),
            Some(1_619_924_668_866)
        );
        assert_eq!(csv_time("soon"), None);
    }
}
