//! Locust's HTML report (`--html`). Locust >= 2.22 (and 2.19-2.21 with `--modern-ui`) writes a React
//! page whose data is one JSON object, `window.templateArgs = {...}`; that object is read here.
//! The older server-rendered page (tables only; Locust < 2.22, or `--legacy-ui` up to 2.27) is refused
//! with a message saying what to run instead.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::source;
use super::stream::{self, Each, Stash};
use super::walk::{unescape_html, At, Ctx};
use crate::ingest::error::InputError;
use crate::ingest::failure_set::{FailureSet, MAX_MESSAGES, MAX_MESSAGE_BYTES};
use crate::ingest::scope::{too_many_endpoints, MAX_ENDPOINTS};
use crate::model::{
    Dialect, EndpointKey, EndpointStats, ExceptionRecord, FailureRecord, History, HistoryPoint,
    Percentiles, Run, RunInfo, Series,
};

/// `response_time_statistics` keys → index in [`crate::model::PERCENTILE_LEVELS`]. 0.6 and 0.7 have
/// no place there and are not kept.
const REPORT_PERCENTILES: [(&str, usize); 6] = [
    ("0.5", 0),
    ("0.8", 3),
    ("0.9", 4),
    ("0.95", 5),
    ("0.99", 7),
    ("1.0", 10),
];

fn legacy_refusal(path: &Path, legacy: bool) -> Option<InputError> {
    legacy.then(|| {
        InputError::file(
            path,
            "an HTML report in Locust's old table layout (Locust 2.21 and older, or --legacy-ui up to 2.27; the page does not name its version): its figures are rounded for display and its percentiles are 50/60/70/80/90/95/99/100 only, so loadgate does not read it. Run Locust with --csv PREFIX (every version) or --json-file NAME (2.37.10 and later) beside --html, and check that instead",
        )
    })
}

/// Unix seconds of `2026-12-01T20:52:04Z` (2.29 and later) or `2026-12-01 20:52:04` (UTC, older).
fn datetime(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp())
}

fn iso(seconds: f64) -> Option<String> {
    use chrono::{Datelike, Timelike};
    // Locust's CSV: `datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")`. Written
    // field by field: a report of millions of failure rows formats two times a row.
    let t = chrono::DateTime::from_timestamp(seconds.trunc() as i64, 0)?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// A history value: a bare number (Locust < 2.31.3) or a `[time, value]` pair (2.31.3 and later).
fn series_value(at: &At) -> Result<f64, InputError> {
    match at.value {
        Value::Array(_) => {
            let items = at.array()?;
            match items.get(1) {
                Some(v) if items.len() == 2 => v.number(),
                _ => Err(at.error("expected a number or a [time, value] pair")),
            }
        }
        _ => at.number(),
    }
}

struct Reader<'a> {
    /// Locust 2.18-2.37.12 HTML-escaped names, methods and error texts (they carry `safe_name`).
    escaped: bool,
    root: At<'a>,
}

impl<'a> Reader<'a> {
    fn text(&self, s: &str) -> String {
        if self.escaped {
            unescape_html(s)
        } else {
            s.to_string()
        }
    }

    fn key(&self, at: &At) -> Result<EndpointKey, InputError> {
        let method = at.opt_str("method")?.unwrap_or("");
        let name = at.get("name")?.str()?;
        Ok(EndpointKey::new(self.text(method), self.text(name)))
    }

    fn run_seconds(&self) -> Result<Option<f64>, InputError> {
        let time = |key: &str| -> Result<Option<i64>, InputError> {
            match self.root.opt(key)? {
                Some(at) => {
                    let s = at.str()?;
                    datetime(s)
                        .map(Some)
                        .ok_or_else(|| at.error(format!("not a date and time: {}", Value::from(s))))
                }
                None => Ok(None),
            }
        };
        Ok(match (time("start_time")?, time("end_time")?) {
            (Some(s), Some(e)) if e > s => Some((e - s) as f64),
            _ => None,
        })
    }

