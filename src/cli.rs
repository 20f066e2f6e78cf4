//! The command-line surface: clap definitions only, no behaviour.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "loadgate",
    version,
    about = "Turns load-test results (Locust CSVs) into a verdict a pipeline can trust",
    long_about = "Reads the CSV files a Locust run writes, grades them against a threshold profile and \
                  answers with a table, a JSON report and an exit code: 0 pass, 1 gate failed, \
                  2 usage or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Grade one or more runs against a threshold profile.
    Check(CheckArgs),
    /// List the built-in profiles, or print one.
    Profiles(ProfilesArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table for people (coloured on a terminal).
    Table,
    /// The versioned JSON report on stdout.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A Locust --csv prefix, a *_stats.csv path, or a directory holding one set of files.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,

    /// A built-in profile name or the path of a TOML profile.
    #[arg(long, short = 'p', default_value = "default", value_name = "NAME|PATH")]
    pub profile: String,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// The profile to print; without it, all built-ins are listed.
    pub name: Option<String>,
}
