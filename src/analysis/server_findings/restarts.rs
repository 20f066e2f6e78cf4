//! Restarts: a process restart or an `up == 0` gap inside the run, tied to the burst of errors it
//! caused.

use super::*;

/// A burst of failed requests (Unix seconds; `from` is the start of its first failing interval).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBurst {
    pub from: f64,
    pub to: f64,
    pub failures: u64,
    pub requests: u64,
}

/// Runs of consecutive intervals with failures, with at least [`BURST_MIN_FAILURES`] failures.
pub fn error_bursts(client: &[Interval]) -> Vec<ErrorBurst> {
    let mut out: Vec<ErrorBurst> = Vec::new();
    let mut current: Option<ErrorBurst> = None;
    for interval in client {
        if interval.failures > 0 {
            let from = interval.timestamp as f64 - interval.seconds;
            let burst = current.get_or_insert(ErrorBurst {
                from,
                to: from,
                failures: 0,
                requests: 0,
            });
            burst.to = interval.timestamp as f64;
            burst.failures += interval.failures;
            burst.requests += interval.requests;
        } else if let Some(done) = current.take() {
            out.push(done);
        }
    }
    out.extend(current);
    out.retain(|b| b.failures >= BURST_MIN_FAILURES);
    out
}

/// A restart of the server, or a stretch where it could not be scraped, inside the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restart {
    pub series: String,
    /// When it was first seen down: the first `up == 0` sample, or the old process's last sample.
    pub down_at: Option<f64>,
    /// When it was back: the new process's start time, or the first `up == 1` after the gap.
    pub back_at: Option<f64>,
    /// The new process's start time, where a start-time series gives one.
    pub started_at: Option<f64>,
    /// A start time changed or a restart counter rose; otherwise `up` was 0 and nothing says
    /// whether the process restarted or only stopped answering its scrapes.
    pub restarted: bool,
    /// The error burst it caused, when one began within [`RESTART_TIE_S`] of `down_at` and ended
    /// within as much of `back_at`.
    pub burst: Option<ErrorBurst>,
    pub reason: String,
}

/// A down or start event of one target, before the two kinds are merged.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Event {
    pub(super) series: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) down_at: Option<f64>,
    pub(super) back_at: Option<f64>,
    pub(super) started_at: Option<f64>,
    /// A start-time change or a restart count: the process did restart.
    pub(super) restarted: bool,
    /// Samples of `up == 0` in the gap.
    pub(super) down_samples: usize,
}

/// Is `up` 0 at time `t` in every `up` series read (at least two)? Then the scraper stalled, not a
/// target.
pub(super) fn every_up_down_at(server: &[ServerSeries], t: f64) -> bool {
    let ups: Vec<&ServerSeries> = of_kind(server, Kind::Up).collect();
    ups.len() >= 2
        && ups.iter().all(|s| {
            s.points
                .iter()
                .any(|&(at, v)| (at - t).abs() < 0.5 && v < 0.5)
        })
}

