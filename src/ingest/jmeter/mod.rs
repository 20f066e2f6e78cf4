//! JMeter's results files (JTL): CSV (`csv`, any column set by its header, or JMeter's default
//! columns without one, any delimiter) and XML (`xml`). Both become rows here, and the rows runs,
//! by the rules `docs/input-formats.md` states (JMeter's own dashboard's where it has one):
//!
//! - a transaction controller's row (its message `Number of samples in transaction : N, …`) is an
//!   endpoint of its own (method `TXN`) but not counted in the aggregate, whose requests are its
//!   samplers'; an empty one (`: 0`) is left out;
//! - a sampler's sub-results (a redirect's or embedded resources' hops, `login-0`, `login-1`:
//!   nested in XML, the rows right after their parent in the same thread in CSV) are part of
//!   their parent's sample, as JMeter's listeners count them, and not counted again;
//! - samples separated by 30 minutes or more without any sample are runs appended to one file
//!   (JMeter appends to an existing file), each judged on its own.

mod csv;
mod xml;

pub use self::csv::read_csv;
pub use self::xml::read_xml;

use std::collections::HashMap;
use std::path::Path;

use crate::ingest::error::InputError;
use crate::ingest::samples::{Failure, Parsed, Rule, Sample, Samples};
use crate::model::{Dialect, EndpointKey, RunInfo};

/// What a JMeter transaction controller writes as its sample's message.
const TRANSACTION: &str = "Number of samples in transaction";

/// Runs closer than this are one run; farther apart, runs appended to one file.
const APPENDED_GAP_MS: i64 = 30 * 60 * 1000;

/// The latest sample time read (the year 3000): later is damage.
const LATEST_MS: i64 = 32_503_680_000_000;

/// The endpoint method of a transaction controller's rows.
pub const TRANSACTION_METHOD: &str = "TXN";

/// A formatted JMeter timestamp (`jmeter.save.saveservice.timestamp_format`, a Java
/// SimpleDateFormat) as Unix milliseconds: the year-first forms (`yyyy/MM/dd HH:mm:ss`, with
/// `-` or `/`, a `T` or a space, optional `.SSS`, optional zone). Without a zone it is read as
/// UTC (the file does not say which zone JMeter's machine was in). Day-first forms are ambiguous
/// and refused.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() < 19 || !text.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for zoned in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y/%m/%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(text, zoned) {
            return Some(t.timestamp_millis());
        }
    }
    for plain in [
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y/%m/%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, plain) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    None
}

/// The children a transaction's message says it had (`…: 3, number of failing samples : 0`).
fn transaction_size(message: &str) -> Option<u64> {
    let rest = message.strip_prefix(TRANSACTION)?;
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sampler,
    Transaction,
}

/// One sample of the file, in file order.
#[derive(Debug, Clone)]
struct Row {
    /// Unix ms when it started; `Some(0)` for a sample JMeter never started; `None` when the
    /// file keeps no times.
    time_ms: Option<i64>,
    elapsed_ms: f64,
    label: u32,
    kind: Kind,
    failed: bool,
    failure: Option<u32>,
    status: Option<u16>,
    users: Option<u64>,
    bytes: Option<f64>,
}

/// Strings stored once (labels repeat on every row).
#[derive(Debug, Default)]
struct Interner {
    strings: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.strings.push(s.to_string());
        let i = (self.strings.len() - 1) as u32;
        self.index.insert(s.to_string(), i);
        i
    }
    fn get(&self, i: u32) -> &str {
        &self.strings[i as usize]
    }
}

/// The rows of a file and what reading them noticed.
#[derive(Debug, Default)]
struct Rows {
    rows: Vec<Row>,
    labels: Interner,
    messages: Interner,
    /// Sub-results folded into their parents.
    sub_results: u64,
    /// Empty transactions left out.
    empty_transactions: u64,
    /// How the file was read (`JTL CSV with a header`, …).
    notes: Vec<String>,
    /// Timestamps were formatted dates without a zone.
    dates_without_zone: bool,
    /// Read from CSV (where a transaction's samplers may be missing).
    csv: bool,
}

