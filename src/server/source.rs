//! Which backend to read and how: the URL from `--prometheus`, else `LOADGATE_PROMETHEUS_URL`
//! (clap reads both), else the project config's `[prometheus] url`; the CA file from
//! `LOADGATE_PROMETHEUS_CA_FILE`, else `[prometheus] ca_file`; credentials from the environment only.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::auth::Auth;
use super::client::Client;

pub const URL_ENV: &str = "LOADGATE_PROMETHEUS_URL";
pub const CA_FILE_ENV: &str = "LOADGATE_PROMETHEUS_CA_FILE";
/// How long one call to the backend may take unless `--prometheus-timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the command line said about the backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePlan {
    /// `--prometheus` or `LOADGATE_PROMETHEUS_URL`.
    pub url: Option<String>,
    pub timeout: Duration,
    /// `--from` and `--to`, Unix seconds.
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// Anything not read is an error (exit 2), not a note.
    pub require: bool,
}

/// What the project's config says of the backend (`[prometheus] url` and `ca_file`, the file
/// relative to the config's directory): handed in by the commands, which read the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Configured {
    pub url: Option<String>,
    pub ca_file: Option<PathBuf>,
}

/// A client for the backend the plan, the environment and the project's config name.
pub fn connect(plan: &SourcePlan, config: &Configured) -> Result<Client> {
    let url = plan
        .url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| config.url.clone())
        .ok_or_else(|| {
            anyhow!(
                "no Prometheus to read: give --prometheus URL, set {URL_ENV}, or [prometheus] url in loadgate.toml"
            )
        })?;
    let ca_file = std::env::var_os(CA_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| config.ca_file.clone());
    let auth = Auth::from_env()?;
    Client::new(&url, auth, ca_file.as_deref(), plan.timeout)
}
