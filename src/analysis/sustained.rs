//! Sustained breaches: a limit that must hold over time, read from the history after the run.
//! `for = "30s"` fails when the metric was past its limit for 30 s without a break; with
//! `within = "60s"`, when it was past it for 30 s in total inside some 60 s window.
//!
//! What the history can show (docs/input-formats.md, "What a history row carries"): averages, error
//! rates and throughput per interval come from the running totals every CSV history has; percentiles
//! over time only from rows whose percentiles are those of a recent window (`--csv-full-history`,
//! about 10 s; the HTML report's chart data), never from cumulative ones. A rule the files cannot
//! answer is reported as not checked (a warning), never passed.

use serde::Serialize;

use super::series::intervals;
use crate::model::{Better, Dialect, HistoryPoint, Metric, Run, Scope, Series, Status};
use crate::profile::{Profile, SustainedRule};

/// One sustained rule as judged on one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sustained {
    pub scope: Scope,
    pub metric: Metric,
    pub limit: f64,
    pub for_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_s: Option<f64>,
    /// False when the history cannot answer the rule (then `status` is `warn`).
    pub checked: bool,
    /// The longest continuous breach, or with `within` the most breached time in one window (s).
    pub breached_s: f64,
    /// The worst value during that breach.
    pub worst: Option<f64>,
    /// Unix seconds of the start and end of that breach (or window).
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub status: Status,
    pub reason: String,
}

/// One value of a series over the `seconds` ending at `end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub end: i64,
    pub seconds: f64,
    pub value: Option<f64>,
}

/// Every sustained rule of the profile on the run.
pub fn sustained(run: &Run, profile: &Profile) -> Vec<Sustained> {
    profile
        .sustained
        .iter()
        .flat_map(|rule| judge_rule(run, rule))
        .collect()
}

fn judge_rule(run: &Run, rule: &SustainedRule) -> Vec<Sustained> {
    let Some(metric) = rule.metric() else {
        return Vec::new();
    };
    let unchecked = |scope: Scope, why: String| Sustained {
        scope,
        metric,
        limit: rule.limit,
        for_s: rule.for_s(),
        within_s: rule.within_s(),
        checked: false,
        breached_s: 0.0,
        worst: None,
        from: None,
        to: None,
        status: Status::Warn,
        reason: format!("not checked: {why}"),
    };
    let Some(history) = run.history.as_ref() else {
        let scope = rule_scope(rule);
        return vec![unchecked(
            scope,
            "the run has no history (Locust writes _stats_history.csv with --csv)".into(),
        )];
    };
    let series: Vec<&Series> = match &rule.name {
        None => history.aggregated().into_iter().collect(),
        Some(_) => history
            .series
            .iter()
            .filter(|s| !s.aggregated && rule.matches(&s.key.method, &s.key.name))
            .collect(),
    };
    if series.is_empty() {
        let why = if rule.name.is_some() && run.dialect == Dialect::LocustHtml {
            "the HTML report's history holds the aggregate only (per-endpoint rows need the CSV history with --csv-full-history)"
        } else if rule.name.is_some() && !history.is_full() {
            "the history holds the aggregate only (per-endpoint rows need --csv-full-history)"
        } else {
            "no series in the history matches"
        };
        return vec![unchecked(rule_scope(rule), why.into())];
    }
    series
        .into_iter()
        .map(|s| {
            let scope = if s.aggregated {
                Scope::Aggregated
            } else {
                Scope::Endpoint(s.key.clone())
            };
            match samples(run, s, metric) {
                Ok(samples) => judge_samples(scope, metric, rule, &samples),
                Err(why) => unchecked(scope, why),
            }
        })
        .collect()
}

fn rule_scope(rule: &SustainedRule) -> Scope {
    match &rule.name {
        None => Scope::Aggregated,
        Some(name) => Scope::Endpoint(crate::model::EndpointKey::new(
            rule.method.clone().unwrap_or_default(),
            name.clone(),
        )),
    }
}

/// Whether the history's percentile columns hold a recent window rather than the run so far.
fn windowed_percentiles(run: &Run) -> bool {
    match run.dialect {
        Dialect::LocustHtml => true,
        _ => run.history.as_ref().is_some_and(|h| h.is_full()),
    }
}

