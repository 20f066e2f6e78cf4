//! Error bursts and restarts, on made-up series.

use super::*;

pub(super) fn failing(
    mut intervals: Vec<Interval>,
    from: i64,
    to: i64,
    per_s: u64,
) -> Vec<Interval> {
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

pub(super) fn up_and_start(down: i64, back: i64) -> Vec<ServerSeries> {
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
