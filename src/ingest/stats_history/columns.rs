//! The header of a `_stats_history.csv`: checked to be one, and the ten columns analysis reads
//! found by name once, so that every reader of the body addresses cells by index.

use std::path::Path;

use crate::ingest::error::InputError;
use crate::ingest::header::wrong_kind;
use crate::ingest::table::Table;
use crate::locust_format::column;

/// The columns of a history file that analysis reads, by index, and the header's width.
#[derive(Debug, Clone)]
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

/// Reads the header of `_stats_history.csv` and finds its columns; also returns the header's cells
/// (trimmed), which errors name.
pub(crate) fn read_header(path: &Path) -> Result<(HistoryColumns, Vec<String>), InputError> {
    let table = Table::open(path)?;
    if let Some(err) = wrong_kind(&table, "stats history") {
        return Err(err);
    }
    let columns = HistoryColumns {
        timestamp: table.require("Timestamp", column::TIMESTAMP)?,
        users: table.find(column::USER_COUNT),
        method: table.find(column::METHOD),
        name: table.find(column::NAME),
        p50: table.find(column::P50),
        p95: table.find(column::P95),
        p99: table.find(column::P99),
        total_requests: table.require("Total Request Count", column::TOTAL_REQUESTS)?,
        total_failures: table.require("Total Failure Count", column::TOTAL_FAILURES)?,
        total_avg: table.find(column::TOTAL_AVERAGE),
        width: table.header().len(),
    };
    Ok((columns, table.header().to_vec()))
}
