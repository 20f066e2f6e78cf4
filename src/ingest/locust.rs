//! Readers for the four CSV files a Locust run writes, in every header dialect still in use:
//! Locust 1.x and 2.x (`Request Count`), 0.x (`Method`, `# requests`, `Total`), with or without
//! `First Seen`/`Last Seen` in failures, and `--csv-full-history` histories. Stats, failures and
//! exceptions are small and read row by row through `table`; the history, which can be hundreds of
//! megabytes, has its own reader in `history`, which this module calls (never the reverse).

use std::collections::HashMap;
use std::path::Path;

use super::error::InputError;
use super::failure_set::FailureSet;
use super::header::wrong_kind;
use super::scope::{aggregate_key, is_aggregate_row, too_many_endpoints};
use super::status::status_in_message;
use super::table::{canonical, Row, Table};
use crate::locust_format::column::{
    AVERAGE, CONTENT, COUNT, ERROR, FAILURES, FIRST_SEEN, FPS, LAST_SEEN, MAX, MEDIAN, MESSAGE,
    METHOD, MIN, NAME, NODES, OCCURRENCES, REQUESTS, RPS, TIMESTAMP, TRACEBACK,
};
use crate::model::{
    CustomPercentile, Dialect, EndpointKey, EndpointStats, ExceptionRecord, FailureRecord, History,
    Percentiles, PERCENTILE_LABELS,
};

pub use super::scope::MAX_ENDPOINTS;

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

/// Columns such as `60%` or `99.999%` beyond the default eleven (`PERCENTILES_TO_REPORT`): each
/// column's index, its header as written and the fraction it stands for.
fn custom_percentile_columns(table: &Table) -> Vec<(usize, String, f64)> {
    table
        .header()
        .iter()
        .enumerate()
        .filter(|(_, h)| !PERCENTILE_LABELS.contains(&canonical(h).as_str()))
        .filter_map(|(i, h)| {
            let number = canonical(h).strip_suffix('%')?.parse::<f64>().ok()?;
            let level = number / 100.0;
            (level > 0.0 && level <= 1.0).then(|| (i, h.clone(), level))
        })
        .collect()
}

fn read_custom_percentiles(
    row: &Row,
    columns: &[(usize, String, f64)],
) -> Result<Vec<CustomPercentile>, InputError> {
    columns
        .iter()
        .map(|(column, label, level)| {
            Ok(CustomPercentile {
                label: label.clone(),
                level: *level,
                ms: row.measure(*column)?,
            })
        })
        .collect()
}

/// Reads locustio 0.8–0.13.0's `_distribution.csv`: (name as written, `"GET /path"` or `"Total"`,
/// and its percentiles) per row.
pub fn read_distribution(path: &Path) -> Result<Vec<(String, Percentiles)>, InputError> {
    let mut table = Table::open(path)?;
    let name = table.require("Name", &["name"])?;
    let columns = percentile_columns(&table);
    if columns.iter().all(Option::is_none) {
        return Err(InputError::at_line(
            path,
            1,
            "no percentile columns (50% .. 100%): not a distribution file".to_string(),
        ));
    }
    let mut rows = Vec::new();
    while let Some(row) = table.next_row()? {
        rows.push((
            row.text(name).trim().to_string(),
            read_percentiles(&row, &columns)?,
        ));
    }
    Ok(rows)
}

/// The content of a `_stats.csv`.
pub struct StatsFile {
    pub dialect: Dialect,
    pub endpoints: Vec<EndpointStats>,
    pub aggregated: EndpointStats,
    /// How text cells were decoded, when they were not UTF-8.
    pub notes: Vec<String>,
}

