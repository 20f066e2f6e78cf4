//! Saturation at a ramp's knee: the CPU resource at its ceiling when throughput stopped growing.

use super::*;

/// The point of a ramp where throughput stopped growing while users and latency rose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knee {
    /// Unix seconds: the end of the first bucket at [`KNEE_SHARE`] of the best throughput.
    pub at: i64,
    pub users: u64,
    pub rps: f64,
    pub top_users: u64,
    /// Mean latency of the first buckets and of the last ones (ms).
    pub latency_before_ms: f64,
    pub latency_after_ms: f64,
}

/// The knee of a ramp, by the rules of `analysis::capacity` read per [`BUCKET_S`] bucket: the
/// first bucket at [`KNEE_SHARE`] of the best throughput, when users rose by
/// [`KNEE_MIN_USER_GROWTH`] after it and mean latency at the top is [`LATENCY_RISE_FACTOR`] times
/// (and [`LATENCY_RISE_MIN_MS`] above) the first buckets'.
pub fn knee(client: &[Interval]) -> Option<Knee> {
    let levels: std::collections::BTreeSet<u64> = client.iter().map(|i| i.users).collect();
    if levels.len() < RAMP_MIN_LEVELS {
        return None;
    }
    let buckets: Vec<Bucket> = buckets(client)
        .into_iter()
        .filter(|b| b.users > 0 && b.requests > 0)
        .collect();
    if buckets.len() < 4 {
        return None;
    }
    let (first_users, top_users) = (buckets[0].users, buckets.iter().map(|b| b.users).max()?);
    if top_users < 2 * first_users.max(1) {
        return None;
    }
    let best = buckets.iter().map(|b| b.rps).fold(0.0, f64::max);
    let knee = buckets.iter().find(|b| b.rps >= KNEE_SHARE * best)?;
    let (before, after) = latency_ends(&buckets)?;
    let rose = before.is_finite()
        && after >= LATENCY_RISE_FACTOR * before
        && after - before >= LATENCY_RISE_MIN_MS;
    let users_rose = top_users as f64 >= KNEE_MIN_USER_GROWTH * knee.users as f64;
    (rose && users_rose).then_some(Knee {
        at: knee.end,
        users: knee.users,
        rps: knee.rps,
        top_users,
        latency_before_ms: before,
        latency_after_ms: after,
    })
}

/// A CPU resource at its ceiling at the knee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saturation {
    pub series: String,
    pub knee: Knee,
    /// The resource's level in the bucket after the knee: cores, or the machine's busy share for
    /// node CPU.
    pub at_knee: f64,
    /// Its level from the bucket after the knee to the end of the ramp (the plateau).
    pub level: f64,
    /// What it was at the ceiling of: `"its 0.5-core quota"`, `"the machine's 2 cores"`, `"one core"`.
    pub ceiling: String,
    /// The plateau's share of the ceiling; for the machine's CPU as a whole, how busy it was.
    pub share: f64,
    /// Pearson r of the resource with throughput up to the knee, at the best lag (s; positive: the
    /// resource lags throughput).
    pub r: f64,
    pub lag_s: i64,
    pub reason: String,
}

/// Is a resource saturated at the knee? `r`: its correlation with throughput before the knee;
/// `growth_after`: its plateau over its level in the bucket after the knee; `share`: its plateau
/// over its ceiling.
pub fn saturation_is_strong(r: f64, growth_after: f64, share: f64) -> bool {
    r >= SATURATION_MIN_R && growth_after <= SATURATION_MAX_GROWTH && share >= SATURATION_MIN_SHARE
}

/// The ceilings a CPU series can meet, best first, each as (the series' share of it, what it is):
/// a quota on the same target, the machine's cores, one core (a single-threaded process or a
/// single worker), and last the machine's CPU as a whole when node_exporter shows it busy over
/// `plateau` (then the process got no more CPU than others left it).
pub(super) fn ceilings(
    server: &[ServerSeries],
    cpu: &ServerSeries,
    kind: Kind,
    level: f64,
    plateau: (f64, f64),
) -> Vec<(f64, String)> {
    if kind == Kind::NodeCpu {
        return vec![(level, "the machine's CPU".to_string())];
    }
    let mut out = Vec::new();
    for quota in of_kind(server, Kind::CpuQuota).filter(|q| same_target(q, cpu)) {
        if let Some(&(_, cores)) = quota.points.last().filter(|p| p.1 > 0.0) {
            out.push((
                level / cores,
                format!("its {} CPU quota", cores_text(cores)),
            ));
        }
    }
    if let Some(cores) = of_kind(server, Kind::NodeCores)
        .filter_map(|s| s.points.last().map(|p| p.1))
        .find(|c| *c >= 1.0)
    {
        out.push((
            level / cores,
            format!("the machine's {}", cores_text(cores)),
        ));
    }
    out.push((level, "one core (a single thread or worker)".to_string()));
    if let Some(busy) = of_kind(server, Kind::NodeCpu)
        .filter_map(|s| mean_within(s, plateau.0, plateau.1))
        .reduce(f64::max)
    {
        out.push((
            busy,
            format!(
                "{MACHINE_BUSY}{:.0}% busy, other processes included)",
                busy * 100.0
            ),
        ));
    }
    out
}

