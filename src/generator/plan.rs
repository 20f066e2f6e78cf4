//! What a run is asked to do (`RunOptions`, the flags) and what it will do (`Plan`, validated): the
//! target resolved, the scenario loaded with its headers, the load's shape checked.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::resolve::{resolve, split_url};
use super::scenario::{self, LoadDefaults, Scenario};
use crate::duration::parse_duration;

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
    pub(super) authority: String,
    pub(super) tls: Option<Arc<crate::tls::Tls>>,
    pub(super) scenario: Scenario,
    pub(super) base_path: String,
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

/// The load's shape, checked: users, spawn rate, run time, timeout, open-model rate.
struct Shape {
    users: u32,
    spawn_rate: f64,
    run_time: Duration,
    timeout: Duration,
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
        let shape = Shape::checked(args, load)?;
        let scenario = with_headers(scenario, &base_path, &args.headers)?;
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
            users: shape.users,
            spawn_rate: shape.spawn_rate,
            run_time: shape.run_time,
            rate: args.rate,
            timeout: shape.timeout,
            csv: args.csv.clone(),
            full_history: args.csv_full_history,
            json_file: args.json_file.clone(),
            seed: args.seed,
            quiet: args.quiet,
        })
    }
}

impl Shape {
    /// The flags over the scenario's `[load]`, over the defaults; each refused with its flag named.
    fn checked(args: &RunOptions, load: LoadDefaults) -> Result<Shape> {
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
        Ok(Shape {
            users,
            spawn_rate,
            run_time,
            timeout,
        })
    }
}

/// The scenario given, or a GET of the base path, with every `--header` set on its tasks.
fn with_headers(
    scenario: Option<Scenario>,
    base_path: &str,
    headers: &[String],
) -> Result<Scenario> {
    let mut scenario = scenario.unwrap_or_else(|| {
        Scenario::default_get(if base_path.is_empty() { "/" } else { base_path })
    });
    for header in headers {
        let (name, value) = scenario::parse_header_flag(header)?;
        scenario.set_header(name, value);
    }
    Ok(scenario)
}
