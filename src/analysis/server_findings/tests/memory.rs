//! Memory growth: the fit, its thresholds, made-up series.

use super::*;

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
    let given = GivenLimit {
        bytes: 200.0 * MB,
        source: "the limit of rule \"api memory\"".to_string(),
    };
    let found = memory_growth(&[memory(points)], &steady(60), Some(&given));
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
            && g.reason
                .contains("min to the limit of rule \"api memory\" (200 MB)"),
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
        Some("the machine's memory (node_memory_MemTotal_bytes)")
    );
    assert_eq!(found[0].limit_bytes, Some(1024.0 * MB));
}

#[test]
fn the_containers_own_limit_comes_before_the_machines_and_a_rules_before_both() {
    let points = per_second_points(60, |t| 100.0 * MB + 6.0 * MB * t / 60.0);
    let limit = |name: &str, bytes: f64| {
        series(
            "max by (job, instance, name, namespace, pod, container) (container_spec_memory_limit_bytes{image!=\"\", job=\"cadvisor\"})",
            ServerUnit::Bytes,
            &[("job", "cadvisor"), ("name", name)],
            vec![((T0 + 30) as f64, bytes)],
        )
    };
    let memory_of = |name: &str| {
        series(
            "sum by (job, instance, name, namespace, pod, container) (container_memory_working_set_bytes{image!=\"\", job=\"cadvisor\"})",
            ServerUnit::Bytes,
            &[("job", "cadvisor"), ("name", name)],
            points.clone(),
        )
    };
    let total = series(
        "node_memory_MemTotal_bytes{job=\"node\"}",
        ServerUnit::Bytes,
        &[("job", "node")],
        vec![((T0 + 30) as f64, 1024.0 * MB)],
    );
    // Two containers with limits: each leak counts to its own; a limit of 0 is none.
    let server = [
        memory_of("api"),
        limit("db", 900.0 * MB),
        limit("api", 300.0 * MB),
        limit("cache", 0.0),
        total.clone(),
    ];
    let found = memory_growth(&server, &steady(60), None);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].limit_bytes, Some(300.0 * MB));
    assert_eq!(
        found[0].limit_source.as_deref(),
        Some("the container's memory limit (container_spec_memory_limit_bytes)")
    );
    assert!(
        found[0].reason.contains("the container's memory limit"),
        "{}",
        found[0].reason
    );
    // A container without a limit of its own (0) falls back to the machine's memory.
    let unlimited = [
        memory_of("cache"),
        limit("db", 900.0 * MB),
        limit("cache", 0.0),
        total.clone(),
    ];
    let found = memory_growth(&unlimited, &steady(60), None);
    assert_eq!(found[0].limit_bytes, Some(1024.0 * MB));
    // A memory rule's limit comes first.
    let given = GivenLimit {
        bytes: 250.0 * MB,
        source: "the limit of rule \"api memory\"".to_string(),
    };
    let found = memory_growth(&server, &steady(60), Some(&given));
    assert_eq!(found[0].limit_bytes, Some(250.0 * MB));
    assert_eq!(
        found[0].limit_source.as_deref(),
        Some("the limit of rule \"api memory\"")
    );
}
