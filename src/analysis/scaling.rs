//! Scaling over runs: the same test run at several user counts (10, 25, 50, 100 users, say), read
//! as one series. Where does throughput stop growing with users, and up to which load did the
//! profile still pass? The seeds' "scaling analysis" over a folder of runs.
//!
//! A step stops scaling when its throughput per user falls under [`EFFICIENT`] of the smallest
//! run's, or its median latency reaches [`LATENCY_GROWTH`] times the smallest run's: either way the
//! added users mostly wait (Little's law: at a fixed think time, waiting is what grows). Needs at
//! least [`MIN_RUNS`] runs at distinct user counts.

use serde::Serialize;

use super::grade::ScopeResult;
use crate::model::Status;

/// The fewest runs, at distinct user counts, a scaling series needs.
pub const MIN_RUNS: usize = 3;
/// Throughput per user, relative to the smallest run, below which a step no longer scales.
pub const EFFICIENT: f64 = 0.8;
/// Median latency, relative to the smallest run, from which a step no longer scales.
pub const LATENCY_GROWTH: f64 = 2.0;

/// One run of the series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingStep {
    /// The run's `--csv` prefix.
    pub source: String,
    pub users: u64,
    pub rps: f64,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub error_rate: f64,
    /// Throughput per user relative to the smallest run (1 = linear scaling).
    pub efficiency: f64,
    /// The run's own verdict against the profile.
    pub verdict: Status,
}

/// What the series says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaling {
    pub steps: Vec<ScalingStep>,
    /// The first user count at which throughput per user fell below [`EFFICIENT`] or the median
    /// reached [`LATENCY_GROWTH`] times the smallest run's.
    pub saturated_at_users: Option<u64>,
    /// The highest user count whose run passed the profile (no failed check).
    pub max_passing_users: Option<u64>,
    pub reason: String,
}

/// A judged run, as a step of the series reads it.
pub struct StepRun<'a> {
    /// The run's `--csv` prefix.
    pub source: String,
    /// Peak users, when the run's files tell.
    pub users: Option<u64>,
    pub aggregated: &'a ScopeResult,
    /// The run's own verdict against the profile.
    pub verdict: Status,
}

/// The scaling series of `runs` (in the order given), when they are at least [`MIN_RUNS`] runs at
/// distinct user counts.
pub fn scaling<'a>(runs: impl IntoIterator<Item = StepRun<'a>>) -> Option<Scaling> {
    let mut by_users: Vec<(u64, StepRun)> = runs
        .into_iter()
        .filter_map(|r| Some((r.users?, r)))
        .filter(|(users, _)| *users > 0)
        .collect();
    by_users.sort_by_key(|(users, _)| *users);
    by_users.dedup_by_key(|(users, _)| *users);
    if by_users.len() < MIN_RUNS {
        return None;
    }
    let (first_users, first) = &by_users[0];
    let per_user = first.aggregated.stats.rps / *first_users as f64;
    let steps: Vec<ScalingStep> = by_users
        .iter()
        .map(|(users, r)| {
            let stats = &r.aggregated.stats;
            ScalingStep {
                source: r.source.clone(),
                users: *users,
                rps: stats.rps,
                p50: stats.p50(),
                p95: stats.percentiles.p95(),
                error_rate: r.aggregated.error_rate,
                efficiency: efficiency(stats.rps, *users, per_user),
                verdict: r.verdict,
            }
        })
        .collect();
    let first_p50 = steps[0].p50;
    let saturated_at_users = steps
        .iter()
        .find(|s| saturated(s.efficiency, first_p50, s.p50))
        .map(|s| s.users);
    let max_passing_users = steps
        .iter()
        .rev()
        .find(|s| s.verdict != Status::Fail)
        .map(|s| s.users);
    let reason = describe(&steps, saturated_at_users, max_passing_users);
    Some(Scaling {
        steps,
        saturated_at_users,
        max_passing_users,
        reason,
    })
}

/// Throughput per user against `per_user` (the smallest run's): 1 when users scale linearly.
pub fn efficiency(rps: f64, users: u64, per_user: f64) -> f64 {
    if per_user > 0.0 && users > 0 {
        rps / users as f64 / per_user
    } else {
        0.0
    }
}

/// Whether a step no longer scales: throughput per user under [`EFFICIENT`], or the median at
/// [`LATENCY_GROWTH`] times the smallest run's.
pub fn saturated(efficiency: f64, first_p50: Option<f64>, p50: Option<f64>) -> bool {
    let waits = match (first_p50, p50) {
        (Some(first), Some(p50)) if first > 0.0 => p50 >= LATENCY_GROWTH * first,
        _ => false,
    };
    efficiency < EFFICIENT || waits
}

fn describe(steps: &[ScalingStep], saturated: Option<u64>, passing: Option<u64>) -> String {
    let (first, last) = (&steps[0], &steps[steps.len() - 1]);
    let growth = format!(
        "{} runs from {} to {} users: throughput {:.1} → {:.1} req/s",
        steps.len(),
        first.users,
        last.users,
        first.rps,
        last.rps
    );
    let scaled = match saturated {
        Some(users) => format!(
            "; it stopped scaling at {users} users (under {:.0}% of the first run's throughput per user, or a median {LATENCY_GROWTH}x the first run's)",
            EFFICIENT * 100.0
        ),
        None => "; throughput grew with users at every step".to_string(),
    };
    let limits = match passing {
        Some(users) if users == last.users => "; every run passed the profile".to_string(),
        Some(users) => format!("; the profile held up to {users} users"),
        None => "; no run passed the profile".to_string(),
    };
    format!("{growth}{scaled}{limits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn efficiency_is_throughput_per_user_against_the_first_run() {
        assert_eq!(efficiency(100.0, 10, 10.0), 1.0);
        assert_eq!(efficiency(150.0, 20, 10.0), 0.75);
        assert_eq!(efficiency(10.0, 0, 10.0), 0.0);
        assert_eq!(efficiency(10.0, 5, 0.0), 0.0);
    }

    fn step(users: u64, rps: f64, verdict: Status) -> ScalingStep {
        ScalingStep {
            source: format!("u{users}"),
            users,
            rps,
            p50: None,
            p95: None,
            error_rate: 0.0,
            efficiency: efficiency(rps, users, 10.0),
            verdict,
        }
    }

    #[test]
    fn a_step_stops_scaling_on_throughput_per_user_or_on_waiting() {
        assert!(!saturated(0.8, Some(20.0), Some(39.9)));
        assert!(
            saturated(0.79, Some(20.0), Some(20.0)),
            "throughput per user"
        );
        assert!(saturated(1.0, Some(20.0), Some(40.0)), "the median doubled");
        assert!(
            !saturated(1.0, None, Some(400.0)),
            "no first median, no comparison"
        );
    }

    #[test]
    fn the_sentence_names_where_scaling_and_the_profile_gave_out() {
        let steps = [
            step(10, 100.0, Status::Pass),
            step(20, 190.0, Status::Pass),
            step(40, 250.0, Status::Fail),
        ];
        let text = describe(&steps, Some(40), Some(20));
        assert_eq!(
            text,
            "3 runs from 10 to 40 users: throughput 100.0 → 250.0 req/s; it stopped scaling at 40 users (under 80% of the first run's throughput per user, or a median 2x the first run's); the profile held up to 20 users"
        );
        assert!(describe(&steps, None, Some(40)).ends_with("every run passed the profile"));
        assert!(describe(&steps, None, None).ends_with("no run passed the profile"));
    }
}