/// How the ceiling "the machine's CPU as a whole, that busy" is named (and told apart).
pub(super) const MACHINE_BUSY: &str = "the machine's CPU (";

pub(super) fn cores_text(cores: f64) -> String {
    if (cores - 1.0).abs() < 1e-9 {
        "1 core".to_string()
    } else if cores.fract().abs() < 1e-9 {
        format!("{cores:.0} cores")
    } else {
        format!("{cores}-core")
    }
}

/// The CPU resource saturated at a ramp's knee, if one was: the one at the highest share of its
/// ceiling among those that pass [`saturation_is_strong`].
pub fn saturation(server: &[ServerSeries], client: &[Interval]) -> Option<Saturation> {
    let knee = knee(client)?;
    let from = client.first()?.timestamp - 1;
    let to = client.last()?.timestamp;
    let (rps, _) = client_per_second(client, from, to);
    let rps = smooth(&rps, BUCKET_S as usize);
    let knee_i = (knee.at - from) as usize;
    let mut best: Option<Saturation> = None;
    for series in server {
        let kind = kind_of(series);
        if !matches!(kind, Kind::Cpu | Kind::NodeCpu) {
            continue;
        }
        let scaled: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(t, v)| (t, v * unit_scale(series)))
            .collect();
        let values = smooth(&per_second(&scaled, from, to, 5.0), BUCKET_S as usize);
        let Some((r, lag)) = best_lag(&rps[..=knee_i.min(rps.len() - 1)], &values, MAX_LAG_S)
        else {
            continue;
        };
        let around = |lo: i64, hi: i64| {
            mean_within(series, lo as f64, hi as f64).filter(|v| v.is_finite() && *v > 0.0)
        };
        // Its level in the bucket after the knee, and from there to the end: the plateau.
        let (Some(at_knee), Some(level)) = (
            around(knee.at, knee.at + BUCKET_S as i64),
            around(knee.at + BUCKET_S as i64, to),
        ) else {
            continue;
        };
        let plateau = ((knee.at + BUCKET_S as i64) as f64, to as f64);
        let Some((share, what)) = ceilings(server, series, kind, level, plateau)
            .into_iter()
            .find(|(share, _)| *share >= SATURATION_MIN_SHARE)
        else {
            continue;
        };
        if !saturation_is_strong(r, level / at_knee, share) {
            continue;
        }
        if best.as_ref().is_some_and(|b| b.share >= share) {
            continue;
        }
        let name = series_name(series);
        let level_text = if kind == Kind::NodeCpu {
            format!("{:.0}% busy", level * 100.0)
        } else {
            format!("{level:.2} cores")
        };
        let (at_ceiling, advice) = if what.starts_with(MACHINE_BUSY) {
            (
                format!(
                    "to {level_text} and stayed there while the machine's CPU was {:.0}% busy (other processes included)",
                    share * 100.0
                ),
                "other work on the machine took the rest: give it CPU of its own, or scale out",
            )
        } else {
            let advice = if what.contains("quota") {
                "raise the quota, or scale out"
            } else if what.starts_with("one core") {
                "add workers or processes, or scale out"
            } else {
                "add cores, or scale out"
            };
            (
                format!(
                    "to {level_text}, {:.0}% of {what}, and stayed there",
                    share * 100.0
                ),
                advice,
            )
        };
        let reason = format!(
            "CPU-bound: throughput stopped growing at about {} users and {:.1} req/s while mean latency rose from {:.0} to {:.0} ms (users up to {}); {name} rose with throughput (r = {r:.2}, lag {lag} s) {at_ceiling}: {advice}",
            knee.users,
            knee.rps,
            knee.latency_before_ms,
            knee.latency_after_ms,
            knee.top_users,
        );
        best = Some(Saturation {
            series: name,
            knee: knee.clone(),
            at_knee,
            level,
            ceiling: what,
            share,
            r,
            lag_s: lag,
            reason,
        });
    }
    best
}
