//! The sections people read, built once from a judgement: the run's headline, the endpoint rows,
//! the checks, regressions and trends that did not pass, capacity, findings, the top failures and
//! the counts of the verdict line. The table and the Markdown lay out these same sections (as
//! hyperfine keeps one table layout for several markup formats).

use crate::analysis::grade::ScopeResult;
use crate::analysis::judgement::JudgedFailure;
use crate::analysis::paired::{AbComparison, PairedChange};
use crate::analysis::regression::{Comparison, Direction, Regression};
use crate::analysis::trend::Trend;
use crate::analysis::RunJudgement;
use crate::model::{Metric, Run, Scope, Status, Unit};
use crate::profile::Grade;
use crate::report::units::percent;

/// How many failures the reports list.
pub const TOP_FAILURES: usize = 5;

/// The run's length, peak users and Locust version, for headlines ("29 s", "10 users",
/// "Locust 2.47.0").
pub fn run_facts(run: &Run) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(d) = run.duration_s() {
        facts.push(format!("{d:.0} s"));
    }
    if let Some(u) = run.peak_users() {
        facts.push(format!("{u} users"));
    }
    if let Some(v) = &run.info.locust_version {
        facts.push(format!("Locust {v}"));
    }
    facts
}

/// What the grade column of an endpoint says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GradeCell {
    /// A profile override leaves the endpoint out.
    Skipped,
    /// Nothing was graded (no limits, or `compare`).
    Ungraded,
    Graded(Grade, Status),
}

/// The endpoints' rows, then the aggregate's.
pub fn scope_rows(judgement: &RunJudgement) -> impl Iterator<Item = (&ScopeResult, GradeCell)> {
    let graded = judgement.graded;
    judgement
        .endpoints
        .iter()
        .chain(std::iter::once(&judgement.aggregated))
        .map(move |s| (s, grade_cell(s, graded)))
}

fn grade_cell(scope: &ScopeResult, graded: bool) -> GradeCell {
    match (graded, scope.skipped, scope.grade) {
        (false, _, _) => GradeCell::Ungraded,
        (true, true, _) => GradeCell::Skipped,
        (true, false, None) => GradeCell::Ungraded,
        (true, false, Some(g)) => GradeCell::Graded(g, scope.status),
    }
}

/// Regressions that did not pass, in report order.
pub fn flagged_regressions(comparison: &Comparison) -> impl Iterator<Item = &Regression> {
    comparison
        .regressions
        .iter()
        .filter(|r| r.status != Status::Pass)
}

/// Regressions worth a reader's eye: those that did not pass, and improvements.
pub fn notable_regressions(comparison: &Comparison) -> impl Iterator<Item = &Regression> {
    comparison
        .regressions
        .iter()
        .filter(|r| r.status != Status::Pass || r.direction == Direction::Improved)
}

pub fn improved(comparison: &Comparison) -> impl Iterator<Item = &Regression> {
    comparison
        .regressions
        .iter()
        .filter(|r| r.direction == Direction::Improved)
}

/// Trends that warned or failed.
pub fn flagged_trends(judgement: &RunJudgement) -> impl Iterator<Item = &Trend> {
    judgement.trends.iter().filter(|t| t.status != Status::Pass)
}

/// The most frequent failures and how many kinds were left out.
pub fn top_failures(judgement: &RunJudgement) -> (Vec<&JudgedFailure>, usize) {
    let shown = judgement.top_failures(TOP_FAILURES);
    let more = judgement.failures.len() - shown.len();
    (shown, more)
}

/// What the verdict line counts.
pub struct Counts {
    pub checks: Option<(usize, usize, usize)>,
    pub regressions: Option<(usize, usize)>,
    pub trends_flagged: usize,
    /// The server's `[[server]]` rules: failed, warned, passed (`--prometheus`).
    pub server_rules: Option<(usize, usize, usize)>,
}

impl Counts {
    pub fn of(judgement: &RunJudgement) -> Counts {
        let checks = judgement.graded.then(|| {
            let failed = judgement.failed_checks().count();
            let warned = judgement.warned_checks().count();
            (failed, warned, judgement.checks.len() - failed - warned)
        });
        let regressions = judgement
            .baseline
            .as_ref()
            .filter(|b| b.comparison.compared())
            .map(|b| {
                let worse = |s: Status| {
                    b.comparison
                        .regressions
                        .iter()
                        .filter(|r| r.direction == Direction::Regressed && r.status == s)
                        .count()
                };
                (worse(Status::Fail), worse(Status::Warn))
            });
        Counts {
            checks,
            regressions,
            trends_flagged: flagged_trends(judgement).count(),
            server_rules: judgement
                .server
                .as_ref()
                .filter(|s| !s.reading.rules.is_empty())
                .map(|s| {
                    let count = |status| {
                        s.reading
                            .rules
                            .iter()
                            .filter(|r| r.status() == status)
                            .count()
                    };
                    (
                        count(Status::Fail),
                        count(Status::Warn),
                        count(Status::Pass),
                    )
                }),
        }
    }

