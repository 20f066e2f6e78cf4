//! Locust's console output as runs (`loadgate check locust.log`, or `-` from a pipe): the final
//! summary (the request stats Locust prints as it stops, the response-time percentiles and the
//! error report) for the run's figures; the tables it prints every 2 s while running for its
//! history; the version, run-time limit, users and spawn rate from its log lines. Every run the
//! log holds (each begins with `Starting Locust`) is a run of its own.

mod parse;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use parse::{Header, LogLine, PercentileRow, Scope, StatsRow};

use crate::ingest::error::InputError;
use crate::ingest::scope::{aggregate_key, too_many_endpoints, MAX_ENDPOINTS};
use crate::ingest::status::status_in_message;
use crate::model::{
    CustomPercentile, Dialect, EndpointKey, EndpointStats, FailureRecord, History, HistoryPoint,
    Percentiles, Run, RunFiles, RunInfo, Series, PERCENTILE_LEVELS,
};

/// Seconds between the tables Locust prints while running (`CONSOLE_STATS_INTERVAL_SEC`).
const PRINT_INTERVAL_MS: i64 = 2000;

/// Whether `text` (the start of a file) is Locust's console output: a Locust log line, or one of
/// its tables' headers.
pub fn looks_like_log(text: &str) -> bool {
    text.lines().take(400).any(|line| {
        let line = parse::without_ci_prefix(line.trim_end_matches('\r'));
        parse::log_line(line).is_some_and(|l| l.message.starts_with("Starting Locust"))
            || (line.contains("/locust.") && parse::log_line(line).is_some())
            || parse::header(line).is_some()
    })
}

/// A table read from the log, where it was (1-based line) and when (Unix ms, estimated).
#[derive(Debug)]
struct Stats {
    line: u64,
    time_ms: Option<i64>,
    rows: Vec<StatsRow>,
}

/// One run's worth of the log.
#[derive(Debug, Default)]
struct Section {
    first_line: u64,
    version: Option<String>,
    started_ms: Option<i64>,
    run_time_s: Option<f64>,
    users: Option<u64>,
    spawn_rate: Option<f64>,
    /// (time, users) as the log says users changed.
    ramp: Vec<(i64, u64)>,
    stats: Vec<Stats>,
    /// The index in `stats` of the table the percentiles table follows: the final summary.
    summary: Option<usize>,
    percentiles: Vec<PercentileRow>,
    errors: Vec<(u64, String)>,
    /// Lines that looked like table rows but could not be read.
    unread: Vec<u64>,
    /// The first line where Locust warned that its own CPU ran out, and what it said.
    cpu_warning: Option<(u64, String)>,
}

impl Section {
    fn is_empty(&self) -> bool {
        self.stats.is_empty() && self.percentiles.is_empty() && self.errors.is_empty()
    }
}

/// What a log line (line `number` of the file) says of the run, into `section`.
fn note_log_line(number: u64, line: &LogLine, section: &mut Section) {
    let m = line.message;
    if section.cpu_warning.is_none() && is_cpu_warning(m) {
        section.cpu_warning = Some((number, cpu_warning_text(m)));
    }
    if let Some(v) = m.strip_prefix("Starting Locust ") {
        // Only what a version is made of: the token is shown in every report.
        let token = v.split_whitespace().next().unwrap_or(v);
        section.version = crate::model::LocustVersion::parse(token)
            .is_some()
            .then(|| token.chars().take(32).collect::<String>())
            .filter(|t| {
                t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
            });
        section.started_ms = Some(line.time_ms);
    }
    section.started_ms.get_or_insert(line.time_ms);
    if let Some(rest) = m.strip_prefix("Run time limit set to ") {
        section.run_time_s = rest.split_whitespace().next().and_then(|n| n.parse().ok());
    }
    // 2.x: `Ramping to 10 users at a rate of 5.00 per second`; 1.x: `Spawning 10 users at the rate
    // 5 users/s (0 users already running)...`; 0.x: `Hatching and swarming 10 users at the rate 5
    // users/s …`.
    let ramp = m
        .strip_prefix("Ramping to ")
        .or_else(|| m.strip_prefix("Spawning "))
        .or_else(|| m.strip_prefix("Hatching and swarming "));
    if let Some(rest) = ramp {
        let words: Vec<&str> = rest.split_whitespace().collect();
        if let Some(users) = words.first().and_then(|n| n.parse::<u64>().ok()) {
            section.users = Some(users);
        }
        let rate = words
            .iter()
            .position(|w| *w == "rate")
            .and_then(|i| words.get(i + 1 + usize::from(words.get(i + 1) == Some(&"of"))))
            .and_then(|r| r.parse::<f64>().ok());
        if rate.is_some() {
            section.spawn_rate = rate;
        }
    }
    // `All users spawned: {"U": 10} (10 total users)` (2.x), `U: 10 (10 total running)` (1.x);
    // 0.x: `All locusts hatched: U: 10 (0 already running)`: the classes' counts plus those.
    if m.starts_with("All users spawned") || m.starts_with("All locusts hatched") {
        let (classes, paren) = m.rsplit_once('(').unwrap_or((m, ""));
        let first_number = |t: &str| t.split_whitespace().next()?.parse::<u64>().ok();
        let total = if paren.contains("total") {
            first_number(paren)
        } else {
            let counts: u64 = classes
                .split_once(':')
                .map_or("", |(_, c)| c)
                .split(',')
                .filter_map(|c| {
                    c.rsplit(':')
                        .next()?
                        .trim()
                        .trim_end_matches('}')
                        .parse::<u64>()
                        .ok()
                })
                .sum();
            Some(counts + first_number(paren).unwrap_or(0)).filter(|&u| u > 0)
        };
        if let Some(users) = total.or(section.users) {
            section.ramp.push((line.time_ms, users));
        }
    }
}

