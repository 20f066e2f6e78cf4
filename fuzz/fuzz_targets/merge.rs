//! Any bytes split in two as two Locust JSON runs merged (`check a.json b.json --merge`): one run or
//! an error naming one of the files, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loadgate::ingest::load_merged;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cut = data.iter().position(|b| *b == 0).unwrap_or(data.len() / 2);
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, &data[..cut]).expect("writable");
    std::fs::write(&b, data.get(cut + 1..).unwrap_or_default()).expect("writable");
    if let Err(err) = load_merged(&[a, b]).map(|_| ()) {
        let text = format!("{err:#}");
        assert!(text.contains("a.json") || text.contains("b.json"), "{text}");
    }
});
