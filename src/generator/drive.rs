//! One run from start to end, for one target (`run`) or two under the same users (`ab`): each
//! target's side opened (its statistics, its history file), the ramp started, every buffer drained
//! once a second into a history row and the status line, the users stopped at the end or on
//! Ctrl-C, and each side's CSVs and JSON written.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::exchange::{entries_of, Shared};
use super::outcome::{Pair, RunOutcome};
use super::plan::Plan;
use super::ramp::{self, PairRecorders, Ramp, Recorders};
use super::stats::{Recorder, Stats};
use super::status::print_status;
use super::{csv_writer, json_writer};

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
    /// `plan`'s target, its fixed requests written and its history file created.
    fn open(plan: &Plan, origin: Instant, unix_origin: f64) -> Result<Side> {
        let (entries, entry_of_task) = entries_of(&plan.scenario);
        let mut shared = Shared {
            scenario: plan.scenario.clone(),
            entry_of_task,
            fixed_requests: Vec::new(),
            authority: plan.authority.clone(),
            base_path: plan.base_path.clone(),
            addr: plan.addr,
            tls: plan.tls.clone(),
            timeout: plan.timeout,
            unix_origin,
            origin,
        };
        shared.fixed_requests = shared.render_fixed_requests();
        let history = match &plan.csv {
            Some(prefix) => Some(csv_writer::HistoryWriter::create(
                prefix,
                plan.full_history,
            )?),
            None => None,
        };
        Ok(Side {
            shared: Arc::new(shared),
            stats: Stats::new(entries),
            history,
            csv: plan.csv.clone(),
            json_file: plan.json_file.clone(),
            recorders: Arc::new(Mutex::new(Vec::new())),
        })
    }

    fn collect(&mut self) {
        let snapshot: Vec<Recorder> = self.recorders.lock().expect("not poisoned").clone();
        self.stats.collect(&snapshot);
    }

    /// The last samples collected, the CSVs and JSON written; what the side measured.
    fn finish(
        &mut self,
        unix_origin: f64,
        end_unix: f64,
        seconds: f64,
        interrupted: bool,
    ) -> Result<RunOutcome> {
        self.collect();
        if let Some(prefix) = &self.csv {
            csv_writer::write_stats(prefix, &self.stats, unix_origin, end_unix)?;
            csv_writer::write_failures(prefix, &self.stats)?;
            csv_writer::write_exceptions(prefix)?;
            if let Some(h) = self.history.take() {
                h.finish()?;
            }
        }
        if let Some(name) = &self.json_file {
            json_writer::write(name, &self.stats, unix_origin, end_unix)?;
        }
        Ok(self.outcome(seconds, interrupted))
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

/// The run's clock: its start (as `std`'s and tokio's instants, and as a Unix second) and its end.
struct Clock {
    origin: Instant,
    t0: tokio::time::Instant,
    end: tokio::time::Instant,
    start_second: i64,
}

pub(super) async fn drive(plan: &Plan) -> Result<RunOutcome> {
    let (mut outcomes, _) = drive_sides(&[plan]).await?;
    Ok(outcomes.remove(0))
}

/// Drives one target (`run`) or two under the same users (`ab`); the first plan sets the load.
pub(super) async fn drive_sides(plans: &[&Plan]) -> Result<(Vec<RunOutcome>, Vec<Pair>)> {
    let plan = plans[0];
    let origin = Instant::now();
    let unix_origin = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut sides = Vec::new();
    for p in plans {
        sides.push(Side::open(p, origin, unix_origin)?);
    }
    let pair_recorders: PairRecorders = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let spawned = Arc::new(AtomicU64::new(0));
    let t0 = tokio::time::Instant::from_std(origin);
    let clock = Clock {
        origin,
        t0,
        end: t0 + plan.run_time,
        start_second: unix_origin.floor() as i64,
    };
    let ramp = Ramp {
        users: plan.users,
        spawn_rate: plan.spawn_rate,
        rate: plan.rate,
        seed: plan.seed,
        t0,
        end: clock.end,
    };
    let targets = sides
        .iter()
        .map(|s| (s.shared.clone(), s.recorders.clone()))
        .collect();
    let spawner = ramp::start(
        ramp,
        targets,
        pair_recorders.clone(),
        spawned.clone(),
        stop_rx,
    );

    // Locust's history opens with a row at the start: no users yet, N/A percentiles, zero totals.
    for side in &mut sides {
        if let Some(h) = side.history.as_mut() {
            h.append(&side.stats, clock.start_second, 0, clock.start_second)?;
        }
    }
    let status = !plan.quiet && std::io::stderr().is_terminal();
    let interrupted = collect_each_second(&mut sides, &clock, &spawned, plan.users, status).await?;
    let seconds = origin.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    stop_users(spawner).await;
    let end_unix = unix_origin + seconds;
    if status {
        eprint!("\r\x1b[2K");
    }
    let mut outcomes = Vec::new();
    for side in &mut sides {
        outcomes.push(side.finish(unix_origin, end_unix, seconds, interrupted)?);
    }
    let pairs = pair_recorders
        .lock()
        .expect("not poisoned")
        .iter()
        .flat_map(|p| std::mem::take(&mut *p.lock().expect("not poisoned")))
        .collect();
    Ok((outcomes, pairs))
}

/// Once a second until the end or a Ctrl-C: every side's buffers drained into its statistics and
/// its history row, and the status line redrawn. True when a Ctrl-C ended the run.
async fn collect_each_second(
    sides: &mut [Side],
    clock: &Clock,
    spawned: &AtomicU64,
    target_users: u32,
    status: bool,
) -> Result<bool> {
    let mut interrupted = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut tick = 1u64;
    loop {
        let next = (clock.t0 + Duration::from_secs(tick)).min(clock.end);
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = &mut ctrl_c => { interrupted = true; }
        }
        let now_second = sides[0].shared.unix_second(Instant::now());
        let users = spawned.load(Ordering::Relaxed);
        for side in sides.iter_mut() {
            side.collect();
            if let Some(h) = side.history.as_mut() {
                h.append(&side.stats, now_second, users, clock.start_second)?;
            }
        }
        if status {
            let stats: Vec<&Stats> = sides.iter().map(|s| &s.stats).collect();
            print_status(
                &stats,
                clock.origin.elapsed(),
                users,
                target_users,
                now_second,
                clock.start_second,
            );
        }
        if interrupted || tokio::time::Instant::now() >= clock.end {
            return Ok(interrupted);
        }
        tick += 1;
    }
}

/// Users stop at once: a request in flight is dropped unrecorded, as the run has ended.
async fn stop_users(spawner: JoinHandle<Vec<JoinHandle<()>>>) {
    let handles = spawner.await.unwrap_or_default();
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
}
