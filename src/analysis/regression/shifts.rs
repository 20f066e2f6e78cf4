//! Run-wide shifts: the whole run moved, not one endpoint.
//!
//! Two runs on two runners or two days differ far more than the sampling noise inside one run:
//! the whole runner is slower or faster. Such a shift shows on every endpoint at once, and on the
//! cheapest endpoints (a health check, a 404) most plainly, since they do no work a code change
//! could slow. So the cheapest endpoints are read as probes of the machine: when they moved past
//! the limit, the run has a **run-wide shift** of their median change, and every endpoint is
//! allowed up to `shift_transfer` times that shift before its own change counts (work on a busy
//! machine waits longer than a health check does: the corpus of `fixtures/noise` shows up to about
//! 2.5x). A change concentrated on the endpoints that do the work leaves the probes where they
//! were, and stands out. The probes' level in every kept run also feeds the machine fit
//! ([`super::noise::machine_fit`]).

use super::noise::{machine_fit, MachineFit};
use super::runner::RunnerCall;
use crate::analysis::stats::median;
use crate::analysis::summary::{RunSummary, ScopeSummary};
use crate::model::{Metric, Status};
use crate::profile::RegressionRules;

/// The cheapest endpoints are this share of those compared (at least one).
const PROBE_SHARE: usize = 3;

/// A shift of the whole run: the cheapest endpoints moved past the limit, by `ms` (negative for
/// a faster runner).
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub metric: Metric,
    /// The probes' median change, in ms.
    pub ms: f64,
    /// The probes' median ratio of current to baseline.
    pub factor: f64,
    /// The endpoints read as probes (the cheapest in the baseline).
    pub probes: Vec<String>,
    /// Every endpoint that moved the same way by at least half the shift.
    pub endpoints: Vec<String>,
}

/// The baseline and current figures of one endpoint, both with enough requests to compare.
pub struct Pair<'a> {
    pub label: String,
    pub base: &'a ScopeSummary,
    pub cur: &'a ScopeSummary,
}

/// The cheapest third of `pairs` by baseline median (at least one), cheapest first.
pub fn probes<'p, 'a>(pairs: &'p [Pair<'a>]) -> Vec<&'p Pair<'a>> {
    let mut by_cost: Vec<&Pair> = pairs
        .iter()
        .filter(|p| Metric::P50.of(p.base).is_some())
        .collect();
    by_cost.sort_by(|a, b| {
        let cost = |p: &Pair| Metric::P50.of(p.base).unwrap_or(f64::MAX);
        cost(a).total_cmp(&cost(b))
    });
    by_cost.truncate((pairs.len() / PROBE_SHARE).max(1));
    by_cost
}

/// The run-wide shift of `metric`, when the probes moved up past `limit` (relative) and
/// `min_change_ms` (or down past both), and, for a slower shift, at least half the endpoints
/// moved with them (a slowdown of 1 of 5 endpoints is theirs, not the run's). Needs at least three
/// endpoints: with fewer, a probe is no witness.
pub fn run_wide_shift(
    pairs: &[Pair],
    metric: Metric,
    limit: f64,
    min_change_ms: f64,
) -> Option<Shift> {
    if pairs.len() < 3 {
        return None;
    }
    let probes = probes(pairs);
    let moved: Vec<(f64, f64)> = probes
        .iter()
        .filter_map(|p| Some((metric.of(p.base)?, metric.of(p.cur)?)))
        .collect();
    let ms = median(&moved.iter().map(|(b, c)| c - b).collect::<Vec<_>>())?;
    let factor = probe_factor(&probes, metric)?;
    if !is_shift(ms, factor, limit, min_change_ms) {
        return None;
    }
    let endpoints = pairs
        .iter()
        .filter(|p| match (metric.of(p.base), metric.of(p.cur)) {
            (Some(b), Some(c)) => (c - b) / ms >= 0.5,
            _ => false,
        })
        .map(|p| p.label.clone())
        .collect::<Vec<_>>();
    // A slowdown of fewer than half the endpoints is theirs, and excuses no other. A speed-up
    // of the probes alone still lowers every endpoint's baseline: each is expected to be at
    // least that much faster, so a change of its own still shows.
    if ms > 0.0 && endpoints.len() * 2 < pairs.len() {
        return None;
    }
    Some(Shift {
        metric,
        ms,
        factor,
        probes: probes.iter().map(|p| p.label.clone()).collect(),
        endpoints,
    })
}

/// The probes moved by at least `min_change_ms` and by more than `limit` of their own baseline,
/// both the same way: up (a slower runner) or down (a faster one).
pub fn is_shift(ms: f64, factor: f64, limit: f64, min_change_ms: f64) -> bool {
    let slower = ms >= min_change_ms && factor - 1.0 > limit;
    let faster = ms <= -min_change_ms && 1.0 - factor > limit;
    slower || faster
}

