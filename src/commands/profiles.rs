//! `loadgate profiles [NAME]`: list the built-in profiles, or print one as TOML.

use std::fmt::Write as _;

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::analysis::ratchet::{suggested_profile, tightenings};
use crate::analysis::summary::RunSummary;
use crate::baseline::Store;
use crate::ingest::{load_run, runs_in};
use crate::profile::{Profile, BUILTINS};
use crate::report::print;

/// What `profiles suggest` was asked to do.
#[derive(Debug, Clone)]
pub struct SuggestPlan {
    pub runs: Vec<PathBuf>,
    pub from: String,
    pub baseline: Option<String>,
    pub store: Option<PathBuf>,
    pub headroom: f64,
}

/// Prints the profile `name`, or lists the built-ins when `None`.
pub fn run(name: Option<&str>) -> Result<()> {
    let mut out = String::new();
    match name {
        Some(name) => {
            // Load first so that a bad name or file gives the usual error.
            let profile = Profile::load(name)?;
            match BUILTINS.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => out.push_str(text),
                None => out = toml::to_string_pretty(&profile)?,
            }
        }
        None => {
            let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, text) in BUILTINS {
                let profile = Profile::parse(text, name)?;
                writeln!(out, "{name:width$}  {}", profile.description)?;
            }
        }
    }
    print(out.as_bytes())
}

/// `loadgate profiles suggest RUN... --from PROFILE`: the tightened profile as TOML, with what each
/// change rests on in comments; the profile unchanged (and said so) when no limit can tighten.
pub fn suggest(plan: &SuggestPlan) -> Result<()> {
    let profile = Profile::load(&plan.from)?;
    let mut runs: Vec<RunSummary> = Vec::new();
    if let Some(name) = &plan.baseline {
        runs.extend(
            Store::open(plan.store.as_deref())
                .load(name)?
                .into_summaries(),
        );
    }
    for path in &plan.runs {
        for run in runs_in(path)? {
            runs.push(RunSummary::from_run(&load_run(&run)?));
        }
    }
    if runs.is_empty() {
        bail!("profiles suggest: no runs given (RUN... or --baseline NAME)");
    }
    let found = tightenings(&profile, &runs, plan.headroom);
    let mut out = format!(
        "# loadgate profiles suggest: {} from {} run(s), headroom {:.0}%\n",
        plan.from,
        runs.len(),
        plan.headroom * 100.0
    );
    if found.is_empty() {
        out.push_str("# no limit is beaten by more than the headroom in every run: the profile stays as it is\n");
    }
    for t in &found {
        out.push_str(&format!(
            "# [{}] {}: limit {} -> {} (worst run {} at {}; every band x{:.2})\n",
            t.section,
            t.metric,
            t.metric.display(t.limit),
            t.metric.display(t.suggested),
            t.metric.display(t.worst),
            t.worst_at,
            t.factor
        ));
    }
    out.push('\n');
    let mut suggested = suggested_profile(&profile, &found);
    if !found.is_empty() {
        // The old description would state the old limits: say the new ones.
        suggested.description = format!(
            "{} tightened from {} run(s): {}",
            profile.name,
            runs.len(),
            crate::profile::gate_summary(&suggested)
        );
    }
    out.push_str(&toml::to_string_pretty(&suggested)?);
    print(out.as_bytes())
}
