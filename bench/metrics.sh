#!/usr/bin/env bash
# The metrics export on a day-long full history (bench/make_long_history.py: 50 endpoints x 39,000 s,
# 1,989,000 rows, 306 MB): `check` alone, with `--openmetrics` (latest figures only) and with
# `--openmetrics-history` (every history row as timestamped samples), timed with hyperfine, with
# the peak memory (GNU time) and the size of each file.
# Needs hyperfine and GNU time (Debian packages). Usage: bench/metrics.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DATA=${DATA:-/tmp/loadgate-long}
OUT=${OUT:-/tmp/loadgate-metrics-bench}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
mkdir -p "$DATA" "$OUT"
[[ -f $DATA/day_stats_history.csv ]] || python3 bench/make_long_history.py "$DATA/day" 50 39000

check="$LOADGATE check $DATA/day --format json"
# check exits 1 when the day fails its gate; that is the gate, not an error of the command.
hyperfine --runs "$RUNS" --warmup 1 -i \
  -n check "$check" \
  -n openmetrics "$check --openmetrics $OUT/latest.om" \
  -n openmetrics-history "$check --openmetrics $OUT/history.om --openmetrics-history"
for args in "" "--openmetrics $OUT/latest.om" "--openmetrics $OUT/history.om --openmetrics-history"; do
  # shellcheck disable=SC2086
  peak=$( { /usr/bin/time -f '%M' $check $args >/dev/null; } 2>&1 | tail -1 )
  echo "peak RSS ${peak} KiB: check $args"
done
for f in "$OUT/latest.om" "$OUT/history.om"; do
  echo "$(wc -l <"$f") lines, $(du -h "$f" | cut -f1): $f"
done
