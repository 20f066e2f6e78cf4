//! Tests of `server_findings`: each rule just inside and just outside its thresholds on made-up
//! series, then the real runs of `fixtures/server/` (Locust 2.47 against `fixtures/server_target.py`,
//! scraped every second by Prometheus 2.42), and, not in CI, the whole corpus
//! (`bench/server_corpus.py`; `cargo test --lib server_findings::tests::corpus -- --ignored`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::analysis::series::intervals;

const T0: i64 = 1_796_000_000;

fn series(
    query: &str,
    unit: ServerUnit,
    labels: &[(&str, &str)],
    points: Vec<(f64, f64)>,
) -> ServerSeries {
    ServerSeries {
        source: query.to_string(),
        query: query.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        unit,
        points,
    }
}

const JOB: &[(&str, &str)] = &[("job", "api"), ("instance", "127.0.0.1:8000")];

/// One interval a second from T0 + 1 with these users, throughputs and mean latencies.
fn client(users: &[u64], rps: &[f64], latency: &[f64]) -> Vec<Interval> {
    (0..users.len())
        .map(|i| Interval {
            timestamp: T0 + 1 + i as i64,
            users: users[i],
            seconds: 1.0,
            requests: rps[i].round() as u64,
            failures: 0,
            rps: rps[i],
            failures_per_s: 0.0,
            avg_ms: Some(latency[i]),
        })
        .collect()
}

/// `seconds` of constant load: 10 users, 50 req/s, 20 ms.
fn steady(seconds: usize) -> Vec<Interval> {
    client(
        &vec![10; seconds],
        &vec![50.0; seconds],
        &vec![20.0; seconds],
    )
}

/// A point a second over the client's span with `f(seconds since T0)`.
fn per_second_points(seconds: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=seconds)
        .map(|i| ((T0 + i as i64) as f64, f(i as f64)))
        .collect()
}

/// A deterministic jitter in -1..1.
fn jitter(i: f64) -> f64 {
    ((i * 12.9898).sin() * 43758.5453).fract()
}

fn memory(points: Vec<(f64, f64)>) -> ServerSeries {
    series(
        "process_resident_memory_bytes{job=\"api\"}",
        ServerUnit::Bytes,
        JOB,
        points,
    )
}

fn fit(slope_mb_per_min: f64, t: f64, r2: f64, n: usize) -> LineFit {
    let slope = slope_mb_per_min * MB / 60.0;
    LineFit {
        slope,
        intercept: 0.0,
        slope_se: slope / t,
        t,
        r2,
        n,
    }
}