    fn endpoints(&self) -> Result<(Vec<EndpointStats>, EndpointStats), InputError> {
        let requests = self.root.get("requests_statistics")?.array()?;
        if requests.len() > MAX_ENDPOINTS + 1 {
            return Err(self
                .root
                .get("requests_statistics")?
                .error(too_many_endpoints()));
        }
        let mut percentiles: HashMap<EndpointKey, At> = HashMap::new();
        if let Some(rt) = self.root.opt("response_time_statistics")? {
            for at in rt.array()? {
                percentiles.insert(self.key(&at)?, at);
            }
        }
        let seconds = self.run_seconds()?;
        let mut endpoints = Vec::with_capacity(requests.len());
        let mut aggregated = None;
        let mut seen = HashSet::new();
        for at in &requests {
            let key = self.key(at)?;
            if !seen.insert(key.clone()) {
                return Err(at.error(format!("a second entry for {key}")));
            }
            let stats = self.endpoint(at, key.clone(), percentiles.get(&key), seconds)?;
            if key.method.is_empty() && key.name == "Aggregated" {
                aggregated = Some(stats);
            } else {
                endpoints.push(stats);
            }
        }
        let aggregated = aggregated.ok_or_else(|| {
            self.root
                .get("requests_statistics")
                .map(|a| {
                    a.error("no Aggregated entry (Locust writes it last): the report is incomplete")
                })
                .unwrap_or_else(|e| e)
        })?;
        Ok((endpoints, aggregated))
    }

    fn endpoint(
        &self,
        at: &At,
        key: EndpointKey,
        rt: Option<&At>,
        seconds: Option<f64>,
    ) -> Result<EndpointStats, InputError> {
        let requests = at.get("num_requests")?.count()?;
        let failures = at.get("num_failures")?.count()?;
        // `total_rps` is the CSV's Requests/s (2.31 and later); before, it is requests over the
        // report's start-to-end span, whole seconds.
        let per_s = |n: u64| seconds.map_or(0.0, |s| n as f64 / s);
        let rps = at
            .opt_number("total_rps")?
            .unwrap_or_else(|| per_s(requests));
        let failures_per_s = match at.opt_number("total_fail_per_sec")? {
            Some(v) => v,
            None => per_s(failures),
        };
        let mut p = Percentiles::default();
        if requests > 0 {
            if let Some(rt) = rt {
                for (label, index) in REPORT_PERCENTILES {
                    p.0[index] = rt.opt_number(label)?;
                }
            }
            let fallbacks = [
                ("response_time_percentile_0.95", 5),
                ("response_time_percentile_0.99", 7),
                ("ninetieth_response_time", 4),
                ("ninety_ninth_response_time", 7),
            ];
            for (label, index) in fallbacks {
                if p.0[index].is_none() {
                    p.0[index] = at.opt_number(label)?;
                }
            }
        }
        Ok(EndpointStats {
            key,
            requests,
            failures,
            rps,
            failures_per_s: Some(failures_per_s),
            avg_ms: at.opt_number("avg_response_time")?,
            min_ms: at.opt_number("min_response_time")?,
            max_ms: at.opt_number("max_response_time")?,
            median_ms: at.opt_number("median_response_time")?,
            avg_content_size: at.opt_number("avg_content_length")?,
            percentiles: p,
            custom_percentiles: Vec::new(),
            histogram: None,
        }
        .without_empty_placeholders())
    }

