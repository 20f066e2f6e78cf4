//! How a run is judged: the one entry point of analysis. [`judge`] turns a run, a profile and an
//! optional baseline into a [`RunJudgement`] (grades, trends, capacity, findings, regressions, the
//! failures with their status, and the verdict); [`judge_change`] does the same for `compare`,
//! whose verdict is about regressions only. Exporters receive a [`Judgement`] and only format it.

use super::advice::advice;
use super::capacity::{capacity, Capacity};
use super::findings::{findings, Finding};
use super::grade::{assess, tally, Assessment, Check, ScopeResult};
use super::paired::AbComparison;
use super::ratchet::ratchet_note;
use super::regression::{compare, Comparison};
use super::scaling::{scaling, Scaling};
use super::signatures::{new_errors, signatures};
use super::stats::z_for_confidence;
use super::summary::RunSummary;
use super::sustained::{sustained, Sustained};
use super::trend::{steady_state_note, trends, Trend};
use crate::machine::Machine;
use crate::model::{FailureRecord, Run, Status};
use crate::profile::Profile;

/// A baseline to compare with: the runs kept under a name (or one run), oldest first.
pub struct Baseline {
    /// The baseline's name in the store, or the path of the baseline run or file.
    pub label: String,
    pub runs: Vec<RunSummary>,
    /// The machine the comparison runs on, to hold against where the baseline was saved.
    pub checked_on: Option<Machine>,
}

/// A comparison with a baseline and what the baseline was.
pub struct BaselineComparison {
    pub label: String,
    pub comparison: Comparison,
}

/// A failures-file row as judged: whether the profile expects it.
pub struct JudgedFailure {
    pub record: FailureRecord,
    pub expected: bool,
}

/// One run and everything judged about it.
pub struct RunJudgement {
    pub run: Run,
    /// Whether the profile's limits were applied (`compare` grades nothing).
    pub graded: bool,
    pub aggregated: ScopeResult,
    pub endpoints: Vec<ScopeResult>,
    pub checks: Vec<Check>,
    pub trends: Vec<Trend>,
    pub baseline: Option<BaselineComparison>,
    /// Capacity from a ramp (`None` for `compare`).
    pub capacity: Option<Capacity>,
    /// Rule-based advice, each with its evidence.
    pub findings: Vec<Finding>,
    /// The failures file's rows, in file order.
    pub failures: Vec<JudgedFailure>,
    /// Things the reader should know that are not checks.
    pub notes: Vec<String>,
    /// The profile's `[[sustained]]` rules over the history (empty for `compare`).
    pub sustained: Vec<Sustained>,
    pub verdict: Status,
}

impl RunJudgement {
    pub fn failed_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }

    pub fn warned_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Warn)
    }

    /// The `n` most frequent failures, most frequent first (file order among equals).
    pub fn top_failures(&self, n: usize) -> Vec<&JudgedFailure> {
        let mut sorted: Vec<&JudgedFailure> = self.failures.iter().collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.record.occurrences));
        sorted.truncate(n);
        sorted
    }
}

/// What a command concluded: every run given, judged against one profile.
pub struct Judgement {
    /// `check` or `compare`.
    pub command: &'static str,
    pub profile: Profile,
    /// Where the profile came from: `builtin:NAME` or its path.
    pub profile_source: String,
    pub runs: Vec<RunJudgement>,
    /// Runs at three or more user counts, read as one series.
    pub scaling: Option<Scaling>,
    /// `ab`: B against A from the request pairs (the one run judged is B).
    pub ab: Option<AbComparison>,
    /// The worst verdict over all runs: what the exit code says.
    pub verdict: Status,
}

impl Judgement {
    pub fn new(
        command: &'static str,
        profile: Profile,
        profile_source: String,
        runs: Vec<RunJudgement>,
    ) -> Judgement {
        let verdict = Status::worst(runs.iter().map(|r| r.verdict));
        Judgement {
            command,
            profile,
            profile_source,
            scaling: scaling(&runs),
            runs,
            ab: None,
            verdict,
        }
    }

    /// The judgement of an A/B run: B's own judgement and the paired comparison, whose worst
    /// status joins the verdict.
    pub fn with_ab(mut self, ab: AbComparison) -> Judgement {
        self.verdict = self.verdict.max(ab.verdict);
        self.ab = Some(ab);
        self
    }
}

