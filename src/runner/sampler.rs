//! The recorder proper (Linux): starts the command, passes signals on to it, and every interval
//! reads `/proc` and the loopback probe's round trips into one sample, until the command exits.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::proc::{
    cpu_shares, parse_loadavg, parse_pid_stat, parse_pressure_total, parse_schedstat, StatSnapshot,
};
use super::Recorded;
use crate::machine::Machine;
use crate::model::{RunnerRecord, RunnerSample, RUNNER_SCHEMA_VERSION};

/// Loopback round trips per interval, evenly spread: one a second would say little of the
/// scheduler, ten cost nothing measurable.
const PROBES_PER_INTERVAL: u32 = 10;

pub fn record(command: &[OsString], interval: Duration) -> Result<Recorded> {
    let Some((program, args)) = command.split_first() else {
        bail!("no command to record: give it after `--`, e.g. `loadgate record -- locust -f locustfile.py --headless`");
    };
    if interval < Duration::from_millis(100) {
        bail!(
            "--interval must be at least 100ms (sampling /proc more often measures the recorder)"
        );
    }
    // SAFETY: sysconf only reads a constant of the system.
    let ticks_per_s = match unsafe { libc::sysconf(libc::_SC_CLK_TCK) } {
        t if t > 0 => t as f64,
        _ => bail!("cannot read the kernel's clock ticks per second (sysconf)"),
    };
    let sub = interval / PROBES_PER_INTERVAL;
    let mut probe = Probe::start(interval.min(Duration::from_secs(1)))?;
    signals::install();

    let started_at = chrono::Utc::now();
    let mut child = Command::new(program)
        .args(args)
        .spawn()
        .with_context(|| format!("cannot start {}", program.to_string_lossy()))?;
    let pid = child.id();
    let started = Instant::now();
    let mut previous = Reading::take(pid);
    let mut samples = Vec::new();
    let (mut rtts, mut lost) = (Vec::new(), 0u32);
    let (mut next_probe, mut next_sample) = (started + sub, started + interval);
    let mut allowed = allowed_cpus(pid).unwrap_or(1);
    loop {
        let now = Instant::now();
        let wake = next_probe.min(next_sample);
        if wake > now {
            std::thread::sleep(wake - now);
        }
        signals::forward(pid);
        // Seen without reaping it: its last ticks stay readable for the closing sample.
        let exited = has_exited(pid)?;
        let now = Instant::now();
        if !exited && now >= next_probe {
            match probe.round_trip() {
                Some(rtt) => rtts.push(rtt.as_secs_f64() * 1000.0),
                None => lost += 1,
            }
            next_probe = after(next_probe, sub, Instant::now());
        }
        if exited || Instant::now() >= next_sample {
            let reading = Reading::take(pid);
            allowed = allowed_cpus(pid).unwrap_or(allowed);
            let partial = reading.at - previous.at;
            // A closing sliver of an interval says little; keep it only when it is all there is.
            if !exited || partial >= interval / 10 || samples.is_empty() {
                let context = SampleContext {
                    t: (reading.at - started).as_secs_f64(),
                    ticks_per_s,
                    allowed,
                    rtts: &mut rtts,
                    lost,
                };
                samples.extend(sample(&previous, &reading, context));
            }
            previous = reading;
            rtts.clear();
            lost = 0;
            next_sample = after(next_sample, interval, Instant::now());
        }
        if exited {
            break;
        }
    }
    let status = child.wait().context("cannot wait for the command")?;
    let duration_s = started.elapsed().as_secs_f64();
    let ended_at = chrono::Utc::now();
    let exit_code = match (status.code(), status.signal()) {
        (Some(code), _) => (code & 0xff) as u8,
        (None, Some(signal)) => (128 + signal).clamp(0, 255) as u8,
        (None, None) => 1,
    };
    let rfc3339 =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let summary = super::summary::summarize(&samples, round(duration_s, 3));
    Ok(Recorded {
        record: RunnerRecord {
            schema_version: RUNNER_SCHEMA_VERSION,
            loadgate_version: env!("CARGO_PKG_VERSION").to_string(),
            command: std::path::Path::new(program)
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            exit_code: status.code(),
            signal: status.signal(),
            started_at: rfc3339(started_at),
            ended_at: rfc3339(ended_at),
            interval_s: interval.as_secs_f64(),
            machine: Machine::this(),
            summary,
            samples,
        },
        exit_code,
    })
}

