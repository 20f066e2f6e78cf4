//! The ratchet on real runs: `profiles suggest` tightens a profile the runs beat by far, and the
//! tightened profile still passes every one of them; `check` says so when a rolling baseline's kept
//! runs all beat the limits.

use crate::common::{check_json, fixture, loadgate, stderr, stdout};

const RUNS: [&str; 3] = ["compare/same-1", "compare/same-2", "compare/same-3"];

#[test]
fn a_suggested_profile_still_passes_every_run_it_was_made_from() {
    let paths: Vec<String> = RUNS
        .iter()
        .map(|r| fixture(r).display().to_string())
        .collect();
    let mut args = vec!["profiles", "suggest"];
    args.extend(paths.iter().map(String::as_str));
    args.extend(["--from", "web-api"]);
    let output = loadgate(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("# loadgate profiles suggest: web-api from 3 run(s), headroom 20%"));
    assert!(
        text.contains("# [thresholds] p95: limit 1000 ms -> "),
        "{text}"
    );
    assert!(text.contains("name = \"web-api-tightened\""));
    // The description states the new limits, not web-api's ("P95 warns > 1 s").
    let description = text
        .lines()
        .find(|l| l.starts_with("description = "))
        .unwrap();
    assert!(
        description.contains("web-api tightened from 3 run(s): P95 warns > ")
            && !description.contains("P95 warns > 1 s"),
        "{description}"
    );
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("tight.toml");
    std::fs::write(&profile, &text).unwrap();
    for run in &paths {
        let (code, report) = check_json(args![run, "--profile", profile]);
        assert_eq!(code, 0, "{run}");
        assert_eq!(report["verdict"], "pass", "{run}: {:#}", report["checks"]);
    }
    // The original profile's p95 limit (1000 ms) against the tightened one.
    let (_, tight) = check_json(args![&paths[0], "--profile", profile]);
    let limit = tight["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "aggregated" && c["metric"] == "p95")
        .unwrap()["limit"]
        .as_f64()
        .unwrap();
    assert!(limit < 1000.0, "{limit}");
    // A run twice as slow passed web-api cleanly and warns against the tightened profile.
    let slow = fixture("compare/slow-2x").display().to_string();
    let (_, before) = check_json([&slow, "--profile", "web-api"]);
    let (_, after) = check_json(args![&slow, "--profile", profile]);
    assert_eq!(before["verdict"], "pass");
    assert_eq!(after["verdict"], "warn", "{:#}", after["checks"]);
}

#[test]
fn nothing_to_tighten_leaves_the_profile_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    // The runs' P95 is around 60 ms: a 70 ms limit leaves less than 20% headroom.
    std::fs::write(&profile, "name = \"p\"\n[thresholds]\np95 = 70\n").unwrap();
    let output = loadgate(args![
        "profiles",
        "suggest",
        fixture("compare/same-1"),
        "--from",
        profile,
    ]);
    let text = stdout(&output);
    assert!(text.contains("the profile stays as it is"), "{text}");
    let no_runs = loadgate(["profiles", "suggest", "--from", "default"]);
    assert_eq!(no_runs.status.code(), Some(2));
}

#[test]
fn check_notes_the_ratchet_when_every_kept_run_beats_the_limits() {
    let store = tempfile::tempdir().unwrap();
    for run in RUNS {
        let output = loadgate(args![
            "baseline",
            "save",
            fixture(run),
            "--name",
            "main",
            "--keep",
            "3",
            "--store",
            store.path(),
        ]);
        assert!(output.status.success());
        let (_, report) = check_json(args![
            fixture("compare/same-1"),
            "--profile",
            "web-api",
            "--baseline",
            "main",
            "--store",
            store.path(),
        ]);
        let ratchet: Vec<_> = report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n.as_str().unwrap().starts_with("ratchet: "))
            .collect();
        let kept = report["baseline"]["runs"].as_u64().unwrap();
        // "For a while": three kept runs.
        assert_eq!(ratchet.len(), usize::from(kept >= 3), "{kept}: {ratchet:?}");
        if let Some(note) = ratchet.first() {
            assert!(note.as_str().unwrap().contains("all 3 kept baseline runs"));
        }
    }
}
