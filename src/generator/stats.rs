//! What the generator measured. Users push samples into their own buffers (an uncontended lock per
//! request, never a channel send); once a second the collector drains every buffer into these
//! per-endpoint statistics. Latencies go into HDR histograms in microseconds, so memory stays
//! constant however long the run: no per-request vector survives the second it was made in. The
//! only thing that grows is Locust's per-second request and failure counts (16 bytes per second
//! per endpoint: 1.4 MB for a day), which `--json-file` writes out as Locust does.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use hdrhistogram::Histogram;

/// Seconds of per-second history kept for Locust's "current" figures (rate: seconds t-12..t-2;
/// percentiles: the last 10 s).
const RING_SECONDS: usize = 13;
/// Locust's window for current percentiles.
pub const WINDOW_SECONDS: usize = 10;

/// One request, as a user recorded it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub entry: usize,
    /// Unix time of completion, in whole seconds.
    pub second: i64,
    pub micros: u64,
    pub bytes: u64,
    pub failure: Option<String>,
}

/// A user's buffer, drained by the collector.
pub type Recorder = Arc<Mutex<Vec<Sample>>>;

/// An auto-resizing histogram: it grows to the largest value recorded, so a loopback run's
/// histograms stay a few kilobytes while a minute-long outlier still fits.
fn histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new(sigfig).expect("2 or 3 significant figures are valid")
}

/// Adds `from`'s counts to `into` (auto-resizing, so it always fits).
fn add(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    into.add(from)
        .expect("an auto-resizing histogram takes any other of its precision");
}

fn record(histogram: &mut Histogram<u64>, micros: u64) {
    // `record` resizes an auto-resizing histogram; `saturating_record` would clamp instead.
    if histogram.record(micros).is_err() {
        histogram.saturating_record(micros);
    }
}

/// Requests, failures and latencies of one second.
struct SecondBucket {
    second: i64,
    requests: u64,
    failures: u64,
    latencies: Histogram<u64>,
}

/// Everything about one (method, name) entry, or about all of them.
pub struct Entry {
    pub method: String,
    pub name: String,
    pub requests: u64,
    pub failures: u64,
    sum_micros: u128,
    min_micros: u64,
    max_micros: u64,
    bytes: u64,
    latencies: Histogram<u64>,
    recent: VecDeque<SecondBucket>,
    first_second: Option<i64>,
    last_second: Option<i64>,
    /// Requests and failures completed in each second from `counted_from` on, for Locust's
    /// `num_reqs_per_sec` and `num_fail_per_sec`.
    per_second: VecDeque<[u64; 2]>,
    counted_from: i64,
}

impl Entry {
    pub fn new(method: &str, name: &str) -> Entry {
        Entry {
            method: method.to_string(),
            name: name.to_string(),
            requests: 0,
            failures: 0,
            sum_micros: 0,
            min_micros: u64::MAX,
            max_micros: 0,
            bytes: 0,
            latencies: histogram(3),
            recent: VecDeque::with_capacity(RING_SECONDS + 1),
            first_second: None,
            last_second: None,
            per_second: VecDeque::new(),
            counted_from: 0,
        }
    }

    fn record(&mut self, sample: &Sample) {
        let micros = sample.micros.max(1);
        self.requests += 1;
        self.failures += u64::from(sample.failure.is_some());
        self.sum_micros += u128::from(micros);
        self.min_micros = self.min_micros.min(micros);
        self.max_micros = self.max_micros.max(micros);
        self.bytes += sample.bytes;
        record(&mut self.latencies, micros);
        self.first_second = Some(
            self.first_second
                .map_or(sample.second, |s| s.min(sample.second)),
        );
        self.last_second = Some(
            self.last_second
                .map_or(sample.second, |s| s.max(sample.second)),
        );
        // Nearly every sample is of the newest second: look there before searching the ring.
        let newest = self
            .recent
            .back()
            .is_some_and(|b| b.second == sample.second);
        let found = if newest {
            self.recent.back_mut()
        } else {
            self.recent.iter_mut().find(|b| b.second == sample.second)
        };
        let bucket = match found {
            Some(b) => Some(b),
            None => {
                self.recent.push_back(SecondBucket {
                    second: sample.second,
                    requests: 0,
                    failures: 0,
                    latencies: histogram(2),
                });
                self.recent.make_contiguous().sort_by_key(|b| b.second);
                while self.recent.len() > RING_SECONDS {
                    self.recent.pop_front();
                }
                // Gone again if older than every second kept (a sample drained very late):
                // it counts for the whole run, not for the recent window.
                self.recent.iter_mut().find(|b| b.second == sample.second)
            }
        };
        if let Some(bucket) = bucket {
            bucket.requests += 1;
            bucket.failures += u64::from(sample.failure.is_some());
            record(&mut bucket.latencies, micros);
        }
        self.count_second(sample.second, sample.failure.is_some());
    }