/// Locust's own warnings that the load generator ran out of CPU (every version since 0.13:
/// `CPU usage above 90%! …` during the run, `CPU usage was too high at some point during the
/// test!` at its end, `Worker … exceeded cpu threshold` and `CPU usage threshold was exceeded on
/// workers` from a master; 0.14 prefixes `Loadgen`, and says slaves).
fn is_cpu_warning(message: &str) -> bool {
    let m = message.strip_prefix("Loadgen ").unwrap_or(message);
    m.starts_with("CPU usage above")
        || m.starts_with("CPU usage was too high")
        || m.starts_with("CPU usage threshold was exceeded")
        || (m.starts_with("Worker ") || m.starts_with("Slave "))
            && m.contains("exceeded cpu threshold")
}

/// The warning as the reports quote it: its first sentence, at most 120 characters (the rest is
/// a link to Locust's documentation).
fn cpu_warning_text(message: &str) -> String {
    let first = message.split("! ").next().unwrap_or(message);
    let first = first.trim_end_matches('!');
    first.chars().take(120).collect()
}

/// A line Locust writes as a run starts (before or after `Starting Locust`, by version).
fn starts_a_run(message: &str) -> bool {
    [
        "Run time limit set to",
        "Ramping to ",
        "Spawning ",
        "Hatching and swarming ",
    ]
    .iter()
    .any(|p| message.starts_with(p))
}

