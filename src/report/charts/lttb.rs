//! Downsampling that keeps spikes: Largest-Triangle-Three-Buckets (Steinarsson, 2013), as vegeta's
//! plots use. Averaging buckets flattens exactly the latency spikes a chart is drawn to show; LTTB
//! keeps, from each bucket, the point that spans the largest triangle with its neighbours.

/// At most `max` points of `points` (in x order), the first and last always among them.
pub fn lttb(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 3 {
        return points;
    }
    let n = points.len();
    let every = (n - 2) as f64 / (max - 2) as f64;
    let mut out = Vec::with_capacity(max);
    out.push(points[0]);
    let mut chosen = 0;
    for bucket in 0..max - 2 {
        let start = (bucket as f64 * every) as usize + 1;
        let end = (((bucket + 1) as f64 * every) as usize + 1).min(n - 1);
        // The next bucket's average is the third corner of the triangle.
        let next_end = (((bucket + 2) as f64 * every) as usize + 1).min(n);
        let next = &points[end..next_end.max(end + 1)];
        let count = next.len() as f64;
        let (ax, ay) = (
            next.iter().map(|p| p.0).sum::<f64>() / count,
            next.iter().map(|p| p.1).sum::<f64>() / count,
        );
        let (px, py) = points[chosen];
        let area = |p: &(f64, f64)| ((px - ax) * (p.1 - py) - (px - p.0) * (ay - py)).abs();
        let best = (start..end.max(start + 1))
            .max_by(|&i, &j| area(&points[i]).total_cmp(&area(&points[j])))
            .unwrap_or(start);
        out.push(points[best]);
        chosen = best;
    }
    out.push(points[n - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::lttb;

    #[test]
    fn short_lines_are_left_alone() {
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(lttb(line.clone(), 10), line);
    }

    #[test]
    fn a_one_second_spike_survives_a_hundredfold_reduction() {
        let mut line: Vec<(f64, f64)> = (0..30_000).map(|i| (i as f64, 20.0)).collect();
        line[12_345].1 = 900.0;
        let out = lttb(line, 300);
        assert_eq!(out.len(), 300);
        assert!(out.contains(&(12_345.0, 900.0)), "the spike is kept");
        assert_eq!(out.first(), Some(&(0.0, 20.0)));
        assert_eq!(out.last(), Some(&(29_999.0, 20.0)));
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "x stays in order");
    }
}
