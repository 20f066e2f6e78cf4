//! The command-line surface: clap definitions, each converted once into the plain plan its
//! command runs (as ripgrep turns low-level arguments into high-level ones). No behaviour here,
//! and nothing past this file sees a clap type.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::commands::ab::AbPlan;
use crate::commands::baseline::BaselinePlan;
use crate::commands::check::CheckRequest;
use crate::commands::compare::ComparePlan;
use crate::commands::demo::{DemoPlan, TargetPlan};
use crate::commands::history::HistoryPlan;
use crate::commands::profiles::SuggestPlan;
use crate::commands::record::RecordPlan;
use crate::commands::server::ServerPlan;
use crate::config::Flags;
use crate::generator::RunOptions;
use crate::report::formats::FORMATS;
use crate::report::openmetrics::push::Gateway;
use crate::report::openmetrics::MetricsPlan;
use crate::report::{charts, Format, Outputs};

mod server;
pub use server::{ListingFormat, PrometheusArgs, ServerArgs};

#[derive(Debug, Parser)]
#[command(
    name = "loadgate",
    version,
    about = "Turns load-test results (Locust's CSVs, HTML report or JSON) into a verdict a pipeline can trust",
    long_about = "Reads the files a Locust run writes (CSVs, the HTML report, the JSON output), grades \
                  them against a threshold profile, compares them with a baseline, and answers with a \
                  table, a JSON report and an exit code: 0 pass, 1 gate failed, 2 usage or input error."
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
    History(HistoryArgs),
    /// List the built-in profiles, or print one.
    Profiles(ProfilesArgs),
    /// Generate load (Locust's flags) and write Locust-format CSVs.
    Run(RunArgs),
    /// Run a load test's command (Locust, k6, JMeter, `loadgate run`) and record how much CPU the
    /// runner had while it ran, beside the run's files; exits with the command's code.
    Record(RecordArgs),
    /// Run the whole pipeline against an embedded target: load, CSVs, check, reports, charts.
    Demo(DemoArgs),
    /// Serve the demo target on 127.0.0.1 for a while (to try `loadgate run` against).
    Target(TargetArgs),
    /// A/B: load two builds at once, request by request, and judge B against A from the pairs.
    Ab(AbArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    Completions(CompletionsArgs),
    /// Print a man page (roff) to stdout: `loadgate man > loadgate.1`, `loadgate man check >
    /// loadgate-check.1` (any subcommand, e.g. `baseline save`).
    Man(ManArgs),
    /// List what a Prometheus-compatible backend holds for a run's window (presets, series, points,
    /// min/max) and the value of each [[server]] rule of the profile.
    Server(ServerArgs),
    /// Print the settings `check` runs with here (loadgate.toml or [tool.loadgate] in pyproject.toml,
    /// found from the current directory upwards; then flags) and where each came from.
    Config(ConfigArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`check`, `baseline save`); none: loadgate's own page.
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// What `loadgate` was asked to do, as the plan its command runs.
pub enum Plan {
    Check(CheckRequest),
    Config(CheckRequest),
    Compare(ComparePlan),
    Baseline(BaselinePlan),
    History(HistoryPlan),
    Profiles(Option<String>),
    Suggest(SuggestPlan),
    Run(RunOptions),
    Demo(DemoPlan),
    Target(TargetPlan),
    Ab(Box<AbPlan>),
    Record(RecordPlan),
    Server(ServerPlan),
    Completions(clap_complete::Shell),
    /// The subcommand path whose page to print; empty: the top page.
    Man(Vec<String>),
}

impl Cli {
    pub fn plan(self) -> Plan {
        match self.command {
            Command::Check(a) => Plan::Check(a.plan()),
            Command::Compare(a) => Plan::Compare(a.plan()),
            Command::Baseline(a) => Plan::Baseline(a.plan()),
            Command::History(a) => Plan::History(a.plan()),
            Command::Profiles(ProfilesArgs {
                command: Some(ProfilesCommand::Suggest(a)),
                ..
            }) => Plan::Suggest(SuggestPlan {
                runs: a.runs,
                from: a.from,
                baseline: a.baseline,
                store: a.store.store,
                headroom: a.headroom,
            }),
            Command::Profiles(a) => Plan::Profiles(a.name),
            Command::Run(a) => Plan::Run(a.plan()),
            Command::Demo(a) => Plan::Demo(DemoPlan {
                out: a.out,
                run_time: a.run_time,
                users: a.users,
            }),
            Command::Target(a) => Plan::Target(TargetPlan {
                run_time: a.run_time,
                tls: a.tls,
                serving: crate::generator::target::Serving {
                    port: a.port,
                    slowdown: a.slowdown,
                    slow_path: a.slow_path,
                },
            }),
            Command::Ab(a) => Plan::Ab(Box::new(a.plan())),
            Command::Record(a) => Plan::Record(RecordPlan {
                out: a.out,
                interval: a.interval,
                command: a.command,
            }),
            Command::Server(a) => Plan::Server(a.plan()),
            Command::Completions(a) => Plan::Completions(a.shell),
            Command::Man(a) => Plan::Man(a.subcommand),
            Command::Config(a) => Plan::Config(a.settings.request(Vec::new())),
        }
    }
}

/// The completion script for `shell`, generated from these definitions, with `--profile` (and
/// `profiles NAME`, `--from`) offering the built-in profiles' names.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut with_profile_names(<Cli as clap::CommandFactory>::command()),
        "loadgate",
        &mut out,
    );
    out
}

