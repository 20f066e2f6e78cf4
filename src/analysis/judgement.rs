//! How a run is judged: the one entry point of analysis. [`judge`] turns a run, a profile and an
//! optional baseline into a [`RunJudgement`] (grades, trends, capacity, findings, regressions, the
//! failures with their status, and the verdict); [`judge_change`] does the same for `compare`,
//! which grades nothing. Every verdict here comes from [`verdict`] over what was judged
//! ([`RunJudgement::evidence`]). Exporters receive a [`Judgement`] and only format it.

use super::advice::advice;
use super::capacity::{capacity, Capacity};
use super::findings::{findings, Finding};
use super::grade::{assess, tally, Assessment, Check, ScopeResult};
use super::paired::AbComparison;
use super::ratchet::ratchet_note;
use super::regression::runner::{
    generator_limited_note, runner_call_on_machines, with_generator_warnings,
};
use super::regression::{compare, Comparison};
use super::scaling::{scaling, Scaling, StepRun};
use super::series::intervals;
use super::server_baseline::{compare_server, server_figures, ServerComparison, ServerFigures};
use super::server_findings::{kind_of, server_findings, GivenLimit, Kind, ServerFinding};
use super::signatures::signatures;
use super::summary::RunSummary;
use super::sustained::{sustained, Sustained};
use super::trend::{steady_state_note, trends, Trend};
use super::verdict::{verdict, Evidence, NO_CHECK_APPLIED};
use crate::machine::Machine;
use crate::model::{FailureRecord, Run, RunnerSummary, ServerUnit, Status};
use crate::profile::{Profile, RegressionRules};
use crate::server::ServerReading;

/// A baseline to compare with: the runs kept under a name (or one run), oldest first.
pub struct Baseline {
    /// The baseline's name in the store, or the path of the baseline run or file.
    pub label: String,
    pub runs: Vec<RunSummary>,
    /// The runner record's summary of each kept run (`None` where it had none), oldest first.
    pub runners: Vec<Option<RunnerSummary>>,
    /// The machine the comparison runs on, to hold against where the baseline was saved.
    pub checked_on: Option<Machine>,
    /// What each kept run kept of the server (`None` where it kept nothing), oldest first.
    pub server: Vec<Option<ServerFigures>>,
}

/// A comparison with a baseline and what the baseline was.
pub struct BaselineComparison {
    pub label: String,
    pub comparison: Comparison,
    /// The kept runs' server figures, for when the run's server is read ([`RunJudgement::with_server`]).
    pub server: Vec<Option<ServerFigures>>,
}

/// What the server did in the run's window: the reading (series, `[[server]]` rules graded by the
/// profile's `[gate]`, notes for what was not read) and the findings it supports with the run's own
/// history.
pub struct ServerJudgement {
    pub reading: ServerReading,
    pub findings: Vec<ServerFinding>,
    /// The server's figures of this run, as a baseline saved from it keeps them.
    pub figures: Option<ServerFigures>,
    /// With a baseline: this run's figures against the kept runs'.
    pub comparison: Option<ServerComparison>,
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
    /// What the server did, when a metrics backend was given (`--prometheus`).
    pub server: Option<ServerJudgement>,
    /// The run's own verdict: [`verdict`] over [`RunJudgement::evidence`].
    pub verdict: Status,
}

impl RunJudgement {
    /// What the run's verdict is decided from.
    pub fn evidence(&self) -> Evidence<'_> {
        Evidence {
            checks: &self.checks,
            graded: self.graded,
            trends: &self.trends,
            comparison: self.baseline.as_ref().map(|b| &b.comparison),
            sustained: &self.sustained,
            server: self.server.as_ref().map(|s| &s.reading),
            server_comparison: self.server.as_ref().and_then(|s| s.comparison.as_ref()),
            ..Evidence::default()
        }
    }

    /// The run judged with what the server did in its window: the rules join the verdict, the
    /// server's findings join the run's (each with its numbers); with a baseline, the server's
    /// figures are judged against the kept runs' by the profile's `[regression]` rules and join
    /// the verdict too.
    pub fn with_server(mut self, reading: ServerReading, rules: &RegressionRules) -> RunJudgement {
        let client = self
            .run
            .history
            .as_ref()
            .and_then(|h| h.aggregated())
            .map(|a| intervals(&a.points))
            .unwrap_or_default();
        let found = server_findings(
            &reading.series,
            &client,
            memory_rule_limit(&reading).as_ref(),
        );
        self.findings
            .extend(found.iter().map(ServerFinding::finding));
        let figures = server_figures(&reading, self.run.aggregated.requests);
        let comparison = match (&self.baseline, &figures) {
            (Some(b), Some(f)) => Some(compare_server(&b.server, f, rules)),
            _ => None,
        };
        self.server = Some(ServerJudgement {
            reading,
            findings: found,
            figures,
            comparison,
        });
        self.decided()
    }

    /// The run with its verdict decided from the rest.
    fn decided(mut self) -> RunJudgement {
        self.verdict = verdict(&self.evidence());
        self
    }

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

