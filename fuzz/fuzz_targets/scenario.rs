//! Any text as a load scenario: a scenario or an error naming the origin, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgate::generator::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(err) = Scenario::parse(text, "fuzz.toml") {
            assert!(format!("{err:#}").contains("fuzz.toml"), "{err:#}");
        }
    }
});
