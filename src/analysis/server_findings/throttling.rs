//! CPU throttling (cAdvisor's CFS counters) while latency rose.

use super::*;

/// CPU throttled while latency rose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throttling {
    pub series: String,
    pub rise: LatencyRise,
    /// Mean share of CFS periods throttled while latency was high, and before.
    pub throttled_share: f64,
    pub throttled_before: f64,
    /// Pearson r of the throttled share with mean latency at the best lag (s; positive: latency
    /// lags throttling).
    pub r: f64,
    pub lag_s: i64,
    pub reason: String,
}

/// Is throttling strong enough to name? `share`: throttled share while latency was high;
/// `before`: the share before; `r`: correlation with latency.
pub fn throttling_is_strong(share: f64, before: f64, r: f64) -> bool {
    share >= THROTTLED_MIN_SHARE && before <= share / 2.0 && r >= THROTTLED_MIN_R
}

/// Throttling series that rose with latency, each with its share and correlation.
pub fn throttling(server: &[ServerSeries], client: &[Interval]) -> Vec<Throttling> {
    let Some(rise) = latency_rise(client).or_else(|| {
        knee(client).map(|k| LatencyRise {
            from: k.at,
            to: client.last().map_or(k.at, |i| i.timestamp),
            before_ms: k.latency_before_ms,
            after_ms: k.latency_after_ms,
        })
    }) else {
        return Vec::new();
    };
    let (Some(first), Some(last)) = (client.first(), client.last()) else {
        return Vec::new();
    };
    let (from, to) = (first.timestamp - 1, last.timestamp);
    let (_, latency) = client_per_second(client, from, to);
    let latency = smooth(&latency, BUCKET_S as usize);
    let mut out = Vec::new();
    for series in of_kind(server, Kind::Throttled) {
        let scaled: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(t, v)| (t, v * unit_scale(series)))
            .collect();
        let values = smooth(&per_second(&scaled, from, to, 5.0), BUCKET_S as usize);
        let Some((r, lag)) = best_lag(&values, &latency, MAX_LAG_S) else {
            continue;
        };
        let (Some(share), before) = (
            mean_within(series, rise.from as f64, rise.to as f64),
            mean_within(series, from as f64, rise.from as f64 - BUCKET_S).unwrap_or(0.0),
        ) else {
            continue;
        };
        if !throttling_is_strong(share, before, r) {
            continue;
        }
        let name = series_name(series);
        let reason = format!(
            "CPU throttled: {name} throttled {:.0}% of CFS periods while mean latency rose from {:.0} to {:.0} ms ({:.0}% before; r = {r:.2}, lag {lag} s): the CPU quota, not the load, set the pace: raise the limit or remove it",
            share * 100.0,
            rise.before_ms,
            rise.after_ms,
            before * 100.0
        );
        out.push(Throttling {
            series: name,
            rise: rise.clone(),
            throttled_share: share,
            throttled_before: before,
            r,
            lag_s: lag,
            reason,
        });
    }
    out
}
