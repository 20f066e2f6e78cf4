//! `loadgate profiles [NAME]`: list the built-in profiles, or print one as TOML.

use std::fmt::Write as _;

use anyhow::Result;

use crate::profile::{Profile, BUILTINS};

/// Prints the profile `name`, or lists the built-ins when `None`.
pub fn run(name: Option<&str>) -> Result<()> {
    let mut out = String::new();
    match name {
        Some(name) => {
            // Load first so that a bad name or file gives the usual error.
            let profile = Profile::load(name)?;
            match BUILTINS.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => out.push_str(text),
                None => out = toml::to_string_pretty(&profile)?,
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
    super::print(out.as_bytes())
}