    /// The report's chart data: the aggregate only, one entry every 5 s (and one at the end from
    /// 2.40-ish on). See docs/input-formats.md for what each field means.
    /// The report's chart series as the aggregate's history. The report keeps no running totals,
    /// only each row's req/s and failures/s: the totals are those rates integrated over time and
    /// scaled so that the last row holds the report's `requests` and `failures` (see
    /// [`running_totals`]).
    fn history(&self, requests: u64, failures: u64) -> Result<Option<History>, InputError> {
        let Some(list) = self.root.opt("history")? else {
            return Ok(None);
        };
        let start = self
            .root
            .opt_str("start_time")?
            .and_then(datetime)
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.naive_utc());
        let mut day: Option<NaiveDate> = start.map(|s| s.date());
        let mut last_time: Option<NaiveTime> = start.map(|s| s.time());
        let mut rows: Vec<Row> = Vec::new();
        for at in list.array()? {
            let time_at = at.get("time")?;
            let time = time_at.str()?;
            let timestamp = match datetime(time) {
                Some(t) => t,
                None => {
                    // Locust < 2.29: "HH:MM:SS" (UTC), on the report's start date; past midnight
                    // the clock goes back, and the date moves on.
                    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
                        .map_err(|_| time_at.error(format!("not a time: {}", Value::from(time))))?;
                    let Some(d) = day else {
                        return Err(time_at
                            .error("a time of day, but the report has no start_time to date it"));
                    };
                    let d = if last_time.is_some_and(|l| t < l) {
                        d.succ_opt().unwrap_or(d)
                    } else {
                        d
                    };
                    day = Some(d);
                    last_time = Some(t);
                    d.and_time(t).and_utc().timestamp()
                }
            };
            let value = |keys: &[&str]| -> Result<Option<f64>, InputError> {
                for key in keys {
                    if let Some(v) = at.opt(key)? {
                        return series_value(&v).map(Some);
                    }
                }
                Ok(None)
            };
            let users = value(&["user_count"])?.unwrap_or(0.0);
            let p50 = value(&["response_time_percentile_0.5", "response_time_percentile_1"])?;
            let p95 = value(&[
                "response_time_percentile_0.95",
                "response_time_percentile_2",
            ])?;
            let p99 = value(&["response_time_percentile_0.99"])?;
            let avg = value(&["total_avg_response_time"])?;
            let rps = value(&["current_rps"])?.unwrap_or(0.0);
            let fps = value(&["current_fail_per_sec"])?.unwrap_or(0.0);
            rows.push((timestamp, users as u64, [p50, p95, p99], avg, rps, fps));
        }
        rows.sort_by_key(|r| r.0);
        let times: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let rates = |pick: fn(&Row) -> f64| rows.iter().map(pick).collect::<Vec<f64>>();
        let totals = running_totals(&times, &rates(|r| r.4), requests);
        let failed = running_totals(&times, &rates(|r| r.5), failures);
        let points: Vec<HistoryPoint> = rows
            .iter()
            .zip(totals.iter().zip(&failed))
            .map(|(r, (&total, &fails))| {
                HistoryPoint::new(r.0, r.1, r.2, total, fails.min(total), r.3)
            })
            .collect();
        Ok(Some(History {
            series: vec![Series {
                key: EndpointKey::new("", "Aggregated"),
                aggregated: true,
                points,
            }],
        }))
    }
}

impl Reader<'_> {
    /// The host and locustfile the report names (empty strings are no name).
    fn info(&self) -> Result<RunInfo, InputError> {
        let named = |key: &str| -> Result<Option<String>, InputError> {
            Ok(self
                .root
                .opt_str(key)?
                .map(|s| self.text(s))
                .filter(|s| !s.trim().is_empty()))
        };
        Ok(RunInfo {
            host: named("host")?,
            locustfile: named("locustfile")?,
            ..RunInfo::default()
        })
    }
}

/// [`failure_of`] for a row of the usual shape, without a path for each member (the path is only
/// needed for an error, and a report can hold millions of rows); `None` for anything else, which
/// [`failure_of`] then reads or refuses.
fn usual_failure(value: &Value) -> Option<FailureRecord> {
    let row = value.as_object()?;
    let text = |key: &str| match row.get(key) {
        None | Some(Value::Null) => Some(""),
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => None,
    };
    let seen = |key: &str| match row.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(v) => v.as_f64().filter(|v| v.is_finite() && *v >= 0.0).map(iso),
    };
    let name = row.get("name")?.as_str()?;
    let message = text("error")?.to_string();
    Some(FailureRecord {
        key: EndpointKey::new(text("method")?, name),
        status_code: crate::ingest::status::status_in_message(&message),
        message,
        occurrences: row.get("occurrences")?.as_u64()?,
        first_seen: seen("first_seen")?,
        last_seen: seen("last_seen")?,
    })
}

