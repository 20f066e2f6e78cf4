//! The real runs of `fixtures/server/`.

use super::*;

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
