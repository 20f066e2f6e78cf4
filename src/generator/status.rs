//! What the terminal shows: the status line redrawn once a second on stderr (only when it is a
//! terminal), and the summary printed on stdout when the run ends.

use std::io::Write;
use std::time::Duration;

use super::json_writer;
use super::outcome::RunOutcome;
use super::plan::Plan;
use super::stats::Stats;

/// The status line: elapsed time, users started, and per target (`A `, `B ` when two) the current
/// rate, the p95 of the last seconds and the failures so far.
pub(super) fn print_status(
    sides: &[&Stats],
    elapsed: Duration,
    users: u64,
    target_users: u32,
    now: i64,
    start: i64,
) {
    let labels: &[&str] = if sides.len() == 2 {
        &["A ", "B "]
    } else {
        &[""]
    };
    let mut line = format!(
        "\r\x1b[2K{:>5.0}s  users {users}/{target_users}",
        elapsed.as_secs_f64()
    );
    for (stats, label) in sides.iter().zip(labels) {
        let total = &stats.total;
        let (rps, _) = total.current_rates(now, start);
        let p95 = total
            .window_percentile_ms(0.95, now)
            .map_or("-".to_string(), |v| format!("{v:.1} ms"));
        line.push_str(&format!(
            "  {label}{rps:>8.1} req/s  p95 {p95}  failures {}",
            total.failures
        ));
    }
    eprint!("{line}");
    let _ = std::io::stderr().flush();
}

/// The closing summary of `loadgate run`, and the files it wrote.
pub(super) fn print_summary(plan: &Plan, o: &RunOutcome) {
    let ms = |v: Option<f64>| v.map_or("N/A".to_string(), |v| format!("{v:.1} ms"));
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} requests in {:.1} s ({:.1} req/s), {} failures ({:.2}%); p50 {}, p95 {}, p99 {}{}",
        o.requests,
        o.seconds,
        o.rps(),
        o.failures,
        crate::model::ratio(o.failures, o.requests) * 100.0,
        ms(o.p50_ms),
        ms(o.p95_ms),
        ms(o.p99_ms),
        if o.interrupted { " (interrupted)" } else { "" }
    );
    if let Some(prefix) = &plan.csv {
        let _ = writeln!(
            out,
            "wrote {}_stats.csv, _stats_history.csv, _failures.csv, _exceptions.csv",
            prefix.display()
        );
    }
    if let Some(name) = &plan.json_file {
        let _ = writeln!(out, "wrote {}", json_writer::path_for(name).display());
    }
}
