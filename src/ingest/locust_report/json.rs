//! Locust's JSON output: `--json` (stdout, Locust 2.14.1 and later) and `--json-file NAME`
//! (`NAME.json`, 2.37.10 and later). A list with one entry per endpoint holding its whole response-time histogram, so the
//! percentiles come out exactly as Locust's CSV writes them; there is no Aggregated entry (Locust's
//! total is the sum of the endpoints, rebuilt here the same way) and no failure messages.

use std::collections::HashSet;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::source;
use super::stream::{self, Stash};
use super::walk::{self, At, Ctx};
use crate::ingest::error::InputError;
use crate::ingest::scope::{too_many_endpoints, MAX_ENDPOINTS};
use crate::model::{
    Dialect, EndpointKey, EndpointStats, Histogram, Percentiles, Run, RunInfo, PERCENTILE_LEVELS,
};

/// One entry, summed as Locust's `StatsEntry.extend` sums them.
#[derive(Debug, Clone, Default)]
struct Entry {
    requests: u64,
    none_requests: u64,
    failures: u64,
    total_response_time: f64,
    min: Option<f64>,
    max: f64,
    content_length: f64,
    histogram: Histogram,
    start: Option<f64>,
    last: Option<f64>,
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

impl Entry {
    fn extend(&mut self, other: &Entry) {
        self.requests = self.requests.saturating_add(other.requests);
        self.none_requests = self.none_requests.saturating_add(other.none_requests);
        self.failures = self.failures.saturating_add(other.failures);
        self.total_response_time += other.total_response_time;
        self.min = min_opt(self.min, other.min);
        self.max = self.max.max(other.max);
        self.content_length += other.content_length;
        self.histogram.merge(&other.histogram);
        self.start = min_opt(self.start, other.start);
        self.last = max_opt(self.last, other.last);
    }

