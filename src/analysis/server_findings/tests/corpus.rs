//! The whole corpus (not in CI: it lives outside the repository).

use super::*;

/// Every run of the corpus at `$LOADGATE_SERVER_CORPUS` (default `../corpus-server` beside the
/// repository), its findings, and the counts of "Done when" in a table on stdout.
#[test]
#[ignore = "reads the corpus made by bench/server_corpus.py outside the repository"]
fn corpus() {
    let root = std::env::var_os("LOADGATE_SERVER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus-server"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("prometheus.json").is_file())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut knees_missing: Vec<String> = Vec::new();
    println!("| run | truth | findings | margins |\n|---|---|---|---|");
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        let found = findings_of(dir);
        let summary: Vec<String> = found.iter().map(summary_of).collect();
        println!(
            "| {name} | {} | {} | {} |",
            info["truth"],
            if summary.is_empty() {
                "none".to_string()
            } else {
                summary.join("; ")
            },
            margins(&read_dump(&dir.join("prometheus.json")), &read_client(dir))
        );
        let group = name.split('-').next().unwrap_or_default().to_string();
        let ok = match group.as_str() {
            "steady" => found.is_empty(),
            "leak" => {
                let truth = info["truth"]["leak_mb_per_min"].as_f64().unwrap();
                found.iter().any(|f| matches!(f, ServerFinding::MemoryGrowth(g)
                    if g.series.contains("job=\"target\"") && (g.slope_mb_per_min - truth).abs() <= 0.25 * truth))
                    && found.iter().all(|f| matches!(f, ServerFinding::MemoryGrowth(_)))
            }
            // A ramp whose throughput never stopped growing has no knee to name a resource at
            // (counted apart below); one with a knee must name it.
            "ramp" => {
                let named = found.iter().any(|f| matches!(f, ServerFinding::Saturation(_)));
                if knee(&read_client(dir)).is_none() {
                    knees_missing.push(name.clone());
                    !named
                } else {
                    named
                }
            }
            "cache" => {
                let server = read_dump(&dir.join("prometheus.json"));
                let delta = |source: &str| {
                    server.iter().find(|s| s.source == source && s.labels.get("job").is_some_and(|j| j == "target"))
                        .and_then(|s| Some(s.points.last()?.1 - s.points.first()?.1))
                };
                if let (Some(hits), Some(all)) = (delta("cache_hits_total"), delta("cache_requests_total")) {
                    println!("|  | hit rate over the window: {:.3} (told {}) |  |  |", hits / all, info["truth"]["hit_rate"]);
                }
                found.is_empty()
            }
            "crash" => found.iter().any(|f| matches!(f, ServerFinding::Restart(r)
                if r.burst.as_ref().is_some_and(|b| (b.from - r.down_at.unwrap_or(f64::NAN)).abs() <= RESTART_TIE_S))),
            "downstream" => kinds(&found) == ["look_downstream"],
            _ => true,
        };
        let entry = counts.entry(group.clone()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(ok);
        if !ok {
            failures.push(name);
        }
    }
    println!("\n| runs | count | as expected |\n|---|--:|--:|");
    for (group, (n, ok)) in &counts {
        println!("| {group} | {n} | {ok} |");
    }
    println!("ramps without a knee (throughput still growing at the top): {knees_missing:?}");
    assert!(failures.is_empty(), "not as expected: {failures:?}");
}