/// One `failures_statistics` row as written (still HTML-escaped in some versions, undone when
/// the set is finished).
fn failure_of(at: &At) -> Result<FailureRecord, InputError> {
    let seen = |at: Option<At>| -> Result<Option<String>, InputError> {
        Ok(match at {
            None => None,
            Some(at) => match at.value {
                Value::String(s) => Some(s.clone()),
                _ => iso(at.number()?),
            },
        })
    };
    let message = at.opt_str("error")?.unwrap_or("").to_string();
    Ok(FailureRecord {
        key: EndpointKey::new(at.opt_str("method")?.unwrap_or(""), at.get("name")?.str()?),
        status_code: crate::ingest::status::status_in_message(&message),
        message,
        occurrences: at.get("occurrences")?.count()?,
        first_seen: seen(at.opt("first_seen")?)?,
        last_seen: seen(at.opt("last_seen")?)?,
    })
}

/// `s`, cut at [`MAX_MESSAGE_BYTES`] (a report's strings have no bound).
fn cut(s: &str) -> String {
    let mut end = s.len().min(MAX_MESSAGE_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < s.len() { "…" } else { "" };
    format!("{}{more}", &s[..end])
}

/// One `exceptions_statistics` row (never escaped, in any version).
fn exception_of(at: &At) -> Result<ExceptionRecord, InputError> {
    let nodes = match at.opt("nodes")? {
        None => String::new(),
        Some(n) => match n.value {
            Value::Array(_) => n
                .array()?
                .iter()
                .map(|x| x.str().map(str::to_string))
                .collect::<Result<Vec<_>, _>>()?
                .join(", "),
            _ => n.str()?.to_string(),
        },
    };
    Ok(ExceptionRecord {
        count: at.get("count")?.count()?,
        message: cut(at.opt_str("msg")?.unwrap_or("")),
        traceback: cut(at.opt_str("traceback")?.unwrap_or("")),
        nodes: cut(&nodes),
    })
}

/// The exceptions kept as read, up to [`MAX_MESSAGES`]; the rest summed in one record.
#[derive(Default)]
struct Exceptions {
    records: Vec<ExceptionRecord>,
    more: u64,
    more_count: u64,
}

impl Exceptions {
    fn add(&mut self, record: ExceptionRecord) {
        if self.records.len() < MAX_MESSAGES {
            self.records.push(record);
        } else {
            self.more += 1;
            self.more_count = self.more_count.saturating_add(record.count);
        }
    }

    fn finish(mut self) -> (Vec<ExceptionRecord>, Option<String>) {
        if self.more == 0 {
            return (self.records, None);
        }
        self.records.push(ExceptionRecord {
            count: self.more_count,
            message: format!("other exceptions: {} more, not kept", self.more),
            traceback: String::new(),
            nodes: String::new(),
        });
        let note = format!(
            "the HTML report holds more than {MAX_MESSAGES} exceptions: the first {MAX_MESSAGES} are kept as written, the other {} ({} occurrences) are counted as \"other exceptions\"",
            self.more, self.more_count
        );
        (self.records, Some(note))
    }
}

/// The members of `templateArgs` the reader uses, read from the stream: failures and exceptions
/// go to their sets a row at a time, endpoint lists are refused past [`MAX_ENDPOINTS`], members
/// the reader has no use for (the task list, the profile, the UI's settings) are skipped unread.
struct Template<'s> {
    path: &'s Path,
    stash: &'s Stash,
    failures: &'s mut FailureSet,
    exceptions: &'s mut Exceptions,
}

