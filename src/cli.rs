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
    /// Compare a run with a baseline run: the verdict is about regressions only.
    Compare(CompareArgs),
    /// Save, list, show or delete stored baselines.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Tabulate every run under a directory (a nightly archive) and flag the runs that broke the trend.
    History(crate::commands::history::HistoryArgs),
    /// List the built-in profiles, or print one.
    Profiles(ProfilesArgs),
    /// Generate load (Locust's flags) and write Locust-format CSVs.
    Run(crate::generator::RunArgs),
    /// Run the whole pipeline against an embedded target: load, CSVs, check, reports, charts.
    Demo(crate::commands::demo::DemoArgs),
    /// Serve the demo target on 127.0.0.1 for a while (to try `loadgate run` against).
    Target(crate::commands::demo::TargetArgs),
}

/// How reports are written: shared by `check` and `compare`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Also write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write a Markdown summary (for a pull-request comment) to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Also write JUnit XML (one testcase per check) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Also write PNG charts into this directory.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,

    /// Size of each chart in pixels.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub chart_size: (u32, u32),
}

/// `1280x720` -> (1280, 720), within sizes a PNG viewer and plotters handle well.
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT such as 1280x720, found '{text}'"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("'{v}' is not a whole number"))
    };
    let (w, h) = (parse(w)?, parse(h)?);
    if !(320..=8192).contains(&w) || !(240..=8192).contains(&h) {
        return Err(format!("{w}x{h} is outside 320x240 ..= 8192x8192"));
    }
    Ok((w, h))
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline run (a --csv prefix, a *_stats.csv path or a directory).
    #[arg(value_name = "BASELINE_RUN")]
    pub baseline: PathBuf,

    /// The run to judge.
    #[arg(value_name = "CURRENT_RUN")]
    pub current: PathBuf,

    /// The profile whose [regression] rules apply.
    #[arg(long, short = 'p', default_value = "default", value_name = "NAME|PATH")]
    pub profile: String,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store a run's summary under a name (atomically).
    Save(BaselineSaveArgs),
    /// List the stored baselines.
    List(StoreArgs),
    /// Print a stored baseline as JSON.
    Show(BaselineNameArgs),
    /// Delete a stored baseline.
    Delete(BaselineNameArgs),
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The baseline store [default: $LOADGATE_BASELINE_DIR, else .loadgate/baselines].
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BaselineSaveArgs {
    /// The run to save.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,

    /// The baseline's name (letters, digits, '.', '_', '-').
    #[arg(long)]
    pub name: String,

    /// Keep the last N runs under this name (a rolling baseline); default: as stored, else 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub keep: Option<u64>,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct BaselineNameArgs {
    pub name: String,

    #[command(flatten)]
    pub store: StoreArgs,
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

    /// Also compare with a baseline: a name in the store, or the path of a baseline file or run.
    #[arg(long, value_name = "NAME|PATH")]
    pub baseline: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// The profile to print; without it, all built-ins are listed.
    pub name: Option<String>,
}
