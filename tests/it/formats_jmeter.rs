//! JMeter's JTL as runs: real JMeter 2.13 runs (fixtures/jmeter, made by fixtures/jmeter/make.sh
//! against target_server.py) and the JTLs other projects committed (../shared/wild2, in place).
//! The counting rule (docs/input-formats.md): transaction rows are endpoints of their own (`TXN`)
//! outside the aggregate, sub-results count in their parent, empty transactions are left out.

use std::io::Read;

use crate::common::{loadgate, shared};
use serde_json::Value;

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/jmeter/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// A file of ../shared/wild2, read in place (common::shared: skipped without the corpus, a
/// failure under CI).
fn wild2(rel: &str) -> Option<String> {
    shared(format!("wild2/{rel}")).map(|p| p.to_string_lossy().into_owned())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `check --format json`: the exit code and the reports (one per run).
fn reports(path: &str) -> (i32, Vec<Value>) {
    let out = loadgate(["check", "--format", "json", path]);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&out.stdout), text(&out.stderr)));
    let reports = match json.get("reports") {
        Some(all) => all.as_array().unwrap().clone(),
        None => vec![json],
    };
    (out.status.code().unwrap(), reports)
}

fn one(path: &str) -> Value {
    let (code, mut reports) = reports(path);
    assert_ne!(code, 2, "{path}");
    assert_eq!(reports.len(), 1, "{path}");
    reports.remove(0)
}

const TRANSACTION: &str = "Number of samples in transaction";

/// The rows of a JTL CSV with a header, read with the csv crate: (sampler rows, their failures,
/// transaction rows).
fn count_csv(path: &str, delimiter: u8) -> (u64, u64, u64) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(path)
        .unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (message, success) = (col("responseMessage"), col("success"));
    let (mut samplers, mut failed, mut transactions) = (0, 0, 0);
    for row in reader.records() {
        let row = row.unwrap();
        if row[message].starts_with(TRANSACTION) {
            transactions += 1;
        } else {
            samplers += 1;
            failed += u64::from(&row[success] == "false");
        }
    }
    (samplers, failed, transactions)
}

