//! Any bytes as a Locust `_exceptions` file: a parse or an error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgate::ingest::locust;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("f_exceptions.csv");
    std::fs::write(&path, data).expect("writable");
    if let Err(err) = locust::read_exceptions(&path).map(|_| ()) {
        assert!(err.to_string().contains("f_exceptions.csv"), "{err}");
    }
});