/// `cmd` with the built-in profile names as the possible values of every profile argument. Only
/// for the completion script: parsing keeps accepting a path as well.
fn with_profile_names(cmd: clap::Command) -> clap::Command {
    let names: Vec<PossibleValue> = crate::profile::BUILTINS
        .iter()
        .map(|(name, _)| PossibleValue::new(*name))
        .collect();
    let is_profile_arg = |cmd_name: &str, id: &str| {
        id == "profile" || id == "from" || (cmd_name == "profiles" && id == "name")
    };
    let cmd_name = cmd.get_name().to_string();
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .filter(|id| is_profile_arg(&cmd_name, id))
        .collect();
    let mut cmd = cmd;
    for id in ids {
        let names = names.clone();
        cmd = cmd.mut_arg(id, |a| a.value_parser(PossibleValuesParser::new(names)));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        cmd = cmd.mut_subcommand(sub, with_profile_names);
    }
    cmd
}

/// The man page, generated from these definitions: `loadgate man` the top page, `loadgate man
/// check` (any subcommand, `baseline save` too) that subcommand's page.
pub fn man_page(path: &[String]) -> Result<Vec<u8>, String> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let mut name = "loadgate".to_string();
    for word in path {
        let sub = cmd
            .get_subcommands()
            .find(|s| s.get_name() == word)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = cmd
                    .get_subcommands()
                    .map(|s| s.get_name())
                    .filter(|n| *n != "help")
                    .collect();
                format!(
                    "'{name} {word}': no such subcommand (one of: {})",
                    names.join(", ")
                )
            })?;
        name = format!("{name}-{word}");
        // clap keeps names as static strings; a man page is printed once per process.
        cmd = sub.name(&*Box::leak(name.clone().into_boxed_str()));
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// How reports are written: shared by `check`, `compare` and `ab`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// What to print on stdout.
    #[arg(long, default_value = "table", value_parser = stdout_formats())]
    pub format: Format,

    #[command(flatten)]
    pub files: FileArgs<false>,

    /// Size of each chart in pixels.
    #[arg(long, value_name = "WxH", default_value = "1280x720", value_parser = parse_size)]
    pub chart_size: (u32, u32),

    #[command(flatten)]
    pub metrics: MetricsArgs,
}

impl OutputArgs {
    fn plan(self) -> Outputs {
        Outputs {
            stdout: self.format,
            files: self.files.0,
            chart_size: self.chart_size,
            metrics: self.metrics.plan(),
        }
    }
}

/// `--format NAME`: a format whose row in the table of formats says it can go to stdout.
fn stdout_formats() -> impl TypedValueParser<Value = Format> {
    let names = FORMATS
        .iter()
        .filter_map(|f| Some(PossibleValue::new(f.name).help(f.stdout?)));
    PossibleValuesParser::new(names).map(|name| Format::named(&name).expect("a name in the table"))
}

