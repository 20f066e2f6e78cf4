//! How a run is judged: the one entry point of analysis. [`judge`] turns a run, a profile and an
//! optional baseline into a [`RunJudgement`] (grades, trends, capacity, findings, regressions, the
//! failures with their status, and the verdict); [`judge_change`] does the same for `compare`,
//! whose verdict is about regressions only. Exporters receive a [`Judgement`] and only format it.

use super::capacity::{capacity, Capacity};
use super::findings::{findings, Finding};
use super::grade::{assess, tally, Assessment, Check, ScopeResult};
use super::regression::{compare, Comparison};
use super::summary::RunSummary;
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
            runs,
            verdict,
        }
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
    let history = run.history.as_ref();
    let trends = history
        .map(|h| trends(h, &profile.trend))
        .unwrap_or_default();
    notes.extend(steady_state_note(history, &profile.trend));
    let capacity = capacity(history, &profile.aggregated_limits(), &profile.gate);
    let findings = findings(&run, &trends, Some(&capacity));
    let baseline = baseline.map(|b| BaselineComparison {
        label: b.label.clone(),
        comparison: compare(&b.runs, &current_summary(&run, b), &profile.regression),
    });
    let verdict = verdict(&checks, &trends, baseline.as_ref().map(|b| &b.comparison));
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
        verdict,
    }
}

/// `compare`: the regressions of `current` against one baseline run, and nothing else.
pub fn judge_change(baseline: Baseline, current: Run, profile: &Profile) -> RunJudgement {
    let comparison = compare(
        &baseline.runs,
        &current_summary(&current, &baseline),
        &profile.regression,
    );
    let (aggregated, endpoints) = tally(&current, profile);
    let verdict = verdict(&[], &[], Some(&comparison));
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
        notes: Vec::new(),
        verdict,
    }
}

/// What decides exit 1: the worst status of the checks, the trends and the regressions. Warnings
/// pass the gate; only a failed one fails it.
pub fn verdict(checks: &[Check], trends: &[Trend], comparison: Option<&Comparison>) -> Status {
    let regressions = comparison.into_iter().flat_map(|c| &c.regressions);
    Status::worst(
        checks
            .iter()
            .map(|c| c.status)
            .chain(trends.iter().map(|t| t.status))
            .chain(regressions.map(|r| r.status)),
    )
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
