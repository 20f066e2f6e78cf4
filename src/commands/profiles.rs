//! `loadgate profiles [NAME]`: list the built-in profiles, or print one as TOML.

use std::io::Write;

use anyhow::Result;

use crate::cli::ProfilesArgs;
use crate::profile::{Profile, BUILTINS};

pub fn run(args: &ProfilesArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match &args.name {
        Some(name) => {
            // Load first so that a bad name or file gives the usual error.
            let profile = Profile::load(name)?;
            match BUILTINS.iter().find(|(n, _)| n == name) {
                Some((_, text)) => out.write_all(text.as_bytes())?,
                None => out.write_all(toml::to_string_pretty(&profile)?.as_bytes())?,
            }
        }
        None => {
            let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, text) in BUILTINS {
                let profile = Profile::parse(text, name)?;
                writeln!(out, "{name:width$}  {}", profile.description)?;
            }
        }
    }
    Ok(())
}