/// The output formats' flags (`--json FILE`, `--charts DIR`, …), one per row of the table of
/// formats that has a flag: made from the table, so that a new format needs no line here.
/// `HISTORY`: the flags of `history`, which writes the formats that have a history help.
#[derive(Debug, Clone, Default)]
pub struct FileArgs<const HISTORY: bool>(pub Vec<(Format, PathBuf)>);

impl<const HISTORY: bool> FileArgs<HISTORY> {
    /// The formats offered, with their flag and help.
    fn offered() -> impl Iterator<Item = (Format, &'static str, &'static str)> {
        FORMATS.iter().filter_map(|f| {
            let help = if HISTORY { f.history_help? } else { f.help };
            Some((f.format, f.flag?, help))
        })
    }
}

impl<const HISTORY: bool> Args for FileArgs<HISTORY> {
    fn augment_args(mut cmd: clap::Command) -> clap::Command {
        for (format, flag, help) in Self::offered() {
            cmd = cmd.arg(
                Arg::new(flag)
                    .long(flag)
                    .value_name(format.spec().value_name())
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(help),
            );
        }
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl<const HISTORY: bool> FromArgMatches for FileArgs<HISTORY> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(FileArgs(
            Self::offered()
                .filter_map(|(format, flag, _)| {
                    Some((format, matches.get_one::<PathBuf>(flag)?.clone()))
                })
                .collect(),
        ))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// Metrics for Prometheus besides their file (`--openmetrics`, in the table of formats): shared
/// by `check`, `compare`, `ab` and `history` (flatten it into a new command's arguments to give it
/// the same flags).
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// With --openmetrics: also each history row as samples with its timestamp.
    #[arg(long)]
    pub openmetrics_history: bool,

    /// Also push the metrics to this Prometheus Pushgateway (one group per run); a failed push
    /// is a warning.
    #[arg(long, value_name = "URL")]
    pub push_gateway: Option<String>,

    /// The Pushgateway job the metrics are grouped under.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "loadgate",
        requires = "push_gateway"
    )]
    pub job: String,

    /// A failed push is an error (exit 2) instead of a warning.
    #[arg(long, requires = "push_gateway")]
    pub require_push: bool,
}

impl MetricsArgs {
    pub fn plan(self) -> MetricsPlan {
        MetricsPlan {
            history: self.openmetrics_history,
            gateway: self.push_gateway.map(|url| Gateway { url, job: self.job }),
            require_push: self.require_push,
        }
    }
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

    /// The profile whose [regression] rules apply (and, with --prometheus, its [[server]] rules)
    /// [default: the config's, else default].
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: Option<String>,

    /// The Locust version that wrote CURRENT_RUN, for files that do not say it [default: the
    /// config's locust_version]; a console log's own version wins.
    #[arg(long, value_name = "VERSION", value_parser = parse_locust_version)]
    pub locust_version: Option<String>,

    /// The Locust version that wrote BASELINE_RUN, as --locust-version for CURRENT_RUN.
    #[arg(long, value_name = "VERSION", value_parser = parse_locust_version)]
    pub baseline_locust_version: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub prometheus: PrometheusArgs,
}

