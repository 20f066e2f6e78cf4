#!/usr/bin/env bash
# Memory and time of `loadgate check --format json` on three huge Locust inputs (issue 29), made by
# bench/make_huge_inputs.py from the real 2.47.0 fixtures (never committed; ~2.2 GB in $DATA):
#   huge.html              ~1 GB HTML report, ~4.4 M failure rows of distinct messages
#   endpoints.json         Locust's JSON with 1,000,000 endpoints (refused past 10,000)
#   failures/run           a run whose _failures.csv is ~392 MB (~2.7 M distinct messages)
# Each under GNU time (-v: peak resident memory, user and system time, wall time) and an
# address-space limit of 12 GB, so that a run that would take the machine aborts instead.
# Prints one line per input: exit code, peak RSS, user + system seconds, wall, report bytes.
# Needs GNU time (Debian: apt-get install time). Usage: bench/huge_inputs.sh [LOADGATE]
set -euo pipefail
cd "$(dirname "$0")/.."
LOADGATE=${1:-target/release/loadgate}
DATA=${DATA:-/tmp/loadgate-huge}
[[ -x $LOADGATE ]] || cargo build --release --quiet
python3 bench/make_huge_inputs.py "$DATA"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for input in huge.html endpoints.json failures/run; do
  size=$(du -sb "$DATA/$input"* | awk '{s+=$1} END {print s}')
  set +e
  (ulimit -v 12000000; /usr/bin/time -v "$LOADGATE" check "$DATA/$input" --format json \
    > "$DATA/report.json" 2> "$DATA/time.txt")
  code=$?
  set -e
  awk -v input="$input" -v size="$size" -v code="$code" -v out="$(stat -c %s "$DATA/report.json")" '
    /Maximum resident/ {rss=$NF} /User time/ {u=$NF} /System time/ {s=$NF} /Elapsed/ {w=$NF}
    END {printf "%-15s %6.0f MB in: exit %s, peak %7.1f MB (%.2fx), cpu %.1f s, wall %s, report %.1f MB\n",
         input, size/1e6, code, rss/1024, rss*1024/size, u+s, w, out/1e6}' "$DATA/time.txt"
  grep -m1 -E "^Error|out of memory" "$DATA/time.txt" || true
done
