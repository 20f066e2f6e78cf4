//! Any text as a threshold profile: a profile or an error naming the origin, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgate::profile::Profile;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(err) = Profile::parse(text, "fuzz.toml") {
            assert!(format!("{err:#}").contains("fuzz.toml"), "{err:#}");
        }
    }
});
