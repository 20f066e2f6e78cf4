//! A record's samples reduced to medians, 90th percentiles and maxima.

use crate::model::{RunnerSample, RunnerSummary, Spread};

/// The summary of `samples` over `duration_s`; `None` without samples (a command that ended
/// before the first interval closed).
pub fn summarize(samples: &[RunnerSample], duration_s: f64) -> Option<RunnerSummary> {
    let of = |f: fn(&RunnerSample) -> f64| spread(samples.iter().map(f));
    let of_some = |f: fn(&RunnerSample) -> Option<f64>| spread(samples.iter().filter_map(f));
    Some(RunnerSummary {
        samples: samples.len(),
        duration_s,
        cpus_min: samples.iter().map(|s| s.cpus).min()?,
        cpus_max: samples.iter().map(|s| s.cpus).max()?,
        allowed_cpus: samples.iter().map(|s| s.allowed_cpus).min()?,
        busy: of(|s| s.busy)?,
        steal: of(|s| s.steal)?,
        iowait: of(|s| s.iowait)?,
        busiest_cpu: of(|s| s.busiest_cpu)?,
        load1: of(|s| s.load1)?,
        cpu_pressure: of_some(|s| s.cpu_pressure),
        command_cpu: of(|s| s.command_cpu)?,
        others_cpu: of(|s| s.others_cpu)?,
        command_wait: of_some(|s| s.command_wait),
        command_busiest_thread: of_some(|s| s.command_busiest_thread),
        rtt_ms: of_some(|s| s.rtt_ms),
        rtt_max_ms: of_some(|s| s.rtt_max_ms),
        rtt_lost: samples.iter().map(|s| s.rtt_lost).sum(),
    })
}

/// Median, 90th percentile (linear between the closest ranks) and maximum, to 4 decimals (the
/// samples' own precision); `None` when empty.
pub fn spread(values: impl Iterator<Item = f64>) -> Option<Spread> {
    let mut sorted: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 1e4).round() / 1e4;
    Some(Spread {
        median: round(quantile(&sorted, 0.5)),
        p90: round(quantile(&sorted, 0.9)),
        max: round(sorted[sorted.len() - 1]),
    })
}

/// The median of values already sorted (not empty).
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    quantile(sorted, 0.5)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_middle_and_the_ninetieth_percentile_between_ranks() {
        assert_eq!(spread(std::iter::empty()), None);
        let one = spread([0.25].into_iter()).unwrap();
        assert_eq!((one.median, one.p90, one.max), (0.25, 0.25, 0.25));
        // Even count: the median between the two middle values.
        let s = spread([4.0, 1.0, 3.0, 2.0].into_iter()).unwrap();
        assert_eq!(s.median, 2.5);
        // Rank 0.9 × 3 = 2.7: 3 + 0.7 × (4 - 3).
        assert!((s.p90 - 3.7).abs() < 1e-12);
        assert_eq!(s.max, 4.0);
        // Eleven values: rank 9 exactly, no interpolation.
        let s = spread((0..=10).map(f64::from)).unwrap();
        assert_eq!((s.median, s.p90), (5.0, 9.0));
        // A value that is not a number is left out, not sorted anywhere.
        let s = spread([1.0, f64::NAN, 3.0].into_iter()).unwrap();
        assert_eq!(s.median, 2.0);
    }
}
