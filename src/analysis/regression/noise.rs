//! Between-run noise: how much a figure moves between runs of one unchanged build, and the part of
//! a change that the machine explains.
//!
//! What is left of a change beyond any run-wide shift ([`super::shifts`]) is held against the
//! **between-run noise** of the metric: learned from the kept runs of a rolling baseline when there
//! are at least [`MIN_KEPT`] (a prediction interval of one more run, t-distributed, on log values),
//! otherwise the larger of the profile's prior and what the runs themselves show (how far the two
//! halves of each run's steady state lie apart). With the probes' level in every kept run, the
//! kept runs' spread is split into the machine's part and the endpoint's own ([`machine_fit`]).

use crate::analysis::stats::{mean, median, std_dev};

/// The fewest kept runs from which a spread is learned.
pub const MIN_KEPT: usize = 3;
/// Up to this many kept runs, their interval is never wider than the prior's for one baseline run:
/// with t(2) = 9.9 at 99%, three runs that differ by a rounding step would otherwise allow ±969%.
pub const FEW_KEPT: usize = 5;

/// Where a noise estimate came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// Learned from this many kept runs.
    KeptRuns(usize),
    /// The profile's `[regression]` prior.
    Prior,
    /// How far the halves of the runs' steady states lie apart.
    SplitHalves,
    /// What this many kept runs predict on a machine as busy as the current run's ([`MachineFit`]).
    MachineFit(usize),
}

/// How large a relative change must be to stand out of the between-run noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// The relative change (0.5 = +50%) below which a change is noise.
    pub bound: f64,
    pub source: Source,
}

impl Source {
    /// As the JSON report names it.
    pub fn key(self) -> &'static str {
        match self {
            Source::KeptRuns(_) => "kept_runs",
            Source::Prior => "prior",
            Source::SplitHalves => "split_halves",
            Source::MachineFit(_) => "machine_fit",
        }
    }
}

impl Noise {
    pub fn describe(&self) -> String {
        match self.source {
            Source::KeptRuns(n) => format!(
                "±{:.0}%, the spread of the {n} kept runs",
                self.bound * 100.0
            ),
            Source::Prior => format!(
                "±{:.0}%, the profile's prior for one baseline run",
                self.bound * 100.0
            ),
            Source::SplitHalves => format!(
                "±{:.0}%, from how far the halves of the runs lie apart",
                self.bound * 100.0
            ),
            Source::MachineFit(n) => format!(
                "up to {:+.0}%, what the {n} kept runs predict for a machine this busy",
                self.bound * 100.0
            ),
        }
    }
}

/// The between-run noise of a metric. `kept` are its values in the kept runs; with at least
/// [`MIN_KEPT`] of them the bound is the upper end of a prediction interval for one more run,
/// `t(n-1) · sd · sqrt(1 + 1/n)` on log values. Otherwise two runs each carry noise `sigma`
/// (the larger of `prior` and `halves`, a relative standard deviation), so their difference
/// needs `z · sigma · sqrt(2)`.
pub fn between_runs(kept: &[f64], prior: f64, halves: Option<f64>, z: f64) -> Noise {
    // Locust rounds percentiles (to 1 ms up to 100 ms, 10 ms up to 1 s, 100 ms above): kept runs
    // that agree to the rounding have a spread of at least one step, not none.
    let step = median(kept).map_or(0.0, |m| locust_step(m) / m.max(f64::MIN_POSITIVE));
    let (sigma, source) = match halves {
        Some(h) if h > prior => (h, Source::SplitHalves),
        _ => (prior, Source::Prior),
    };
    let one_run = z * sigma * 2f64.sqrt();
    let logs: Vec<f64> = within_resolution(kept)
        .into_iter()
        .filter(|v| *v > 0.0)
        .map(f64::ln)
        .collect();
    if logs.len() >= MIN_KEPT {
        if let Some(sd) = std_dev(&logs) {
            let n = logs.len() as f64;
            let t = t_quantile(z, n - 1.0);
            let bound = (t * sd * (1.0 + 1.0 / n).sqrt()).exp() - 1.0;
            let within = halves.map_or(0.0, |h| (z * h * 2f64.sqrt()).exp() - 1.0);
            let mut bound = bound.max(within).max(step);
            if logs.len() <= FEW_KEPT {
                bound = bound.min(one_run.max(step));
            }
            return Noise {
                bound,
                source: Source::KeptRuns(logs.len()),
            };
        }
    }
    Noise {
        bound: one_run,
        source,
    }
}

/// The kept values with the part of their spread that Locust's rounding explains taken out: each
/// moves toward their median by up to half a rounding step (integer ms at 2 ms are 2 and 3 for a
/// true 2.4 and 2.6; their difference is the rounding's, not the runs').
pub fn within_resolution(kept: &[f64]) -> Vec<f64> {
    let Some(m) = median(kept) else {
        return Vec::new();
    };
    let half = locust_step(m) / 2.0;
    kept.iter()
        .map(|v| {
            let off = v - m;
            m + off.signum() * (off.abs() - half).max(0.0)
        })
        .collect()
}

