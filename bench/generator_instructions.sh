#!/usr/bin/env bash
# The generators' own cost per request in instructions, which a busy machine does not change:
# `valgrind --tool=callgrind` counts every user-space instruction of `loadgate run` and of wrk
# against nginx (one worker on CPU 0, a 17-byte file, 127.0.0.1), start-up included, divided by the
# requests each made. The kernel's share (the socket calls) is not counted: see bench/RESULTS.md.
# Under valgrind each generator runs some 20x slower, so nginx is never the limit here.
#
# Needs: nginx, wrk, valgrind, curl (Debian: apt-get install nginx-light wrk valgrind curl), a release build.
# Usage: bench/generator_instructions.sh [SECONDS] [CONNECTIONS...]   (default: 5 32 256)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
CONN_LIST=("${@:2}")
[[ ${#CONN_LIST[@]} -gt 0 ]] || CONN_LIST=(32 256)
PORT=${PORT:-18091}
LOADGATE=${LOADGATE:-target/release/loadgate}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

[[ -x $LOADGATE ]] || cargo build --release --quiet
for tool in nginx wrk valgrind; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
ulimit -n 65536 2>/dev/null || true

source "$(dirname "$0")/nginx_target.sh"
start_nginx "$work" "$PORT"

collected() { grep -o 'Collected : [0-9]*' "$1" | awk '{print $3}'; }
per_request() { awk -v i="$1" -v n="$2" 'BEGIN {printf "%.0f", i / n}'; }

echo "instructions per request (callgrind, user space, ${SECONDS_PER_RUN} s runs)"
for conns in "${CONN_LIST[@]}"; do
  taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$work/lg.cg" \
    "$LOADGATE" run --quiet --host "$URL" -u "$conns" -t "${SECONDS_PER_RUN}s" --csv "$work/lg" \
    >/dev/null 2>"$work/lg.err"
  lg_requests=$(awk -F, 'END {print $3}' "$work/lg_stats.csv")
  lg=$(per_request "$(collected "$work/lg.err")" "$lg_requests")
  taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$work/wrk.cg" \
    wrk -t1 -c"$conns" -d"${SECONDS_PER_RUN}s" "$URL" >"$work/wrk.out" 2>"$work/wrk.err"
  wrk_requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  w=$(per_request "$(collected "$work/wrk.err")" "$wrk_requests")
  echo "  $conns connections: loadgate $lg ($lg_requests requests), wrk $w ($wrk_requests requests)," \
    "loadgate/wrk $(awk -v a="$lg" -v b="$w" 'BEGIN {printf "%.2f", a / b}')"
done
