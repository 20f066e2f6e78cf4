//! The runner's record in a comparison: whether the machine that generated the load had less to
//! give in the current run than in the baseline. A run-wide shift is what a slower runner and a
//! slower server both look like from the response times alone; the runner record (`loadgate
//! record`) tells them apart. Each rule is a small pure function; the thresholds and the ranges
//! they were chosen from are in `docs/regressions.md`.

use crate::model::RunnerSummary;

/// The generator wanted this many cores or more (`command_cpu` + `command_wait`, medians): it was
/// the limit of the run, whatever the baseline had. Locust (one process) limited by its runner
/// wanted 0.89-0.99 of a core in every full-capacity run of the busy-machine corpus; with the
/// server as the limit it wanted 0.33-0.76.
pub const SATURATED_DEMAND: f64 = 0.85;
/// A rise of the generator's wait share (`command_wait` / its demand) by more than this is a busier
/// runner. Same-build runs of one condition drifted by up to 0.30 as the machine's load drifted.
pub const WAIT_SHARE_RISE: f64 = 0.35;
/// The loopback probe's per-interval largest round trip (its 90th percentile over the run) grew
/// past twice the baseline's and by more than this many ms: the scheduler held the runner.
pub const RTT_MAX_RISE_MS: f64 = 10.0;
/// The load average per CPU rose by more than this.
pub const LOAD_PER_CPU_RISE: f64 = 4.0;
/// The hypervisor took this much more of the CPU.
pub const STEAL_RISE: f64 = 0.05;

/// The figures of a runner record a comparison reads (medians over the run's intervals).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunnerFigures {
    /// Share of the generator's demand for CPU that waited for one (`None`: not reported).
    pub wait_share: Option<f64>,
    /// Cores the generator wanted: its CPU and its wait for a CPU (`None`: wait not reported).
    pub demand: Option<f64>,
    /// The loopback probe's per-interval largest round trip, its 90th percentile (ms).
    pub rtt_max_ms: Option<f64>,
    pub load_per_cpu: f64,
    pub steal: f64,
    /// CPUs the generator could run on.
    pub allowed_cpus: u32,
}

impl RunnerFigures {
    pub fn of(s: &RunnerSummary) -> RunnerFigures {
        let wait_share = s.command_wait.map(|w| {
            let demand = w.median + s.command_cpu.median;
            if demand > 0.0 {
                w.median / demand
            } else {
                0.0
            }
        });
        RunnerFigures {
            wait_share,
            demand: s.command_wait.map(|w| w.median + s.command_cpu.median),
            rtt_max_ms: s.rtt_max_ms.map(|r| r.p90),
            load_per_cpu: s.load1.median / f64::from(s.cpus_max.max(1)),
            steal: s.steal.median,
            allowed_cpus: s.allowed_cpus,
        }
    }

    /// The figures as a reason quotes them.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(w) = self.wait_share {
            parts.push(format!("generator waited for a CPU {:.0}%", w * 100.0));
        }
        if let Some(r) = self.rtt_max_ms {
            parts.push(format!("loopback max {r:.1} ms"));
        }
        parts.push(format!("load {:.1}/CPU", self.load_per_cpu));
        parts.push(format!("steal {:.0}%", self.steal * 100.0));
        parts.join(", ")
    }
}

/// What the two runs' records say about the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum RunnerCall {
    /// Both runs had a record and the current runner had no less to give: `figures` quote both.
    Held { figures: String },
    /// The current runner was measurably busier: `why` names the figures that moved.
    Busier { why: String },
    /// One side or both had no record.
    Unknown,
}

/// Compares the baseline's runner with the current one.
pub fn runner_call(base: Option<&RunnerSummary>, cur: Option<&RunnerSummary>) -> RunnerCall {
    let (Some(base), Some(cur)) = (base, cur) else {
        return RunnerCall::Unknown;
    };
    let (b, c) = (RunnerFigures::of(base), RunnerFigures::of(cur));
    let moved = busier(&b, &c);
    if moved.is_empty() {
        RunnerCall::Held {
            figures: format!("baseline {}; this run {}", b.describe(), c.describe()),
        }
    } else {
        RunnerCall::Busier {
            why: moved.join(", "),
        }
    }
}

