//! Family building: which samples, with which labels, a judgement's runs and an archive's runs
//! give. Values the file does not know, and values the text cannot hold, are left out.

use std::fmt::Write as _;

use super::catalogue::*;
use super::text::{number, write_header, write_name_and_labels, Chunked, Family, Flavor, Sample};
use crate::analysis::grade::{Check, ScopeResult};
use crate::analysis::paired::AbComparison;
use crate::analysis::{Judgement, RunJudgement};
use crate::model::{HistoryPoint, Metric, Scope, Series, Status, Unit};
use crate::profile::Grade;
use crate::report::history::HistoryReport;
use crate::server::units::unit_name;

/// The families of every run of the judgement: what `--openmetrics FILE` holds.
pub fn judgement_families(judgement: &Judgement) -> Vec<Family> {
    let mut set = Families::default();
    for run in &judgement.runs {
        add_run(&mut set, judgement, run);
    }
    set.0
}

/// The families of one run alone: what one Pushgateway group holds.
pub fn run_families(judgement: &Judgement, run: &RunJudgement) -> Vec<Family> {
    let mut set = Families::default();
    add_run(&mut set, judgement, run);
    set.0
}

/// Families in the order first added; samples of one family stay together, as the format needs.
#[derive(Default)]
struct Families(Vec<Family>);