/// The latency metrics a run-wide shift is read on.
pub const LATENCY: [Metric; 4] = [Metric::P50, Metric::P95, Metric::P99, Metric::Avg];

/// A run-wide shift as judged: what the profile makes of it, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftFinding {
    pub shift: Shift,
    pub status: Status,
    pub reason: String,
    /// The runner's records rule a slower runner out: the shift is the server's, and lends the
    /// endpoints no allowance.
    pub server_wide: bool,
    /// At least half the endpoints moved with the probes. Only a speed-up can be found without
    /// it (the cheapest endpoints alone faster): it is then no run-wide shift, and says so.
    pub run_wide: bool,
}

impl ShiftFinding {
    /// What the finding is called where it is listed.
    pub fn title(&self) -> &'static str {
        if self.run_wide {
            "run-wide shift"
        } else {
            "speed-up of the cheapest endpoints"
        }
    }
}

/// The endpoints of the current run that the newest baseline run has too, both sides with at least
/// `min_requests`: what run-wide shifts and probes are read from.
pub(super) fn comparable_pairs<'a>(
    latest: &'a RunSummary,
    current: &'a RunSummary,
    rules: &RegressionRules,
) -> Vec<Pair<'a>> {
    current
        .endpoints
        .iter()
        .filter_map(|cur| {
            let base = latest
                .endpoints
                .iter()
                .find(|b| b.method == cur.method && b.name == cur.name)?;
            let enough = base.requests.min(cur.requests) >= rules.min_requests;
            enough.then(|| Pair {
                label: cur.label(),
                base,
                cur,
            })
        })
        .collect()
}

/// The run-wide shift of every latency metric, judged once for the run, with what the runner's
/// records say (`runner`): a slower shift on a runner that held is the server's (fails, and
/// lends the endpoints no allowance); on a busier runner it keeps `rules.shift`; without records, it
/// keeps `rules.shift` and says a record would tell them apart. With a rolling baseline
/// (`kept`: the probes and the kept runs) the endpoints are judged against the kept runs' median, so
/// a runner not vouched for is also allowed the probes' move against that median, when larger.
pub(super) fn shifts(
    pairs: &[Pair],
    rules: &RegressionRules,
    runner: &RunnerCall,
    kept: (&Probes, &[RunSummary]),
) -> Vec<ShiftFinding> {
    LATENCY
        .into_iter()
        .filter_map(|metric| {
            let limit = rules.limit(metric)?;
            let latest = run_wide_shift(pairs, metric, limit, rules.min_change_ms);
            // A record vouches against one kept run only (`pairs` are read against it): a shift
            // against the others' median is no server-wide evidence, so a runner that held is not
            // read on it.
            let over_kept = match runner {
                RunnerCall::Held { .. } => None,
                _ => shift_over_kept(pairs, metric, limit, rules.min_change_ms, kept),
            };
            let shift = match (latest, over_kept) {
                (Some(a), Some(b)) if b.ms > a.ms => b,
                (a, b) => a.or(b)?,
            };
            let range = kept_range(metric, kept.0);
            let beyond = match runner {
                RunnerCall::Unknown => {
                    range.filter(|r| metric == Metric::Avg && r.now > BEYOND_KEPT * r.largest)
                }
                // The kept runs measured the server's own noise on this contended machine: past
                // the largest of them by more than the limit is beyond it.
                RunnerCall::Held { .. } if runner.contended_body() => range.filter(|r| {
                    matches!(metric, Metric::P50 | Metric::Avg) && r.now > (1.0 + limit) * r.largest
                }),
                _ => None,
            };
            Some(judge_shift(shift, pairs, rules, runner, beyond))
        })
        .collect()
}

/// Without runner records, a rolling baseline's kept runs show how far the runner moves between
/// runs: the cheapest endpoints' mean past this many times its largest level in the kept runs is a
/// much slower runner than any of them, or a slower server, and fails. Measured with rolling
/// baselines of 5 kept runs drawn from calm, hogged and one-core runs (fixtures/noise and a corpus
/// made at 6-8 load per CPU, 216 same-build checks): the same build reached 3.03x, a server with
/// every request's cost doubled 3.35x; a server at half capacity moved the mean 5.4x (issue 32).
/// The median is not read: at a few milliseconds its steps are whole milliseconds (2 -> 9 ms), and
/// it moved 5.2x for the same build.
pub const BEYOND_KEPT: f64 = 4.0;
/// The kept runs it takes to know the runner's range.
pub const KEPT_FOR_RANGE: usize = 3;

/// The probes' level of `metric` now and its range in the kept runs, when at least
/// [`KEPT_FOR_RANGE`] kept runs had one.
fn kept_range(metric: Metric, probes: &Probes) -> Option<Beyond> {
    let (_, levels, now) = probes.levels.iter().find(|(m, _, _)| *m == metric)?;
    let kept: Vec<f64> = levels.iter().flatten().copied().collect();
    let largest = kept.iter().copied().fold(f64::NAN, f64::max);
    let now = (*now)?;
    (kept.len() >= KEPT_FOR_RANGE && largest > 0.0).then(|| Beyond {
        largest,
        smallest: kept.iter().copied().fold(f64::INFINITY, f64::min),
        now,
        runs: kept.len(),
    })
}

