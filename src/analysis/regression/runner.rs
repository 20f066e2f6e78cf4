//! The runner's record in a comparison: whether the machine that generated the load had less to
//! give in the current run than in the baseline. A run-wide shift is what a slower runner and a
//! slower server both look like from the response times alone; the runner record (`loadgate
//! record`) tells them apart. Each rule is a small pure function; the rule, its thresholds and the
//! corpus they were chosen from are in `docs/runner-record.md` ("How a comparison reads it").

use crate::machine::Machine;
use crate::model::RunnerSummary;

/// The generator's busiest thread was runnable (running or waiting for a CPU) this share of the
/// time or more: it always had work, so it set the pace and its own delays are in every response
/// time. One thread, because a generator whose event loop is one thread (Locust's) is its own
/// limit at one core however many the machine has, and one whose threads all want a CPU (k6's)
/// has each of them runnable too. A
/// single-process Locust in front of a server that was the limit (one request at a time) was
/// runnable at most 88% of the time, on a machine at 6-8 load per CPU; in front of httpbin (two
/// gunicorn workers) it was the limit, runnable 90-98%, and the same build's median moved 2x.
pub const SATURATED_DEMAND: f64 = 0.90;
/// The generator waited for a CPU (`command_wait`, cores: seconds per second it was runnable but
/// not running) more than this above the baseline: a busier runner. What a runner takes from the
/// generator is its wait; its CPU falls when the server serves less (fewer responses to read), so
/// a ratio to it would read a slower server as a busier runner. The level is the sampling's
/// resolution (20 ms a second): in three corpora of a busy machine, no same-build pair whose wait
/// rose less than this moved its median or mean past 20% (docs/runner-record.md).
pub const WAIT_RISE: f64 = 0.02;
/// The loopback probe's per-interval largest round trip (its 90th percentile over the run) grew
/// past twice the baseline's and by more than this many ms: the scheduler held the runner.
pub const RTT_MAX_RISE_MS: f64 = 10.0;
/// The load average per CPU rose by more than this.
pub const LOAD_PER_CPU_RISE: f64 = 4.0;
/// The share of time some task waited for a CPU (pressure stall information, the whole machine)
/// rose by more than this, on a machine whose CPUs were busy at least [`BUSY_FULL`] of the time.
/// The generator's own wait misses what a neighbour takes from a server that runs on the same
/// machine: on a quiet 2-core VM, a busy loop beside httpbin made the same build 1.6-2.0x slower
/// with the generator's wait unchanged and the pressure up 0.31-0.34 (CPUs busy 99.5%), while no
/// server at half capacity for want of workers raised it by more than 0.19. The level lies between
/// the two; a record made without pressure information is not read on it.
pub const PRESSURE_RISE: f64 = 0.25;
/// The machine's CPUs were busy this share of the time or more: a task that waited, waited for a
/// CPU the machine did not have. With CPUs idle, the waiting is a quota's: a server in a CPU-limited
/// cgroup at half its quota raised the pressure 0.04 -> 0.35 with the CPUs busy 15% of the time.
pub const BUSY_FULL: f64 = 0.95;
/// The hypervisor took this much more of the CPU (its median share over the run): a host that
/// gives other guests the CPU slows a server on this VM too. Steal is zero on a quiet host: in the
/// 217 records of seven corpora on one VM its median was 0-1% except in one episode of 3-5%, in
/// which a server in a CPU quota served the same build 1.2x slower with the generator's wait
/// unchanged. 2 points is 4 ticks a second on two CPUs, past the sampling's resolution.
pub const STEAL_RISE: f64 = 0.02;
/// The generator waited for a CPU this many cores or more in both runs: a contended machine. A
/// record vouches for the generator's share, not for how the rest of the machine (a server on it
/// included) fared, and a contended machine moves the same build more between runs: httpbin, its
/// CPU the limit beside a Locust that waited 0.22-0.28 cores in every run, served the same build
/// 1.2-1.9x slower between runs whose records matched. In the runner corpora, 16 of 266 contended
/// same-build pairs moved the median or mean past 1.2x, and 0 of 240 where either run's generator
/// waited less (docs/runner-record.md). 0.05 and 0.15 split the pairs the same way.
pub const CONTENDED_WAIT: f64 = 0.10;
/// On a contended machine, the current generator waited for a CPU this many cores less than the
/// baseline's: the machine gave it measurably more, so the machine did not slow the run, and
/// whatever slowed did so on the server's side (a server on the same machine that serves less
/// uses less CPU, and the generator beside it waits less). In the runner corpora, no same-build
/// pair whose median or mean moved past 1.2x on a contended machine had its wait fall by more than
/// 0.08 cores; 37 half-capacity pairs that moved 1.2-1.5x had it fall by more than this.
pub const CALMER_WAIT: f64 = 0.10;
/// Or the current generator waited for a CPU this share less than the baseline's, by more than the
/// sampling's resolution ([`WAIT_RISE`]): on a machine that was not contended, a tenth of a core is
/// most of what it waited. In seven corpora of this VM (S-Y: 942 same-build pairs), no same-build
/// pair whose generator's wait fell by a fifth moved its mean past 1.11x (36 such pairs), while 226
/// half-capacity pairs did move it past 1.2x.
pub const CALMER_SHARE: f64 = 0.20;
/// The generator's threads together were runnable this many times as long as its busiest one: its
/// work is spread over threads. A Go program (k6) multiplexes its goroutines onto as many threads
/// as it may use CPUs, and with fewer CPUs they queue inside its runtime, where the kernel's wait
/// does not see them: k6 pinned to one CPU moved its P99 1.5x with its wait unchanged. In the
/// runner corpora k6's threads were runnable 1.78-3.82 times as long as its busiest one, Locust's
/// (one thread, and the recorder's share of its tree) 0.94-1.24 times.
pub const SPREAD_OVER_THREADS: f64 = 1.5;

