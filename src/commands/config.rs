//! `loadgate config`: the settings `check` would run with here, and where each came from (a file
//! and key, a flag, or the default). The profile is loaded too, so a broken one shows now.

use anyhow::Result;

use super::check::CheckRequest;
use crate::report::print_text;

pub fn run(request: &CheckRequest) -> Result<()> {
    let settings = request.settings()?;
    let (_, profile_source) = settings.profile()?;
    let mut out = settings.describe();
    out.push_str(&format!("\nprofile in force: {profile_source}\n"));
    print_text(&out)
}