/// The fewest kept runs a machine fit is learned from: two parameters, and at least two degrees of
/// freedom left for the spread around them.
pub const MIN_FIT: usize = 4;

/// What the kept runs predict for an endpoint on a machine as busy as the current run's: its
/// value against the probes' level, fitted over the kept runs (least squares, `value = a + b ·
/// probes`). Kept runs made on runners in different states spread widely (a hog beside one of
/// them doubles every endpoint), and that spread would hide any change; the part of it the probes
/// explain is the machine's, and what is left is the endpoint's own noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineFit {
    /// The value the kept runs predict at the current probes' level (ms).
    pub predicted: f64,
    /// The upper half-width of the prediction interval for one more run (ms).
    pub half_width: f64,
    /// The kept runs fitted.
    pub runs: usize,
    /// The current probes' level (ms) and the slope (ms of this endpoint per ms of the probes).
    pub probes_now: f64,
    pub slope: f64,
}

impl MachineFit {
    pub fn upper(&self) -> f64 {
        self.predicted + self.half_width
    }

    pub fn describe(&self) -> String {
        format!(
            "{:.0} ms ± {:.0} ms, what the {} kept runs predict with the probes at {:.0} ms (+{:.2} ms per probe ms)",
            self.predicted, self.half_width, self.runs, self.probes_now, self.slope
        )
    }
}

/// Fits `kept` (the probes' level, this endpoint's value) of the kept runs and predicts the value
/// at `probes_now`. `None` when there are fewer than [`MIN_FIT`] runs, when the probes hardly
/// varied between them (less than one rounding step: nothing to learn the machine's part from),
/// when the endpoint did not rise with them (slope ≤ 0: the machine does not explain it), or when
/// the line predicts no time at all at `probes_now` (extrapolated past where it holds).
pub fn machine_fit(kept: &[(f64, f64)], probes_now: f64, z: f64) -> Option<MachineFit> {
    let n = kept.len();
    if n < MIN_FIT || !probes_now.is_finite() {
        return None;
    }
    let nf = n as f64;
    let mean_p = kept.iter().map(|k| k.0).sum::<f64>() / nf;
    let mean_v = kept.iter().map(|k| k.1).sum::<f64>() / nf;
    let sxx: f64 = kept.iter().map(|k| (k.0 - mean_p).powi(2)).sum();
    let spread_p = (sxx / (nf - 1.0)).sqrt();
    if spread_p < locust_step(mean_p) {
        return None;
    }
    let sxy: f64 = kept.iter().map(|k| (k.0 - mean_p) * (k.1 - mean_v)).sum();
    let slope = sxy / sxx;
    if slope.is_nan() || slope <= 0.0 {
        return None;
    }
    let intercept = mean_v - slope * mean_p;
    let residual: f64 = kept
        .iter()
        .map(|k| (k.1 - intercept - slope * k.0).powi(2))
        .sum();
    let sigma = (residual / (nf - 2.0)).sqrt();
    let t = t_quantile(z, nf - 2.0);
    let leverage = 1.0 + 1.0 / nf + (probes_now - mean_p).powi(2) / sxx;
    let predicted = intercept + slope * probes_now;
    if predicted <= 0.0 {
        // Extrapolated below no time at all: the line does not reach this far.
        return None;
    }
    // Locust rounds what it writes: runs that agree to the rounding still differ by one step.
    let half_width = (t * sigma * leverage.sqrt()).max(locust_step(predicted.max(mean_v)));
    Some(MachineFit {
        predicted,
        half_width,
        runs: n,
        probes_now,
        slope,
    })
}

/// The rounding step of a percentile near `value` in Locust's files.
fn locust_step(value: f64) -> f64 {
    if value < 100.0 {
        1.0
    } else if value < 1000.0 {
        10.0
    } else {
        100.0
    }
}

/// How far the two halves of a per-interval series lie apart, relative to its mean: a run that
/// wanders this much within itself wanders at least as much from the next run.
pub fn split_halves(series: &[f64]) -> Option<f64> {
    if series.len() < 10 {
        return None;
    }
    let (first, second) = series.split_at(series.len() / 2);
    let all = mean(series)?;
    let gap = (mean(first)? - mean(second)?).abs();
    (all > 0.0).then(|| gap / all)
}