/// The figures of a runner record a comparison reads (medians over the run's intervals).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunnerFigures {
    /// Cores of the generator's demand left waiting for a CPU (`None`: not reported).
    pub wait: Option<f64>,
    /// The share of time the generator's busiest thread was runnable (on a CPU or waiting for
    /// one; in records from before threads were read, the process's CPU and wait together, in
    /// cores); `None`: wait not reported.
    pub demand: Option<f64>,
    /// The loopback probe's per-interval largest round trip, its 90th percentile (ms).
    pub rtt_max_ms: Option<f64>,
    pub load_per_cpu: f64,
    pub steal: f64,
    /// Share of time some task waited for a CPU (`None`: no pressure information).
    pub pressure: Option<f64>,
    /// Share of the CPUs' time that was busy.
    pub busy: f64,
    /// CPUs the generator could run on.
    pub allowed_cpus: u32,
    /// The generator's work was spread over threads ([`SPREAD_OVER_THREADS`]).
    pub spread: bool,
    /// `demand` is the busiest thread's share (else the process's CPU and wait).
    pub busiest_thread: bool,
}

impl RunnerFigures {
    pub fn of(s: &RunnerSummary) -> RunnerFigures {
        RunnerFigures {
            wait: s.command_wait.map(|w| w.median),
            // A generator is its own limit when one thread is: its busiest thread's runnable
            // share. Records from before loadgate read threads give the process's CPU and wait.
            demand: s.command_wait.map(|w| {
                s.command_busiest_thread
                    .map_or(w.median + s.command_cpu.median, |b| b.median)
            }),
            rtt_max_ms: s.rtt_max_ms.map(|r| r.p90),
            load_per_cpu: s.load1.median / f64::from(s.cpus_max.max(1)),
            steal: s.steal.median,
            pressure: s.cpu_pressure.map(|p| p.median),
            busy: s.busy.median,
            allowed_cpus: s.allowed_cpus,
            spread: match (s.command_wait, s.command_busiest_thread) {
                (Some(w), Some(b)) => {
                    w.median + s.command_cpu.median > SPREAD_OVER_THREADS * b.median
                }
                _ => false,
            },
            busiest_thread: s.command_busiest_thread.is_some(),
        }
    }

    /// What was runnable: "runnable" or "its busiest thread runnable".
    fn runnable(&self) -> &'static str {
        if self.busiest_thread {
            "its busiest thread runnable"
        } else {
            "runnable"
        }
    }

    /// The generator's demand when it was its own limit (at [`SATURATED_DEMAND`] or more).
    pub fn saturated_demand(&self) -> Option<f64> {
        self.demand.filter(|d| *d >= SATURATED_DEMAND)
    }

    /// The figures as a reason quotes them.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(w), Some(d)) = (self.wait, self.demand) {
            parts.push(format!(
                "generator waited for a CPU {w:.2} cores, {} {:.0}% of the time",
                self.runnable(),
                d * 100.0
            ));
        }
        if let Some(r) = self.rtt_max_ms {
            parts.push(format!("loopback max {r:.1} ms"));
        }
        parts.push(format!("load {:.1}/CPU", self.load_per_cpu));
        if let Some(p) = self.pressure {
            parts.push(format!("CPU pressure {:.0}%", p * 100.0));
        }
        parts.push(format!("steal {:.0}%", self.steal * 100.0));
        parts.join(", ")
    }
}

/// What the two runs' records say about the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum RunnerCall {
    /// Both runs had a record and the current runner had no less to give: `figures` quote both.
    /// `against` is the kept run (its index, oldest first) whose record vouches: the run-wide
    /// shifts and the throughput are read against it. `contended`: the generator waited for a CPU
    /// at least [`CONTENDED_WAIT`] in both runs; `calmer`: this runner had measurably more to give
    /// ([`calmer`]); `fewer_cpus`: this run's generator could run on fewer CPUs than the
    /// baseline's ([`fewer_cpus`]).
    Held {
        figures: String,
        against: usize,
        contended: bool,
        calmer: bool,
        fewer_cpus: bool,
    },
    /// The current runner was measurably busier: `why` names the figures that moved.
    Busier { why: String },
    /// One side or both had no record.
    Unknown,
}

