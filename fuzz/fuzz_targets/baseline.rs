//! Any bytes as a baseline file: a baseline or an error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("fuzz.json");
    std::fs::write(&path, data).expect("writable");
    if let Err(err) = loadgate::baseline::read_baseline(&path) {
        assert!(format!("{err:#}").contains("fuzz.json"), "{err:#}");
    }
});