/// The limit of the first `[[server]]` rule on memory (bytes, a ceiling, over a series of process
/// or container memory): the time a leak has left is counted to it.
fn memory_rule_limit(reading: &ServerReading) -> Option<GivenLimit> {
    reading.rules.iter().find_map(|r| {
        let on_memory = r.rule.unit == ServerUnit::Bytes
            && !r.rule.floor
            && reading
                .series_of(&r.rule.name)
                .any(|s| kind_of(s) == Kind::Memory);
        let bytes = r.graded.limit.filter(|l| on_memory && *l > 0.0)?;
        Some(GivenLimit {
            bytes,
            source: format!(
                "the limit of rule {}",
                serde_json::Value::String(r.rule.name.clone())
            ),
        })
    })
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
    /// The worst of [`Judgement::verdict_of`] over all runs: what the exit code says.
    pub verdict: Status,
    /// When the judgement was made: the one time every output gives.
    pub generated_at: chrono::DateTime<chrono::Utc>,
}

impl Judgement {
    pub fn new(
        command: &'static str,
        profile: Profile,
        profile_source: String,
        runs: Vec<RunJudgement>,
    ) -> Judgement {
        let steps = runs.iter().map(|r| StepRun {
            source: r.run.files.prefix.display().to_string(),
            users: r.run.peak_users(),
            aggregated: &r.aggregated,
            verdict: r.verdict,
        });
        Judgement {
            command,
            profile,
            profile_source,
            scaling: scaling(steps),
            runs,
            ab: None,
            // Decided below, from the runs.
            verdict: Status::Pass,
            generated_at: chrono::Utc::now(),
        }
        .decided()
    }

    /// The judgement of an A/B run: B's own judgement and the paired comparison, which joins the
    /// verdict.
    pub fn with_ab(mut self, ab: AbComparison) -> Judgement {
        self.ab = Some(ab);
        self.decided()
    }

    /// The verdict a report of `run` shows: the run's own; in an A/B judgement, B's evidence and
    /// the paired comparison's (what the exit code says).
    pub fn verdict_of(&self, run: &RunJudgement) -> Status {
        match &self.ab {
            Some(ab) => verdict(&Evidence {
                ab: Some(ab),
                ..run.evidence()
            }),
            None => run.verdict,
        }
    }

    fn decided(mut self) -> Judgement {
        self.verdict = Status::worst(self.runs.iter().map(|r| self.verdict_of(r)));
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
    // A generator that was its own limit paced the run: its trends say nothing of the server.
    let limited = run
        .info
        .evidence
        .runner
        .as_ref()
        .and_then(|r| r.record.summary.as_ref())
        .and_then(generator_limited_note);
    let trends = match (history, &limited) {
        (Some(h), None) => trends(h, &profile.trend),
        _ => Vec::new(),
    };
    notes.extend(steady_state_note(history, &profile.trend).or(limited));
    let capacity = capacity(history, &profile.aggregated_limits(), &profile.gate);
    let mut findings = findings(&run, &trends, Some(&capacity));
    findings.extend(advice(&run, profile, &checks));
    if let Some(b) = baseline {
        notes.extend(ratchet_note(profile, &b.runs));
    }
    let baseline = baseline.map(|b| BaselineComparison {
        label: b.label.clone(),
        comparison: compare_with(b, &run, profile),
        server: b.server.clone(),
    });
    let sustained = sustained(&run, profile);
    let mut judged = RunJudgement {
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
        server: None,
        // Decided below, from the rest.
        verdict: Status::Pass,
    };
    if judged.evidence().judged_nothing() {
        judged.notes.push(NO_CHECK_APPLIED.to_string());
    }
    judged.decided()
}

/// `compare`: the regressions of `current` against one baseline run, and nothing else.
pub fn judge_change(baseline: Baseline, current: Run, profile: &Profile) -> RunJudgement {
    let comparison = compare_with(&baseline, &current, profile);
    let (aggregated, endpoints) = tally(&current, profile);
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
            server: baseline.server,
        }),
        capacity: None,
        findings: Vec::new(),
        notes,
        sustained: Vec::new(),
        server: None,
        // Decided below, from the comparison.
        verdict: Status::Pass,
    }
    .decided()
}

