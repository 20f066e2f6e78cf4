//! One module per subcommand: each wires ingest, analysis and report together for one job.

pub mod check;
pub mod profiles;

use std::io::IsTerminal;

/// Colour only for a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