/// The probes' level now against its range in the kept runs (see [`kept_range`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beyond {
    pub largest: f64,
    pub smallest: f64,
    pub now: f64,
    pub runs: usize,
}

/// The slower run-wide shift of `metric` against the kept runs' median of the probes' level, with
/// at least half the endpoints moving by half of it against their own kept median: `None` with
/// fewer than two kept runs, or no such shift.
fn shift_over_kept(
    pairs: &[Pair],
    metric: Metric,
    limit: f64,
    min_change_ms: f64,
    (probes, baseline): (&Probes, &[RunSummary]),
) -> Option<Shift> {
    if baseline.len() < 2 || probes.labels.is_empty() {
        return None;
    }
    let (_, levels, now) = probes.levels.iter().find(|(m, _, _)| *m == metric)?;
    let base = median(&levels.iter().flatten().copied().collect::<Vec<_>>())?;
    let now = (*now)?;
    let (ms, factor) = (now - base, now / base);
    if base <= 0.0 || ms <= 0.0 || !is_shift(ms, factor, limit, min_change_ms) {
        return None;
    }
    let endpoints: Vec<String> = pairs
        .iter()
        .filter(
            |p| match (kept_median(baseline, &p.label, metric), metric.of(p.cur)) {
                (Some(b), Some(c)) => (c - b) / ms >= 0.5,
                _ => false,
            },
        )
        .map(|p| p.label.clone())
        .collect();
    if endpoints.len() * 2 < pairs.len() {
        return None;
    }
    Some(Shift {
        metric,
        ms,
        factor,
        probes: probes.labels.clone(),
        endpoints,
    })
}

/// `metric` of the endpoint `label`: its median over the kept runs that have it.
fn kept_median(baseline: &[RunSummary], label: &str, metric: Metric) -> Option<f64> {
    let values: Vec<f64> = baseline
        .iter()
        .filter_map(|r| r.endpoints.iter().find(|e| e.label() == label))
        .filter_map(|e| metric.of(e))
        .collect();
    median(&values)
}

/// What moved: "N of M endpoints moved by at least half that (…); did not: …".
fn measured(shift: &Shift, pairs: &[Pair]) -> String {
    let still: Vec<&str> = pairs
        .iter()
        .filter(|p| !shift.endpoints.contains(&p.label))
        .map(|p| p.label.as_str())
        .collect();
    let did_not = if still.is_empty() {
        String::new()
    } else {
        format!("; did not: {}", still.join(", "))
    };
    format!(
        "the cheapest endpoints ({}) moved {:+.0} ms ({:.1}x); {} of {} endpoints moved by at least half that ({}){did_not}",
        shift.probes.join(", "),
        shift.ms,
        shift.factor,
        shift.endpoints.len(),
        pairs.len(),
        shift.endpoints.join(", "),
    )
}