/// What a sample said, before it becomes a row.
struct Fields<'a> {
    time_ms: Option<i64>,
    elapsed_ms: f64,
    label: &'a str,
    success: bool,
    code: &'a str,
    message: &'a str,
    failure_message: &'a str,
    users: Option<u64>,
    bytes: Option<f64>,
}

impl Rows {
    /// Adds a sample; a transaction's is marked by its message.
    fn push(&mut self, f: Fields) {
        let claimed = transaction_size(f.message);
        if claimed == Some(0) {
            // JMeter's dashboard skips an empty controller's sample.
            self.empty_transactions += 1;
            return;
        }
        let kind = if claimed.is_some() {
            Kind::Transaction
        } else {
            Kind::Sampler
        };
        let status = f
            .code
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|s| (100..=599).contains(s));
        let failure = (!f.success && kind == Kind::Sampler).then(|| {
            let text = if !f.failure_message.trim().is_empty() {
                f.failure_message.trim().to_string()
            } else {
                let joined = format!("{} {}", f.code.trim(), f.message.trim());
                let joined = joined.trim();
                if joined.is_empty() {
                    "failed (no message)".to_string()
                } else {
                    joined.to_string()
                }
            };
            self.messages.id(&text)
        });
        let row = Row {
            time_ms: f.time_ms,
            elapsed_ms: f.elapsed_ms,
            label: self.labels.id(f.label),
            kind,
            failed: !f.success,
            failure,
            status,
            users: f.users,
            bytes: f.bytes,
        };
        self.rows.push(row);
    }

    /// The runs of the file: one, or several appended ones.
    /// The runs of the file, before they are built.
    pub(super) fn into_parsed(self, path: &Path, what: &str) -> Result<Vec<Parsed>, InputError> {
        if self.rows.iter().all(|r| r.kind == Kind::Transaction) {
            return Err(InputError::file(
                path,
                format!("{what} holds no samples (nothing to judge)"),
            ));
        }
        let timed = self.rows.iter().any(|r| r.time_ms.is_some());
        // Start times of the runs after the first: a silent gap of APPENDED_GAP_MS before each.
        let mut spans: Vec<(i64, i64)> = self
            .rows
            .iter()
            .filter_map(|r| {
                let t = r.time_ms.filter(|&t| t > 0)?;
                Some((t, t.saturating_add(r.elapsed_ms as i64)))
            })
            .collect();
        spans.sort_unstable();
        let mut starts: Vec<i64> = Vec::new();
        let mut gaps: Vec<i64> = Vec::new();
        let mut latest_end = i64::MIN;
        for &(start, end) in &spans {
            if latest_end != i64::MIN && start - latest_end >= APPENDED_GAP_MS {
                starts.push(start);
                gaps.push(start - latest_end);
            }
            latest_end = latest_end.max(end);
        }
        let run_count = starts.len() + 1;
        // Each row's run; a never-started sample (time 0) goes with the timed one before it.
        let mut run_of = Vec::with_capacity(self.rows.len());
        let mut previous = 0usize;
        for r in &self.rows {
            let i = match r.time_ms.filter(|&t| t > 0) {
                Some(t) => starts.partition_point(|&s| s <= t),
                None => previous,
            };
            previous = i;
            run_of.push(i);
        }
        let mut runs = Vec::with_capacity(run_count);
        for run in 0..run_count {
            let rows: Vec<&Row> = self
                .rows
                .iter()
                .zip(&run_of)
                .filter(|(_, &i)| i == run)
                .map(|(r, _)| r)
                .collect();
            let first_ms = rows
                .iter()
                .filter_map(|r| r.time_ms.filter(|&t| t > 0))
                .min()
                .unwrap_or(0);
            let mut samples = Samples::new(Rule::JMeter).times_are_starts();
            if !timed {
                samples = samples.untimed();
            }
            let mut never_started = 0u64;
            for r in &rows {
                let time_ms = match r.time_ms {
                    Some(t) if t > 0 => t,
                    Some(_) => {
                        never_started += 1;
                        first_ms
                    }
                    None => 0,
                };
                let sample = Sample {
                    time_ms,
                    elapsed_ms: r.elapsed_ms,
                    failed: r.failed,
                    bytes: r.bytes,
                    users: r.users,
                };
                let label = self.labels.get(r.label);
                let placed = match r.kind {
                    Kind::Transaction => samples
                        .add_transaction(&EndpointKey::new(TRANSACTION_METHOD, label), sample),
                    Kind::Sampler => samples.add(
                        &EndpointKey::new("", label),
                        sample,
                        r.failure.map(|m| Failure {
                            message: self.messages.get(m).to_string(),
                            status: r.status,
                        }),
                    ),
                };
                placed.map_err(|why| InputError::file(path, why))?;
            }
            let mut notes = vec![what.to_string()];
            notes.extend(self.notes.iter().cloned());
            if run_count > 1 {
                notes.push(format!(
                    "run {} of {run_count} appended to this file (runs are told apart by 30 minutes or more without a sample; {})",
                    run + 1,
                    if run == 0 {
                        format!("the next starts {} later", duration(gaps[0]))
                    } else {
                        format!("it starts {} after the one before", duration(gaps[run - 1]))
                    }
                ));
            }
            self.run_notes(&rows, never_started, &mut notes);
            runs.push(Parsed {
                samples,
                dialect: Dialect::JMeter,
                notes,
                info: RunInfo::default(),
            });
        }
        Ok(runs)
    }

    /// What a run's reader should know: the rules applied and how often.
    fn run_notes(&self, rows: &[&Row], never_started: u64, notes: &mut Vec<String>) {
        let transactions = rows.iter().filter(|r| r.kind == Kind::Transaction).count();
        if transactions > 0 {
            notes.push(format!(
                "{transactions} transaction controller sample(s) listed as {TRANSACTION_METHOD} endpoints and not counted in the aggregate (their samplers are), as JMeter's dashboard counts them"
            ));
            if self.csv {
                notes.push(
                    "a \"Generate parent sample\" transaction's samplers are counted only where the CSV has them: JMeter 5.0 and later write them after the transaction's row, earlier versions to XML only (the transaction's row then holds their time, and the aggregate lacks them)".to_string(),
                );
            }
        }
        if self.sub_results > 0 {
            notes.push(format!(
                "{} sub-result(s) (redirect hops, embedded resources: label-0, label-1, …) counted in their parent sample, as JMeter's listeners count them",
                self.sub_results
            ));
        }
        if self.empty_transactions > 0 {
            notes.push(format!(
                "{} empty transaction sample(s) (\"{TRANSACTION} : 0\") left out, as JMeter's dashboard does",
                self.empty_transactions
            ));
        }
        if never_started > 0 {
            notes.push(format!(
                "{never_started} sample(s) with timeStamp 0 (JMeter never started them, e.g. a malformed URL) counted as failed requests at the run's start"
            ));
        }
        if self.dates_without_zone {
            notes.push("timestamps are formatted dates without a zone: read as UTC".to_string());
        }
    }
}

