#!/usr/bin/env bash
# A day-long full history (50 endpoints x 39,000 s, 1,989,000 rows, 306 MB) read three ways, side by
# side in one sitting (hyperfine, RUNS runs of each command in turn); prints medians and ratios:
#   loadgate check           read the run, grade it, fit every endpoint's trend, write the JSON report
#   pandas                   bench/pandas_equivalent.py: read, summarise per endpoint, fit each trend
#   polars (read only)       polars' lazy CSV scan of the same columns: what reading alone costs
# plus `loadgate check` on a small 30 s run (start-up included) and the peak memory of each.
#
# Needs hyperfine (Debian package) and a Python with pandas, numpy and polars in $PY
# (default /work/venvs/pandas/bin/python: python3 -m venv … && pip install pandas numpy polars).
# Usage: bench/large_run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
PY=${PY:-/work/venvs/pandas/bin/python}
DATA=${DATA:-/tmp/loadgate-long}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
mkdir -p "$DATA"
[[ -f $DATA/day_stats_history.csv ]] || python3 bench/make_long_history.py "$DATA/day" 50 39000
ls -la "$DATA/day_stats_history.csv"

cat > "$DATA/polars_read.py" <<'PY'
import sys
import polars as pl
df = pl.scan_csv(sys.argv[1] + "_stats_history.csv", null_values=["N/A"]).select(
    ["Timestamp", "User Count", "Type", "Name", "50%", "95%", "99%", "Total Request Count",
     "Total Failure Count", "Total Average Response Time"]).collect()
print(df.height)
PY

hyperfine --warmup 1 --runs "$RUNS" --export-json "$DATA/large.json" \
  -n "loadgate check" "$LOADGATE check $DATA/day --format json > /dev/null" \
  -n "pandas" "$PY bench/pandas_equivalent.py $DATA/day > /dev/null" \
  -n "polars (read only)" "$PY $DATA/polars_read.py $DATA/day > /dev/null" > /dev/null
hyperfine --warmup 3 --runs 30 -N --export-json "$DATA/small.json" \
  -n "loadgate check, 30 s run" "$LOADGATE check fixtures/compare/same-1 --format json" > /dev/null

python3 - "$DATA/large.json" "$DATA/small.json" <<'PY'
import json, sys
large = json.load(open(sys.argv[1]))["results"]
ours = next(r for r in large if r["command"] == "loadgate check")["median"]
print(f"{'job':<28}{'median':>10}{'min':>10}{'max':>10}  ratio to loadgate")
for r in large:
    ratio = "" if r["command"] == "loadgate check" else f"{r['median'] / ours:.1f}x slower"
    print(f"{r['command']:<28}{r['median']:>9.3f}s{r['min']:>9.3f}s{r['max']:>9.3f}s  {ratio}")
small = json.load(open(sys.argv[2]))["results"][0]
print(f"{small['command']:<28}{small['median'] * 1000:>8.1f}ms")
PY

echo "peak resident memory:"
/usr/bin/time -f "  loadgate check      %M KB" "$LOADGATE" check "$DATA/day" --format json > /dev/null
/usr/bin/time -f "  pandas              %M KB" "$PY" bench/pandas_equivalent.py "$DATA/day" > /dev/null
/usr/bin/time -f "  polars (read only)  %M KB" "$PY" "$DATA/polars_read.py" "$DATA/day" > /dev/null
