//! The ratchet: when runs beat a profile's limits by a wide margin, the limits that would still have
//! passed every one of them cleanly, so a gate can be tightened as the service gets faster. The limit
//! is the worst value that does not warn (`gate.warn`); the suggestion is the worst value the runs
//! showed plus `headroom` (minus, for a throughput floor), and a metric's bands are scaled together,
//! so every run would still pass without a warning and the fail line moves in proportion.

use super::summary::{RunSummary, ScopeSummary};
use crate::model::{Better, Metric};
use crate::profile::{Bands, Limits, Profile};

/// How much worse than the worst run a suggested limit still allows (0.2 = 20%).
pub const DEFAULT_HEADROOM: f64 = 0.2;
/// Kept baseline runs needed before `check` mentions the ratchet: "for a while".
pub const RATCHET_MIN_RUNS: usize = 3;
/// The smallest error-rate limit suggested: zero failures in the runs is no reason for a zero limit.
const ERROR_RATE_FLOOR: f64 = 0.001;

/// One limit the runs beat by more than the headroom.
#[derive(Debug, Clone, PartialEq)]
pub struct Tightening {
    /// `thresholds` (the aggregate and every endpoint) or `aggregated`.
    pub section: &'static str,
    pub metric: Metric,
    pub limit: f64,
    /// The worst value over the runs and scopes the limit applies to.
    pub worst: f64,
    /// Where that worst value was (`aggregated` or `METHOD name`).
    pub worst_at: String,
    pub suggested: f64,
    /// `suggested / limit`: every band of the metric is scaled by it.
    pub factor: f64,
}

/// The limits of `profile` that every run beat by more than `headroom`, and what they could be.
pub fn tightenings(profile: &Profile, runs: &[RunSummary], headroom: f64) -> Vec<Tightening> {
    let mut out = Vec::new();
    for metric in Metric::ALL {
        let over_aggregate = profile.aggregated.get(metric);
        if let Some(bands) = profile.thresholds.get(metric) {
            // Scopes whose limit for this metric is the [thresholds] one.
            let scopes = runs.iter().flat_map(|r| {
                let aggregate = over_aggregate.is_none().then_some(&r.aggregated);
                aggregate.into_iter().chain(r.endpoints.iter().filter(|e| {
                    profile
                        .endpoint_limits(&e.method, &e.name)
                        .is_some_and(|l| l.get(metric) == Some(bands))
                }))
            });
            out.extend(tighten(
                "thresholds",
                metric,
                bands,
                scopes,
                profile,
                headroom,
            ));
        }
        if let Some(bands) = over_aggregate {
            let scopes = runs.iter().map(|r| &r.aggregated);
            out.extend(tighten(
                "aggregated",
                metric,
                bands,
                scopes,
                profile,
                headroom,
            ));
        }
    }
    out
}

fn tighten<'a>(
    section: &'static str,
    metric: Metric,
    bands: &Bands,
    scopes: impl Iterator<Item = &'a ScopeSummary>,
    profile: &Profile,
    headroom: f64,
) -> Option<Tightening> {
    let limit = bands
        .limit_before(profile.gate.warn)
        .or_else(|| bands.limit_before(profile.gate.fail))?;
    let lower = metric.better() == Better::Lower;
    let mut worst: Option<(f64, String)> = None;
    for scope in scopes {
        let Some(value) = metric.of(scope) else {
            continue;
        };
        let is_worse = worst
            .as_ref()
            .is_none_or(|(w, _)| if lower { value > *w } else { value < *w });
        if is_worse {
            worst = Some((value, scope.label()));
        }
    }
    let (worst, worst_at) = worst?;
    let suggested = if lower {
        let raw = worst * (1.0 + headroom);
        if metric == Metric::ErrorRate {
            raw.max(ERROR_RATE_FLOOR)
        } else {
            round_up(raw)
        }
    } else {
        round_down(worst * (1.0 - headroom))
    };
    let tighter = if lower {
        suggested < limit
    } else {
        suggested > limit
    };
    (tighter && limit > 0.0).then(|| Tightening {
        section,
        metric,
        limit,
        worst,
        worst_at,
        suggested,
        factor: suggested / limit,
    })
}

/// Up to two significant digits, upwards (183 → 190, 0.0123 → 0.013).
fn round_up(v: f64) -> f64 {
    nice(v, f64::ceil)
}

fn round_down(v: f64) -> f64 {
    nice(v, f64::floor)
}

fn nice(v: f64, round: fn(f64) -> f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return v.max(0.0);
    }
    let step = 10f64.powf(v.log10().floor() - 1.0);
    round(v / step) * step
}

/// The profile with every tightened metric's bands scaled (and renamed, to tell it apart).
pub fn suggested_profile(profile: &Profile, tightenings: &[Tightening]) -> Profile {
    let mut out = profile.clone();
    for t in tightenings {
        let limits: &mut Limits = match t.section {
            "aggregated" => &mut out.aggregated,
            _ => &mut out.thresholds,
        };
        if let Some(bands) = limits.get(t.metric).copied() {
            limits.set(t.metric, scaled(bands, t));
        }
    }
    out.name = format!("{}-tightened", profile.name);
    out
}