fn duration(ms: i64) -> String {
    let s = ms / 1000;
    if s >= 2 * 86_400 {
        format!("{} days", s / 86_400)
    } else if s >= 2 * 3600 {
        format!("{} hours", s / 3600)
    } else {
        format!("{} minutes", s / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_year_first_forms() {
        assert_eq!(parse_date("2019/12/05 12:37:24"), Some(1_575_549_444_000));
        assert_eq!(
            parse_date("2019/12/05 12:37:24.250"),
            Some(1_575_549_444_250)
        );
        assert_eq!(parse_date("2019-12-05 12:37:24"), Some(1_575_549_444_000));
        assert_eq!(
            parse_date("2019-12-05T12:37:24.250+0100"),
            Some(1_575_545_844_250)
        );
        // Day first is ambiguous; a number is no date.
        assert_eq!(parse_date("05/12/2019 12:37:24"), None);
        assert_eq!(parse_date("1575549444000"), None);
    }

    #[test]
    fn a_transactions_message_says_how_many_samples_it_had() {
        assert_eq!(
            transaction_size("Number of samples in transaction : 2, number of failing samples : 1"),
            Some(2)
        );
        assert_eq!(
            transaction_size("Number of samples in transaction : 0"),
            Some(0)
        );
        assert_eq!(transaction_size("OK"), None);
    }
}
