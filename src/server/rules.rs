//! `[[server]]` rules (typed and validated in `crate::profile::server_rules`), graded as pure functions over the series
//! read, into the grades and statuses every other check has (bands as for latency, `[gate]` deciding
//! warn and fail). Each series is reduced to one value by `over`; with `for`, the value is the level
//! the series held for that long (a breach that came and went does not count); the worst series
//! decides. A rule whose data was not read is `warn`, never `pass`.

use super::units::show;
use crate::model::{ServerSeries, Status};
use crate::profile::{Gate, Grade};

// The typed rule and its validation live with the profile (which reads them); grading is here.
pub use crate::profile::server_rules::{validate, Over, Rule};

/// One series' value under a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesValue {
    /// The series' labels as `{job="api", instance="…"}` (untrusted text, not yet escaped).
    pub labels: String,
    /// `None` when this series cannot answer the rule (too few points in the span).
    pub value: Option<f64>,
    pub grade: Option<Grade>,
}

/// A rule graded: the worst series decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    /// False when no series could answer: then `status` is warn and `value` is `None`.
    pub checked: bool,
    pub value: Option<f64>,
    pub grade: Option<Grade>,
    pub status: Status,
    /// The worst value that does not fail, and the worst that does not warn.
    pub limit: Option<f64>,
    pub warn_limit: Option<f64>,
    pub series: Vec<SeriesValue>,
    pub reason: String,
}

/// Grades `rule` on `series` inside `from..=to`, points `step` seconds apart.
pub fn grade(
    rule: &Rule,
    gate: &Gate,
    series: &[ServerSeries],
    from: f64,
    to: f64,
    step: f64,
) -> Graded {
    let limit = rule.bands.limit_before(gate.fail);
    let warn_limit = rule.bands.limit_before(gate.warn);
    let values: Vec<SeriesValue> = series
        .iter()
        .map(|s| {
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(t, _)| (from..=to).contains(t))
                .collect();
            let value = reduce(rule, &points, step);
            SeriesValue {
                labels: label_text(&s.labels),
                value,
                grade: value.map(|v| rule.bands.grade(v, rule.floor)),
            }
        })
        .collect();
    let unanswered = values.iter().filter(|v| v.value.is_none()).count();
    let worst = values
        .iter()
        .filter_map(|v| Some((v.grade?, v.value?, v)))
        .max_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let (x, y) = if rule.floor { (b.1, a.1) } else { (a.1, b.1) };
                x.total_cmp(&y)
            })
        });
    let Some((grade, value, which)) = worst else {
        let why = if series.is_empty() {
            "the query returned no series".to_string()
        } else {
            format!(
                "none of its {} series has enough points inside the run for {}",
                series.len(),
                rule.describe_over()
            )
        };
        return Graded {
            checked: false,
            value: None,
            grade: None,
            status: Status::Warn,
            limit,
            warn_limit,
            series: values,
            reason: format!("{}: not graded: {why}", rule.name),
        };
    };
    let status = if grade >= gate.fail {
        Status::Fail
    } else if grade >= gate.warn {
        Status::Warn
    } else {
        Status::Pass
    };
    let shown = show_value(rule, value);
    let mut reason = format!("{} is {shown} ({grade})", rule.name);
    if values.len() > 1 {
        reason.push_str(&format!(
            ", the worst of {} series: {}",
            values.len(),
            which.labels
        ));
    }
    let bound = if status == Status::Fail {
        limit
    } else {
        warn_limit
    };
    if let (Some(bound), true) = (bound, status != Status::Pass) {
        let way = if rule.floor { "at least" } else { "at most" };
        reason.push_str(&format!(": {way} {}", show_value(rule, bound)));
    }
    reason.push_str(&format!(" [{}]", rule.describe_over()));
    if unanswered > 0 {
        reason.push_str(&format!(
            "; {unanswered} series without enough points inside the run"
        ));
    }
    Graded {
        checked: true,
        value: Some(value),
        grade: Some(grade),
        status,
        limit,
        warn_limit,
        series: values,
        reason,
    }
}

/// A rule's value in its unit (`/min` for a slope).
pub fn show_value(rule: &Rule, value: f64) -> String {
    let text = show(value, rule.unit);
    match rule.over {
        Over::Slope => format!("{text}/min"),
        _ => text,
    }
}

