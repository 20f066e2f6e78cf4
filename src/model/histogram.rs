//! A response-time histogram as Locust's JSON keeps it: bucketed milliseconds → request count.
//! With it, every percentile is exact (not interpolated between the CSV's eleven), and the
//! sampling noise of a percentile or of the mean comes from the whole distribution.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Keyed by the bits of a non-negative f64, which sort as the numbers do.
    buckets: BTreeMap<u64, u64>,
}

impl Histogram {
    pub fn add(&mut self, ms: f64, count: u64) {
        let ms = if ms == 0.0 { 0.0 } else { ms };
        let slot = self.buckets.entry(ms.to_bits()).or_insert(0);
        *slot = slot.saturating_add(count);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&bits, &count) in &other.buckets {
            self.add(f64::from_bits(bits), count);
        }
    }

    pub fn total(&self) -> u64 {
        self.buckets
            .values()
            .fold(0u64, |a, &c| a.saturating_add(c))
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// `(ms, count)` from the fastest bucket up.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (f64, u64)> + '_ {
        self.buckets
            .iter()
            .map(|(&bits, &c)| (f64::from_bits(bits), c))
    }

    /// Locust's `calculate_response_time_percentile`: walk the buckets from the slowest down and
    /// return the first whose requests, with all slower ones, leave at most `int(n * p)` below it.
    pub fn percentile(&self, num_requests: u64, percent: f64) -> f64 {
        let allowed_below = (num_requests as f64 * percent) as u64;
        let mut processed = 0u64;
        for (ms, count) in self.iter().rev() {
            processed = processed.saturating_add(count);
            if num_requests.saturating_sub(processed) <= allowed_below {
                return ms;
            }
        }
        0.0
    }

    /// The `rank`-th fastest request (1-based; clamped to the requests there are).
    pub fn at_rank(&self, rank: u64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = rank.clamp(1, total);
        let mut seen = 0u64;
        for (ms, count) in self.iter() {
            seen = seen.saturating_add(count);
            if seen >= rank {
                return Some(ms);
            }
        }
        None
    }

    /// The distribution-free confidence interval of quantile `q`: the order statistics at ranks
    /// `n·q ∓ z·sqrt(n·q·(1-q))`, rounded outwards: how many requests fall below the true quantile
    /// is binomial, here in its normal approximation.
    pub fn quantile_interval(&self, q: f64, z: f64) -> Option<(f64, f64)> {
        let n = self.total() as f64;
        if n == 0.0 {
            return None;
        }
        let q = q.clamp(0.0, 1.0);
        let half = z * (n * q * (1.0 - q)).sqrt();
        let lo = (n * q - half).floor().max(1.0) as u64;
        let hi = (n * q + half).ceil().max(1.0) as u64;
        Some((self.at_rank(lo)?, self.at_rank(hi)?))
    }

    /// Mean and variance of the bucketed values (`None` when empty).
    pub fn moments(&self) -> Option<(f64, f64)> {
        let n = self.total() as f64;
        if n == 0.0 {
            return None;
        }
        let mean = self.iter().map(|(ms, c)| ms * c as f64).sum::<f64>() / n;
        let variance = self
            .iter()
            .map(|(ms, c)| (ms - mean).powi(2) * c as f64)
            .sum::<f64>()
            / n;
        Some((mean, variance))
    }
}

