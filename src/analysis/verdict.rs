//! The verdict: the one place where pass, warn or fail is decided. Everything that can move it is
//! a field of [`Evidence`], and [`verdict`] reads each of them once; the exit code, every report
//! and the per-run verdicts all come from it (an archive of runs has its own,
//! [`super::history::verdict`]).

use super::grade::Check;
use super::paired::AbComparison;
use super::regression::Comparison;
use super::server_baseline::ServerComparison;
use super::sustained::Sustained;
use super::trend::Trend;
use crate::model::Status;
use crate::server::ServerReading;

/// Everything that can move a verdict. An absent input (`Default`) moves nothing, so a new input
/// is one field here and one line in [`verdict`].
#[derive(Default, Clone, Copy)]
pub struct Evidence<'a> {
    /// The profile's limits applied to the run's figures.
    pub checks: &'a [Check],
    /// Whether the profile's limits were applied (`compare` grades nothing).
    pub graded: bool,
    /// Trends inside the run (latency climbing, throughput falling).
    pub trends: &'a [Trend],
    /// The comparison with a baseline: its regressions, run-wide shifts, differences in how the
    /// runs were made, and new errors.
    pub comparison: Option<&'a Comparison>,
    /// The profile's `[[sustained]]` rules over the run's history.
    pub sustained: &'a [Sustained],
    /// `ab`: B against A from the request pairs.
    pub ab: Option<&'a AbComparison>,
    /// What the server did (`--prometheus`): its `[[server]]` rules, graded by the profile's
    /// `[gate]`, and a note (at least `warn`) for everything that could not be read.
    pub server: Option<&'a ServerReading>,
    /// With `--prometheus` and a baseline: the server's figures against the kept runs'.
    pub server_comparison: Option<&'a ServerComparison>,
}

/// The note of a run whose files have a figure for none of the profile's limits.
pub const NO_CHECK_APPLIED: &str = "no check applied: none of the profile's limits has a figure in these files, so the gate judged nothing";

impl Evidence<'_> {
    /// The profile was applied and none of its limits had a figure: a pass would rest on nothing.
    pub fn judged_nothing(&self) -> bool {
        self.graded && self.checks.is_empty()
    }
}