impl<'de> DeserializeSeed<'de> for Template<'_> {
    type Value = Map<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Template<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = Ctx { file: self.path };
        let mut root = Map::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let what = format!("templateArgs.{key}");
            let known = matches!(
                key.as_str(),
                "failures_statistics"
                    | "exceptions_statistics"
                    | "requests_statistics"
                    | "response_time_statistics"
                    | "history"
                    | "start_time"
                    | "end_time"
                    | "host"
                    | "locustfile"
            );
            if known && !seen.insert(key.clone()) {
                let err =
                    InputError::file(self.path, format!("{what}: a second time in the report"));
                return Err(self.stash.fail(err));
            }
            match key.as_str() {
                "failures_statistics" => {
                    let failures = &mut *self.failures;
                    map.next_value_seed(Each {
                        file: self.path,
                        stash: self.stash,
                        what: &what,
                        each: |i, value: Value| {
                            let record = match usual_failure(&value) {
                                Some(record) => record,
                                None => {
                                    failure_of(&At::root(ctx, &value, &format!("{what}[{i}]")))?
                                }
                            };
                            failures.add(record);
                            Ok(())
                        },
                    })?;
                }
                "exceptions_statistics" => {
                    let exceptions = &mut *self.exceptions;
                    map.next_value_seed(Each {
                        file: self.path,
                        stash: self.stash,
                        what: &what,
                        each: |i, value: Value| {
                            let at = At::root(ctx, &value, &format!("{what}[{i}]"));
                            exceptions.add(exception_of(&at)?);
                            Ok(())
                        },
                    })?;
                }
                "requests_statistics" | "response_time_statistics" => {
                    let mut items = Vec::new();
                    let listed = map.next_value_seed(Each {
                        file: self.path,
                        stash: self.stash,
                        what: &what,
                        each: |i, value: Value| {
                            if i > MAX_ENDPOINTS {
                                return Err(InputError::file(
                                    self.path,
                                    format!("{what}: {}", too_many_endpoints()),
                                ));
                            }
                            items.push(value);
                            Ok(())
                        },
                    })?;
                    if listed {
                        root.insert(key, Value::Array(items));
                    }
                }
                _ if known => {
                    let value: Value = map.next_value()?;
                    root.insert(key, value);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(root)
    }
}

/// A chart row: time, users, P50/P95/P99, running average, req/s, failures/s.
type Row = (i64, u64, [Option<f64>; 3], Option<f64>, f64, f64);

/// Running totals from per-row rates: each row's rate times the seconds since the row before,
/// summed, then scaled so that the last total is `end_total` (what the report's tables count).
/// Without any rate the totals stay 0 until the last row, which holds `end_total`.
fn running_totals(times: &[i64], rates: &[f64], end_total: u64) -> Vec<u64> {
    let mut sums = Vec::with_capacity(times.len());
    let mut sum = 0.0;
    for i in 0..times.len() {
        if i > 0 {
            sum += rates[i].max(0.0) * (times[i] - times[i - 1]).max(0) as f64;
        }
        sums.push(sum);
    }
    let scale = if sum > 0.0 {
        end_total as f64 / sum
    } else {
        0.0
    };
    let mut totals: Vec<u64> = sums
        .iter()
        .map(|s| ((s * scale).round() as u64).min(end_total))
        .collect();
    if let Some(last) = totals.last_mut() {
        *last = end_total;
    }
    totals
}

