//! `loadgate server`: what a metrics backend holds for a run's window (presets, series, points,
//! range) and each `[[server]]` rule's value, to help write rules. Its verdict is the rules': a
//! failed rule exits 1; data not read is a warning, or exit 2 under `--require-server-metrics`.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::config::{ConfigFile, Flags, Settings};
use crate::ingest::load_run;
use crate::model::Status;
use crate::report::print;
use crate::server::rules::Rule;
use crate::server::source::{connect, SourcePlan};
use crate::server::{listing, read, window};

/// What `server` was asked to do.
#[derive(Debug, Clone)]
pub struct ServerPlan {
    pub run: PathBuf,
    /// `--profile`, else the config's, else `default`: its `[[server]]` rules and `[gate]`.
    pub profile: Option<String>,
    pub source: SourcePlan,
    pub stdout: Listing,
}

/// How the listing is printed (its own shape, not one of the report's formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Table,
    Json,
}

pub fn run(plan: &ServerPlan) -> Result<Status> {
    let config = ConfigFile::discover(&std::env::current_dir()?)?;
    let flags = Flags {
        profile: plan.profile.clone(),
        ..Flags::default()
    };
    let (profile, profile_source) = Settings::resolve(&flags, config.as_ref()).profile()?;
    let rules = profile
        .server
        .iter()
        .map(Rule::from_profile)
        .collect::<Result<Vec<_>>>()?;
    let client = connect(&plan.source, config.as_ref())?;
    let run = load_run(&plan.run)?;
    let span = window::choose(window::run_span(&run), plan.source.from, plan.source.to)?;
    let reading = read(&client, span, &rules, &profile.gate, &profile_source);
    let text = match plan.stdout {
        Listing::Table => listing::table(&reading),
        Listing::Json => format!("{:#}\n", listing::json(&reading)),
    };
    print(text.as_bytes())?;
    if plan.source.require && !reading.notes.is_empty() {
        let first = &reading.notes[0];
        bail!(
            "--require-server-metrics: {} thing(s) not read from {}; first: {}{}",
            reading.notes.len(),
            reading.source,
            first
                .subject
                .as_ref()
                .map_or(String::new(), |s| format!("{s}: ")),
            first.message
        );
    }
    Ok(reading.status())
}
