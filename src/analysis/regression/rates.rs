//! Error rates and throughput, baseline against current. An error rate moves on points and is held
//! against the binomial noise of both runs; throughput is held against what the runners' records
//! say, a run-wide shift (users that wait for slower responses send less) and the noise of the
//! per-interval rates.

use super::comparison::Direction;
use super::evidence::{Evidence, Judged};
use super::runner::RunnerCall;
use super::sampling::{binomial_se, interval_noise};
use crate::analysis::summary::ScopeSummary;
use crate::model::Status;

/// An error rate: past the limit (points), and beyond the sampling noise of both runs.
pub(super) fn error_rate(evidence: &Evidence, z: f64, held: Status) -> Judged {
    let Evidence {
        limit,
        base,
        cur,
        latest,
        current,
        ..
    } = *evidence;
    let change = cur - base;
    if change.abs() <= limit {
        return (
            Direction::Unchanged,
            Status::Pass,
            format!("within ±{:.2} points", limit * 100.0),
        );
    }
    let direction = if change > 0.0 {
        Direction::Regressed
    } else {
        Direction::Improved
    };
    if direction == Direction::Improved {
        return (
            direction,
            Status::Pass,
            format!("{:.2} points fewer errors", -change * 100.0),
        );
    }
    let noise = z
        * (binomial_se(base, latest.requests).powi(2) + binomial_se(cur, current.requests).powi(2))
            .sqrt();
    if change <= noise {
        return (
            direction,
            Status::Warn,
            format!(
                "+{:.2} points, but within the sampling noise of ±{:.2} points",
                change * 100.0,
                noise * 100.0
            ),
        );
    }
    (
        direction,
        held,
        format!(
            "+{:.2} points, more than the limit of {:.2}",
            change * 100.0,
            limit * 100.0
        ),
    )
}

/// Throughput (the aggregate's, at equal user counts): a fall past the limit and beyond the noise
/// of the per-interval rates. In a closed model a fall is the same evidence as a run-wide shift of
/// the latencies, so it is read as one: on a runner whose records show no drop it is the
/// server's and fails; on a busier runner it warns with the runner's figures (a starved generator
/// sends less); without records, a fall no larger than the run-wide shift explains passes.
pub(super) fn throughput(evidence: &Evidence, z: f64, held: Status) -> Judged {
    let (limit, base, cur) = (evidence.limit, evidence.base, evidence.cur);
    let (vouching, current) = (evidence.vouching, evidence.current);
    let rel = if base > 0.0 { (cur - base) / base } else { 0.0 };
    if rel.abs() <= limit {
        return (
            Direction::Unchanged,
            Status::Pass,
            format!("within ±{:.0}%", limit * 100.0),
        );
    }
    if rel > 0.0 {
        return (
            Direction::Improved,
            Status::Pass,
            format!("{:+.1}% throughput", rel * 100.0),
        );
    }
    if let RunnerCall::Busier { why } = evidence.runner {
        return (
            Direction::Regressed,
            Status::Warn,
            format!(
                "{:.1}% throughput on a busier runner ({why}): a generator with less CPU sends less; rerun, or compare both builds side by side (A/B)",
                rel * 100.0
            ),
        );
    }
    let runner_held = matches!(evidence.runner, RunnerCall::Held { .. });
    // A record vouches against one kept run: the server served less only when the fall is past
    // the limit against that run too.
    let against_vouching = if vouching.rps > 0.0 {
        (current.rps - vouching.rps) / vouching.rps
    } else {
        0.0
    };
    if runner_held && -against_vouching <= limit {
        return (
            Direction::Regressed,
            Status::Warn,
            format!(
                "{:.1}% throughput against the kept runs' median, but {:+.1}% against the kept run whose runner record this run's is held against",
                rel * 100.0,
                against_vouching * 100.0
            ),
        );
    }
    // On a contended machine a record vouches for the generator's share only: a run-wide shift
    // it excused explains the fall as it does without records.
    if !runner_held || evidence.runner.contended_body() {
        if let Some(why) =
            throughput_follows_shift(cur / base, evidence.latest, current, evidence.shifted)
        {
            return (
                Direction::Regressed,
                Status::Pass,
                format!("{:.1}% throughput, {why}", rel * 100.0),
            );
        }
    }
    if let Some(noise) = interval_noise(evidence.baselines, current, |i| &i.rps, 1.0, z) {
        if -rel <= noise {
            return (
                Direction::Regressed,
                Status::Warn,
                format!(
                    "{:.1}% throughput, but within the interval noise of ±{:.1}%",
                    rel * 100.0,
                    noise * 100.0
                ),
            );
        }
    }
    let why = match evidence.runner {
        RunnerCall::Held { figures, .. } => format!(
            "; the runner's records show no drop in what it had to give ({figures}): the server served less"
        ),
        _ => String::new(),
    };
    (
        Direction::Regressed,
        held,
        format!(
            "{:.1}% throughput, past the limit of -{:.0}%{why}",
            rel * 100.0,
            limit * 100.0
        ),
    )
}

/// In a closed model each user waits for its response: when the whole run is slower, throughput
/// falls by up to the factor the mean latency rose. A fall no larger than that, under a run-wide
/// shift, is the shift's.
fn throughput_follows_shift(
    ratio: f64,
    latest: &ScopeSummary,
    current: &ScopeSummary,
    shifted: bool,
) -> Option<String> {
    let (base_avg, cur_avg) = (latest.avg?, current.avg?);
    let slower = cur_avg / base_avg;
    (shifted && slower > 1.0 && ratio >= 1.0 / slower).then(|| {
        format!(
            "explained by the run-wide shift: mean latency rose {slower:.2}x, and users that wait for their responses send that much less"
        )
    })
}