#[test]
fn a_line_is_fitted_with_the_standard_error_of_its_slope() {
    let exact = fit_line(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 7.0)]).unwrap();
    assert_eq!(
        (exact.slope, exact.intercept, exact.slope_se),
        (2.0, 1.0, 0.0)
    );
    assert!(exact.t.is_infinite() && exact.r2 == 1.0);
    // Residuals 0.5, -0.5, -0.5, 0.5 around y = 2x + 1.5: s² = 1 / 2, Sxx = 5, se = sqrt(0.1).
    let noisy = fit_line(&[(0.0, 2.0), (1.0, 3.0), (2.0, 5.0), (3.0, 8.0)]).unwrap();
    assert!((noisy.slope - 2.0).abs() < 1e-12, "{noisy:?}");
    assert!((noisy.slope_se - 0.1f64.sqrt()).abs() < 1e-12, "{noisy:?}");
    assert!((noisy.t - 2.0 / 0.1f64.sqrt()).abs() < 1e-9, "{noisy:?}");
    assert_eq!(fit_line(&[(0.0, 1.0), (1.0, 2.0)]), None);
    assert_eq!(fit_line(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
}

#[test]
fn growth_is_strong_only_when_every_threshold_holds() {
    let at = fit(
        GROWTH_MIN_MB_PER_MIN,
        GROWTH_MIN_T,
        GROWTH_MIN_R2,
        GROWTH_MIN_POINTS,
    );
    let half = at.slope * GROWTH_MIN_SECOND_HALF;
    assert!(growth_is_strong(&at, half, GROWTH_MIN_SPAN_S));
    let below = [
        (fit(0.99, 5.0, 0.8, 20), half, 30.0),
        (fit(1.0, 4.99, 0.8, 20), half, 30.0),
        (fit(1.0, 5.0, 0.79, 20), half, 30.0),
        (fit(1.0, 5.0, 0.8, 19), half, 30.0),
        (at, half * 0.98, 30.0),
        (at, half, 29.9),
    ];
    for (f, second, span) in below {
        assert!(!growth_is_strong(&f, second, span), "{f:?} {second} {span}");
    }
}

#[test]
fn memory_growing_at_constant_load_is_found_with_its_slope_and_time_to_the_limit() {
    // 3 MB/min on 100 MB, ±0.2 MB of jitter, 60 s at 10 users.
    let points = per_second_points(60, |t| {
        100.0 * MB + 3.0 * MB * t / 60.0 + 0.2 * MB * jitter(t)
    });
    let found = memory_growth(&[memory(points)], &steady(60), Some(200.0 * MB));
    assert_eq!(found.len(), 1, "{found:?}");
    let g = &found[0];
    assert!((g.slope_mb_per_min - 3.0).abs() < 0.1, "{g:?}");
    assert!(
        g.slope_se_mb_per_min < 0.1 && g.t > 30.0 && g.r2 > 0.95,
        "{g:?}"
    );
    assert_eq!(
        g.series,
        "process_resident_memory_bytes{job=\"api\",instance=\"127.0.0.1:8000\"}"
    );
    // About 103 MB at the end: 97 MB left at 3 MB/min.
    let minutes = g.minutes_to_limit.unwrap();
    assert!((minutes - 97.0 / 3.0).abs() < 1.0, "{minutes}");
    assert!(
        g.reason.contains(" MB/min at constant load (t = ")
            && g.reason.contains("min to the limit given (200 MB)"),
        "{}",
        g.reason
    );
    // The fit starts GROWTH_SETTLE_S after users reach their peak.
    assert_eq!(g.from, (T0 + 5) as f64);
}

#[test]
fn slow_growth_a_warm_up_and_a_step_are_not_leaks() {
    let cases = [
        // Below the minimum slope, however clean.
        (
            "0.9 MB/min",
            per_second_points(60, |t| 100.0 * MB + 0.9 * MB * t / 60.0),
        ),
        // Grows 6 MB in the first 20 s then stays: the second half is flat.
        (
            "warm-up",
            per_second_points(60, |t| 100.0 * MB + 6.0 * MB * (t.min(20.0) / 20.0)),
        ),
        // One step of 4 MB halfway: r² of a line through a step is 0.75.
        (
            "step",
            per_second_points(60, |t| 100.0 * MB + if t < 30.0 { 0.0 } else { 4.0 * MB }),
        ),
        // 2 MB/min under ±3 MB of jitter: t well under 5.
        (
            "noise",
            per_second_points(60, |t| {
                100.0 * MB + 2.0 * MB * t / 60.0 + 3.0 * MB * jitter(t)
            }),
        ),
    ];
    for (what, points) in cases {
        let found = memory_growth(&[memory(points)], &steady(60), None);
        assert!(found.is_empty(), "{what}: {found:?}");
    }
}

#[test]
fn memory_is_judged_at_constant_load_only_and_across_a_restart_on_the_longer_side() {
    // A ramp of users the whole time: no constant load to judge.
    let users: Vec<u64> = (1..=60).collect();
    let ramp = client(&users, &[50.0; 60], &[20.0; 60]);
    let points = per_second_points(60, |t| 100.0 * MB + 4.0 * MB * t / 60.0);
    assert!(memory_growth(&[memory(points.clone())], &ramp, None).is_empty());
    // A restart at 20 s: memory starts again at 30 MB; the longer side (40 s) is fitted.
    let restarted = per_second_points(60, |t| {
        if t < 20.0 {
            100.0 * MB + 4.0 * MB * t / 60.0
        } else {
            30.0 * MB + 4.0 * MB * (t - 20.0) / 60.0
        }
    });
    let found = memory_growth(&[memory(restarted)], &steady(60), None);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!((found[0].slope_mb_per_min - 4.0).abs() < 0.01 && found[0].from == (T0 + 20) as f64);
}

#[test]
fn the_machines_memory_is_the_limit_when_none_is_given() {
    let points = per_second_points(60, |t| 100.0 * MB + 6.0 * MB * t / 60.0);
    let total = series(
        "node_memory_MemTotal_bytes",
        ServerUnit::Bytes,
        &[("job", "node")],
        vec![((T0 + 30) as f64, 1024.0 * MB)],
    );
    let found = memory_growth(&[memory(points), total], &steady(60), None);
    assert_eq!(
        found[0].limit_source.as_deref(),
        Some("the machine's memory")
    );
    assert_eq!(found[0].limit_bytes, Some(1024.0 * MB));
}

/// A ramp: users 1..=80 over 80 s; throughput 2.5 req/s a user up to 50 req/s (20 users), then flat;
/// latency 200 ms until the knee, then rising with the queue.
fn ramp_client() -> Vec<Interval> {
    let users: Vec<u64> = (1..=80).collect();
    let rps: Vec<f64> = users.iter().map(|&u| (u as f64 * 2.5).min(50.0)).collect();
    let latency: Vec<f64> = users
        .iter()
        .map(|&u| {
            if u <= 20 {
                200.0
            } else {
                200.0 + (u as f64 - 20.0) * 20.0
            }
        })
        .collect();
    client(&users, &rps, &latency)
}

/// Process CPU in cores that follows the ramp's throughput at `per_request` cores each (with a
/// 2-second lag), capped at `cap`.
fn cpu(per_request: f64, cap: f64, labels: &[(&str, &str)]) -> ServerSeries {
    let points = per_second_points(82, |t| {
        ((t - 2.0).max(0.0) * 2.5 * per_request).min(cap) + 0.01 * jitter(t)
    });
    series(
        "rate(process_cpu_seconds_total{job=\"api\"}[5s])",
        ServerUnit::Ratio,
        labels,
        points,
    )
}

#[test]
fn a_ramps_knee_is_where_throughput_stops_growing_while_latency_rises() {
    let k = knee(&ramp_client()).unwrap();
    // The first 5-s bucket at 90% of 50 req/s: users 16-20 average 45 req/s.
    assert_eq!((k.users, k.top_users), (20, 80));
    // (40 + 43 + 45 + 48 + 50) / 5: the requests of a second are whole.
    assert!((k.rps - 45.2).abs() < 1e-9, "{k:?}");
    assert_eq!(k.latency_before_ms, 200.0);
    // Steady users: no ramp, no knee.
    assert_eq!(knee(&steady(80)), None);
    // Throughput still growing at the top: no knee.
    let users: Vec<u64> = (1..=80).collect();
    let growing: Vec<f64> = users.iter().map(|&u| u as f64 * 2.5).collect();
    assert_eq!(knee(&client(&users, &growing, &[200.0; 80])), None);
}

#[test]
fn saturation_is_strong_only_inside_every_threshold() {
    assert!(saturation_is_strong(
        SATURATION_MIN_R,
        SATURATION_MAX_GROWTH,
        SATURATION_MIN_SHARE
    ));
    assert!(!saturation_is_strong(0.79, 1.0, 1.0));
    assert!(!saturation_is_strong(0.95, 1.16, 1.0));
    assert!(!saturation_is_strong(0.95, 1.0, 0.84));
}

#[test]
fn the_cpu_at_its_ceiling_at_the_knee_is_named() {
    // 0.02 cores a request: 1.0 core at 50 req/s, the single-thread ceiling.
    let found = saturation(&[cpu(0.02, 1.0, JOB)], &ramp_client()).unwrap();
    assert_eq!(found.ceiling, "one core (a single thread or worker)");
    assert!(found.share > 0.95 && found.r > 0.95, "{found:?}");
    // On a straight ramp every lag fits about as well: only its sign and size are checked.
    assert!((0..=3).contains(&found.lag_s), "{found:?}");
    assert!(
        found
            .reason
            .starts_with("CPU-bound: throughput stopped growing at about 20 users"),
        "{}",
        found.reason
    );
    // At 0.5 cores with nothing to say 0.5 is a ceiling: throughput stopped for another reason.
    assert_eq!(saturation(&[cpu(0.01, 0.5, JOB)], &ramp_client()), None);
    // The same with a 0.5-core quota on the same job: its quota.
    let quota = series(
        "container_spec_cpu_quota / container_spec_cpu_period",
        ServerUnit::Count,
        &[("job", "api"), ("id", "/api")],
        vec![((T0 + 40) as f64, 0.5)],
    );
    let found = saturation(&[cpu(0.01, 0.5, JOB), quota.clone()], &ramp_client()).unwrap();
    assert_eq!(found.ceiling, "its 0.5-core CPU quota");
    // A quota of another job is not this one's.
    let other = ServerSeries {
        labels: BTreeMap::from([("job".to_string(), "db".to_string())]),
        ..quota
    };
    assert_eq!(
        saturation(&[cpu(0.01, 0.5, JOB), other], &ramp_client()),
        None
    );
}

#[test]
fn a_cpu_that_kept_growing_past_the_knee_or_never_followed_throughput_is_not_named() {
    // Capped only at 1.6 cores: past the knee it still grows (throughput is flat, so it cannot in
    // a real run, but the rule must not name it).
    let mut growing = cpu(0.02, 1.0, JOB);
    for (t, v) in growing.points.iter_mut() {
        if *t > (T0 + 25) as f64 {
            *v += (*t - (T0 + 25) as f64) * 0.02;
        }
    }
    assert_eq!(saturation(&[growing], &ramp_client()), None);
    // The machine's CPU flat at 100% the whole run (other work on it): it did not follow the load.
    let busy = series(
        "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5s]))",
        ServerUnit::Ratio,
        &[("job", "node")],
        per_second_points(82, |t| 0.99 + 0.005 * jitter(t)),
    );
    assert_eq!(saturation(&[busy], &ramp_client()), None);
}

fn failing(mut intervals: Vec<Interval>, from: i64, to: i64, per_s: u64) -> Vec<Interval> {
    for i in intervals.iter_mut() {
        if i.timestamp > from && i.timestamp <= to {
            i.failures = per_s;
            i.failures_per_s = per_s as f64;
        }
    }
    intervals
}

#[test]
fn error_bursts_are_runs_of_failing_seconds_with_a_few_failures_at_least() {
    let c = failing(steady(60), T0 + 20, T0 + 23, 10);
    let c = failing(c, T0 + 40, T0 + 41, 4);
    let bursts = error_bursts(&c);
    assert_eq!(
        bursts,
        vec![ErrorBurst {
            from: (T0 + 20) as f64,
            to: (T0 + 23) as f64,
            failures: 30,
            requests: 150
        }]
    );
    let burst = &bursts[0];
    let (down, back) = ((T0 + 20) as f64, (T0 + 23) as f64);
    assert!(burst_is_tied(
        burst,
        down - RESTART_TIE_S,
        back + RESTART_TIE_S
    ));
    assert!(!burst_is_tied(burst, down - RESTART_TIE_S - 0.01, back));
    assert!(!burst_is_tied(burst, down, back + RESTART_TIE_S + 0.01));
}

fn up_and_start(down: i64, back: i64) -> Vec<ServerSeries> {
    let up = per_second_points(60, |t| {
        if t as i64 >= down && (t as i64) < back {
            0.0
        } else {
            1.0
        }
    });
    let start = per_second_points(60, |t| {
        if (t as i64) < down {
            (T0 - 100) as f64
        } else if (t as i64) < back {
            f64::NAN
        } else {
            (T0 + back) as f64 - 0.6
        }
    })
    .into_iter()
    .filter(|p| p.1.is_finite())
    .collect();
    vec![
        series("up", ServerUnit::Count, JOB, up),
        series(
            "process_start_time_seconds",
            ServerUnit::Seconds,
            JOB,
            start,
        ),
    ]
}

#[test]
fn a_restart_is_tied_to_the_error_burst_it_caused() {
    // Down from 30 s (the first failed scrape) to 33 s; requests fail from 29 to 33.
    let server = up_and_start(30, 33);
    let c = failing(steady(60), T0 + 29, T0 + 33, 20);
    let found = restarts(&server, &c);
    assert_eq!(found.len(), 1, "{found:?}");
    let r = &found[0];
    assert_eq!(
        r.series,
        "process_start_time_seconds{job=\"api\",instance=\"127.0.0.1:8000\"}"
    );
    assert_eq!(r.down_at, Some((T0 + 29) as f64));
    assert_eq!(r.started_at, Some((T0 + 33) as f64 - 0.6));
    assert_eq!(r.burst.as_ref().map(|b| b.failures), Some(80));
    assert!(
        r.reason.contains("caused 80 failed requests"),
        "{}",
        r.reason
    );
    // The same restart with errors 5 s later: not its burst.
    let late = failing(steady(60), T0 + 36, T0 + 40, 20);
    let r = &restarts(&server, &late)[0];
    assert_eq!(r.burst, None);
    assert!(
        r.reason.ends_with("no burst of errors around it"),
        "{}",
        r.reason
    );
    // Nothing went down: nothing to say, errors or not.
    let fine = up_and_start(100, 100);
    assert!(restarts(&fine, &c).is_empty());
}

#[test]
fn a_gap_in_up_alone_is_a_restart_too() {
    let server = vec![up_and_start(20, 24).remove(0)];
    let c = failing(steady(60), T0 + 20, T0 + 24, 20);
    let found = restarts(&server, &c);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].down_at, found[0].back_at),
        (Some((T0 + 20) as f64), Some((T0 + 24) as f64))
    );
    assert!(found[0].burst.is_some());
}

