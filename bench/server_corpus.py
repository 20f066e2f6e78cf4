#!/usr/bin/env python3
"""Makes the server-metrics corpus: real Locust runs against fixtures/server_target.py while a real
Prometheus scrapes the target and a node exporter every second, and for each run the Locust files
(CSV with full history, JSON) beside a dump of the Prometheus series for the run's window.

    bench/server_corpus.py [--out DIR] [--only PREFIX...] [--list] [--check] [--tsdb DIR]

DIR defaults to ../corpus-server beside the repository. Needs `prometheus` and
`prometheus-node-exporter` (Debian's packages), `locust` 2.x (on PATH, or $LOCUST) and loadgate
($LOADGATE, else target/release or target/debug) for the runs of loadgate's own generator. Everything binds
to 127.0.0.1 on free ports; every run is bounded by Locust's --run-time (at most 85 s). Each run's
directory holds:
  run.json          what was run: the target's knobs, Locust's arguments, the window, the truth
                    (the leak rate the target was told), the machine's load average before and after
  locust_*.csv      Locust's CSVs (--csv-full-history), locust.json (--json-file); the same files
                    from `loadgate run` for the runs named *-lg*
  prometheus.json   one query_range result per query below, for [start - 5 s, end + 5 s], step 1 s
  target.log        the target's stderr
  check.json        with --check: `loadgate check RUN --prometheus URL --format json` (the default
                    profile), run while Prometheus still holds the window; a line per run says its
                    verdict and server findings
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(REPO, "fixtures", "server_target.py")
LOCUSTFILE = os.path.join(REPO, "fixtures", "locustfiles", "server.py")
SCENARIO = os.path.join(REPO, "fixtures", "server_scenario.toml")
LOADGATE = os.environ.get("LOADGATE") or next(
    (p for p in (os.path.join(REPO, "target", k, "loadgate") for k in ("release", "debug"))
     if os.path.exists(p)), "loadgate")

# (name, PromQL, unit): the unit is ServerUnit's name.
QUERIES = [
    ("up", "up", "count"),
    ("process_resident_memory_bytes", "process_resident_memory_bytes", "bytes"),
    ("process_cpu", "rate(process_cpu_seconds_total[5s])", "ratio"),
    ("process_cpu_seconds_total", "process_cpu_seconds_total", "seconds"),
    ("process_start_time_seconds", "process_start_time_seconds", "seconds"),
    ("node_cpu", '1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{mode="idle"}[5s]))', "ratio"),
    ("node_cpus", 'count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})', "count"),
    ("node_memory_available", "node_memory_MemAvailable_bytes", "bytes"),
    ("node_memory_total", "node_memory_MemTotal_bytes", "bytes"),
    ("node_load1", "node_load1", "none"),
    ("cache_hit_rate", "rate(cache_hits_total[10s]) / rate(cache_requests_total[10s])", "ratio"),
    ("cache_hits_total", "cache_hits_total", "count"),
    ("cache_requests_total", "cache_requests_total", "count"),
    ("cpu_throttled",
     "rate(container_cpu_cfs_throttled_periods_total[5s]) / rate(container_cpu_cfs_periods_total[5s])",
     "ratio"),
    ("cpu_quota_cores", "container_spec_cpu_quota / container_spec_cpu_period", "count"),
    ("target_leaked_bytes", "target_leaked_bytes", "bytes"),
]

STEADY = ["--cpu-ms", "3", "--workers", "2"]


def runs():
    """(name, target arguments, user class, users, spawn rate, run time s, truth)."""
    out = []
    for i in range(1, 11):
        out.append((f"steady-{i:02}", STEADY, "MixedUser", 10, 10, 60, {}))
    for rate in (2, 4, 8):
        for tag in "ab":
            out.append((f"leak-{rate}-{tag}", STEADY + ["--leak-mb-per-min", str(rate)], "MixedUser",
                        10, 10, 75, {"leak_mb_per_min": rate}))
    out.append(("ramp-cpu-1", ["--cpu-ms", "20", "--workers", "1"], "WorkUser", 40, 0.5, 85,
                {"cpu_capacity_rps": 50}))
    out.append(("ramp-cpu-2", ["--cpu-ms", "20", "--workers", "2"], "WorkUser", 60, 0.75, 85,
                {"cpu_capacity_rps": 100}))
    out.append(("ramp-quota", ["--cpu-ms", "10", "--workers", "2", "--cpu-quota", "0.5"], "WorkUser",
                40, 0.5, 85, {"cpu_capacity_rps": 50, "cpu_quota_cores": 0.5}))
    # A quota under what a busy machine leaves the target, so that the kernel throttles it.
    out.append(("ramp-quota-02", ["--cpu-ms", "10", "--workers", "2", "--cpu-quota", "0.2"],
                "WorkUser", 40, 0.5, 85, {"cpu_capacity_rps": 20, "cpu_quota_cores": 0.2}))
    for tag in "ab":
        out.append((f"crash-{tag}", STEADY + ["--crash-after", "30"], "MixedUser", 10, 10, 60,
                    {"crash_after_s": 30, "restart_delay_s": 2}))
    # The steady load with twice the CPU per /work request: what a baseline of steady runs must flag
    # as CPU per 1,000 requests.
    out.append(("cpu-heavy", ["--cpu-ms", "6", "--workers", "2"], "MixedUser", 10, 10, 60,
                {"cpu_ms": 6}))
    out.append(("cache-60", STEADY + ["--hit-rate", "0.6"], "CacheUser", 10, 10, 45, {"hit_rate": 0.6}))
    out.append(("cache-05", STEADY + ["--hit-rate", "0.05"], "CacheUser", 10, 10, 45, {"hit_rate": 0.05}))
    # The same steady load and a leak from loadgate's own generator (`loadgate run`).
    for i in range(1, 4):
        out.append((f"steady-lg-{i:02}", STEADY, "loadgate", 10, 10, 60, {}))
    out.append(("leak-4-lg", STEADY + ["--leak-mb-per-min", "4"], "loadgate", 10, 10, 75,
                {"leak_mb_per_min": 4}))
    for tag in "ab":
        out.append((f"downstream-{tag}", STEADY + ["--slow-downstream"], "MixedUser", 10, 10, 60,
                    {"dependency_ms": "5 + 4 a second since the first request"}))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def wait_for(predicate, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit(f"server_corpus: {what} did not come up within {seconds} s")


def query(prom, promql, start=None, end=None):
    if start is None:
        url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    else:
        url = f"{prom}/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": "1"})
    body = get_json(url)
    if body.get("status") != "success":
        sys.exit(f"server_corpus: {promql}: {body}")
    return body["data"]["result"]


def scraped_since(prom, started):
    """Prometheus has scraped the target process started at `started` (not the run before's)."""
    result = query(prom, 'process_start_time_seconds{job="target"}')
    return bool(result) and float(result[0]["value"][1]) >= started - 1


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def start_backends(work, tsdb):
    node_port, prom_port = free_port(), free_port()
    target_port = free_port()
    node = subprocess.Popen(
        ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{node_port}",
         "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo",
         "--collector.loadavg"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: target
    static_configs: [{{targets: ["127.0.0.1:{target_port}"]}}]
  - job_name: node
    static_configs: [{{targets: ["127.0.0.1:{node_port}"]}}]
""")
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--storage.tsdb.retention.time=1d"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
    url = f"http://127.0.0.1:{prom_port}"
    wait_for(lambda: get_json(f"{url}/api/v1/status/buildinfo"), "prometheus")
    return node, prom, url, target_port


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_run(run_dir, name, prom):
    """`loadgate check --prometheus` of the run just made: its verdict and server findings."""
    started = time.time()
    done = subprocess.run([LOADGATE, "check", os.path.join(run_dir, "locust"), "--prometheus", prom,
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    seconds = time.time() - started
    with open(os.path.join(run_dir, "check.json"), "w") as f:
        f.write(done.stdout)
    report = json.loads(done.stdout)
    server = report.get("server") or {}
    kinds = [f["kind"] for f in server.get("findings", [])]
    notes = [n["kind"] for n in server.get("notes", [])]
    print(f"check {name}: exit {done.returncode}, verdict {report['verdict']}, server findings "
          f"{kinds or 'none'}, notes {notes or 'none'}, {seconds:.2f} s", flush=True)


def one_run(out, prom, target_port, spec, locust, check=False):
    name, target_args, user_class, users, rate, run_time, truth = spec
    run_dir = os.path.join(out, name)
    if os.path.isdir(run_dir):
        shutil.rmtree(run_dir)
    os.makedirs(run_dir)
    target_cmd = [sys.executable, TARGET, "--port", str(target_port), *target_args]
    log = open(os.path.join(run_dir, "target.log"), "w")
    # The run before's target has been gone long enough for Prometheus to mark its series stale.
    time.sleep(3)
    launched = time.time()
    target = subprocess.Popen(target_cmd, stdout=log, stderr=log)
    try:
        wait_for(lambda: scraped_since(prom, launched), "the target in Prometheus")
        # The window opens 5 s before the run and rates look 5-10 s back: none may reach the run
        # before's process.
        time.sleep(12)
        load_before = loadavg()
        prefix = os.path.join(run_dir, "locust")
        host = f"http://127.0.0.1:{target_port}"
        if user_class == "loadgate":
            locust_cmd = [LOADGATE, "run", "-f", SCENARIO, "-H", host, "-u", str(users),
                          "-r", str(rate), "-t", f"{run_time}s", "--csv", prefix,
                          "--csv-full-history", "--json-file", prefix, "--quiet"]
        else:
            locust_cmd = [locust, "-f", LOCUSTFILE, user_class, "--headless", "-u", str(users),
                          "-r", str(rate), "-t", f"{run_time}s", "--host", host, "--csv", prefix,
                          "--csv-full-history", "--json-file", prefix, "--only-summary"]
        start = time.time()
        subprocess.run(locust_cmd, stdout=subprocess.DEVNULL,
                       stderr=open(os.path.join(run_dir, "locust.log"), "w"), timeout=run_time + 60)
        end = time.time()
        time.sleep(6)  # the last scrapes of the window land
        load_after = loadavg()
    finally:
        stop(target)
        log.close()
    window = (start - 5, end + 5)
    series = []
    for qname, promql, unit in QUERIES:
        series.append({"name": qname, "query": promql, "unit": unit,
                       "result": query(prom, promql, *window)})
    with open(os.path.join(run_dir, "prometheus.json"), "w") as f:
        json.dump({"window": {"start": window[0], "end": window[1], "step": 1},
                   "series": series}, f)
    with open(os.path.join(run_dir, "run.json"), "w") as f:
        json.dump({"name": name, "target": ["server_target.py", *target_args[:]],
                   "generator": (["loadgate", "run", "-f", "server_scenario.toml"]
                                 if user_class == "loadgate" else
                                 ["locust", "-f", "locustfiles/server.py", user_class, "--headless"])
                   + ["-u", str(users), "-r", str(rate), "-t", f"{run_time}s", "--csv-full-history"],
                   "start": start, "end": end, "truth": truth,
                   "loadavg_before": load_before, "loadavg_after": load_after}, f, indent=1)
    print(f"{name}: {end - start:.0f} s, load {load_before[0]:.1f} -> {load_after[0]:.1f}", flush=True)
    if check:
        check_run(run_dir, name, prom)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(REPO), "corpus-server"))
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--tag", help="append -TAG to every run's name (a second sitting)")
    parser.add_argument("--seconds", type=int, help="cap every run's time (a quick try of the script)")
    parser.add_argument("--tsdb", help="keep Prometheus' data here (default: a temporary directory, "
                        "removed): a later `prometheus --storage.tsdb.path DIR` serves the windows again")
    parser.add_argument("--check", action="store_true",
                        help="after each run, `loadgate check --prometheus` it (check.json)")
    args = parser.parse_args()
    specs = [s for s in runs() if not args.only or any(s[0].startswith(p) for p in args.only)]
    if args.tag:
        specs = [(f"{s[0]}-{args.tag}", *s[1:]) for s in specs]
    if args.seconds:
        specs = [(*s[:5], min(s[5], args.seconds), s[6]) for s in specs]
    if args.list:
        for spec in specs:
            print(spec[0], *spec[1])
        return
    locust = os.environ.get("LOCUST") or shutil.which("locust") or sys.exit("locust not found")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="server-corpus-")
    node = prom = None
    try:
        node, prom, url, target_port = start_backends(work, args.tsdb or os.path.join(work, "tsdb"))
        version = subprocess.run([locust, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"prometheus {url}, target port {target_port}; {version}", flush=True)
        for spec in specs:
            one_run(args.out, url, target_port, spec, locust, args.check)
    finally:
        for process in (prom, node):
            if process:
                stop(process)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
