//! Failure records gathered as they are read, in bounded memory. Locust keeps one row per endpoint
//! and message; a service that puts request ids in its errors makes every row distinct, and a long
//! run then writes millions of them (locustio/locust#1712: a 1 GB HTML report). The first
//! [`MAX_MESSAGES`] distinct messages are kept as they are; the rest are counted per endpoint and
//! HTTP status in one "other messages" record each, said in a note. Messages longer than
//! [`MAX_MESSAGE_BYTES`] are cut. Shared by the `_failures.csv` and HTML report readers.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use crate::ingest::status::status_in_message;
use crate::model::{EndpointKey, FailureRecord};

/// Distinct (endpoint, message) records kept as read. Real runs have tens; a thousand keeps every
/// real file whole and bounds the report (each record is a row of every output).
pub const MAX_MESSAGES: usize = 1_000;

/// Endpoint and status pairs with their own "other messages" record; beyond, one record for all.
const MAX_OTHER: usize = 1_000;

/// A message is cut at this many bytes (the CSV reader refuses longer cells; a report's strings
/// have no such bound).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The figures of one "other messages" record while reading.
#[derive(Default)]
struct Other {
    index: usize,
    messages: u64,
}

#[derive(Default)]
pub struct FailureSet {
    records: Vec<FailureRecord>,
    /// Records kept as read, by the hash of their endpoint and message: a row is looked up
    /// without copying its texts (a report can hold millions of rows).
    exact: HashMap<u64, Vec<usize>>,
    kept: usize,
    hasher: RandomState,
    other: HashMap<EndpointKey, HashMap<Option<u16>, Other>>,
    others: usize,
    /// Messages (and their occurrences) counted in "other" records.
    folded: u64,
    folded_occurrences: u64,
}

/// `s` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// `record`'s occurrences added to `into`'s, its first and last seen widening `into`'s.
fn merge(into: &mut FailureRecord, record: FailureRecord) {
    into.occurrences = into.occurrences.saturating_add(record.occurrences);
    min_seen(&mut into.first_seen, record.first_seen);
    max_seen(&mut into.last_seen, record.last_seen);
}

fn min_seen(a: &mut Option<String>, b: Option<String>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|a| b < *a) {
            *a = Some(b);
        }
    }
}

fn max_seen(a: &mut Option<String>, b: Option<String>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|a| b > *a) {
            *a = Some(b);
        }
    }
}

