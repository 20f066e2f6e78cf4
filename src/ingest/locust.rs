//! Readers for the four CSV files a Locust run writes, in every header dialect still in use:
//! Locust 1.x and 2.x (`Request Count`), 0.x (`Method`, `# requests`, `Total`), with or without
//! `First Seen`/`Last Seen` in failures, and `--csv-full-history` histories.

use std::collections::HashMap;
use std::path::Path;

use super::error::InputError;
use super::table::{canonical, Row, Table};
use crate::model::{
    Dialect, EndpointKey, EndpointStats, ExceptionRecord, FailureRecord, History, HistoryPoint,
    Percentiles, Series, PERCENTILE_LABELS,
};

// Header aliases, in canonical form (see `table::canonical`).
const METHOD: &[&str] = &["type", "method"];
const NAME: &[&str] = &["name"];
const REQUESTS: &[&str] = &["request count", "requests", "reqs"];
const FAILURES: &[&str] = &["failure count", "failures", "fails"];
const MEDIAN: &[&str] = &["median response time"];
const AVERAGE: &[&str] = &["average response time"];
const MIN: &[&str] = &["min response time"];
const MAX: &[&str] = &["max response time"];
const CONTENT: &[&str] = &["average content size"];
const RPS: &[&str] = &["requests/s"];
// `Requests Failed/s` is locustio 0.13–0.14's name for it.
const FPS: &[&str] = &["failures/s", "requests failed/s"];

/// More endpoints than this is refused: Locust itself struggles long before, and it always means
/// unbounded names (IDs in URLs not grouped with `name=`). Bounds memory and report size.
pub const MAX_ENDPOINTS: usize = 10_000;

/// The error for a run with more than `MAX_ENDPOINTS` endpoints.
pub(crate) fn too_many_endpoints() -> String {
    format!(
        "more than {MAX_ENDPOINTS} endpoints: the names are probably unbounded (IDs in URLs); group them with Locust's name= (e.g. /items/[id])"
    )
}

/// The names Locust has used for the whole-run row: `Aggregated` (1.x, 2.x) and `Total` (0.x).
fn is_aggregate_row(method: &str, name: &str) -> bool {
    let method = method.trim();
    (method.is_empty() || method == "None") && (name == "Aggregated" || name == "Total")
}

fn percentile_columns(table: &Table) -> [Option<usize>; 11] {
    PERCENTILE_LABELS.map(|label| table.find(&[label]))
}

fn read_percentiles(row: &Row, columns: &[Option<usize>; 11]) -> Result<Percentiles, InputError> {
    let mut values = [None; 11];
    for (slot, column) in values.iter_mut().zip(columns) {
        *slot = row.opt_measure(*column)?;
    }
    Ok(Percentiles(values))
}

/// What kind of Locust file a header belongs to (`stats`, `stats history`, `failures`, `exceptions`)
/// and its file suffix, to explain a file passed in the wrong place.
fn kind_of_header(header: &[String]) -> Option<(&'static str, &'static str)> {
    let has = |names: &[&str]| {
        header
            .iter()
            .any(|h| names.contains(&canonical(h).as_str()))
    };
    if has(&["timestamp"]) && has(&["user count"]) {
        Some(("stats history", "_stats_history.csv"))
    } else if has(&["occurrences"]) && has(&["error"]) {
        Some(("failures", "_failures.csv"))
    } else if has(&["traceback"]) {
        Some(("exceptions", "_exceptions.csv"))
    } else if has(REQUESTS) {
        Some(("stats", "_stats.csv"))
    } else {
        None
    }
}

fn wrong_kind(table: &Table, expected: &str) -> Option<InputError> {
    match kind_of_header(table.header()) {
        Some((kind, suffix)) if kind != expected => Some(InputError::at_line(
            table.path(),
            1,
            format!("this is Locust's {kind} file ({suffix}), not its {expected} file"),
        )),
        None => Some(InputError::at_line(
            table.path(),
            1,
            format!(
                "not a Locust {expected} file: unrecognised header '{}'",
                shorten_header(table.header())
            ),
        )),
        _ => None,
    }
}

fn shorten_header(header: &[String]) -> String {
    let joined = header.join(",");
    if joined.chars().count() > 120 {
        format!("{}…", joined.chars().take(120).collect::<String>())
    } else {
        joined
    }
}

/// The content of a `_stats.csv`.
pub struct StatsFile {
    pub dialect: Dialect,
    pub endpoints: Vec<EndpointStats>,
    pub aggregated: EndpointStats,
}