fn judge_shift(
    shift: Shift,
    pairs: &[Pair],
    rules: &RegressionRules,
    runner: &RunnerCall,
    beyond: Option<Beyond>,
) -> ShiftFinding {
    let what = measured(&shift, pairs);
    let run_wide = shift.endpoints.len() * 2 >= pairs.len();
    let finding = |status, server_wide, reason| ShiftFinding {
        shift: shift.clone(),
        status,
        reason,
        server_wide,
        run_wide,
    };
    if shift.ms < 0.0 {
        let looks = if !run_wide {
            "Only the cheapest endpoints were faster (a quieter runner, or a change to them)"
        } else {
            "A faster or quieter runner looks like this"
        };
        return finding(
            Status::Pass,
            false,
            format!(
                "{what}. {looks}; each endpoint is expected to be at least that much faster, so a change of its own still shows"
            ),
        );
    }
    let same_build = format!(
        "The same build on a slower or busier runner looks like this: rerun, refresh the baseline on this runner, \
         or compare both builds side by side (A/B); endpoints are judged beyond up to {}x this shift",
        rules.shift_transfer
    );
    // A server-wide regression moves the endpoints in proportion: most of them by at least half
    // the cheapest endpoints' factor, not only by half their milliseconds (a 16 -> 22 ms health
    // check carries 300 ms pages that moved 3 ms with it).
    let own = moved_in_proportion(&shift, pairs);
    let most_moved = own * 2 >= pairs.len();
    // On a contended machine the body is the server's only when its median and mean both moved:
    // the same build's jitter there moves one of them (a few-millisecond median by whole
    // milliseconds, a mean by a few stalled requests), a server short of capacity queues every
    // request and moves both.
    let factor = if runner.contended_body() && matches!(shift.metric, Metric::P50 | Metric::Avg) {
        body_factor(pairs).map_or(shift.factor, |f| f.min(shift.factor))
    } else {
        shift.factor
    };
    match runner {
        RunnerCall::Held {
            figures,
            contended,
            fewer_cpus,
            ..
        } => match server_wide_past(shift.metric, runner) {
            Some(past) if factor > past && !most_moved => finding(
                rules.shift,
                false,
                format!(
                    "{what}, on a runner whose records show no drop ({figures}); but only {own} of {} endpoints moved by at least half of it in proportion ({:+.0}% of their own), \
                     so the whole server did not slow; endpoints are judged beyond up to {}x this shift",
                    pairs.len(),
                    (shift.factor - 1.0) * 50.0,
                    rules.shift_transfer
                ),
            ),
            Some(past) if factor > past => finding(
                Status::Fail,
                true,
                format!(
                    "server-wide regression: {what}, and the runner's records show no drop in what it had to give ({figures}); \
                     a slower runner is ruled out, so the endpoints are judged without a shift allowance"
                ),
            ),
            _ if beyond.is_some() && most_moved => {
                let b = beyond.expect("matched");
                finding(
                    Status::Fail,
                    true,
                    format!(
                        "server-wide regression: {what}; the cheapest endpoints' {} is {:.0} ms, past the largest of the {} kept runs ({:.0}-{:.0} ms) \
                         by more than the limit, on a runner whose records show no drop ({figures}): the kept runs measured how far the same build \
                         moves on this contended machine, and this is beyond it",
                        shift.metric.key(),
                        b.now,
                        b.runs,
                        b.smallest,
                        b.largest,
                    ),
                )
            }
            _ => {
                let why = match (shift.metric, contended) {
                    (Metric::P50 | Metric::Avg, _) => format!(
                        "The runner's records show no drop ({figures}), but the generator waited for a CPU in both runs: \
                         on a machine that contended, the same build moved up to 2.5x between runs in loadgate's corpora, so a shift is read as the server's \
                         only past {CONTENDED_SHIFT}x, or past every run of a rolling baseline of 3 or more (keep several runs to measure this machine's spread)"
                    ),
                    (_, false) if *fewer_cpus => format!(
                        "The runner's records show no drop ({figures}), but this run's generator could run on fewer CPUs than the baseline's: \
                         it shared them with the rest of the machine, and a reply that came while another task held its CPU waited a time slice, \
                         which moves the tails and not the body"
                    ),
                    (_, false) => format!(
                        "The runner's records show no drop ({figures}): a shift of the tails is the server's past {HELD_TAIL_SHIFT}x"
                    ),
                    (_, true) => format!(
                        "The runner's records show no drop ({figures}), but the generator waited for a CPU in both runs: \
                         a contended machine moves tails several times over"
                    ),
                };
                finding(rules.shift, false, format!("{what}. {why}. {same_build}"))
            }
        },
        RunnerCall::Busier { why } => finding(
            rules.shift,
            false,
            format!("{what}. The runner's records show it busier ({why}). {same_build}"),
        ),
        // Far beyond every kept run, without records: a slower server or a much slower runner,
        // and either way not a verdict to pass on.
        RunnerCall::Unknown if beyond.is_some() => {
            let b = beyond.expect("matched");
            finding(
                Status::Fail,
                false,
                format!(
                    "server-wide slowdown or a much slower runner: {what}; the cheapest endpoints' mean is {:.0} ms, {:.1}x the largest of the {} kept runs ({:.0}-{:.0} ms), past {BEYOND_KEPT}x, further than the same build on busier runners moved it past its kept runs in loadgate's corpora (3.0x). \
                     Rerun, record the runner of both runs (`loadgate record`) to tell them apart, or compare both builds side by side (A/B)",
                    b.now,
                    b.now / b.largest,
                    b.runs,
                    b.smallest,
                    b.largest,
                ),
            )
        }
        // Without records the two cannot be told apart: a hogged runner moved the cheapest
        // endpoints' median 5.5x in fixtures/noise, a server at half capacity 4-5x (issue 32).
        RunnerCall::Unknown => finding(
            rules.shift,
            false,
            format!("{what}. {same_build}; a runner record of both runs (`loadgate record`) would tell a slower server apart"),
        ),
    }
}