/// `run` compared with the kept runs of `baseline`, finished: regressions, shifts, differences
/// and new errors.
fn compare_with(baseline: &Baseline, run: &Run, profile: &Profile) -> Comparison {
    let current = current_summary(run, baseline, profile);
    let kept_runners: Vec<_> = baseline.runners.iter().map(Option::as_ref).collect();
    let kept_machines: Vec<_> = baseline.runs.iter().map(|r| r.machine.as_ref()).collect();
    let cur_runner = run
        .info
        .evidence
        .runner
        .as_ref()
        .and_then(|r| r.record.summary.as_ref());
    compare(
        &baseline.runs,
        &current,
        &profile.regression,
        &profile.new_errors,
        &with_generator_warnings(
            runner_call_on_machines(
                &kept_runners,
                &kept_machines,
                cur_runner,
                current.machine.as_ref(),
            ),
            &baseline
                .runs
                .iter()
                .map(|r| r.generator_warning.as_deref())
                .collect::<Vec<_>>(),
            run.info.evidence.generator_warning.as_deref(),
        ),
    )
}

/// The run as a comparison reads it: on the machine its record says it was made on, else the one
/// it is checked on; its signatures without the failures the profile expects.
fn current_summary(run: &Run, baseline: &Baseline, profile: &Profile) -> RunSummary {
    let summary = RunSummary::from_run(run);
    RunSummary {
        machine: summary
            .machine
            .clone()
            .or_else(|| baseline.checked_on.clone()),
        signatures: Some(signatures(run, Some(profile))),
        ..summary
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
    use crate::model::ServerSeries;
    use crate::profile::{Gate, ServerRule};
    use crate::server::rules::{grade, Rule};
    use crate::server::RuleResult;

    fn reading(rule_toml: &str, query: &str) -> ServerReading {
        let written: ServerRule = toml::from_str(rule_toml).unwrap();
        let rule = Rule::from_profile(&written).unwrap();
        let series = vec![ServerSeries {
            source: rule.name.clone(),
            query: query.to_string(),
            labels: Default::default(),
            unit: rule.unit,
            points: vec![(0.0, 100e6), (1.0, 101e6), (2.0, 102e6)],
        }];
        let graded = grade(&rule, &Gate::default(), &series, 0.0, 2.0, 1.0);
        ServerReading {
            source: "http://127.0.0.1:9090".to_string(),
            window: None,
            presets: Vec::new(),
            series,
            rules: vec![RuleResult {
                profile: "test".to_string(),
                rule,
                graded,
            }],
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_memory_rules_limit_is_what_a_leak_runs_into() {
        let memory = "name = \"api memory\"\nquery = 'process_resident_memory_bytes{job=\"api\"}'\nunit = \"bytes\"\nlimit = 500e6\n";
        let found = memory_rule_limit(&reading(
            memory,
            "process_resident_memory_bytes{job=\"api\"}",
        ))
        .expect("a limit");
        assert_eq!(found.bytes, 500e6);
        assert_eq!(found.source, "the limit of rule \"api memory\"");
        // A rule in bytes on something else (a queue's size) is not a memory limit.
        let queue = "name = \"queue\"\nquery = 'queue_bytes'\nunit = \"bytes\"\nlimit = 500e6\n";
        assert_eq!(memory_rule_limit(&reading(queue, "queue_bytes")), None);
        // Nor is a floor on memory.
        let floor = format!("{memory}floor = true\n");
        assert_eq!(
            memory_rule_limit(&reading(
                &floor,
                "process_resident_memory_bytes{job=\"api\"}"
            )),
            None
        );
    }
}
