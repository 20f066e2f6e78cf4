//! `loadgate run`: a small, fast HTTP load generator whose CSVs are Locust 2.x's, so that the same
//! analyzer (and anything else that reads Locust CSVs) reads them.
//!
//! Closed model (users, as Locust): each user loops pick-a-task, send, wait. Open model (`--rate`):
//! each connection k sends at t0 + (k + j·N)/rate (wrk2's fixed schedule) and latency is measured
//! from that intended time, so a stalled server cannot hide behind a slowed-down client
//! (coordinated omission).
//!
//! Layout, by job: `plan` validates the flags into a [`Plan`] (`resolve` turns the URL into an
//! address); `drive` runs it: `ramp` starts the users, `pacing` says when each sends, `exchange`
//! sends one request and records it (`client` and `head` speak HTTP/1.1); `stats` collects the
//! samples, `csv_writer` and `json_writer` write Locust's files, `status` draws the terminal line
//! and the summary; `outcome` is what a run hands back. This module is the public face and the
//! flow; imports point down from `drive` to the leaves, and nothing imports this module back.
//! `scenario` reads scenario files; `target` is the demo's target server.

mod client;
pub mod csv_writer;
mod drive;
mod exchange;
mod head;
pub mod json_writer;
mod outcome;
mod pacing;
mod plan;
mod ramp;
mod resolve;
pub mod scenario;
mod stats;
mod status;
pub mod target;

use anyhow::{Context, Result};

pub use outcome::{AbOutcome, Measured, Pair, RunOutcome};
pub use plan::{Plan, RunOptions};

/// `loadgate run`.
pub fn run(options: &RunOptions) -> Result<()> {
    let plan = Plan::from_options(options)?;
    let outcome = run_plan(&plan)?;
    if !plan.quiet {
        status::print_summary(&plan, &outcome);
    }
    Ok(())
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
    runtime.block_on(drive::drive(plan))
}

/// Runs both plans' targets under one load (A/B): the load's shape (users, rate, scenario, seed,
/// run time) is `a`'s; each side writes its own plan's CSVs. Blocks until done.
pub fn run_ab(a: &Plan, b: &Plan) -> Result<AbOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (entries, _) = exchange::entries_of(&a.scenario);
    let (mut outcomes, pairs) = runtime.block_on(drive::drive_sides(&[a, b]))?;
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
