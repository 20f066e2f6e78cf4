//! The server's flags: where its metrics are read and for when (shared by every command that
//! reads them), and `loadgate server`'s own arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::commands::server::{Listing, ServerPlan};

/// Where server metrics are read and for when: `server`, `check`, `compare`, `history` and `ab`
/// flatten it into their arguments, so each has the same flags.
#[derive(Debug, Args)]
pub struct PrometheusArgs {
    /// The Prometheus-compatible backend (Prometheus, Thanos, Mimir, VictoriaMetrics…) to read the
    /// server's metrics from [default: the config's [prometheus] url]; credentials come from
    /// LOADGATE_PROMETHEUS_BEARER_TOKEN or LOADGATE_PROMETHEUS_USERNAME/_PASSWORD only.
    #[arg(
        long,
        value_name = "URL",
        env = "LOADGATE_PROMETHEUS_URL",
        hide_env_values = true
    )]
    pub prometheus: Option<String>,

    /// How long one call to the backend may take.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub prometheus_timeout: std::time::Duration,

    /// Read from this time instead of the run's start: RFC 3339 or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = crate::server::window::parse_time)]
    pub from: Option<f64>,

    /// Read up to this time instead of the run's end: RFC 3339 or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = crate::server::window::parse_time)]
    pub to: Option<f64>,

    /// Anything that could not be read from the backend is an error (exit 2), not a warning.
    #[arg(long)]
    pub require_server_metrics: bool,
}

impl PrometheusArgs {
    pub fn plan(self) -> crate::server::source::SourcePlan {
        crate::server::source::SourcePlan {
            url: self.prometheus,
            timeout: self.prometheus_timeout,
            from: self.from,
            to: self.to,
            require: self.require_server_metrics,
        }
    }
}

fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let d = crate::duration::parse_duration(text).map_err(|e| e.to_string())?;
    if d.is_zero() || d.as_secs() > 3600 {
        return Err(format!("'{text}' is not between 1 ms and 1 h"));
    }
    Ok(d)
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The run whose window is read (a --csv prefix, a *_stats.csv path, a directory, a report).
    #[arg(value_name = "RUN")]
    pub run: PathBuf,

    /// The profile whose [[server]] rules are graded [default: the config's, else default].
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub prometheus: PrometheusArgs,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = ListingFormat::Table)]
    pub format: ListingFormat,
}

/// How `server` prints its listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListingFormat {
    /// Tables for people.
    Table,
    /// One JSON object (the listing's own shape, docs/server-metrics.md).
    Json,
}

impl ServerArgs {
    pub(super) fn plan(self) -> ServerPlan {
        ServerPlan {
            run: self.run,
            profile: self.profile,
            source: self.prometheus.plan(),
            stdout: match self.format {
                ListingFormat::Table => Listing::Table,
                ListingFormat::Json => Listing::Json,
            },
        }
    }
}