/// `check`: grades, trends, capacity, findings and, with a baseline, regressions.
pub fn judge(run: Run, profile: &Profile, baseline: Option<&Baseline>) -> RunJudgement {
    let Assessment {
        aggregated,
        endpoints,
        checks,
        mut notes,
    } = assess(&run, profile);
    // What reading the files noticed comes first: it qualifies every figure after it.
    notes.splice(0..0, run.notes.iter().cloned());
    let history = run.history.as_ref();
    let trends = history
        .map(|h| trends(h, &profile.trend))
        .unwrap_or_default();
    notes.extend(steady_state_note(history, &profile.trend));
    let capacity = capacity(history, &profile.aggregated_limits(), &profile.gate);
    let mut findings = findings(&run, &trends, Some(&capacity));
    findings.extend(advice(&run, profile, &checks));
    if let Some(b) = baseline {
        notes.extend(ratchet_note(profile, &b.runs));
    }
    let baseline = baseline.map(|b| BaselineComparison {
        label: b.label.clone(),
        comparison: with_new_errors(
            compare(&b.runs, &current_summary(&run, b), &profile.regression),
            &b.runs,
            &run,
            profile,
        ),
    });
    let sustained = sustained(&run, profile);
    let mut verdict = verdict(&checks, &trends, baseline.as_ref().map(|b| &b.comparison))
        .max(Status::worst(sustained.iter().map(|s| s.status)));
    if checks.is_empty() {
        // Nothing the profile limits is in the files: a pass would rest on nothing.
        notes.push(
            "no check applied: none of the profile's limits has a figure in these files, so the gate judged nothing"
                .to_string(),
        );
        verdict = verdict.max(Status::Warn);
    }
    RunJudgement {
        failures: judged_failures(&run, profile),
        run,
        graded: true,
        aggregated,
        endpoints,
        checks,
        trends,
        baseline,
        capacity: Some(capacity),
        findings,
        notes,
        sustained,
        verdict,
    }
}

/// `compare`: the regressions of `current` against one baseline run, and nothing else.
pub fn judge_change(baseline: Baseline, current: Run, profile: &Profile) -> RunJudgement {
    let comparison = with_new_errors(
        compare(
            &baseline.runs,
            &current_summary(&current, &baseline),
            &profile.regression,
        ),
        &baseline.runs,
        &current,
        profile,
    );
    let (aggregated, endpoints) = tally(&current, profile);
    let verdict = verdict(&[], &[], Some(&comparison));
    let notes = current.notes.clone();
    RunJudgement {
        failures: judged_failures(&current, profile),
        run: current,
        graded: false,
        aggregated,
        endpoints,
        checks: Vec::new(),
        trends: Vec::new(),
        baseline: Some(BaselineComparison {
            label: baseline.label,
            comparison,
        }),
        capacity: None,
        findings: Vec::new(),
        notes,
        sustained: Vec::new(),
        verdict,
    }
}

/// What decides exit 1: the worst status of the checks, the trends, the regressions and the
/// run-wide shifts. Warnings pass the gate; only a failed one fails it.
pub fn verdict(checks: &[Check], trends: &[Trend], comparison: Option<&Comparison>) -> Status {
    let regressions = comparison.into_iter().flat_map(|c| &c.regressions);
    let shifts = comparison.into_iter().flat_map(|c| &c.shifts);
    let differences = comparison.into_iter().flat_map(|c| &c.differences);
    let new_errors = comparison.into_iter().flat_map(|c| &c.new_errors);
    Status::worst(
        checks
            .iter()
            .map(|c| c.status)
            .chain(trends.iter().map(|t| t.status))
            .chain(regressions.map(|r| r.status))
            .chain(shifts.map(|s| s.status))
            .chain(differences.map(|d| d.status()))
            .chain(new_errors.map(|e| e.status)),
    )
}

/// The comparison with the run's failure signatures judged against the kept runs'.
fn with_new_errors(
    mut comparison: Comparison,
    kept: &[RunSummary],
    run: &Run,
    profile: &Profile,
) -> Comparison {
    if !comparison.compared() {
        return comparison;
    }
    let z = z_for_confidence(profile.regression.confidence);
    match new_errors(kept, &signatures(run, Some(profile)), &profile.new_errors, z) {
        Some(found) => comparison.new_errors = found,
        None => comparison.notes.push(
            "the baseline keeps no failure signatures (saved by an older loadgate): new errors are not checked; save it again to check them"
                .to_string(),
        ),
    }
    comparison.verdict = comparison.verdict.max(Status::worst(
        comparison.new_errors.iter().map(|e| e.status),
    ));
    comparison
}

fn current_summary(run: &Run, baseline: &Baseline) -> RunSummary {
    RunSummary {
        machine: baseline.checked_on.clone(),
        ..RunSummary::from_run(run)
    }
}

fn judged_failures(run: &Run, profile: &Profile) -> Vec<JudgedFailure> {
    run.failures
        .iter()
        .map(|record| JudgedFailure {
            expected: profile.expects(record),
            record: record.clone(),
        })
        .collect()
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
            assert_eq!(
                verdict(&checks, &trends, comparison.as_ref()),
                expected,
                "checks {checks:?}, trends {trends:?}, regressions {regressions:?}"
            );
        }
    }

    #[test]
    fn the_verdict_reads_the_regressions_not_the_comparisons_own_verdict() {
        let mut stale = comparison(&[Status::Pass]);
        stale.verdict = Status::Fail;
        assert_eq!(verdict(&[], &[], Some(&stale)), Status::Pass);
    }
}