/// The first multiple of `step` after `deadline` that is still ahead of `now`: a late wake-up
/// skips the ticks it missed instead of running them back to back.
fn after(deadline: Instant, step: Duration, now: Instant) -> Instant {
    let mut next = deadline + step;
    while next <= now {
        next += step;
    }
    next
}

/// Whether the command has exited, leaving it unreaped (`WNOWAIT`) so its `/proc` entry stays.
fn has_exited(pid: u32) -> Result<bool> {
    // SAFETY: waitid writes only into `info`, a zeroed siginfo_t of ours.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let options = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    let rc = unsafe { libc::waitid(libc::P_PID, pid, &mut info, options) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot watch the command");
    }
    // SAFETY: after a successful waitid the pid field is set (0 while the child runs).
    Ok(unsafe { info.si_pid() } != 0)
}

fn allowed_cpus(pid: u32) -> Option<u32> {
    // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into `set`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(pid as libc::pid_t, size, &mut set) != 0 {
            return None;
        }
        u32::try_from(libc::CPU_COUNT(&set)).ok().filter(|&n| n > 0)
    }
}

/// A thread of the command's tree: its process's pid and start time, and its tid.
type ThreadKey = (u32, u64, u32);

/// What `/proc` said at one moment.
struct Reading {
    at: Instant,
    stat: Option<StatSnapshot>,
    /// CPU ticks of the command's process tree (each process's own and its reaped children's).
    tree_ticks: u64,
    /// Nanoseconds each thread of the tree ran and waited for a CPU; `None` where the kernel has
    /// no schedstat.
    threads: Option<HashMap<ThreadKey, (u64, u64)>>,
    processes: u32,
    pressure_us: Option<u64>,
    load: Option<(f64, u32)>,
}

impl Reading {
    fn take(root: u32) -> Reading {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let stat = read("/proc/stat").and_then(|t| super::proc::parse_stat(&t));
        let pressure_us = read("/proc/pressure/cpu").and_then(|t| parse_pressure_total(&t));
        let load = read("/proc/loadavg").and_then(|t| parse_loadavg(&t));
        let tree = process_tree(root);
        let mut threads = Some(HashMap::with_capacity(tree.len()));
        for p in &tree {
            match (thread_times(p.pid), threads.as_mut()) {
                (Some(times), Some(map)) => {
                    for (tid, run_wait) in times {
                        map.insert((p.pid, p.starttime, tid), run_wait);
                    }
                }
                // Only the root missing (it exited) is expected; no schedstat at all is a kernel
                // without it.
                (None, _) if p.pid == root && tree.len() > 1 => {}
                (None, _) => threads = None,
                (Some(_), None) => {}
            }
        }
        Reading {
            at: Instant::now(),
            stat,
            tree_ticks: tree.iter().map(|p| p.ticks()).sum(),
            threads,
            processes: tree.len() as u32,
            pressure_us,
            load,
        }
    }
}

/// Each thread's nanoseconds on a CPU and waiting for one in process `pid` (tid, (run, wait));
/// `None` when the process is gone or the kernel keeps no schedstat. `/proc/PID/schedstat` is the
/// main thread's alone: a Go or Java generator (k6, JMeter) does its work on others, and read so
/// it never waited.
fn thread_times(pid: u32) -> Option<Vec<(u32, (u64, u64))>> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let times: Vec<(u32, (u64, u64))> = tasks
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|tid| {
            // A thread that ended between the listing and the read is left out.
            let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?;
            Some((tid, parse_schedstat(&text)?))
        })
        .collect();
    (!times.is_empty()).then_some(times)
}

/// `root` and every process descending from it, from one pass over `/proc`.
fn process_tree(root: u32) -> Vec<super::proc::PidStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<super::proc::PidStat> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_pid_stat(&text)
        })
        .collect();
    let mut children: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, p) in all.iter().enumerate() {
        children.entry(p.ppid).or_default().push(i);
    }
    let mut tree = Vec::new();
    let mut queue: Vec<usize> = all.iter().position(|p| p.pid == root).into_iter().collect();
    while let Some(i) = queue.pop() {
        tree.push(all[i]);
        if let Some(kids) = children.get(&all[i].pid) {
            queue.extend(kids);
        }
    }
    tree
}

