#!/usr/bin/env python3
"""Fail rates of `loadgate compare` over a corpus of real runs of one build and of slowed builds.

usage: LG=target/release/loadgate bench/noise_rates.py CORPUS {csv|json|jsononly} [OUT.json]
       LG=… bench/noise_rates.py CORPUS {csv|json|jsononly} --rolling

CORPUS holds `manifest.csv` (or, as fixtures/noise, runs named KIND-CONDITION-ID) with the columns `run_id`, `prefix` (relative to CORPUS: the run's
`--csv` and `--json-file` name), `slowdown` (1.0 = the unchanged build), `start_time_utc` and
`locust_rc`. `csv` compares the CSV sets, `json` the `PREFIX.json` files (with the history and
failures CSVs beside them), `jsononly` copies of the JSON files alone. Same build: every pair of
F = 1 runs, the earlier as baseline; each slowdown: every F = 1 run against every run at it.
Exit 1 counts as a fail. With --rolling: 12 seeded draws of 5 F = 1 runs saved in time order as
one rolling baseline (`baseline save --keep 5`), then `check RUN --baseline` for every other run;
a check counts as a regression fail when a regression or run-wide shift failed (the profile's own
thresholds are not what this measures).
"""
import collections
import concurrent.futures as cf
import csv
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

LG = os.environ.get("LG", "target/release/loadgate")


# fixtures/noise names its runs KIND-CONDITION-ID: the kind says what was slowed.
KINDS = {"same": "1.0", "one2x": "one endpoint 2x", "all2x": "everything 2x"}


def kind_of_name(run):
    """`slow1_5-…` is 1.5x the working endpoints; the others are in KINDS."""
    k = run.split("-")[0]
    return k[len("slow"):].replace("_", ".") if k.startswith("slow") else KINDS[k]


def load(corpus):
    manifest = os.path.join(corpus, "manifest.csv")
    if not os.path.exists(manifest):
        rows = []
        for name in sorted(os.listdir(corpus)):
            if name.endswith("_stats.csv"):
                run = name[: -len("_stats.csv")]
                rows.append({"run_id": run, "prefix": run, "slowdown": kind_of_name(run),
                             "start_time_utc": run.rsplit("-", 1)[-1], "locust_rc": "0"})
        return rows
    with open(manifest) as f:
        rows = [r for r in csv.DictReader(f) if r["locust_rc"] == "0"]
    rows.sort(key=lambda r: r["start_time_utc"])
    return rows


def same_build(r):
    return r["slowdown"] in ("1", "1.0")


def class_of(r):
    try:
        return "same build" if same_build(r) else f'{float(r["slowdown"])}x'
    except ValueError:
        return r["slowdown"]


def main():
    corpus, kind = sys.argv[1], sys.argv[2]
    rows = load(corpus)
    alone = tempfile.mkdtemp(prefix="noise-rates-") if kind == "jsononly" else None

    def path(r):
        prefix = os.path.join(corpus, r["prefix"])
        if kind == "csv":
            return prefix
        if alone:
            copy = os.path.join(alone, r["run_id"] + ".json")
            if not os.path.exists(copy):
                shutil.copy(prefix + ".json", copy)
            return copy
        return prefix + ".json"

    def compare(pair):
        a, b = pair
        p = subprocess.run([LG, "compare", path(a), path(b), "--format", "json"],
                           capture_output=True, text=True)
        if p.returncode not in (0, 1):
            return p.returncode, [p.stderr.strip()[:200]]
        report = json.loads(p.stdout)
        failed = [f'{r.get("name") or "aggregated"}:{r["metric"]}'
                  for r in report["regressions"] if r["status"] == "fail"]
        return p.returncode, failed

    same = [r for r in rows if same_build(r)]
    if "--rolling" in sys.argv:
        rolling(rows, same, path)
        return
    classes = {"same build": list(itertools.combinations(same, 2))}
    for name in sorted({class_of(r) for r in rows} - {"same build"}):
        classes[name] = [(a, b) for a in same for b in rows if class_of(b) == name]
    for r in rows:
        path(r)
    out = {}
    with cf.ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as pool:
        for name, pairs in classes.items():
            results = list(pool.map(compare, pairs))
            codes = collections.Counter(code for code, _ in results)
            metrics = collections.Counter(m for _, failed in results for m in failed)
            fails = codes.get(1, 0)
            out[name] = {"pairs": len(results), "failed": fails, "exit": dict(codes),
                         "failed_metrics": metrics.most_common(10)}
            print(f"{name:11} {fails:4}/{len(results):4} fail ({100 * fails / len(results):4.1f}%)"
                  f"  errors {sum(v for k, v in codes.items() if k not in (0, 1))}"
                  f"  most failed: {metrics.most_common(3)}", flush=True)
    if alone:
        shutil.rmtree(alone)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            json.dump(out, f, indent=1)


def rolling(rows, same, path):
    rng = random.Random(2026)
    counts = collections.Counter()
    for draw in range(12):
        picked = sorted(rng.sample(same, 5), key=lambda r: r["start_time_utc"])
        store = tempfile.mkdtemp(prefix="noise-rates-store-")
        for r in picked:
            subprocess.run([LG, "baseline", "save", "--keep", "5", "--name", "nb", "--store", store,
                            path(r)], capture_output=True, check=True)
        ids = {r["run_id"] for r in picked}
        for r in rows:
            if r["run_id"] in ids:
                continue
            p = subprocess.run([LG, "check", path(r), "--baseline", "nb", "--store", store,
                                "--format", "json"], capture_output=True, text=True)
            report = json.loads(p.stdout)
            regressed = any(x["status"] == "fail" for x in report["regressions"] + report["run_wide_shifts"])
            key = class_of(r)
            counts[key, "checks"] += 1
            counts[key, "regression failed"] += regressed
            counts[key, "exit 1"] += p.returncode == 1
        shutil.rmtree(store)
    for key in sorted({k for k, _ in counts}):
        n, f, e = counts[key, "checks"], counts[key, "regression failed"], counts[key, "exit 1"]
        print(f"rolling {key:11} {f:4}/{n:4} regression fail ({100 * f / n:4.1f}%), exit 1 (thresholds too) {e:4} ({100 * e / n:4.1f}%)")


if __name__ == "__main__":
    main()
