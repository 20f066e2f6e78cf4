#!/usr/bin/env bash
# Many small runs instead of one long one: `loadgate history` over a nightly archive of NIGHTS runs
# (default 1,000) and `loadgate check` of a directory of CHECKED runs (default 100), each run a copy
# of the real Locust 2.47 fixture `fixtures/compare/same-1` with its timestamps moved one day per
# night, in directories named in shuffled order (as bench/nightly.sh builds them). Prints the median
# wall and CPU time (user + sys) of TIMES runs (hyperfine, the two commands in turn), the peak
# memory, and the load average before and after. Both should stay below a second.
# Usage: bench/many_runs.sh [NIGHTS] [CHECKED] [TIMES]
set -euo pipefail
cd "$(dirname "$0")/.."
NIGHTS=${1:-1000}
CHECKED=${2:-100}
TIMES=${3:-10}
DATA=${DATA:-/tmp/loadgate-many}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
archive() { # DIR NIGHTS
  rm -rf "$1" && mkdir -p "$1"
  python3 - "$1" "$2" <<'PY'
import os, random, sys
out, nights = sys.argv[1], int(sys.argv[2])
src = "fixtures/compare/same-1"
files = {suffix: open(f"{src}{suffix}", newline="").read()
         for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv")}
order = list(range(nights))
random.Random(7).shuffle(order)
for night in range(nights):
    d = os.path.join(out, f"run-{order[night]:04d}")
    os.makedirs(d)
    for suffix, text in files.items():
        if suffix == "_stats_history.csv":
            lines = text.split("\r\n")
            shifted = [lines[0]] + [
                (str(int(l.split(",", 1)[0]) + 86400 * night) + "," + l.split(",", 1)[1]) if l else l
                for l in lines[1:]]
            text = "\r\n".join(shifted)
        open(os.path.join(d, f"nightly{suffix}"), "w", newline="").write(text)
PY
  echo "$1: $2 runs, $(find "$1" -type f | wc -l) files, $(du -sh "$1" | cut -f1)"
}
archive "$DATA/nightly" "$NIGHTS"
archive "$DATA/checked" "$CHECKED"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# -i: `check` exits 1 when a run fails its gate, which is a verdict, not a failed benchmark.
hyperfine --warmup 1 --runs "$TIMES" -i --export-json "$DATA/many.json" \
  -n "history, $NIGHTS runs" "$LOADGATE history $DATA/nightly --format json > /dev/null" \
  -n "check, $CHECKED runs" "$LOADGATE check $DATA/checked --format json > /dev/null" > /dev/null
echo "load average after the timings: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$DATA/many.json" <<'PY'
import json, statistics, sys

def cpu_time(r):
    """User + system time: the median over the runs where hyperfine records each run's (1.16 and
    later), else its mean."""
    if isinstance(r["user"], list):
        return statistics.median(u + s for u, s in zip(r["user"], r["system"]))
    return r["user"] + r["system"]
for r in json.load(open(sys.argv[1]))["results"]:
    cpu = cpu_time(r)
    print(f"{r['command']:<22} median {r['median'] * 1000:5.0f} ms (min {r['min'] * 1000:.0f}, max {r['max'] * 1000:.0f}),"
          f" CPU {cpu * 1000:.0f} ms")
PY
/usr/bin/time -f "history peak resident memory: %M KiB" "$LOADGATE" history "$DATA/nightly" --format json > /dev/null || true
/usr/bin/time -f "check peak resident memory: %M KiB" "$LOADGATE" check "$DATA/checked" --format json > /dev/null || true