#[test]
fn throttling_is_strong_only_inside_every_threshold() {
    assert!(throttling_is_strong(
        THROTTLED_MIN_SHARE,
        THROTTLED_MIN_SHARE / 2.0,
        THROTTLED_MIN_R
    ));
    assert!(!throttling_is_strong(0.24, 0.0, 0.9));
    assert!(!throttling_is_strong(0.5, 0.26, 0.9));
    assert!(!throttling_is_strong(0.5, 0.0, 0.59));
}

#[test]
fn throttling_that_rose_with_latency_is_named() {
    // The ramp's latency rises from 20 users (20 s); throttling from 0 to 60% with it.
    let throttled = |share: f64| {
        series(
            "rate(container_cpu_cfs_throttled_periods_total[5s]) / rate(container_cpu_cfs_periods_total[5s])",
            ServerUnit::Ratio,
            JOB,
            per_second_points(82, move |t| if t < 21.0 { 0.0 } else { share * ((t - 21.0) / 10.0).min(1.0) }),
        )
    };
    let found = throttling(&[throttled(0.6)], &ramp_client());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].throttled_share > 0.5 && found[0].r > 0.6,
        "{:?}",
        found[0]
    );
    assert!(
        found[0].reason.starts_with("CPU throttled: "),
        "{}",
        found[0].reason
    );
    assert!(throttling(&[throttled(0.2)], &ramp_client()).is_empty());
    // Throttled, but latency flat: nothing to explain.
    assert!(throttling(&[throttled(0.6)], &steady(80)).is_empty());
}