/// Reads the log in `bytes` (`path` names it).
pub fn read(path: &Path, bytes: &[u8]) -> Result<Vec<Run>, InputError> {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| parse::without_ci_prefix(l.trim_end_matches('\r')))
        .collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section {
        first_line: 1,
        ..Section::default()
    };
    let mut last_time: Option<i64> = None;
    let mut pending: Vec<(u64, LogLine)> = Vec::new();
    let mut i = 0usize;
    while i < lines.len() {
        let line = lines[i];
        let number = i as u64 + 1;
        if let Some(log) = parse::log_line(line) {
            if log.message.starts_with("Starting Locust") && !current.is_empty() {
                sections.push(std::mem::take(&mut current));
                current.first_line = pending.first().map_or(number, |(n, _)| *n);
                for (n, p) in pending.drain(..) {
                    note_log_line(n, &p, &mut current);
                }
            }
            // After a run's tables, lines that start a run may be the next run's (0.x and 1.x
            // write them before `Starting Locust`): held until it is known whose they are.
            if !current.is_empty() && starts_a_run(log.message) {
                pending.push((number, log.clone()));
            } else {
                note_log_line(number, &log, &mut current);
            }
            last_time = Some(log.time_ms);
            i += 1;
            continue;
        }
        for (n, p) in pending.drain(..) {
            note_log_line(n, &p, &mut current);
        }
        let Some(header) = parse::header(line) else {
            i += 1;
            continue;
        };
        // The table: its rows until a blank line or a line of something else.
        let mut rows: Vec<(u64, &str)> = Vec::new();
        let mut j = i + 1;
        while j < lines.len() {
            let l = lines[j];
            if l.trim().is_empty() || parse::log_line(l).is_some() || parse::header(l).is_some() {
                break;
            }
            if !parse::is_separator(l) {
                rows.push((j as u64 + 1, l));
            }
            j += 1;
        }
        match header {
            Header::Stats(columns) => {
                let mut read = Vec::new();
                for (n, l) in rows {
                    match parse::stats_row(l, &columns) {
                        Some(row) => read.push(row),
                        None => current.unread.push(n),
                    }
                }
                // Timed by Locust's print interval from the start, and never before a log line
                // the log shows before it.
                let k = current.stats.len() as i64;
                let time_ms = match (current.started_ms, last_time) {
                    (Some(s), Some(l)) => Some((s + k * PRINT_INTERVAL_MS).max(l)),
                    (s, l) => s.or(l),
                };
                current.stats.push(Stats {
                    line: number,
                    time_ms,
                    rows: read,
                });
            }
            Header::Percentiles(columns) => {
                current.summary = current.stats.len().checked_sub(1);
                current.percentiles.clear();
                for (n, l) in rows {
                    match parse::percentile_row(l, &columns) {
                        Some(row) => current.percentiles.push(row),
                        None => current.unread.push(n),
                    }
                }
            }
            Header::Errors => {
                current.errors.clear();
                for (n, l) in rows {
                    match parse::error_row(l) {
                        Some((count, what)) => current.errors.push((count, what.to_string())),
                        None => current.unread.push(n),
                    }
                }
            }
        }
        i = j;
    }
    if !current.is_empty() {
        sections.push(current);
    }
    sections.retain(|s| !s.stats.is_empty());
    if sections.is_empty() {
        return Err(InputError::file(
            path,
            "Locust's console output, but without a request stats table (`Type Name # reqs # fails …`): no run to read",
        ));
    }
    let count = sections.len();
    sections
        .into_iter()
        .enumerate()
        .map(|(i, s)| run_of(path, s, i, count))
        .collect()
}

/// The keys of a table's rows, each name that occurs more than once marked as cut (`NAME [2]`):
/// Locust pads names but never shortens them, so a repeat means something cut the lines (a log
/// viewer's width); the rows stay apart rather than be merged.
fn keys_of(rows: &[StatsRow], cut: &mut Vec<String>) -> Vec<Option<EndpointKey>> {
    let mut seen: HashMap<EndpointKey, u32> = HashMap::new();
    rows.iter()
        .map(|r| match &r.scope {
            Scope::Aggregate => None,
            Scope::Endpoint { method, name } => {
                let key = EndpointKey::new(method.clone(), name.clone());
                let n = seen.entry(key.clone()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    Some(key)
                } else {
                    if *n == 2 {
                        cut.push(key.to_string());
                    }
                    Some(EndpointKey::new(method.clone(), format!("{name} [{n}]")))
                }
            }
        })
        .collect()
}

fn figure(row: &StatsRow, names: &[&str]) -> Option<f64> {
    row.figures
        .iter()
        .find(|(c, _)| names.contains(&c.as_str()))
        .map(|(_, v)| *v)
}

fn stats_of(
    key: EndpointKey,
    row: &StatsRow,
    percentiles: Option<&PercentileRow>,
) -> EndpointStats {
    let mut standard = Percentiles::default();
    let mut custom = Vec::new();
    if let Some(p) = percentiles {
        for (label, value) in &p.values {
            let Some(level) = parse::level_of(label) else {
                continue;
            };
            match PERCENTILE_LEVELS
                .iter()
                .position(|l| (l - level).abs() < 1e-9)
            {
                Some(i) => standard.0[i] = Some(*value),
                // locustio 0.13–0.14's `99.999` (its value is the 100% one) and custom levels.
                None => custom.push(CustomPercentile {
                    label: label.clone(),
                    level,
                    ms: Some(*value),
                }),
            }
        }
    }
    EndpointStats {
        key,
        requests: row.requests,
        failures: row.failures,
        rps: figure(row, &["req/s"]).unwrap_or(0.0),
        failures_per_s: figure(row, &["failures/s"]),
        avg_ms: figure(row, &["Avg"]),
        min_ms: figure(row, &["Min"]),
        max_ms: figure(row, &["Max"]),
        median_ms: figure(row, &["Med", "Median"]),
        avg_content_size: None,
        percentiles: standard,
        custom_percentiles: custom,
        histogram: None,
    }
    .without_empty_placeholders()
}