pub(super) fn summary_of(finding: &ServerFinding) -> String {
    match finding {
        ServerFinding::MemoryGrowth(g) => format!(
            "memory {} {:.2} ± {:.2} MB/min (t {:.0}, r² {:.2})",
            g.series,
            g.slope_mb_per_min,
            g.slope_se_mb_per_min,
            g.t.min(1e6),
            g.r2
        ),
        ServerFinding::Saturation(s) => format!(
            "saturation {} at {} users / {:.0} req/s: {:.2} ({:.0}% of {}), r {:.2} lag {} s",
            s.series,
            s.knee.users,
            s.knee.rps,
            s.level,
            s.share * 100.0,
            s.ceiling,
            s.r,
            s.lag_s
        ),
        ServerFinding::Restart(r) => format!(
            "restart {} down {:.1} back {:.1}; burst {}",
            r.series,
            r.down_at.unwrap_or(f64::NAN) % 1000.0,
            r.back_at.unwrap_or(f64::NAN) % 1000.0,
            r.burst.as_ref().map_or("none".to_string(), |b| format!(
                "{} failures {:.0}..{:.0} ({:+.1} s)",
                b.failures,
                b.from % 1000.0,
                b.to % 1000.0,
                b.from - r.down_at.unwrap_or(f64::NAN)
            ))
        ),
        ServerFinding::Throttling(t) => format!(
            "throttling {} {:.0}% (before {:.0}%), r {:.2} lag {} s",
            t.series,
            t.throttled_share * 100.0,
            t.throttled_before * 100.0,
            t.r,
            t.lag_s
        ),
        ServerFinding::LookDownstream(d) => format!(
            "look downstream: {:.0} → {:.0} ms, {} flat series",
            d.rise.before_ms,
            d.rise.after_ms,
            d.resources.len()
        ),
    }
}

/// How near a run came to each threshold: the steepest memory fit at constant load (MB/min, t, r²,
/// second-half share), and mean latency of the last two buckets over the first two.
pub(super) fn margins(server: &[ServerSeries], client: &[Interval]) -> String {
    let mut out = Vec::new();
    if let Some((from, to)) = constant_load_window(client) {
        let mut best: Option<(f64, f64, f64, f64)> = None;
        for s in of_kind(server, Kind::Memory) {
            let points = within(s, from, to);
            let points = longest_continuous(&points, 5.0);
            let Some(fit) = fit_line(points) else {
                continue;
            };
            let half = fit_line(&points[points.len() / 2..]).map_or(0.0, |f| f.slope);
            let slope = fit.slope * 60.0 / MB;
            if best.is_none_or(|b| slope > b.0) {
                best = Some((
                    slope,
                    fit.t,
                    fit.r2,
                    if fit.slope != 0.0 {
                        half / fit.slope
                    } else {
                        0.0
                    },
                ));
            }
        }
        if let Some((slope, t, r2, half)) = best {
            out.push(format!(
                "memory {slope:.2} MB/min t {t:.1} r² {r2:.2} half {half:.2}"
            ));
        }
    }
    let b: Vec<Bucket> = buckets(client)
        .into_iter()
        .filter(|b| b.requests > 0 && b.users > 0)
        .collect();
    let first = b
        .iter()
        .take(2)
        .filter_map(|b| b.latency_ms)
        .fold(f64::INFINITY, f64::min);
    let last: Vec<f64> = b
        .iter()
        .rev()
        .take(2)
        .filter_map(|b| b.latency_ms)
        .collect();
    if let Some(last) = mean(&last) {
        let line: Vec<(f64, f64)> = b
            .iter()
            .filter_map(|b| b.latency_ms.map(|l| (b.end as f64, l)))
            .collect();
        let fit = fit_line(&line);
        out.push(format!(
            "latency {first:.1} → {last:.1} ms (×{:.2}, t {:.1}, r² {:.2})",
            last / first,
            fit.map_or(0.0, |f| f.t),
            fit.map_or(0.0, |f| f.r2)
        ));
    }
    if let Some(rise) = latency_rise(client) {
        out.push(format!("rise {:.0}→{:.0}", rise.before_ms, rise.after_ms));
        let (from, to) = (
            client[0].timestamp as f64,
            client[client.len() - 1].timestamp as f64,
        );
        let third = (to - from) / 3.0;
        for s in server {
            if matches!(kind_of(s), Kind::Cpu | Kind::NodeCpu | Kind::Memory) {
                out.push(format!(
                    "{} {:.3}→{:.3}",
                    s.source,
                    mean_within(s, from, from + third).unwrap_or(f64::NAN),
                    mean_within(s, to - third, to).unwrap_or(f64::NAN)
                ));
            }
        }
    }
    out.join(", ")
}
