//! Locust 2.x's CSV files, byte for byte in format: the same headers, row order, number formats
//! (Python's float repr, six-decimal rates, integer percentiles after Locust's rounding, `N/A`) and
//! minimal quoting, so that `loadgate check` and every other reader of Locust CSVs take them as is.
//! The file names and headers are `crate::locust_format`'s, which the readers use too.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::stats::{Entry, Stats};
use crate::fsutil::write_atomic;
use crate::locust_format::{
    with_suffix, EXCEPTIONS_HEADER, EXCEPTIONS_SUFFIX, FAILURES_HEADER, FAILURES_SUFFIX,
    HISTORY_HEADER, HISTORY_SUFFIX, STATS_HEADER, STATS_SUFFIX,
};
use crate::model::PERCENTILE_LEVELS;

/// Python's `repr(float)`: the shortest string that reads back the same, `.0` on whole numbers,
/// exponent form below 1e-4 and from 1e16.
pub fn py_float(value: f64) -> String {
    if value == 0.0 {
        return "0.0".to_string();
    }
    if !value.is_finite() {
        return if value.is_nan() {
            "nan".into()
        } else if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let abs = value.abs();
    if !(1e-4..1e16).contains(&abs) {
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').expect("{:e} has an exponent");
        let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let text = format!("{value}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// Python's `round(x, ndigits)` for ndigits <= 0: half to even.
fn round_half_even(value: f64, step: f64) -> f64 {
    let scaled = value / step;
    let floor = scaled.floor();
    let diff = scaled - floor;
    let rounded = if (diff - 0.5).abs() < 1e-9 {
        if floor % 2.0 == 0.0 {
            floor
        } else {
            floor + 1.0
        }
    } else {
        scaled.round()
    };
    rounded * step
}

/// Locust keeps response times rounded to about two significant digits; its percentiles come out so.
pub fn locust_round(ms: f64) -> u64 {
    let step = if ms < 100.0 {
        1.0
    } else if ms < 1000.0 {
        10.0
    } else if ms < 10000.0 {
        100.0
    } else {
        1000.0
    };
    round_half_even(ms, step) as u64
}

fn percentile_cells(value: impl Fn(f64) -> Option<f64>) -> Vec<String> {
    PERCENTILE_LEVELS
        .iter()
        .map(|q| value(*q).map_or("N/A".to_string(), |ms| locust_round(ms).to_string()))
        .collect()
}

fn median(entry: &Entry) -> String {
    entry
        .percentile_ms(0.5)
        .map_or("0".to_string(), |ms| locust_round(ms).to_string())
}

/// Requests, failures, median, average, min and max, as both files write them.
fn totals(entry: &Entry) -> [String; 6] {
    [
        entry.requests.to_string(),
        entry.failures.to_string(),
        median(entry),
        entry.avg_ms().map_or("0.0".to_string(), py_float),
        entry.min_ms().map_or("0".to_string(), py_float),
        entry.max_ms().map_or("0".to_string(), py_float),
    ]
}

fn stats_row(entry: &Entry, start: f64, end: f64) -> Vec<String> {
    let (rps, fps) = entry.total_rates(start, end);
    let mut row = vec![entry.method.clone(), entry.name.clone()];
    row.extend(totals(entry));
    row.extend([py_float(entry.avg_bytes()), py_float(rps), py_float(fps)]);
    row.extend(percentile_cells(|q| entry.percentile_ms(q)));
    row
}

fn to_csv(header: &str, rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    for row in rows {
        writer.write_record(&row)?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The entries that saw requests, in Locust's order: by name, then method.
fn requested_entries(stats: &Stats) -> Vec<&Entry> {
    let mut entries: Vec<&Entry> = stats.entries.iter().filter(|e| e.requests > 0).collect();
    entries.sort_by(|a, b| (&a.name, &a.method).cmp(&(&b.name, &b.method)));
    entries
}

/// `PREFIX_stats.csv`: entries sorted by (name, method), then `Aggregated`. Written atomically.
pub fn write_stats(prefix: &Path, stats: &Stats, start: f64, end: f64) -> Result<()> {
    let entries = requested_entries(stats);
    let rows = entries
        .iter()
        .map(|e| stats_row(e, start, end))
        .chain(std::iter::once(stats_row(&stats.total, start, end)));
    write_atomic(
        &with_suffix(prefix, STATS_SUFFIX),
        &to_csv(STATS_HEADER, rows)?,
    )
}

/// `PREFIX_failures.csv`, with Locust 2.44's `First Seen`/`Last Seen` (UTC ISO-8601).
pub fn write_failures(prefix: &Path, stats: &Stats) -> Result<()> {
    let iso = |second: i64| {
        chrono::DateTime::from_timestamp(second, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    };
    let rows = stats.failures.iter().map(|f| {
        let entry = &stats.entries[f.entry];
        vec![
            entry.method.clone(),
            entry.name.clone(),
            f.message.clone(),
            f.occurrences.to_string(),
            iso(f.first_second),
            iso(f.last_second),
        ]
    });
    write_atomic(
        &with_suffix(prefix, FAILURES_SUFFIX),
        &to_csv(FAILURES_HEADER, rows)?,
    )
}

/// `PREFIX_exceptions.csv`: the generator raises no user exceptions, so the header alone, as Locust
/// writes it for a run without any.
pub fn write_exceptions(prefix: &Path) -> Result<()> {
    write_atomic(
        &with_suffix(prefix, EXCEPTIONS_SUFFIX),
        &to_csv(EXCEPTIONS_HEADER, std::iter::empty())?,
    )
}

/// `PREFIX_stats_history.csv`, appended once a second into a temporary file beside the target and
/// renamed over it when the run ends: a reader never sees a half-written history.
pub struct HistoryWriter {
    temp: Option<tempfile::NamedTempFile>,
    out: BufWriter<File>,
    target: PathBuf,
    full: bool,
}

impl HistoryWriter {
    pub fn create(prefix: &Path, full: bool) -> Result<HistoryWriter> {
        let target = with_suffix(prefix, HISTORY_SUFFIX);
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
        let temp = tempfile::Builder::new()
            .prefix(".loadgate-history-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
        let mut out = BufWriter::new(temp.reopen()?);
        out.write_all(HISTORY_HEADER.as_bytes())?;
        out.write_all(b"\r\n")?;
        Ok(HistoryWriter {
            temp: Some(temp),
            out,
            target,
            full,
        })
    }

    /// One row per entry (with full history) and the `Aggregated` row, for second `now`.
    pub fn append(&mut self, stats: &Stats, now: i64, users: u64, start: i64) -> Result<()> {
        let mut rows = Vec::new();
        if self.full {
            let mut entries: Vec<&Entry> =
                stats.entries.iter().filter(|e| e.requests > 0).collect();
            entries.sort_by(|a, b| (&a.name, &a.method).cmp(&(&b.name, &b.method)));
            rows.extend(
                entries
                    .into_iter()
                    .map(|e| history_row(e, now, users, start, true)),
            );
        }
        // Locust writes the aggregate's percentiles cumulative unless the history is full.
        rows.push(history_row(&stats.total, now, users, start, self.full));
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        for row in rows {
            writer.write_record(&row)?;
        }
        let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        self.out.write_all(&bytes)?;
        Ok(())
    }

    /// Flushes and renames the history into place.
    pub fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        let temp = self.temp.take().expect("finish runs once");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = temp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644));
        }
        temp.persist(&self.target)
            .with_context(|| format!("{}: cannot write the history", self.target.display()))?;
        Ok(())
    }
}

fn history_row(entry: &Entry, now: i64, users: u64, start: i64, windowed: bool) -> Vec<String> {
    let (rps, fps) = entry.current_rates(now, start);
    let mut row = vec![
        now.to_string(),
        users.to_string(),
        entry.method.clone(),
        entry.name.clone(),
        format!("{rps:.6}"),
        format!("{fps:.6}"),
    ];
    row.extend(percentile_cells(|q| {
        if windowed {
            entry.window_percentile_ms(q, now)
        } else {
            entry.percentile_ms(q)
        }
    }));
    row.extend(totals(entry));
    row.push(if entry.requests == 0 {
        "0".to_string()
    } else {
        py_float(entry.avg_bytes())
    });
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_does() {
        assert_eq!(py_float(15.0), "15.0");
        assert_eq!(py_float(3.4889804456556903), "3.4889804456556903");
        assert_eq!(py_float(0.0), "0.0");
        assert_eq!(py_float(0.00001), "1e-05");
        assert_eq!(py_float(2.5e16), "2.5e+16");
        assert_eq!(py_float(0.1), "0.1");
    }

    #[test]
    fn response_times_round_as_locust_does() {
        assert_eq!(locust_round(3.4), 3);
        assert_eq!(locust_round(2.5), 2, "half to even, like Python's round");
        assert_eq!(locust_round(99.4), 99);
        assert_eq!(locust_round(154.0), 150);
        assert_eq!(locust_round(155.0), 160);
        assert_eq!(locust_round(1234.0), 1200);
        assert_eq!(locust_round(12_345.0), 12_000);
    }

    #[test]
    fn the_headers_are_locusts() {
        assert_eq!(STATS_HEADER.split(',').count(), 22);
        assert_eq!(HISTORY_HEADER.split(',').count(), 24);
        assert!(STATS_HEADER.ends_with(&crate::model::PERCENTILE_LABELS.join(",")));
    }
}