/// The series of `metric` over time, or why the files cannot give it.
pub fn samples(run: &Run, series: &Series, metric: Metric) -> Result<Vec<Sample>, String> {
    let points = &series.points;
    if metric.percentile_index().is_some() {
        if !windowed_percentiles(run) {
            return Err(format!(
                "the history's percentiles are cumulative (the run so far: Locust writes windowed ones only with --csv-full-history), so a {metric} over time cannot be read; run with --csv-full-history, or watch avg, which the running totals give per interval"
            ));
        }
        let value = |p: &HistoryPoint| match metric {
            Metric::P50 => p.p50(),
            Metric::P95 => p.p95(),
            _ => p.p99(),
        };
        if points.iter().all(|p| value(p).is_none()) {
            return Err(format!("the history has no {metric} column"));
        }
        return Ok(points
            .windows(2)
            .filter(|w| w[1].timestamp > w[0].timestamp)
            .map(|w| Sample {
                end: w[1].timestamp,
                seconds: (w[1].timestamp - w[0].timestamp) as f64,
                value: value(&w[1]),
            })
            .collect());
    }
    if points.iter().all(|p| p.total_requests == 0) {
        return Err(format!(
            "the history has no running totals (Locust's HTML report keeps none), so a per-interval {metric} cannot be derived; check the CSV history instead"
        ));
    }
    Ok(intervals(points)
        .into_iter()
        .map(|i| Sample {
            end: i.timestamp,
            seconds: i.seconds,
            value: match metric {
                Metric::Avg => i.avg_ms,
                Metric::ErrorRate => {
                    (i.requests > 0).then(|| i.failures as f64 / i.requests as f64)
                }
                _ => Some(i.rps),
            },
        })
        .collect())
}

fn breached(metric: Metric, value: f64, limit: f64) -> bool {
    match metric.better() {
        Better::Lower => value > limit,
        Better::Higher => value < limit,
    }
}

/// The longest breach (continuous, or the most inside one `within` window) and its span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breach {
    pub seconds: f64,
    pub worst: Option<f64>,
    pub from: i64,
    pub to: i64,
}

/// The longest continuous run of breached samples (a sample without a value breaks it).
pub fn longest_breach(samples: &[Sample], metric: Metric, limit: f64) -> Option<Breach> {
    let mut best: Option<Breach> = None;
    let mut current: Option<Breach> = None;
    for s in samples {
        match s.value.filter(|v| breached(metric, *v, limit)) {
            Some(v) => {
                let c = current.get_or_insert(Breach {
                    seconds: 0.0,
                    worst: None,
                    from: s.end - s.seconds as i64,
                    to: s.end,
                });
                c.seconds += s.seconds;
                c.to = s.end;
                c.worst = Some(c.worst.map_or(v, |w| worse(metric, w, v)));
                if best.is_none_or(|b| c.seconds > b.seconds) {
                    best = Some(*c);
                }
            }
            None => current = None,
        }
    }
    best
}

/// The most breached time inside any window of `window` seconds (samples wholly inside it).
pub fn most_within(samples: &[Sample], metric: Metric, limit: f64, window: f64) -> Option<Breach> {
    let mut best: Option<Breach> = None;
    for (j, last) in samples.iter().enumerate() {
        let start = last.end as f64 - window;
        let mut total = 0.0;
        let mut worst: Option<f64> = None;
        let mut from = last.end;
        for s in samples[..=j].iter().rev() {
            if (s.end as f64 - s.seconds) < start {
                break;
            }
            if let Some(v) = s.value.filter(|v| breached(metric, *v, limit)) {
                total += s.seconds;
                worst = Some(worst.map_or(v, |w| worse(metric, w, v)));
                from = s.end - s.seconds as i64;
            }
        }
        if total > 0.0 && best.is_none_or(|b| total > b.seconds) {
            best = Some(Breach {
                seconds: total,
                worst,
                from,
                to: last.end,
            });
        }
    }
    best
}

fn worse(metric: Metric, a: f64, b: f64) -> f64 {
    match metric.better() {
        Better::Lower => a.max(b),
        Better::Higher => a.min(b),
    }
}