#[test]
fn a_resource_rose_above_a_factor_and_a_floor() {
    assert!(!resource_rose(0.5, 0.5 * FLAT_MAX_GROWTH, 0.02));
    assert!(resource_rose(0.5, 0.61, 0.02));
    // 0.01 to 0.02 cores doubles, but by less than the floor.
    assert!(!resource_rose(0.01, 0.02, 0.02));
}

/// Latency doubling at constant users (a slow dependency): 20 → 40 ms over 60 s.
fn slowing() -> Vec<Interval> {
    let latency: Vec<f64> = (0..60).map(|i| 20.0 + 20.0 * i as f64 / 59.0).collect();
    let rps: Vec<f64> = latency.iter().map(|l| 10.0 * 1000.0 / (l + 80.0)).collect();
    client(&[10; 60], &rps, &latency)
}

#[test]
fn latency_rising_while_the_server_stays_flat_says_look_downstream() {
    let flat_cpu = series(
        "rate(process_cpu_seconds_total[5s])",
        ServerUnit::Ratio,
        JOB,
        per_second_points(60, |t| 0.2 + 0.01 * jitter(t)),
    );
    let flat_mem = memory(per_second_points(60, |_| 100.0 * MB));
    let found = look_downstream(&[flat_cpu.clone(), flat_mem.clone()], &slowing(), &[]).unwrap();
    assert!(
        (found.rise.before_ms - 20.0).abs() < 2.0 && found.rise.after_ms > 35.0,
        "{found:?}"
    );
    assert_eq!(found.resources.len(), 2);
    assert!(found.reason.contains("look downstream"));
    // CPU rising 50% with the latency: not downstream.
    let rising = series(
        "rate(process_cpu_seconds_total[5s])",
        ServerUnit::Ratio,
        JOB,
        per_second_points(60, |t| 0.2 + 0.2 * t / 60.0),
    );
    assert_eq!(
        look_downstream(&[rising, flat_mem.clone()], &slowing(), &[]),
        None
    );
    // Without memory read, "nothing rose" is not known.
    assert_eq!(
        look_downstream(std::slice::from_ref(&flat_cpu), &slowing(), &[]),
        None
    );
    // Latency flat: nothing to explain.
    assert_eq!(
        look_downstream(&[flat_cpu, flat_mem], &steady(60), &[]),
        None
    );
}

#[test]
fn series_are_recognised_by_their_promql() {
    let kind = |query: &str, unit| kind_of(&series(query, unit, &[], Vec::new()));
    let cases = [
        ("up", ServerUnit::Count, Kind::Up),
        ("up{job=\"api\"}", ServerUnit::Count, Kind::Up),
        ("upstream_requests_total", ServerUnit::Count, Kind::Other),
        ("process_start_time_seconds", ServerUnit::Seconds, Kind::StartTime),
        ("kube_pod_container_status_restarts_total", ServerUnit::Count, Kind::RestartCount),
        ("rate(process_cpu_seconds_total[1m])", ServerUnit::Ratio, Kind::Cpu),
        ("sum by (pod) (rate(container_cpu_usage_seconds_total[1m]))", ServerUnit::Ratio, Kind::Cpu),
        // A bare counter is no CPU usage.
        ("process_cpu_seconds_total", ServerUnit::Seconds, Kind::Other),
        ("1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[1m]))", ServerUnit::Ratio, Kind::NodeCpu),
        ("count(node_cpu_seconds_total{mode=\"idle\"})", ServerUnit::Count, Kind::NodeCores),
        ("container_spec_cpu_quota / container_spec_cpu_period", ServerUnit::Count, Kind::CpuQuota),
        ("rate(container_cpu_cfs_throttled_periods_total[1m]) / rate(container_cpu_cfs_periods_total[1m])", ServerUnit::Ratio, Kind::Throttled),
        ("process_resident_memory_bytes", ServerUnit::Bytes, Kind::Memory),
        ("container_memory_working_set_bytes{pod=~\"api.*\"}", ServerUnit::Bytes, Kind::Memory),
        ("node_memory_MemTotal_bytes", ServerUnit::Bytes, Kind::NodeMemoryTotal),
    ];
    for (query, unit, expected) in cases {
        assert_eq!(kind(query, unit), expected, "{query}");
    }
}

