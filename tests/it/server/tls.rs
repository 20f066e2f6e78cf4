//! A real Prometheus behind TLS and basic auth, read with a CA file.

use super::*;

/// PEM of a DER certificate or PKCS#8 key.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = loadgate::base64::standard(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn a_real_prometheus_behind_tls_and_basic_auth_is_read_with_a_ca_file() {
    let Some(prometheus_bin) = tool("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem("CERTIFICATE", certified.cert.der())).unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(
        &key,
        pem("PRIVATE KEY", &certified.signing_key.serialize_der()),
    )
    .unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  user: '{PASSWORD_BCRYPT}'\n",
            ca.display(),
            key.display()
        ),
    )
    .unwrap();
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n- job_name: self\n  scheme: https\n  \
             tls_config:\n    ca_file: {}\n  basic_auth:\n    username: user\n    password: {PASSWORD}\n  \
             static_configs:\n  - targets: ['127.0.0.1:{port}']\n",
            ca.display()
        ),
    )
    .unwrap();
    let _prometheus = start_server(
        &prometheus_bin,
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            format!("--web.config.file={}", web.display()),
        ],
        port,
        ("/-/ready", true),
        dir.path().join("prometheus.log"),
    );
    let url = format!("https://127.0.0.1:{port}");
    let run = fixture("compare/same-1");
    let run = run.to_str().unwrap();
    let profile = write_profile(
        dir.path(),
        "[[server]]\nname = \"self up\"\nquery = 'max(up{job=\"self\"})'\nfloor = true\nlimit = 1\n",
    );
    let basic = [
        ("LOADGATE_PROMETHEUS_BEARER_TOKEN", ""),
        ("LOADGATE_PROMETHEUS_USERNAME", "user"),
        ("LOADGATE_PROMETHEUS_PASSWORD", PASSWORD),
    ];
    let args = |extra: &[&str]| -> Vec<String> {
        let now = chrono::Utc::now().timestamp();
        let (from, to) = ((now - 30).to_string(), now.to_string());
        let mut all: Vec<String> = [
            run,
            "--prometheus",
            &url,
            "-p",
            &profile,
            "--from",
            &from,
            "--to",
            &to,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        all.extend(extra.iter().map(|s| s.to_string()));
        all
    };
    // Until Prometheus has scraped itself a few times (over TLS, with the password), `up` is young.
    let with_ca = [
        &basic[..],
        &[("LOADGATE_PROMETHEUS_CA_FILE", ca.to_str().unwrap())][..],
    ]
    .concat();
    let deadline = Instant::now() + Duration::from_secs(30);
    let json = loop {
        let a = args(&[]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, json) = server_json(&a, &with_ca);
        // Until a rate has two samples inside its window, process_cpu is empty (a note).
        if json["presets"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["preset"] == "up"))
            && rule(&json, "self up")["status"] == "pass"
            && json["notes"].as_array().unwrap().is_empty()
        {
            assert_eq!(code, 0);
            break json;
        }
        assert!(Instant::now() < deadline, "{json:#}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(json["notes"].as_array().unwrap().len(), 0, "{json:#}");
    assert!(json["presets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["preset"] == "process_memory"));

    // Without the CA file the self-signed certificate is not trusted: unreachable, said why.
    let a = args(&[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, json) = server_json(&a, &basic);
    assert_eq!(code, 0);
    let unreachable = notes_of(&json, "unreachable");
    assert!(
        unreachable[0]["message"]
            .as_str()
            .unwrap()
            .contains("TLS handshake"),
        "{json:#}"
    );

    // A wrong password: Prometheus' 401, a hint, and neither password shown.
    let wrong = [
        ("LOADGATE_PROMETHEUS_BEARER_TOKEN", ""),
        ("LOADGATE_PROMETHEUS_USERNAME", "user"),
        ("LOADGATE_PROMETHEUS_PASSWORD", "lg-secret-wrong-password"),
        ("LOADGATE_PROMETHEUS_CA_FILE", ca.to_str().unwrap()),
    ];
    let (code, out, err) = server(&[&a[..], &["--format", "json"][..]].concat(), &wrong);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("lg-secret-wrong-password") && !err.contains("lg-secret-wrong-password"));
    let json: Value = serde_json::from_str(&out).unwrap();
    let http = notes_of(&json, "http");
    assert!(
        http[0]["message"].as_str().unwrap().contains("HTTP 401"),
        "{json:#}"
    );
    let (code, _, err) = server(
        &[&a[..], &["--require-server-metrics"][..]].concat(),
        &wrong,
    );
    assert_eq!(code, 2, "{err}");
}
