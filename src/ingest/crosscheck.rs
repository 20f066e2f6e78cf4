//! Cross-checks between the files of one Locust run. A `_stats_history.csv` cut at a row boundary
//! (a runner killed, a disk full, an artifact cut short) is a valid shorter file: read alone, the
//! run looks shorter and sustained rules and trends judge only part of it. Its last row's running
//! total must reach `_stats.csv`'s `Aggregated` row, give or take what Locust itself leaves out.
//!
//! What Locust leaves out, measured on real runs (fixtures/ and other projects' files): the stats
//! are written at the end, the history every interval (1 s by default), so a whole history ends
//! about one interval before them (fixtures' reports-csv and locust-log: 62-74 requests at 61-70
//! req/s). But Locust flushes the history file only every 10 s (`CSV_STATS_FLUSH_INTERVAL_SEC`)
//! and some runs end without the last flush: their histories end 8 to 10 s before the stats
//! (fixtures' locust1/basic and locust215/basic with `-t 20s`, about 9 s; other projects' runs up
//! to 8.6 s). So: within two intervals, nothing to say; within Locust's flush window, a note
//! saying how much of the run the history misses; beyond it, the history is damaged input.

use std::path::Path;

use anyhow::{bail, Result};

use crate::model::{EndpointStats, History};

/// Locust's `CSV_STATS_FLUSH_INTERVAL_SEC`: what an older Locust can lose of a history at exit.
const FLUSH_WINDOW_S: f64 = 10.0;

/// Checks the history's last running total against the stats' `Aggregated` row. `Ok(Some(note))`
/// when the history misses the run's end by no more than Locust itself can; an error naming the
/// file and where it ends when it misses more.
pub fn history_against_stats(
    history_path: &Path,
    history: &History,
    stats_path: &Path,
    aggregated: &EndpointStats,
) -> Result<Option<String>> {
    let Some(series) = history.aggregated() else {
        return Ok(None);
    };
    let Some((index, last)) = series
        .points
        .iter()
        .enumerate()
        .max_by_key(|(_, p)| (p.timestamp, p.total_requests))
    else {
        return Ok(None);
    };
    let stats = aggregated.requests;
    if last.total_requests >= stats || stats == 0 {
        return Ok(None);
    }
    let first = series
        .points
        .iter()
        .map(|p| p.timestamp)
        .min()
        .unwrap_or(last.timestamp);
    let interval = interval_s(series.points.iter().map(|p| p.timestamp));
    // The rate at the end of the run: the last ten seconds of the history, or the stats' own
    // average when it is higher (a history cut during the ramp-up).
    let recent = series
        .points
        .iter()
        .filter(|p| p.timestamp >= last.timestamp - 10 && p.timestamp < last.timestamp)
        .min_by_key(|p| p.timestamp)
        .filter(|p| p.total_requests <= last.total_requests)
        .map(|p| {
            (last.total_requests - p.total_requests) as f64
                / (last.timestamp - p.timestamp).max(1) as f64
        })
        .unwrap_or(0.0);
    let rate = recent.max(aggregated.rps).max(f64::MIN_POSITIVE);
    let gap = stats - last.total_requests;
    let missing_s = gap as f64 / rate;
    if missing_s <= 2.0 * interval {
        return Ok(None);
    }
    let stats_name = stats_path.file_name().map_or_else(
        || stats_path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let ends = format!(
        "ends at {} s (its Aggregated row {}) with {} requests; {stats_name} holds {}",
        last.timestamp - first,
        index + 1,
        thousands(last.total_requests),
        thousands(stats)
    );
    if missing_s <= FLUSH_WINDOW_S + 2.0 * interval {
        return Ok(Some(format!(
            "{} {ends}: the last {missing_s:.0} s or so of the run ({rate:.1} req/s) are not in \
             the history (Locust flushes it every 10 s and can lose the rest at exit); trends \
             and sustained rules judge the run without them",
            history_path.display()
        )));
    }
    bail!(
        "{}: the history is cut short: it {ends}, about {missing_s:.0} s more at {rate:.1} req/s, \
         more than Locust leaves out (its last {:.0} s); a runner killed, a disk full or an \
         artifact cut? Use the whole file, or move it away to judge the run without a history",
        history_path.display(),
        FLUSH_WINDOW_S + 2.0 * interval
    )
}

/// The history's interval: the most common step between distinct timestamps, 1 s when unknown.
fn interval_s(timestamps: impl Iterator<Item = i64>) -> f64 {
    let mut stamps: Vec<i64> = timestamps.collect();
    stamps.sort_unstable();
    stamps.dedup();
    let mut steps: Vec<i64> = stamps.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.is_empty() {
        return 1.0;
    }
    steps.sort_unstable();
    steps[steps.len() / 2].max(1) as f64
}

/// `4137` as `4,137`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The largest count a report can hold exactly (JSON numbers are doubles): 2^53.
pub const MAX_COUNT: u64 = 1 << 53;

/// The longest response time a run can hold, ms: 116 days. Beyond, a figure is damage, and a
/// baseline holding it (1e308 ms) would let any run pass.
pub const MAX_MS: f64 = 1e10;

/// One scope's figures as a reader or a baseline holds them.
pub struct Figures<'a> {
    pub scope: &'a str,
    pub requests: u64,
    pub failures: u64,
    pub rps: f64,
    /// Average, minimum, maximum (ms).
    pub times: [Option<f64>; 3],
    /// Percentiles in ascending level order (ms), with their labels.
    pub percentiles: &'a [(&'a str, Option<f64>)],
}