/// What decides exit 1: the worst status of
///
/// 1. the checks (the profile's limits),
/// 2. the trends inside the run,
/// 3. the regressions against the baseline,
/// 4. the run-wide shifts,
/// 5. the differences in how the run and its baseline were made,
/// 6. the new errors (failure signatures the baseline did not have, or had fewer of),
/// 7. the sustained breaches of `[[sustained]]` rules,
/// 8. the "no check applied" rule: a graded run with no check is at least a warning,
/// 9. with `ab`, the paired comparison of B against A,
/// 10. with `--prometheus`, the server's rules and the notes of what was not read (never `pass`:
///     data not read is at least a warning, so no pass rests on it),
/// 11. with `--prometheus` and a baseline, the server's figures that regressed beyond their noise.
///
/// Items 3 to 6 are the comparison's part ([`Comparison::status`]), read from its items, never
/// from the verdict it prints. Warnings pass the gate; only a failed one fails it.
pub fn verdict(evidence: &Evidence) -> Status {
    let e = evidence;
    let nothing_checked = if e.judged_nothing() {
        Status::Warn
    } else {
        Status::Pass
    };
    Status::worst([
        Status::worst(e.checks.iter().map(|c| c.status)),
        Status::worst(e.trends.iter().map(|t| t.status)),
        e.comparison.map_or(Status::Pass, Comparison::status),
        Status::worst(e.sustained.iter().map(|s| s.status)),
        nothing_checked,
        e.ab.map_or(Status::Pass, AbComparison::status),
        e.server.map_or(Status::Pass, ServerReading::status),
        e.server_comparison
            .map_or(Status::Pass, ServerComparison::status),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::regression::{Direction, Regression};
    use crate::analysis::trend::TrendDirection;
    use crate::model::{Metric, Scope};
    use crate::profile::Grade;

    fn check(status: Status) -> Check {
        Check {
            scope: Scope::Aggregated,
            metric: Metric::P95,
            value: 240.0,
            limit: Some(500.0),
            warn_limit: Some(200.0),
            grade: Grade::Poor,
            status,
        }
    }

    fn trend(status: Status) -> Trend {
        Trend {
            scope: Scope::Aggregated,
            metric: Metric::Avg,
            direction: TrendDirection::Increasing,
            slope_per_min: 4.0,
            change_pct: 40.0,
            start_value: 100.0,
            end_value: 140.0,
            r2: 0.9,
            window_s: 600.0,
            status,
            reason: String::new(),
        }
    }

    fn comparison(statuses: &[Status]) -> Comparison {
        Comparison {
            verdict: Status::worst(statuses.iter().copied()),
            baseline_runs: 1,
            regressions: statuses
                .iter()
                .map(|status| Regression {
                    scope: Scope::Aggregated,
                    metric: Metric::P95,
                    baseline: 120.0,
                    current: 180.0,
                    change: 60.0,
                    change_pct: Some(50.0),
                    direction: Direction::Regressed,
                    status: *status,
                    reason: String::new(),
                    noise: None,
                })
                .collect(),
            shifts: Vec::new(),
            new_endpoints: Vec::new(),
            vanished_endpoints: Vec::new(),
            notes: Vec::new(),
            baseline_machine: None,
            differences: Vec::new(),
            new_errors: Vec::new(),
            baseline_histograms: false,
            runner: crate::analysis::regression::RunnerCall::Unknown,
        }
    }

    /// Statuses of the checks, the trends and the regressions (no comparison: `None`), and the verdict.
    type VerdictCase<'a> = (&'a [Status], &'a [Status], Option<&'a [Status]>, Status);

    #[test]
    fn the_verdict_is_the_worst_of_checks_trends_and_regressions() {
        use Status::{Fail, Pass, Warn};
        let cases: [VerdictCase; 11] = [
            (&[], &[], None, Pass),
            (&[Pass, Pass], &[Pass], Some(&[Pass]), Pass),
            (&[Pass], &[], Some(&[]), Pass),
            (&[Warn], &[], None, Warn),
            (&[], &[Warn], None, Warn),
            (&[], &[], Some(&[Warn]), Warn),
            (&[Pass, Warn, Pass], &[Pass], Some(&[Pass]), Warn),
            (&[Fail], &[], None, Fail),
            (&[], &[Fail], None, Fail),
            (&[], &[], Some(&[Pass, Fail]), Fail),
            (&[Warn], &[Warn], Some(&[Fail]), Fail),
        ];
        for (checks, trends, regressions, expected) in cases {
            let checks: Vec<Check> = checks.iter().map(|s| check(*s)).collect();
            let trends: Vec<Trend> = trends.iter().map(|s| trend(*s)).collect();
            let comparison = regressions.map(comparison);
            let evidence = Evidence {
                checks: &checks,
                trends: &trends,
                comparison: comparison.as_ref(),
                ..Evidence::default()
            };
            assert_eq!(
                verdict(&evidence),
                expected,
                "checks {checks:?}, trends {trends:?}, regressions {regressions:?}"
            );
        }
    }

    #[test]
    fn the_verdict_reads_the_regressions_not_the_comparisons_own_verdict() {
        let mut stale = comparison(&[Status::Pass]);
        stale.verdict = Status::Fail;
        let evidence = Evidence {
            comparison: Some(&stale),
            ..Evidence::default()
        };
        assert_eq!(verdict(&evidence), Status::Pass);
    }

    #[test]
    fn a_graded_run_without_a_check_warns_and_an_ungraded_one_does_not() {
        let graded = Evidence {
            graded: true,
            ..Evidence::default()
        };
        assert!(graded.judged_nothing());
        assert_eq!(verdict(&graded), Status::Warn);
        assert_eq!(verdict(&Evidence::default()), Status::Pass);
        let checks = [check(Status::Pass)];
        let checked = Evidence {
            checks: &checks,
            ..graded
        };
        assert_eq!(verdict(&checked), Status::Pass);
    }

    fn sustained(status: Status) -> Sustained {
        Sustained {
            scope: Scope::Aggregated,
            metric: Metric::P95,
            limit: 500.0,
            for_s: 60.0,
            within_s: None,
            checked: true,
            breached_s: 90.0,
            worst: Some(900.0),
            from: None,
            to: None,
            status,
            reason: String::new(),
        }
    }

    #[test]
    fn a_sustained_breach_and_an_ab_comparison_each_move_the_verdict() {
        let breached = [sustained(Status::Fail)];
        let evidence = Evidence {
            sustained: &breached,
            ..Evidence::default()
        };
        assert_eq!(verdict(&evidence), Status::Fail);
        let pair = crate::analysis::paired::PairSample {
            a_ms: 10.0,
            b_ms: 30.0,
            a_failed: false,
            b_failed: false,
        };
        let slow = crate::model::EndpointKey::new("GET", "/slow");
        let ab = crate::analysis::paired::compare_pairs(
            ("a".into(), "b".into()),
            vec![(Scope::Endpoint(slow), vec![pair; 400])],
            200,
            &crate::profile::RegressionRules::default(),
            7,
        );
        let with_ab = Evidence {
            ab: Some(&ab),
            ..Evidence::default()
        };
        assert_eq!(verdict(&with_ab), ab.status());
        assert_eq!(
            ab.status(),
            Status::Fail,
            "B three times slower on every pair"
        );
    }
}
