//! When each user sends. Closed model: a user loops pick-a-task, send, wait. Open model: connection
//! k of N sends at t0 + (k + j·N)/rate (wrk2's fixed schedule), timed from its slot when the target
//! held it up.

use std::time::{Duration, Instant};

use super::exchange::{turn, Lane};
use super::outcome::PairRecorder;

/// A closed-model user: pick a task, send it, wait, until the run aborts its task (users hold no
/// stop receiver: watching one in every turn cost more than the turn's timer).
pub(super) async fn closed_user(mut lanes: Vec<Lane>, pairs: Option<PairRecorder>, seed: u64) {
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
pub(super) struct Schedule {
    pub(super) k: u32,
    pub(super) n: u32,
    pub(super) rate: f64,
    pub(super) t0: tokio::time::Instant,
    pub(super) end: tokio::time::Instant,
}

/// An open-model connection: sends on its schedule until the run ends (or aborts its task).
pub(super) async fn open_worker(
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
}