#[test]
fn control_characters_in_label_values_are_dropped_from_names() {
    let s = series(
        "up",
        ServerUnit::Count,
        &[("job", "api\u{1b}[31m\n"), ("le", "x")],
        Vec::new(),
    );
    assert_eq!(series_name(&s), "up{job=\"api[31m\"}");
}

// ---------------------------------------------------------------------------------------------
// Real runs.

/// The series of a `prometheus.json` dump (`bench/server_corpus.py`): one `ServerSeries` per result
/// of each query_range answer.
fn read_dump(path: &Path) -> Vec<ServerSeries> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dump: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for entry in dump["series"].as_array().unwrap() {
        let unit = match entry["unit"].as_str().unwrap() {
            "bytes" => ServerUnit::Bytes,
            "seconds" => ServerUnit::Seconds,
            "ratio" => ServerUnit::Ratio,
            "percent" => ServerUnit::Percent,
            "count" => ServerUnit::Count,
            _ => ServerUnit::None,
        };
        for result in entry["result"].as_array().unwrap() {
            let labels = result["metric"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let points = result["values"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|pair| {
                    let t = pair[0].as_f64()?;
                    let v: f64 = pair[1].as_str()?.parse().ok()?;
                    v.is_finite().then_some((t, v))
                })
                .collect();
            out.push(ServerSeries {
                source: entry["name"].as_str().unwrap().to_string(),
                query: entry["query"].as_str().unwrap().to_string(),
                labels,
                unit,
                points,
            });
        }
    }
    out
}

/// The run's aggregate history as intervals.
fn read_client(dir: &Path) -> Vec<Interval> {
    let run = crate::ingest::load_run(&dir.join("locust_stats.csv")).unwrap();
    let history = run.history.expect("the run has a history");
    intervals(&history.aggregated().expect("Aggregated rows").points)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/server")
        .join(name)
}

fn findings_of(dir: &Path) -> Vec<ServerFinding> {
    server_findings(
        &read_dump(&dir.join("prometheus.json")),
        &read_client(dir),
        None,
    )
}

fn kinds(findings: &[ServerFinding]) -> Vec<&'static str> {
    findings.iter().map(ServerFinding::kind).collect()
}

#[test]
fn a_real_steady_run_gives_no_server_finding() {
    let found = findings_of(&fixture("steady"));
    assert!(found.is_empty(), "{:#?}", found);
}

#[test]
fn a_real_leak_of_8_mb_a_minute_is_found_within_a_quarter() {
    // The run also holds a second at which Prometheus scraped neither job (the machine at load 20):
    // the scraper's stall, no restart.
    let found = findings_of(&fixture("leak-8"));
    assert_eq!(kinds(&found), ["memory_growth"], "{found:#?}");
    let ServerFinding::MemoryGrowth(g) = &found[0] else {
        unreachable!()
    };
    assert!(
        g.series
            .starts_with("process_resident_memory_bytes{job=\"target\""),
        "{}",
        g.series
    );
    assert!((g.slope_mb_per_min - 8.0).abs() <= 2.0, "{g:?}");
    assert!(g.t > GROWTH_MIN_T && g.r2 > GROWTH_MIN_R2, "{g:?}");
}

