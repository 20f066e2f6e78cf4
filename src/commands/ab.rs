//! `loadgate ab --a URL --b URL`: main's build (A) and the candidate (B) under the same load at
//! the same time, request by request. The generator sends every task to both targets as a pair;
//! each side's Locust CSVs are written and read back like any run; B is graded against the
//! profile as `check` grades a run, and the pairs decide the paired comparison (`analysis::paired`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::analysis::paired::{compare_pairs, PairSample};
use crate::analysis::{judge, Judgement};
use crate::commands::server::judge_server;
use crate::generator::{self, AbOutcome, RunOptions};
use crate::ingest::load_run;
use crate::model::{EndpointKey, Scope, Status};
use crate::profile::Profile;
use crate::report::{self, Outputs};
use crate::server::source::SourcePlan;

/// What `ab` was asked to do. `load` holds the generator's flags; its `host` and `csv` are unused
/// (the two URLs and the prefix below take their place).
#[derive(Debug, Clone)]
pub struct AbPlan {
    pub a: String,
    pub b: String,
    pub load: RunOptions,
    /// PREFIX: the sides are written to PREFIX_a_*.csv and PREFIX_b_*.csv; `None`: a temporary
    /// directory, removed afterwards.
    pub csv: Option<PathBuf>,
    /// `--profile`; `None`: the project config's, else `default`.
    pub profile: Option<String>,
    pub outputs: Outputs,
    /// Where the server's metrics for B's window are read (`--prometheus`).
    pub server: SourcePlan,
}

pub fn run(plan: &AbPlan) -> Result<Status> {
    // The flags over the project config, as for `check`. Before the load runs: a plan that
    // cannot be written, or a profile that cannot be read, must not cost a run.
    let (settings, outputs) = super::settings_for(plan.profile.clone(), &plan.outputs)?;
    let profile = settings.profile()?;
    let mut judgement = build(plan, profile)?;
    super::note_config(&mut judgement, settings.note.as_ref());
    report::emit(&judgement, &outputs)
}

/// Runs the load, reads both sides back and judges B; nothing is reported before all of it worked.
pub fn build(plan: &AbPlan, (profile, source): (Profile, String)) -> Result<Judgement> {
    let scratch = match plan.csv {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("cannot create a temporary directory")?),
    };
    let prefix = match (&plan.csv, &scratch) {
        (Some(prefix), _) => prefix.clone(),
        (None, Some(dir)) => dir.path().join("ab"),
        (None, None) => unreachable!("a scratch directory exists without --csv"),
    };
    let (prefix_a, prefix_b) = (side_prefix(&prefix, "a"), side_prefix(&prefix, "b"));
    let side = |url: &str, csv: &Path| RunOptions {
        host: Some(url.to_string()),
        csv: Some(csv.to_path_buf()),
        ..plan.load.clone()
    };
    let a = generator::Plan::from_options(&side(&plan.a, &prefix_a)).context("--a")?;
    let b = generator::Plan::from_options(&side(&plan.b, &prefix_b)).context("--b")?;
    let outcome = generator::run_ab(&a, &b)?;
    if !plan.load.quiet {
        let text = summary(&outcome, plan.csv.as_deref());
        eprintln!("{}", crate::report::untrusted::terminal_text(&text, false));
    }
    if outcome.a.interrupted {
        bail!("interrupted: the A/B run is incomplete, so it judges nothing");
    }
    if outcome.pairs.is_empty() {
        bail!("no request pair completed in the run time: nothing to compare");
    }
    let run_b = load_run(&prefix_b)?;
    // A is read back too: its files must be as readable as B's for `check` and `compare` later.
    let run_a = load_run(&prefix_a)?;
    let judged_b = judge_server(
        vec![judge(run_b, &profile, None)],
        &plan.server,
        &profile,
        &source,
    )?;
    let b_first = outcome.pairs.iter().filter(|p| p.b_first).count();
    let mut ab = compare_pairs(
        (plan.a.clone(), plan.b.clone()),
        pairs_by_endpoint(&outcome),
        b_first,
        &profile.regression,
        plan.load.seed,
    );
    ab.reference = Some(run_a);
    Ok(Judgement::new("ab", profile, source, judged_b).with_ab(ab))
}

/// `out/run` -> `out/run_a`.
fn side_prefix(prefix: &Path, side: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_os_string();
    name.push(format!("_{side}"));
    PathBuf::from(name)
}

/// The pairs of each endpoint, in the scenario's order of endpoints.
fn pairs_by_endpoint(outcome: &AbOutcome) -> Vec<(Scope, Vec<PairSample>)> {
    let mut by_entry: BTreeMap<usize, Vec<PairSample>> = BTreeMap::new();
    for p in &outcome.pairs {
        by_entry.entry(p.entry).or_default().push(PairSample {
            a_ms: p.a.micros as f64 / 1000.0,
            b_ms: p.b.micros as f64 / 1000.0,
            a_failed: p.a.failed,
            b_failed: p.b.failed,
        });
    }
    by_entry
        .into_iter()
        .map(|(entry, samples)| {
            let (method, name) = outcome.entries[entry].clone();
            (Scope::Endpoint(EndpointKey { method, name }), samples)
        })
        .collect()
}

fn summary(o: &AbOutcome, csv: Option<&Path>) -> String {
    let side = |label: &str, r: &generator::RunOutcome| {
        format!(
            "{label}: {} requests ({:.1} req/s), {} failures",
            r.requests,
            r.rps(),
            r.failures
        )
    };
    let mut text = format!(
        "loadgate ab: {} pairs in {:.1} s; {}; {}",
        o.pairs.len(),
        o.a.seconds,
        side("A", &o.a),
        side("B", &o.b)
    );
    if let Some(prefix) = csv {
        text.push_str(&format!(
            "\nwrote {0}_a_*.csv and {0}_b_*.csv",
            prefix.display()
        ));
    }
    text
}
