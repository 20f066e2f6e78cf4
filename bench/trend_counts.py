#!/usr/bin/env python3
"""Counts the trends loadgate flags (status != pass in the JSON report's `trends`) run by run.

    bench/trend_counts.py LOADGATE OUT.json SET=GLOB [SET=GLOB ...] [-- CHECK-ARGS...]
    bench/trend_counts.py --diff BEFORE.json AFTER.json

Each GLOB matches a run's `_stats.csv` (or `_stats_history.csv` when the run has no stats file);
several globs for one set are joined with `,`. Every run is read with `LOADGATE check PREFIX --format
json` plus CHECK-ARGS (e.g. `--profile short.toml`). Prints, per set, the runs, the runs whose trends
were judged, the runs with a flagged trend and the flagged trends, and writes every judged trend
(scope, metric, status, change, r², reason) to OUT.json. `--diff` lists each trend whose status
differs between two such files.
"""
import glob
import json
import subprocess
import sys


def prefixes(globs):
    found = set()
    for pattern in globs.split(","):
        for path in glob.glob(pattern):
            for suffix in ("_stats.csv", "_stats_history.csv"):
                if path.endswith(suffix):
                    found.add(path[: -len(suffix)])
                    break
    return sorted(found)


def scope_name(scope):
    return scope if isinstance(scope, str) else scope.get("name", "?")


def count(loadgate, out, sets, extra):
    report = {}
    for name, globs in sets:
        runs = prefixes(globs)
        judged = flagged_runs = flagged = errors = 0
        for prefix in runs:
            done = subprocess.run(
                [loadgate, "check", prefix, "--format", "json", *extra],
                capture_output=True,
                text=True,
            )
            try:
                trends = json.loads(done.stdout).get("trends", [])
            except json.JSONDecodeError:
                errors += 1
                report[prefix] = {"set": name, "error": done.stderr[-300:]}
                continue
            kept = [
                {
                    "scope": scope_name(t["scope"]),
                    "metric": t["metric"],
                    "status": t["status"],
                    "change_pct": round(t["change_pct"], 1),
                    "r2": round(t["r2"], 2),
                    "reason": t["reason"],
                }
                for t in trends
            ]
            report[prefix] = {"set": name, "trends": kept}
            bad = [t for t in kept if t["status"] != "pass"]
            judged += bool(kept)
            flagged += len(bad)
            flagged_runs += bool(bad)
        print(
            f"{name}: {len(runs)} runs, {judged} judged, {flagged_runs} with a flagged trend, "
            f"{flagged} flagged trends" + (f", {errors} unreadable" if errors else ""),
            flush=True,
        )
    with open(out, "w") as f:
        json.dump(report, f, indent=1)


def diff(before_path, after_path):
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    for prefix, run in before.items():
        if "trends" not in run or "trends" not in after.get(prefix, {}):
            continue
        now = {(t["scope"], t["metric"]): t for t in after[prefix]["trends"]}
        for t in run["trends"]:
            t2 = now.get((t["scope"], t["metric"]))
            if t2 and t2["status"] != t["status"]:
                print(f"{prefix}: {t['scope']} {t['metric']} {t['status']} -> {t2['status']}: {t2['reason']}")


def main(argv):
    if len(argv) == 4 and argv[1] == "--diff":
        return diff(argv[2], argv[3])
    if len(argv) < 4:
        sys.exit(__doc__)
    extra = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    sets = [arg.split("=", 1) for arg in argv[3:]]
    if any(len(s) != 2 for s in sets):
        sys.exit("each set is NAME=GLOB")
    count(argv[1], argv[2], sets, extra)


if __name__ == "__main__":
    main(sys.argv)
