//! `loadgate run`: a small, fast HTTP load generator whose CSVs are Locust 2.x's, so that the same
//! analyzer (and anything else that reads Locust CSVs) reads them.
//!
//! Closed model (users, as Locust): each user loops pick-a-task, send, wait. Open model (`--rate`):
//! each connection k sends at t0 + (k + j·N)/rate (wrk2's fixed schedule) and latency is measured
//! from that intended time, so a stalled server cannot hide behind a slowed-down client
//! (coordinated omission).

mod client;
pub mod csv_writer;
mod head;
pub mod json_writer;
pub mod scenario;
mod stats;
pub mod target;

use std::io::{IsTerminal, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use tokio::sync::watch;

use crate::duration::parse_duration;
use client::{Connection, Outcome};
use scenario::{Scenario, Task};
use stats::{Entry, Recorder, Sample, Stats};

/// What the user asked for (`loadgate run`'s flags, or `demo`'s fixed choices), before validation.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The target's base URL; the scenario's `host` when `None`.
    pub host: Option<String>,
    pub users: Option<u32>,
    pub spawn_rate: Option<f64>,
    pub run_time: Option<String>,
    pub csv: Option<PathBuf>,
    pub csv_full_history: bool,
    /// Also write Locust's `--json-file` format to `NAME.json`.
    pub json_file: Option<PathBuf>,
    pub scenario: Option<PathBuf>,
    /// Open model: requests per second in total.
    pub rate: Option<f64>,
    pub timeout: String,
    pub seed: u64,
    pub quiet: bool,
    pub insecure: bool,
    /// `--header 'NAME: VALUE'`, put on every task's request.
    pub headers: Vec<String>,
}

/// Everything a run needs, validated.
pub struct Plan {
    pub addr: SocketAddr,
    authority: String,
    tls: Option<Arc<crate::tls::Tls>>,
    scenario: Scenario,
    base_path: String,
    pub users: u32,
    pub spawn_rate: f64,
    pub run_time: Duration,
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub csv: Option<PathBuf>,
    pub full_history: bool,
    pub json_file: Option<PathBuf>,
    pub seed: u64,
    pub quiet: bool,
}

/// What a finished run measured, for the summary and for `demo`.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub requests: u64,
    pub failures: u64,
    pub seconds: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub interrupted: bool,
}

