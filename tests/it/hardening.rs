//! What must hold when things go wrong: a killed save never corrupts a baseline, and an interrupted
//! load test still writes complete CSVs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, fixture, loadgate, stderr};

#[test]
fn a_save_killed_midway_leaves_the_old_baseline_intact() {
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path();
    let save = |run: &str| {
        common::command()
            .args(args![
                "baseline",
                "save",
                fixture(run),
                "--name",
                "main",
                "--keep",
                "100",
                "--store",
                store_arg,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    assert!(save("compare/same-1").wait().unwrap().success());
    let mut rng_state = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..20 {
        let mut child = save("compare/same-2");
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        std::thread::sleep(Duration::from_micros(rng_state % 8_000));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let _ = child.wait();
        let shown = loadgate(args![
            "baseline", "show", "main", "--store", store_arg, "--format", "json"
        ]);
        assert!(shown.status.success(), "round {round}: {}", stderr(&shown));
        let baseline: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        let runs = baseline["runs"].as_array().unwrap();
        assert!(
            !runs.is_empty() && runs[0]["source"].as_str().unwrap().ends_with("same-1"),
            "round {round}"
        );
    }
}

#[test]
fn an_interrupted_run_still_writes_complete_csvs() {
    let mut target = common::command()
        .args(["target", "--run-time", "30s"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(target.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("cut");
    let mut run = common::command()
        .args(args![
            "run",
            "--quiet",
            "--host",
            url.trim(),
            "-u",
            "4",
            "-t",
            "30s",
            "--csv",
            prefix,
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let interrupted_at = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = run.wait().unwrap();
    let _ = target.kill();
    let _ = target.wait();
    assert!(exit.success(), "{exit:?}");
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(3),
        "stops promptly: {:?}",
        interrupted_at.elapsed()
    );
    let check = loadgate(args!["check", prefix, "--format", "json"]);
    assert!(check.status.code().unwrap() < 2, "{}", stderr(&check));
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert!(report["aggregated"]["requests"].as_u64().unwrap() > 0);
    assert!(report["run"]["history_rows"].as_u64().unwrap() >= 2);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
