#!/usr/bin/env bash
# The generator's own cost in A/B mode: requests per second of `loadgate run -u N` against one nginx
# port, beside `loadgate ab -u N` (each user sends a pair: A's request then B's, or B's then A's) against
# two ports of the same nginx, and `ab -u N/2` (N connections in all). nginx (one worker, a 17-byte
# file) is pinned to CPU 0 and the generator to CPU 1; ROUNDS rounds in turn, medians. Also the time
# `ab` spends after the load (reading both sides back, the bootstrap, the report).
# Needs nginx and a release build. Usage: bench/ab_cost.sh [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-5}
CONNS=${3:-50}
PORT=${PORT:-18190}
LOADGATE=${LOADGATE:-target/release/loadgate}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
[[ -x $LOADGATE ]] || cargo build --release --quiet
source "$(dirname "$0")/nginx_target.sh"
start_nginx "$work" "$PORT" "listen 127.0.0.1:$((PORT + 1));"
A=$URL
B="http://127.0.0.1:$((PORT + 1))/index.html"
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
rps() { awk -F, 'END {printf "%.1f\n", $10}' "$1_stats.csv"; }

run_rps() {
  taskset -c 1 "$LOADGATE" run -q --host "$A" -u "$CONNS" -t "${SECONDS_PER_RUN}s" --csv "$work/run" >/dev/null
  rps "$work/run"
}
ab_rps() { # users; prints "total-req/s after-load-seconds"
  local start end
  start=$(date +%s.%N)
  set +e
  taskset -c 1 "$LOADGATE" ab -q --a "$A" --b "$B" -u "$1" -t "${SECONDS_PER_RUN}s" --csv "$work/ab" >/dev/null
  set -e
  end=$(date +%s.%N)
  awk -v a="$(rps "$work/ab_a")" -v b="$(rps "$work/ab_b")" -v s="$start" -v e="$end" -v t="$SECONDS_PER_RUN" \
    'BEGIN {printf "%.1f %.2f\n", a + b, e - s - t}'
}
: >"$work/run.txt"; : >"$work/ab.txt"; : >"$work/ab_half.txt"
for _ in $(seq "$ROUNDS"); do
  run_rps >>"$work/run.txt"
  ab_rps "$CONNS" >>"$work/ab.txt"
  ab_rps $((CONNS / 2)) >>"$work/ab_half.txt"
done
r=$(median <"$work/run.txt")
a=$(cut -d' ' -f1 "$work/ab.txt" | median)
h=$(cut -d' ' -f1 "$work/ab_half.txt" | median)
after=$(cut -d' ' -f2 "$work/ab.txt" | median)
echo "| generator (1 core) | median req/s (A+B) | against run |"
echo "|---|--:|--:|"
echo "| \`run -u $CONNS\` | $r | |"
awk -v a="$a" -v r="$r" -v c="$CONNS" 'BEGIN {printf "| `ab -u %d` (%d users, %d connections) | %s | %.0f%% |\n", c, c, 2 * c, a, 100 * a / r}'
awk -v h="$h" -v r="$r" -v c="$CONNS" 'BEGIN {printf "| `ab -u %d` (%d connections) | %s | %.0f%% |\n", c / 2, c, h, 100 * h / r}'
echo
echo "ab after the load (read back, bootstrap, report), median: ${after} s"
