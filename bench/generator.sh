#!/usr/bin/env bash
# Generator throughput, side by side: wrk, `loadgate run` and Locust against nginx serving a small file
# on 127.0.0.1, same connection count, several rounds, medians. nginx is pinned to CPU 0 and each
# generator to CPU 1, so the generators compete for the same single core.
#
# Needs: nginx and wrk (Debian: apt-get install nginx-light wrk), a release build, and Locust in
# $LOCUST (default /work/venvs/locust2/bin/locust; fixtures/regenerate.sh makes that venv).
# Usage: bench/generator.sh [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-5}
CONNS=${3:-50}
PORT=${PORT:-18090}
LOCUST=${LOCUST:-/work/venvs/locust2/bin/locust}
LOADGATE=${LOADGATE:-target/release/loadgate}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

[[ -x $LOADGATE ]] || cargo build --release --quiet
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk" >&2; exit 2; }

mkdir -p "$work/www" "$work/logs"
printf 'hello from nginx\n' > "$work/www/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$PORT; root $work/www; }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5
URL="http://127.0.0.1:$PORT/index.html"

cat > "$work/locustfile.py" <<'PY'
from locust import HttpUser, FastHttpUser, task, constant
class Plain(HttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/index.html")
class Fast(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/index.html")
PY

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

wrk_rps() { taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" "$URL" | awk '/Requests\/sec/ {print $2}'; }
loadgate_rps() {
  taskset -c 1 "$LOADGATE" run --quiet --host "$URL" -u "$CONNS" -t "${SECONDS_PER_RUN}s" --csv "$work/lg" >/dev/null
  awk -F, 'END {print $10}' "$work/lg_stats.csv"
}
locust_rps() { # CLASS
  taskset -c 1 "$LOCUST" -f "$work/locustfile.py" "$1" --headless -u "$CONNS" -r "$CONNS" -t "${SECONDS_PER_RUN}s" \
    --host "http://127.0.0.1:$PORT" --csv "$work/lc" --only-summary >/dev/null 2>&1 || true
  awk -F, 'END {print $10}' "$work/lc_stats.csv"
}

: > "$work/wrk"; : > "$work/lg"; : > "$work/plain"; : > "$work/fast"
for round in $(seq "$ROUNDS"); do
  wrk_rps >> "$work/wrk"
  loadgate_rps >> "$work/lg"
  if [[ -x $LOCUST ]]; then
    locust_rps Plain >> "$work/plain"
    locust_rps Fast >> "$work/fast"
  fi
  echo "round $round: wrk $(tail -1 "$work/wrk")  loadgate $(tail -1 "$work/lg")  locust $(tail -1 "$work/plain" 2>/dev/null)  locust-fast $(tail -1 "$work/fast" 2>/dev/null)" >&2
done

w=$(median < "$work/wrk"); l=$(median < "$work/lg")
echo "connections=$CONNS seconds=$SECONDS_PER_RUN rounds=$ROUNDS (medians, requests/s)"
echo "wrk                 $w"
echo "loadgate run        $l   ($(awk -v a="$l" -v b="$w" 'BEGIN {printf "%.0f%%", 100*a/b}') of wrk)"
if [[ -s $work/plain ]]; then
  p=$(median < "$work/plain"); f=$(median < "$work/fast")
  echo "locust HttpUser     $p   (loadgate: $(awk -v a="$l" -v b="$p" 'BEGIN {printf "%.1fx", a/b}'))"
  echo "locust FastHttpUser $f   (loadgate: $(awk -v a="$l" -v b="$f" 'BEGIN {printf "%.1fx", a/b}'))"
fi