fn scaled(bands: Bands, t: &Tightening) -> Bands {
    let scale = |b: Option<f64>| {
        b.map(|v| {
            let v = v * t.factor;
            match (t.metric.better(), t.metric) {
                (_, Metric::ErrorRate) => (v * 1e6).round() / 1e6,
                (Better::Lower, _) => round_up(v),
                (Better::Higher, _) => round_down(v),
            }
        })
    };
    Bands {
        excellent: scale(bands.excellent),
        good: scale(bands.good),
        acceptable: scale(bands.acceptable),
        poor: scale(bands.poor),
    }
}

/// The note `check` adds when every kept run of a rolling baseline beat limits by the headroom.
pub fn ratchet_note(profile: &Profile, kept: &[RunSummary]) -> Option<String> {
    if kept.len() < RATCHET_MIN_RUNS {
        return None;
    }
    let found = tightenings(profile, kept, DEFAULT_HEADROOM);
    if found.is_empty() {
        return None;
    }
    let listed: Vec<String> = found
        .iter()
        .map(|t| {
            format!(
                "{} {} {} (now {}, worst kept {})",
                t.section,
                t.metric,
                t.metric.display(t.suggested),
                t.metric.display(t.limit),
                t.metric.display(t.worst)
            )
        })
        .collect();
    Some(format!(
        "ratchet: all {} kept baseline runs beat these limits by more than {:.0}%; limits that would still have passed every one: {}. `loadgate profiles suggest RUN... --from PROFILE` prints the tightened profile",
        kept.len(),
        DEFAULT_HEADROOM * 100.0,
        listed.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p95: f64, rps: f64) -> RunSummary {
        let mut percentiles = vec![None; 11];
        percentiles[5] = Some(p95);
        let json = serde_json::json!({
            "source": "r", "format": "locust", "started_at": null, "duration_s": null,
            "peak_users": null,
            "aggregated": {"method": "", "name": "Aggregated", "requests": 1000, "failures": 0,
                "rps": rps, "avg": null, "max": null, "percentiles": percentiles, "min": null},
            "endpoints": [],
        });
        serde_json::from_value(json).unwrap()
    }

    fn profile() -> Profile {
        Profile::parse(
            "name = \"p\"\n[thresholds]\np95 = { good = 250, poor = 500 }\n[aggregated]\nrps = 50\n",
            "t",
        )
        .unwrap()
    }

    #[test]
    fn limits_beaten_by_more_than_the_headroom_are_tightened_to_the_worst_run_plus_it() {
        let found = tightenings(&profile(), &[run(150.0, 200.0), run(180.0, 150.0)], 0.2);
        assert_eq!(found.len(), 2, "{found:#?}");
        let p95 = &found[0];
        // The limit is the worst value that does not warn: good's 250. 180 ms + 20% = 216 → 220.
        assert_eq!((p95.limit, p95.worst, p95.suggested), (250.0, 180.0, 220.0));
        assert_eq!(p95.factor, 0.88);
        let rps = &found[1];
        // A floor: the slowest run's 150 req/s less 20% = 120.
        assert_eq!(
            (rps.section, rps.limit, rps.suggested),
            ("aggregated", 50.0, 120.0)
        );
        let tightened = suggested_profile(&profile(), &found);
        assert_eq!(tightened.thresholds.p95.unwrap().good, Some(220.0));
        assert_eq!(tightened.thresholds.p95.unwrap().poor, Some(440.0));
        assert_eq!(tightened.aggregated.rps.unwrap().good, Some(120.0));
    }

    #[test]
    fn a_limit_the_runs_come_near_is_left_alone() {
        // 209 ms + 20% = 250.8 → 260: not under the 250 limit.
        assert!(tightenings(&profile(), &[run(209.0, 40.0)], 0.2).is_empty());
        // 205 + 20% = 246 → 250: not strictly under it either.
        assert!(tightenings(&profile(), &[run(205.0, 40.0)], 0.2).is_empty());
        let found = tightenings(&profile(), &[run(200.0, 40.0)], 0.2);
        assert_eq!(found[0].suggested, 240.0);
    }

    #[test]
    fn the_note_needs_three_kept_runs() {
        let kept = [run(100.0, 40.0), run(110.0, 40.0)];
        assert!(ratchet_note(&profile(), &kept).is_none());
        let kept = [run(100.0, 40.0), run(110.0, 40.0), run(120.0, 40.0)];
        let note = ratchet_note(&profile(), &kept).unwrap();
        assert!(note.contains("all 3 kept baseline runs"), "{note}");
        assert!(
            note.contains("thresholds p95 150 ms (now 250 ms, worst kept 120 ms)"),
            "{note}"
        );
    }
}
