//! The HTML report in a real browser: headless Chromium (Debian's `chromium`, which `.ci/run`
//! installs) lays the page out, screenshots it in light and dark, and a probe reads the laid-out
//! page: the verdict, the endpoint table and every chart are there, visible and decoded, the
//! page's own style applies under its own Content-Security-Policy, and the browser made no network
//! connection while showing it (every request goes to a local proxy that only records it).
//!
//! Without Chromium the tests are skipped, saying how to install it; under `CI=true` they fail
//! (common::require_tool). `LOADGATE_CHROMIUM` names the browser (default `chromium`). The screenshots stay in `target/tmp/browser/` to be looked at.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{fixture, loadgate, require_tool, stderr, Target};
use serde_json::Value;

/// The browser (`LOADGATE_CHROMIUM`, default `chromium`), or None: the test is skipped, or fails
/// under CI (common::require_tool).
fn chromium() -> Option<PathBuf> {
    let program = std::env::var("LOADGATE_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    require_tool(
        &program,
        "apt-get install chromium (.ci/run does), or name a browser in LOADGATE_CHROMIUM",
    )
}

/// A listener on 127.0.0.1 that the browser must use as its proxy for every request: it counts
/// each request's first line and closes the connection. It stops with the test process.
struct Proxy {
    port: u16,
    /// The first line of each request, for the failure message.
    requests: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let mut buf = [0u8; 1024];
                let n = stream.read(&mut buf).unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]);
                lines
                    .lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or("").to_string());
            }
        });
        Proxy { port, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// The hosts asked for: `CONNECT host:443` and `GET http://host/...` alike.
    fn hosts(&self) -> BTreeSet<String> {
        self.requests()
            .iter()
            .filter_map(|line| line.split_whitespace().nth(1))
            .map(|target| {
                let target = target.strip_prefix("http://").unwrap_or(target);
                let host = target.split('/').next().unwrap_or(target);
                host.rsplit_once(':').map_or(host, |(h, _)| h).to_string()
            })
            .collect()
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next().map(|u| u == "0"))
            .unwrap_or(false)
    })
}