/// The two-sided Student t quantile for `df` degrees of freedom at the confidence of the normal
/// quantile `z` (Cornish–Fisher expansion; within 1% from 4 degrees of freedom, 12% low at 2).
pub fn t_quantile(z: f64, df: f64) -> f64 {
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df * df)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df.powi(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_baseline_run_uses_the_larger_of_the_prior_and_the_halves() {
        let z = 2.576;
        let prior = between_runs(&[100.0], 0.15, Some(0.05), z);
        assert_eq!(prior.source, Source::Prior);
        assert!((prior.bound - z * 0.15 * 2f64.sqrt()).abs() < 1e-12);
        let halves = between_runs(&[100.0], 0.15, Some(0.151), z);
        assert_eq!(halves.source, Source::SplitHalves);
        assert_eq!(
            between_runs(&[100.0, 110.0], 0.15, None, z).source,
            Source::Prior
        );
    }

    #[test]
    fn three_kept_runs_are_a_spread_of_their_own() {
        let z = 2.576;
        let quiet = between_runs(&[100.0, 101.0, 99.0], 0.15, None, z);
        assert_eq!(quiet.source, Source::KeptRuns(3));
        // ±1% over three runs: t(2) = 8.8 makes it ±11%, still far inside the prior's ±55%.
        assert!((0.10..0.12).contains(&quiet.bound), "{}", quiet.bound);
        let rounded = between_runs(&[62.0, 62.0, 62.0], 0.15, None, z);
        assert!(
            (rounded.bound - 1.0 / 62.0).abs() < 1e-12,
            "one rounding step"
        );
        let wild = between_runs(&[60.0, 100.0, 180.0], 0.15, None, z);
        let prior = z * 0.15 * 2f64.sqrt();
        assert_eq!(
            wild.bound, prior,
            "a few runs: no wider than one run's prior"
        );
        let six = between_runs(&[60.0, 100.0, 180.0, 70.0, 150.0, 90.0], 0.15, None, z);
        assert!(
            six.bound > prior,
            "six runs show their own spread: {}",
            six.bound
        );
    }

    #[test]
    fn kept_runs_at_a_few_milliseconds_respect_the_rounding() {
        let z = 2.576;
        // Issue 32: three P50s of 2-3 ms gave ±969%.
        let small = between_runs(&[2.0, 3.0, 2.0], 0.15, None, z);
        assert!(small.bound <= z * 0.15 * 2f64.sqrt(), "{}", small.bound);
        assert_eq!(within_resolution(&[2.0, 3.0, 2.0]), [2.0, 2.5, 2.0]);
        assert_eq!(within_resolution(&[2.0, 2.0, 2.0]), [2.0, 2.0, 2.0]);
        // Just inside and just outside half a step: 2.4 stays at the median, 2.6 keeps 0.1.
        let moved = within_resolution(&[2.0, 2.4, 2.0, 1.4]);
        assert!((moved[1] - 2.0).abs() < 1e-12 && (moved[3] - 1.9).abs() < 1e-12);
        // Above 100 ms the step is 10 ms.
        assert_eq!(
            within_resolution(&[200.0, 204.0, 190.0]),
            [200.0, 200.0, 195.0]
        );
    }

    #[test]
    fn a_machine_fit_predicts_from_the_probes_and_needs_four_runs_that_vary() {
        let z = 2.576;
        // An endpoint at 50 ms plus twice the probes' level, to within ±1 ms.
        let kept = [
            (5.0, 61.0),
            (10.0, 69.0),
            (20.0, 91.0),
            (30.0, 109.0),
            (8.0, 66.0),
        ];
        let fit = machine_fit(&kept, 6.0, z).expect("a fit");
        assert!((fit.slope - 1.98).abs() < 0.1, "{fit:?}");
        assert!((fit.predicted - 62.0).abs() < 1.5, "{fit:?}");
        assert!(fit.half_width < 10.0, "{fit:?}");
        assert!(fit.upper() < 120.0 * 0.6, "2x the calm value stands out");
        // Just below four runs: no fit.
        assert_eq!(machine_fit(&kept[..3], 6.0, z), None);
        assert!(machine_fit(&kept[..4], 6.0, z).is_some());
        // Probes that did not vary by a rounding step teach nothing of the machine.
        let still = [(5.0, 61.0), (5.2, 69.0), (5.4, 91.0), (5.0, 109.0)];
        assert_eq!(machine_fit(&still, 5.0, z), None);
        // An endpoint that fell as the probes rose is not explained by the machine.
        let against = [(5.0, 100.0), (10.0, 90.0), (20.0, 80.0), (30.0, 70.0)];
        assert_eq!(machine_fit(&against, 5.0, z), None);
        // A line that reaches below zero at the current probes predicts nothing.
        let steep = [(10.0, 10.0), (20.0, 60.0), (30.0, 110.0), (40.0, 160.0)];
        assert_eq!(machine_fit(&steep, 5.0, z), None);
        assert!(
            machine_fit(&steep, 9.0, z).is_some(),
            "just inside: -40 + 5 x 9 = 5 ms"
        );
        // Far from where the kept runs were, the interval widens.
        let far = machine_fit(&kept, 100.0, z).unwrap();
        assert!(far.half_width > fit.half_width * 2.0, "{far:?}");
    }

    #[test]
    fn halves_need_ten_intervals() {
        assert_eq!(split_halves(&[1.0; 9]), None);
        let series: Vec<f64> = (0..10).map(|i| if i < 5 { 90.0 } else { 110.0 }).collect();
        assert!((split_halves(&series).unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn t_quantiles_approach_the_table() {
        let z = 2.576;
        assert!((t_quantile(z, 4.0) - 4.604).abs() / 4.604 < 0.02);
        assert!((t_quantile(z, 9.0) - 3.250).abs() / 3.250 < 0.01);
        assert!((t_quantile(z, 1e9) - z).abs() < 1e-6);
    }
}