    /// The figures of Locust's `_stats.csv` row for this entry; `seconds` is the run's span.
    fn stats(&self, key: EndpointKey, seconds: Option<f64>) -> EndpointStats {
        let timed = self.requests.saturating_sub(self.none_requests);
        let per_s = |n: u64| match seconds {
            Some(s) if s > 0.0 => n as f64 / s,
            _ => 0.0,
        };
        let mut percentiles = Percentiles::default();
        if self.requests > 0 {
            for (slot, level) in percentiles.0.iter_mut().zip(PERCENTILE_LEVELS) {
                // The CSV writes `int(percentile)`.
                *slot = Some(self.histogram.percentile(timed, level).trunc());
            }
        }
        // Locust 2.47's median: the 50th percentile, kept within [min, max].
        let median = if self.histogram.is_empty() {
            0.0
        } else {
            let m = self.histogram.percentile(timed, 0.5);
            match self.min {
                _ if m > self.max => self.max,
                Some(min) if m < min => min,
                _ => m,
            }
        };
        EndpointStats {
            key,
            requests: self.requests,
            failures: self.failures,
            rps: per_s(self.requests),
            failures_per_s: Some(per_s(self.failures)),
            avg_ms: Some(if timed == 0 {
                0.0
            } else {
                self.total_response_time / timed as f64
            }),
            min_ms: Some(self.min.unwrap_or(0.0)),
            max_ms: Some(self.max),
            median_ms: Some(median),
            avg_content_size: Some(if self.requests == 0 {
                0.0
            } else {
                self.content_length / self.requests as f64
            }),
            percentiles,
            custom_percentiles: Vec::new(),
            histogram: Some(self.histogram.clone()),
        }
        .without_empty_placeholders()
    }
}

fn entry(at: &At, histogram: Option<Histogram>) -> Result<(EndpointKey, Entry), InputError> {
    let name = at.get("name")?.str()?.to_string();
    let method = at.opt_str("method")?.unwrap_or("").to_string();
    let requests = at.get("num_requests")?.count()?;
    let none_requests = match at.opt("num_none_requests")? {
        Some(n) => n.count()?,
        None => 0,
    };
    if none_requests > requests {
        return Err(at.get("num_none_requests")?.error(format!(
            "{none_requests} requests without a response time, but num_requests is {requests}"
        )));
    }
    let failures = at.get("num_failures")?.count()?;
    let histogram = histogram.ok_or_else(|| at.error("missing \"response_times\""))?;
    if histogram.total() > requests {
        return Err(at.error(format!(
            "response_times holds {} requests, more than num_requests ({requests})",
            histogram.total()
        )));
    }
    let entry = Entry {
        requests,
        none_requests,
        failures,
        total_response_time: at.opt_number("total_response_time")?.unwrap_or(0.0),
        min: at.opt_number("min_response_time")?,
        max: at.opt_number("max_response_time")?.unwrap_or(0.0),
        content_length: at.opt_number("total_content_length")?.unwrap_or(0.0),
        histogram,
        start: at.opt_number("start_time")?,
        last: at.opt_number("last_request_timestamp")?,
    };
    Ok((EndpointKey::new(method, name), entry))
}

pub fn read(path: &Path) -> Result<Run, InputError> {
    Ok(run_of(path, entries_of(path)?, Vec::new()))
}

/// `check a.json b.json … --merge`: runs of one test from several machines as one run. Each
/// endpoint's entries are added as Locust adds its workers' (`StatsEntry.extend`: counts summed,
/// histograms added bucket by bucket, so percentiles come from the merged histogram; the span is
/// the union of the runs'). Every input must hold the same endpoints: runs of different endpoints
/// are not one test's load, and an endpoint one machine lacks would be judged on part of the load.
pub fn read_merged(inputs: &[&Path]) -> Result<Run, InputError> {
    let mut merged: Vec<(EndpointKey, Entry)> = Vec::new();
    let mut first: Option<(&Path, HashSet<EndpointKey>)> = None;
    for path in inputs {
        let entries = entries_of(path)?;
        let keys: HashSet<EndpointKey> = entries.iter().map(|(k, _)| k.clone()).collect();
        match &first {
            None => {
                first = Some((path, keys));
                merged = entries;
                continue;
            }
            Some((first_path, first_keys)) => {
                let missing = first_keys.difference(&keys).min();
                let extra = keys.difference(first_keys).min();
                if let Some(key) = missing.or(extra) {
                    let (lacks, has) = if missing.is_some() {
                        (*path, *first_path)
                    } else {
                        (*first_path, *path)
                    };
                    return Err(InputError::file(
                        path,
                        format!(
                            "--merge: {} has no entry for {key}, which {} has: merged runs must be of the same endpoints (one test's load split over machines); an endpoint only some runs have would be judged on part of the load",
                            lacks.display(),
                            has.display()
                        ),
                    ));
                }
            }
        }
        // Both lists are in the same order (sorted by name, then method) over the same keys.
        for ((_, target), (_, entry)) in merged.iter_mut().zip(&entries) {
            target.extend(entry);
        }
    }
    let first_path = first
        .map(|(p, _)| p)
        .ok_or_else(|| InputError::file(Path::new("-"), "--merge: no input to merge"))?;
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let note = format!(
        "{} runs merged into one ({}): requests and failures summed, histograms added (percentiles from the merged histogram), the time span their union",
        inputs.len(),
        names.join(", ")
    );
    Ok(run_of(first_path, merged, vec![note]))
}

/// The members of an entry the reader uses; the per-second maps (as long as the run) are skipped.
const ENTRY_MEMBERS: [&str; 11] = [
    "name",
    "method",
    "num_requests",
    "num_none_requests",
    "num_failures",
    "total_response_time",
    "min_response_time",
    "max_response_time",
    "total_content_length",
    "start_time",
    "last_request_timestamp",
];

/// The top level, a list of entries, read one entry at a time.
struct Entries<'s> {
    path: &'s Path,
    stash: &'s Stash,
}

