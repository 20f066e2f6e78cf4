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

# The target's side: nginx's own instructions per request under each client (nginx under callgrind,
# so the clients are never the limit). The clients' requests differ in their headers, and nginx
# parses every header (a User-Agent also for browser quirks): the same generator sending more
# headers makes the target slower, which a rate comparison would charge to the generator.
sed -e 's/^worker_processes 1;/daemon off; master_process off; worker_processes 1;/' \
  -e "s/listen 127.0.0.1:$PORT;/listen 127.0.0.1:$((PORT + 1));/" \
  -e "s|^pid .*|pid $work/cg-nginx.pid;|" "$work/nginx.conf" > "$work/cg-nginx.conf"
CG_URL="http://127.0.0.1:$((PORT + 1))/index.html"
under_callgrind_nginx() { # NAME CLIENT_CMD... ; prints nginx's instructions
  local name=$1; shift
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$work/$name.nginx.cg" \
    nginx -c "$work/cg-nginx.conf" -p "$work" 2>"$work/$name.nginx.err" &
  local pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "$CG_URL" && break; sleep 0.1; done
  taskset -c 1 "$@" >"$work/client.out" 2>&1
  kill -QUIT "$pid"; wait "$pid" || true
  collected "$work/$name.nginx.err"
}
nginx_cost() { # NAME REQUESTS_OF_OUTPUT CLIENT_CMD...
  local name=$1 count=$2; shift 2
  local total; total=$(under_callgrind_nginx "$name" "$@")
  local n; n=$($count)
  echo "  $name: $(per_request "$((total - idle))" "$n") nginx instructions per request ($n requests)"
}
wrk_count() { awk '/requests in/ {print $1}' "$work/client.out"; }
lg_count() { awk -F, 'END {print $3}' "$work/lg_stats.csv"; }
idle=$(under_callgrind_nginx idle sleep 1)
echo "nginx's instructions per request (callgrind on nginx, its start-up and shut-down subtracted; 32 connections, ${SECONDS_PER_RUN} s)"
nginx_cost wrk wrk_count wrk -t1 -c32 -d"${SECONDS_PER_RUN}s" "$CG_URL"
nginx_cost wrk-with-user-agent wrk_count \
  wrk -t1 -c32 -d"${SECONDS_PER_RUN}s" -H "User-Agent: loadgate/$("$LOADGATE" --version | awk '{print $2}')" "$CG_URL"
nginx_cost loadgate lg_count \
  "$LOADGATE" run --quiet --host "$CG_URL" -u 32 -t "${SECONDS_PER_RUN}s" --csv "$work/lg"
nginx_cost loadgate-without-user-agent lg_count \
  "$LOADGATE" run --quiet --header 'User-Agent:' --host "$CG_URL" -u 32 -t "${SECONDS_PER_RUN}s" --csv "$work/lg"