impl RunOutcome {
    pub fn rps(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

impl Plan {
    pub fn from_options(args: &RunOptions) -> Result<Plan> {
        let scenario = match &args.scenario {
            Some(path) => Some(Scenario::load(path)?),
            None => None,
        };
        let host = args
            .host
            .clone()
            .or_else(|| scenario.as_ref().and_then(|s| s.host.clone()))
            .context("no target: give --host URL (or `host` in the scenario)")?;
        let (authority, base_path, secure) = split_url(&host)?;
        let addr = resolve(&authority)?;
        let tls = if secure {
            let host_name = authority
                .rsplit_once(':')
                .map_or(authority.as_str(), |(h, _)| h);
            Some(Arc::new(crate::tls::Tls::client(host_name, args.insecure)?))
        } else {
            None
        };
        let load = scenario
            .as_ref()
            .map(|s| s.load.clone())
            .unwrap_or_default();
        let users = args.users.or(load.users).unwrap_or(1);
        if users == 0 {
            bail!("--users must be at least 1");
        }
        let spawn_rate = args.spawn_rate.or(load.spawn_rate).unwrap_or(users as f64);
        if !(spawn_rate > 0.0 && spawn_rate.is_finite()) {
            bail!("--spawn-rate must be a positive number");
        }
        let run_time_text = args
            .run_time
            .clone()
            .or(load.run_time)
            .unwrap_or_else(|| "30s".to_string());
        let run_time = parse_duration(&run_time_text).context("--run-time")?;
        if run_time.is_zero() {
            bail!("--run-time must be longer than zero");
        }
        let timeout = parse_duration(&args.timeout).context("--timeout")?;
        if timeout.is_zero() {
            bail!("--timeout must be longer than zero");
        }
        if let Some(rate) = args.rate {
            if !(rate > 0.0 && rate.is_finite()) {
                bail!("--rate must be a positive number of requests per second");
            }
        }
        let mut scenario = scenario.unwrap_or_else(|| {
            Scenario::default_get(if base_path.is_empty() {
                "/"
            } else {
                &base_path
            })
        });
        for header in &args.headers {
            let (name, value) = scenario::parse_header_flag(header)?;
            scenario.set_header(name, value);
        }
        // A default GET already carries the base path; scenario paths are relative to it.
        let base_path = if args.scenario.is_some() {
            base_path
        } else {
            String::new()
        };
        Ok(Plan {
            addr,
            authority,
            tls,
            scenario,
            base_path,
            users,
            spawn_rate,
            run_time,
            rate: args.rate,
            timeout,
            csv: args.csv.clone(),
            full_history: args.csv_full_history,
            json_file: args.json_file.clone(),
            seed: args.seed,
            quiet: args.quiet,
        })
    }
}

/// `http://host:port/base` -> ("host:port", "/base", is https); other schemes are refused.
fn split_url(url: &str) -> Result<(String, String, bool)> {
    let (rest, secure) = match url.split_once("://") {
        Some(("http", rest)) => (rest, false),
        Some(("https", rest)) => (rest, true),
        Some((scheme, _)) => {
            bail!("{url}: unsupported scheme '{scheme}': only http:// and https:// targets can be loaded")
        }
        None => bail!("{url}: not a URL: expected http[s]://host[:port][/path]"),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        bail!("{url}: no host");
    }
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:{}", if secure { 443 } else { 80 })
    };
    Ok((authority, path.to_string(), secure))
}

fn resolve(authority: &str) -> Result<SocketAddr> {
    authority
        .to_socket_addrs()
        .with_context(|| format!("{authority}: cannot resolve the host"))?
        .next()
        .with_context(|| format!("{authority}: the host has no address"))
}

/// `loadgate run`.
pub fn run(options: &RunOptions) -> Result<()> {
    let plan = Plan::from_options(options)?;
    let outcome = run_plan(&plan)?;
    if !plan.quiet {
        print_summary(&plan, &outcome);
    }
    Ok(())
}

fn print_summary(plan: &Plan, o: &RunOutcome) {
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

/// Runs the plan on a multi-threaded runtime and writes the CSVs; blocks until done.
pub fn run_plan(plan: &Plan) -> Result<RunOutcome> {
    // On one core a single-threaded runtime spares the hand-offs between a worker and this thread.
    let one_core = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
    let runtime = if one_core {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()
    .context("cannot start the async runtime")?;
    runtime.block_on(drive(plan))
}

/// The shared, read-only part of every user.
struct Shared {
    scenario: Scenario,
    entry_of_task: Vec<usize>,
    /// Per task, its request's bytes if they never change (see `render_fixed_requests`).
    fixed_requests: Vec<Option<Vec<u8>>>,
    authority: String,
    base_path: String,
    addr: SocketAddr,
    tls: Option<Arc<crate::tls::Tls>>,
    timeout: Duration,
    /// Unix time (seconds) at `origin`.
    unix_origin: f64,
    origin: Instant,
}

impl Shared {
    fn unix_second(&self, at: Instant) -> i64 {
        (self.unix_origin + at.duration_since(self.origin).as_secs_f64()).floor() as i64
    }

    /// The bytes of each task's request that is the same every time (no placeholder in its
    /// path), written once for the run rather than once per request.
    fn render_fixed_requests(&self) -> Vec<Option<Vec<u8>>> {
        let mut unused = fastrand::Rng::with_seed(0);
        self.scenario
            .tasks
            .iter()
            .map(|task| {
                task.is_fixed().then(|| {
                    let mut out = Vec::new();
                    self.write_request(task, &mut unused, &mut out);
                    out
                })
            })
            .collect()
    }

    /// Writes `task`'s request as it goes on the wire: no request object between the scenario
    /// and the socket.
    fn write_request(&self, task: &Task, rng: &mut fastrand::Rng, out: &mut Vec<u8>) {
        let head = client::RequestHead {
            method: &task.method,
            authority: &self.authority,
            user_agent: concat!("loadgate/", env!("CARGO_PKG_VERSION")),
            headers: &task.headers,
            body: &task.body,
        };
        head.write(out, |out| {
            out.extend_from_slice(self.base_path.as_bytes());
            task.write_path(rng, out);
        });
    }

    /// Sends one request of `task` and records it, timed from `intended` (the open model's
    /// schedule) or from the send itself; returns what it recorded, for the A/B pairs.
    async fn exchange(
        &self,
        conn: &mut Connection,
        task_index: usize,
        rng: &mut fastrand::Rng,
        recorder: &Recorder,
        intended: Option<Instant>,
        refused: &mut RefusedStatus,
    ) -> Measured {
        let task = &self.scenario.tasks[task_index];
        let sent = Instant::now();
        let started = intended.unwrap_or(sent);
        let write = |out: &mut Vec<u8>| match &self.fixed_requests[task_index] {
            Some(fixed) => out.extend_from_slice(fixed),
            None => self.write_request(task, rng, out),
        };
        let outcome = conn.send(write, sent, self.timeout).await;
        let done = Instant::now();
        let (bytes, failure) = match outcome {
            Outcome::Response { status, bytes } => {
                let failure = (!task.expect.accepts(status.as_u16()))
                    .then(|| refused.message(task_index, status, &task.name));
                (bytes, failure)
            }
            Outcome::Error(message) => (0, Some(message)),
        };
        let measured = Measured {
            micros: done.duration_since(started).as_micros() as u64,
            failed: failure.is_some(),
        };
        let sample = Sample {
            entry: self.entry_of_task[task_index],
            second: self.unix_second(done),
            micros: measured.micros,
            bytes,
            failure,
        };
        recorder
            .lock()
            .expect("the collector never panics while holding a buffer")
            .push(sample);
        measured
    }
}

/// One request as the A/B pairs keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub micros: u64,
    pub failed: bool,
}

/// One task sent to both targets of an A/B run, in the order `b_first` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Index into the run's entries (the scenario's distinct method and name).
    pub entry: usize,
    pub a: Measured,
    pub b: Measured,
    pub b_first: bool,
}

/// A user's buffer of pairs, read once when the run ends.
type PairRecorder = Arc<Mutex<Vec<Pair>>>;

/// The failure message of the status a lane's task last refused: a failing endpoint fails the same
/// way request after request, and the message is then copied rather than formatted again.
#[derive(Default)]
struct RefusedStatus(Option<(usize, hyper::StatusCode, String)>);

impl RefusedStatus {
    fn message(&mut self, task: usize, status: hyper::StatusCode, name: &str) -> String {
        match &self.0 {
            Some((t, s, message)) if *t == task && *s == status => message.clone(),
            _ => {
                let message = client::status_failure(status, name);
                self.0 = Some((task, status, message.clone()));
                message
            }
        }
    }
}

/// A user's way to one target: the target, the user's connection to it, and its sample buffer.
struct Lane {
    shared: Arc<Shared>,
    conn: Connection,
    recorder: Recorder,
    refused: RefusedStatus,
}

impl Lane {
    async fn exchange(
        &mut self,
        task: usize,
        rng: &mut fastrand::Rng,
        intended: Option<Instant>,
    ) -> Measured {
        self.shared
            .exchange(
                &mut self.conn,
                task,
                rng,
                &self.recorder,
                intended,
                &mut self.refused,
            )
            .await
    }
}

/// One turn of a user at `task`: a single request, or (A/B) the same request to both targets in a
/// seeded random order, so neither side is systematically first, warmer or later. Placeholders
/// render the same on both sides. Under the open model the pair shares the schedule's lateness:
/// each request is timed from its own send plus how late the pair started.
async fn turn(
    lanes: &mut [Lane],
    task: usize,
    rng: &mut fastrand::Rng,
    intended: Option<Instant>,
    pairs: Option<&PairRecorder>,
) {
    let (a, b) = match lanes {
        [only] => {
            only.exchange(task, rng, intended).await;
            return;
        }
        [a, b] => (a, b),
        _ => unreachable!("a run has one target, an A/B run two"),
    };
    let paths = rng.fork();
    let b_first = rng.bool();
    let sent = Instant::now();
    let lateness = intended.map_or(Duration::ZERO, |i| sent.saturating_duration_since(i));
    let since = |at: Instant| at.checked_sub(lateness).unwrap_or(at);
    let (first, second) = if b_first { (b, a) } else { (a, b) };
    let one = first
        .exchange(task, &mut paths.clone(), Some(since(sent)))
        .await;
    let two = second
        .exchange(task, &mut paths.clone(), Some(since(Instant::now())))
        .await;
    let (a, b) = if b_first { (two, one) } else { (one, two) };
    if let Some(pairs) = pairs {
        pairs.lock().expect("not poisoned").push(Pair {
            entry: first.shared.entry_of_task[task],
            a,
            b,
            b_first,
        });
    }
}

fn entries_of(scenario: &Scenario) -> (Vec<Entry>, Vec<usize>) {
    let mut entries: Vec<Entry> = Vec::new();
    let mut of_task = Vec::new();
    for task in &scenario.tasks {
        let method = task.method.as_str();
        let index = match entries
            .iter()
            .position(|e| e.method == method && e.name == task.name)
        {
            Some(i) => i,
            None => {
                entries.push(Entry::new(method, &task.name));
                entries.len() - 1
            }
        };
        of_task.push(index);
    }
    (entries, of_task)
}

/// A closed-model user: pick a task, send it, wait, until the run aborts its task (users hold no
/// stop receiver: watching one in every turn cost more than the turn's timer).
async fn closed_user(mut lanes: Vec<Lane>, pairs: Option<PairRecorder>, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let shared = lanes[0].shared.clone();
    loop {
        let task = shared.scenario.pick(&mut rng);
        turn(&mut lanes, task, &mut rng, None, pairs.as_ref()).await;
        if let Some(wait) = shared.scenario.wait.next(&mut rng) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The open model's fixed schedule for connection `k` of `n`: it sends at t0 + (k + j·n)/rate.
#[derive(Clone, Copy)]
struct Schedule {
    k: u32,
    n: u32,
    rate: f64,
    t0: tokio::time::Instant,
    end: tokio::time::Instant,
}

/// An open-model connection: sends on its schedule until the run ends (or aborts its task).
async fn open_worker(
    mut lanes: Vec<Lane>,
    pairs: Option<PairRecorder>,
    seed: u64,
    schedule: Schedule,
) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let shared = lanes[0].shared.clone();
    let mut free_since = None;
    for j in 0u64.. {
        let slot = f64::from(schedule.k) + j as f64 * f64::from(schedule.n);
        let intended = schedule.t0 + Duration::from_secs_f64(slot / schedule.rate);
        if intended >= schedule.end {
            return;
        }
        // Behind its schedule (the target was slow), a connection sends at once: no timer entry.
        if intended > tokio::time::Instant::now() {
            tokio::time::sleep_until(intended).await;
        }
        let task = shared.scenario.pick(&mut rng);
        let start = timed_from(intended.into_std(), free_since, Instant::now());
        turn(&mut lanes, task, &mut rng, Some(start), pairs.as_ref()).await;
        free_since = Some(Instant::now());
    }
}

/// Where an open-model request's latency starts. A connection still waiting on an earlier response
/// at its slot was held up by the target: that wait is the target's, so the request is timed from
/// its slot (no coordinated omission). A connection free at its slot was held up only by the
/// generator's own timer, which wakes up to ~2 ms late (tokio's wheel has 1 ms ticks): that is not
/// the target's, so the request is timed from its actual send.
fn timed_from(intended: Instant, free_since: Option<Instant>, now: Instant) -> Instant {
    match free_since {
        Some(free) if free > intended => intended,
        _ => now,
    }
}

/// Every user's buffer for one target, as the collector finds them.
type Recorders = Arc<Mutex<Vec<Recorder>>>;

/// One target of a run, with what the run records about it.
struct Side {
    shared: Arc<Shared>,
    stats: Stats,
    history: Option<csv_writer::HistoryWriter>,
    csv: Option<PathBuf>,
    json_file: Option<PathBuf>,
    recorders: Recorders,
}

impl Side {
    fn collect(&mut self) {
        let snapshot: Vec<Recorder> = self.recorders.lock().expect("not poisoned").clone();
        self.stats.collect(&snapshot);
    }

    fn outcome(&self, seconds: f64, interrupted: bool) -> RunOutcome {
        let total = &self.stats.total;
        RunOutcome {
            requests: total.requests,
            failures: total.failures,
            seconds,
            p50_ms: total.percentile_ms(0.5),
            p95_ms: total.percentile_ms(0.95),
            p99_ms: total.percentile_ms(0.99),
            interrupted,
        }
    }
}

/// What an A/B run measured: each side as a run, and every complete pair.
pub struct AbOutcome {
    pub a: RunOutcome,
    pub b: RunOutcome,
    pub pairs: Vec<Pair>,
    /// (method, name) of each entry index the pairs refer to.
    pub entries: Vec<(String, String)>,
}

/// Runs both plans' targets under one load (A/B): the load's shape (users, rate, scenario, seed,
/// run time) is `a`'s; each side writes its own plan's CSVs. Blocks until done.
pub fn run_ab(a: &Plan, b: &Plan) -> Result<AbOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (entries, _) = entries_of(&a.scenario);
    let (mut outcomes, pairs) = runtime.block_on(drive_sides(&[a, b]))?;
    let b_outcome = outcomes.pop().expect("two sides");
    let a_outcome = outcomes.pop().expect("two sides");
    Ok(AbOutcome {
        a: a_outcome,
        b: b_outcome,
        pairs,
        entries: entries
            .into_iter()
            .map(|e| (e.method.clone(), e.name.clone()))
            .collect(),
    })
}

async fn drive(plan: &Plan) -> Result<RunOutcome> {
    let (mut outcomes, _) = drive_sides(&[plan]).await?;
    Ok(outcomes.remove(0))
}

/// Drives one target (`run`) or two under the same users (`ab`); the first plan sets the load.
async fn drive_sides(plans: &[&Plan]) -> Result<(Vec<RunOutcome>, Vec<Pair>)> {
    let plan = plans[0];
    let origin = Instant::now();
    let unix_origin = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut sides = Vec::new();
    for p in plans {
        let (entries, entry_of_task) = entries_of(&p.scenario);
        let mut shared = Shared {
            scenario: p.scenario.clone(),
            entry_of_task,
            fixed_requests: Vec::new(),
            authority: p.authority.clone(),
            base_path: p.base_path.clone(),
            addr: p.addr,
            tls: p.tls.clone(),
            timeout: p.timeout,
            unix_origin,
            origin,
        };
        shared.fixed_requests = shared.render_fixed_requests();
        let shared = Arc::new(shared);
        let history = match &p.csv {
            Some(prefix) => Some(csv_writer::HistoryWriter::create(prefix, p.full_history)?),
            None => None,
        };
        sides.push(Side {
            shared,
            stats: Stats::new(entries),
            history,
            csv: p.csv.clone(),
            json_file: p.json_file.clone(),
            recorders: Arc::new(Mutex::new(Vec::new())),
        });
    }
    let paired = sides.len() == 2;
    let pair_recorders: Arc<Mutex<Vec<PairRecorder>>> = Arc::new(Mutex::new(Vec::new()));
    let start_second = unix_origin.floor() as i64;
    let (stop_tx, stop_rx) = watch::channel(false);
    let spawned = Arc::new(AtomicU64::new(0));
    let t0 = tokio::time::Instant::from_std(origin);
    let end = t0 + plan.run_time;

    // Spawning runs beside the collector so a slow ramp never delays the per-second rows.
    let spawner = {
        let targets: Vec<(Arc<Shared>, Recorders)> = sides
            .iter()
            .map(|s| (s.shared.clone(), s.recorders.clone()))
            .collect();
        let (spawned, pair_recorders, stop) =
            (spawned.clone(), pair_recorders.clone(), stop_rx.clone());
        let (users, spawn_rate, rate, seed) = (plan.users, plan.spawn_rate, plan.rate, plan.seed);
        tokio::spawn(async move {
            let mut handles = Vec::new();
            for k in 0..users {
                let lanes: Vec<Lane> = targets
                    .iter()
                    .map(|(shared, recorders)| {
                        let recorder: Recorder = Arc::new(Mutex::new(Vec::with_capacity(16)));
                        recorders
                            .lock()
                            .expect("not poisoned")
                            .push(recorder.clone());
                        Lane {
                            shared: shared.clone(),
                            conn: Connection::new(shared.addr, shared.tls.clone()),
                            recorder,
                            refused: RefusedStatus::default(),
                        }
                    })
                    .collect();
                let pairs = paired.then(|| {
                    let pairs: PairRecorder = Arc::new(Mutex::new(Vec::new()));
                    pair_recorders
                        .lock()
                        .expect("not poisoned")
                        .push(pairs.clone());
                    pairs
                });
                let seed = seed.wrapping_mul(1_000_003).wrapping_add(u64::from(k));
                let handle = match rate {
                    Some(rate) => {
                        let schedule = Schedule {
                            k,
                            n: users,
                            rate,
                            t0,
                            end,
                        };
                        tokio::spawn(open_worker(lanes, pairs, seed, schedule))
                    }
                    None => {
                        let due = t0 + Duration::from_secs_f64(f64::from(k) / spawn_rate);
                        if due >= end {
                            break;
                        }
                        // A slow ramp must not hold up a Ctrl-C: wait for the next user or the stop.
                        let mut stopping = stop.clone();
                        tokio::select! {
                            _ = tokio::time::sleep_until(due) => {}
                            _ = stopping.changed() => break,
                        }
                        if *stop.borrow() {
                            break;
                        }
                        tokio::spawn(closed_user(lanes, pairs, seed))
                    }
                };
                spawned.fetch_add(1, Ordering::Relaxed);
                handles.push(handle);
            }
            handles
        })
    };

    // Locust's history opens with a row at the start: no users yet, N/A percentiles, zero totals.
    for side in &mut sides {
        if let Some(h) = side.history.as_mut() {
            h.append(&side.stats, start_second, 0, start_second)?;
        }
    }
    let status = !plan.quiet && std::io::stderr().is_terminal();
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut tick = 1u64;
    loop {
        let next = (t0 + Duration::from_secs(tick)).min(end);
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = &mut ctrl_c => { interrupted = true; }
        }
        let now_second = sides[0].shared.unix_second(Instant::now());
        let users = spawned.load(Ordering::Relaxed);
        for side in &mut sides {
            side.collect();
            if let Some(h) = side.history.as_mut() {
                h.append(&side.stats, now_second, users, start_second)?;
            }
        }
        if status {
            print_status(
                &sides,
                origin.elapsed(),
                users,
                plan.users,
                now_second,
                start_second,
            );
        }
        if interrupted || tokio::time::Instant::now() >= end {
            break;
        }
        tick += 1;
    }
    let seconds = origin.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let handles = spawner.await.unwrap_or_default();
    // Users stop at once: a request in flight is dropped unrecorded, as the run has ended.
    for handle in &handles {
        handle.abort();
    }
    for handle in handles {
        if tokio::time::timeout(Duration::from_millis(200), handle)
            .await
            .is_err()
        {
            // dropped: the task is detached and ends with the runtime
        }
    }
    let end_unix = unix_origin + seconds;
    if status {
        eprint!("\r\x1b[2K");
    }
    let mut outcomes = Vec::new();
    for side in &mut sides {
        side.collect();
        if let Some(prefix) = &side.csv {
            csv_writer::write_stats(prefix, &side.stats, unix_origin, end_unix)?;
            csv_writer::write_failures(prefix, &side.stats)?;
            csv_writer::write_exceptions(prefix)?;
            if let Some(h) = side.history.take() {
                h.finish()?;
            }
        }
        if let Some(name) = &side.json_file {
            json_writer::write(name, &side.stats, unix_origin, end_unix)?;
        }
        outcomes.push(side.outcome(seconds, interrupted));
    }
    let pairs = pair_recorders
        .lock()
        .expect("not poisoned")
        .iter()
        .flat_map(|p| std::mem::take(&mut *p.lock().expect("not poisoned")))
        .collect();
    Ok((outcomes, pairs))
}