    /// Makes this entry (the Aggregated one) everything `entries` recorded, added up, keeping its
    /// own per-second counts. Exactly what recording every sample here again would give (the
    /// histograms have the same precision, so their buckets line up), at a cost that depends on
    /// the histograms' sizes, not on the number of requests.
    fn sum_of(&mut self, entries: &[Entry]) {
        self.requests = 0;
        self.failures = 0;
        self.sum_micros = 0;
        self.min_micros = u64::MAX;
        self.max_micros = 0;
        self.bytes = 0;
        self.latencies.reset();
        self.recent.clear();
        self.first_second = None;
        self.last_second = None;
        for e in entries.iter().filter(|e| e.requests > 0) {
            self.requests += e.requests;
            self.failures += e.failures;
            self.sum_micros += e.sum_micros;
            self.min_micros = self.min_micros.min(e.min_micros);
            self.max_micros = self.max_micros.max(e.max_micros);
            self.bytes += e.bytes;
            add(&mut self.latencies, &e.latencies);
            self.first_second = self.first_second.min(e.first_second).or(e.first_second);
            self.last_second = self.last_second.max(e.last_second);
            for b in &e.recent {
                match self.recent.iter_mut().find(|mine| mine.second == b.second) {
                    Some(mine) => {
                        mine.requests += b.requests;
                        mine.failures += b.failures;
                        add(&mut mine.latencies, &b.latencies);
                    }
                    None => self.recent.push_back(SecondBucket {
                        second: b.second,
                        requests: b.requests,
                        failures: b.failures,
                        latencies: b.latencies.clone(),
                    }),
                }
            }
        }
        // An entry drops a second only once it has RING_SECONDS newer ones, so the newest
        // RING_SECONDS of the union are exactly the ones recording every sample would keep.
        self.recent.make_contiguous().sort_by_key(|b| b.second);
        while self.recent.len() > RING_SECONDS {
            self.recent.pop_front();
        }
    }

    fn count_second(&mut self, second: i64, failed: bool) {
        if self.per_second.is_empty() {
            self.counted_from = second;
        }
        // A user's buffer drained after another's can hold a second before the earliest so far.
        while second < self.counted_from {
            self.per_second.push_front([0, 0]);
            self.counted_from -= 1;
        }
        let at = (second - self.counted_from) as usize;
        if at >= self.per_second.len() {
            self.per_second.resize(at + 1, [0, 0]);
        }
        let counts = &mut self.per_second[at];
        counts[0] += 1;
        counts[1] += u64::from(failed);
    }

    /// Locust's `num_reqs_per_sec` and `num_fail_per_sec`: Unix second → requests (failures)
    /// completed in it, seconds without any left out, as Locust's dictionaries leave them.
    pub fn per_second_counts(&self) -> (BTreeMap<i64, u64>, BTreeMap<i64, u64>) {
        let mut requests = BTreeMap::new();
        let mut failures = BTreeMap::new();
        for (second, [r, f]) in (self.counted_from..).zip(self.per_second.iter().copied()) {
            if r > 0 {
                requests.insert(second, r);
            }
            if f > 0 {
                failures.insert(second, f);
            }
        }
        (requests, failures)
    }

