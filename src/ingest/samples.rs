//! Per-sample results (k6's `--out csv`/`--out json`, JMeter's JTL) turned into a run: every
//! response time is kept until the end, so each percentile is computed from all of them, the way
//! the tool itself computes it; the history is built per second from the samples' own times.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::ingest::error::InputError;
use crate::ingest::scope::{aggregate_key, too_many_endpoints, MAX_ENDPOINTS};
use crate::model::{
    Dialect, EndpointKey, EndpointStats, FailureRecord, Histogram, History, HistoryPoint,
    Percentiles, Run, RunFiles, RunInfo, Series, PERCENTILE_LEVELS,
};

/// How the tool turns sorted samples into a percentile, so loadgate's figure is the tool's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// k6's `TrendSink.P`: linear interpolation at rank `p·(n−1)` (0-based).
    K6,
    /// JMeter's dashboard (Commons Math `Percentile`, estimation `LEGACY`): rank `p·(n+1)` (1-based),
    /// interpolated, the first and last sample outside `[1, n]`.
    JMeter,
}

impl Rule {
    /// The `p` quantile (0..=1) of `sorted` (ascending, not empty).
    pub fn percentile(self, sorted: &[f32], p: f64) -> f64 {
        let n = sorted.len();
        let at = |i: usize| f64::from(sorted[i.min(n - 1)]);
        match self {
            Rule::K6 => {
                let rank = p * (n as f64 - 1.0);
                let low = rank.floor();
                let (j, k) = (at(low as usize), at(rank.ceil() as usize));
                j + (k - j) * (rank - low)
            }
            Rule::JMeter => {
                let pos = p * (n as f64 + 1.0);
                if pos < 1.0 {
                    return at(0);
                }
                if pos >= n as f64 {
                    return at(n - 1);
                }
                let low = pos.floor();
                let (lower, upper) = (at(low as usize - 1), at(low as usize));
                lower + (pos - low) * (upper - lower)
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Rule::K6 => "k6's rule: linear interpolation at rank p·(n−1)",
            Rule::JMeter => {
                "JMeter's dashboard rule (Commons Math LEGACY, rank p·(n+1)), over every sample where the dashboard keeps the last 20,000"
            }
        }
    }
}

/// A per-sample file read, before it becomes a run: what `--merge` pools across files.
#[derive(Debug)]
pub struct Parsed {
    pub samples: Samples,
    pub dialect: Dialect,
    pub notes: Vec<String>,
    pub info: RunInfo,
}

impl Parsed {
    pub fn into_run(self, path: &Path) -> Result<Run, InputError> {
        self.samples
            .into_run(path, self.dialect, self.notes, self.info)
    }
}

/// One request as the file records it.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was recorded, Unix milliseconds.
    pub time_ms: i64,
    pub elapsed_ms: f64,
    pub failed: bool,
    /// Bytes received, where the file says.
    pub bytes: Option<f64>,
    /// Users (k6 VUs, JMeter threads) running at the time, where the file says.
    pub users: Option<u64>,
}

/// A failure's message and its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Failure {
    pub message: String,
    pub status: Option<u16>,
}

/// Compact: a day of samples is tens of millions of these.
#[derive(Debug, Clone, Copy)]
struct Rec {
    time_ms: i64,
    elapsed: f32,
    failed: bool,
}

#[derive(Debug, Default)]
struct Endpoint {
    recs: Vec<Rec>,
    bytes: f64,
    has_bytes: bool,
    /// A JMeter transaction: listed, but its samples are already counted in the aggregate.
    transaction: bool,
}

#[derive(Debug)]
struct FailureCount {
    occurrences: u64,
    first_ms: i64,
    last_ms: i64,
}

/// The samples of one run, gathered as a reader meets them.
#[derive(Debug)]
pub struct Samples {
    rule: Rule,
    keys: Vec<EndpointKey>,
    index: HashMap<EndpointKey, usize>,
    endpoints: Vec<Endpoint>,
    failures: HashMap<(usize, Failure), FailureCount>,
    failure_order: Vec<(usize, Failure)>,
    /// Users per second: the most seen in that second.
    users: BTreeMap<i64, u64>,
    /// Sample times are when each request started (JMeter), so the run ends at the latest start
    /// plus its elapsed time; otherwise (k6) they are when it ended.
    times_are_starts: bool,
    /// The file kept no times (a JTL saved without `timeStamp`): no history, no rate.
    untimed: bool,
}