/// Reads `_stats.csv`. The `Aggregated` row is required: without it the file is truncated.
pub fn read_stats(path: &Path) -> Result<StatsFile, InputError> {
    let mut table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "stats") {
        return Err(err);
    }
    let method = table.find(METHOD);
    let name = table.require("Name", NAME)?;
    let requests = table.require("Request Count", REQUESTS)?;
    let failures = table.require("Failure Count", FAILURES)?;
    let dialect = if canonical(&table.header()[requests]) == "request count" {
        Dialect::Locust
    } else {
        Dialect::Legacy
    };
    let median = table.find(MEDIAN);
    let average = table.find(AVERAGE);
    let min = table.find(MIN);
    let max = table.find(MAX);
    let content = table.find(CONTENT);
    let rps = table.find(RPS);
    let fps = table.find(FPS);
    let percentiles = percentile_columns(&table);

    let mut endpoints: Vec<EndpointStats> = Vec::new();
    let mut first_line: HashMap<EndpointKey, u64> = HashMap::new();
    let mut aggregated: Option<EndpointStats> = None;
    while let Some(row) = table.next_row()? {
        let key = EndpointKey::new(row.opt_text(method).unwrap_or("").trim(), row.text(name));
        let stats = EndpointStats {
            requests: row.count(requests)?,
            failures: row.count(failures)?,
            rps: rps.map_or(Ok(0.0), |c| row.rate(c))?,
            failures_per_s: row.opt_measure(fps)?,
            avg_ms: row.opt_measure(average)?,
            min_ms: row.opt_measure(min)?,
            max_ms: row.opt_measure(max)?,
            median_ms: row.opt_measure(median)?,
            avg_content_size: row.opt_measure(content)?,
            percentiles: read_percentiles(&row, &percentiles)?,
            key: key.clone(),
        };
        if stats.failures > stats.requests {
            return Err(row.cell_error(
                failures,
                format!(
                    "{} failures is more than the {} requests of the row",
                    stats.failures, stats.requests
                ),
            ));
        }
        if is_aggregate_row(&key.method, &key.name) {
            if aggregated.is_some() {
                return Err(InputError::at_line(
                    path,
                    row.line(),
                    "a second Aggregated row",
                ));
            }
            aggregated = Some(EndpointStats {
                key: EndpointKey::new("", "Aggregated"),
                ..stats
            });
            continue;
        }
        if aggregated.is_some() {
            return Err(InputError::at_line(
                path,
                row.line(),
                "an endpoint row after the Aggregated row (Locust writes Aggregated last)",
            ));
        }
        if endpoints.len() >= MAX_ENDPOINTS {
            return Err(InputError::at_line(path, row.line(), too_many_endpoints()));
        }
        if let Some(first) = first_line.get(&key) {
            return Err(InputError::at_line(
                path,
                row.line(),
                format!("duplicate row for {key} (first seen on line {first})"),
            ));
        }
        first_line.insert(key, row.line());
        endpoints.push(stats);
    }
    let aggregated = aggregated.ok_or_else(|| {
        InputError::file(
            path,
            "no Aggregated row: the file is incomplete (truncated, or still being written)",
        )
    })?;
    Ok(StatsFile {
        dialect,
        endpoints,
        aggregated,
    })
}

/// Reads `_failures.csv` (with or without `First Seen`/`Last Seen`).
pub fn read_failures(path: &Path) -> Result<Vec<FailureRecord>, InputError> {
    let mut table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "failures") {
        return Err(err);
    }
    let method = table.find(METHOD);
    let name = table.require("Name", NAME)?;
    let error = table.require("Error", &["error"])?;
    let occurrences = table.require("Occurrences", &["occurrences"])?;
    let first_seen = table.find(&["first seen"]);
    let last_seen = table.find(&["last seen"]);
    let mut records = Vec::new();
    while let Some(row) = table.next_row()? {
        let non_empty = |c: Option<usize>| {
            row.opt_text(c)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        records.push(FailureRecord {
            key: EndpointKey::new(row.opt_text(method).unwrap_or("").trim(), row.text(name)),
            message: row.text(error).to_string(),
            occurrences: row.count(occurrences)?,
            status_code: crate::analysis::status::status_in_message(row.text(error)),
            first_seen: non_empty(first_seen),
            last_seen: non_empty(last_seen),
        });
    }
    Ok(records)
}