/// On a runner its records show busier, how far each latency metric of the whole run moved: the
/// median over the endpoints (`pairs`, at least three) of current over baseline (the median of
/// the endpoint in the kept runs `baseline`, as its regressions are judged against), when it rose.
/// A busier machine slows the work in proportion to it, where the cheapest endpoints, which do
/// little, move a few milliseconds: in the runner corpora a CPU hog beside Datasette moved its
/// SQL pages' medians +42-58% and its version endpoint 9 -> 13 ms, short of the shift's floor, and
/// the same build failed on the one page that moved most. Each endpoint is then allowed the
/// run's move in proportion (beside the shift's milliseconds), and only a change that stands out
/// of it is the endpoint's own.
pub(super) fn busier_moves(
    pairs: &[Pair],
    baseline: &[RunSummary],
    runner: &RunnerCall,
) -> Vec<(Metric, f64)> {
    if !matches!(runner, RunnerCall::Busier { .. }) || pairs.len() < 3 {
        return Vec::new();
    }
    LATENCY
        .into_iter()
        .filter_map(|metric| {
            let ratios: Vec<f64> = pairs
                .iter()
                .filter_map(|p| {
                    // Without kept runs (never in a comparison): the pair's own baseline.
                    let base =
                        kept_median(baseline, &p.label, metric).or_else(|| metric.of(p.base));
                    match (base, metric.of(p.cur)) {
                        (Some(b), Some(c)) if b > 0.0 => Some(c / b),
                        _ => None,
                    }
                })
                .collect();
            let moved = median(&ratios)?;
            (ratios.len() * 2 > pairs.len() && moved > 1.0).then_some((metric, moved))
        })
        .collect()
}

/// The probes' median ratio of current to baseline `metric`.
fn probe_factor(probes: &[&Pair], metric: Metric) -> Option<f64> {
    median(
        &probes
            .iter()
            .filter_map(|p| match (metric.of(p.base), metric.of(p.cur)) {
                (Some(b), Some(c)) if b > 0.0 => Some(c / b),
                _ => None,
            })
            .collect::<Vec<_>>(),
    )
}

/// The smaller of the probes' median ratio (current over baseline) of the median and of the mean.
fn body_factor(pairs: &[Pair]) -> Option<f64> {
    let probes = probes(pairs);
    Some(probe_factor(&probes, Metric::P50)?.min(probe_factor(&probes, Metric::Avg)?))
}

/// How many endpoints moved the shift's metric up by at least half its relative change.
fn moved_in_proportion(shift: &Shift, pairs: &[Pair]) -> usize {
    let half = (shift.factor - 1.0) / 2.0;
    pairs
        .iter()
        .filter(
            |p| match (shift.metric.of(p.base), shift.metric.of(p.cur)) {
                (Some(b), Some(c)) => b > 0.0 && c / b - 1.0 >= half,
                _ => false,
            },
        )
        .count()
}

/// On a runner whose record held, and whose generator waited for a CPU in both runs
/// ([`super::runner::CONTENDED_WAIT`]), a shift of the median or mean is the server's past this
/// factor. Every ordered pair of the runner corpora (`bench/runner_corpus.py`): the same build moved
/// the body past 1.5x in 6 of 266 such pairs (at most 2.0x; past 1.2x in 16), a server at half
/// capacity in 174 of 219. Between the two, no factor separates them; this one keeps most of both.
pub const CONTENDED_SHIFT: f64 = 1.5;

/// On a runner whose record held and did not contend, a shift of the tails (P95, P99) is the
/// server's past this factor. A server in a CPU quota halved held its median and moved the tails
/// 2-3x; the same build, its runner held and uncontended, moved them past 1.5x in 1 of 240 pairs,
/// a server at half capacity in 335 of 425. On a contended machine tails are not read so: they
/// move several times over.
pub const HELD_TAIL_SHIFT: f64 = 1.5;

/// The factor past which a slower run-wide shift of `metric` on a runner that held is the
/// server's (`None`: never, or no record held; 1.0: any shift past the profile's limit). On a
/// contended machine whose generator was calmer ([`super::runner::CALMER_WAIT`]) the machine did
/// not slow the body. The tails are not read so when the generator could run on fewer CPUs than
/// the baseline's ([`super::runner::fewer_cpus`]): the scheduler moves them.
pub fn server_wide_past(metric: Metric, runner: &RunnerCall) -> Option<f64> {
    let RunnerCall::Held {
        contended,
        fewer_cpus,
        ..
    } = runner
    else {
        return None;
    };
    match metric {
        Metric::P50 | Metric::Avg if runner.contended_body() => Some(CONTENDED_SHIFT),
        Metric::P50 | Metric::Avg => Some(1.0),
        _ if *contended || *fewer_cpus => None,
        _ => Some(HELD_TAIL_SHIFT),
    }
}

/// The run-wide shift a metric is judged beyond. A slower machine delays requests, and a delay that
/// lifts the body of the distribution lifts its tail by at least as many milliseconds: a tail is
/// allowed the largest slowdown of itself or of the percentiles below it (a tail's own shift is
/// often missed: the probes' P99 is a handful of requests, or a timeout-bound outlier). A faster
/// runner's shift applies to its own metric only.
pub(super) fn shift_for(shifts: &[ShiftFinding], metric: Metric) -> (f64, Metric) {
    // A server-wide shift is the regression itself: it excuses nothing.
    let shifts: Vec<&ShiftFinding> = shifts.iter().filter(|s| !s.server_wide).collect();
    let own = shifts
        .iter()
        .find(|s| s.shift.metric == metric)
        .map_or(0.0, |s| s.shift.ms);
    let below: &[Metric] = match metric {
        Metric::P95 => &[Metric::P50],
        Metric::P99 => &[Metric::P50, Metric::P95],
        _ => &[],
    };
    shifts
        .iter()
        .filter(|s| below.contains(&s.shift.metric) && s.shift.ms > own)
        .map(|s| (s.shift.ms, s.shift.metric))
        .fold((own, metric), |a, b| if b.0 > a.0 { b } else { a })
}