/// Reads `_stats.csv`. The `Aggregated` row is required: without it the file is truncated.
pub fn read_stats(path: &Path) -> Result<StatsFile, InputError> {
    let mut table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "stats") {
        return Err(err);
    }
    let columns = StatsColumns::locate(&table)?;
    let dialect = if canonical(&table.header()[columns.requests]) == "request count" {
        Dialect::Locust
    } else {
        Dialect::Legacy
    };
    let mut endpoints: Vec<EndpointStats> = Vec::new();
    let mut first_line: HashMap<EndpointKey, u64> = HashMap::new();
    let mut aggregated: Option<EndpointStats> = None;
    while let Some(row) = table.next_row()? {
        let stats = columns.read(&row)?;
        let key = stats.key.clone();
        if is_aggregate_row(&key.method, &key.name) {
            if aggregated.is_some() {
                return Err(InputError::at_line(
                    path,
                    row.line(),
                    "a second Aggregated row",
                ));
            }
            aggregated = Some(EndpointStats {
                key: aggregate_key(),
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
        notes: table.code_page_note().into_iter().collect(),
    })
}

/// Where a stats file's columns are: the name and the two counts are required, the rest optional.
struct StatsColumns {
    method: Option<usize>,
    name: usize,
    requests: usize,
    failures: usize,
    median: Option<usize>,
    average: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
    content: Option<usize>,
    rps: Option<usize>,
    fps: Option<usize>,
    percentiles: [Option<usize>; 11],
    custom: Vec<(usize, String, f64)>,
}

impl StatsColumns {
    fn locate(table: &Table) -> Result<StatsColumns, InputError> {
        Ok(StatsColumns {
            method: table.find(METHOD),
            name: table.require("Name", NAME)?,
            requests: table.require("Request Count", REQUESTS)?,
            failures: table.require("Failure Count", FAILURES)?,
            median: table.find(MEDIAN),
            average: table.find(AVERAGE),
            min: table.find(MIN),
            max: table.find(MAX),
            content: table.find(CONTENT),
            rps: table.find(RPS),
            fps: table.find(FPS),
            percentiles: percentile_columns(table),
            custom: custom_percentile_columns(table),
        })
    }

    /// One row's figures; more failures than requests is an error at the failures cell.
    fn read(&self, row: &Row) -> Result<EndpointStats, InputError> {
        let key = EndpointKey::new(
            row.opt_text(self.method).unwrap_or("").trim(),
            row.text(self.name),
        );
        let stats = EndpointStats {
            requests: row.count(self.requests)?,
            failures: row.count(self.failures)?,
            rps: self.rps.map_or(Ok(0.0), |c| row.rate(c))?,
            failures_per_s: row.opt_measure(self.fps)?,
            avg_ms: row.opt_measure(self.average)?,
            min_ms: row.opt_measure(self.min)?,
            max_ms: row.opt_measure(self.max)?,
            median_ms: row.opt_measure(self.median)?,
            avg_content_size: row.opt_measure(self.content)?,
            percentiles: read_percentiles(row, &self.percentiles)?,
            custom_percentiles: read_custom_percentiles(row, &self.custom)?,
            histogram: None,
            key,
        }
        .without_empty_placeholders();
        if stats.failures > stats.requests {
            return Err(row.cell_error(
                self.failures,
                format!(
                    "{} failures is more than the {} requests of the row",
                    stats.failures, stats.requests
                ),
            ));
        }
        Ok(stats)
    }
}

/// Reads `_failures.csv` (with or without `First Seen`/`Last Seen`).
pub fn read_failures(path: &Path) -> Result<Vec<FailureRecord>, InputError> {
    read_failures_noted(path).map(|(records, _)| records)
}

/// Like [`read_failures`], with the note saying how text cells were decoded when not UTF-8.
pub fn read_failures_noted(
    path: &Path,
) -> Result<(Vec<FailureRecord>, Option<String>), InputError> {
    let mut table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "failures") {
        return Err(err);
    }
    let method = table.find(METHOD);
    let name = table.require("Name", NAME)?;
    let error = table.require("Error", ERROR)?;
    let occurrences = table.require("Occurrences", OCCURRENCES)?;
    let first_seen = table.find(FIRST_SEEN);
    let last_seen = table.find(LAST_SEEN);
    let mut records = FailureSet::new();
    while let Some(row) = table.next_row()? {
        let non_empty = |c: Option<usize>| {
            row.opt_text(c)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let message = row.text(error);
        records.add(FailureRecord {
            key: EndpointKey::new(row.opt_text(method).unwrap_or("").trim(), row.text(name)),
            status_code: status_in_message(message),
            message: message.to_string(),
            occurrences: row.count(occurrences)?,
            first_seen: non_empty(first_seen),
            last_seen: non_empty(last_seen),
        });
    }
    let (records, capped) = records.finish("_failures.csv");
    let notes: Vec<String> = table.code_page_note().into_iter().chain(capped).collect();
    Ok((records, (!notes.is_empty()).then(|| notes.join("; "))))
}

/// Reads `_exceptions.csv`.
pub fn read_exceptions(path: &Path) -> Result<Vec<ExceptionRecord>, InputError> {
    read_exceptions_noted(path).map(|(records, _)| records)
}

/// Like [`read_exceptions`], with the note saying how text cells were decoded when not UTF-8.
pub fn read_exceptions_noted(
    path: &Path,
) -> Result<(Vec<ExceptionRecord>, Option<String>), InputError> {
    let mut table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "exceptions") {
        return Err(err);
    }
    let count = table.require("Count", COUNT)?;
    let message = table.require("Message", MESSAGE)?;
    let traceback = table.find(TRACEBACK);
    let nodes = table.find(NODES);
    let mut records = Vec::new();
    while let Some(row) = table.next_row()? {
        records.push(ExceptionRecord {
            count: row.count(count)?,
            message: row.text(message).to_string(),
            traceback: row.opt_text(traceback).unwrap_or("").to_string(),
            nodes: row.opt_text(nodes).unwrap_or("").to_string(),
        });
    }
    Ok((records, table.code_page_note()))
}

/// Reads `_stats_history.csv`: one series per scope, the aggregate first, each in timestamp order
/// (see [`super::history`]: in parallel for large files).
pub fn read_history(path: &Path) -> Result<History, InputError> {
    super::stats_history::read(path)
}

/// Like [`read_history`], with the note saying how text cells were decoded when not UTF-8.
pub fn read_history_noted(path: &Path) -> Result<(History, Option<String>), InputError> {
    super::stats_history::read_noted(path)
}

/// The first timestamp of a `_stats_history.csv`, read from its first data row only: cheap even for
/// a day of full history.
pub fn first_timestamp(path: &Path) -> Result<Option<i64>, InputError> {
    let mut table = Table::open(path)?;
    let timestamp = table.require("Timestamp", TIMESTAMP)?;
    match table.next_row()? {
        Some(row) => Ok(Some(row.timestamp(timestamp)?)),
        None => Ok(None),
    }
}