impl Families {
    fn add(&mut self, spec: Spec, labels: Vec<(&'static str, String)>, value: Option<f64>) {
        self.add_at(spec, labels, value, None);
    }

    /// A value the file does not know (`None`) or cannot write (NaN, infinite) is left out.
    fn add_at(
        &mut self,
        spec: Spec,
        labels: Vec<(&'static str, String)>,
        value: Option<f64>,
        timestamp: Option<i64>,
    ) {
        let Some(value) = value.filter(|v| v.is_finite()) else {
            return;
        };
        let index = match self.0.iter().position(|f| f.spec.name == spec.name) {
            Some(i) => i,
            None => {
                self.0.push(Family {
                    spec,
                    samples: Vec::new(),
                });
                self.0.len() - 1
            }
        };
        self.0[index].samples.push(Sample {
            labels,
            value,
            timestamp,
        });
    }
}

/// The percentiles written, as (metric, percentile label).
const QUANTILES: [(Metric, &str); 4] = [
    (Metric::P50, "50"),
    (Metric::P90, "90"),
    (Metric::P95, "95"),
    (Metric::P99, "99"),
];

/// The label that names a run: its `--csv` prefix as given.
pub fn run_name(run: &RunJudgement) -> String {
    run.run.files.prefix.display().to_string()
}

fn status_value(status: Status) -> f64 {
    match status {
        Status::Pass => 0.0,
        Status::Warn => 1.0,
        Status::Fail => 2.0,
    }
}

fn grade_value(grade: Grade) -> f64 {
    Grade::ALL.iter().position(|g| *g == grade).unwrap_or(0) as f64
}

/// A figure in its base unit: Locust's milliseconds become seconds.
fn base_unit(metric: Metric, value: f64) -> f64 {
    match metric.unit() {
        Unit::Millis => value / 1000.0,
        Unit::Fraction | Unit::PerSecond | Unit::Count => value,
    }
}

fn seconds(ms: Option<f64>) -> Option<f64> {
    ms.map(|v| v / 1000.0)
}

/// `scope`, `method` and `name` of a scope; the aggregate has empty `method` and `name`.
fn scope_labels(run: &str, scope: &Scope) -> Vec<(&'static str, String)> {
    let (kind, method, name) = match scope.endpoint() {
        None => ("aggregated", "", ""),
        Some(key) => ("endpoint", key.method.as_str(), key.name.as_str()),
    };
    vec![
        ("run", run.to_string()),
        ("scope", kind.to_string()),
        ("method", method.to_string()),
        ("name", name.to_string()),
    ]
}

fn with(
    mut labels: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    labels.push((name, value.to_string()));
    labels
}

fn add_run(set: &mut Families, judgement: &Judgement, item: &RunJudgement) {
    let run = run_name(item);
    let users = item.run.peak_users();
    set.add(
        RUN,
        vec![
            ("run", run.clone()),
            ("command", judgement.command.to_string()),
            ("profile", judgement.profile.name.clone()),
            ("format", item.run.dialect.as_str().to_string()),
            ("users", users.map_or_else(String::new, |u| u.to_string())),
        ],
        Some(1.0),
    );
    let run_labels = || vec![("run", run.clone())];
    // `ab` judges one run, B: its verdict is the exit code's, B's evidence and the A/B comparison.
    let verdict = judgement.verdict_of(item);
    set.add(VERDICT, run_labels(), Some(status_value(verdict)));
    set.add(START, run_labels(), item.run.started_at().map(|t| t as f64));
    set.add(DURATION, run_labels(), item.run.duration_s());
    set.add(USERS, run_labels(), users.map(|u| u as f64));
    for scope in std::iter::once(&item.aggregated).chain(&item.endpoints) {
        add_scope(set, &run, scope);
    }
    for check in &item.checks {
        add_check(set, &run, check);
    }
    for regression in item.baseline.iter().flat_map(|b| &b.comparison.regressions) {
        let labels = with(
            scope_labels(&run, &regression.scope),
            "metric",
            regression.metric.key(),
        );
        set.add(
            REGRESSION_CHANGE,
            labels.clone(),
            regression.change_pct.map(|p| p / 100.0),
        );
        set.add(
            REGRESSION_STATUS,
            labels,
            Some(status_value(regression.status)),
        );
    }
    if let Some(server) = &item.server {
        let reading = &server.reading;
        for rule in &reading.rules {
            let labels = vec![
                ("run", run.clone()),
                ("rule", rule.rule.name.clone()),
                ("unit", unit_name(rule.rule.unit).to_string()),
            ];
            set.add(SERVER_RULE_VALUE, labels.clone(), rule.graded.value);
            set.add(SERVER_RULE_LIMIT, labels.clone(), rule.graded.limit);
            set.add(
                SERVER_RULE_STATUS,
                labels,
                Some(status_value(rule.status())),
            );
        }
        set.add(
            SERVER_NOT_READ,
            run_labels(),
            Some(reading.notes.len() as f64),
        );
        for f in server.comparison.iter().flat_map(|c| &c.figures) {
            let labels = vec![
                ("run", run.clone()),
                ("figure", f.figure.label()),
                ("unit", f.figure.unit.clone()),
            ];
            set.add(SERVER_FIGURE_CHANGE, labels.clone(), f.change);
            set.add(SERVER_FIGURE_STATUS, labels, Some(status_value(f.status)));
        }
    }
    if let Some(ab) = &judgement.ab {
        add_ab(set, &run, ab);
    }
}

/// `ab`: B against A, labelled with B's run (the run `ab` judges).
fn add_ab(set: &mut Families, run: &str, ab: &AbComparison) {
    set.add(
        AB_INFO,
        vec![
            ("run", run.to_string()),
            ("a", ab.a_label.clone()),
            ("b", ab.b_label.clone()),
        ],
        Some(1.0),
    );
    let run_labels = || vec![("run", run.to_string())];
    set.add(AB_VERDICT, run_labels(), Some(status_value(ab.verdict)));
    set.add(AB_CONFIDENCE, run_labels(), Some(ab.confidence));
    let mut counted: Vec<&Scope> = Vec::new();
    for change in &ab.changes {
        let scope = scope_labels(run, &change.scope);
        // Pairs belong to the scope, not the figure: one sample per scope.
        if !counted.contains(&&change.scope) {
            counted.push(&change.scope);
            set.add(AB_PAIRS, scope.clone(), Some(change.pairs as f64));
        }
        let labels = with(scope, "metric", change.metric.key());
        for (side, value) in [("a", change.a), ("b", change.b)] {
            set.add(
                AB_VALUE,
                with(labels.clone(), "side", side),
                Some(base_unit(change.metric, value)),
            );
        }
        set.add(AB_CHANGE, labels.clone(), Some(change.change));
        let (lower, upper) = change.interval;
        for (bound, value) in [("lower", lower), ("upper", upper)] {
            set.add(
                AB_CHANGE_BOUND,
                with(labels.clone(), "bound", bound),
                Some(value),
            );
        }
        set.add(AB_LIMIT, labels.clone(), Some(change.limit));
        set.add(AB_STATUS, labels, Some(status_value(change.status)));
    }
}

fn add_scope(set: &mut Families, run: &str, scope: &ScopeResult) {
    let labels = scope_labels(run, &scope.scope);
    let stats = &scope.stats;
    set.add(REQUESTS, labels.clone(), Some(stats.requests as f64));
    set.add(FAILURES, labels.clone(), Some(stats.failures as f64));
    set.add(ERROR_RATIO, labels.clone(), Some(scope.error_rate));
    set.add(THROUGHPUT, labels.clone(), Some(stats.rps));
    for (metric, percentile) in QUANTILES {
        set.add(
            RESPONSE_TIME,
            with(labels.clone(), "percentile", percentile),
            seconds(metric.of(stats)),
        );
    }
    set.add(RESPONSE_TIME_AVG, labels.clone(), seconds(stats.avg_ms));
    set.add(RESPONSE_TIME_MAX, labels, seconds(stats.max()));
}

fn add_check(set: &mut Families, run: &str, check: &Check) {
    let labels = with(
        scope_labels(run, &check.scope),
        "metric",
        check.metric.key(),
    );
    let base = |v: f64| base_unit(check.metric, v);
    set.add(
        CHECK_STATUS,
        labels.clone(),
        Some(status_value(check.status)),
    );
    set.add(CHECK_GRADE, labels.clone(), Some(grade_value(check.grade)));
    set.add(CHECK_VALUE, labels.clone(), Some(base(check.value)));
    set.add(CHECK_LIMIT, labels.clone(), check.limit.map(base));
    set.add(CHECK_WARN_LIMIT, labels, check.warn_limit.map(base));
}

/// Each history row as timestamped samples, the aggregate and (with full history) each endpoint,
/// written straight out: a day of full history is millions of rows, too many to hold as samples.
/// Each series' points stay together, in time order, as OpenMetrics requires.
pub fn write_history(out: &mut Chunked, runs: &[RunJudgement]) -> std::io::Result<()> {
    type Value = fn(&HistoryPoint) -> Option<f64>;
    let percentiles: [(&str, Value); 3] = [
        ("50", |p| seconds(p.p50())),
        ("95", |p| seconds(p.p95())),
        ("99", |p| seconds(p.p99())),
    ];
    let requests: Value = |p| Some(p.total_requests as f64);
    let failures: Value = |p| Some(p.total_failures() as f64);
    let users: Value = |p| (p.users() > 0).then(|| p.users() as f64);
    let all_series = || {
        runs.iter().flat_map(|item| {
            let run = run_name(item);
            item.run
                .history
                .iter()
                .flat_map(|h| &h.series)
                .map(move |series| (run.clone(), series))
        })
    };
    write_header(&mut out.text, &HISTORY_RESPONSE_TIME, Flavor::OpenMetrics);
    for (run, series) in all_series() {
        for (percentile, value) in percentiles {
            let labels = with(series_labels(&run, series), "percentile", percentile);
            write_points(out, HISTORY_RESPONSE_TIME.name, &labels, series, value)?;
        }
    }
    for (spec, value) in [(HISTORY_REQUESTS, requests), (HISTORY_FAILURES, failures)] {
        write_header(&mut out.text, &spec, Flavor::OpenMetrics);
        let name = spec.sample_name();
        for (run, series) in all_series() {
            write_points(out, &name, &series_labels(&run, series), series, value)?;
        }
    }
    write_header(&mut out.text, &HISTORY_USERS, Flavor::OpenMetrics);
    for (run, series) in all_series().filter(|(_, s)| s.aggregated) {
        let labels = vec![("run", run)];
        write_points(out, HISTORY_USERS.name, &labels, series, users)?;
    }
    Ok(())
}

fn series_labels(run: &str, series: &Series) -> Vec<(&'static str, String)> {
    let scope = if series.aggregated {
        Scope::Aggregated
    } else {
        Scope::Endpoint(series.key.clone())
    };
    scope_labels(run, &scope)
}

/// One line per point that has a value: `NAME{LABELS} VALUE TIMESTAMP`, the labels escaped once.
fn write_points(
    out: &mut Chunked,
    name: &str,
    labels: &[(&'static str, String)],
    series: &Series,
    value: fn(&HistoryPoint) -> Option<f64>,
) -> std::io::Result<()> {
    let mut prefix = String::new();
    write_name_and_labels(&mut prefix, name, labels);
    for point in &series.points {
        if let Some(v) = value(point).filter(|v| v.is_finite()) {
            let _ = writeln!(out.text, "{prefix} {} {}", number(v), { point.timestamp });
            out.spill()?;
        }
    }
    Ok(())
}

/// `history --openmetrics`: each run of the archive (its aggregate), the breaks, the verdict (its
/// `run` label the archive's directory). With `dated`, each run's samples carry the run's start
/// as their timestamp (OpenMetrics only), so a backfill lays the archive out in time; runs without
/// a start carry none.
pub fn history_families(report: &HistoryReport, dated: bool) -> Vec<Family> {
    let archive = &report.archive;
    let mut set = Families::default();
    // The archive's verdict is about its newest run: dated by it.
    let newest = report.runs.last().and_then(|r| r.started_at);
    set.add_at(
        VERDICT,
        vec![("run", archive.to_string())],
        Some(status_value(report.verdict)),
        newest.filter(|_| dated),
    );
    for (i, run) in report.runs.iter().enumerate() {
        let at = run.started_at.filter(|_| dated);
        let labels = scope_labels(&run.source, &Scope::Aggregated);
        let run_labels = || vec![("run", run.source.clone())];
        set.add_at(START, run_labels(), run.started_at.map(|t| t as f64), at);
        set.add_at(USERS, run_labels(), run.peak_users.map(|u| u as f64), at);
        set.add_at(REQUESTS, labels.clone(), Some(run.requests as f64), at);
        set.add_at(FAILURES, labels.clone(), Some(run.failures as f64), at);
        set.add_at(ERROR_RATIO, labels.clone(), Some(run.error_rate), at);
        set.add_at(THROUGHPUT, labels.clone(), Some(run.rps), at);
        for (value, percentile) in [(run.p50, "50"), (run.p95, "95"), (run.p99, "99")] {
            set.add_at(
                RESPONSE_TIME,
                with(labels.clone(), "percentile", percentile),
                seconds(value),
                at,
            );
        }
        for b in report.breaks.iter().filter(|b| b.run == i) {
            set.add_at(
                TREND_BREAK,
                vec![
                    ("run", b.source.clone()),
                    ("metric", b.metric.key().to_string()),
                ],
                Some(1.0),
                at,
            );
        }
    }
    set.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unwritable_values_are_left_out() {
        let mut set = Families::default();
        set.add(VERDICT, vec![], None);
        set.add(VERDICT, vec![], Some(f64::NAN));
        set.add(VERDICT, vec![], Some(f64::INFINITY));
        assert!(set.0.is_empty());
        set.add(VERDICT, vec![], Some(2.0));
        set.add(REQUESTS, vec![], Some(5.0));
        set.add(VERDICT, vec![], Some(0.0));
        // Samples of one family stay together whatever order they were added in.
        assert_eq!(set.0.len(), 2);
        assert_eq!(set.0[0].samples.len(), 2);
    }

    #[test]
    fn an_ab_comparison_is_a_sample_per_scope_and_figure_and_its_pairs_one_per_scope() {
        use crate::analysis::paired::{compare_pairs, PairSample};
        use crate::model::EndpointKey;
        let endpoint = Scope::Endpoint(EndpointKey {
            method: "GET".into(),
            name: "/a\"b".into(),
        });
        // B twice as slow as A on every pair.
        let pairs = (0..400)
            .map(|i| PairSample {
                a_ms: 10.0 + (i % 7) as f64,
                b_ms: 20.0 + 2.0 * (i % 7) as f64,
                a_failed: false,
                b_failed: false,
            })
            .collect();
        let ab = compare_pairs(
            ("http://a".into(), "http://b".into()),
            vec![(endpoint.clone(), pairs)],
            200,
            &crate::profile::RegressionRules::default(),
            7,
        );
        assert_eq!(ab.verdict, Status::Fail);
        let mut set = Families::default();
        add_ab(&mut set, "r", &ab);
        let samples = |spec: Spec| {
            let family = set.0.iter().find(|f| f.spec.name == spec.name).unwrap();
            family.samples.clone()
        };
        assert_eq!(samples(AB_VERDICT)[0].value, 2.0);
        assert_eq!(samples(AB_INFO)[0].labels[1], ("a", "http://a".to_string()));
        // The endpoint and the aggregate.
        let counted = samples(AB_PAIRS);
        assert_eq!(counted.len(), 2);
        assert_eq!(counted[0].value, 400.0);
        let n = ab.changes.len();
        assert_eq!(n, 10);
        assert_eq!(samples(AB_STATUS).len(), n);
        assert_eq!(samples(AB_VALUE).len(), 2 * n);
        assert_eq!(samples(AB_CHANGE_BOUND).len(), 2 * n);
        let p50 = &ab.changes[0];
        assert_eq!((&p50.scope, p50.metric), (&endpoint, Metric::P50));
        let values = samples(AB_VALUE);
        assert_eq!(values[0].labels.last().unwrap(), &("side", "a".to_string()));
        assert_eq!(values[0].value, p50.a / 1000.0);
        assert_eq!(values[1].value, p50.b / 1000.0);
        assert_eq!(samples(AB_CHANGE)[0].value, p50.change);
    }

    #[test]
    fn milliseconds_become_seconds_and_other_units_stay() {
        assert_eq!(base_unit(Metric::P95, 250.0), 0.25);
        assert_eq!(base_unit(Metric::ErrorRate, 0.01), 0.01);
        assert_eq!(base_unit(Metric::Rps, 40.0), 40.0);
        assert_eq!(grade_value(Grade::Excellent), 0.0);
        assert_eq!(grade_value(Grade::Critical), 4.0);
        assert_eq!(status_value(Status::Fail), 2.0);
    }
}
