//! Reading the Prometheus text formats back, for the `metrics` and `metrics_contract` modules.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// One sample of the text format, its label values unescaped.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Reads the samples of a text-format file (both formats; comments skipped). A strict reader of
/// the escapes: anything but `\\`, `\"` and `\n` after a backslash fails the test.
pub fn parse_samples(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name_end = line.find(['{', ' ']).unwrap();
        let name = line[..name_end].to_string();
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices();
            let mut label = String::new();
            loop {
                let (i, c) = chars.next().expect("unterminated labels");
                match c {
                    '}' => {
                        rest = &inner[i + 1..];
                        break;
                    }
                    ',' => {}
                    '=' => {
                        assert_eq!(chars.next().unwrap().1, '"', "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().expect("unterminated value").1 {
                                '"' => break,
                                '\\' => match chars.next().unwrap().1 {
                                    '\\' => value.push('\\'),
                                    '"' => value.push('"'),
                                    'n' => value.push('\n'),
                                    other => panic!("bad escape \\{other} in {line}"),
                                },
                                c => value.push(c),
                            }
                        }
                        labels.insert(std::mem::take(&mut label), value);
                    }
                    c => label.push(c),
                }
            }
        }
        let value = rest.split_whitespace().next().unwrap().parse().unwrap();
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

/// A real `loadgate ab` for a few seconds against two bundled targets on free ports of 127.0.0.1,
/// B's twice as slow (`--slowdown 2`), writing `--openmetrics metrics` (and whatever `extra` asks
/// for, e.g. a push); returns the exit code and
/// the JSON report of the same run. The targets are stopped when it returns (and stop by
/// themselves after 60 s whatever happens).
pub fn ab_export(
    dir: &std::path::Path,
    metrics: &std::path::Path,
    extra: &[&str],
) -> (i32, serde_json::Value) {
    // Nothing else that loads the machine beside it: a busier machine than the pairing is tested
    // for.
    let _turn = crate::common::one_load_at_a_time();
    let bin = env!("CARGO_BIN_EXE_loadgate");
    let target = |slowdown: Option<&str>| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut args = vec!["target".to_string(), "-t".into(), "60s".into()];
        args.extend(["--port".into(), port.to_string()]);
        if let Some(factor) = slowdown {
            args.extend(["--slowdown".into(), factor.into()]);
        }
        let mut child = std::process::Command::new(bin)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The target prints its URL once it listens.
        let mut url = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut url,
        )
        .unwrap();
        (child, url.trim().to_string())
    };
    let (mut a, a_url) = target(None);
    let (mut b, b_url) = target(Some("2"));
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ab.toml");
    let prefix = dir.join("ab");
    let out = std::process::Command::new(bin)
        .args(["ab", "--a", &a_url, "--b", &b_url, "-f", scenario])
        .args(["-t", "3s", "-q", "--format", "json", "--csv"])
        .arg(&prefix)
        .arg("--openmetrics")
        .arg(metrics)
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    for child in [&mut a, &mut b] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let code = out.status.code().unwrap();
    assert!(
        code <= 1,
        "ab: exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}
