#!/usr/bin/env bash
# Generator throughput, side by side: wrk, `loadgate run`, oha (and Locust when present) against nginx
# serving a small file on 127.0.0.1, the same connection count and duration, alternating rounds
# (the order turns each round), medians and the median of the paired per-round ratios with its 95%
# interval (bench/paired.py). nginx is pinned to CPU 0 and each generator to CPU 1, so the generators compete
# for the same single core. For each connection count:
#   closed model   wrk -t1 -cN | loadgate run -u N | oha -cN        (as fast as the target answers;
#                  loadgate twice: with wrk's very request, and with its own user-agent header)
#   open model     loadgate run -u N --rate R | oha -cN -q R        (R = RATE_SHARE x wrk's median,
#                  default 0.9: near the ceiling; wrk has no fixed rate, so it stands as the ceiling)
# nginx's own CPU per request under each generator is printed too: when its one worker is busy the
# whole run, the rate is the target's, and a generator can only change it by changing nginx's work.
# loadgate records every request's latency (no sampling) and writes its Locust CSVs in every round.
#
# Needs: nginx, wrk and curl (Debian: apt-get install nginx-light wrk curl), a release build; oha in $OHA
# (default: oha on PATH; `cargo install oha --root DIR`), wrk2 (wrk's open model, `-R`) in $WRK2 (built
# from github.com/giltene/wrk2 with `make`) and Locust in $LOCUST are optional.
# Usage: bench/generator.sh [ROUNDS] [SECONDS] [CONNECTIONS...]   (default: 12 3 32 256)
# RATE_SHARE (default 0.9) sets the open model's rate as a share of wrk's median.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-12}
SECONDS_PER_RUN=${2:-3}
CONN_LIST=("${@:3}")
[[ ${#CONN_LIST[@]} -gt 0 ]] || CONN_LIST=(32 256)
PORT=${PORT:-18090}
LOCUST=${LOCUST:-/work/venvs/locust2/bin/locust}
OHA=${OHA:-$(command -v oha || true)}
WRK2=${WRK2:-}
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
# nginx's worker: its CPU time (user + system, clock ticks) read around each run. Its CPU per request
# shows which side bounds the rate: a worker busy the whole run could not have answered faster.
worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
ticks=$(getconf CLK_TCK)
nginx_ticks() { awk '{print $14 + $15}' "/proc/$worker/stat"; }
nginx_note() { # FILE_PREFIX REQUESTS TICKS_BEFORE
  local used=$(( $(nginx_ticks) - $3 ))
  awk -v u="$used" -v t="$ticks" -v n="$2" -v s="$SECONDS_PER_RUN" \
    'BEGIN {printf "%.2f\n", u / t * 1e6 / n; printf "%.0f\n", 100 * u / t / s > "/dev/stderr"}' \
    >> "$1.nginx_us" 2>> "$1.nginx_busy"
}
wrk_rps() { # CONNS
  local before; before=$(nginx_ticks)
  taskset -c 1 /usr/bin/time -f "%U %S" -o "$work/t" wrk -t1 -c"$1" -d"${SECONDS_PER_RUN}s" "$URL" > "$work/wrk.out"
  local n; n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  per_cpu "$n" "$work/t" >> "$r.wrk.cpu"
  nginx_note "$r.wrk" "$n" "$before"
  awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
}
# VARIANT "same": the very request wrk sends (`--header 'User-Agent:'` drops loadgate's user-agent);
# "agent": loadgate's default request,
# which adds `user-agent: loadgate/VERSION`. nginx parses a User-Agent for browser quirks: ~1,250
# more of its instructions per request (bench/generator_instructions.sh), a few percent of its rate.
loadgate_rps() { # VARIANT CONNS [RATE]
  local rate=() same=() before; before=$(nginx_ticks)
  [[ -n ${3:-} ]] && rate=(--rate "$3")
  [[ $1 == same ]] && same=(--header 'User-Agent:')
  taskset -c 1 /usr/bin/time -f "%U %S" -o "$work/t" "$LOADGATE" run --quiet --host "$URL" \
    "${same[@]}" -u "$2" -t "${SECONDS_PER_RUN}s" "${rate[@]}" --csv "$work/lg" >/dev/null
  local n; n=$(awk -F, 'END {print $3}' "$work/lg_stats.csv")
  if [[ -z ${3:-} ]]; then
    per_cpu "$n" "$work/t" >> "$r.$1.cpu"
    nginx_note "$r.$1" "$n" "$before"
  else
    nginx_note "$r.open" "$n" "$before"
  fi
  # The Aggregated row's total requests over the run's span (Locust's own Requests/s column).
  awk -F, 'END {print $10}' "$work/lg_stats.csv"
}
oha_rps() { # CONNS [RATE]
  local rate=()
  [[ -n ${2:-} ]] && rate=(-q "$2")
  taskset -c 1 "$OHA" --no-tui --output-format json -c "$1" -z "${SECONDS_PER_RUN}s" "${rate[@]}" "$URL" 2>/dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["summary"]["requestsPerSec"], 1))'
}
wrk2_rps() { # CONNS RATE
  taskset -c 1 "$WRK2" -t1 -c"$1" -d"${SECONDS_PER_RUN}s" -R "$2" "$URL" | awk '/Requests\/sec/ {print $2}'
}
locust_rps() { # CONNS
  taskset -c 1 "$LOCUST" -f "$work/locustfile.py" Fast --headless -u "$1" -r "$1" -t "${SECONDS_PER_RUN}s" \
    --host "http://127.0.0.1:$PORT" --csv "$work/lc" --only-summary >/dev/null 2>&1 || true
  awk -F, 'END {print $10}' "$work/lc_stats.csv"
}
paired() { python3 "$(dirname "$0")/paired.py" "$@"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)${OHA:+, $("$OHA" --version)}"
for conns in "${CONN_LIST[@]}"; do
  r="$work/c$conns"
  for f in wrk same agent oha locust; do : > "$r.$f"; : > "$r.$f.cpu"; : > "$r.$f.nginx_us"; : > "$r.$f.nginx_busy"; done
  for round in $(seq "$ROUNDS"); do
    # The order turns every round (wrk first, then loadgate first), so neither is always the one
    # that runs after a quiet or a busy minute.
    if (( round % 2 )); then
      wrk_rps "$conns" >> "$r.wrk"; loadgate_rps same "$conns" >> "$r.same"; loadgate_rps agent "$conns" >> "$r.agent"
    else
      loadgate_rps agent "$conns" >> "$r.agent"; loadgate_rps same "$conns" >> "$r.same"; wrk_rps "$conns" >> "$r.wrk"
    fi
    [[ -n $OHA ]] && oha_rps "$conns" >> "$r.oha"
    [[ -x $LOCUST ]] && locust_rps "$conns" >> "$r.locust"
    echo "  closed c=$conns, round $round: wrk $(tail -1 "$r.wrk")  loadgate $(tail -1 "$r.same")  with user-agent $(tail -1 "$r.agent")  oha $(tail -1 "$r.oha" 2>/dev/null)" >&2
  done
  w=$(median < "$r.wrk"); l=$(median < "$r.same"); a=$(median < "$r.agent")
  echo "closed model, $conns connections, ${SECONDS_PER_RUN} s, $ROUNDS rounds (medians, requests/s)"
  echo "  wrk                          $w"
  echo "  loadgate run, wrk's request  $l   ($(pct "$l" "$w") wrk)"
  echo "  $(paired "$r.wrk" "$r.same" "loadgate/wrk")"
  echo "  loadgate run, + user-agent   $a   ($(pct "$a" "$w") wrk)"
  echo "  $(paired "$r.wrk" "$r.agent" "loadgate with user-agent/wrk")"
  echo "  requests per CPU second: wrk $(median < "$r.wrk.cpu"), loadgate $(median < "$r.same.cpu") ($(pct "$(median < "$r.same.cpu")" "$(median < "$r.wrk.cpu")") wrk)"
  for g in wrk same agent; do
    echo "  nginx's worker under $g: $(median < "$r.$g.nginx_us") us of CPU per request, busy $(median < "$r.$g.nginx_busy")% of the run"
  done
  if [[ -s $r.oha ]]; then o=$(median < "$r.oha"); echo "  oha                          $o   (loadgate $(pct "$l" "$o") oha; oha adds accept, accept-encoding, user-agent)"; fi
  if [[ -s $r.locust ]]; then f=$(median < "$r.locust"); echo "  locust FastHttpUser          $f   (loadgate $(pct "$l" "$f"))"; fi

  # Near the ceiling, not at it: a rate equal to wrk's median is above what the target answers in
  # about half the minutes of a drifting machine, whichever generator asks for it.
  share=${RATE_SHARE:-0.9}
  rate=$(awk -v w="$w" -v s="$share" 'BEGIN {printf "%d", w * s}')
  : > "$r.lgo"; : > "$r.ohao"; : > "$r.wrk2o"; : > "$r.asked"; : > "$r.open.nginx_us"; : > "$r.open.nginx_busy"
  for round in $(seq "$ROUNDS"); do
    echo "$rate" >> "$r.asked"
    if (( round % 2 )) || [[ -z $OHA ]]; then
      loadgate_rps same "$conns" "$rate" >> "$r.lgo"; [[ -z $OHA ]] || oha_rps "$conns" "$rate" >> "$r.ohao"
    else
      oha_rps "$conns" "$rate" >> "$r.ohao"; loadgate_rps same "$conns" "$rate" >> "$r.lgo"
    fi
    [[ -n $WRK2 ]] && wrk2_rps "$conns" "$rate" >> "$r.wrk2o"
    echo "  open c=$conns rate $rate, round $round: loadgate $(tail -1 "$r.lgo")  oha $(tail -1 "$r.ohao" 2>/dev/null)  wrk2 $(tail -1 "$r.wrk2o" 2>/dev/null)" >&2
  done
  lo=$(median < "$r.lgo")
  echo "open model at $rate req/s ($share x wrk's median), $conns connections"
  echo "  loadgate run --rate $lo   ($(pct "$lo" "$rate") of the rate, $(pct "$lo" "$w") wrk's ceiling)"
  # A round short of the rate with nginx's worker busy throughout was short of target, not of load.
  echo "  nginx's worker in loadgate's open runs: busy $(median < "$r.open.nginx_busy")% (median), $(sort -n "$r.open.nginx_busy" | head -1)% in the idlest;" \
    "the rate held (>= 99%) in $(paste "$r.lgo" "$r.asked" | awk '$1 >= 0.99 * $2' | wc -l) of $ROUNDS rounds"
  if [[ -s $r.ohao ]]; then
    oo=$(median < "$r.ohao"); echo "  oha -q              $oo   ($(pct "$oo" "$rate") of the rate)"
    echo "  $(paired "$r.ohao" "$r.lgo" "loadgate/oha")"
  fi
  if [[ -s $r.wrk2o ]]; then
    w2=$(median < "$r.wrk2o"); echo "  wrk2 -R             $w2   ($(pct "$w2" "$rate") of the rate)"
    echo "  $(paired "$r.wrk2o" "$r.lgo" "loadgate/wrk2")"
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