/// JMeter's own total for the run: the summariser's last `summary = N` line (its running total
/// of every sample it wrote).
fn summariser_total(run: &str) -> u64 {
    let out = std::fs::read_to_string(fixture(&format!("{run}.stdout.txt"))).unwrap();
    let line = out
        .lines()
        .rfind(|l| l.starts_with("summary ="))
        .expect("a summary line");
    line["summary =".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn gunzip(path: &str) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn a_csv_counts_its_sampler_rows_and_lists_transactions_apart() {
    for (run, delimiter) in [("base-1", b','), ("tab-dates", b'\t')] {
        let path = fixture(&format!("{run}.jtl"));
        let (samplers, failed, transactions) = count_csv(&path, delimiter);
        assert_eq!(samplers + transactions, summariser_total(run), "{run}");
        let report = one(&path);
        assert_eq!(report["run"]["format"], "jmeter");
        assert_eq!(report["aggregated"]["requests"], samplers, "{run}");
        assert_eq!(report["aggregated"]["failures"], failed, "{run}");
        let browse = report["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["method"] == "TXN" && e["name"] == "browse")
            .expect("the browse transaction");
        assert!(browse["requests"].as_u64().unwrap() > 100);
        let notes = report["notes"].to_string();
        assert!(notes.contains("not counted in the aggregate"), "{notes}");
        if run == "tab-dates" {
            assert!(notes.contains("tab-delimited"), "{notes}");
            assert!(notes.contains("read as UTC"), "{notes}");
            assert!(report["run"]["started_at"]
                .as_str()
                .unwrap()
                .starts_with("2026-12-06T"));
        }
    }
}

#[test]
fn a_file_without_a_header_reads_as_the_one_with_it() {
    let with = one(&fixture("base-1.jtl"));
    let without = one(&fixture("base-1.noheader.jtl"));
    assert!(without["notes"].to_string().contains("without a header"));
    for field in ["requests", "failures", "p50", "p95", "p99", "avg", "max"] {
        assert_eq!(
            with["aggregated"][field], without["aggregated"][field],
            "{field}"
        );
    }
    assert_eq!(with["endpoints"], without["endpoints"]);
}

#[test]
fn xml_counts_samplers_inside_transactions_and_folds_sub_results() {
    let path = fixture("base-1.xml.gz");
    let xml = gunzip(&path);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let is_sample = |n: &roxmltree::Node| {
        n.is_element() && matches!(n.tag_name().name(), "httpSample" | "sample")
    };
    let is_transaction = |n: &roxmltree::Node| {
        n.attribute("rm")
            .is_some_and(|m| m.starts_with(TRANSACTION))
    };
    // Samplers: at the top, or directly inside a transaction; anything inside a sampler is a
    // sub-result.
    let (mut samplers, mut failed, mut sub_results) = (0u64, 0u64, 0u64);
    let mut stack: Vec<roxmltree::Node> = doc.root_element().children().filter(is_sample).collect();
    while let Some(node) = stack.pop() {
        if is_transaction(&node) {
            stack.extend(node.children().filter(is_sample));
        } else {
            samplers += 1;
            failed += u64::from(node.attribute("s") == Some("false"));
            sub_results += node
                .descendants()
                .filter(|d| *d != node && is_sample(d))
                .count() as u64;
        }
    }
    assert!(sub_results > 0, "the redirects' hops");
    let report = one(&path);
    assert_eq!(report["aggregated"]["requests"], samplers);
    assert_eq!(report["aggregated"]["failures"], failed);
    assert!(report["notes"]
        .to_string()
        .contains(&format!("{sub_results} sub-result(s)")));
    // The CSV of the same run lacks the browse transaction's samplers (JMeter 2.13 writes them
    // to XML only) and says so; what it has agrees.
    let csv = one(&fixture("base-1.jtl"));
    assert!(csv["notes"].to_string().contains("XML only"));
    assert_eq!(
        csv["aggregated"]["failures"],
        report["aggregated"]["failures"]
    );
    for endpoint in csv["endpoints"].as_array().unwrap() {
        let same = report["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["method"] == endpoint["method"] && e["name"] == endpoint["name"])
            .unwrap_or_else(|| panic!("{endpoint} is in the XML too"));
        for field in ["requests", "failures", "p50", "p95", "max"] {
            assert_eq!(same[field], endpoint[field], "{} {field}", endpoint["name"]);
        }
    }
}

#[test]
fn a_two_times_slower_build_fails_naming_the_endpoint_and_an_unchanged_one_passes() {
    for (ext, endpoint) in [("xml.gz", "✗ /slow "), ("jtl", "✗ TXN browse ")] {
        let base = fixture(&format!("base-1.{ext}"));
        let same = loadgate(["compare", &base, &fixture(&format!("base-2.{ext}"))]);
        assert_eq!(same.status.code(), Some(0), "{ext}: {}", text(&same.stdout));
        let slow = loadgate(["compare", &base, &fixture(&format!("slow-2x.{ext}"))]);
        assert_eq!(slow.status.code(), Some(1), "{ext}: {}", text(&slow.stdout));
        assert!(
            text(&slow.stdout).contains(endpoint),
            "{ext}: {}",
            text(&slow.stdout)
        );
    }
}

#[test]
fn damaged_jtls_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let header = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,bytes,grpThreads,allThreads,Latency\n";
    let good = "1796560671081,24,/fast,200,OK,Users 1-2,text,true,142,5,5,24\n";
    let cases = [
        (
            "elapsed.jtl",
            format!("{header}{good}1796560671181,fast,/fast,200,OK,Users 1-2,text,true,142,5,5,24\n{good}"),
            "elapsed.jtl:3:2: column 'elapsed'",
        ),
        (
            "short.jtl",
            format!("{header}{good}1796560671181,24,/fast,200\n{good}"),
            "short.jtl:3: 4 fields where the header has 12",
        ),
        (
            "success.jtl",
            format!("{header}{good}1796560671181,24,/fast,200,OK,Users 1-2,text,maybe,142,5,5,24\n"),
            "success.jtl:3:8: column 'success'",
        ),
        (
            "bad.xml",
            "<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">\n<httpSample t=\"12\" ts=\"1\" s=\"true\" lb=\"a\"/>\n<httpSample t=\"x\" ts=\"2\" s=\"true\" lb=\"a\"/>\n</testResults>\n".to_string(),
            "bad.xml:4:1: <httpSample> t=\"x\" is not a time in milliseconds",
        ),
        (
            "cut.xml",
            "<?xml version=\"1.0\"?>\n<testResults version=\"1.2\">\n<httpSample t=\"12\" ts=\"1\" s=\"true\" lb=\"a\"/>\n<httpSample t=\"12\" ts=\"2\" s=\"tr".to_string(),
            "cut.xml:4:32: the file ends inside a sample",
        ),
    ];
    for (name, body, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let out = loadgate(["check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = text(&out.stderr);
        assert!(err.contains(expected), "{name}: {err}");
    }
}

/// Every JTL of ../shared/wild2, counted by the rule: (file, requests per run, failures per run).
#[test]
fn jtls_other_projects_committed() {
    let cases: [(&str, &[u64], &[u64]); 10] = [
        // 2500 HTTP samples (all failed) and 2500 Debug Sampler samples.
        (
            "amisha__xml-failures-debugsampler/results.jtl",
            &[5000],
            &[2500],
        ),
        // 558 HTTP rows, the last cut short; 568 transaction rows (30 of them empty).
        ("defra__rcr-dates-txn-truncated/result.jtl", &[557], &[192]),
        // 13000 rows of which 6000 redirect sub-results.
        ("demoblaze__redirect-subresults/result.jtl", &[7000], &[0]),
        ("ehrbase__large-quoted-labels/result.jtl", &[22005], &[0]),
        // Runs appended 35 hours apart; 335 never-started samples (timeStamp 0) in the first.
        (
            "floodio__var-column-zero-ts/jmeter.jtl",
            &[1221, 5],
            &[349, 0],
        ),
        // 6086 rows = 3039 transaction rows + 3047 samples (recorder labels like /login.php-4
        // are samples, not sub-results).
        ("pandas__crlf-txn-recorder-labels/result.jtl", &[3047], &[6]),
        (
            "rodculpfc__jmeter2-columns-nonhttp/results.jtl",
            &[1786],
            &[185],
        ),
        // No header; two runs 60 days apart.
        (
            "sct__noheader-crlf-appended-runs/results.jtl",
            &[3, 18415],
            &[2, 0],
        ),
        ("ssun86__tab-delimited/report.jtl", &[2500], &[0]),
        // 25 transactions around 110 samplers, 320 nested sub-results.
        (
            "taurusrepo__xml-txn-nested-subresults/result.jtl",
            &[110],
            &[1],
        ),
    ];
    for (rel, requests, failures) in cases {
        let Some(path) = wild2(rel) else { return };
        let (code, reports) = reports(&path);
        assert_ne!(code, 2, "{rel}");
        let got: Vec<(u64, u64)> = reports
            .iter()
            .map(|r| {
                (
                    r["aggregated"]["requests"].as_u64().unwrap(),
                    r["aggregated"]["failures"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(u64, u64)> = requests
            .iter()
            .copied()
            .zip(failures.iter().copied())
            .collect();
        assert_eq!(got, want, "{rel}");
    }
    // Without a header, 13 fields are no default column set: said, not guessed.
    let Some(path) = wild2("misos__noheader-no-timestamp/report.jtl") else {
        return;
    };
    let out = loadgate(["check", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("report.jtl:1: a JMeter JTL without a header, of 13 fields"),
        "{err}"
    );
}

/// `--merge` of JTLs from several machines pools their samples: counts add up exactly, and a
/// file of another tool is refused.
#[test]
fn merged_jtls_are_one_run_of_all_their_samples() {
    let (a, b) = (fixture("base-1.jtl"), fixture("base-2.jtl"));
    let out = loadgate(["check", "--merge", "--format", "json", &a, &b]);
    assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (ra, rb) = (one(&a), one(&b));
    for field in ["requests", "failures"] {
        assert_eq!(
            merged["aggregated"][field].as_u64().unwrap(),
            ra["aggregated"][field].as_u64().unwrap() + rb["aggregated"][field].as_u64().unwrap(),
            "{field}"
        );
    }
    let k6 = format!("{}/fixtures/k6/base-1.json.gz", env!("CARGO_MANIFEST_DIR"));
    let out = loadgate(["check", "--merge", &a, &k6]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("one test's files come from one tool"));
}