/// Stored as `[[ms, count], …]` from the fastest bucket up (baselines keep it).
impl Serialize for Histogram {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Histogram {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(f64, u64)>::deserialize(deserializer)?;
        let mut histogram = Histogram::default();
        for (ms, count) in pairs {
            if !(ms.is_finite() && ms >= 0.0) {
                return Err(serde::de::Error::custom(format!(
                    "a histogram bucket at {ms} ms (buckets are finite and not negative)"
                )));
            }
            histogram.add(ms, count);
        }
        Ok(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(pairs: &[(f64, u64)]) -> Histogram {
        let mut h = Histogram::default();
        for &(ms, n) in pairs {
            h.add(ms, n);
        }
        h
    }

    #[test]
    fn percentiles_walk_down_from_the_slowest_bucket_as_locust_does() {
        // 10 requests: 1 ms x5, 2 ms x3, 150 ms x2.
        let h = hist(&[(1.0, 5), (2.0, 3), (150.0, 2)]);
        // 50%: after 150 (2) and 2 (3), 5 requests are left below: int(10 * 0.5) = 5, so 2 ms.
        assert_eq!(h.percentile(10, 0.5), 2.0);
        assert_eq!(h.percentile(10, 0.66), 2.0);
        assert_eq!(h.percentile(10, 0.79), 2.0);
        assert_eq!(h.percentile(10, 0.8), 150.0);
        assert_eq!(h.percentile(10, 0.9), 150.0);
        assert_eq!(h.percentile(10, 1.0), 150.0);
        // Two requests: Locust's 50% is the upper one.
        assert_eq!(hist(&[(3.0, 1), (9.0, 1)]).percentile(2, 0.5), 9.0);
        assert_eq!(Histogram::default().percentile(0, 0.5), 0.0);
    }

    #[test]
    fn the_same_bucket_written_twice_is_one_bucket() {
        let h = hist(&[(150.0, 1), (150.0, 2), (0.0, 1), (-0.0, 1)]);
        assert_eq!(h.buckets(), 2);
        assert_eq!(h.total(), 5);
    }

    #[test]
    fn ranks_are_one_based_and_clamped() {
        let h = hist(&[(1.0, 5), (2.0, 3), (150.0, 2)]);
        assert_eq!(h.at_rank(0), Some(1.0));
        assert_eq!(h.at_rank(5), Some(1.0));
        assert_eq!(h.at_rank(6), Some(2.0), "just past the first bucket");
        assert_eq!(h.at_rank(8), Some(2.0));
        assert_eq!(h.at_rank(9), Some(150.0));
        assert_eq!(h.at_rank(99), Some(150.0));
        assert_eq!(Histogram::default().at_rank(1), None);
    }

    #[test]
    fn a_quantile_interval_is_the_order_statistics_around_its_rank() {
        // 1,000 requests at 1..=1000 ms: the median's 95% interval is ranks 500 ∓ 30.99, outwards.
        let mut h = Histogram::default();
        for ms in 1..=1000 {
            h.add(ms as f64, 1);
        }
        let (lo, hi) = h.quantile_interval(0.5, 1.96).unwrap();
        assert_eq!((lo, hi), (469.0, 531.0));
        // The interval narrows with more requests of the same shape.
        let mut wide = Histogram::default();
        for ms in 1..=1000 {
            wide.add(ms as f64, 100);
        }
        let (lo, hi) = wide.quantile_interval(0.5, 1.96).unwrap();
        assert!((lo, hi) == (497.0, 504.0), "{lo} {hi}");
        // At the edges it stops at the fastest and slowest request.
        assert_eq!(h.quantile_interval(1.0, 1.96), Some((1000.0, 1000.0)));
        assert_eq!(h.quantile_interval(0.0, 1.96), Some((1.0, 1.0)));
        assert_eq!(Histogram::default().quantile_interval(0.5, 1.96), None);
    }

    #[test]
    fn moments_are_those_of_the_buckets() {
        let (mean, variance) = hist(&[(10.0, 3), (20.0, 1)]).moments().unwrap();
        assert_eq!(mean, 12.5);
        assert_eq!(variance, 18.75);
        assert_eq!(Histogram::default().moments(), None);
    }

    #[test]
    fn it_is_stored_as_pairs_and_refuses_negative_buckets() {
        let h = hist(&[(150.0, 2), (1.0, 5)]);
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(text, "[[1.0,5],[150.0,2]]");
        assert_eq!(serde_json::from_str::<Histogram>(&text).unwrap(), h);
        assert!(serde_json::from_str::<Histogram>("[[-1.0,5]]").is_err());
        assert!(serde_json::from_str::<Histogram>("[[1.0,-5]]").is_err());
    }
}