/// Counts that make sense: failures within requests, counts within 2^53, every figure finite and
/// not negative, response times within [`MAX_MS`], percentiles never falling as the level rises
/// (a stats file cut inside its last cell reads `100%` as 11 below `99.99%`'s 1,100). `Err` holds
/// the sentence saying what is wrong, for the caller to put the file in front.
pub fn figures_make_sense(f: &Figures) -> Result<(), String> {
    let scope = f.scope;
    if f.requests > MAX_COUNT || f.failures > MAX_COUNT {
        return Err(format!(
            "{scope}: {} requests, {} failures: more than a report can count exactly (2^53)",
            f.requests, f.failures
        ));
    }
    if f.failures > f.requests {
        return Err(format!(
            "{scope}: {} failures of {} requests: a run cannot fail more requests than it made",
            f.failures, f.requests
        ));
    }
    if !f.rps.is_finite() || f.rps < 0.0 || f.rps > MAX_COUNT as f64 {
        return Err(format!(
            "{scope}: {} requests per second is not a rate",
            shown(f.rps)
        ));
    }
    let named = ["average", "minimum", "maximum"]
        .iter()
        .zip(f.times)
        .map(|(n, v)| (*n, v))
        .chain(f.percentiles.iter().copied());
    for (label, value) in named {
        if let Some(v) = value {
            if !v.is_finite() || !(0.0..=MAX_MS).contains(&v) {
                return Err(format!(
                    "{scope}: a response time ({label}) of {} ms is not one a run can hold",
                    shown(v)
                ));
            }
        }
    }
    let mut highest: Option<(&str, f64)> = None;
    for (label, value) in f.percentiles {
        let Some(v) = *value else { continue };
        if let Some((below, h)) = highest {
            if v < h {
                return Err(format!(
                    "{scope}: {label} is {v} ms, below {below}'s {h} ms: percentiles cannot fall \
                     as the level rises (a cut or damaged file?)"
                ));
            }
        }
        highest = Some((label, v));
    }
    Ok(())
}

/// A figure as typed, huge ones in exponent form (`1e308`, not 309 digits).
fn shown(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Every scope of a run read from its files: [`figures_make_sense`], the file named in the error.
pub fn run_makes_sense(run: &crate::model::Run) -> Result<()> {
    for stats in std::iter::once(&run.aggregated).chain(&run.endpoints) {
        let mut levels: Vec<(f64, &str, Option<f64>)> = crate::model::PERCENTILE_LEVELS
            .iter()
            .zip(crate::model::PERCENTILE_LABELS)
            .zip(stats.percentiles.0)
            .map(|((level, label), v)| (*level, label, v))
            .collect();
        levels.extend(
            stats
                .custom_percentiles
                .iter()
                .map(|c| (c.level, c.label.as_str(), c.ms)),
        );
        levels.sort_by(|a, b| a.0.total_cmp(&b.0));
        let percentiles: Vec<(&str, Option<f64>)> =
            levels.iter().map(|(_, label, v)| (*label, *v)).collect();
        let scope = stats.key.to_string();
        let figures = Figures {
            scope: if scope.is_empty() {
                "Aggregated"
            } else {
                &scope
            },
            requests: stats.requests,
            failures: stats.failures,
            rps: stats.rps,
            times: [stats.avg_ms, stats.min_ms, stats.max_ms],
            percentiles: &percentiles,
        };
        if let Err(why) = figures_make_sense(&figures) {
            bail!("{}: {why}", run.files.stats.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(5556), "5,556");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_interval_is_the_usual_step() {
        assert_eq!(interval_s([10, 12, 14, 16, 17].into_iter()), 2.0);
        assert_eq!(interval_s([10].into_iter()), 1.0);
    }
}