/// Reads `_exceptions.csv`.
pub fn read_exceptions(path: &Path) -> Result<Vec<ExceptionRecord>, InputError> {
    let mut table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "exceptions") {
        return Err(err);
    }
    let count = table.require("Count", &["count"])?;
    let message = table.require("Message", &["message"])?;
    let traceback = table.find(&["traceback"]);
    let nodes = table.find(&["nodes"]);
    let mut records = Vec::new();
    while let Some(row) = table.next_row()? {
        records.push(ExceptionRecord {
            count: row.count(count)?,
            message: row.text(message).to_string(),
            traceback: row.opt_text(traceback).unwrap_or("").to_string(),
            nodes: row.opt_text(nodes).unwrap_or("").to_string(),
        });
    }
    Ok(records)
}

/// The columns of a history file that analysis reads, by index.
pub(crate) struct HistoryColumns {
    pub timestamp: usize,
    pub users: Option<usize>,
    pub method: Option<usize>,
    pub name: Option<usize>,
    pub p50: Option<usize>,
    pub p95: Option<usize>,
    pub p99: Option<usize>,
    pub total_requests: usize,
    pub total_failures: usize,
    pub total_avg: Option<usize>,
    pub width: usize,
}

/// Reads the header of `_stats_history.csv` and finds its columns.
pub(crate) fn history_columns(path: &Path) -> Result<(HistoryColumns, Vec<String>), InputError> {
    let table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "stats history") {
        return Err(err);
    }
    let columns = HistoryColumns {
        timestamp: table.require("Timestamp", &["timestamp"])?,
        users: table.find(&["user count"]),
        method: table.find(METHOD),
        name: table.find(NAME),
        p50: table.find(&["50%"]),
        p95: table.find(&["95%"]),
        p99: table.find(&["99%"]),
        total_requests: table
            .require("Total Request Count", &["total request count", "requests"])?,
        total_failures: table
            .require("Total Failure Count", &["total failure count", "failures"])?,
        total_avg: table.find(&["total average response time"]),
        width: table.header().len(),
    };
    Ok((columns, table.header().to_vec()))
}

/// The scope a history row belongs to: `(key, is the aggregate)`.
pub(crate) fn history_scope(method: &str, name: Option<&str>) -> (EndpointKey, bool) {
    let name = name.unwrap_or("Aggregated");
    if is_aggregate_row(method, name) {
        (EndpointKey::new("", "Aggregated"), true)
    } else {
        (EndpointKey::new(method.trim(), name), false)
    }
}

/// Reads `_stats_history.csv`, one series per scope, each in timestamp order. Large files are read
/// in parallel by [`super::history::read`]; this is the general reader it falls back to (quoted
/// line breaks inside a cell).
pub fn read_history(path: &Path) -> Result<History, InputError> {
    super::history::read(path)
}

/// The row-by-row reader, for any valid CSV.
pub(crate) fn read_history_rows(path: &Path) -> Result<History, InputError> {
    let (columns, _) = history_columns(path)?;
    let mut table = Table::open(path)?;
    let mut index: HashMap<EndpointKey, usize> = HashMap::new();
    let mut series: Vec<Series> = Vec::new();
    while let Some(row) = table.next_row()? {
        let (key, aggregated) = history_scope(
            row.opt_text(columns.method).unwrap_or(""),
            row.opt_text(columns.name),
        );
        let point = HistoryPoint::new(
            row.timestamp(columns.timestamp)?,
            columns.users.map_or(Ok(0), |c| row.count(c))?,
            [
                row.opt_measure(columns.p50)?,
                row.opt_measure(columns.p95)?,
                row.opt_measure(columns.p99)?,
            ],
            row.count(columns.total_requests)?,
            row.count(columns.total_failures)?,
            row.opt_measure(columns.total_avg)?,
        );
        let slot = match index.get(&key) {
            Some(&slot) => slot,
            // The aggregate plus MAX_ENDPOINTS endpoints, as in the parallel reader.
            None if series.len() > MAX_ENDPOINTS => {
                let column = columns.name.unwrap_or(0);
                return Err(row.cell_error(column, too_many_endpoints()));
            }
            None => {
                index.insert(key.clone(), series.len());
                series.push(Series {
                    key,
                    aggregated,
                    points: Vec::new(),
                });
                series.len() - 1
            }
        };
        series[slot].points.push(point);
    }
    Ok(super::history::ordered(series))
}

/// The first timestamp of a `_stats_history.csv`, read from its first data row only: cheap even for
/// a day of full history.
pub fn first_timestamp(path: &Path) -> Result<Option<i64>, InputError> {
    let mut table = Table::open(path)?;
    let timestamp = table.require("Timestamp", &["timestamp"])?;
    match table.next_row()? {
        Some(row) => Ok(Some(row.timestamp(timestamp)?)),
        None => Ok(None),
    }
}
