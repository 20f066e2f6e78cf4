//! Small statistics used to tell change from noise.

/// The two-sided normal quantile for a confidence level (0.99 -> 2.576).
/// Abramowitz & Stegun 26.2.23; absolute error below 4.5e-4, plenty for a noise band.
pub fn z_for_confidence(confidence: f64) -> f64 {
    let p = ((1.0 - confidence) / 2.0).clamp(1e-12, 0.5);
    let t = (-2.0 * p.ln()).sqrt();
    t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
        / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
}

/// A sum in four running lanes: a plain float sum is one long chain of dependent additions, and a
/// day of full history sums tens of thousands of values per endpoint several times over.
pub fn sum(values: impl Iterator<Item = f64>) -> f64 {
    let mut lanes = [0.0f64; 4];
    for (i, v) in values.enumerate() {
        lanes[i % 4] += v;
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| sum(values.iter().copied()) / values.len() as f64)
}

pub fn std_dev(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    if values.len() < 2 {
        return None;
    }
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Some(var.sqrt())
}

pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// Least-squares line through `(x, y)`: (slope, intercept, r²).
pub fn linear_fit(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = x.len().min(y.len());
    if n < 3 {
        return None;
    }
    linear_fit_and_mean(x, y).map(|(slope, intercept, r2, _)| (slope, intercept, r2))
}

/// [`linear_fit`] and the mean of `y` (`mean(y)`, to the bit), in two passes over the data instead
/// of six: each sum is still [`sum`]'s four lanes in the same order, so every figure is the same.
pub fn linear_fit_and_mean(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let n = x.len().min(y.len());
    if n < 3 {
        return None;
    }
    let (x, y) = (&x[..n], &y[..n]);
    let lanes = |l: [f64; 4]| (l[0] + l[1]) + (l[2] + l[3]);
    let (mut sx, mut sy) = ([0.0f64; 4], [0.0f64; 4]);
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        sx[i % 4] += a;
        sy[i % 4] += b;
    }
    let (mx, my) = (lanes(sx) / n as f64, lanes(sy) / n as f64);
    let (mut xx, mut yy, mut xy) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        xx[i % 4] += (a - mx).powi(2);
        yy[i % 4] += (b - my).powi(2);
        xy[i % 4] += (a - mx) * (b - my);
    }
    let (sxx, syy, sxy) = (lanes(xx), lanes(yy), lanes(xy));
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let r2 = if syy == 0.0 {
        0.0
    } else {
        sxy * sxy / (sxx * syy)
    };
    Some((slope, my - slope * mx, r2, my))
}