impl RunnerCall {
    /// A held call on a contended machine whose generator was not calmer: the record vouches for
    /// the generator's share only, so a shift of the body is read against the machine's own
    /// spread ([`CONTENDED_WAIT`], [`CALMER_WAIT`]).
    pub fn contended_body(&self) -> bool {
        matches!(
            self,
            RunnerCall::Held {
                contended: true,
                calmer: false,
                ..
            }
        )
    }

    /// The call's name in the JSON report: `held`, `busier` or `unknown`.
    pub fn key(&self) -> &'static str {
        match self {
            RunnerCall::Held { .. } => "held",
            RunnerCall::Busier { .. } => "busier",
            RunnerCall::Unknown => "unknown",
        }
    }
}

/// Compares the kept runs' runners (oldest first) with the current one. The record that vouches is
/// the kept run most like the current run (the nearest generator wait) among those the current
/// runner had no less to give than: a rolling baseline kept on a shared runner holds calm and busy
/// runs, and a shift read against a run as busy as this one is the server's. When none vouches,
/// the newest kept run's record says how the runner was busier.
pub fn runner_call(kept: &[Option<&RunnerSummary>], cur: Option<&RunnerSummary>) -> RunnerCall {
    let Some(cur) = cur else {
        return RunnerCall::Unknown;
    };
    let c = RunnerFigures::of(cur);
    let vouching = kept
        .iter()
        .enumerate()
        .filter_map(|(i, k)| Some((i, RunnerFigures::of((*k)?))))
        .filter(|(_, b)| busier(b, &c).is_empty())
        .min_by(|(i, a), (j, b)| {
            let apart = |f: &RunnerFigures| (f.wait.unwrap_or(0.0) - c.wait.unwrap_or(0.0)).abs();
            // The nearest; of equals, the newest.
            apart(a).total_cmp(&apart(b)).then(j.cmp(i))
        });
    if let Some((against, b)) = vouching {
        let which = if against + 1 == kept.len() {
            "baseline".to_string()
        } else {
            format!(
                "kept run {} of {} (the most like this run)",
                against + 1,
                kept.len()
            )
        };
        return RunnerCall::Held {
            figures: format!("{which} {}; this run {}", b.describe(), c.describe()),
            against,
            contended: contended(&b, &c),
            calmer: calmer(&b, &c),
            fewer_cpus: fewer_cpus(&b, &c),
        };
    }
    // The newest kept run with a record.
    match kept.iter().rev().flatten().next() {
        Some(base) => RunnerCall::Busier {
            why: busier(&RunnerFigures::of(base), &c).join(", "),
        },
        None => RunnerCall::Unknown,
    }
}

/// [`runner_call`] where each run's machine is known (its runner record's, or where a baseline was
/// saved): a kept run made on another kind of machine (another CPU model, or another number of
/// cores) cannot vouch for this run's runner. Another CPU does the same work at another speed and
/// moves every endpoint, the cheapest included, with no wait, load or steal to show for it: even
/// two 2-core VMs that name one model served the same build 0.8-1.2x apart in its mean. When no kept
/// run of this kind vouches, the call is busier and names both machines.
pub fn runner_call_on_machines(
    kept: &[Option<&RunnerSummary>],
    kept_machines: &[Option<&Machine>],
    cur: Option<&RunnerSummary>,
    cur_machine: Option<&Machine>,
) -> RunnerCall {
    // Read only between two records: a kept run saved without one names where it was saved, and
    // its call is unknown anyway.
    let other = |i: usize| -> Option<&Machine> {
        kept.get(i).copied().flatten().and(cur)?;
        let (k, c) = (kept_machines.get(i).copied().flatten()?, cur_machine?);
        (!k.same_kind(c)).then_some(k)
    };
    let alike: Vec<Option<&RunnerSummary>> = kept
        .iter()
        .enumerate()
        .map(|(i, k)| if other(i).is_some() { None } else { *k })
        .collect();
    let call = runner_call(&alike, cur);
    let (Some(then), Some(now)) = ((0..kept.len()).rev().find_map(other), cur_machine) else {
        return call;
    };
    let another = format!(
        "another machine: the baseline's run was made on {}, this run on {} (another CPU moves every endpoint, and no record vouches across machines)",
        then.kind(),
        now.kind()
    );
    match call {
        RunnerCall::Held { .. } => call,
        // The figures that moved too, against this kind of machine's kept runs or else any.
        RunnerCall::Busier { why } => RunnerCall::Busier {
            why: format!("{another}; {why}"),
        },
        RunnerCall::Unknown => RunnerCall::Busier {
            why: match runner_call(kept, cur) {
                RunnerCall::Busier { why } => format!("{another}; {why}"),
                _ => another,
            },
        },
    }
}

/// Both runs' generators waited for a CPU at least [`CONTENDED_WAIT`]; a record without the wait
/// is not read so.
pub fn contended(b: &RunnerFigures, c: &RunnerFigures) -> bool {
    matches!((b.wait, c.wait), (Some(bw), Some(cw)) if bw.min(cw) >= CONTENDED_WAIT)
}