/// `{job="api", instance="127.0.0.1:8080"}`, `{}` for none.
pub fn label_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", serde_json::Value::String(v.clone())))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// One series' points (ordered by time, inside the span) reduced by the rule; `None` when they
/// cannot answer it.
pub fn reduce(rule: &Rule, points: &[(f64, f64)], step: f64) -> Option<f64> {
    if let Some(for_s) = rule.for_s {
        let high = rule.over == Over::Max;
        return held(points, step, for_s, rule.within_s, high);
    }
    summary(rule.over, points)
}

/// `over` of the points, without `for`.
pub fn summary(over: Over, points: &[(f64, f64)]) -> Option<f64> {
    let values = points.iter().map(|p| p.1);
    match over {
        Over::Max => values.reduce(f64::max),
        Over::Min => values.reduce(f64::min),
        Over::Mean => (!points.is_empty()).then(|| values.sum::<f64>() / points.len() as f64),
        Over::Last => points.last().map(|p| p.1),
        Over::P95 => percentile(points.iter().map(|p| p.1).collect(), 0.95),
        Over::Increase => (points.len() >= 2).then(|| points[points.len() - 1].1 - points[0].1),
        Over::Slope => slope_per_minute(points),
    }
}

/// Linear interpolation between the closest ranks (NumPy's default, Prometheus' quantile_over_time).
fn percentile(mut values: Vec<f64>, q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let pos = q * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(values[lo] + (values[hi] - values[lo]) * (pos - lo as f64))
}

/// The least-squares slope of value over time, per minute; `None` under two distinct times.
fn slope_per_minute(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, v) in points {
        num += (t - mean_t) * (v - mean_v);
        den += (t - mean_t) * (t - mean_t);
    }
    (den > 0.0).then(|| num / den * 60.0)
}