/// The probes of a comparison, as the machine fit reads them.
pub(super) struct Probes {
    /// The endpoints read as probes: the machine's witnesses, never fitted against themselves.
    labels: Vec<String>,
    /// Each latency metric's probe level in every kept run (oldest first) and in the current run.
    levels: Vec<(Metric, Vec<Option<f64>>, Option<f64>)>,
}

impl Probes {
    /// The cheapest third of the endpoints both runs have enough requests of (`pairs`), by the
    /// newest baseline run's median, and their levels in `baseline` and `current`.
    pub(super) fn new(pairs: &[Pair], baseline: &[RunSummary], current: &RunSummary) -> Probes {
        let labels = if pairs.len() < 3 {
            Vec::new()
        } else {
            probes(pairs).iter().map(|p| p.label.clone()).collect()
        };
        let levels = probe_levels(baseline, current, &labels);
        Probes { labels, levels }
    }

    /// The machine fit of `metric` for a scope kept in the baseline runs `runs` with `values`:
    /// `None` for the probes themselves, without probe levels, or when [`machine_fit`] finds none.
    pub(super) fn fit(
        &self,
        metric: Metric,
        runs: &[usize],
        baselines: &[&ScopeSummary],
        current: &ScopeSummary,
        z: f64,
    ) -> Option<MachineFit> {
        if self.labels.contains(&current.label()) {
            return None;
        }
        let (_, kept_levels, now) = self.levels.iter().find(|(m, _, _)| *m == metric)?;
        let points: Vec<(f64, f64)> = runs
            .iter()
            .zip(baselines)
            .filter_map(|(&i, scope)| Some(((*kept_levels.get(i)?)?, metric.of(*scope)?)))
            .collect();
        machine_fit(&points, (*now)?, z)
    }
}

/// The median of `metric` over the probes in one run (`None` when the run has none of them).
fn probe_level(run: &RunSummary, probes: &[String], metric: Metric) -> Option<f64> {
    let values: Vec<f64> = run
        .endpoints
        .iter()
        .filter(|e| probes.contains(&e.label()))
        .filter_map(|e| metric.of(e))
        .collect();
    median(&values)
}