struct SampleContext<'a> {
    t: f64,
    ticks_per_s: f64,
    allowed: u32,
    rtts: &'a mut Vec<f64>,
    lost: u32,
}

/// One interval's sample from its two readings; `None` when `/proc/stat` could not be read or no
/// tick passed.
fn sample(before: &Reading, after: &Reading, context: SampleContext) -> Option<RunnerSample> {
    let (then, now) = (before.stat.as_ref()?, after.stat.as_ref()?);
    let shares = cpu_shares(then, now)?;
    let seconds = (after.at - before.at).as_secs_f64();
    if seconds <= 0.0 {
        return None;
    }
    let cpus = (now.per_cpu.len() as u32).max(1);
    // A process that left the tree without being reaped in it takes its ticks along: that
    // interval counts none rather than a negative share.
    let command_cpu =
        after.tree_ticks.saturating_sub(before.tree_ticks) as f64 / context.ticks_per_s / seconds;
    // Each thread's run and wait in the interval (a thread started in it counts from zero).
    let threads: Option<Vec<(u64, u64)>> =
        before
            .threads
            .as_ref()
            .zip(after.threads.as_ref())
            .map(|(then, now)| {
                now.iter()
                    .map(|(key, &(run, wait))| {
                        let (run0, wait0) = then.get(key).copied().unwrap_or((0, 0));
                        (run.saturating_sub(run0), wait.saturating_sub(wait0))
                    })
                    .collect()
            });
    let per_second = |ns: u64| round(ns as f64 / 1e9 / seconds, 4);
    let command_wait = threads
        .as_ref()
        .map(|t| per_second(t.iter().map(|(_, wait)| wait).sum()));
    let command_busiest_thread = threads
        .as_ref()
        .and_then(|t| t.iter().map(|(run, wait)| run + wait).max())
        .map(|ns| per_second(ns).min(1.0));
    let cpu_pressure = before
        .pressure_us
        .zip(after.pressure_us)
        .map(|(a, b)| round((b.saturating_sub(a) as f64 / 1e6 / seconds).min(1.0), 4));
    let rtts = &mut *context.rtts;
    rtts.sort_by(f64::total_cmp);
    let (load1, runnable) = after.load.unwrap_or((0.0, 0));
    Some(RunnerSample {
        t: round(context.t, 3),
        cpus,
        busy: round(shares.busy, 4),
        steal: round(shares.steal, 4),
        iowait: round(shares.iowait, 4),
        busiest_cpu: round(shares.busiest_cpu, 4),
        load1,
        runnable,
        cpu_pressure,
        command_cpu: round(command_cpu, 4),
        others_cpu: round((shares.busy * f64::from(cpus) - command_cpu).max(0.0), 4),
        command_wait,
        command_busiest_thread,
        processes: after.processes,
        allowed_cpus: context.allowed,
        rtt_ms: (!rtts.is_empty()).then(|| round(super::summary::median_of_sorted(rtts), 3)),
        rtt_max_ms: rtts.last().map(|v| round(*v, 3)),
        rtt_lost: context.lost,
    })
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// A TCP echo on 127.0.0.1 and one connection to it: a round trip needs the echo thread and the
/// recorder each woken and run once, so its time is the scheduler's delay on this machine.
struct Probe {
    address: SocketAddr,
    stream: Option<TcpStream>,
    sequence: u64,
    timeout: Duration,
}

impl Probe {
    fn start(timeout: Duration) -> Result<Probe> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .context("cannot open the loopback probe's echo socket on 127.0.0.1")?;
        let address = listener.local_addr()?;
        std::thread::Builder::new()
            .name("loopback-echo".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = std::thread::Builder::new().spawn(move || echo(stream));
                }
            })?;
        Ok(Probe {
            address,
            stream: None,
            sequence: 0,
            timeout,
        })
    }

    /// One round trip's time; `None` when no answer came within the timeout (the connection is
    /// then dropped, so a late answer cannot be taken for the next one's).
    fn round_trip(&mut self) -> Option<Duration> {
        let result = self.try_round_trip();
        if result.is_none() {
            self.stream = None;
        }
        result
    }

    fn try_round_trip(&mut self) -> Option<Duration> {
        if self.stream.is_none() {
            let stream = TcpStream::connect_timeout(&self.address, self.timeout).ok()?;
            stream.set_nodelay(true).ok()?;
            stream.set_read_timeout(Some(self.timeout)).ok()?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut()?;
        self.sequence += 1;
        let sent = Instant::now();
        stream.write_all(&self.sequence.to_le_bytes()).ok()?;
        let mut answer = [0u8; 8];
        stream.read_exact(&mut answer).ok()?;
        (u64::from_le_bytes(answer) == self.sequence).then(|| sent.elapsed())
    }
}

