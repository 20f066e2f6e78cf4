//! Failure signatures. A signature is what stays of a failure when its volatile parts are gone:
//! method, endpoint, the HTTP status, and the message with UUIDs, hex (addresses, hashes) and every
//! number (ids, ports, addresses, timestamps, durations) replaced. Baselines keep the signatures of
//! their runs with counts; a comparison then finds the new errors among them
//! ([`super::regression`]: signatures the baseline never had, and ones whose count grew beyond
//! Poisson noise). Failures the profile expects are left out.

use serde::{Deserialize, Serialize};

use crate::model::{Run, Status};
use crate::profile::Profile;

/// A failure or an exception reduced to its signature, with how often it occurred in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureCount {
    /// `failure` (a `_failures.csv` row) or `exception` (an `_exceptions.csv` row).
    pub kind: String,
    pub method: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// The normalised message.
    pub signature: String,
    /// One message as it was, for people.
    pub example: String,
    pub count: u64,
    /// The endpoint's requests in that run (the aggregate's for exceptions): the base of its rate.
    pub requests: u64,
}

impl SignatureCount {
    /// Whether both are the same signature (whatever their counts).
    pub fn same(&self, other: &SignatureCount) -> bool {
        self.kind == other.kind
            && self.method == other.method
            && self.name == other.name
            && self.status_code == other.status_code
            && self.signature == other.signature
    }

    pub fn label(&self) -> String {
        let endpoint = if self.method.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.method, self.name)
        };
        match self.kind.as_str() {
            "exception" => format!("exception: {}", self.signature),
            _ => format!("{endpoint}: {}", self.signature),
        }
    }
}

/// Whether a signature is new or only more frequent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Grown,
}

/// One signature the current run has more of than the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct NewError {
    pub current: SignatureCount,
    /// The largest count of the kept baseline runs, scaled to the current run's requests (0: new).
    pub expected: f64,
    pub baseline_count: u64,
    pub change: Change,
    pub status: Status,
    pub reason: String,
}

/// Replaces what changes from one occurrence to the next: UUIDs, hex runs (`0x7f…`, hashes of 8+
/// hex digits with a digit and a letter), then every run of digits (`#`).
pub fn normalise(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(len) = uuid_at(&chars[i..]) {
            out.push_str("<uuid>");
            i += len;
            continue;
        }
        if let Some(len) = hex_at(&chars[i..], i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            out.push_str("<hex>");
            i += len;
            continue;
        }
        if chars[i].is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            out.push('#');
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `8-4-4-4-12` hex digits.
fn uuid_at(s: &[char]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut at = 0;
    for (g, len) in GROUPS.iter().enumerate() {
        if g > 0 {
            (s.get(at) == Some(&'-')).then_some(())?;
            at += 1;
        }
        let group = s.get(at..at + len)?;
        group.iter().all(|c| c.is_ascii_hexdigit()).then_some(())?;
        at += len;
    }
    let ends = s.get(at).is_none_or(|c| !c.is_ascii_alphanumeric());
    ends.then_some(at)
}

/// `0x` and hex digits, or 8+ hex digits holding both a digit and a letter, on word boundaries.
fn hex_at(s: &[char], starts_word: bool) -> Option<usize> {
    if !starts_word {
        return None;
    }
    if s.len() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2].is_ascii_hexdigit() {
        let len = 2 + s[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        return Some(len);
    }
    let len = s.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let word_ends = s.get(len).is_none_or(|c| !c.is_ascii_alphanumeric());
    let run = &s[..len];
    let mixed =
        run.iter().any(|c| c.is_ascii_digit()) && run.iter().any(|c| c.is_ascii_alphabetic());
    (len >= 8 && word_ends && mixed).then_some(len)
}

/// The signatures of a run with their counts; with `profile`, its expected failures are left out.
pub fn signatures(run: &Run, profile: Option<&Profile>) -> Vec<SignatureCount> {
    let requests_of = |method: &str, name: &str| {
        run.endpoints
            .iter()
            .find(|e| e.key.method == method && e.key.name == name)
            .map_or(run.aggregated.requests, |e| e.requests)
    };
    let mut out: Vec<SignatureCount> = Vec::new();
    let mut add = |s: SignatureCount| match out.iter_mut().find(|o| o.same(&s)) {
        Some(o) => o.count += s.count,
        None => out.push(s),
    };
    for f in &run.failures {
        if profile.is_some_and(|p| p.expects(f)) {
            continue;
        }
        add(SignatureCount {
            kind: "failure".into(),
            method: f.key.method.clone(),
            name: f.key.name.clone(),
            status_code: f.status_code,
            signature: normalise(&f.message),
            example: f.message.chars().take(300).collect(),
            count: f.occurrences,
            requests: requests_of(&f.key.method, &f.key.name),
        });
    }
    for e in &run.exceptions {
        add(SignatureCount {
            kind: "exception".into(),
            method: String::new(),
            name: String::new(),
            status_code: None,
            signature: normalise(&e.message),
            example: e.message.chars().take(300).collect(),
            count: e.count,
            requests: run.aggregated.requests,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_parts_of_messages_are_normalised() {
        let cases = [
            (
                "CatchResponseError('order 76088 failed with status 500')",
                "CatchResponseError('order # failed with status #')",
            ),
            (
                "ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', port=18093): Read timed out. (read timeout=0.02)\"))",
                "ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='#.#.#.#', port=#): Read timed out. (read timeout=#.#)\"))",
            ),
            (
                "user 3f2b8c1e-9a4d-4e2f-b1c3-0d9e8f7a6b5c not found at 2026-12-01T23:36:49Z",
                "user <uuid> not found at #-#-#T#:#:#Z",
            ),
            (
                "<object at 0x7f3a2b1c> hash deadbeef12 and word cafe",
                "<object at <hex>> hash <hex> and word cafe",
            ),
            // Eight hex letters without a digit are a word, not a hash.
            ("facade acceded", "facade acceded"),
        ];
        for (message, expected) in cases {
            assert_eq!(normalise(message), expected, "{message}");
        }
    }
}