    /// `3 failed, 1 warned, 20 passed checks; 0 regressions failed, 2 warned; 1 trends flagged`.
    pub fn sentence(&self) -> String {
        let mut parts = Vec::new();
        if let Some((failed, warned, passed)) = self.checks {
            parts.push(format!(
                "{failed} failed, {warned} warned, {passed} passed checks"
            ));
        }
        if let Some((failed, warned)) = self.regressions {
            parts.push(format!("{failed} regressions failed, {warned} warned"));
        }
        if self.trends_flagged > 0 {
            parts.push(format!("{} trends flagged", self.trends_flagged));
        }
        if let Some((failed, warned, passed)) = self.server_rules {
            parts.push(format!(
                "{failed} failed, {warned} warned, {passed} passed server rules"
            ));
        }
        parts.join("; ")
    }
}

/// The A/B figures grouped by scope, in report order (endpoints, then the aggregate).
pub fn ab_scopes(ab: &AbComparison) -> Vec<(&Scope, Vec<&PairedChange>)> {
    let mut scopes: Vec<(&Scope, Vec<&PairedChange>)> = Vec::new();
    for c in &ab.changes {
        match scopes.iter_mut().find(|(s, _)| *s == &c.scope) {
            Some((_, list)) => list.push(c),
            None => scopes.push((&c.scope, vec![c])),
        }
    }
    scopes
}

/// A/B figures that did not pass.
pub fn flagged_ab(ab: &AbComparison) -> impl Iterator<Item = &PairedChange> {
    ab.changes.iter().filter(|c| c.status != Status::Pass)
}

/// `52→66 (+25%)`, or for the error rate `0.00%→5.00% (+5.00pt)`.
pub fn ab_cell(c: &PairedChange) -> String {
    if c.metric == Metric::ErrorRate {
        format!(
            "{}%→{}% ({:+.2}pt)",
            super::units::percent(c.a),
            super::units::percent(c.b),
            c.change * 100.0
        )
    } else {
        format!(
            "{}→{} ({:+.0}%)",
            super::units::ms(Some(c.a)),
            super::units::ms(Some(c.b)),
            c.change * 100.0
        )
    }
}

/// `1 of 10 A/B figures failed, 0 warned (748 pairs)`.
pub fn ab_sentence(ab: &AbComparison) -> String {
    let count = |s: Status| ab.changes.iter().filter(|c| c.status == s).count();
    format!(
        "{} of {} A/B figures failed, {} warned ({} pairs)",
        count(Status::Fail),
        ab.changes.len(),
        count(Status::Warn),
        ab.pairs
    )
}

/// Baseline, current and change as the metric's unit reads.
pub fn regression_sides(r: &Regression) -> (String, String, String) {
    match r.metric.unit() {
        Unit::Fraction => (
            format!("{}%", percent(r.baseline)),
            format!("{}%", percent(r.current)),
            format!("{:+.2} pt", r.change * 100.0),
        ),
        Unit::Millis | Unit::PerSecond | Unit::Count => (
            format!("{:.1}", r.baseline),
            format!("{:.1}", r.current),
            r.change_pct
                .map_or("-".to_string(), |p| format!("{p:+.1}%")),
        ),
    }
}

/// How a tool judged one of its own thresholds or checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolOutcome {
    Held,
    Crossed,
    /// The file names the threshold but not k6's outcome (`--out json`).
    Unknown,
}

/// What the load tester judged itself (k6's thresholds and checks), for the outputs to show beside
/// loadgate's checks: its heading ("k6's own thresholds and checks, not in loadgate's verdict")
/// and one line per threshold, per check that failed, and one for the checks that always held.
/// `None` when the run's files carry none.
pub fn tool_verdicts(run: &Run) -> Option<(String, Vec<(ToolOutcome, String)>)> {
    let tool = &run.info.tool;
    if tool.thresholds.is_empty() && tool.checks.is_empty() {
        return None;
    }
    let name = tool_name(run);
    let mut lines = Vec::new();
    for t in &tool.thresholds {
        let (outcome, said) = match t.ok {
            Some(true) => (ToolOutcome::Held, "held".to_string()),
            Some(false) => (ToolOutcome::Crossed, "crossed".to_string()),
            None => (
                ToolOutcome::Unknown,
                format!("{name}'s outcome is not in this file"),
            ),
        };
        lines.push((
            outcome,
            format!("threshold {} {}: {said}", t.metric, t.expression),
        ));
    }
    let held = tool.checks.iter().filter(|c| c.fails == 0).count();
    for c in tool.checks.iter().filter(|c| c.fails > 0) {
        let group = if c.group.is_empty() {
            String::new()
        } else {
            format!(" in {}", c.group)
        };
        lines.push((
            ToolOutcome::Crossed,
            format!(
                "check {:?}{group}: {} of {} failed",
                c.name,
                c.fails,
                c.fails.saturating_add(c.passes)
            ),
        ));
    }
    if held > 0 {
        lines.push((
            ToolOutcome::Held,
            format!("{held} of {} check(s) held every time", tool.checks.len()),
        ));
    }
    Some((
        format!("{name}'s own thresholds and checks (shown, not part of loadgate's verdict)"),
        lines,
    ))
}

/// The load tester that wrote a run whose files keep its own verdicts.
pub fn tool_name(run: &Run) -> &'static str {
    match run.dialect {
        crate::model::Dialect::K6 | crate::model::Dialect::K6Summary => "k6",
        crate::model::Dialect::JMeter => "JMeter",
        _ => "Locust",
    }
}
