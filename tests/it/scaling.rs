//! A folder of runs at several user counts (fixtures/scaling: real Locust runs at 5 to 160 users):
//! `check DIR` judges each run and reads them as one scaling series.

use crate::common::{check_json, fixture, loadgate, stdout};

#[test]
fn a_folder_of_runs_at_several_user_counts_is_a_scaling_series() {
    let dir = fixture("scaling");
    let (code, set) = check_json(args![dir]);
    let reports = set["reports"].as_array().unwrap();
    assert!(reports.len() >= 4, "every run is judged: {}", reports.len());
    assert_eq!(code, if set["verdict"] == "fail" { 1 } else { 0 });
    let scaling = &set["scaling"];
    let steps = scaling["steps"].as_array().unwrap();
    assert_eq!(steps.len(), reports.len());
    let users: Vec<u64> = steps.iter().map(|s| s["users"].as_u64().unwrap()).collect();
    assert!(users.windows(2).all(|w| w[0] < w[1]), "by users: {users:?}");
    // Efficiency is throughput per user against the smallest run, as the runs' own figures give it.
    let per_user = steps[0]["rps"].as_f64().unwrap() / users[0] as f64;
    for s in steps {
        let expected = s["rps"].as_f64().unwrap() / s["users"].as_f64().unwrap() / per_user;
        assert!(
            (s["efficiency"].as_f64().unwrap() - expected).abs() < 1e-9,
            "{s:#}"
        );
    }
    // This target sleeps for most of each request: up to 40 users it scales about linearly.
    for s in steps.iter().filter(|s| s["users"].as_u64().unwrap() <= 40) {
        let e = s["efficiency"].as_f64().unwrap();
        assert!((0.8..1.25).contains(&e), "{s:#}");
    }
    // It stops scaling at the first run under 80% efficiency or at twice the first run's median.
    let first_p50 = steps[0]["p50"].as_f64().unwrap();
    let saturated = steps
        .iter()
        .find(|s| {
            s["efficiency"].as_f64().unwrap() < 0.8 || s["p50"].as_f64().unwrap() >= 2.0 * first_p50
        })
        .map(|s| s["users"].clone());
    assert_eq!(
        scaling["saturated_at_users"],
        saturated.clone().unwrap_or_default()
    );
    assert!(saturated.is_some(), "160 users on two cores: {scaling:#}");
    let passing = steps
        .iter()
        .rev()
        .find(|s| s["verdict"] != "fail")
        .map(|s| s["users"].clone());
    assert_eq!(scaling["max_passing_users"], passing.unwrap_or_default());
    assert!(scaling["reason"]
        .as_str()
        .unwrap()
        .contains("runs from 5 to"));
}

#[test]
fn the_table_and_the_markdown_show_the_series() {
    let dir = fixture("scaling");
    let md = tempfile::tempdir().unwrap();
    let md = md.path().join("s.md");
    let output = loadgate(args!["check", dir, "--markdown", md,]);
    let text = stdout(&output);
    assert!(
        text.contains("Scaling: ") && text.contains("per user"),
        "{text}"
    );
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("### Scaling"), "{markdown}");
}

#[test]
fn fewer_than_three_user_counts_are_no_series() {
    let (_, set) = check_json(args![
        fixture("scaling/users-5"),
        fixture("scaling/users-10"),
    ]);
    assert!(set.get("scaling").is_none(), "{set:#}");
}