/// The level held for `for_s`: with `high`, the highest value the series stayed at or above for
/// `for_s` without a break (a gap over 1.5 steps is a break), or, with `within_s`, for `for_s` in
/// total inside some window that long; without `high`, the lowest it stayed at or below. Each point
/// stands for the `step` seconds before it. `None` when no stretch (or window) is long enough.
fn held(
    points: &[(f64, f64)],
    step: f64,
    for_s: f64,
    within_s: Option<f64>,
    high: bool,
) -> Option<f64> {
    let need = ((for_s / step) - 1e-9).ceil().max(1.0) as usize;
    // The level a group of points holds: their lowest for `high`, else their highest.
    let better = |a: f64, b: f64| if high { a.max(b) } else { a.min(b) };
    let mut best: Option<f64> = None;
    match within_s {
        None => {
            let mut start = 0;
            while start < points.len() {
                let mut end = start + 1;
                while end < points.len() && points[end].0 - points[end - 1].0 <= 1.5 * step {
                    end += 1;
                }
                let run = &points[start..end];
                if run.len() >= need {
                    for window in run.windows(need) {
                        let values = window.iter().map(|p| p.1);
                        let level = if high {
                            values.reduce(f64::min)
                        } else {
                            values.reduce(f64::max)
                        };
                        if let Some(level) = level {
                            best = Some(best.map_or(level, |b| better(b, level)));
                        }
                    }
                }
                start = end;
            }
        }
        Some(within) => {
            let mut first = 0;
            for last in 0..points.len() {
                // Points wholly inside (end − within, end]: each covers the step before it.
                while points[first].0 - step < points[last].0 - within - 1e-9 {
                    first += 1;
                }
                let mut values: Vec<f64> = points[first..=last].iter().map(|p| p.1).collect();
                if values.len() < need {
                    continue;
                }
                // The need-th highest (for `high`): the level held for `need` points in total.
                let index = need - 1;
                let level = if high {
                    *values
                        .select_nth_unstable_by(index, |a, b| b.total_cmp(a))
                        .1
                } else {
                    *values.select_nth_unstable_by(index, f64::total_cmp).1
                };
                best = Some(best.map_or(level, |b| better(b, level)));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::super::units::unit_name;
    use super::*;
    use crate::model::ServerUnit;
    use crate::profile::ServerRule;
    use anyhow::{anyhow, Result};
    use std::collections::BTreeMap;

    fn profile_rule(toml: &str) -> Result<Rule> {
        let rule: ServerRule = toml::from_str(toml).map_err(|e| anyhow!("{e}"))?;
        Rule::from_profile(&rule)
    }

    fn rule(over: &str, limit: f64, floor: bool) -> Rule {
        profile_rule(&format!(
            "name = \"r\"\nquery = \"q\"\nover = \"{over}\"\nlimit = {limit:?}\nfloor = {floor}\n"
        ))
        .unwrap()
    }

    fn series(points: &[(f64, f64)]) -> ServerSeries {
        ServerSeries {
            source: "r".into(),
            query: "q".into(),
            labels: BTreeMap::from([("job".to_string(), "api".to_string())]),
            unit: ServerUnit::None,
            points: points.to_vec(),
        }
    }

    /// Points one second apart from t = 100.
    fn per_second(values: &[f64]) -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (100.0 + i as f64, *v))
            .collect()
    }

    fn status(rule: &Rule, points: &[(f64, f64)]) -> Status {
        grade(rule, &Gate::default(), &[series(points)], 0.0, 1e12, 1.0).status
    }

    /// For each `over`: a series whose value is the limit passes, one a hair past it fails, on
    /// either side for a ceiling and for a floor.
    #[test]
    fn every_over_passes_just_inside_its_limit_and_fails_just_outside() {
        let eps = 1e-6;
        // (over, points built for a target value v) with the value each reduces to exactly v.
        type Build = Box<dyn Fn(f64) -> Vec<(f64, f64)>>;
        let cases: Vec<(&str, Build)> = vec![
            ("max", Box::new(|v| per_second(&[v - 5.0, v, v - 1.0]))),
            ("min", Box::new(|v| per_second(&[v + 5.0, v, v + 1.0]))),
            ("mean", Box::new(|v| per_second(&[v - 2.0, v, v + 2.0]))),
            ("last", Box::new(|v| per_second(&[v + 50.0, v - 50.0, v]))),
            // 21 points 0..=20 shifted: p95 at rank 19 exactly.
            (
                "p95",
                Box::new(|v| per_second(&(0..21).map(|i| v - 19.0 + i as f64).collect::<Vec<_>>())),
            ),
            ("increase", Box::new(|v| per_second(&[10.0, 3.0, 10.0 + v]))),
            // A straight line rising v per minute.
            (
                "slope",
                Box::new(|v| {
                    (0..7)
                        .map(|i| (60.0 * i as f64, 5.0 + v * i as f64))
                        .collect()
                }),
            ),
        ];
        for (over, points_for) in &cases {
            let limit = 100.0;
            for (floor, inside, outside) in [
                (false, limit - eps, limit + eps),
                (true, limit + eps, limit - eps),
            ] {
                let r = rule(over, limit, floor);
                let at = |v: f64| {
                    let points = points_for(v);
                    let got = reduce(&r, &points, 1.0).unwrap();
                    assert!((got - v).abs() < 1e-6, "{over}: {got} for {v}");
                    status(&r, &points)
                };
                // A fitted slope lands within rounding of the limit, not on it.
                if *over != "slope" {
                    assert_eq!(at(limit), Status::Pass, "{over} floor={floor} at the limit");
                }
                assert_eq!(at(inside), Status::Pass, "{over} floor={floor} just inside");
                assert_eq!(
                    at(outside),
                    Status::Fail,
                    "{over} floor={floor} just outside"
                );
            }
        }
    }

    #[test]
    fn five_bands_grade_as_latency_bands_and_the_gate_decides() {
        let r = profile_rule(
            "name = \"cpu\"\nquery = \"q\"\nunit = \"ratio\"\nlimit = { excellent = 0.5, good = 0.6, acceptable = 0.7, poor = 0.8 }\n",
        )
        .unwrap();
        let gate = Gate::default(); // warn at poor, fail at critical
        let at = |v: f64| {
            let g = grade(&r, &gate, &[series(&per_second(&[v]))], 0.0, 1e12, 1.0);
            (g.grade.unwrap(), g.status)
        };
        assert_eq!(at(0.5), (Grade::Excellent, Status::Pass));
        assert_eq!(at(0.7), (Grade::Acceptable, Status::Pass));
        assert_eq!(at(0.700001), (Grade::Poor, Status::Warn));
        assert_eq!(at(0.8), (Grade::Poor, Status::Warn));
        assert_eq!(at(0.800001), (Grade::Critical, Status::Fail));
        let g = grade(&r, &gate, &[series(&per_second(&[0.9]))], 0.0, 1e12, 1.0);
        assert_eq!((g.limit, g.warn_limit), (Some(0.8), Some(0.7)));
        assert!(g.reason.contains("at most 0.800"), "{}", g.reason);
    }

    #[test]
    fn a_floor_with_bands_uses_the_cache_hit_rate_guides_numbers() {
        // The prompt-service guide: baseline 10-20%, warning < 5%, critical < 1%.
        let r = profile_rule(
            "name = \"cache hit rate\"\nquery = \"q\"\nunit = \"ratio\"\nover = \"mean\"\nfloor = true\nlimit = { good = 0.10, acceptable = 0.05, poor = 0.01 }\n",
        )
        .unwrap();
        let at = |v: f64| {
            grade(
                &r,
                &Gate::default(),
                &[series(&per_second(&[v, v]))],
                0.0,
                1e12,
                1.0,
            )
            .status
        };
        assert_eq!(at(0.15), Status::Pass);
        assert_eq!(at(0.05), Status::Pass);
        assert_eq!(at(0.049), Status::Warn);
        assert_eq!(at(0.01), Status::Warn);
        assert_eq!(at(0.0099), Status::Fail);
    }

    #[test]
    fn for_counts_a_breach_only_when_it_lasts_without_a_break() {
        let r = profile_rule("name = \"cpu\"\nquery = \"q\"\nlimit = 0.8\nfor = \"5s\"\n").unwrap();
        let (hi, lo) = (0.9, 0.5);
        // Five seconds past the limit in a row: the level held for 5 s is 0.9 > 0.8.
        assert_eq!(
            status(&r, &per_second(&[lo, hi, hi, hi, hi, hi, lo])),
            Status::Fail
        );
        // Four: the highest level held 5 s is 0.5.
        assert_eq!(
            status(&r, &per_second(&[lo, hi, hi, hi, hi, lo, hi])),
            Status::Pass
        );
        assert_eq!(
            reduce(&r, &per_second(&[lo, hi, hi, hi, hi, lo, hi]), 1.0),
            Some(lo)
        );
        // A gap in the data (a missing scrape) breaks the stretch too.
        let mut gapped = per_second(&[hi, hi, hi, hi, hi]);
        gapped[3].0 += 1.0;
        gapped[4].0 += 1.0;
        assert_eq!(
            reduce(&r, &gapped, 1.0),
            None,
            "no 5 s stretch at all: not graded"
        );
        let g = grade(&r, &Gate::default(), &[series(&gapped)], 0.0, 1e12, 1.0);
        assert_eq!((g.checked, g.status), (false, Status::Warn));
        // At a 2 s step, 5 s is three points.
        let two = |vals: &[f64]| -> Vec<(f64, f64)> {
            vals.iter()
                .enumerate()
                .map(|(i, v)| (2.0 * i as f64, *v))
                .collect()
        };
        assert_eq!(reduce(&r, &two(&[lo, hi, hi, hi, lo]), 2.0), Some(hi));
        assert_eq!(reduce(&r, &two(&[lo, hi, hi, lo, hi]), 2.0), Some(lo));
    }

    #[test]
    fn for_on_a_floor_is_the_lowest_level_held() {
        let r = profile_rule(
            "name = \"hit rate\"\nquery = \"q\"\nfloor = true\nlimit = 0.5\nfor = \"3s\"\n",
        )
        .unwrap();
        assert_eq!(r.over, Over::Min, "a floor's default");
        let (ok, low) = (0.6, 0.4);
        assert_eq!(
            status(&r, &per_second(&[ok, low, low, low, ok])),
            Status::Fail
        );
        assert_eq!(
            status(&r, &per_second(&[ok, low, low, ok, low])),
            Status::Pass
        );
    }

    #[test]
    fn within_counts_the_breached_time_in_total_inside_any_window() {
        let r = profile_rule(
            "name = \"cpu\"\nquery = \"q\"\nlimit = 0.8\nfor = \"3s\"\nwithin = \"5s\"\n",
        )
        .unwrap();
        let (hi, lo) = (0.9, 0.5);
        // Three breached seconds inside five: fails though no two are adjacent.
        assert_eq!(
            status(&r, &per_second(&[hi, lo, hi, lo, hi, lo, lo])),
            Status::Fail
        );
        // Three breached seconds spread over six: no five-second window holds three.
        assert_eq!(
            status(&r, &per_second(&[hi, lo, hi, lo, lo, hi, lo])),
            Status::Pass
        );
    }

    #[test]
    fn the_worst_series_decides_and_unread_data_never_passes() {
        let r = rule("max", 100.0, false);
        let mut b = series(&per_second(&[150.0]));
        b.labels.insert("instance".into(), "b".into());
        let g = grade(
            &r,
            &Gate::default(),
            &[series(&per_second(&[50.0])), b],
            0.0,
            1e12,
            1.0,
        );
        assert_eq!((g.status, g.value), (Status::Fail, Some(150.0)));
        assert!(g.reason.contains("instance=\"b\""), "{}", g.reason);
        let none = grade(&r, &Gate::default(), &[], 0.0, 1e12, 1.0);
        assert_eq!((none.checked, none.status), (false, Status::Warn));
        assert!(none.reason.contains("no series"), "{}", none.reason);
        // Points outside the span are not the run's.
        let outside = grade(
            &r,
            &Gate::default(),
            &[series(&per_second(&[150.0]))],
            0.0,
            99.0,
            1.0,
        );
        assert_eq!((outside.checked, outside.status), (false, Status::Warn));
        // An increase needs two points.
        let inc = rule("increase", 1.0, false);
        assert_eq!(reduce(&inc, &per_second(&[5.0]), 1.0), None);
    }

    #[test]
    fn invalid_rules_say_which_key_is_wrong() {
        for (toml, said) in [
            (
                "name = \"r\"\nquery = \"q\"\nlimit = 1\nover = \"median\"\n",
                "over: 'median'",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = 1\nunit = \"MB\"\n",
                "unit: 'MB'",
            ),
            (
                "name = \"r\"\nquery = \" \"\nlimit = 1\n",
                "query: must not be empty",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = {}\n",
                "no band bounds",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = { good = 5, poor = 1 }\n",
                "must be at most",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nfloor = true\nlimit = { good = 1, poor = 5 }\n",
                "must be at least",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = 1\nfor = \"soon\"\n",
                "for: 'soon'",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = 1\nwithin = \"5s\"\n",
                "within: needs `for`",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = 1\nfor = \"10s\"\nwithin = \"5s\"\n",
                "at least as long",
            ),
            (
                "name = \"r\"\nquery = \"q\"\nlimit = 1\nover = \"mean\"\nfor = \"10s\"\n",
                "for: applies to",
            ),
        ] {
            let err = format!("{:#}", profile_rule(toml).unwrap_err());
            assert!(err.contains(said), "{toml}: {err}");
        }
        let text = "name = \"t\"\n[[server]]\nname = \"a\"\nquery = \"up\"\nlimit = 1\n[[server]]\nname = \"a\"\nquery = \"up\"\nlimit = 2\n";
        let err = format!(
            "{:#}",
            crate::profile::Profile::parse(text, "p.toml").unwrap_err()
        );
        assert!(
            err.contains("p.toml") && err.contains("server[1] (a)") && err.contains("another"),
            "{err}"
        );
        let text = "name = \"t\"\n[[server]]\nname = \"a\"\nquery = \"up\"\nlimit = 1\nlimt = 2\n";
        let err = format!(
            "{:#}",
            crate::profile::Profile::parse(text, "p.toml").unwrap_err()
        );
        assert!(err.contains("limt"), "{err}");
    }

    #[test]
    fn a_profile_reads_the_issues_example_rule() {
        let text = "name = \"t\"\n[[server]]\nname = \"api memory\"\nquery = 'process_resident_memory_bytes{job=\"api\"}'\nunit = \"bytes\"\nover = \"max\"\nlimit = 500e6\nfloor = false\nfor = \"30s\"\nwithin = \"60s\"\n";
        let profile = crate::profile::Profile::parse(text, "p.toml").unwrap();
        let r = Rule::from_profile(&profile.server[0]).unwrap();
        assert_eq!(
            (r.unit, r.over, r.bands.good, r.for_s, r.within_s),
            (
                ServerUnit::Bytes,
                Over::Max,
                Some(500e6),
                Some(30.0),
                Some(60.0)
            )
        );
        assert_eq!(r.describe_over(), "max held for 30 s within 60 s");
        assert_eq!(unit_name(r.unit), "bytes");
    }
}
