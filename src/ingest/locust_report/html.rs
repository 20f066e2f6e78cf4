//! Locust's HTML report (`--html`). Locust >= 2.22 (and 2.19-2.21 with `--modern-ui`) writes a React
//! page whose data is one JSON object, `window.templateArgs = {...}`; that object is read here.
//! The older server-rendered page (tables only; Locust < 2.22, or `--legacy-ui` up to 2.27) is refused
//! with a message saying what to run instead.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::Value;

use super::source;
use super::walk::{unescape_html, At, Ctx};
use crate::ingest::error::InputError;
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

/// Byte offset of the `{` that starts the value assigned to `templateArgs`. The minified UI script
/// mentions `window.templateArgs` too (`window.templateArgs?(…)`, `window.templateArgs.profile`): only
/// an assignment (`=`, not `==`) followed by an object counts.
fn assignment(text: &str) -> Option<usize> {
    text.match_indices("templateArgs").find_map(|(at, word)| {
        let rest = &text[at + word.len()..];
        let after_ws = rest.trim_start();
        let value = after_ws.strip_prefix('=')?;
        if value.starts_with('=') {
            return None;
        }
        let value = value.trim_start();
        value.starts_with('{').then(|| text.len() - value.len())
    })
}

fn legacy_refusal(path: &Path, text: &str) -> Option<InputError> {
    let legacy = text.contains("<table class=\"stats\"") || text.contains("Locust Test Report");
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
    // Locust's CSV: `datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")`.
    let t = chrono::DateTime::from_timestamp(seconds.trunc() as i64, 0)?;
    Some(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
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

    fn failures(&self) -> Result<Vec<FailureRecord>, InputError> {
        let Some(list) = self.root.opt("failures_statistics")? else {
            return Ok(Vec::new());
        };
        let seen = |at: Option<At>| -> Result<Option<String>, InputError> {
            Ok(match at {
                None => None,
                Some(at) => match at.value {
                    Value::String(s) => Some(s.clone()),
                    _ => iso(at.number()?),
                },
            })
        };
        list.array()?
            .iter()
            .map(|at| {
                let message = self.text(at.opt_str("error")?.unwrap_or(""));
                Ok(FailureRecord {
                    key: self.key(at)?,
                    status_code: crate::ingest::status::status_in_message(&message),
                    message,
                    occurrences: at.get("occurrences")?.count()?,
                    first_seen: seen(at.opt("first_seen")?)?,
                    last_seen: seen(at.opt("last_seen")?)?,
                })
            })
            .collect()
    }

    fn exceptions(&self) -> Result<Vec<ExceptionRecord>, InputError> {
        let Some(list) = self.root.opt("exceptions_statistics")? else {
            return Ok(Vec::new());
        };
        // Never escaped, in any version.
        list.array()?
            .iter()
            .map(|at| {
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
                    message: at.opt_str("msg")?.unwrap_or("").to_string(),
                    traceback: at.opt_str("traceback")?.unwrap_or("").to_string(),
                    nodes,
                })
            })
            .collect()
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

pub fn read(path: &Path, bytes: &[u8]) -> Result<Run, InputError> {
    let text = source::utf8(path, bytes)?;
    let Some(start) = assignment(text) else {
        return Err(legacy_refusal(path, text).unwrap_or_else(|| {
            InputError::file(
                path,
                "not a Locust HTML report: no `window.templateArgs = {...}` in it (loadgate reads the --html report of Locust 2.22 and later)",
            )
        }));
    };
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    let value = match values.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => return Err(source::json_error(path, text, start, "templateArgs", &e)),
        None => return Err(InputError::file(path, "templateArgs: no value")),
    };
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
    let notes = estimated.then(|| {
        "the HTML report keeps no running totals: the history's are its req/s and failures/s integrated over time, scaled to its request and failure counts"
            .to_string()
    });
    Ok(Run {
        files: source::files(path),
        dialect: Dialect::LocustHtml,
        endpoints,
        aggregated,
        failures: reader.failures()?,
        exceptions: reader.exceptions()?,
        history,
        notes: notes.into_iter().collect(),
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
        let page = "M=window.templateArgs?(k=window.templateArgs,C(k)):{};if(window.templateArgs==x){}\n<script>\n  window.templateArgs = {\"a\": 1}\n</script>";
        let at = assignment(page).unwrap();
        assert!(page[at..].starts_with("{\"a\""));
        assert_eq!(assignment("window.templateArgs = [1]"), None);
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
