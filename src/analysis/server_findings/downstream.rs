//! Latency rose while no server resource did: look downstream.

use super::*;

/// Latency rose while no server resource did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookDownstream {
    pub rise: LatencyRise,
    /// Every resource series judged, with its first-third and last-third means.
    pub resources: Vec<FlatResource>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlatResource {
    pub series: String,
    pub first: f64,
    pub last: f64,
}

/// Did a resource rise between the run's first and last thirds? Above [`FLAT_MAX_GROWTH`] times,
/// and by more than `floor` in its own unit.
pub fn resource_rose(first: f64, last: f64, floor: f64) -> bool {
    last > first * FLAT_MAX_GROWTH && last - first > floor
}

/// "Look downstream": latency rose, the server's CPU, memory and throttling were read, none of them
/// rose, and none was at its ceiling while latency was high (a CPU at [`SATURATION_MIN_SHARE`] of
/// its quota, of the machine's cores or of one core; the machine's CPU that busy; throttling at
/// [`THROTTLED_MIN_SHARE`]). `others` are the findings already made: any of them explains the rise
/// instead.
pub fn look_downstream(
    server: &[ServerSeries],
    client: &[Interval],
    others: &[ServerFinding],
) -> Option<LookDownstream> {
    if !others.is_empty() {
        return None;
    }
    let rise = latency_rise(client)?;
    let (from, to) = (
        client.first()?.timestamp as f64,
        client.last()?.timestamp as f64,
    );
    let third = (to - from) / 3.0;
    let mut resources = Vec::new();
    let (mut cpu, mut memory) = (false, false);
    let mut busy_throughout: Option<f64> = None;
    for series in server {
        let kind = kind_of(series);
        let floor = match kind {
            Kind::Cpu | Kind::NodeCpu | Kind::Throttled => 0.02,
            Kind::Memory => MB,
            _ => continue,
        };
        let (Some(first), Some(last)) = (
            mean_within(series, from, from + third),
            mean_within(series, to - third, to),
        ) else {
            continue;
        };
        if resource_rose(first, last, floor) {
            return None;
        }
        // A resource that reached its ceiling while latency rose explains the rise as well as a
        // dependency would (a quota, one core, the machine's CPU): no "look downstream" then. A
        // machine already that busy before the rise is said with the finding instead: busy
        // throughout, it cannot explain a change by itself.
        let during = mean_within(series, rise.from as f64, rise.to as f64).unwrap_or(0.0);
        let at_ceiling = match kind {
            Kind::Cpu => ceilings(
                server,
                series,
                kind,
                during,
                (rise.from as f64, rise.to as f64),
            )
            .iter()
            .filter(|(_, what)| !what.starts_with(MACHINE_BUSY))
            .any(|(share, _)| *share >= SATURATION_MIN_SHARE),
            Kind::NodeCpu => {
                if during >= SATURATION_MIN_SHARE && first >= SATURATION_MIN_SHARE {
                    busy_throughout = Some(busy_throughout.map_or(during, |b: f64| b.max(during)));
                }
                during >= SATURATION_MIN_SHARE && first < SATURATION_MIN_SHARE
            }
            Kind::Throttled => during >= THROTTLED_MIN_SHARE,
            _ => false,
        };
        if at_ceiling {
            return None;
        }
        cpu |= matches!(kind, Kind::Cpu | Kind::NodeCpu);
        memory |= kind == Kind::Memory;
        resources.push(FlatResource {
            series: series_name(series),
            first,
            last,
        });
    }
    // Without both the server's CPU and memory, "nothing on the server rose" is not known.
    if !(cpu && memory) {
        return None;
    }
    let mut reason = format!(
        "mean latency rose from {:.0} to {:.0} ms while none of the server's {} CPU and memory series rose: look downstream (a database, a dependency, the network, or the load generator itself)",
        rise.before_ms,
        rise.after_ms,
        resources.len()
    );
    if let Some(busy) = busy_throughout {
        reason.push_str(&format!(
            "; the machine's CPU was {:.0}% busy throughout (other work on it), which adds to any latency there",
            busy * 100.0
        ));
    }
    Some(LookDownstream {
        rise,
        resources,
        reason,
    })
}
