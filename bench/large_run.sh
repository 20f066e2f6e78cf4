#!/usr/bin/env bash
# A day-long full history (50 endpoints x 39,000 s, 1,989,000 rows, 306 MB) read by loadgate and by the
# strongest peers a user would pick, side by side in one sitting (hyperfine runs each command RUNS
# times in turn); prints medians, ratios and peak memory:
#   loadgate check   read the run, grade it, fit every endpoint's trend, write the JSON report
#   polars lazy      bench/polars_equivalent.py: lazy scan of only the needed columns, a group-by per
#                    endpoint with the same summaries (mean percentiles, last totals, trend slope)
#   pandas pyarrow   bench/pandas_equivalent.py: read_csv(engine="pyarrow", usecols=...), same summaries
#   wc -l            the floor: reading the file at all, one core
# plus `loadgate check` on a small 30 s run (start-up included).
#
# Needs hyperfine and GNU time (Debian: apt-get install hyperfine time) and a Python with polars,
# pandas, pyarrow and numpy in $PY (python3 -m venv V && V/bin/pip install polars pandas pyarrow numpy).
# Usage: bench/large_run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
PY=${PY:-python3}
DATA=${DATA:-/tmp/loadgate-long}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
mkdir -p "$DATA"
[[ -f $DATA/day_stats_history.csv ]] || python3 bench/make_long_history.py "$DATA/day" 50 39000
ls -la "$DATA/day_stats_history.csv"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$DATA/large.json" \
  -n "loadgate check" "$LOADGATE check $DATA/day --format json > /dev/null" \
  -n "polars lazy" "$PY bench/polars_equivalent.py $DATA/day > /dev/null" \
  -n "pandas pyarrow" "$PY bench/pandas_equivalent.py $DATA/day > /dev/null" \
  -n "wc -l" "wc -l $DATA/day_stats_history.csv > /dev/null" > /dev/null
hyperfine --warmup 3 --runs 30 -N --export-json "$DATA/small.json" \
  -n "loadgate check, 30 s run" "$LOADGATE check fixtures/compare/same-1 --format json" > /dev/null

python3 - "$DATA/large.json" "$DATA/small.json" <<'PY'
import json, sys
large = json.load(open(sys.argv[1]))["results"]
ours = next(r for r in large if r["command"] == "loadgate check")["median"]
print(f"{'job':<28}{'median':>10}{'min':>10}{'max':>10}  loadgate against it")
for r in large:
    if r["command"] == "loadgate check":
        ratio = ""
    elif r["median"] >= ours:
        ratio = f"{r['median'] / ours:.2f}x faster"
    else:
        ratio = f"{ours / r['median']:.2f}x slower"
    print(f"{r['command']:<28}{r['median']:>9.3f}s{r['min']:>9.3f}s{r['max']:>9.3f}s  {ratio}")
small = json.load(open(sys.argv[2]))["results"][0]
print(f"{small['command']:<28}{small['median'] * 1000:>8.1f}ms")
PY

echo "peak resident memory:"
/usr/bin/time -f "  loadgate check   %M KB" "$LOADGATE" check "$DATA/day" --format json > /dev/null
/usr/bin/time -f "  polars lazy      %M KB" "$PY" bench/polars_equivalent.py "$DATA/day" > /dev/null
/usr/bin/time -f "  pandas pyarrow   %M KB" "$PY" bench/pandas_equivalent.py "$DATA/day" > /dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
