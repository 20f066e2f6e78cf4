#!/usr/bin/env bash
# Makes the false-alarm corpus: same-build runs of fixtures/noise/target.py in three machine
# conditions and slower builds, each a real Locust run on 127.0.0.1 (30 users, 30 s), listed in
# OUT/manifest.csv as bench/noise_rates.py reads it. Usage: bench/false_alarms/make.sh OUT [REPS]
# Environment: LOCUST (default locust), PYTHON (default python3).
set -u
out=${1:?usage: make.sh OUT [REPS]}; reps=${2:-4}
here=$(cd "$(dirname "$0")" && pwd); target="$here/../../fixtures/noise/target.py"
LOCUST=${LOCUST:-locust}; PYTHON=${PYTHON:-python3}
mkdir -p "$out"; man="$out/manifest.csv"
[ -f "$man" ] || echo "run_id,prefix,slowdown,condition,start_time_utc,locust_rc,loadavg_before" > "$man"
port=$((19000 + RANDOM % 500))
run() { # id condition slowdown-label target-flags...
  local id=$1 cond=$2 label=$3; shift 3; port=$((port + 1))
  mkdir -p "$out/$id"
  "$PYTHON" "$target" --port $port --seed $port --duration 45 --flaky-rate 0.02 "$@" > "$out/$id/target.log" 2>&1 &
  local tp=$! hog=; sleep 1
  case $cond in hog1) (while :; do :; done) & hog=$! ;; esac
  local pin=; [ "$cond" = onecore ] && pin="taskset -c 0"
  local start; start=$(date -u +%FT%TZ); local la; la=$(cut -d' ' -f1 /proc/loadavg)
  $pin "$LOCUST" -f "$here/locustfile.py" --headless -u 30 -r 10 -t 30s --host http://127.0.0.1:$port \
    --csv "$out/$id/run" --csv-full-history --json-file "$out/$id/run" --exit-code-on-error 0 \
    > "$out/$id/locust.log" 2>&1
  local rc=$?
  [ -n "$hog" ] && kill $hog 2>/dev/null
  kill $tp 2>/dev/null; wait $tp 2>/dev/null
  echo "$id,$id/run,$label,$cond,$start,$rc,$la" >> "$man"
}
day=$(date -u +%m%d%H%M)
for r in $(seq 1 "$reps"); do
  for cond in calm hog1 onecore; do run "same-$cond-$day-$r" $cond 1.0 --slowdown 1.0; done
done
for cond in calm hog1; do
  run "slow1_3-$cond-$day" $cond 1.3 --slowdown 1.3
  run "one2x-$cond-$day" $cond "one endpoint 2x" --slowdown 2.0 --only /api/search
  run "all2x-$cond-$day" $cond 2.0 --slowdown 2.0 --everything
done
