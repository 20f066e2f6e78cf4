//! `loadgate demo`: the whole pipeline on a fresh machine with one command. Starts the embedded
//! target on 127.0.0.1, runs the generator against it with the bundled scenario, checks the result
//! with the default profile, and writes the CSVs, JSON, Markdown, JUnit and charts into `--out`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::{CheckArgs, OutputArgs, OutputFormat, StoreArgs};
use crate::generator::{self, target, RunArgs};

/// The scenario the demo runs (also written to `OUT/demo-scenario.toml` to read and adapt).
const SCENARIO: &str = include_str!("../../scenarios/demo.toml");

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the CSVs, reports and charts go.
    #[arg(long, default_value = "loadgate-demo", value_name = "DIR")]
    pub out: PathBuf,

    /// How long to generate load.
    #[arg(long, short = 't', default_value = "15s", value_name = "DURATION")]
    pub run_time: String,

    /// Concurrent users.
    #[arg(long, short = 'u', default_value_t = 20)]
    pub users: u32,
}

pub fn run(args: &DemoArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    let scenario_path = args.out.join("demo-scenario.toml");
    crate::fsutil::write_atomic(&scenario_path, SCENARIO.as_bytes())?;
    let target = target::start()?;
    let prefix = args.out.join("demo");
    eprintln!(
        "loadgate demo: {} users for {} against the embedded target at {} (scenario {})",
        args.users,
        args.run_time,
        target.url(),
        scenario_path.display()
    );
    let run_args = RunArgs {
        host: Some(target.url()),
        users: Some(args.users),
        spawn_rate: None,
        run_time: Some(args.run_time.clone()),
        csv: Some(prefix.clone()),
        csv_full_history: true,
        scenario: Some(scenario_path),
        rate: None,
        timeout: "10s".to_string(),
        seed: 1,
        quiet: false,
        insecure: false,
    };
    generator::run(&run_args)?;
    drop(target);

    let check = CheckArgs {
        runs: vec![prefix],
        profile: "default".to_string(),
        baseline: None,
        store: StoreArgs { store: None },
        output: OutputArgs {
            format: OutputFormat::Table,
            json: Some(args.out.join("report.json")),
            markdown: Some(args.out.join("summary.md")),
            junit: Some(args.out.join("junit.xml")),
            charts: Some(args.out.join("charts")),
            chart_size: (1280, 720),
        },
    };
    println!();
    let verdict = super::check::run(&check)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nThe demo wrote its CSVs, report.json, summary.md, junit.xml and charts/ to {}.",
        args.out.display()
    )?;
    writeln!(
        out,
        "As a gate, `loadgate check {}/demo` would exit {} ({}): the demo target fails on purpose (/error, 429s on /limited).",
        args.out.display(),
        if verdict == crate::analysis::grade::Status::Fail { 1 } else { 0 },
        verdict
    )?;
    Ok(())
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// How long to serve before stopping by itself.
    #[arg(long, short = 't', default_value = "60s", value_name = "DURATION")]
    pub run_time: String,

    /// Serve https with a fresh self-signed certificate (load it with `run --insecure`).
    #[arg(long)]
    pub tls: bool,
}

/// `loadgate target`: prints the URL, serves for `--run-time`, stops.
pub fn serve(args: &TargetArgs) -> Result<()> {
    let duration =
        crate::generator::scenario::parse_duration(&args.run_time).context("--run-time")?;
    let target = if args.tls {
        target::start_tls()?
    } else {
        target::start()?
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", target.url())?;
    out.flush()?;
    drop(out);
    std::thread::sleep(duration);
    drop(target);
    Ok(())
}