fn run_of(path: &Path, s: Section, index: usize, count: usize) -> Result<Run, InputError> {
    let mut notes = vec!["read from Locust's console output".to_string()];
    if count > 1 {
        notes.push(format!(
            "run {} of {count} in this log (from line {})",
            index + 1,
            s.first_line
        ));
    }
    let final_at = match s.summary {
        Some(i) => i,
        None => {
            notes.push(
                "no final summary in this run's log (Locust prints none with --json-file, or the log was cut): the last periodic table is read; its req/s is the rate of the last seconds and it has no percentiles but the median".to_string(),
            );
            s.stats.len() - 1
        }
    };
    let summary = &s.stats[final_at];
    let mut cut = Vec::new();
    let keys = keys_of(&summary.rows, &mut cut);
    if !cut.is_empty() {
        notes.push(format!(
            "names that occur more than once in the table were cut to the width of whatever printed the log (Locust itself pads names, never shortens them), so rows of different endpoints may share them; kept apart as NAME [2], …: {}",
            cut.join(", ")
        ));
    }
    if keys.iter().filter(|k| k.is_some()).count() > MAX_ENDPOINTS {
        return Err(InputError::at_line(
            path,
            summary.line,
            too_many_endpoints(),
        ));
    }
    let percentile_of = |scope: &Scope| s.percentiles.iter().find(|p| &p.scope == scope);
    let mut endpoints = Vec::new();
    let mut aggregated = None;
    for (row, key) in summary.rows.iter().zip(keys) {
        let p = percentile_of(&row.scope);
        match key {
            Some(key) => endpoints.push(stats_of(key, row, p)),
            None => aggregated = Some(stats_of(aggregate_key(), row, p)),
        }
    }
    let aggregated = aggregated.ok_or_else(|| {
        InputError::at_line(
            path,
            summary.line,
            "the request stats table has no Aggregated (or Total) row",
        )
    })?;
    if !s.unread.is_empty() {
        let shown: Vec<String> = s.unread.iter().take(5).map(u64::to_string).collect();
        return Err(InputError::at_line(
            path,
            s.unread[0],
            format!(
                "a row of a Locust table that cannot be read ({} such line(s): {})",
                s.unread.len(),
                shown.join(", ")
            ),
        ));
    }
    let failures = failures_of(&s.errors, &endpoints);
    let history = history_of(&s, final_at, s.summary.is_some());
    if let Some(v) = &s.version {
        notes.push(format!("Locust {v}, as the log says"));
    }
    let generator_warning = s.cpu_warning.as_ref().map(|(line, text)| {
        format!("Locust warned that its CPU ran out (line {line}: \"{text}\")")
    });
    if let Some(w) = &generator_warning {
        notes.push(format!(
            "{w}: the generator set the pace, and its own delays are in every response time; run more Locust processes (--processes) or workers"
        ));
    }
    Ok(Run {
        files: RunFiles {
            prefix: if count > 1 {
                PathBuf::from(format!("{}#{}", path.display(), index + 1))
            } else {
                path.to_path_buf()
            },
            stats: path.to_path_buf(),
            history: None,
            failures: None,
            exceptions: None,
        },
        dialect: Dialect::LocustLog,
        endpoints,
        aggregated,
        failures,
        exceptions: Vec::new(),
        history,
        notes,
        info: RunInfo {
            locust_version: s.version.clone(),
            users: s.users,
            spawn_rate: s.spawn_rate,
            run_time_s: s.run_time_s,
            evidence: crate::model::RunEvidence {
                runner: None,
                generator_warning,
            },
            ..RunInfo::default()
        },
    })
}

/// The error report's rows: `METHOD name: error`, split at the endpoint the stats name.
fn failures_of(errors: &[(u64, String)], endpoints: &[EndpointStats]) -> Vec<FailureRecord> {
    errors
        .iter()
        .map(|(count, text)| {
            let known = endpoints
                .iter()
                .map(|e| &e.key)
                .filter(|k| {
                    text.strip_prefix(&format!("{} {}: ", k.method, k.name))
                        .is_some()
                })
                .max_by_key(|k| k.name.len());
            let (key, message) = match known {
                Some(k) => (
                    k.clone(),
                    text[k.method.len() + k.name.len() + 3..].to_string(),
                ),
                None => {
                    let (head, message) = text.split_once(": ").unwrap_or(("", text));
                    let (method, name) = head.split_once(' ').unwrap_or(("", head));
                    (EndpointKey::new(method, name), message.to_string())
                }
            };
            FailureRecord {
                status_code: status_in_message(&message),
                key,
                message,
                occurrences: *count,
                first_seen: None,
                last_seen: None,
            }
        })
        .collect()
}