/// This run's generator could run on fewer CPUs than the baseline's. Its share of a CPU is what
/// the wait reads, and the record's medians vouch for it; but a generator pinned to fewer CPUs
/// shares them with whatever else is scheduled there (a server on the same machine), and a reply
/// that arrives while the other task holds its CPU waits a time slice: the tails move with no
/// median to show for it. In the runner corpora a Locust pinned to one CPU moved the same build's
/// P99 1.5x (its mean 1.1x) against runs that had two, with the record held.
pub fn fewer_cpus(b: &RunnerFigures, c: &RunnerFigures) -> bool {
    c.allowed_cpus < b.allowed_cpus
}

/// The current runner had measurably more to give than the baseline's: its generator waited for
/// a CPU at least [`CALMER_WAIT`] less (or [`CALMER_SHARE`] of the baseline's wait less, past the
/// sampling's resolution), or the baseline's machine was busier by the figures that
/// call a runner busier (its loopback, load, pressure or steal, read the other way round).
pub fn calmer(b: &RunnerFigures, c: &RunnerFigures) -> bool {
    let waited_less = match (b.wait, c.wait) {
        (Some(bw), Some(cw)) => {
            let fell = bw - cw;
            fell >= CALMER_WAIT || (fell > WAIT_RISE && fell >= CALMER_SHARE * bw)
        }
        _ => false,
    };
    waited_less || !machine_busier(c, b).is_empty()
}

/// Why a run's trends are not judged, when its record shows the generator was its own limit (its
/// median demand, CPU and wait for a CPU, at [`SATURATED_DEMAND`] or more): it set the pace, and a
/// climb of its response times over the run is its own as much as the server's. In three runs of
/// the runner corpora whose latency climbed 3.7-17x at a steady load, the generator was runnable
/// 97-100% of the time while the rest of the machine took what it lost.
pub fn generator_limited_note(s: &RunnerSummary) -> Option<String> {
    let f = RunnerFigures::of(s);
    let demand = f.saturated_demand()?;
    Some(format!(
        "trends are not judged: the load generator was its own limit ({} {:.0}% of the time, \
         waiting for a CPU {:.2} cores, per its runner record), so a climb of its response times is \
         its own as much as the server's; give it more CPU (Locust: --processes) and rerun",
        f.runnable(),
        demand * 100.0,
        f.wait.unwrap_or(0.0),
    ))
}

/// A load generator that said it ran out of CPU set the pace of its run, whatever the records
/// say: the call is a busier runner, quoting it. `kept` are the kept runs' warnings (oldest first),
/// `current` the current run's; a kept run's counts when it is the one the call is read against.
pub fn with_generator_warnings(
    call: RunnerCall,
    kept: &[Option<&str>],
    current: Option<&str>,
) -> RunnerCall {
    let against = match &call {
        RunnerCall::Held { against, .. } => Some(*against),
        _ => kept.len().checked_sub(1),
    };
    let warned = match (
        current,
        against.and_then(|i| kept.get(i).copied().flatten()),
    ) {
        (Some(w), _) => format!("in this run, {w}"),
        (None, Some(w)) => format!("in the baseline, {w}"),
        (None, None) => return call,
    };
    RunnerCall::Busier {
        why: match call {
            RunnerCall::Busier { why } => format!("{why}; {warned}"),
            _ => warned,
        },
    }
}

/// The figures by which the current runner `c` had less to give than the baseline's `b`; empty
/// when none did.
pub fn busier(b: &RunnerFigures, c: &RunnerFigures) -> Vec<String> {
    let mut moved = Vec::new();
    for (side, f) in [("the baseline", b), ("this run", c)] {
        if let Some(d) = f.saturated_demand() {
            moved.push(format!(
                "the generator{} was runnable {:.0}% of the time in {side}: it was the limit",
                if f.busiest_thread {
                    "'s busiest thread"
                } else {
                    ""
                },
                d * 100.0
            ));
        }
    }
    match (b.wait, c.wait) {
        (Some(bw), Some(cw)) if cw - bw > WAIT_RISE => moved.push(format!(
            "the generator's wait for a CPU {bw:.2} -> {cw:.2} cores"
        )),
        // Without the generator's own wait, no record vouches for it.
        (None, _) | (_, None) => moved.push("no generator CPU wait in a record".to_string()),
        _ => {}
    }
    moved.extend(machine_busier(b, c));
    // Fewer CPUs to run on cost a generator only what it then waits for, which the wait reads
    // (a Locust process that used a fifth of a core lost nothing when pinned to one CPU); without
    // the wait on both sides, nothing vouches anyway; and a generator whose work is spread over
    // threads queues what fewer CPUs cost it where the wait does not see.
    if c.allowed_cpus < b.allowed_cpus && (b.wait.is_none() || c.wait.is_none() || c.spread) {
        moved.push(format!(
            "generator CPUs {} -> {}",
            b.allowed_cpus, c.allowed_cpus
        ));
    }
    moved
}