impl Samples {
    pub fn new(rule: Rule) -> Self {
        Samples {
            rule,
            keys: Vec::new(),
            index: HashMap::new(),
            endpoints: Vec::new(),
            failures: HashMap::new(),
            failure_order: Vec::new(),
            users: BTreeMap::new(),
            times_are_starts: false,
            untimed: false,
        }
    }

    /// The samples carry no time.
    pub fn untimed(mut self) -> Self {
        self.untimed = true;
        self
    }

    /// Sample times are start times (JMeter's default `sampleresult.timestamp.start`).
    pub fn times_are_starts(mut self) -> Self {
        self.times_are_starts = true;
        self
    }

    pub fn len(&self) -> u64 {
        self.endpoints.iter().map(|e| e.recs.len() as u64).sum()
    }

    /// Adds one request of `key`; `failure` says why it failed (`None` for a success). Errs (with
    /// a message the reader places) past [`MAX_ENDPOINTS`] endpoints.
    pub fn add(
        &mut self,
        key: &EndpointKey,
        sample: Sample,
        failure: Option<Failure>,
    ) -> Result<(), String> {
        self.add_to(key, false, sample, failure)
    }

    /// Adds one sample of a JMeter transaction: an endpoint of its own, outside the aggregate (its
    /// requests are counted there already), and its failures are its requests' (not listed again).
    pub fn add_transaction(&mut self, key: &EndpointKey, sample: Sample) -> Result<(), String> {
        self.add_to(key, true, sample, None)
    }

    fn slot(&mut self, key: &EndpointKey, transaction: bool) -> Result<usize, String> {
        if let Some(&i) = self.index.get(key) {
            return Ok(i);
        }
        if self.keys.len() >= MAX_ENDPOINTS {
            return Err(too_many_endpoints());
        }
        self.keys.push(key.clone());
        self.endpoints.push(Endpoint {
            transaction,
            ..Endpoint::default()
        });
        self.index.insert(key.clone(), self.keys.len() - 1);
        Ok(self.keys.len() - 1)
    }