impl FailureSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one row: merged into the record of the same endpoint and message when there is one
    /// (Locust never writes two; a damaged file may), kept when under the cap, else counted.
    pub fn add(&mut self, mut record: FailureRecord) {
        record.message = cut(record.message, MAX_MESSAGE_BYTES);
        let hash = self.hasher.hash_one((&record.key, &record.message));
        let same = self.exact.get(&hash).and_then(|candidates| {
            candidates.iter().copied().find(|&i| {
                self.records[i].key == record.key && self.records[i].message == record.message
            })
        });
        if let Some(i) = same {
            merge(&mut self.records[i], record);
            return;
        }
        if self.kept < MAX_MESSAGES {
            self.exact.entry(hash).or_default().push(self.records.len());
            self.kept += 1;
            self.records.push(record);
            return;
        }
        self.folded += 1;
        self.folded_occurrences = self.folded_occurrences.saturating_add(record.occurrences);
        let status = record.status_code;
        let known = self
            .other
            .get(&record.key)
            .is_some_and(|by_status| by_status.contains_key(&status));
        let (key, status) = if known || self.others < MAX_OTHER {
            (record.key.clone(), status)
        } else {
            (EndpointKey::new("", "(other endpoints)"), None)
        };
        let by_status = match self.other.get_mut(&key) {
            Some(by_status) => by_status,
            None => self.other.entry(key.clone()).or_default(),
        };
        let other = by_status.entry(status).or_insert_with(|| {
            self.others += 1;
            self.records.push(FailureRecord {
                key,
                message: String::new(),
                status_code: status,
                occurrences: 0,
                first_seen: None,
                last_seen: None,
            });
            Other {
                index: self.records.len() - 1,
                messages: 0,
            }
        });
        other.messages += 1;
        merge(&mut self.records[other.index], record);
    }

    /// [`Self::finish`] after `text` is applied to every record's method and name, and to the
    /// messages kept (whose status is then read again): the HTML report's rows are HTML-escaped in
    /// some Locust versions, which only its endpoint rows, read after them, tell.
    pub fn finish_with(
        mut self,
        file: &str,
        text: impl Fn(&str) -> String,
    ) -> (Vec<FailureRecord>, Option<String>) {
        let others: HashSet<usize> = self
            .other
            .values()
            .flat_map(|by_status| by_status.values().map(|o| o.index))
            .collect();
        for (i, record) in self.records.iter_mut().enumerate() {
            record.key = EndpointKey::new(text(&record.key.method), text(&record.key.name));
            if !others.contains(&i) {
                record.message = text(&record.message);
                record.status_code = status_in_message(&record.message);
            }
        }
        self.finish(file)
    }

    /// The records in the order first read, and a note when messages were counted, not kept.
    /// `file` names where they came from (`_failures.csv`, the HTML report).
    pub fn finish(mut self, file: &str) -> (Vec<FailureRecord>, Option<String>) {
        for other in self.other.values().flat_map(HashMap::values) {
            let status = self.records[other.index]
                .status_code
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default();
            self.records[other.index].message = format!(
                "other messages{status}: {} more distinct messages, not kept",
                other.messages
            );
        }
        let note = (self.folded > 0).then(|| {
            format!(
                "{file} holds more than {MAX_MESSAGES} distinct failure messages: the first {MAX_MESSAGES} are kept as written, the other {} ({} occurrences) are counted per endpoint and HTTP status as \"other messages\"",
                self.folded, self.folded_occurrences
            )
        });
        (self.records, note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, message: &str, status: Option<u16>, n: u64) -> FailureRecord {
        FailureRecord {
            key: EndpointKey::new("GET", name),
            message: message.to_string(),
            status_code: status,
            occurrences: n,
            first_seen: Some(format!("2026-12-01T20:52:0{n}Z")),
            last_seen: Some(format!("2026-12-01T20:52:0{n}Z")),
        }
    }

    #[test]
    fn messages_past_the_cap_are_counted_per_endpoint_and_status() {
        let mut set = FailureSet::new();
        for i in 0..MAX_MESSAGES + 5 {
            set.add(record("/a", &format!("500 for id {i}"), Some(500), 1));
        }
        set.add(record("/a", "429 slow down", Some(429), 3));
        set.add(record("/b", "500 for id 0", Some(500), 2));
        // The same message again is merged, not counted as another.
        set.add(record("/a", "500 for id 7", Some(500), 2));
        let (records, note) = set.finish("_failures.csv");
        assert_eq!(records.len(), MAX_MESSAGES + 3);
        assert_eq!(records[7].occurrences, 3);
        assert_eq!(
            records[7].last_seen.as_deref(),
            Some("2026-12-01T20:52:02Z")
        );
        let other = &records[MAX_MESSAGES];
        assert_eq!(
            (
                other.key.name.as_str(),
                other.status_code,
                other.occurrences
            ),
            ("/a", Some(500), 5)
        );
        assert_eq!(
            other.message,
            "other messages (HTTP 500): 5 more distinct messages, not kept"
        );
        assert_eq!(records[MAX_MESSAGES + 1].status_code, Some(429));
        assert_eq!(records[MAX_MESSAGES + 2].key.name, "/b");
        let total: u64 = records.iter().map(|r| r.occurrences).sum();
        assert_eq!(total, MAX_MESSAGES as u64 + 5 + 3 + 2 + 2);
        assert!(note.unwrap().contains("the other 7 (10 occurrences)"));
    }

    #[test]
    fn under_the_cap_nothing_is_noted_and_long_messages_are_cut() {
        let mut set = FailureSet::new();
        set.add(record("/a", &"é".repeat(MAX_MESSAGE_BYTES), None, 1));
        let (records, note) = set.finish("x");
        assert!(note.is_none());
        assert!(records[0].message.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(records[0].message.ends_with('…'));
    }

    #[test]
    fn endpoints_past_the_other_cap_share_one_record() {
        let mut set = FailureSet::new();
        for i in 0..MAX_MESSAGES + MAX_OTHER + 3 {
            set.add(record(&format!("/e{i}"), "boom", None, 1));
        }
        let (records, _) = set.finish("x");
        assert_eq!(records.len(), MAX_MESSAGES + MAX_OTHER + 1);
        let last = records.last().unwrap();
        assert_eq!(
            (last.key.name.as_str(), last.occurrences),
            ("(other endpoints)", 3)
        );
    }
}
