//! PNG charts: decoded and inspected, not just checked for existence.

use std::ffi::OsStr;
use std::path::Path;

use crate::common::{command, fixture, loadgate, stderr};

/// Width, height, and the share of pixels that are not white.
fn inspect(path: &Path) -> (u32, u32, f64) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let (w, h) = image.dimensions();
    let inked = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    (w, h, inked as f64 / (w as f64 * h as f64))
}

fn charts(run: impl AsRef<OsStr>, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = command()
        .args(args!["check", run, "--charts", dir.path()])
        .args(extra)
        .output()
        .expect("the binary runs");
    assert!(output.status.code().unwrap() < 2, "{}", stderr(&output));
    dir
}

#[test]
fn every_chart_is_a_readable_non_blank_png_of_the_default_size() {
    let run = fixture("locust2-full/full");
    let dir = charts(&run, &[]);
    for name in [
        "throughput.png",
        "latency.png",
        "endpoints.png",
        "failures.png",
    ] {
        let (w, h, ink) = inspect(&dir.path().join(name));
        assert_eq!((w, h), (1280, 720), "{name}");
        assert!(ink > 0.02, "{name} is nearly blank ({ink:.3})");
        assert!(ink < 0.9, "{name} is nearly all ink ({ink:.3})");
    }
}

#[test]
fn a_baseline_adds_its_chart_and_sizes_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let output = loadgate(args![
        "compare",
        fixture("compare/same-1"),
        fixture("compare/slow-2x"),
        "--charts",
        dir.path(),
        "--chart-size",
        "800x600",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (w, h, ink) = inspect(&dir.path().join("baseline.png"));
    assert_eq!((w, h), (800, 600));
    assert!(ink > 0.02);
    assert!(
        !dir.path().join("failures.png").exists(),
        "no failures, no failures chart"
    );
}

#[test]
fn a_run_without_history_still_gets_its_endpoint_chart() {
    let dir = charts(fixture("derived/legacy/basic"), &[]);
    assert!(dir.path().join("endpoints.png").is_file());
    assert!(!dir.path().join("throughput.png").exists());
}

#[test]
fn a_bad_chart_size_is_a_usage_error() {
    let output = loadgate(args![
        "check",
        fixture("locust2/basic"),
        "--charts",
        "/tmp/x",
        "--chart-size",
        "12x9",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("outside"), "{}", stderr(&output));
}
