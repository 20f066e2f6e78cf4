//! The ramp: users started one by one at the spawn rate (closed model), or every connection at once
//! on its own schedule (open model). It runs as a task of its own beside the collector, so a slow
//! ramp never delays the per-second rows, and every user it starts registers its buffers first.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::client::Connection;
use super::exchange::{Lane, RefusedStatus, Shared};
use super::outcome::PairRecorder;
use super::pacing::{closed_user, open_worker, Schedule};
use super::stats::Recorder;

/// Every user's buffer for one target, as the collector finds them.
pub(super) type Recorders = Arc<Mutex<Vec<Recorder>>>;

/// Every user's buffer of pairs (A/B).
pub(super) type PairRecorders = Arc<Mutex<Vec<PairRecorder>>>;

/// The load's shape as the ramp reads it: the first plan's.
pub(super) struct Ramp {
    pub(super) users: u32,
    pub(super) spawn_rate: f64,
    pub(super) rate: Option<f64>,
    pub(super) seed: u64,
    pub(super) t0: tokio::time::Instant,
    pub(super) end: tokio::time::Instant,
}

/// Starts the ramp over `targets` (one, or two for A/B); it counts each user started in `spawned`
/// and stops early when `stop` turns true. Its result is every user's task.
pub(super) fn start(
    ramp: Ramp,
    targets: Vec<(Arc<Shared>, Recorders)>,
    pair_recorders: PairRecorders,
    spawned: Arc<AtomicU64>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<Vec<JoinHandle<()>>> {
    let paired = targets.len() == 2;
    tokio::spawn(async move {
        let mut handles = Vec::new();
        for k in 0..ramp.users {
            let lanes = lanes_for(&targets);
            let pairs = paired.then(|| {
                let pairs: PairRecorder = Arc::new(Mutex::new(Vec::new()));
                pair_recorders
                    .lock()
                    .expect("not poisoned")
                    .push(pairs.clone());
                pairs
            });
            let seed = ramp.seed.wrapping_mul(1_000_003).wrapping_add(u64::from(k));
            let handle = match ramp.rate {
                Some(rate) => {
                    let schedule = Schedule {
                        k,
                        n: ramp.users,
                        rate,
                        t0: ramp.t0,
                        end: ramp.end,
                    };
                    tokio::spawn(open_worker(lanes, pairs, seed, schedule))
                }
                None => {
                    let due = ramp.t0 + Duration::from_secs_f64(f64::from(k) / ramp.spawn_rate);
                    if !wait_until(due, ramp.end, &stop).await {
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
}

/// One user's lanes, one per target, each with a fresh connection and a sample buffer registered
/// where the collector finds it.
fn lanes_for(targets: &[(Arc<Shared>, Recorders)]) -> Vec<Lane> {
    targets
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
        .collect()
}

/// Waits for a closed-model user's start at `due`: false when that is past the run's `end` or the
/// run stops first. A slow ramp must not hold up a Ctrl-C: wait for the next user or the stop.
async fn wait_until(
    due: tokio::time::Instant,
    end: tokio::time::Instant,
    stop: &watch::Receiver<bool>,
) -> bool {
    if due >= end {
        return false;
    }
    let mut stopping = stop.clone();
    tokio::select! {
        _ = tokio::time::sleep_until(due) => {}
        _ = stopping.changed() => return false,
    }
    !*stop.borrow()
}