    fn add_to(
        &mut self,
        key: &EndpointKey,
        transaction: bool,
        sample: Sample,
        failure: Option<Failure>,
    ) -> Result<(), String> {
        // Years 1970 to 3000: a time outside them is damage, and would overflow the arithmetic.
        const LATEST_MS: i64 = 32_503_680_000_000;
        if !(0..=LATEST_MS).contains(&sample.time_ms) {
            return Err(format!(
                "a sample time of {} ms since 1970 is not a time a test ran at",
                sample.time_ms
            ));
        }
        if !(sample.elapsed_ms.is_finite() && (0.0..=1e12).contains(&sample.elapsed_ms)) {
            return Err(format!(
                "a response time of {} ms is not one a request took",
                sample.elapsed_ms
            ));
        }
        let i = self.slot(key, transaction)?;
        let endpoint = &mut self.endpoints[i];
        endpoint.recs.push(Rec {
            time_ms: sample.time_ms,
            elapsed: sample.elapsed_ms as f32,
            failed: sample.failed,
        });
        if let Some(bytes) = sample.bytes {
            endpoint.bytes += bytes;
            endpoint.has_bytes = true;
        }
        if let Some(users) = sample.users {
            let slot = self
                .users
                .entry(sample.time_ms.div_euclid(1000))
                .or_insert(0);
            *slot = (*slot).max(users);
        }
        if sample.failed && !transaction {
            let failure = failure.unwrap_or(Failure {
                message: "failed".to_string(),
                status: None,
            });
            let slot = (i, failure);
            match self.failures.get_mut(&slot) {
                Some(count) => {
                    count.occurrences += 1;
                    count.first_ms = count.first_ms.min(sample.time_ms);
                    count.last_ms = count.last_ms.max(sample.time_ms);
                }
                None => {
                    self.failure_order.push(slot.clone());
                    self.failures.insert(
                        slot,
                        FailureCount {
                            occurrences: 1,
                            first_ms: sample.time_ms,
                            last_ms: sample.time_ms,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Users running in the second of `time_ms` (k6's `vus` gauge), beside the requests.
    pub fn users_at(&mut self, time_ms: i64, users: u64) {
        let slot = self.users.entry(time_ms.div_euclid(1000)).or_insert(0);
        *slot = (*slot).max(users);
    }

    /// Another file's samples of the same test (`--merge`): added one by one, so the result is
    /// exactly that of one file holding both.
    pub fn absorb(&mut self, other: Samples) -> Result<(), String> {
        for (key, endpoint) in other.keys.iter().zip(other.endpoints) {
            let i = self.slot(key, endpoint.transaction)?;
            let target = &mut self.endpoints[i];
            target.recs.extend(endpoint.recs);
            target.bytes += endpoint.bytes;
            target.has_bytes |= endpoint.has_bytes;
        }
        for slot in other.failure_order {
            let count = &other.failures[&slot];
            let key = &other.keys[slot.0];
            let mapped = (self.index[key], slot.1.clone());
            match self.failures.get_mut(&mapped) {
                Some(c) => {
                    c.occurrences += count.occurrences;
                    c.first_ms = c.first_ms.min(count.first_ms);
                    c.last_ms = c.last_ms.max(count.last_ms);
                }
                None => {
                    self.failure_order.push(mapped.clone());
                    self.failures.insert(
                        mapped,
                        FailureCount {
                            occurrences: count.occurrences,
                            first_ms: count.first_ms,
                            last_ms: count.last_ms,
                        },
                    );
                }
            }
        }
        for (second, users) in other.users {
            // Machines of one test run side by side: their users add up.
            *self.users.entry(second).or_insert(0) += users;
        }
        Ok(())
    }

    /// The run: endpoints in the order first met, the aggregate of them all, failures, and a
    /// per-second history. `path` names the file in errors and reports.
    pub fn into_run(
        self,
        path: &Path,
        dialect: Dialect,
        mut notes: Vec<String>,
        info: RunInfo,
    ) -> Result<Run, InputError> {
        if self
            .endpoints
            .iter()
            .all(|e| e.transaction || e.recs.is_empty())
        {
            return Err(InputError::file(
                path,
                "holds no request samples (nothing to judge)",
            ));
        }
        let rule = self.rule;
        let starts = self.times_are_starts;
        let (first_ms, last_ms, end_ms) = self
            .endpoints
            .iter()
            .filter(|e| !e.transaction)
            .flat_map(|e| e.recs.iter())
            .fold((i64::MAX, i64::MIN, i64::MIN), |(lo, hi, end), r| {
                let ended = if starts {
                    r.time_ms + r.elapsed as i64
                } else {
                    r.time_ms
                };
                (lo.min(r.time_ms), hi.max(r.time_ms), end.max(ended))
            });
        let span_s = if self.untimed || first_ms > last_ms {
            0.0
        } else {
            ((end_ms - first_ms) as f64 / 1000.0).max(0.0)
        };
        let mut all: Vec<f32> = Vec::new();
        let mut total_failures = 0u64;
        let mut total_bytes = (0.0, false);
        let mut endpoints = Vec::with_capacity(self.keys.len());
        for (key, endpoint) in self.keys.iter().zip(&self.endpoints) {
            let mut values: Vec<f32> = endpoint.recs.iter().map(|r| r.elapsed).collect();
            let failures = endpoint.recs.iter().filter(|r| r.failed).count() as u64;
            if !endpoint.transaction {
                total_failures += failures;
                total_bytes.0 += endpoint.bytes;
                total_bytes.1 |= endpoint.has_bytes;
                all.extend_from_slice(&values);
            }
            let bytes = endpoint.has_bytes.then_some(endpoint.bytes);
            endpoints.push(stats(
                rule,
                key.clone(),
                &mut values,
                failures,
                span_s,
                bytes,
            ));
        }
        let aggregated = stats(
            rule,
            aggregate_key(),
            &mut all,
            total_failures,
            span_s,
            total_bytes.1.then_some(total_bytes.0),
        );
        drop(all);
        let failures = self
            .failure_order
            .iter()
            .map(|slot| {
                let count = &self.failures[slot];
                FailureRecord {
                    key: self.keys[slot.0].clone(),
                    message: slot.1.message.clone(),
                    status_code: slot.1.status,
                    occurrences: count.occurrences,
                    first_seen: iso(count.first_ms),
                    last_seen: iso(count.last_ms),
                }
            })
            .collect();
        let history = if self.untimed {
            None
        } else {
            Some(history(rule, &self, first_ms, last_ms))
        };
        notes.push(format!(
            "every response time read ({} samples): percentiles computed from all of them ({}){}",
            aggregated.requests,
            rule.describe(),
            if history.is_some() {
                "; history per second, its percentiles over the last 10 s as Locust's --csv-full-history"
            } else {
                "; the samples have no times: no history, no request rate"
            }
        ));
        Ok(Run {
            files: RunFiles {
                prefix: path.to_path_buf(),
                stats: path.to_path_buf(),
                history: None,
                failures: None,
                exceptions: None,
            },
            dialect,
            endpoints,
            aggregated,
            failures,
            exceptions: Vec::new(),
            history,
            notes,
            info,
        })
    }
}

/// ISO-8601 UTC to the second, as Locust writes `First Seen`.
fn iso(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The whole-run figures of one scope from its response times (sorted here).
fn stats(
    rule: Rule,
    key: EndpointKey,
    values: &mut [f32],
    failures: u64,
    span_s: f64,
    bytes: Option<f64>,
) -> EndpointStats {
    values.sort_unstable_by(f32::total_cmp);
    let n = values.len() as u64;
    let per_s = |count: u64| {
        if span_s > 0.0 {
            count as f64 / span_s
        } else {
            0.0
        }
    };
    let mut percentiles = Percentiles::default();
    let mut histogram = Histogram::default();
    let mut sum = 0.0;
    if !values.is_empty() {
        for (slot, level) in percentiles.0.iter_mut().zip(PERCENTILE_LEVELS) {
            *slot = Some(rule.percentile(values, level));
        }
        for &v in values.iter() {
            sum += f64::from(v);
            histogram.add(bucket(f64::from(v)), 1);
        }
    }
    let first = values.first().map(|&v| f64::from(v));
    let last = values.last().map(|&v| f64::from(v));
    EndpointStats {
        key,
        requests: n,
        failures,
        rps: per_s(n),
        failures_per_s: Some(per_s(failures)),
        avg_ms: (n > 0).then(|| sum / n as f64),
        min_ms: first,
        max_ms: last,
        median_ms: percentiles.p50(),
        avg_content_size: bytes.filter(|_| n > 0).map(|b| b / n as f64),
        percentiles,
        custom_percentiles: Vec::new(),
        histogram: (n > 0).then_some(histogram),
    }
}

/// A response time to three significant figures (whole µs below 1 ms): the histogram a baseline
/// keeps stays a few thousand buckets however many samples there were, and moves each sample by
/// at most 0.05%.
fn bucket(ms: f64) -> f64 {
    if !(ms.is_finite() && ms > 0.0) {
        return 0.0;
    }
    if ms < 1.0 {
        return (ms * 1000.0).round() / 1000.0;
    }
    let digits = ms.log10().floor() as i32 + 1;
    let scale = 10f64.powi(3 - digits);
    (ms * scale).round() / scale
}

/// Seconds of the window a history row's percentiles cover (Locust's current-response-time window).
const WINDOW_S: i64 = 10;

/// One point a second while samples come, for the aggregate and every endpoint: running totals
/// and mean, the users of that second (the last known), and P50/P95/P99 of the samples of the last
/// [`WINDOW_S`] seconds. Seconds whose window holds no sample have no point, so a pause (or runs
/// appended to one file) costs nothing.
fn history(rule: Rule, samples: &Samples, first_ms: i64, last_ms: i64) -> History {
    let first = first_ms.div_euclid(1000);
    let last = last_ms.div_euclid(1000);
    let users_at = |second: i64| -> u64 {
        samples
            .users
            .range(..=second)
            .next_back()
            .map_or(0, |(_, &u)| u)
    };
    let series_of = |recs: &mut Vec<Rec>| -> Vec<HistoryPoint> {
        recs.sort_unstable_by_key(|r| r.time_ms);
        let mut points = Vec::new();
        let (mut done, mut failed, mut sum) = (0u64, 0u64, 0.0f64);
        let mut next = 0usize;
        let mut window_start = 0usize;
        let mut window: Vec<f32> = Vec::new();
        let mut second = first;
        while second <= last {
            let end_ms = (second + 1) * 1000;
            while next < recs.len() && recs[next].time_ms < end_ms {
                let r = recs[next];
                done += 1;
                failed += u64::from(r.failed);
                sum += f64::from(r.elapsed);
                next += 1;
            }
            let from_ms = (second + 1 - WINDOW_S) * 1000;
            while window_start < next && recs[window_start].time_ms < from_ms {
                window_start += 1;
            }
            if window_start == next {
                // Nothing in the window: no row until the next sample (appended runs, a pause).
                match recs.get(next) {
                    Some(r) => {
                        second = r.time_ms.div_euclid(1000);
                        continue;
                    }
                    None => break,
                }
            }
            window.clear();
            window.extend(recs[window_start..next].iter().map(|r| r.elapsed));
            window.sort_unstable_by(f32::total_cmp);
            let percentiles = [0.5, 0.95, 0.99].map(|p| Some(rule.percentile(&window, p)));
            points.push(HistoryPoint::new(
                second,
                users_at(second),
                percentiles,
                done,
                failed,
                (done > 0).then(|| sum / done as f64),
            ));
            second += 1;
        }
        points
    };
    let mut all: Vec<Rec> = samples
        .endpoints
        .iter()
        .filter(|e| !e.transaction)
        .flat_map(|e| e.recs.iter().copied())
        .collect();
    let mut series = vec![Series {
        key: aggregate_key(),
        aggregated: true,
        points: series_of(&mut all),
    }];
    drop(all);
    for (key, endpoint) in samples.keys.iter().zip(&samples.endpoints) {
        let mut recs = endpoint.recs.clone();
        series.push(Series {
            key: key.clone(),
            aggregated: false,
            points: series_of(&mut recs),
        });
    }
    History { series }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k6_interpolates_between_neighbours() {
        // k6's TrendSink: [1,2,3,4] p(95) = 3 + 0.85 * (4 - 3).
        let v = [1.0f32, 2.0, 3.0, 4.0];
        assert!((Rule::K6.percentile(&v, 0.95) - 3.85).abs() < 1e-9);
        assert_eq!(Rule::K6.percentile(&v, 0.5), 2.5);
        assert_eq!(Rule::K6.percentile(&v, 1.0), 4.0);
        assert_eq!(Rule::K6.percentile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn jmeter_uses_commons_math_legacy_ranks() {
        // pos = p(n+1): 10 values 1..=10, p90 → pos 9.9 → 9 + 0.9 * (10 - 9).
        let v: Vec<f32> = (1..=10).map(|x| x as f32).collect();
        assert!((Rule::JMeter.percentile(&v, 0.9) - 9.9).abs() < 1e-6);
        assert_eq!(Rule::JMeter.percentile(&v, 0.5), 5.5);
        // Past the last rank: the largest; before the first: the smallest.
        assert_eq!(Rule::JMeter.percentile(&v, 0.99), 10.0);
        assert_eq!(Rule::JMeter.percentile(&v, 0.05), 1.0);
    }

    #[test]
    fn buckets_keep_three_significant_figures() {
        assert_eq!(bucket(221.561), 222.0);
        assert_eq!(bucket(1234.5), 1230.0);
        assert_eq!(bucket(0.1234), 0.123);
        assert_eq!(bucket(12.345), 12.3);
        assert_eq!(bucket(-1.0), 0.0);
    }

    fn sample(time_ms: i64, elapsed_ms: f64, failed: bool) -> Sample {
        Sample {
            time_ms,
            elapsed_ms,
            failed,
            bytes: Some(100.0),
            users: Some(2),
        }
    }

    #[test]
    fn a_run_counts_every_sample_and_keeps_failures_by_message() {
        let mut s = Samples::new(Rule::K6);
        let a = EndpointKey::new("GET", "/a");
        let b = EndpointKey::new("POST", "/b");
        for i in 0..10 {
            s.add(
                &a,
                sample(1_000_000 + i * 500, 10.0 + i as f64, false),
                None,
            )
            .unwrap();
        }
        let boom = Failure {
            message: "status 500".into(),
            status: Some(500),
        };
        s.add(&b, sample(1_002_000, 50.0, true), Some(boom.clone()))
            .unwrap();
        s.add(&b, sample(1_003_000, 70.0, true), Some(boom))
            .unwrap();
        let run = s
            .into_run(Path::new("r"), Dialect::K6, Vec::new(), RunInfo::default())
            .unwrap();
        assert_eq!(run.aggregated.requests, 12);
        assert_eq!(run.aggregated.failures, 2);
        assert_eq!(run.endpoints[0].percentiles.0[10], Some(19.0));
        assert_eq!(run.endpoints[1].percentiles.p50(), Some(60.0));
        assert_eq!(run.failures.len(), 1);
        assert_eq!(run.failures[0].occurrences, 2);
        assert_eq!(run.failures[0].status_code, Some(500));
        // 4.5 s of samples: 1,000,000 ms .. 1,004,500 ms.
        assert!((run.aggregated.rps - 12.0 / 4.5).abs() < 1e-9);
        let history = run.history.unwrap();
        assert!(history.is_full());
        let agg = history.aggregated().unwrap();
        assert_eq!(agg.points.len(), 5);
        assert_eq!({ agg.points.last().unwrap().total_requests }, 12);
        assert_eq!(agg.points.last().unwrap().total_failures(), 2);
        assert_eq!(agg.points[0].users(), 2);
    }

    #[test]
    fn nothing_read_is_an_error_not_an_empty_run() {
        let s = Samples::new(Rule::JMeter);
        let err = s
            .into_run(
                Path::new("x.jtl"),
                Dialect::JMeter,
                Vec::new(),
                RunInfo::default(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("no request samples"), "{err}");
    }
}