/// The figures of the machine around the generator (the loopback probe, the load, the pressure,
/// the hypervisor's steal) by which the current runner `c` had less to give than `b`.
fn machine_busier(b: &RunnerFigures, c: &RunnerFigures) -> Vec<String> {
    let mut moved = Vec::new();
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
    if let (Some(bp), Some(cp)) = (b.pressure, c.pressure) {
        if cp - bp > PRESSURE_RISE && c.busy >= BUSY_FULL {
            moved.push(format!(
                "CPU pressure {:.0}% -> {:.0}% of the time some task waited for a CPU (a server on this machine waited too)",
                bp * 100.0,
                cp * 100.0
            ));
        }
    }
    if c.steal - b.steal > STEAL_RISE {
        moved.push(format!(
            "steal {:.0}% -> {:.0}%",
            b.steal * 100.0,
            c.steal * 100.0
        ));
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(wait: f64, rtt: f64, load: f64) -> RunnerFigures {
        RunnerFigures {
            wait: Some(wait),
            demand: Some(0.5),
            rtt_max_ms: Some(rtt),
            load_per_cpu: load,
            steal: 0.0,
            pressure: Some(0.30),
            busy: 0.99,
            allowed_cpus: 2,
            spread: false,
            busiest_thread: false,
        }
    }

    #[test]
    fn a_generator_with_one_cpu_where_the_baseline_had_two_has_fewer() {
        let two = figures(0.10, 2.0, 1.0);
        let one = RunnerFigures {
            allowed_cpus: 1,
            ..two
        };
        assert!(fewer_cpus(&two, &one));
        assert!(!fewer_cpus(&one, &two));
        assert!(!fewer_cpus(&two, &two));
        // It is no busier for that: the wait reads what one CPU cost it.
        assert!(busier(&two, &one).is_empty());
    }

    #[test]
    fn a_runner_held_when_no_figure_moved_past_its_threshold() {
        let b = figures(0.40, 2.0, 6.0);
        assert!(
            busier(&b, &figures(0.419, 12.0, 10.0)).is_empty(),
            "just inside every threshold"
        );
        let mut wanting = b;
        wanting.demand = Some(0.899);
        assert!(busier(&b, &wanting).is_empty());
        assert!(busier(&wanting, &b).is_empty());
        // A calmer runner is no busier, however far its figures fell.
        assert!(busier(&b, &figures(0.05, 0.1, 1.0)).is_empty());
    }

    #[test]
    fn each_figure_just_past_its_threshold_is_a_busier_runner() {
        let b = figures(0.40, 2.0, 6.0);
        let cases = [
            (
                figures(0.421, 2.0, 6.0),
                "wait for a CPU 0.40 -> 0.42 cores",
            ),
            (figures(0.40, 12.1, 6.0), "loopback max 2.0 -> 12.1 ms"),
            (figures(0.40, 2.0, 10.1), "load 6.0 -> 10.1 per CPU"),
        ];
        for (c, expected) in cases {
            let moved = busier(&b, &c);
            assert_eq!(moved.len(), 1, "{c:?}: {moved:?}");
            assert!(moved[0].contains(expected), "{moved:?}");
        }
        let mut stolen = b;
        stolen.steal = 0.021;
        assert!(busier(&b, &stolen)[0].starts_with("steal"));
        stolen.steal = 0.019;
        assert!(busier(&b, &stolen).is_empty());
        let mut pressed = b;
        pressed.pressure = Some(0.551);
        assert!(busier(&b, &pressed)[0].starts_with("CPU pressure 30% -> 55%"));
        pressed.pressure = Some(0.549);
        assert!(busier(&b, &pressed).is_empty());
        // With CPUs idle, the waiting was a quota's (a throttled server), not the runner's.
        pressed.pressure = Some(0.551);
        pressed.busy = 0.949;
        assert!(busier(&b, &pressed).is_empty());
        pressed.busy = 0.95;
        assert_eq!(busier(&b, &pressed).len(), 1);
        // Without pressure information on a side, it is not read.
        pressed.pressure = None;
        assert!(busier(&b, &pressed).is_empty());
        assert!(busier(&pressed, &b).is_empty());
        // Pinned to one CPU: its wait says what that cost, and without a wait the CPUs count.
        let mut one_core = b;
        one_core.allowed_cpus = 1;
        assert!(busier(&b, &one_core).is_empty());
        one_core.wait = None;
        assert_eq!(
            busier(&b, &one_core),
            ["no generator CPU wait in a record", "generator CPUs 2 -> 1"]
        );
        // A generator whose work is spread over threads (k6) queues on fewer CPUs where its wait
        // does not see: fewer CPUs make its runner busier with the waits on both sides.
        let mut spread = b;
        spread.allowed_cpus = 1;
        spread.spread = true;
        assert_eq!(busier(&b, &spread), ["generator CPUs 2 -> 1"]);
        spread.allowed_cpus = 2;
        assert!(busier(&b, &spread).is_empty(), "as many CPUs");
        let mut unknown_wait = b;
        unknown_wait.wait = None;
        assert_eq!(busier(&b, &unknown_wait).len(), 1, "nothing vouches");
        let mut limited = b;
        limited.demand = Some(0.90);
        assert!(busier(&b, &limited)[0].contains("90% of the time in this run"));
        assert!(busier(&limited, &b)[0].contains("in the baseline: it was the limit"));
    }

    #[test]
    fn a_generator_is_spread_over_threads_when_they_were_runnable_half_again_its_busiest() {
        let spread = |cpu: f64, wait: f64, busiest: Option<f64>| {
            let mut s = summary(wait, 1.0);
            s.command_cpu.median = cpu;
            s.command_busiest_thread = busiest.map(|b| crate::model::Spread {
                median: b,
                p90: b,
                max: b,
            });
            RunnerFigures::of(&s).spread
        };
        // k6 beside httpbin: 0.27 cores of CPU and 0.48 waiting, its busiest thread 0.20.
        assert!(spread(0.27, 0.48, Some(0.20)));
        // Just past and just inside 1.5 times the busiest thread.
        assert!(spread(0.30, 0.1501, Some(0.30)));
        assert!(!spread(0.30, 0.1499, Some(0.30)));
        // Locust: one thread, 0.45 + 0.32 against 0.66.
        assert!(!spread(0.45, 0.32, Some(0.66)));
        // A record from before threads were read: not known, not spread.
        assert!(!spread(0.27, 0.48, None));
    }

    #[test]
    fn a_generator_that_sends_less_is_not_a_busier_runner() {
        // A server at half capacity: the generator reads half the responses (its CPU halves),
        // and waits for a CPU as long as before. Only its wait is the runner's.
        let mut b = figures(0.44, 2.0, 6.0);
        b.demand = Some(0.57);
        let mut c = figures(0.45, 2.0, 6.0);
        c.demand = Some(0.53);
        assert!(busier(&b, &c).is_empty());
    }

    #[test]
    fn a_small_loopback_max_that_doubles_is_not_busier() {
        let b = figures(0.40, 0.2, 6.0);
        assert!(busier(&b, &figures(0.40, 10.1, 6.0)).is_empty(), "+9.9 ms");
        assert_eq!(busier(&b, &figures(0.40, 10.3, 6.0)).len(), 1, "+10.1 ms");
    }

    fn summary(wait: f64, load1: f64) -> RunnerSummary {
        let spread = |v: f64| crate::model::Spread {
            median: v,
            p90: v,
            max: v,
        };
        RunnerSummary {
            samples: 30,
            duration_s: 30.0,
            cpus_min: 2,
            cpus_max: 2,
            allowed_cpus: 2,
            busy: spread(0.9),
            steal: spread(0.0),
            iowait: spread(0.0),
            busiest_cpu: spread(1.0),
            load1: spread(load1),
            cpu_pressure: None,
            command_cpu: spread(0.3),
            others_cpu: spread(1.0),
            command_wait: Some(spread(wait)),
            command_busiest_thread: None,
            rtt_ms: None,
            rtt_max_ms: None,
            rtt_lost: 0,
        }
    }

    fn machine(cpu: &str, cores: usize) -> Machine {
        Machine {
            cpu: cpu.to_string(),
            cores,
            os: "Debian GNU/Linux 12 (bookworm)".to_string(),
            loadgate: "0.1.0".to_string(),
        }
    }

    #[test]
    fn a_kept_run_made_on_another_kind_of_machine_does_not_vouch() {
        let (epyc, xeon) = (machine("AMD EPYC", 2), machine("Intel Xeon", 2));
        let (base, cur) = (summary(0.10, 2.0), summary(0.10, 2.0));
        let call = |kept_machines: &[Option<&Machine>], now: Option<&Machine>| {
            runner_call_on_machines(&[Some(&base)], kept_machines, Some(&cur), now)
        };
        // The same kind of machine, or a side whose machine is not known: the records vouch.
        assert_eq!(call(&[Some(&epyc)], Some(&epyc)).key(), "held");
        assert_eq!(call(&[None], Some(&epyc)).key(), "held");
        assert_eq!(call(&[Some(&epyc)], None).key(), "held");
        // Another CPU model, or another number of cores: no record vouches across them.
        match call(&[Some(&epyc)], Some(&xeon)) {
            RunnerCall::Busier { why } => {
                assert!(why.starts_with("another machine: the baseline's run was made on AMD EPYC, 2 cores, this run on Intel Xeon, 2 cores"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            call(&[Some(&epyc)], Some(&machine("AMD EPYC", 4))).key(),
            "busier"
        );
        // Busier on its figures too: both reasons are given.
        let busy = summary(0.30, 2.0);
        match runner_call_on_machines(&[Some(&base)], &[Some(&epyc)], Some(&busy), Some(&xeon)) {
            RunnerCall::Busier { why } => {
                assert!(
                    why.contains("another machine") && why.contains("0.10 -> 0.30 cores"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
        // A kept run saved without a record names where it was saved, not where it ran: unknown.
        assert_eq!(
            runner_call_on_machines(&[None], &[Some(&epyc)], Some(&cur), Some(&xeon)).key(),
            "unknown"
        );
        // Without a record of this run, nothing vouches either way.
        assert_eq!(
            runner_call_on_machines(&[Some(&base)], &[Some(&epyc)], None, Some(&xeon)).key(),
            "unknown"
        );
    }

    #[test]
    fn of_kept_runs_on_two_machines_one_of_this_kind_vouches() {
        let (epyc, xeon) = (machine("AMD EPYC", 2), machine("Intel Xeon", 2));
        let (older, newest) = (summary(0.10, 2.0), summary(0.10, 2.0));
        let kept = [Some(&older), Some(&newest)];
        // The newest kept run was made on another machine: the older one, on this one, vouches.
        match runner_call_on_machines(
            &kept,
            &[Some(&epyc), Some(&xeon)],
            Some(&older),
            Some(&epyc),
        ) {
            RunnerCall::Held {
                against, figures, ..
            } => {
                assert_eq!(against, 0);
                assert!(figures.starts_with("kept run 1 of 2"), "{figures}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_kept_run_most_like_this_one_vouches() {
        let (calm, busy, busiest) = (summary(0.10, 2.0), summary(0.44, 8.0), summary(0.55, 9.0));
        let cur = summary(0.45, 8.0);
        // The newest kept run was calm: against it this runner was busier, against the busy
        // ones it held, and the nearer of them (0.44, not 0.55) vouches.
        let kept = [Some(&busiest), Some(&busy), Some(&calm)];
        match runner_call(&kept, Some(&cur)) {
            RunnerCall::Held {
                against,
                figures,
                contended,
                calmer,
                ..
            } => {
                assert_eq!(against, 1);
                assert!(figures.starts_with("kept run 2 of 3"), "{figures}");
                assert!(contended, "0.44 and 0.45 cores waited");
                assert!(!calmer, "0.45 against 0.44");
            }
            other => panic!("{other:?}"),
        }
        // Only the calm run kept: busier, with the wait that rose.
        match runner_call(&[Some(&calm)], Some(&cur)) {
            RunnerCall::Busier { why } => assert!(why.contains("0.10 -> 0.45"), "{why}"),
            other => panic!("{other:?}"),
        }
        // Just inside the wait's threshold of the newest: it vouches, called the baseline.
        let near = summary(0.431, 8.0);
        match runner_call(&[Some(&calm), Some(&near)], Some(&cur)) {
            RunnerCall::Held {
                against, figures, ..
            } => {
                assert_eq!(against, 1);
                assert!(figures.starts_with("baseline "), "{figures}");
            }
            other => panic!("{other:?}"),
        }
        // Just outside it: busier than every kept run.
        let below = summary(0.429, 8.0);
        assert!(matches!(
            runner_call(&[Some(&calm), Some(&below)], Some(&cur)),
            RunnerCall::Busier { .. }
        ));
    }

    #[test]
    fn a_machine_is_contended_when_both_generators_waited_a_tenth_of_a_core() {
        let f = |wait| figures(wait, 2.0, 1.0);
        assert!(contended(&f(0.10), &f(0.10)), "at the level");
        assert!(contended(&f(0.15), &f(0.11)));
        assert!(!contended(&f(0.25), &f(0.099)), "just below, in one run");
        assert!(!contended(&f(0.099), &f(0.25)));
        let mut unknown = f(0.3);
        unknown.wait = None;
        assert!(!contended(&unknown, &f(0.3)));
        let held =
            |b: f64, c: f64| match runner_call(&[Some(&summary(b, 2.0))], Some(&summary(c, 2.0))) {
                RunnerCall::Held { contended, .. } => contended,
                other => panic!("{other:?}"),
            };
        assert!(held(0.11, 0.10));
        assert!(!held(0.11, 0.09));
        // A generator that waited a tenth of a core less: the machine gave it more.
        assert!(calmer(&f(0.60), &f(0.499)));
        assert!(!calmer(&f(0.60), &f(0.501)), "0.099 cores, 16.5%");
        assert!(!calmer(&f(0.30), &f(0.40)));
    }

    #[test]
    fn a_baseline_machine_busier_by_its_own_figures_makes_this_runner_calmer() {
        // The generator's wait barely moved, but the baseline's machine was busier by a figure
        // that calls a runner busier, read the other way round: just past and just inside each.
        let c = figures(0.30, 2.0, 1.0);
        let calmer_than = |b: RunnerFigures| calmer(&b, &c);
        assert!(
            calmer_than(figures(0.30, 12.1, 1.0)),
            "loopback max +10.1 ms"
        );
        assert!(
            !calmer_than(figures(0.30, 11.9, 1.0)),
            "loopback max +9.9 ms"
        );
        assert!(calmer_than(figures(0.30, 2.0, 5.1)), "load +4.1 per CPU");
        assert!(!calmer_than(figures(0.30, 2.0, 4.9)), "load +3.9 per CPU");
        let mut pressed = figures(0.30, 2.0, 1.0);
        pressed.pressure = Some(0.551);
        assert!(calmer_than(pressed), "pressure +25.1 points, CPUs full");
        pressed.pressure = Some(0.549);
        assert!(!calmer_than(pressed));
        pressed.pressure = Some(0.60);
        pressed.busy = 0.949;
        assert!(
            !calmer_than(pressed),
            "the baseline's CPUs had room: a quota's waiting"
        );
        let mut stolen = figures(0.30, 2.0, 1.0);
        stolen.steal = 0.021;
        assert!(calmer_than(stolen));
        stolen.steal = 0.019;
        assert!(!calmer_than(stolen));
        // The generator's own wait reads a calmer runner at CALMER_WAIT (or a fifth of it), not
        // at WAIT_RISE: 0.35 -> 0.30 is 14% less.
        assert!(!calmer_than(figures(0.35, 2.0, 1.0)));
    }

    #[test]
    fn a_generator_that_waited_a_tenth_of_a_core_or_a_fifth_less_is_on_a_calmer_runner() {
        let calmer_wait = |b: f64, c: f64| calmer(&figures(b, 2.0, 1.0), &figures(c, 2.0, 1.0));
        // A tenth of a core less, however much it waited: just past and just inside.
        assert!(calmer_wait(0.60, 0.499));
        assert!(!calmer_wait(0.60, 0.501), "0.099 cores, 17%");
        // A fifth less, past the sampling's resolution (0.02 cores).
        assert!(calmer_wait(0.10, 0.079), "0.021 cores, 21%");
        assert!(
            !calmer_wait(0.10, 0.081),
            "0.019 cores: within the resolution"
        );
        assert!(calmer_wait(0.40, 0.319), "0.081 cores, 20.3%");
        assert!(!calmer_wait(0.40, 0.321), "0.079 cores, 19.8%");
        assert!(
            !calmer_wait(0.04, 0.021),
            "0.019 cores: within the resolution, however relative"
        );
        // Waiting more is never calmer.
        assert!(!calmer_wait(0.10, 0.12));
    }

    #[test]
    fn trends_are_not_judged_when_the_generator_was_its_own_limit() {
        // Demand is command_cpu (0.3 in `summary`) plus the wait: 0.90 is the limit.
        let note = generator_limited_note(&summary(0.601, 2.0)).expect("0.901: its own limit");
        assert!(note.contains("runnable 90% of the time"), "{note}");
        assert!(note.contains("waiting for a CPU 0.60 cores"), "{note}");
        // 0.899: under the limit.
        assert_eq!(generator_limited_note(&summary(0.599, 2.0)), None);
        let mut no_wait = summary(0.9, 2.0);
        no_wait.command_wait = None;
        assert_eq!(generator_limited_note(&no_wait), None, "no wait, no call");
    }

    #[test]
    fn without_a_record_on_either_side_nothing_is_known() {
        let cur = summary(0.2, 2.0);
        assert_eq!(runner_call(&[None, None], Some(&cur)), RunnerCall::Unknown);
        assert_eq!(runner_call(&[Some(&cur)], None), RunnerCall::Unknown);
        assert_eq!(runner_call(&[], Some(&cur)), RunnerCall::Unknown);
        // A kept run without a record is passed over for one that has it.
        assert!(matches!(
            runner_call(&[Some(&cur), None], Some(&cur)),
            RunnerCall::Held { against: 0, .. }
        ));
    }

    #[test]
    fn a_generator_that_said_its_cpu_ran_out_makes_the_runner_busier() {
        let held = || RunnerCall::Held {
            figures: "f".into(),
            against: 0,
            contended: false,
            calmer: false,
            fewer_cpus: false,
        };
        let w = "Locust warned that its CPU ran out (line 9: \"CPU usage above 90%\")";
        // Nobody warned: the call stands.
        assert_eq!(with_generator_warnings(held(), &[None, None], None), held());
        // This run warned: busier, whatever the records said.
        for call in [held(), RunnerCall::Unknown] {
            match with_generator_warnings(call, &[None], Some(w)) {
                RunnerCall::Busier { why } => assert_eq!(why, format!("in this run, {w}")),
                other => panic!("{other:?}"),
            }
        }
        // The kept run the call is read against warned; another kept run's warning does not count.
        assert!(matches!(
            with_generator_warnings(held(), &[Some(w), None], None),
            RunnerCall::Busier { .. }
        ));
        assert_eq!(
            with_generator_warnings(held(), &[None, Some(w)], None),
            held()
        );
        // Without records, the newest kept run's.
        assert!(matches!(
            with_generator_warnings(RunnerCall::Unknown, &[None, Some(w)], None),
            RunnerCall::Busier { .. }
        ));
        // A busier call keeps its figures and adds the warning.
        match with_generator_warnings(
            RunnerCall::Busier {
                why: "load 2 -> 9".into(),
            },
            &[None],
            Some(w),
        ) {
            RunnerCall::Busier { why } => {
                assert!(why.starts_with("load 2 -> 9; in this run, Locust"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
}
