#!/usr/bin/env bash
# `loadgate history` on a nightly archive of N runs (default 300): each run a copy of the real Locust
# 2.47 fixture `fixtures/compare/same-1` with its timestamps moved one day per night, in directories
# named in shuffled order (the command orders runs by their own timestamps). Prints the median of
# several runs (hyperfine) and the peak memory.
# Usage: bench/nightly.sh [RUNS_IN_ARCHIVE] [TIMES]
set -euo pipefail
cd "$(dirname "$0")/.."
NIGHTS=${1:-300}
TIMES=${2:-10}
DATA=${DATA:-/tmp/loadgate-nightly}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
rm -rf "$DATA" && mkdir -p "$DATA"
python3 - "$DATA" "$NIGHTS" <<'PY'
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
echo "$NIGHTS runs, $(find "$DATA" -type f | wc -l) files, $(du -sh "$DATA" | cut -f1)"
hyperfine --warmup 1 --runs "$TIMES" -i --export-json "$DATA.json" \
  -n "loadgate history ($NIGHTS runs)" "$LOADGATE history $DATA --format json > /dev/null" > /dev/null
python3 -c "import json,sys; r=json.load(open('$DATA.json'))['results'][0]; print(f\"{r['command']}: median {r['median']*1000:.0f} ms (min {r['min']*1000:.0f}, max {r['max']*1000:.0f})\")"
echo; /usr/bin/time -f "peak resident memory: %M KB" "$LOADGATE" history "$DATA" --format json > /dev/null || true