/// Runs the browser headless on `url` with a fresh profile, every request sent to `proxy`
/// (loopback included), and returns its stdout. Killed after a minute.
fn browse(program: &Path, proxy: &Proxy, url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut command = Command::new(program);
    command.args([
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-client-side-phishing-detection",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--no-pings",
        "--metrics-recording-only",
        "--disable-features=NetworkTimeServiceQuerying,PreconnectToSearch,OptimizationHints,\
         Translate,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,\
         CertificateTransparencyComponentUpdater",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
    ]);
    if is_root() {
        command.arg("--no-sandbox");
    }
    command
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--proxy-server=http://127.0.0.1:{}", proxy.port))
        .arg("--proxy-bypass-list=<-loopback>")
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("the browser starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the browser did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Reads the laid-out report from a page beside it that frames it: the report keeps its own
/// policy (no script runs inside it); the probe only measures it from outside.
const PROBE: &str = r#"<!DOCTYPE html><html><body>
<iframe id="f" src="report.html" width="1280" height="12000" scrolling="no"></iframe>
<pre id="result">pending</pre>
<script>
window.addEventListener('load', function () {
  var d = document.getElementById('f').contentDocument, w = d.defaultView;
  function box(el) {
    if (!el) return null;
    var r = el.getBoundingClientRect(), s = w.getComputedStyle(el);
    return {x: r.left, y: r.top + w.scrollY, w: r.width, h: r.height,
            shown: r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'};
  }
  var header = d.querySelector('header.verdict');
  var out = {
    title: d.title,
    height: Math.ceil(d.body.getBoundingClientRect().bottom + w.scrollY + 24),
    verdict: header ? header.querySelector('.badge').textContent : null,
    verdict_box: box(header),
    verdict_border: header ? w.getComputedStyle(header).borderLeftWidth : null,
    table: box(d.querySelector('table.endpoints')),
    rows: Array.prototype.map.call(d.querySelectorAll('table.endpoints tbody tr'),
                                   function (r) { return r.cells[0].textContent; }),
    ab_table: box(d.querySelector('table.ab')),
    ab_rows: Array.prototype.map.call(d.querySelectorAll('table.ab tbody tr'),
                                      function (r) { return r.cells[0].textContent; }),
    scripts: d.scripts.length,
    images: Array.prototype.map.call(d.images, function (i) {
      return {alt: i.alt, complete: i.complete, natural: i.naturalWidth, box: box(i)};
    })
  };
  document.getElementById('result').textContent = JSON.stringify(out);
});
</script></body></html>"#;

fn probe(program: &Path, proxy: &Proxy, dir: &Path) -> Value {
    let probe = dir.join("probe.html");
    std::fs::write(&probe, PROBE).unwrap();
    let dom = browse(
        program,
        proxy,
        &file_url(&probe),
        &["--virtual-time-budget=5000".into(), "--dump-dom".into()],
    );
    let start = dom.find("<pre id=\"result\">").expect("the probe's result") + 17;
    let text = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `target/tmp/browser/{name}-light.png` (or `-dark`) of the page at `height` px.
fn screenshot(
    program: &Path,
    proxy: &Proxy,
    (page, name): (&Path, &str),
    height: u64,
    dark: bool,
) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join(format!(
        "{name}-{}.png",
        if dark { "dark" } else { "light" }
    ));
    let _ = std::fs::remove_file(&shot);
    let mut extra = vec![
        format!("--window-size=1280,{height}"),
        format!("--screenshot={}", shot.display()),
    ];
    if dark {
        extra.push("--force-dark-mode".into());
    }
    browse(program, proxy, &file_url(page), &extra);
    assert!(shot.exists(), "no screenshot");
    shot
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// The share of a region's pixels for which `pick` holds.
fn share(img: &image::RgbImage, b: &Value, pick: impl Fn([u8; 3]) -> bool) -> f64 {
    let (x0, y0) = (num(b, "x") as u32, num(b, "y") as u32);
    let (w, h) = (num(b, "w") as u32, num(b, "h") as u32);
    let mut hits = 0u64;
    for y in y0..(y0 + h).min(img.height()) {
        for x in x0..(x0 + w).min(img.width()) {
            hits += u64::from(pick(img.get_pixel(x, y).0));
        }
    }
    hits as f64 / (u64::from(w) * u64::from(h)).max(1) as f64
}

/// A saturated colour: a chart's line or bar, never its white ground or grey grid.
fn colourful([r, g, b]: [u8; 3]) -> bool {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    max - min > 60
}

#[test]
fn the_report_renders_in_chromium_with_every_chart_and_no_network() {
    let Some(program) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let output = loadgate(args![
        "check",
        fixture("hostile/slow"),
        "--baseline",
        fixture("hostile/base"),
        "--html",
        page,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    // The proxy does see a page that fetches: what it counts means something.
    let proxy = Proxy::start();
    let fetching = dir.path().join("fetching.html");
    std::fs::write(&fetching, "<img src=\"http://192.0.2.1/x.png\">").unwrap();
    let dump = [
        "--virtual-time-budget=5000".to_string(),
        "--dump-dom".into(),
    ];
    browse(&program, &proxy, &file_url(&fetching), &dump);
    assert!(
        proxy.hosts().contains("192.0.2.1"),
        "the counting proxy missed a fetch: {:?}",
        proxy.requests()
    );
    let proxy = Proxy::start();
    let laid_out = probe(&program, &proxy, dir.path());
    assert_eq!(laid_out["title"], "loadgate check: FAIL");
    assert_eq!(laid_out["verdict"], "FAIL");
    assert_eq!(laid_out["verdict_box"]["shown"], true);
    let verdict_y = num(&laid_out["verdict_box"], "y");
    assert!(verdict_y < 50.0, "the verdict is first: at {verdict_y}");
    assert!(verdict_y < num(&laid_out["table"], "y"));
    // The style applied: the browser accepted the policy's hash of it.
    assert_eq!(laid_out["verdict_border"], "9px");
    assert_eq!(laid_out["scripts"], 0);
    assert_eq!(laid_out["table"]["shown"], true);
    let rows: Vec<&str> = laid_out["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(
        rows.contains(&"GET <script>alert(\"name\")</script>"),
        "{rows:?}"
    );
    assert!(rows.contains(&"GET </style><b>bold</b>"), "{rows:?}");
    let images = laid_out["images"].as_array().unwrap();
    assert_eq!(images.len(), 5, "{images:?}");
    for img in images {
        assert_eq!(img["complete"], true, "{img}");
        assert_eq!(img["natural"], 1280, "not decoded: {img}");
        assert_eq!(img["box"]["shown"], true, "{img}");
        assert!(num(&img["box"], "w") >= 400.0, "too small to read: {img}");
    }

    let height = num(&laid_out, "height") as u64;
    for dark in [false, true] {
        let shot = screenshot(&program, &proxy, (&page, "check"), height, dark);
        let img = image::open(&shot).unwrap().to_rgb8();
        assert_eq!(img.width(), 1280);
        // The verdict's box carries its colour: red-tinted ground in light, dark red in dark.
        let tinted = share(&img, &laid_out["verdict_box"], |[r, g, b]| {
            r > g.saturating_add(15) && r > b.saturating_add(15)
        });
        assert!(
            tinted > 0.5,
            "verdict box {tinted} tinted ({})",
            shot.display()
        );
        for chart in images {
            let b = &chart["box"];
            let white = share(&img, b, |p| p == [255, 255, 255]);
            let colour = share(&img, b, colourful);
            assert!(
                white > 0.25,
                "{} not drawn ({white} white) in {}",
                chart["alt"],
                shot.display()
            );
            assert!(colour > 0.002, "{} has no series ({colour})", chart["alt"]);
        }
        let ground = if dark { [13, 17, 23] } else { [255, 255, 255] };
        let page_box = serde_json::json!({"x": 0, "y": 0, "w": 1280, "h": height});
        assert!(
            share(&img, &page_box, |p| p != ground) > 0.02,
            "a blank page"
        );
    }
    // Chromium talks to Google on its own (network time, sign-in, push, search preconnects), and
    // no flag turns all of it off in Chromium 148. The page never names Google, so a request there
    // cannot be the page's: every other request would be.
    assert!(!std::fs::read_to_string(&page).unwrap().contains("google"));
    let page_requests = page_requests(&proxy);
    assert!(
        page_requests.is_empty(),
        "the report made network requests to {page_requests:?}: {:?}",
        proxy.requests()
    );
}

/// The hosts the proxy saw, less Chromium's own talk to Google (see the check page's test).
fn page_requests(proxy: &Proxy) -> Vec<String> {
    let own = |host: &String| {
        ["google.com", "googleapis.com", "gvt1.com", "gstatic.com"]
            .iter()
            .any(|d| host == d || host.ends_with(&format!(".{d}")))
    };
    proxy.hosts().into_iter().filter(|h| !own(h)).collect()
}

/// `loadgate ab --html` (3 s against two bundled targets, B twice as slow, an endpoint named with
/// markup) in Chromium: the A/B table laid out above the run's own, its rows as text, the two A/B
/// charts and the run's three decoded and drawn, in light and dark.
#[test]
fn the_ab_report_renders_b_against_a_first_with_its_charts() {
    let Some(program) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let scenario = dir.path().join("ab.toml");
    std::fs::write(
        &scenario,
        "[load]\nusers = 8\n\n\
         [[task]]\nname = \"<script>alert(1)</script>\"\npath = \"/fast\"\n\n\
         [[task]]\npath = \"/slow\"\n",
    )
    .unwrap();
    let (a, b) = (Target::start(), Target::start_with(&["--slowdown", "2"]));
    let output = loadgate(args![
        "ab",
        "--a",
        &a.url,
        "--b",
        &b.url,
        "-f",
        scenario,
        "-t",
        "3s",
        "-q",
        "--csv",
        dir.path().join("run"),
        "--html",
        page,
    ]);
    drop((a, b));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let proxy = Proxy::start();
    let laid_out = probe(&program, &proxy, dir.path());
    assert_eq!(laid_out["title"], "loadgate ab: FAIL");
    assert_eq!(laid_out["verdict_border"], "9px", "the style applied");
    assert_eq!(laid_out["scripts"], 0);
    assert_eq!(laid_out["ab_table"]["shown"], true);
    let ab_y = num(&laid_out["ab_table"], "y");
    assert!(num(&laid_out["verdict_box"], "y") < ab_y);
    assert!(ab_y < num(&laid_out["table"], "y"), "A/B before the run");
    let rows = laid_out["ab_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3 * 5, "{rows:?}");
    assert!(rows.iter().any(|r| r == "GET <script>alert(1)</script>"));
    let images = laid_out["images"].as_array().unwrap();
    assert_eq!(images.len(), 5, "{images:?}");
    assert_eq!(
        images[0]["alt"], "A and B response times over time",
        "the A/B charts first"
    );
    for img in images {
        assert_eq!(img["natural"], 1280, "not decoded: {img}");
        assert_eq!(img["box"]["shown"], true, "{img}");
    }
    let height = num(&laid_out, "height") as u64;
    for dark in [false, true] {
        let shot = screenshot(&program, &proxy, (&page, "ab"), height, dark);
        let img = image::open(&shot).unwrap().to_rgb8();
        for chart in images {
            let colour = share(&img, &chart["box"], colourful);
            assert!(colour > 0.002, "{} has no series ({colour})", chart["alt"]);
        }
    }
    assert!(!std::fs::read_to_string(&page).unwrap().contains("google"));
    let requests = page_requests(&proxy);
    assert!(requests.is_empty(), "the A/B report fetched {requests:?}");
}