    pub fn avg_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.sum_micros as f64 / self.requests as f64 / 1000.0)
    }
    pub fn min_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.min_micros as f64 / 1000.0)
    }
    pub fn max_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.max_micros as f64 / 1000.0)
    }
    pub fn avg_bytes(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.bytes as f64 / self.requests as f64
        }
    }

    /// Locust's `response_times` histogram: each response time in ms rounded as Locust rounds it
    /// (to the ms below 100 ms, to 10 ms below 1 s, to 100 ms below 10 s, else to the second),
    /// mapped to its count. From the whole-run histogram (3 significant figures).
    pub fn locust_response_times(&self) -> std::collections::BTreeMap<u64, u64> {
        let mut out = std::collections::BTreeMap::new();
        for v in self.latencies.iter_recorded() {
            let ms = self.latencies.median_equivalent(v.value_iterated_to()) as f64 / 1000.0;
            *out.entry(locust_rounded_ms(ms)).or_insert(0) += v.count_at_value();
        }
        out
    }

    /// The sum of all response times, in ms.
    pub fn total_response_ms(&self) -> f64 {
        self.sum_micros as f64 / 1000.0
    }

    /// The sum of all response sizes, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.bytes
    }

    /// Whole-run percentile in ms, before Locust's rounding.
    pub fn percentile_ms(&self, q: f64) -> Option<f64> {
        (self.requests > 0).then(|| self.latencies.value_at_quantile(q) as f64 / 1000.0)
    }

    /// Percentile over the last [`WINDOW_SECONDS`] seconds up to `now`, in ms.
    pub fn window_percentile_ms(&self, q: f64, now: i64) -> Option<f64> {
        let mut merged = histogram(2);
        for b in self
            .recent
            .iter()
            .filter(|b| b.second > now - WINDOW_SECONDS as i64 && b.second <= now)
        {
            merged.add(&b.latencies).ok()?;
        }
        (!merged.is_empty()).then(|| merged.value_at_quantile(q) as f64 / 1000.0)
    }

    /// Locust's `current_rps`: the mean per-second count over seconds `now-12 .. now-3`.
    pub fn current_rates(&self, now: i64, start: i64) -> (f64, f64) {
        let from = (now - 12).max(start);
        let to = now - 2;
        if to <= from {
            return (0.0, 0.0);
        }
        let seconds = (to - from) as f64;
        let (requests, failures) = self
            .recent
            .iter()
            .filter(|b| b.second >= from && b.second < to)
            .fold((0, 0), |acc, b| (acc.0 + b.requests, acc.1 + b.failures));
        (requests as f64 / seconds, failures as f64 / seconds)
    }

    /// Requests (and failures) per second over the run, as Locust's `total_rps`.
    pub fn total_rates(&self, start: f64, end: f64) -> (f64, f64) {
        let span = end - start;
        if self.requests == 0 || span <= 0.0 {
            return (0.0, 0.0);
        }
        (self.requests as f64 / span, self.failures as f64 / span)
    }
}

/// Locust's `StatsEntry._log_time_of_request` rounding (Python's `round`: half to even).
pub fn locust_rounded_ms(ms: f64) -> u64 {
    let step = if ms < 100.0 {
        1.0
    } else if ms < 1_000.0 {
        10.0
    } else if ms < 10_000.0 {
        100.0
    } else {
        1_000.0
    };
    ((ms / step).round_ties_even() * step) as u64
}

/// A distinct failure of one entry.
pub struct FailureStat {
    pub entry: usize,
    pub message: String,
    pub occurrences: u64,
    pub first_second: i64,
    pub last_second: i64,
}

/// All statistics of a run.
pub struct Stats {
    pub entries: Vec<Entry>,
    pub total: Entry,
    pub failures: Vec<FailureStat>,
    failure_index: HashMap<(usize, String), usize>,
    /// The index of the failure recorded last: a failing endpoint fails the same way request
    /// after request, and comparing with it spares hashing the message each time.
    last_failure: Option<usize>,
}

impl Stats {
    pub fn new(entries: Vec<Entry>) -> Stats {
        Stats {
            entries,
            total: Entry::new("", "Aggregated"),
            failures: Vec::new(),
            failure_index: HashMap::new(),
            last_failure: None,
        }
    }