pub fn read(path: &Path) -> Result<Run, InputError> {
    let found = match stream::find_assignment(path, stream::open(path)?)? {
        Ok(found) => found,
        Err(not) => {
            return Err(legacy_refusal(path, not.legacy).unwrap_or_else(|| {
                InputError::file(
                    path,
                    "not a Locust HTML report: no `window.templateArgs = {...}` in it (loadgate reads the --html report of Locust 2.22 and later)",
                )
            }))
        }
    };
    let stash = Stash::default();
    let mut failures = FailureSet::new();
    let mut exceptions = Exceptions::default();
    let mut de = serde_json::Deserializer::from_reader(found.reader);
    let template = Template {
        path,
        stash: &stash,
        failures: &mut failures,
        exceptions: &mut exceptions,
    };
    let base = (found.line, found.column);
    let map = template
        .deserialize(&mut de)
        .map_err(|e| stream::error_at(path, &stash, base, "templateArgs", &e))?;
    let value = Value::Object(map);
    let ctx = Ctx { file: path };
    let root = At::root(ctx, &value, "templateArgs");
    let escaped = root
        .get("requests_statistics")?
        .array()?
        .iter()
        .any(|e| e.has("safe_name"));
    let reader = Reader { escaped, root };
    let (endpoints, aggregated) = reader.endpoints()?;
    let history = reader.history(aggregated.requests, aggregated.failures)?;
    let estimated = history
        .as_ref()
        .is_some_and(|h| h.series.iter().any(|s| s.points.len() > 1));
    let mut notes: Vec<String> = Vec::new();
    if estimated {
        notes.push("the HTML report keeps no running totals: the history's are its req/s and failures/s integrated over time, scaled to its request and failure counts".to_string());
    }
    let (failures, capped) = failures.finish_with("the HTML report", |s| reader.text(s));
    let (exceptions, more) = exceptions.finish();
    notes.extend(capped);
    notes.extend(more);
    Ok(Run {
        files: source::files(path),
        dialect: Dialect::LocustHtml,
        endpoints,
        aggregated,
        failures,
        exceptions,
        history,
        notes,
        info: reader.info()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_totals_integrate_the_rates_and_end_on_the_reports_count() {
        // 10 req/s for 2 s, then 30 req/s for 2 s: a quarter of the requests by the second row.
        assert_eq!(
            running_totals(&[0, 2, 4], &[0.0, 10.0, 30.0], 800),
            [0, 200, 800]
        );
        // No rate at all: nothing to spread, the last row holds the count.
        assert_eq!(running_totals(&[0, 1, 2], &[0.0; 3], 5), [0, 0, 5]);
        // One row; a rate on the first row counts no interval; negative rates count as none.
        assert_eq!(running_totals(&[7], &[3.0], 9), [9]);
        assert_eq!(running_totals(&[0, 1, 2], &[99.0, -1.0, 1.0], 4), [0, 0, 4]);
        // Rounding never passes the count.
        let totals = running_totals(&[0, 1, 2, 3], &[0.0, 1.0, 1.0, 1.0], 2);
        assert!(
            totals.windows(2).all(|w| w[0] <= w[1]) && totals[3] == 2,
            "{totals:?}"
        );
    }

    #[test]
    fn the_assignment_is_found_past_mentions_in_the_ui_script() {
        let dir = tempfile::tempdir().unwrap();
        let find = |page: &[u8]| {
            let path = dir.path().join("r.html");
            std::fs::write(&path, page).unwrap();
            let file = stream::open(&path).unwrap();
            stream::find_assignment(&path, file)
                .unwrap()
                .map(|mut found| {
                    let mut rest = String::new();
                    std::io::Read::read_to_string(&mut found.reader, &mut rest).unwrap();
                    (found.line, found.column, rest)
                })
        };
        let page = "M=window.templateArgs?(k=window.templateArgs,C(k)):{};if(window.templateArgs==x){}\n<script>\n  window.templateArgs = {\"a\": 1}\n</script>";
        let (line, column, rest) = find(page.as_bytes()).ok().unwrap();
        assert_eq!((line, column), (3, 25));
        assert!(rest.starts_with("{\"a\""));
        assert!(find(b"window.templateArgs = [1]").is_err());
        // The assignment split over the scan's chunks, past a megabyte of script.
        let mut long = "x".repeat((1 << 20) - 14).into_bytes();
        long.extend_from_slice(b"templateArgs \n=\n {}");
        let (line, column, rest) = find(&long).ok().unwrap();
        assert_eq!((line, column, rest.as_str()), (3, 2, "{}"));
        // The word itself split by a read: its first bytes end one megabyte, the rest begin the next.
        let mut split = "x".repeat((1 << 20) - 5).into_bytes();
        split.extend_from_slice(b"templateArgs = {\"b\": 2}");
        let (_, column, rest) = find(&split).ok().unwrap();
        assert_eq!((column, rest.as_str()), ((1 << 20) - 5 + 16, "{\"b\": 2}"));
        // A legacy page is told by its marks, wherever they fall.
        let mut legacy = "y".repeat((1 << 20) - 5).into_bytes();
        legacy.extend_from_slice(b"<table class=\"stats\">");
        assert!(find(&legacy).err().unwrap().legacy);
    }

    #[test]
    fn report_times_in_both_spellings() {
        assert_eq!(datetime("2026-12-01T20:52:04Z"), Some(1_796_158_324));
        assert_eq!(datetime("2026-12-01 20:52:04"), Some(1_796_158_324));
        assert_eq!(datetime("20:52:04"), None);
        assert_eq!(
            iso(1_796_158_324.9).as_deref(),
            Some("2026-12-01T20:52:04Z")
        );
    }
}