/// The periodic tables as the aggregate's history: running totals, the running mean and median
/// (the tables' Avg and Med are since the start), users from the log's ramp lines. Only the
/// aggregate: the tables hold no windowed percentiles, so per-endpoint series would be misread.
fn history_of(s: &Section, final_at: usize, has_summary: bool) -> Option<History> {
    // The final summary repeats the last periodic figures with whole-run rates: not a point.
    let periodic = if has_summary {
        &s.stats[..final_at]
    } else {
        &s.stats[..]
    };
    let mut points: Vec<HistoryPoint> = Vec::new();
    for table in periodic {
        let (Some(time_ms), Some(total)) = (
            table.time_ms,
            table.rows.iter().find(|r| r.scope == Scope::Aggregate),
        ) else {
            continue;
        };
        let users = s
            .ramp
            .iter()
            .rev()
            .find(|(t, _)| *t <= time_ms)
            .map_or(0, |(_, u)| *u);
        let second = time_ms.div_euclid(1000);
        if points.last().is_some_and(|p| p.timestamp >= second) {
            continue;
        }
        points.push(HistoryPoint::new(
            second,
            users,
            [figure(total, &["Med", "Median"]), None, None],
            total.requests,
            total.failures,
            figure(total, &["Avg"]),
        ));
    }
    (!points.is_empty()).then(|| History {
        series: vec![Series {
            key: aggregate_key(),
            aggregated: true,
            points,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locusts_own_cpu_warnings_of_every_version_are_read() {
        // As Locust's runners.py writes them: 2.x, 1.x, 0.14 ("Loadgen", slaves), a master's.
        let warned = [
            "CPU usage above 90%! This may constrain your throughput and may even give inconsistent response time measurements! See https://docs.locust.io/en/stable/running-distributed.html for how to distribute the load over multiple CPU cores or machines",
            "CPU usage was too high at some point during the test! See https://docs.locust.io/en/stable/running-distributed.html for how to distribute the load over multiple CPU cores or machines",
            "Loadgen CPU usage above 90%! This may constrain your throughput and may even give inconsistent response time measurements! See https://docs.locust.io/en/stable/running-locust-distributed.html",
            "CPU usage threshold was exceeded on workers during the test!",
            "CPU usage threshold was exceeded on slaves during the test!",
            "Worker vm_1a2b (index 0) exceeded cpu threshold (will only log this once per worker)",
            "Slave vm_1a2b exceeded cpu threshold (will only log this once per slave)",
        ];
        for m in warned {
            assert!(is_cpu_warning(m), "{m}");
        }
        for m in [
            "Starting Locust 2.47.0",
            "Worker vm_1a2b (index 0) reported as ready",
            "Your CPU usage is fine",
        ] {
            assert!(!is_cpu_warning(m), "{m}");
        }
        assert_eq!(cpu_warning_text(warned[0]), "CPU usage above 90%");
        assert_eq!(
            cpu_warning_text(warned[1]),
            "CPU usage was too high at some point during the test"
        );
        assert_eq!(cpu_warning_text(&"x".repeat(500)).len(), 120);
    }

    #[test]
    fn a_log_with_the_warning_carries_it_into_the_run_and_its_notes() {
        let log = "[2026-12-06 18:50:00,662] vm/INFO/locust.main: Starting Locust 2.47.0\n\
[2026-12-06 18:50:10,662] vm/WARNING/root: CPU usage above 90%! This may constrain your throughput and may even give inconsistent response time measurements! See https://docs.locust.io/en/stable/running-distributed.html\n\
Type     Name  # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s\n\
--------|------|-------|-------------|-------|-------|-------|-------|--------|-----------\n\
GET      /fast     31     0(0.00%) |    206      44     378    210 |    2.00        0.00\n\
--------|------|-------|-------------|-------|-------|-------|-------|--------|-----------\n\
         Aggregated     31     0(0.00%) |    206      44     378    210 |    2.00        0.00\n";
        let runs = read(Path::new("locust.log"), log.as_bytes()).unwrap();
        let w = runs[0].info.evidence.generator_warning.as_deref().unwrap();
        assert_eq!(
            w,
            "Locust warned that its CPU ran out (line 2: \"CPU usage above 90%\")"
        );
        assert!(runs[0].notes.iter().any(|n| n.contains("--processes")));
        let clean = log.replace("CPU usage above", "Something else above");
        let runs = read(Path::new("locust.log"), clean.as_bytes()).unwrap();
        assert_eq!(runs[0].info.evidence.generator_warning, None);
    }
}
