#!/usr/bin/env bash
# A day-long full history (50 endpoints x 39,000 s, 1,989,000 rows, 306 MB) read by loadgate and by the
# strongest peers a user would pick, side by side in one sitting (hyperfine runs the commands in turn,
# RUNS times each, after a warm-up); prints medians, ratios, CPU time (user + sys) and peak memory:
#   loadgate check   read the run, grade it, fit every endpoint's trend, write the JSON report
#   polars job       bench/polars_equivalent.py: lazy scan of only the needed columns, a group-by per
#                    endpoint with the same summaries (mean percentiles, last totals, trend slope)
#   polars scan      bench/polars_scan.py: a plain lazy scan with a group-by (rows, last total per
#                    endpoint): what reading the file costs in polars
#   pandas pyarrow   bench/pandas_equivalent.py: read_csv(engine="pyarrow", usecols=...), same summaries
#   wc -l            the floor: reading the file at all, one core
# plus `loadgate check` on a small 30 s run (start-up included). The load average before and after is
# printed: on a machine shared with other work, quote the ratios, not the seconds.
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
"$PY" -c "import polars, pandas, pyarrow, numpy; print('polars', polars.__version__, '| pandas', pandas.__version__, '| pyarrow', pyarrow.__version__)"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$DATA/large.json" \
  -n "loadgate check" "$LOADGATE check $DATA/day --format json > /dev/null" \
  -n "polars job" "$PY bench/polars_equivalent.py $DATA/day > /dev/null" \
  -n "polars scan" "$PY bench/polars_scan.py $DATA/day > /dev/null" \
  -n "pandas pyarrow" "$PY bench/pandas_equivalent.py $DATA/day > /dev/null" \
  -n "wc -l" "wc -l $DATA/day_stats_history.csv > /dev/null" > /dev/null
hyperfine --warmup 3 --runs 30 -N --export-json "$DATA/small.json" \
  -n "loadgate check, 30 s run" "$LOADGATE check fixtures/compare/same-1 --format json" > /dev/null
echo "load average after the timings: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$DATA/large.json" "$DATA/small.json" <<'PY'
import json, statistics, sys

def cpu_time(r):
    """User + system time: the median over the runs where hyperfine records each run's (1.16 and
    later), else its mean."""
    if isinstance(r["user"], list):
        return statistics.median(u + s for u, s in zip(r["user"], r["system"]))
    return r["user"] + r["system"]
large = json.load(open(sys.argv[1]))["results"]
ours = next(r for r in large if r["command"] == "loadgate check")["median"]
print(f"{'job':<28}{'median':>9}{'min':>9}{'max':>9}{'CPU (u+s)':>11}  loadgate against it")
for r in large:
    if r["command"] == "loadgate check":
        ratio = ""
    elif r["median"] >= ours:
        ratio = f"{r['median'] / ours:.2f}x faster"
    else:
        ratio = f"{ours / r['median']:.2f}x slower"
    cpu = cpu_time(r)
    print(f"{r['command']:<28}{r['median']:>8.3f}s{r['min']:>8.3f}s{r['max']:>8.3f}s{cpu:>10.3f}s  {ratio}")
small = json.load(open(sys.argv[2]))["results"][0]
print(f"{small['command']:<28}{small['median'] * 1000:>7.1f}ms (min {small['min'] * 1000:.1f}, max {small['max'] * 1000:.1f})")
PY

size_kb=$(( $(stat -c %s "$DATA/day_stats_history.csv") / 1024 ))
echo "peak resident memory (the file is $size_kb KiB; a third is $(( size_kb / 3 )) KiB):"
/usr/bin/time -f "  loadgate check   %M KiB" "$LOADGATE" check "$DATA/day" --format json > /dev/null
/usr/bin/time -f "  polars job       %M KiB" "$PY" bench/polars_equivalent.py "$DATA/day" > /dev/null
/usr/bin/time -f "  polars scan      %M KiB" "$PY" bench/polars_scan.py "$DATA/day" > /dev/null
/usr/bin/time -f "  pandas pyarrow   %M KiB" "$PY" bench/pandas_equivalent.py "$DATA/day" > /dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