fn judge_samples(
    scope: Scope,
    metric: Metric,
    rule: &SustainedRule,
    samples: &[Sample],
) -> Sustained {
    let for_s = rule.for_s();
    let within_s = rule.within_s();
    let breach = match within_s {
        Some(w) => most_within(samples, metric, rule.limit, w),
        None => longest_breach(samples, metric, rule.limit),
    };
    let seconds = breach.map_or(0.0, |b| b.seconds);
    let failed = seconds >= for_s;
    let limit = metric.display(rule.limit);
    let how = match within_s {
        Some(w) => format!("{seconds:.0} s in total within {w:.0} s"),
        None => format!("{seconds:.0} s without a break"),
    };
    let worst = breach.and_then(|b| b.worst).map(|v| metric.display(v));
    let reason = match (failed, &worst) {
        (true, Some(w)) => format!(
            "{scope} {metric} past {limit} for {how} (worst {w}): the rule allows less than {for_s:.0} s"
        ),
        (false, Some(w)) => format!(
            "{scope} {metric} past {limit} for at most {how} (worst {w}), under the {for_s:.0} s the rule allows"
        ),
        _ => format!(
            "{scope} {metric} stayed within {limit} over {} samples",
            samples.len()
        ),
    };
    Sustained {
        scope,
        metric,
        limit: rule.limit,
        for_s,
        within_s,
        checked: true,
        breached_s: seconds,
        worst: breach.and_then(|b| b.worst),
        from: breach.map(|b| b.from),
        to: breach.map(|b| b.to),
        status: if failed { rule.status } else { Status::Pass },
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample per second from t = 1, with these values.
    fn per_second(values: &[Option<f64>]) -> Vec<Sample> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Sample {
                end: i as i64 + 1,
                seconds: 1.0,
                value: *v,
            })
            .collect()
    }

    fn rule(metric: &str, limit: f64, for_: &str, within: Option<&str>) -> SustainedRule {
        SustainedRule {
            metric: metric.into(),
            limit,
            for_: for_.into(),
            within: within.map(Into::into),
            name: None,
            method: None,
            status: Status::Fail,
        }
    }

    fn status(samples: &[Sample], rule: &SustainedRule) -> Status {
        judge_samples(Scope::Aggregated, rule.metric().unwrap(), rule, samples).status
    }

    #[test]
    fn a_breach_must_last_the_whole_for_without_a_break() {
        let high = Some(600.0);
        let ok = Some(400.0);
        let r = rule("p95", 500.0, "5s", None);
        // Four seconds over: just inside; five: just outside.
        assert_eq!(
            status(&per_second(&[ok, high, high, high, high, ok]), &r),
            Status::Pass
        );
        assert_eq!(
            status(&per_second(&[ok, high, high, high, high, high, ok]), &r),
            Status::Fail
        );
        // Exactly at the limit is no breach; a gap (no value) breaks the run.
        assert_eq!(
            status(
                &per_second(&[
                    Some(500.0),
                    Some(500.0),
                    Some(500.0),
                    Some(500.0),
                    Some(500.0)
                ]),
                &r
            ),
            Status::Pass
        );
        assert_eq!(
            status(&per_second(&[high, high, high, None, high, high, high]), &r),
            Status::Pass
        );
        let b = longest_breach(
            &per_second(&[ok, high, Some(900.0), high, ok]),
            Metric::P95,
            500.0,
        )
        .unwrap();
        assert_eq!((b.seconds, b.worst, b.from, b.to), (3.0, Some(900.0), 1, 4));
    }

    #[test]
    fn within_counts_the_breached_time_inside_any_window() {
        let (h, o) = (Some(0.5), Some(0.0));
        let r = rule("error_rate", 0.1, "3s", Some("5s"));
        // Three breached seconds in five, broken up: fails; two: passes.
        assert_eq!(
            status(&per_second(&[h, o, h, o, h, o, o]), &r),
            Status::Fail
        );
        assert_eq!(
            status(&per_second(&[h, o, o, h, o, o, h]), &r),
            Status::Pass
        );
        let b = most_within(&per_second(&[h, o, h, o, h]), Metric::ErrorRate, 0.1, 5.0).unwrap();
        assert_eq!((b.seconds, b.from, b.to), (3.0, 0, 5));
    }

    #[test]
    fn a_throughput_floor_is_breached_below_it() {
        let r = rule("rps", 100.0, "2s", None);
        assert_eq!(
            status(&per_second(&[Some(99.0), Some(99.0)]), &r),
            Status::Fail
        );
        assert_eq!(
            status(&per_second(&[Some(100.0), Some(100.0)]), &r),
            Status::Pass
        );
    }
}
