//! The test oracle: the general row-by-row history reader loadgate used before the parallel one,
//! kept as it was (the csv crate's `StringRecord` per row through `table::Table`, the `Row`
//! accessors, an `EndpointKey` per row). It shares none of the history reader's own code (`row`,
//! `series`, `scan`, `number`), so the parity tests compare two independent readings of each file.

use std::collections::HashMap;
use std::path::Path;

use super::columns::read_header;
use crate::ingest::error::InputError;
use crate::ingest::scope::{history_scope, too_many_endpoints, MAX_ENDPOINTS};
use crate::ingest::table::Table;
use crate::model::{EndpointKey, History, HistoryPoint, Series};

/// Reads `_stats_history.csv` row by row, for any valid CSV.
pub(super) fn read_history_rows(path: &Path) -> Result<History, InputError> {
    let (columns, _) = read_header(path)?;
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
    Ok(super::series::ordered(series))
}