fn print_status(
    sides: &[Side],
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
    for (side, label) in sides.iter().zip(labels) {
        let total = &side.stats.total;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_model_requests_are_timed_from_their_slot_only_when_the_target_held_them() {
        let slot = Instant::now();
        let ms = Duration::from_millis;
        let woke_late = slot + ms(2);
        // The connection's first request, and one free well before its slot: the timer's lateness
        // is the generator's, so the request is timed from its send.
        assert_eq!(timed_from(slot, None, woke_late), woke_late);
        assert_eq!(timed_from(slot, Some(slot - ms(5)), woke_late), woke_late);
        // Free exactly at the slot: not held up by the target.
        assert_eq!(timed_from(slot, Some(slot), woke_late), woke_late);
        // Still busy with an earlier response at the slot, by 1 µs or by a 300 ms stall: timed
        // from the slot, so the stall shows in every request it delayed.
        let busy = |late: Duration| timed_from(slot, Some(slot + late), slot + late);
        assert_eq!(busy(Duration::from_micros(1)), slot);
        assert_eq!(busy(ms(300)), slot);
    }

    #[test]
    fn a_refused_status_is_worded_as_formatted_for_its_task_and_status() {
        let mut refused = RefusedStatus::default();
        let cases = [
            (0, hyper::StatusCode::NOT_FOUND, "/a"),
            (0, hyper::StatusCode::NOT_FOUND, "/a"),
            (1, hyper::StatusCode::NOT_FOUND, "/b"),
            (1, hyper::StatusCode::SERVICE_UNAVAILABLE, "/b"),
            (0, hyper::StatusCode::NOT_FOUND, "/a"),
        ];
        for (task, status, name) in cases {
            assert_eq!(
                refused.message(task, status, name),
                client::status_failure(status, name)
            );
        }
    }

    /// A request written once for the run is byte for byte the one written per request; a path
    /// with a placeholder is still written per request.
    #[test]
    fn fixed_requests_are_the_requests_and_placeholders_stay_per_request() {
        let scenario = Scenario::parse(
            "[[task]]\npath = \"/a\"\n[[task]]\npath = \"/items/{rand:1..1000}\"\n\
             [[task]]\nmethod = \"post\"\npath = \"/login\"\njson = { u = 1 }\n",
            "t.toml",
        )
        .unwrap();
        let mut shared = Shared {
            scenario,
            entry_of_task: vec![0, 1, 2],
            fixed_requests: Vec::new(),
            authority: "127.0.0.1:80".into(),
            base_path: "/base".into(),
            addr: "127.0.0.1:80".parse().unwrap(),
            tls: None,
            timeout: Duration::from_secs(1),
            unix_origin: 0.0,
            origin: Instant::now(),
        };
        shared.fixed_requests = shared.render_fixed_requests();
        let mut rng = fastrand::Rng::with_seed(7);
        for (i, task) in shared.scenario.tasks.iter().enumerate() {
            let mut fresh = Vec::new();
            shared.write_request(task, &mut rng, &mut fresh);
            match (&shared.fixed_requests[i], i) {
                (Some(fixed), 0 | 2) => assert_eq!(fixed, &fresh),
                (None, 1) => assert!(fresh.starts_with(b"GET /base/items/")),
                (other, _) => panic!("task {i}: {other:?}"),
            }
        }
        assert!(
            String::from_utf8_lossy(shared.fixed_requests[2].as_ref().unwrap())
                .ends_with("content-length: 7\r\n\r\n{\"u\":1}")
        );
    }

    #[test]
    fn urls_split_into_authority_and_base_path() {
        let split = |url: &str| split_url(url).unwrap();
        assert_eq!(
            split("http://127.0.0.1:8080"),
            ("127.0.0.1:8080".into(), "".into(), false)
        );
        assert_eq!(
            split("http://localhost/api/"),
            ("localhost:80".into(), "/api".into(), false)
        );
        assert_eq!(
            split("https://example.org"),
            ("example.org:443".into(), "".into(), true)
        );
        let err = split_url("ftp://x").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme"), "{err}");
        assert!(split_url("127.0.0.1:80").is_err());
    }
}
