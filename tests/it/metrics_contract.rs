//! The metrics are a public interface, like the JSON report: every metric and label that any
//! export writes is documented in docs/metrics.md, and every family the exporter knows is too.

use std::collections::BTreeSet;

use crate::common::{command, fixture, stderr};
use crate::text_format::{self, parse_samples};
use loadgate::report::openmetrics::ALL;

fn documented() -> String {
    std::fs::read_to_string(fixture("../docs/metrics.md")).unwrap()
}

fn arg(rel: &str) -> String {
    fixture(rel).to_str().unwrap().to_string()
}

#[test]
fn every_metric_and_label_written_is_documented() {
    let dir = tempfile::tempdir().unwrap();
    let server_profile = dir.path().join("server.toml");
    std::fs::write(
        &server_profile,
        "name = \"server\"\n[[server]]\nname = \"api memory\"\nquery = 'process_resident_memory_bytes'\nunit = \"bytes\"\nlimit = 5e8\n",
    )
    .unwrap();
    let runs: Vec<Vec<String>> = vec![
        vec![
            "check".into(),
            arg("metrics/hostile"),
            "--openmetrics-history".into(),
        ],
        vec!["check".into(), arg("ramp/ramp"), arg("locust2-full/full")],
        vec![
            "check".into(),
            arg("compare/slow-2x"),
            "--baseline".into(),
            arg("compare/same-1"),
        ],
        vec![
            "compare".into(),
            arg("compare/same-1"),
            arg("compare/slow-1.4x"),
        ],
        vec!["history".into(), arg("compare")],
        // A backend that is not there: the server rule's limit and status, and what was not read.
        vec![
            "check".into(),
            arg("locust2/basic"),
            "-p".into(),
            server_profile.to_str().unwrap().to_string(),
            "--prometheus".into(),
            format!("http://127.0.0.1:{}", crate::common::free_port()),
        ],
    ];
    let (mut metrics, mut labels) = (BTreeSet::new(), BTreeSet::new());
    for (i, args) in runs.iter().enumerate() {
        let file = dir.path().join(format!("{i}.om"));
        let out = command()
            .args(args)
            .args(args!["--openmetrics", file])
            .output()
            .expect("the binary runs");
        assert!(
            out.status.code().unwrap() <= 1,
            "{args:?}: {}",
            stderr(&out)
        );
        for sample in parse_samples(&std::fs::read_to_string(&file).unwrap()) {
            metrics.insert(sample.name);
            labels.extend(sample.labels.into_keys());
        }
    }
    // `ab` against two real targets: the A/B families.
    let file = dir.path().join("ab.om");
    text_format::ab_export(dir.path(), &file, &[]);
    for sample in parse_samples(&std::fs::read_to_string(&file).unwrap()) {
        metrics.insert(sample.name);
        labels.extend(sample.labels.into_keys());
    }
    // What the Pushgateway adds to every pushed sample.
    labels.extend(["job", "instance", "archive"].map(String::from));
    let doc = documented();
    let undocumented: Vec<&String> = metrics
        .iter()
        .chain(&labels)
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/metrics.md: {undocumented:?}"
    );
    // Every family the exporter knows was written by one of these runs; a server rule's value
    // needs a real backend: tests/it/server/gate.rs reads it from a real Prometheus, and
    // tests/it/server/baseline.rs the server's figures against a baseline.
    let needs_a_backend = [
        "loadgate_server_rule_value",
        "loadgate_server_figure_change",
        "loadgate_server_figure_status",
    ];
    let known: BTreeSet<String> = ALL
        .iter()
        .map(|spec| spec.sample_name())
        .filter(|name| !needs_a_backend.contains(&name.as_str()))
        .collect();
    assert_eq!(known, metrics);
}

#[test]
fn every_documented_metric_is_one_the_exporter_knows() {
    let doc = documented();
    let known: BTreeSet<String> = ALL.iter().map(|spec| spec.sample_name()).collect();
    let named: BTreeSet<String> = doc
        .split('`')
        .filter(|w| {
            w.len() > "loadgate_".len()
                && w.starts_with("loadgate_")
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(String::from)
        .collect();
    let unknown: Vec<&String> = named.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "docs/metrics.md names metrics nothing writes: {unknown:?}"
    );
}
