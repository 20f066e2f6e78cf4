//! Any bytes as a Locust HTML report (`--html`): a run or an error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgate::ingest::load_run;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("f.html");
    std::fs::write(&path, data).expect("writable");
    if let Err(err) = load_run(&path).map(|_| ()) {
        assert!(format!("{err:#}").contains("f.html"), "{err:#}");
    }
});