impl Entries<'_> {
    fn not_a_list<E: de::Error>(&self, what: &str) -> E {
        self.stash.fail(InputError::file(
            self.path,
            format!(
                "not Locust's JSON output: it is an array of endpoints (Locust's --json-file, or --json with --skip-log), this file's top level is {what}"
            ),
        ))
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = Vec<(EndpointKey, Entry)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of endpoints")
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.not_a_list("an object"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(self.not_a_list("not an array"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(self.not_a_list("not an array"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(self.not_a_list("not an array"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(self.not_a_list("not an array"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(self.not_a_list("not an array"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(self.not_a_list("not an array"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let mut index = 0;
        loop {
            if index == MAX_ENDPOINTS {
                // One more entry is one too many: refused before it is read.
                let more = seq.next_element::<IgnoredAny>()?;
                if more.is_some() {
                    let err = InputError::file(self.path, format!("$: {}", too_many_endpoints()));
                    return Err(self.stash.fail(err));
                }
                break;
            }
            let seed = EntrySeed {
                path: self.path,
                stash: self.stash,
                at: format!("$[{index}]"),
            };
            let Some((key, entry, at)) = seq.next_element_seed(seed)? else {
                break;
            };
            if !seen.insert(key.clone()) {
                let err = InputError::file(self.path, format!("{at}: a second entry for {key}"));
                return Err(self.stash.fail(err));
            }
            entries.push((key, entry));
            index += 1;
        }
        Ok(entries)
    }
}

/// One entry: its histogram read key by key, its other members kept as values.
struct EntrySeed<'s> {
    path: &'s Path,
    stash: &'s Stash,
    at: String,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = (EndpointKey, Entry, String);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = (EndpointKey, Entry, String);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object ({})", self.at)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kept = Map::new();
        let mut histogram = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "response_times" {
                histogram = Some(map.next_value_seed(HistogramSeed {
                    path: self.path,
                    stash: self.stash,
                    at: format!("{}.response_times", self.at),
                })?);
            } else if ENTRY_MEMBERS.contains(&key.as_str()) {
                let value: Value = map.next_value()?;
                kept.insert(key, value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let value = Value::Object(kept);
        let at = At::root(Ctx { file: self.path }, &value, &self.at);
        let (key, entry) = entry(&at, histogram).map_err(|e| self.stash.fail::<A::Error>(e))?;
        Ok((key, entry, self.at))
    }
}

/// `response_times`: response time in ms → count, added to the histogram as read (a run of
/// millions of distinct times takes the histogram's memory, not a tree of the text's).
struct HistogramSeed<'s> {
    path: &'s Path,
    stash: &'s Stash,
    at: String,
}

impl<'de> DeserializeSeed<'de> for HistogramSeed<'_> {
    type Value = Histogram;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Histogram, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HistogramSeed<'_> {
    type Value = Histogram;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object ({})", self.at)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Histogram, A::Error> {
        let mut histogram = Histogram::default();
        let ctx = Ctx { file: self.path };
        while let Some(key) = map.next_key::<String>()? {
            let count: Value = map.next_value()?;
            let count = At::root(ctx, &count, &walk::join(&self.at, &key));
            let ms = key
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    count.error(format!(
                        "the key {} is not a response time in ms",
                        Value::String(key.to_string())
                    ))
                });
            let (ms, n) = ms
                .and_then(|ms| Ok((ms, count.count()?)))
                .map_err(|e| self.stash.fail::<A::Error>(e))?;
            histogram.add(ms, n);
        }
        Ok(histogram)
    }
}

/// The endpoints of one Locust JSON file, each with its histogram, in Locust's `_stats.csv` order.
fn entries_of(path: &Path) -> Result<Vec<(EndpointKey, Entry)>, InputError> {
    let mut reader = BufReader::with_capacity(1 << 20, stream::open(path)?);
    // A UTF-8 byte-order mark (PowerShell's redirection writes one) is not JSON.
    let head = reader
        .fill_buf()
        .map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    let stash = Stash::default();
    let mut de = serde_json::Deserializer::from_reader(reader);
    let seed = Entries {
        path,
        stash: &stash,
    };
    let mut entries = (&mut de)
        .deserialize_any(seed)
        .and_then(|entries| de.end().map(|()| entries))
        .map_err(|e| {
            stash.take().unwrap_or_else(|| {
                let mut err = source::json_error_at(path, (1, 1), "the file", &e);
                err.message.push_str(
                    "; loadgate reads the JSON of Locust's --json-file, or the stdout of --json run with --skip-log (so that only the JSON is printed)",
                );
                err
            })
        })?;
    // Locust's `_stats.csv` order: by name, then method.
    entries.sort_by(|a, b| (&a.0.name, &a.0.method).cmp(&(&b.0.name, &b.0.method)));
    Ok(entries)
}

/// The run of `entries` (read from `path`, or merged from several files).
fn run_of(path: &Path, entries: Vec<(EndpointKey, Entry)>, mut notes: Vec<String>) -> Run {
    notes.push(
        "every endpoint's whole response-time histogram read (Locust's JSON): percentiles are exact, and a comparison takes their sampling noise from the whole distribution"
            .to_string(),
    );
    let mut total = Entry::default();
    for (_, e) in &entries {
        total.extend(e);
    }
    // Locust divides by the run's span (its start to the last request); the JSON has each entry's
    // first and last request, so the span starts at the first request (a fraction of a second later).
    let seconds = match (total.start, total.last) {
        (Some(s), Some(l)) if l > s => Some(l - s),
        _ => None,
    };
    let endpoints = entries
        .iter()
        .map(|(key, e)| e.stats(key.clone(), seconds))
        .collect();
    Run {
        files: source::files(path),
        dialect: Dialect::LocustJson,
        endpoints,
        aggregated: total.stats(EndpointKey::new("", "Aggregated"), seconds),
        failures: Vec::new(),
        exceptions: Vec::new(),
        history: None,
        notes,
        info: RunInfo {
            request_span: total.start.zip(total.last),
            ..RunInfo::default()
        },
    }
}