impl CompareArgs {
    fn plan(self) -> ComparePlan {
        ComparePlan {
            baseline: self.baseline,
            current: self.current,
            profile: self.profile,
            locust_versions: (self.baseline_locust_version, self.locust_version),
            outputs: self.output.plan(),
            server: self.prometheus.plan(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store a run's summary under a name (atomically).
    Save(BaselineSaveArgs),
    /// List the stored baselines.
    List(StoreArgs),
    /// Print what a stored baseline holds (its kept runs, the newest run's figures); JSON with
    /// --format json.
    Show(BaselineShowArgs),
    /// Delete a stored baseline.
    Delete(BaselineNameArgs),
}

impl BaselineCommand {
    fn plan(self) -> BaselinePlan {
        match self {
            BaselineCommand::Save(a) => BaselinePlan::Save {
                run: a.run,
                name: a.name,
                keep: a.keep.map(|k| k as usize),
                store: a.store.store,
                if_pass: a.if_pass,
                profile: a.profile,
                locust_version: a.locust_version,
                server: a.prometheus.plan(),
            },
            BaselineCommand::List(a) => BaselinePlan::List { store: a.store },
            BaselineCommand::Show(a) => BaselinePlan::Show {
                name: a.name.name,
                store: a.name.store.store,
                json: a.format == ShowFormat::Json,
            },
            BaselineCommand::Delete(a) => BaselinePlan::Delete {
                name: a.name,
                store: a.store.store,
            },
        }
    }
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

    /// Save only a run whose verdict passes the gate (pass or warn) against --profile and the
    /// baseline already stored under --name; a failed run is not saved (exit 0, said on stdout).
    #[arg(long)]
    pub if_pass: bool,

    /// The profile --if-pass judges the run with, and whose [[server]] rules' values are kept
    /// with --prometheus [default: the config's, else default].
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: Option<String>,

    /// The Locust version that wrote the run, kept in the baseline (for files that do not say it).
    #[arg(long, value_name = "VERSION", value_parser = parse_locust_version)]
    pub locust_version: Option<String>,

    /// With --prometheus: what the server did in the run's window (each [[server]] rule's value,
    /// each preset's summary, CPU seconds and memory growth per 1,000 requests) is kept with it.
    #[command(flatten)]
    pub prometheus: server::PrometheusArgs,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct BaselineShowArgs {
    #[command(flatten)]
    pub name: BaselineNameArgs,

    /// `table`: a summary for people; `json`: the stored file as it is.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ShowFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct BaselineNameArgs {
    pub name: String,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A Locust --csv prefix, a *_stats.csv path, a Locust HTML report, JSON or console log, a
    /// k6 output or summary, a JMeter JTL, `-` for standard input, or a directory of them.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,

    #[command(flatten)]
    pub settings: CheckSettingsArgs,
}

/// `check`'s settings, which a project's config may also give: shared by `check` and `config`.
#[derive(Debug, Args)]
pub struct CheckSettingsArgs {
    /// A built-in profile name or the path of a TOML profile [default: the config's, else default].
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: Option<String>,

    /// Also compare with a baseline: a name in the store, or the path of a baseline file or run.
    #[arg(long, value_name = "NAME|PATH")]
    pub baseline: Option<String>,

    /// Exit 2 when the baseline (--baseline, else the config's) is not in the store (by default:
    /// "no baseline: nothing compared", and the grades alone decide).
    #[arg(long)]
    pub require_baseline: bool,

    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Of several runs (a directory of them), check only the newest, by the start time in its
    /// files (else a time its path names).
    #[arg(long)]
    pub latest: bool,

    /// The runs given are one test run from several machines at once (Locust JSON files, k6
    /// per-request outputs or JMeter JTLs, or directories of them): judge them as one run,
    /// histograms added or samples pooled exactly.
    #[arg(long, conflicts_with = "latest")]
    pub merge: bool,

    /// The Locust version that wrote the runs (`locust --version`), for files that do not say:
    /// CSVs, the HTML report, the JSON. Kept in baselines; a console log's own version wins.
    #[arg(long, value_name = "VERSION", value_parser = parse_locust_version)]
    pub locust_version: Option<String>,

    #[command(flatten)]
    pub prometheus: PrometheusArgs,
}

/// A version as Locust prints it: `2.47.0`, `1.6.0`, `0.14.6`.
fn parse_locust_version(text: &str) -> Result<String, String> {
    match crate::model::LocustVersion::parse(text) {
        Some(_) => Ok(text.trim().to_string()),
        None => Err(format!(
            "'{text}' is not a Locust version (as `locust --version` prints it: 2.47.0)"
        )),
    }
}

impl CheckArgs {
    fn plan(self) -> CheckRequest {
        self.settings.request(self.runs)
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub settings: CheckSettingsArgs,
}

impl CheckSettingsArgs {
    fn request(self, runs: Vec<PathBuf>) -> CheckRequest {
        let o = self.output;
        CheckRequest {
            runs,
            flags: Flags {
                profile: self.profile,
                baseline: self.baseline,
                store: self.store.store,
                files: o.files.0,
                locust_version: self.locust_version,
            },
            stdout: o.format,
            chart_size: o.chart_size,
            metrics: o.metrics.plan(),
            require_baseline: self.require_baseline,
            latest: self.latest,
            merge: self.merge,
            server: self.prometheus.plan(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// Print the limits that would still have passed every RUN, tightened from --from's.
    Suggest(SuggestArgs),
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// Runs the tightened limits must still pass (a --csv prefix, a *_stats.csv, a directory, a
    /// report); or the runs kept under a baseline name with --baseline.
    #[arg(value_name = "RUN")]
    pub runs: Vec<PathBuf>,

    /// The profile to tighten: a built-in name or a TOML path.
    #[arg(long, value_name = "NAME|PATH", default_value = "default")]
    pub from: String,

    /// Also (or instead) the runs kept under this baseline name.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// How much worse than the worst run a tightened limit still allows (0.2 = 20%).
    #[arg(long, default_value_t = 0.2, value_parser = parse_headroom)]
    pub headroom: f64,
}

fn parse_headroom(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not in [0, 1)"))
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: Option<ProfilesCommand>,

    /// The profile to print; without it, all built-ins are listed.
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A directory of runs (each a set of Locust CSVs), searched up to four levels deep.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// What to print on stdout.
    #[arg(long, default_value = "table", value_parser = stdout_formats())]
    pub format: Format,

    #[command(flatten)]
    pub files: FileArgs<true>,

    /// Leave unreadable runs out (listed in the notes, verdict at least warn) instead of exit 2.
    #[arg(long)]
    pub skip_unreadable: bool,

    #[command(flatten)]
    pub metrics: MetricsArgs,

    #[command(flatten)]
    pub prometheus: PrometheusArgs,
}

impl HistoryArgs {
    fn plan(self) -> HistoryPlan {
        HistoryPlan {
            dir: self.dir,
            skip_unreadable: self.skip_unreadable,
            server: self.prometheus.plan(),
            outputs: Outputs {
                stdout: self.format,
                files: self.files.0,
                chart_size: charts::SIZE,
                metrics: self.metrics.plan(),
            },
        }
    }
}

/// How a load runs, the same for `run` and `ab`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Users started per second [default: the scenario's, else all in the first second].
    #[arg(long, short = 'r', value_name = "USERS/S")]
    pub spawn_rate: Option<f64>,

    /// How long to run: 30s, 5m, 1h30m [default: the scenario's, else 30s].
    #[arg(long, short = 't', value_name = "DURATION")]
    pub run_time: Option<String>,

    /// Also write a history row per endpoint each second.
    #[arg(long)]
    pub csv_full_history: bool,

    /// Time allowed for one request, connecting included; longer is a recorded failure.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,

    /// No live status line and no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// For https:// targets: accept any certificate (self-signed test servers).
    #[arg(long)]
    pub insecure: bool,

    /// A header on every request, 'NAME: VALUE' (repeatable); it replaces the scenario's or the
    /// default of that name, and 'User-Agent:' with no value sends none.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The target's base URL, e.g. http://127.0.0.1:8080 or https://….
    #[arg(long, short = 'H', value_name = "URL")]
    pub host: Option<String>,

    /// Number of concurrent users (connections) [default: the scenario's, else 1].
    #[arg(long, short = 'u')]
    pub users: Option<u32>,

    /// Write Locust-format CSVs with this prefix (PREFIX_stats.csv, ...).
    #[arg(long, value_name = "PREFIX")]
    pub csv: Option<PathBuf>,

    /// Also write Locust's JSON format (histograms included) to NAME.json, as Locust's
    /// --json-file does: runs from several machines then merge exactly (check --merge).
    #[arg(long, value_name = "NAME")]
    pub json_file: Option<PathBuf>,

    /// A TOML scenario (tasks, weights, wait time); without one, users GET the host URL back to back.
    #[arg(long, short = 'f', value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// Open model: this many requests per second in total, latency measured from the intended send.
    #[arg(long, value_name = "REQ/S")]
    pub rate: Option<f64>,

    /// Seed for task choice, wait times and placeholders (reproducible request sequences).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    #[command(flatten)]
    pub load: LoadArgs,
}

impl RunArgs {
    fn plan(self) -> RunOptions {
        RunOptions {
            host: self.host,
            users: self.users,
            spawn_rate: self.load.spawn_rate,
            run_time: self.load.run_time,
            csv: self.csv,
            csv_full_history: self.load.csv_full_history,
            json_file: self.json_file,
            scenario: self.scenario,
            rate: self.rate,
            timeout: self.load.timeout,
            seed: self.seed,
            quiet: self.load.quiet,
            insecure: self.load.insecure,
            headers: self.load.headers,
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the CSVs, reports and charts go.
    #[arg(long, default_value = "loadgate-demo", value_name = "DIR")]
    pub out: PathBuf,

    /// How long to generate load.
    #[arg(long, short = 't', default_value = "30s", value_name = "DURATION")]
    pub run_time: String,

    /// Concurrent users.
    #[arg(long, short = 'u', default_value_t = 20)]
    pub users: u32,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// How long to serve before stopping by itself.
    #[arg(long, short = 't', default_value = "60s", value_name = "DURATION")]
    pub run_time: String,

    /// Serve https with a fresh self-signed certificate (load it with `run --insecure`).
    #[arg(long)]
    pub tls: bool,

    /// The port on 127.0.0.1 (0: any free port; the URL is printed either way).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// Multiply every service time by this (a "slower build" for `loadgate ab`: 1.25, 2).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub slowdown: f64,

    /// Slow down only the paths that start with this (e.g. /slow).
    #[arg(long, value_name = "PATH", requires = "slowdown")]
    pub slow_path: Option<String>,
}

#[derive(Debug, Args)]
pub struct AbArgs {
    /// The reference: main's build, e.g. http://127.0.0.1:8081.
    #[arg(long = "a", value_name = "URL")]
    pub a: String,

    /// The candidate: the pull request's build, e.g. http://127.0.0.1:8082.
    #[arg(long = "b", value_name = "URL")]
    pub b: String,

    /// A TOML scenario, as `run` reads it (its `host` is not used: --a and --b are the targets).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// Concurrent users; each sends every task to A and B as a pair [default: the scenario's, else 1].
    #[arg(long, short = 'u')]
    pub users: Option<u32>,

    /// Open model: this many pairs per second in total.
    #[arg(long, value_name = "PAIRS/S")]
    pub rate: Option<f64>,

    /// Write each side's Locust CSVs: PREFIX_a_*.csv and PREFIX_b_*.csv.
    #[arg(long, value_name = "PREFIX")]
    pub csv: Option<PathBuf>,

    /// Seed for task choice, the order inside each pair, placeholders and the bootstrap.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// The profile: B's grades, and the [regression] limits of how much worse than A is too much
    /// [default: the config's, else default].
    #[arg(long, short = 'p', value_name = "NAME|PATH")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub prometheus: PrometheusArgs,
}

impl AbArgs {
    fn plan(self) -> AbPlan {
        AbPlan {
            a: self.a,
            b: self.b,
            load: RunOptions {
                host: None,
                users: self.users,
                spawn_rate: self.load.spawn_rate,
                run_time: self.load.run_time,
                csv: None,
                csv_full_history: self.load.csv_full_history,
                json_file: None,
                scenario: self.scenario,
                rate: self.rate,
                timeout: self.load.timeout,
                seed: self.seed,
                quiet: self.load.quiet,
                insecure: self.load.insecure,
                headers: self.load.headers,
            },
            csv: self.csv,
            profile: self.profile,
            outputs: self.output.plan(),
            server: self.prometheus.plan(),
        }
    }
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Where to write the record [default: PREFIX_runner.json beside the command's --csv PREFIX,
    /// --json-file or --html files, else loadgate-runner.json here].
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// How often to sample (250ms, 1s, 5s; at least 100ms).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval)]
    pub interval: std::time::Duration,

    /// The command to run, after `--`: `loadgate record -- locust -f locustfile.py --headless …`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    crate::duration::parse_duration(text).map_err(|e| e.to_string())
}