fn probe_levels(
    baseline: &[RunSummary],
    current: &RunSummary,
    probes: &[String],
) -> Vec<(Metric, Vec<Option<f64>>, Option<f64>)> {
    if probes.is_empty() {
        return Vec::new();
    }
    LATENCY
        .into_iter()
        .map(|metric| {
            let kept = baseline
                .iter()
                .map(|r| probe_level(r, probes, metric))
                .collect();
            (metric, kept, probe_level(current, probes, metric))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(p50: f64, p95: f64) -> ScopeSummary {
        let mut percentiles = vec![None; 11];
        percentiles[0] = Some(p50);
        percentiles[5] = Some(p95);
        ScopeSummary {
            method: "GET".into(),
            name: "x".into(),
            requests: 1000,
            failures: 0,
            rps: 10.0,
            avg: Some(p50),
            max: Some(p95 * 2.0),
            percentiles,
            min: Some(1.0),
            intervals: None,
            histogram: None,
        }
    }

    fn pairs(
        rows: &[(&str, f64, f64)],
        keep: &mut Vec<(ScopeSummary, ScopeSummary)>,
    ) -> Vec<String> {
        keep.clear();
        for (_, b, c) in rows {
            keep.push((scope(*b, *b * 3.0), scope(*c, *c * 3.0)));
        }
        rows.iter().map(|r| r.0.to_string()).collect()
    }

    /// `f` over the pairs of `rows` (label, baseline P50, current P50).
    fn with_pairs<R>(rows: &[(&str, f64, f64)], f: impl FnOnce(&[Pair]) -> R) -> R {
        let mut keep = Vec::new();
        let labels = pairs(rows, &mut keep);
        let pairs: Vec<Pair> = labels
            .into_iter()
            .zip(&keep)
            .map(|(label, (b, c))| Pair {
                label,
                base: b,
                cur: c,
            })
            .collect();
        f(&pairs)
    }

    fn shift_of(rows: &[(&str, f64, f64)]) -> Option<Shift> {
        with_pairs(rows, |pairs| run_wide_shift(pairs, Metric::P50, 0.2, 5.0))
    }

    /// The P50 shift of `rows`, judged with the default rules and no runner record.
    fn judged_of(rows: &[(&str, f64, f64)]) -> Option<ShiftFinding> {
        with_pairs(rows, |pairs| {
            let shift = run_wide_shift(pairs, Metric::P50, 0.2, 5.0)?;
            Some(judge_shift(
                shift,
                pairs,
                &RegressionRules::default(),
                &RunnerCall::Unknown,
                None,
            ))
        })
    }

    /// The P50 shift of `rows` on a runner whose record held and did not contend.
    fn held_of(rows: &[(&str, f64, f64)]) -> ShiftFinding {
        let held = RunnerCall::Held {
            figures: "held".into(),
            against: 0,
            contended: false,
            calmer: false,
            fewer_cpus: false,
        };
        with_pairs(rows, |pairs| {
            let shift = run_wide_shift(pairs, Metric::P50, 0.2, 5.0).expect("a run-wide shift");
            judge_shift(shift, pairs, &RegressionRules::default(), &held, None)
        })
    }

    #[test]
    fn a_server_wide_regression_moves_most_endpoints_in_proportion() {
        // A health check 10 -> 20 ms (2x): the pages moved with it by its milliseconds (at least
        // +5 ms), but by half its factor (+50%) only as often as the rows say.
        let rows = |page: f64| {
            [
                ("/health", 10.0, 20.0),
                ("/missing", 10.0, 20.0),
                ("/a", 300.0, 300.0 * page),
                ("/b", 300.0, 300.0 * page),
                ("/c", 300.0, 300.0 * page),
                ("/d", 300.0, 300.0 * page),
            ]
        };
        // Every page +50%: all six moved in proportion; a server-wide regression.
        let all = held_of(&rows(1.5));
        assert_eq!((all.status, all.server_wide), (Status::Fail, true));
        // Just under half the factor: only the two probes moved in proportion, 2 of 6.
        let probes_only = held_of(&rows(1.499));
        assert_eq!(
            (probes_only.status, probes_only.server_wide),
            (RegressionRules::default().shift, false)
        );
        assert!(
            probes_only.reason.contains("only 2 of 6 endpoints moved by at least half of it in proportion (+50% of their own)"),
            "{}",
            probes_only.reason
        );
        // One page at +50% with the probes: 3 of 6, half, which counts as for the shift itself.
        let mut half = rows(1.499);
        half[2].2 = 450.0;
        assert!(held_of(&half).server_wide);
        half[2].2 = 449.9;
        assert!(!held_of(&half).server_wide);
    }

    #[test]
    fn a_busier_runner_lends_the_whole_runs_move_in_proportion() {
        let busier = RunnerCall::Busier {
            why: "busier".into(),
        };
        let moves = |rows: &[(&str, f64, f64)], runner: &RunnerCall| {
            with_pairs(rows, |pairs| busier_moves(pairs, &[], runner))
        };
        let p50 =
            |moves: &[(Metric, f64)]| moves.iter().find(|(m, _)| *m == Metric::P50).map(|m| m.1);
        // Datasette beside a hog: the pages +42-58%, the version endpoint 9 -> 13 ms.
        let rows = [
            ("/-/versions.json", 9.0, 13.0),
            ("/data.json", 110.0, 160.0),
            ("/items.json", 330.0, 470.0),
            ("/items/[id].json", 120.0, 190.0),
        ];
        let moved = p50(&moves(&rows, &busier)).expect("a move");
        assert!(
            (moved - (160.0 / 110.0 + 13.0 / 9.0) / 2.0).abs() < 1e-12,
            "{moved}"
        );
        // Only on a runner its records show busier: held and unknown lend nothing.
        for runner in [
            RunnerCall::Unknown,
            RunnerCall::Held {
                figures: "held".into(),
                against: 0,
                contended: true,
                calmer: false,
                fewer_cpus: false,
            },
        ] {
            assert!(moves(&rows, &runner).is_empty());
        }
        // Three endpoints are the fewest that show a run's move; two are not.
        assert!(p50(&moves(&rows[..3], &busier)).is_some());
        assert!(moves(&rows[..2], &busier).is_empty());
        // A run whose endpoints did not rise (the median at 1.0 or below) lends nothing.
        let still = [("/a", 10.0, 10.0), ("/b", 20.0, 20.0), ("/c", 30.0, 90.0)];
        assert_eq!(p50(&moves(&still, &busier)), None);
        let just = [("/a", 10.0, 10.01), ("/b", 20.0, 20.02), ("/c", 30.0, 30.0)];
        assert!(p50(&moves(&just, &busier)).is_some_and(|m| m > 1.0));
    }

    #[test]
    fn a_slower_runner_moves_the_cheapest_endpoints_too() {
        // Same build, another day: /health 5 -> 110 ms, the work endpoints up less than 3x that.
        let shift = shift_of(&[
            ("/health", 5.0, 110.0),
            ("/missing", 4.0, 140.0),
            ("/items", 17.0, 170.0),
            ("/search", 38.0, 200.0),
            ("/report", 110.0, 320.0),
            ("/orders", 28.0, 200.0),
        ])
        .expect("a run-wide shift");
        assert_eq!(shift.probes, ["/missing", "/health"]);
        assert_eq!(shift.ms, 120.5);
        assert_eq!(shift.endpoints.len(), 6);
    }

    #[test]
    fn a_slowdown_of_the_work_leaves_the_probes_and_is_no_shift() {
        let rows = [
            ("/health", 5.0, 5.0),
            ("/missing", 4.0, 6.0),
            ("/items", 17.0, 31.0),
            ("/search", 38.0, 78.0),
            ("/report", 110.0, 220.0),
            ("/orders", 28.0, 53.0),
        ];
        assert_eq!(shift_of(&rows), None);
        assert_eq!(shift_of(&rows[..2]), None, "two endpoints are no witnesses");
    }

    #[test]
    fn a_slowdown_of_fewer_than_half_the_endpoints_is_no_run_wide_shift() {
        // The probes moved +45 ms; /items moved by half that or more in the first case only.
        let rows = |items: f64| {
            [
                ("/health", 5.0, 50.0),
                ("/missing", 4.0, 49.0),
                ("/items", 17.0, items),
                ("/search", 38.0, 38.0),
                ("/report", 110.0, 110.0),
                ("/orders", 28.0, 28.0),
            ]
        };
        let shift = shift_of(&rows(17.0 + 22.5)).expect("3 of 6 moved: half the run");
        assert_eq!(shift.endpoints.len(), 3);
        assert_eq!(shift_of(&rows(17.0 + 22.4)), None, "2 of 6 moved");
        // The probes alone faster: still a (faster) shift, which lowers every baseline.
        let faster = [
            ("/health", 10.0, 2.0),
            ("/missing", 12.0, 3.0),
            ("/items", 17.0, 17.0),
            ("/search", 38.0, 38.0),
            ("/report", 110.0, 110.0),
            ("/orders", 28.0, 28.0),
        ];
        let shift = shift_of(&faster).expect("a speed-up of the probes");
        assert_eq!((shift.ms, shift.endpoints.len()), (-8.5, 2));
        let found = judged_of(&faster).expect("judged");
        assert_eq!(
            (found.status, found.title()),
            (Status::Pass, "speed-up of the cheapest endpoints")
        );
        assert!(
            found
                .reason
                .contains("Only the cheapest endpoints were faster"),
            "{}",
            found.reason
        );
        // Three of six faster: the run's.
        let mut run = faster;
        run[2].2 = 17.0 - 4.25;
        assert_eq!(judged_of(&run).expect("judged").title(), "run-wide shift");
    }

    #[test]
    fn a_shift_needs_the_probes_past_both_the_limit_and_the_floor_either_way() {
        assert!(is_shift(5.0, 1.21, 0.2, 5.0));
        assert!(!is_shift(4.9, 1.5, 0.2, 5.0), "under the floor");
        assert!(!is_shift(50.0, 1.2, 0.2, 5.0), "at the limit");
        assert!(is_shift(-30.0, 0.5, 0.2, 5.0), "a faster runner");
        assert!(!is_shift(-30.0, 0.8, 0.2, 5.0), "faster by the limit only");
        assert!(
            !is_shift(30.0, 0.7, 0.2, 5.0),
            "the ms and the factor disagree"
        );
    }

    fn finding(metric: Metric, ms: f64) -> ShiftFinding {
        ShiftFinding {
            shift: Shift {
                metric,
                ms,
                factor: 1.0,
                probes: Vec::new(),
                endpoints: Vec::new(),
            },
            status: Status::Warn,
            reason: String::new(),
            server_wide: false,
            run_wide: true,
        }
    }

    #[test]
    fn a_tail_is_allowed_the_largest_slowdown_below_it() {
        let shifts = [
            finding(Metric::P50, 20.0),
            finding(Metric::P95, 200.0),
            finding(Metric::Avg, 30.0),
        ];
        let of = |metric| shift_for(&shifts, metric);
        assert_eq!(
            of(Metric::P99),
            (200.0, Metric::P95),
            "no P99 shift of its own"
        );
        assert_eq!(of(Metric::P95), (200.0, Metric::P95));
        assert_eq!(
            of(Metric::P50),
            (20.0, Metric::P50),
            "the body: its own only"
        );
        assert_eq!(of(Metric::Avg), (30.0, Metric::Avg));
        assert_eq!(of(Metric::P90), (0.0, Metric::P90), "not a shift metric");
        // Its own shift wins when larger; a body's faster runner lends nothing.
        let shifts = [finding(Metric::P50, -40.0), finding(Metric::P99, 500.0)];
        let of = |metric| shift_for(&shifts, metric);
        assert_eq!(of(Metric::P99), (500.0, Metric::P99));
        assert_eq!(of(Metric::P95), (0.0, Metric::P95));
        assert_eq!(of(Metric::P50), (-40.0, Metric::P50));
        assert_eq!(shift_for(&[], Metric::P99), (0.0, Metric::P99));
    }
}
