//! loadgate: turns load-test results into a verdict a pipeline can trust.
//! Exit codes: 0 pass (warnings allowed), 1 the gate failed, 2 usage or input error.

use std::process::ExitCode;

use clap::Parser;

use loadgate::analysis::grade::Status;
use loadgate::cli::{Cli, Command};
use loadgate::{commands, generator};

const EXIT_GATE_FAILED: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::from(EXIT_INPUT_ERROR)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Check(args) => Ok(gate_exit(commands::check::run(args)?)),
        Command::History(args) => Ok(gate_exit(commands::history::run(args)?)),
        Command::Compare(args) => Ok(gate_exit(commands::compare::run(args)?)),
        Command::Baseline(command) => {
            commands::baseline::run(command)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            generator::run(args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => {
            commands::demo::run(args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Target(args) => {
            commands::demo::serve(args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Profiles(args) => {
            commands::profiles::run(args)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Warnings pass the gate; only a failed check fails it.
fn gate_exit(verdict: Status) -> ExitCode {
    match verdict {
        Status::Pass | Status::Warn => ExitCode::SUCCESS,
        Status::Fail => ExitCode::from(EXIT_GATE_FAILED),
    }
}