/// The value at quantile `q` of a distribution known by a few of its quantiles, interpolating
/// linearly between them. `curve` is `(quantile, value)` in increasing quantile order.
pub fn value_at_quantile(curve: &[(f64, f64)], q: f64) -> Option<f64> {
    let first = curve.first()?;
    if q <= first.0 {
        return Some(first.1);
    }
    for pair in curve.windows(2) {
        let ((q0, v0), (q1, v1)) = (pair[0], pair[1]);
        if q <= q1 {
            let t = if q1 > q0 { (q - q0) / (q1 - q0) } else { 1.0 };
            return Some(v0 + t * (v1 - v0));
        }
    }
    curve.last().map(|p| p.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The two-pass fit gives every figure of the six separate sums it replaced, to the bit.
        #[test]
        fn the_fused_fit_equals_the_separate_sums(
            points in proptest::collection::vec((-1e6f64..1e6, -1e9f64..1e9), 0..300),
        ) {
            let (x, y): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
            let separate = (|| {
                if x.len() < 3 {
                    return None;
                }
                let (mx, my) = (mean(&x)?, mean(&y)?);
                let sxx = sum(x.iter().map(|v| (v - mx).powi(2)));
                let syy = sum(y.iter().map(|v| (v - my).powi(2)));
                let sxy = sum(x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)));
                if sxx == 0.0 {
                    return None;
                }
                let slope = sxy / sxx;
                let r2 = if syy == 0.0 { 0.0 } else { sxy * sxy / (sxx * syy) };
                Some([slope, my - slope * mx, r2, my].map(f64::to_bits))
            })();
            let fused = linear_fit_and_mean(&x, &y).map(|(a, b, c, d)| [a, b, c, d].map(f64::to_bits));
            proptest::prop_assert_eq!(fused, separate);
        }
    }

    #[test]
    fn z_matches_the_normal_table() {
        assert!((z_for_confidence(0.95) - 1.96).abs() < 0.01);
        assert!((z_for_confidence(0.99) - 2.576).abs() < 0.01);
    }

    #[test]
    fn a_line_is_fitted_exactly() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 3.0, 5.0, 7.0];
        let (slope, intercept, r2) = linear_fit(&x, &y).unwrap();
        assert!(
            (slope - 2.0).abs() < 1e-12
                && (intercept - 1.0).abs() < 1e-12
                && (r2 - 1.0).abs() < 1e-12
        );
    }

    #[test]
    fn quantiles_interpolate_between_known_points() {
        let curve = [(0.0, 1.0), (0.5, 10.0), (0.9, 20.0), (1.0, 100.0)];
        assert_eq!(value_at_quantile(&curve, 0.7), Some(15.0));
        assert_eq!(value_at_quantile(&curve, 1.5), Some(100.0));
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value_and_of_an_even_count_the_mean_of_the_two_middle_ones(
    ) {
        let cases: [(&[f64], Option<f64>); 6] = [
            (&[], None),
            (&[212.0], Some(212.0)),
            (&[180.0, 95.0], Some(137.5)),
            (&[120.0, 80.0, 95.0], Some(95.0)),
            (&[130.0, 80.0, 120.0, 95.0], Some(107.5)),
            (&[95.0, 95.0, 95.0, 400.0, 95.0], Some(95.0)),
        ];
        for (values, expected) in cases {
            assert_eq!(median(values), expected, "{values:?}");
        }
    }

    #[test]
    fn the_standard_deviation_needs_two_values_and_uses_the_sample_denominator() {
        assert_eq!(std_dev(&[]), None);
        assert_eq!(std_dev(&[87.0]), None);
        // (100 - 105)² + (110 - 105)² = 50, over n - 1 = 1.
        assert!((std_dev(&[100.0, 110.0]).unwrap() - 50f64.sqrt()).abs() < 1e-12);
        assert_eq!(std_dev(&[42.0, 42.0, 42.0]), Some(0.0));
        // 2, 4, 4, 4, 5, 5, 7, 9: sum of squares 32 over 7.
        let sd = std_dev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert!((sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12, "{sd}");
    }

    #[test]
    fn the_mean_of_nothing_is_none_and_the_lane_sum_keeps_every_value() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[10.0, 20.0, 30.0, 40.0, 50.0]), Some(30.0));
        assert_eq!(sum([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0].into_iter()), 28.0);
    }

    #[test]
    fn a_line_needs_three_points_and_a_spread_of_x() {
        // Two points always fit exactly, which would say nothing.
        assert_eq!(linear_fit(&[0.0, 1.0], &[100.0, 140.0]), None);
        assert!(linear_fit(&[0.0, 1.0, 2.0], &[100.0, 120.0, 140.0]).is_some());
        // The shorter of x and y decides how many points there are.
        assert_eq!(linear_fit(&[0.0, 1.0, 2.0], &[100.0, 120.0]), None);
        // All at the same x: no slope can be fitted.
        assert_eq!(linear_fit(&[5.0, 5.0, 5.0], &[100.0, 120.0, 140.0]), None);
    }

    #[test]
    fn a_flat_series_has_zero_slope_and_zero_r2() {
        let (slope, intercept, r2) =
            linear_fit(&[0.0, 1.0, 2.0, 3.0], &[250.0, 250.0, 250.0, 250.0]).unwrap();
        assert_eq!((slope, intercept, r2), (0.0, 250.0, 0.0));
    }

    #[test]
    fn r2_says_how_much_of_the_spread_the_line_explains() {
        // A climb with one step back: the line explains most of the spread, not all of it.
        let (slope, _, r2) =
            linear_fit(&[0.0, 1.0, 2.0, 3.0], &[100.0, 130.0, 120.0, 150.0]).unwrap();
        assert!((slope - 14.0).abs() < 1e-12, "{slope}");
        // sxy = 70, sxx = 5, syy = 1300: r² = 4900 / 6500.
        assert!((r2 - 4900.0 / 6500.0).abs() < 1e-12, "{r2}");
    }

    #[test]
    fn a_quantile_outside_the_known_ones_takes_the_nearest_end() {
        let curve = [(0.5, 40.0), (0.95, 120.0), (0.99, 300.0)];
        let cases = [
            (0.0, Some(40.0)),
            (0.5, Some(40.0)),
            (0.725, Some(80.0)),
            (0.95, Some(120.0)),
            (0.99, Some(300.0)),
            (0.999, Some(300.0)),
            (1.0, Some(300.0)),
        ];
        for (q, expected) in cases {
            let got = value_at_quantile(&curve, q);
            assert!(
                got.zip(expected).is_some_and(|(g, e)| (g - e).abs() < 1e-9),
                "q {q}: {got:?}"
            );
        }
        assert_eq!(value_at_quantile(&[], 0.5), None);
        assert_eq!(value_at_quantile(&[(0.95, 120.0)], 0.99), Some(120.0));
    }

    #[test]
    fn a_repeated_quantile_is_a_step_that_reads_the_value_below_it_at_the_level() {
        let curve = [(0.5, 40.0), (0.9, 90.0), (0.9, 110.0), (1.0, 200.0)];
        assert_eq!(value_at_quantile(&curve, 0.9), Some(90.0));
        let above = value_at_quantile(&curve, 0.95).unwrap();
        assert!((above - 155.0).abs() < 1e-9, "{above}");
    }
}