/// The figures by which the current runner `c` had less to give than the baseline's `b`; empty
/// when none did.
pub fn busier(b: &RunnerFigures, c: &RunnerFigures) -> Vec<String> {
    let mut moved = Vec::new();
    for (side, f) in [("baseline", b), ("this run", c)] {
        if let Some(d) = f.demand.filter(|d| *d >= SATURATED_DEMAND) {
            moved.push(format!(
                "the generator wanted {d:.2} cores in the {side}: it was the limit"
            ));
        }
    }
    match (b.wait_share, c.wait_share) {
        (Some(bw), Some(cw)) if cw - bw > WAIT_SHARE_RISE => moved.push(format!(
            "the generator's wait for a CPU {:.0}% -> {:.0}%",
            bw * 100.0,
            cw * 100.0
        )),
        // Without the generator's own wait, no record vouches for it.
        (None, _) | (_, None) => moved.push("no generator CPU wait in a record".to_string()),
        _ => {}
    }
    if let (Some(br), Some(cr)) = (b.rtt_max_ms, c.rtt_max_ms) {
        if cr > 2.0 * br && cr - br > RTT_MAX_RISE_MS {
            moved.push(format!("loopback max {br:.1} -> {cr:.1} ms"));
        }
    }
    if c.load_per_cpu - b.load_per_cpu > LOAD_PER_CPU_RISE {
        moved.push(format!(
            "load {:.1} -> {:.1} per CPU",
            b.load_per_cpu, c.load_per_cpu
        ));
    }
    if c.steal - b.steal > STEAL_RISE {
        moved.push(format!(
            "steal {:.0}% -> {:.0}%",
            b.steal * 100.0,
            c.steal * 100.0
        ));
    }
    if c.allowed_cpus < b.allowed_cpus {
        moved.push(format!(
            "generator CPUs {} -> {}",
            b.allowed_cpus, c.allowed_cpus
        ));
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(wait: f64, rtt: f64, load: f64) -> RunnerFigures {
        RunnerFigures {
            wait_share: Some(wait),
            demand: Some(0.5),
            rtt_max_ms: Some(rtt),
            load_per_cpu: load,
            steal: 0.0,
            allowed_cpus: 2,
        }
    }

    #[test]
    fn a_runner_held_when_no_figure_moved_past_its_threshold() {
        let b = figures(0.30, 2.0, 6.0);
        assert!(
            busier(&b, &figures(0.64, 12.0, 10.0)).is_empty(),
            "just inside every threshold"
        );
        let mut wanting = b;
        wanting.demand = Some(0.84);
        assert!(busier(&b, &wanting).is_empty());
    }

    #[test]
    fn each_figure_just_past_its_threshold_is_a_busier_runner() {
        let b = figures(0.30, 2.0, 6.0);
        let cases = [
            (figures(0.66, 2.0, 6.0), "wait for a CPU 30% -> 66%"),
            (figures(0.30, 12.1, 6.0), "loopback max 2.0 -> 12.1 ms"),
            (figures(0.30, 2.0, 10.1), "load 6.0 -> 10.1 per CPU"),
        ];
        for (c, expected) in cases {
            let moved = busier(&b, &c);
            assert_eq!(moved.len(), 1, "{c:?}: {moved:?}");
            assert!(moved[0].contains(expected), "{moved:?}");
        }
        let mut stolen = b;
        stolen.steal = 0.051;
        assert!(busier(&b, &stolen)[0].starts_with("steal"));
        stolen.steal = 0.049;
        assert!(busier(&b, &stolen).is_empty());
        let mut one_core = b;
        one_core.allowed_cpus = 1;
        assert_eq!(busier(&b, &one_core), ["generator CPUs 2 -> 1"]);
        let mut unknown_wait = b;
        unknown_wait.wait_share = None;
        assert_eq!(busier(&b, &unknown_wait).len(), 1, "nothing vouches");
        let mut limited = b;
        limited.demand = Some(0.85);
        assert!(busier(&b, &limited)[0].contains("this run: it was the limit"));
        assert!(busier(&limited, &b)[0].contains("baseline: it was the limit"));
    }

    #[test]
    fn a_small_loopback_max_that_doubles_is_not_busier() {
        let b = figures(0.30, 0.2, 6.0);
        assert!(busier(&b, &figures(0.30, 10.1, 6.0)).is_empty(), "+9.9 ms");
        assert_eq!(busier(&b, &figures(0.30, 10.3, 6.0)).len(), 1, "+10.1 ms");
    }
}