    /// Drains every recorder into the statistics.
    pub fn collect(&mut self, recorders: &[Recorder]) {
        let mut taken = Vec::new();
        for recorder in recorders {
            let mut buffer = recorder
                .lock()
                .expect("a user never panics while holding its buffer");
            std::mem::swap(&mut *buffer, &mut taken);
            drop(buffer);
            for sample in taken.drain(..) {
                self.record(sample);
            }
        }
        // The Aggregated row is the entries added up, once per collection rather than per sample.
        self.total.sum_of(&self.entries);
    }

    fn record(&mut self, sample: Sample) {
        self.entries[sample.entry].record(&sample);
        self.total
            .count_second(sample.second, sample.failure.is_some());
        if let Some(message) = sample.failure {
            let same_as_last = self.last_failure.filter(|&i| {
                let f = &self.failures[i];
                f.entry == sample.entry && f.message == message
            });
            let key = (sample.entry, message);
            let found = same_as_last.or_else(|| self.failure_index.get(&key).copied());
            self.last_failure = Some(found.unwrap_or(self.failures.len()));
            match found {
                Some(i) => {
                    let f = &mut self.failures[i];
                    f.occurrences += 1;
                    f.first_second = f.first_second.min(sample.second);
                    f.last_second = f.last_second.max(sample.second);
                }
                None => {
                    self.failure_index.insert(key.clone(), self.failures.len());
                    self.failures.push(FailureStat {
                        entry: key.0,
                        message: key.1,
                        occurrences: 1,
                        first_second: sample.second,
                        last_second: sample.second,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(entry: usize, second: i64, micros: u64, failure: Option<&str>) -> Sample {
        Sample {
            entry,
            second,
            micros,
            bytes: 10,
            failure: failure.map(str::to_string),
        }
    }

    #[test]
    fn entries_and_the_total_agree() {
        let mut stats = Stats::new(vec![Entry::new("GET", "/a"), Entry::new("GET", "/b")]);
        let recorder: Recorder = Arc::new(Mutex::new(vec![
            sample(0, 100, 1_000, None),
            sample(0, 100, 3_000, Some("boom")),
            sample(1, 101, 2_000, Some("boom")),
            sample(0, 101, 2_000, Some("boom")),
        ]));
        stats.collect(std::slice::from_ref(&recorder));
        assert!(recorder.lock().unwrap().is_empty(), "drained");
        assert_eq!(stats.total.requests, 4);
        assert_eq!(stats.total.failures, 3);
        assert_eq!(stats.entries[0].requests, 3);
        assert_eq!(stats.failures.len(), 2, "grouped by (entry, message)");
        assert_eq!(stats.failures[0].occurrences, 2);
        assert_eq!(stats.failures[0].last_second, 101);
        assert_eq!(stats.entries[0].avg_ms(), Some(2.0));
        assert_eq!(stats.entries[0].max_ms(), Some(3.0));
        // Percentiles track values far above the first ones recorded.
        let big: Recorder = Arc::new(Mutex::new(vec![sample(1, 102, 60_000_000, None)]));
        stats.collect(&[big]);
        let p100 = stats.entries[1].percentile_ms(1.0).unwrap();
        assert!((p100 - 60_000.0).abs() / 60_000.0 < 0.001, "{p100}");
    }

    /// The Aggregated entry, added up from the endpoints once per collection, is what recording
    /// every sample into it gives: counts, extremes, whole-run and windowed percentiles, rates.
    #[test]
    fn the_aggregate_is_every_sample_recorded_once_more() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut stats = Stats::new(vec![
            Entry::new("GET", "/a"),
            Entry::new("GET", "/b"),
            Entry::new("GET", "/never"),
        ]);
        let mut oracle = Entry::new("", "Aggregated");
        // 30 seconds in three collections, endpoints seen in different seconds, some failing.
        for part in 0..3 {
            let samples: Vec<Sample> = (0..3_000)
                .map(|i| {
                    let entry = usize::from(rng.u8(0..4) == 0);
                    let second = 1_000 + part * 10 + rng.i64(0..10) - entry as i64 * 5;
                    let micros = rng.u64(1..2_000_000);
                    sample(
                        entry,
                        second,
                        micros,
                        rng.bool().then_some("x").filter(|_| i % 7 == 0),
                    )
                })
                .collect();
            for s in &samples {
                oracle.record(s);
            }
            stats.collect(&[Arc::new(Mutex::new(samples))]);
            let total = &stats.total;
            assert_eq!(
                (
                    total.requests,
                    total.failures,
                    total.bytes,
                    total.sum_micros
                ),
                (
                    oracle.requests,
                    oracle.failures,
                    oracle.bytes,
                    oracle.sum_micros
                )
            );
            assert_eq!(
                (total.min_ms(), total.max_ms()),
                (oracle.min_ms(), oracle.max_ms())
            );
            assert_eq!(
                (total.first_second, total.last_second),
                (oracle.first_second, oracle.last_second)
            );
            for q in [0.5, 0.9, 0.99, 1.0] {
                assert_eq!(total.percentile_ms(q), oracle.percentile_ms(q), "{q}");
                let now = 1_000 + part * 10 + 9;
                assert_eq!(
                    total.window_percentile_ms(q, now),
                    oracle.window_percentile_ms(q, now),
                    "window {q}"
                );
            }
            let now = 1_000 + part * 10 + 9;
            assert_eq!(
                total.current_rates(now, 995),
                oracle.current_rates(now, 995)
            );
            assert_eq!(
                total.locust_response_times(),
                oracle.locust_response_times()
            );
            assert_eq!(total.per_second_counts(), oracle.per_second_counts());
        }
    }

    #[test]
    fn failures_group_by_endpoint_and_message_in_any_order() {
        let mut stats = Stats::new(vec![Entry::new("GET", "/a"), Entry::new("GET", "/b")]);
        let order = [
            (0, "x"),
            (0, "x"),
            (1, "x"),
            (0, "y"),
            (0, "x"),
            (1, "x"),
            (1, "y"),
            (0, "y"),
        ];
        let samples = order
            .iter()
            .enumerate()
            .map(|(i, &(entry, m))| sample(entry, 100 + i as i64, 10, Some(m)))
            .collect();
        stats.collect(&[Arc::new(Mutex::new(samples))]);
        let got: Vec<(usize, &str, u64, i64, i64)> = stats
            .failures
            .iter()
            .map(|f| {
                (
                    f.entry,
                    f.message.as_str(),
                    f.occurrences,
                    f.first_second,
                    f.last_second,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "x", 3, 100, 104),
                (1, "x", 2, 102, 105),
                (0, "y", 2, 103, 107),
                (1, "y", 1, 106, 106),
            ]
        );
    }

    #[test]
    fn per_second_counts_are_locusts_dictionaries() {
        let mut stats = Stats::new(vec![Entry::new("GET", "/a")]);
        // Out of order across buffers, a second with no request, failures in one second only.
        let first: Recorder = Arc::new(Mutex::new(vec![
            sample(0, 1002, 500, None),
            sample(0, 1002, 500, Some("boom")),
            sample(0, 1004, 500, None),
        ]));
        let second: Recorder = Arc::new(Mutex::new(vec![
            sample(0, 1000, 500, None),
            sample(0, 1002, 500, Some("boom")),
        ]));
        stats.collect(&[first, second]);
        let (requests, failures) = stats.entries[0].per_second_counts();
        assert_eq!(
            requests.into_iter().collect::<Vec<_>>(),
            vec![(1000, 1), (1002, 3), (1004, 1)]
        );
        assert_eq!(failures.into_iter().collect::<Vec<_>>(), vec![(1002, 2)]);
        let (none, _) = Entry::new("GET", "/b").per_second_counts();
        assert!(none.is_empty());
    }

    #[test]
    fn current_rate_follows_locusts_window() {
        let mut stats = Stats::new(vec![Entry::new("GET", "/a")]);
        let samples: Vec<Sample> = (0..20)
            .flat_map(|s| (0..5).map(move |_| sample(0, 1000 + s, 500, None)))
            .collect();
        stats.collect(&[Arc::new(Mutex::new(samples))]);
        let (rps, fps) = stats.entries[0].current_rates(1019, 1000);
        assert_eq!(rps, 5.0);
        assert_eq!(fps, 0.0);
        // Less than three seconds in: Locust reports 0.
        assert_eq!(stats.entries[0].current_rates(1002, 1000).0, 0.0);
    }
}
