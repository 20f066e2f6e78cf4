//! Saturation at a ramp's knee, on made-up ramps.

use super::*;

/// A ramp: users 1..=80 over 80 s; throughput 2.5 req/s a user up to 50 req/s (20 users), then flat;
/// latency 200 ms until the knee, then rising with the queue.
pub(super) fn ramp_client() -> Vec<Interval> {
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
pub(super) fn cpu(per_request: f64, cap: f64, labels: &[(&str, &str)]) -> ServerSeries {
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