pub(super) fn events(server: &[ServerSeries], from: f64, to: f64) -> Vec<Event> {
    let mut out = Vec::new();
    for series in server {
        let kind = kind_of(series);
        let points = &series.points;
        match kind {
            Kind::Up => {
                let mut i = 0;
                while i < points.len() {
                    if points[i].1 >= 0.5 {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < points.len() && points[i].1 < 0.5 {
                        i += 1;
                    }
                    if (start..i).all(|j| every_up_down_at(server, points[j].0)) {
                        continue;
                    }
                    out.push(Event {
                        series: series_name(series),
                        labels: series.labels.clone(),
                        down_at: Some(points[start].0),
                        back_at: points.get(i).map(|p| p.0),
                        started_at: None,
                        restarted: false,
                        down_samples: i - start,
                    });
                }
            }
            Kind::StartTime | Kind::RestartCount => {
                for pair in points.windows(2) {
                    let ((t0, v0), (t1, v1)) = (pair[0], pair[1]);
                    let restarted = if kind == Kind::StartTime {
                        (v1 - v0).abs() > 1.0
                    } else {
                        v1 > v0
                    };
                    if !restarted {
                        continue;
                    }
                    let started = (kind == Kind::StartTime && v1 > t0 - 60.0).then_some(v1);
                    out.push(Event {
                        series: series_name(series),
                        labels: series.labels.clone(),
                        down_at: Some(t0),
                        back_at: started.or(Some(t1)),
                        started_at: started,
                        restarted: true,
                        down_samples: 0,
                    });
                }
            }
            _ => {}
        }
    }
    out.retain(|e| {
        let at = e.started_at.or(e.down_at).unwrap_or(f64::NAN);
        at >= from - RESTART_TIE_S && at <= to + RESTART_TIE_S
    });
    out
}

/// Whether a burst is tied to a restart seen down at `down_at` and back at `back_at`.
pub fn burst_is_tied(burst: &ErrorBurst, down_at: f64, back_at: f64) -> bool {
    (burst.from - down_at).abs() <= RESTART_TIE_S && (burst.to - back_at).abs() <= RESTART_TIE_S
}

/// Restarts and scrape gaps inside the run, each tied to the error burst it caused.
pub fn restarts(server: &[ServerSeries], client: &[Interval]) -> Vec<Restart> {
    let (Some(first), Some(last)) = (client.first(), client.last()) else {
        return Vec::new();
    };
    let (from, to) = (
        first.timestamp as f64 - first.seconds,
        last.timestamp as f64,
    );
    let mut merged: Vec<Event> = Vec::new();
    // An `up == 0` gap and a start-time change of the same target within seconds are one restart:
    // the gap says when it went down, the start time when it came back.
    let mut all = events(server, from, to);
    all.sort_by(|a, b| {
        a.down_at
            .partial_cmp(&b.down_at)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for event in all {
        let near = merged.iter_mut().find(|m| {
            let common = m
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() == "job" || k.as_str() == "instance")
                .all(|(k, v)| event.labels.get(k).is_none_or(|w| w == v));
            let (a, b) = (m.down_at.unwrap_or(0.0), event.down_at.unwrap_or(0.0));
            common && (a - b).abs() <= 10.0
        });
        match near {
            Some(m) => {
                m.down_at = match (m.down_at, event.down_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                m.started_at = m.started_at.or(event.started_at);
                m.restarted |= event.restarted;
                m.down_samples = m.down_samples.max(event.down_samples);
                m.back_at = m.started_at.or(match (m.back_at, event.back_at) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                });
                if m.series.starts_with("up") {
                    m.series = event.series;
                }
            }
            None => merged.push(event),
        }
    }
    let bursts = error_bursts(client);
    merged
        .into_iter()
        .filter_map(|event| {
            let down = event.down_at.unwrap_or(f64::NAN);
            let back = event.back_at.unwrap_or(down);
            let burst = bursts
                .iter()
                .find(|b| burst_is_tied(b, down, back))
                .cloned();
            // One missed scrape of a busy target, with no restart and no errors, is no finding.
            if !event.restarted && burst.is_none() && event.down_samples < MIN_DOWN_SAMPLES {
                return None;
            }
            let what = if event.restarted {
                "restarted"
            } else {
                "could not be scraped (up == 0)"
            };
            let mut reason = format!(
                "{} {what}: seen down at {}, back at {} ({:.0} s)",
                event.series,
                clock(down),
                clock(back),
                back - down
            );
            match &burst {
                Some(b) => reason.push_str(&format!(
                    "; it caused {} failed requests from {} to {} ({:+.0} s from the restart)",
                    b.failures,
                    clock(b.from),
                    clock(b.to),
                    b.from - down
                )),
                None => reason.push_str("; no burst of errors around it"),
            }
            Some(Restart {
                series: event.series,
                down_at: event.down_at,
                back_at: event.back_at,
                started_at: event.started_at,
                restarted: event.restarted,
                burst,
                reason,
            })
        })
        .collect()
}

/// `HH:MM:SS` UTC of a Unix time.
pub(super) fn clock(t: f64) -> String {
    if !t.is_finite() {
        return "?".to_string();
    }
    let s = t.rem_euclid(86_400.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
