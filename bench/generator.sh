#!/usr/bin/env bash
# Generator throughput, side by side: wrk, `loadgate run`, oha (and Locust when present) against nginx
# serving a small file on 127.0.0.1, the same connection count and duration, several alternating
# rounds, medians. nginx is pinned to CPU 0 and each generator to CPU 1, so the generators compete
# for the same single core. For each connection count:
#   closed model   wrk -t1 -cN | loadgate run -u N | oha -cN        (as fast as the target answers)
#   open model     loadgate run -u N --rate R | oha -cN -q R        (R = RATE_SHARE x wrk's median,
#                  default 1.0: at the ceiling; wrk has no fixed rate, so it stands as the ceiling)
# loadgate records every request's latency (no sampling) and writes its Locust CSVs in every round.
#
# Needs: nginx, wrk and curl (Debian: apt-get install nginx-light wrk curl), a release build; oha in $OHA
# (default: oha on PATH; `cargo install oha --root DIR`) and Locust in $LOCUST are optional.
# Usage: bench/generator.sh [ROUNDS] [SECONDS] [CONNECTIONS...]   (default: 5 5 32 256)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-5}
CONN_LIST=("${@:3}")
[[ ${#CONN_LIST[@]} -gt 0 ]] || CONN_LIST=(32 256)
PORT=${PORT:-18090}
LOCUST=${LOCUST:-/work/venvs/locust2/bin/locust}
OHA=${OHA:-$(command -v oha || true)}
LOADGATE=${LOADGATE:-target/release/loadgate}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

[[ -x $LOADGATE ]] || cargo build --release --quiet
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "needs nginx and wrk" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

source "$(dirname "$0")/nginx_target.sh"
start_nginx "$work" "$PORT"

cat > "$work/locustfile.py" <<'PY'
from locust import FastHttpUser, task, constant
class Fast(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/index.html")
PY

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a/b}'; }

# Requests per CPU second (user + system, GNU time) as well: on a busy machine the generator's own
# cost per request is steadier than its rate, which waits on whatever else runs.
per_cpu() { # REQUESTS TIME_FILE
  awk -v n="$1" '{printf "%.0f\n", n / ($1 + $2)}' "$2"
}
wrk_rps() { # CONNS
  taskset -c 1 /usr/bin/time -f "%U %S" -o "$work/t" wrk -t1 -c"$1" -d"${SECONDS_PER_RUN}s" "$URL" > "$work/wrk.out"
  per_cpu "$(awk '/requests in/ {print $1}' "$work/wrk.out")" "$work/t" >> "$r.wrkcpu"
  awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
}
loadgate_rps() { # CONNS [RATE]
  local rate=()
  [[ -n ${2:-} ]] && rate=(--rate "$2")
  taskset -c 1 /usr/bin/time -f "%U %S" -o "$work/t" "$LOADGATE" run --quiet --host "$URL" -u "$1" \
    -t "${SECONDS_PER_RUN}s" "${rate[@]}" --csv "$work/lg" >/dev/null
  [[ -n ${2:-} ]] || per_cpu "$(awk -F, 'END {print $3}' "$work/lg_stats.csv")" "$work/t" >> "$r.lgcpu"
  # The Aggregated row's total requests over the run's span (Locust's own Requests/s column).
  awk -F, 'END {print $10}' "$work/lg_stats.csv"
}
oha_rps() { # CONNS [RATE]
  local rate=()
  [[ -n ${2:-} ]] && rate=(-q "$2")
  taskset -c 1 "$OHA" --no-tui --output-format json -c "$1" -z "${SECONDS_PER_RUN}s" "${rate[@]}" "$URL" 2>/dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["summary"]["requestsPerSec"], 1))'
}
locust_rps() { # CONNS
  taskset -c 1 "$LOCUST" -f "$work/locustfile.py" Fast --headless -u "$1" -r "$1" -t "${SECONDS_PER_RUN}s" \
    --host "http://127.0.0.1:$PORT" --csv "$work/lc" --only-summary >/dev/null 2>&1 || true
  awk -F, 'END {print $10}' "$work/lc_stats.csv"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)${OHA:+, $("$OHA" --version)}"
for conns in "${CONN_LIST[@]}"; do
  r="$work/c$conns"; : > "$r.wrk"; : > "$r.lg"; : > "$r.oha"; : > "$r.locust"; : > "$r.wrkcpu"; : > "$r.lgcpu"
  for round in $(seq "$ROUNDS"); do
    wrk_rps "$conns" >> "$r.wrk"
    loadgate_rps "$conns" >> "$r.lg"
    [[ -n $OHA ]] && oha_rps "$conns" >> "$r.oha"
    [[ -x $LOCUST ]] && locust_rps "$conns" >> "$r.locust"
    echo "  closed c=$conns, round $round: wrk $(tail -1 "$r.wrk")  loadgate $(tail -1 "$r.lg")  oha $(tail -1 "$r.oha" 2>/dev/null)" >&2
  done
  w=$(median < "$r.wrk"); l=$(median < "$r.lg")
  echo "closed model, $conns connections, ${SECONDS_PER_RUN} s, $ROUNDS rounds (medians, requests/s)"
  echo "  wrk                 $w"
  echo "  loadgate run        $l   ($(pct "$l" "$w") wrk)"
  # Each round's loadgate run right after its wrk run shares the machine's state of that moment:
  # on a busy machine the median of those paired ratios moves less than the ratio of the medians.
  paired=$(paste "$r.lg" "$r.wrk" | awk '{printf "%.4f\n", $1 / $2}' | median)
  echo "  paired rounds: median of loadgate/wrk per round $(printf '%.2f' "$paired")x"
  wc_=$(median < "$r.wrkcpu"); lc=$(median < "$r.lgcpu")
  echo "  requests per CPU second: wrk $wc_, loadgate $lc ($(pct "$lc" "$wc_") wrk)"
  if [[ -s $r.oha ]]; then o=$(median < "$r.oha"); echo "  oha                 $o   (loadgate $(pct "$l" "$o") oha)"; fi
  if [[ -s $r.locust ]]; then f=$(median < "$r.locust"); echo "  locust FastHttpUser $f   (loadgate $(pct "$l" "$f"))"; fi

  rate=$(awk -v w="$w" -v s="${RATE_SHARE:-1.0}" 'BEGIN {printf "%d", w * s}')
  : > "$r.lgo"; : > "$r.ohao"
  for round in $(seq "$ROUNDS"); do
    loadgate_rps "$conns" "$rate" >> "$r.lgo"
    [[ -n $OHA ]] && oha_rps "$conns" "$rate" >> "$r.ohao"
    echo "  open c=$conns rate $rate, round $round: loadgate $(tail -1 "$r.lgo")  oha $(tail -1 "$r.ohao" 2>/dev/null)" >&2
  done
  lo=$(median < "$r.lgo")
  echo "open model at $rate req/s (${RATE_SHARE:-1.0} x wrk's median), $conns connections"
  echo "  loadgate run --rate $lo   ($(pct "$lo" "$rate") of the rate, $(pct "$lo" "$w") wrk's ceiling)"
  if [[ -s $r.ohao ]]; then oo=$(median < "$r.ohao"); echo "  oha -q              $oo   ($(pct "$oo" "$rate") of the rate)"; fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