#[test]
fn a_real_ramp_against_a_single_cpu_worker_names_cpu_at_the_knee() {
    let found = findings_of(&fixture("ramp-cpu-1"));
    let saturation: Vec<&Saturation> = found
        .iter()
        .filter_map(|f| match f {
            ServerFinding::Saturation(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(saturation.len(), 1, "{found:#?}");
    assert!(
        saturation[0].series.starts_with("process_cpu"),
        "{:?}",
        saturation[0]
    );
    assert!(!kinds(&found).contains(&"look_downstream"), "{found:#?}");
}

#[test]
fn a_real_crash_is_tied_to_its_error_burst_within_two_seconds() {
    let found = findings_of(&fixture("crash"));
    let restarts: Vec<&Restart> = found
        .iter()
        .filter_map(|f| match f {
            ServerFinding::Restart(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(restarts.len(), 1, "{found:#?}");
    let r = restarts[0];
    let burst = r.burst.as_ref().expect("tied to its burst");
    assert!(
        (burst.from - r.down_at.unwrap()).abs() <= RESTART_TIE_S,
        "{r:?}"
    );
    assert!(
        (burst.to - r.back_at.unwrap()).abs() <= RESTART_TIE_S,
        "{r:?}"
    );
    assert!(
        r.restarted && r.started_at.is_some() && burst.failures > 100,
        "{r:?}"
    );
    // Down for the 2 s the supervisor waits and the new process's start-up.
    let down_s = r.back_at.unwrap() - r.down_at.unwrap();
    assert!((1.0..=5.0).contains(&down_s), "{r:?}");
}

#[test]
fn a_real_ramp_under_a_cpu_quota_names_the_quota_and_the_throttling() {
    // A 0.2-core quota and 10 ms of CPU a request: 20 req/s at most.
    let found = findings_of(&fixture("ramp-quota"));
    let Some(ServerFinding::Saturation(s)) = found.iter().find(|f| f.kind() == "saturation") else {
        panic!("{found:#?}")
    };
    assert_eq!(s.ceiling, "its 0.2-core CPU quota");
    assert!(
        s.share >= SATURATION_MIN_SHARE && (s.knee.rps - 20.0).abs() <= 5.0,
        "{s:?}"
    );
    let Some(ServerFinding::Throttling(t)) = found.iter().find(|f| f.kind() == "throttling") else {
        panic!("{found:#?}")
    };
    assert!(
        t.throttled_share >= 0.5 && t.throttled_before < 0.1,
        "{t:?}"
    );
}

#[test]
fn a_real_slow_dependency_says_look_downstream() {
    // The dependency's wait grows 4 ms a second: about 240 ms more after a minute.
    let found = findings_of(&fixture("downstream"));
    assert_eq!(kinds(&found), ["look_downstream"], "{found:#?}");
    let ServerFinding::LookDownstream(d) = &found[0] else {
        unreachable!()
    };
    assert!(d.rise.after_ms - d.rise.before_ms > 150.0, "{d:?}");
    // The CPU and memory of both jobs and the machine's CPU (busy throughout: said).
    assert_eq!(d.resources.len(), 5, "{d:?}");
    assert!(d.reason.contains("busy throughout"), "{}", d.reason);
}

// ---------------------------------------------------------------------------------------------
// The whole corpus (not in CI: it lives outside the repository).

/// Every run of the corpus at `$LOADGATE_SERVER_CORPUS` (default `../corpus-server` beside the
/// repository), its findings, and the counts of "Done when" in a table on stdout.
#[test]
#[ignore = "reads the corpus made by bench/server_corpus.py outside the repository"]
fn corpus() {
    let root = std::env::var_os("LOADGATE_SERVER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus-server"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("prometheus.json").is_file())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut knees_missing: Vec<String> = Vec::new();
    println!("| run | truth | findings | margins |\n|---|---|---|---|");
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        let found = findings_of(dir);
        let summary: Vec<String> = found.iter().map(summary_of).collect();
        println!(
            "| {name} | {} | {} | {} |",
            info["truth"],
            if summary.is_empty() {
                "none".to_string()
            } else {
                summary.join("; ")
            },
            margins(&read_dump(&dir.join("prometheus.json")), &read_client(dir))
        );
        let group = name.split('-').next().unwrap_or_default().to_string();
        let ok = match group.as_str() {
            "steady" => found.is_empty(),
            "leak" => {
                let truth = info["truth"]["leak_mb_per_min"].as_f64().unwrap();
                found.iter().any(|f| matches!(f, ServerFinding::MemoryGrowth(g)
                    if g.series.contains("job=\"target\"") && (g.slope_mb_per_min - truth).abs() <= 0.25 * truth))
                    && found.iter().all(|f| matches!(f, ServerFinding::MemoryGrowth(_)))
            }
            // A ramp whose throughput never stopped growing has no knee to name a resource at
            // (counted apart below); one with a knee must name it.
            "ramp" => {
                let named = found.iter().any(|f| matches!(f, ServerFinding::Saturation(_)));
                if knee(&read_client(dir)).is_none() {
                    knees_missing.push(name.clone());
                    !named
                } else {
                    named
                }
            }
            "cache" => {
                let server = read_dump(&dir.join("prometheus.json"));
                let delta = |source: &str| {
                    server.iter().find(|s| s.source == source && s.labels.get("job").is_some_and(|j| j == "target"))
                        .and_then(|s| Some(s.points.last()?.1 - s.points.first()?.1))
                };
                if let (Some(hits), Some(all)) = (delta("cache_hits_total"), delta("cache_requests_total")) {
                    println!("|  | hit rate over the window: {:.3} (told {}) |  |  |", hits / all, info["truth"]["hit_rate"]);
                }
                found.is_empty()
            }
            "crash" => found.iter().any(|f| matches!(f, ServerFinding::Restart(r)
                if r.burst.as_ref().is_some_and(|b| (b.from - r.down_at.unwrap_or(f64::NAN)).abs() <= RESTART_TIE_S))),
            "downstream" => kinds(&found) == ["look_downstream"],
            _ => true,
        };
        let entry = counts.entry(group.clone()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(ok);
        if !ok {
            failures.push(name);
        }
    }
    println!("\n| runs | count | as expected |\n|---|--:|--:|");
    for (group, (n, ok)) in &counts {
        println!("| {group} | {n} | {ok} |");
    }
    println!("ramps without a knee (throughput still growing at the top): {knees_missing:?}");
    assert!(failures.is_empty(), "not as expected: {failures:?}");
}

fn summary_of(finding: &ServerFinding) -> String {
    match finding {
        ServerFinding::MemoryGrowth(g) => format!(
            "memory {} {:.2} ± {:.2} MB/min (t {:.0}, r² {:.2})",
            g.series,
            g.slope_mb_per_min,
            g.slope_se_mb_per_min,
            g.t.min(1e6),
            g.r2
        ),
        ServerFinding::Saturation(s) => format!(
            "saturation {} at {} users / {:.0} req/s: {:.2} ({:.0}% of {}), r {:.2} lag {} s",
            s.series,
            s.knee.users,
            s.knee.rps,
            s.level,
            s.share * 100.0,
            s.ceiling,
            s.r,
            s.lag_s
        ),
        ServerFinding::Restart(r) => format!(
            "restart {} down {:.1} back {:.1}; burst {}",
            r.series,
            r.down_at.unwrap_or(f64::NAN) % 1000.0,
            r.back_at.unwrap_or(f64::NAN) % 1000.0,
            r.burst.as_ref().map_or("none".to_string(), |b| format!(
                "{} failures {:.0}..{:.0} ({:+.1} s)",
                b.failures,
                b.from % 1000.0,
                b.to % 1000.0,
                b.from - r.down_at.unwrap_or(f64::NAN)
            ))
        ),
        ServerFinding::Throttling(t) => format!(
            "throttling {} {:.0}% (before {:.0}%), r {:.2} lag {} s",
            t.series,
            t.throttled_share * 100.0,
            t.throttled_before * 100.0,
            t.r,
            t.lag_s
        ),
        ServerFinding::LookDownstream(d) => format!(
            "look downstream: {:.0} → {:.0} ms, {} flat series",
            d.rise.before_ms,
            d.rise.after_ms,
            d.resources.len()
        ),
    }
}

/// How near a run came to each threshold: the steepest memory fit at constant load (MB/min, t, r²,
/// second-half share), and mean latency of the last two buckets over the first two.
fn margins(server: &[ServerSeries], client: &[Interval]) -> String {
    let mut out = Vec::new();
    if let Some((from, to)) = constant_load_window(client) {
        let mut best: Option<(f64, f64, f64, f64)> = None;
        for s in of_kind(server, Kind::Memory) {
            let points = within(s, from, to);
            let points = longest_continuous(&points, 5.0);
            let Some(fit) = fit_line(points) else {
                continue;
            };
            let half = fit_line(&points[points.len() / 2..]).map_or(0.0, |f| f.slope);
            let slope = fit.slope * 60.0 / MB;
            if best.is_none_or(|b| slope > b.0) {
                best = Some((
                    slope,
                    fit.t,
                    fit.r2,
                    if fit.slope != 0.0 {
                        half / fit.slope
                    } else {
                        0.0
                    },
                ));
            }
        }
        if let Some((slope, t, r2, half)) = best {
            out.push(format!(
                "memory {slope:.2} MB/min t {t:.1} r² {r2:.2} half {half:.2}"
            ));
        }
    }
    let b: Vec<Bucket> = buckets(client)
        .into_iter()
        .filter(|b| b.requests > 0 && b.users > 0)
        .collect();
    let first = b
        .iter()
        .take(2)
        .filter_map(|b| b.latency_ms)
        .fold(f64::INFINITY, f64::min);
    let last: Vec<f64> = b
        .iter()
        .rev()
        .take(2)
        .filter_map(|b| b.latency_ms)
        .collect();
    if let Some(last) = mean(&last) {
        let line: Vec<(f64, f64)> = b
            .iter()
            .filter_map(|b| b.latency_ms.map(|l| (b.end as f64, l)))
            .collect();
        let fit = fit_line(&line);
        out.push(format!(
            "latency {first:.1} → {last:.1} ms (×{:.2}, t {:.1}, r² {:.2})",
            last / first,
            fit.map_or(0.0, |f| f.t),
            fit.map_or(0.0, |f| f.r2)
        ));
    }
    if let Some(rise) = latency_rise(client) {
        out.push(format!("rise {:.0}→{:.0}", rise.before_ms, rise.after_ms));
        let (from, to) = (
            client[0].timestamp as f64,
            client[client.len() - 1].timestamp as f64,
        );
        let third = (to - from) / 3.0;
        for s in server {
            if matches!(kind_of(s), Kind::Cpu | Kind::NodeCpu | Kind::Memory) {
                out.push(format!(
                    "{} {:.3}→{:.3}",
                    s.source,
                    mean_within(s, from, from + third).unwrap_or(f64::NAN),
                    mean_within(s, to - third, to).unwrap_or(f64::NAN)
                ));
            }
        }
    }
    out.join(", ")
}

#[test]
fn a_resource_reaching_its_ceiling_while_latency_rose_rules_out_look_downstream() {
    let flat_mem = memory(per_second_points(60, |_| 100.0 * MB));
    let cpu_at = |cores: f64| {
        series(
            "rate(process_cpu_seconds_total[5s])",
            ServerUnit::Ratio,
            JOB,
            per_second_points(60, move |_| cores),
        )
    };
    // The machine's CPU at `before` for the first 35 s (before the rise), then at `during`.
    let node = |before: f64, during: f64| {
        series(
            "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5s]))",
            ServerUnit::Ratio,
            &[("job", "node")],
            per_second_points(60, move |t| if t < 35.0 { before } else { during }),
        )
    };
    let with = |extra: ServerSeries| vec![cpu_at(0.2), flat_mem.clone(), extra];
    // Rising from 80% to 84% busy: under the share, and under the 1.2x a rise needs.
    assert!(look_downstream(&with(node(0.80, 0.84)), &slowing(), &[]).is_some());
    // From 80% to 86%: it reached its ceiling as latency rose.
    assert_eq!(
        look_downstream(&with(node(0.80, 0.86)), &slowing(), &[]),
        None
    );
    // Busy at 86% throughout: no change to explain the rise, said with the finding.
    let busy = look_downstream(&with(node(0.86, 0.86)), &slowing(), &[]).unwrap();
    assert!(busy.reason.ends_with("the machine's CPU was 86% busy throughout (other work on it), which adds to any latency there"), "{}", busy.reason);
    // A process flat at one core: it had no more to give.
    let pinned = vec![cpu_at(0.851), flat_mem.clone()];
    assert_eq!(look_downstream(&pinned, &slowing(), &[]), None);
    let below = vec![cpu_at(0.84), flat_mem.clone()];
    assert!(look_downstream(&below, &slowing(), &[]).is_some());
    // Any other finding explains the rise instead.
    let restart = ServerFinding::Restart(
        restarts(
            &up_and_start(30, 33),
            &failing(steady(60), T0 + 29, T0 + 33, 20),
        )
        .remove(0),
    );
    assert_eq!(look_downstream(&below, &slowing(), &[restart]), None);
}

#[test]
fn one_missed_scrape_without_a_restart_or_errors_is_no_finding_but_two_are() {
    let down_for = |samples: i64| up_and_start(30, 30 + samples).remove(0);
    assert!(restarts(&[down_for(1)], &steady(60)).is_empty());
    let two = restarts(&[down_for(MIN_DOWN_SAMPLES as i64)], &steady(60));
    assert_eq!(two.len(), 1, "{two:?}");
    assert!(!two[0].restarted);
    assert!(
        two[0]
            .reason
            .contains("could not be scraped (up == 0): seen down at"),
        "{}",
        two[0].reason
    );
    // One missed scrape with the start time changed is a restart.
    let restarted = restarts(&up_and_start(30, 31), &steady(60));
    assert_eq!(restarted.len(), 1);
    assert!(restarted[0].restarted && restarted[0].reason.contains(" restarted: "));
    // One missed scrape that the errors started with is reported, tied to them.
    let errors = failing(steady(60), T0 + 29, T0 + 31, 10);
    assert!(restarts(&[down_for(1)], &errors)[0].burst.is_some());
}

#[test]
fn every_job_down_at_once_is_the_scrapers_stall_not_a_restart() {
    let up = |job: &'static str, down: &[i64]| {
        let down = down.to_vec();
        series(
            "up",
            ServerUnit::Count,
            &[("job", job)],
            per_second_points(
                60,
                move |t| if down.contains(&(t as i64)) { 0.0 } else { 1.0 },
            ),
        )
    };
    let both = [up("api", &[30, 31, 32]), up("node", &[30, 31, 32])];
    assert!(restarts(&both, &steady(60)).is_empty());
    // The api down a second longer than the node: not every job at once throughout.
    let longer = [up("api", &[30, 31, 32, 33]), up("node", &[30, 31, 32])];
    assert_eq!(restarts(&longer, &steady(60)).len(), 1);
    // Alone, a gap of three samples is reported.
    assert_eq!(restarts(&[up("api", &[30, 31, 32])], &steady(60)).len(), 1);
}

#[test]
fn a_latency_rise_is_strong_only_inside_every_threshold() {
    let line = |t: f64, r2: f64| LineFit {
        slope: 1.0,
        intercept: 0.0,
        slope_se: 1.0 / t,
        t,
        r2,
        n: 12,
    };
    let at = line(LATENCY_RISE_MIN_T, LATENCY_RISE_MIN_R2);
    assert!(rise_is_strong(20.0, 30.0, &at));
    assert!(!rise_is_strong(20.0, 29.9, &at));
    // 1.5x but under 5 ms above.
    assert!(rise_is_strong(10.0, 15.0, &at));
    assert!(!rise_is_strong(8.0, 12.9, &at));
    assert!(!rise_is_strong(20.0, 30.0, &line(7.99, 0.9)));
    assert!(!rise_is_strong(20.0, 30.0, &line(12.0, 0.59)));
    assert!(!rise_is_strong(f64::INFINITY, 30.0, &at));
}

#[test]
fn every_preset_of_the_prometheus_source_is_recognised_and_named_by_its_metric() {
    use crate::server::presets::PRESETS;
    let expected = [
        ("up", Kind::Up, "up"),
        (
            "process_memory",
            Kind::Memory,
            "process_resident_memory_bytes",
        ),
        ("process_cpu", Kind::Cpu, "process_cpu_seconds_total"),
        (
            "process_start",
            Kind::StartTime,
            "process_start_time_seconds",
        ),
        ("node_cpu", Kind::NodeCpu, "node_cpu_seconds_total"),
        // A share of the machine's memory, not its total in bytes.
        ("node_memory", Kind::Other, "node_memory_MemAvailable_bytes"),
        ("node_load1", Kind::Other, "node_load1"),
        (
            "container_cpu",
            Kind::Cpu,
            "container_cpu_usage_seconds_total",
        ),
        (
            "container_memory",
            Kind::Memory,
            "container_memory_working_set_bytes",
        ),
        (
            "container_throttling",
            Kind::Throttled,
            "container_cpu_cfs_throttled_periods_total",
        ),
        (
            "container_start",
            Kind::StartTime,
            "container_start_time_seconds",
        ),
        (
            "kube_restarts",
            Kind::RestartCount,
            "kube_pod_container_status_restarts_total",
        ),
    ];
    assert_eq!(
        PRESETS.len(),
        expected.len(),
        "a preset was added: say what it is here"
    );
    for (preset, (id, kind, metric)) in PRESETS.iter().zip(expected) {
        assert_eq!(preset.id, id);
        let s = ServerSeries {
            source: preset.id.to_string(),
            query: preset.query("api", "4s"),
            labels: BTreeMap::from([("job".to_string(), "api".to_string())]),
            unit: preset.unit,
            points: Vec::new(),
        };
        assert_eq!(kind_of(&s), kind, "{id}: {}", s.query);
        assert_eq!(series_name(&s), format!("{metric}{{job=\"api\"}}"), "{id}");
    }
}

#[test]
fn the_metric_of_a_query_skips_functions_aggregations_grouping_and_strings() {
    let cases = [
        (
            "sum by (job, instance) (rate(x_total{job=\"a\"}[1m]))",
            Some("x_total"),
        ),
        ("sum(rate(x_total[1m])) by (job)", Some("x_total")),
        ("max without (cpu) (y{name=\"by (z)\"})", Some("y")),
        (
            "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))",
            Some("h_bucket"),
        ),
        (
            "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5s]))",
            Some("node_cpu_seconds_total"),
        ),
        ("a / on (job) group_left (pod) b", Some("a")),
        ("vector(1)", None),
    ];
    for (query, expected) in cases {
        assert_eq!(metric_in(query).as_deref(), expected, "{query}");
    }
}