fn echo(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buffer = [0u8; 64];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buffer[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Signals meant for the command. A terminal's Ctrl-C (and Ctrl-\) reaches the whole foreground
/// process group, the command included, so those are not passed on again (a second Ctrl-C makes
/// Locust stop at once); the same signals sent to the recorder alone (`kill`, a CI runner
/// cancelling the job) are.
mod signals {
    use std::sync::atomic::{AtomicU64, Ordering};

    static PENDING: AtomicU64 = AtomicU64::new(0);
    const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

    extern "C" fn on_signal(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        _context: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO; only an atomic is touched.
        let from_terminal = !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL;
        if !from_terminal && (0..64).contains(&signal) {
            PENDING.fetch_or(1 << signal, Ordering::SeqCst);
        }
    }

    pub fn install() {
        for signal in FORWARDED {
            // SAFETY: a zeroed sigaction with our handler and an empty mask is a valid argument;
            // the handler is async-signal-safe (one atomic operation).
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }

    /// Sends the command every signal received for it since the last call.
    pub fn forward(pid: u32) {
        let pending = PENDING.swap(0, Ordering::SeqCst);
        for signal in FORWARDED {
            if pending & (1 << signal) != 0 {
                // SAFETY: kill only sends a signal; the child is unreaped, so the pid is still ours.
                unsafe {
                    libc::kill(pid as libc::pid_t, signal);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Threads = [(ThreadKey, (u64, u64))];

    /// A reading at `at` of a 2-CPU machine with `idle` idle ticks and the tree's `threads`.
    fn reading(at: Instant, idle: u64, threads: &Threads) -> Reading {
        let half = idle / 2;
        let stat = super::super::proc::parse_stat(&format!(
            "cpu  100 0 100 {idle} 0 0 0 0 0 0\ncpu0 50 0 50 {half} 0 0 0 0 0 0\ncpu1 50 0 50 {half} 0 0 0 0 0 0\n"
        ));
        Reading {
            at,
            stat,
            tree_ticks: 0,
            threads: Some(threads.iter().copied().collect()),
            processes: 1,
            pressure_us: None,
            load: None,
        }
    }

    fn one_second(before: &Threads, after: &Threads) -> RunnerSample {
        let t0 = Instant::now();
        let mut rtts = Vec::new();
        let context = SampleContext {
            t: 1.0,
            ticks_per_s: 100.0,
            allowed: 2,
            rtts: &mut rtts,
            lost: 0,
        };
        sample(
            &reading(t0, 1000, before),
            &reading(t0 + Duration::from_secs(1), 1100, after),
            context,
        )
        .expect("a second passed")
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn every_threads_wait_counts_and_the_busiest_thread_is_one_threads_runnable_share() {
        // The main thread ran 400 ms and waited 100; a worker ran 600 and waited 300 (a Go or
        // Java generator's work is on such threads); a thread born in the second waited 20.
        let s = one_second(
            &[((7, 1, 7), (100 * MS, 50 * MS)), ((7, 1, 8), (0, 0))],
            &[
                ((7, 1, 7), (500 * MS, 150 * MS)),
                ((7, 1, 8), (600 * MS, 300 * MS)),
                ((7, 1, 9), (10 * MS, 20 * MS)),
            ],
        );
        assert_eq!(s.command_wait, Some(0.42));
        assert_eq!(s.command_busiest_thread, Some(0.9));
        // A thread's counters a little ahead of the interval's clock: at most the whole second.
        let s = one_second(&[((7, 1, 7), (0, 0))], &[((7, 1, 7), (800 * MS, 400 * MS))]);
        assert_eq!(s.command_busiest_thread, Some(1.0));
    }
}
