//! Latency rises, throttling and "look downstream", on made-up series.

use super::*;

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
pub(super) fn slowing() -> Vec<Interval> {
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
