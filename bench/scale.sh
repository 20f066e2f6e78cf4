#!/usr/bin/env bash
# Scale: USERS concurrent users (one connection each, 1-2 s wait between requests) against loadgate's
# demo target (`loadgate target`, its own process) for SECONDS, on this machine. Prints the
# generator's peak resident memory (GNU time), the requests, failures and rate it recorded, and checks
# the CSVs are complete (one history row per second, every user counted).
# Needs GNU time (Debian: apt-get install time) and a release build.
# Usage: bench/scale.sh [USERS] [SECONDS]          (default: 10000 60)
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-10000}
SECONDS_PER_RUN=${2:-60}
LOADGATE=${LOADGATE:-target/release/loadgate}
[[ -x $LOADGATE ]] || cargo build --release --quiet
# One descriptor per connection in each process (the target's and the generator's).
[[ $(ulimit -Hn) == unlimited || $(ulimit -Hn) -ge $((USERS + 256)) ]] ||
  { echo "needs $((USERS + 256)) open files per process (ulimit -Hn is $(ulimit -Hn))" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
trap 'kill "$target_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$LOADGATE" target -t "$((SECONDS_PER_RUN + 30))s" > "$work/target.txt" 2>&1 &
target_pid=$!
for _ in $(seq 50); do grep -qo 'http://[0-9.:]*' "$work/target.txt" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$work/target.txt" | head -1)
cat > "$work/scenario.toml" <<TOML
[wait_time]
between = [1.0, 2.0]

[[task]]
path = "/"
TOML
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; target $URL"
/usr/bin/time -f "%M" -o "$work/peak" "$LOADGATE" run -f "$work/scenario.toml" --host "$URL" \
  -u "$USERS" -r "$((USERS / 10))" -t "${SECONDS_PER_RUN}s" --csv "$work/scale" --csv-full-history
peak_kb=$(cat "$work/peak")
rows=$(awk -F, '$4 == "Aggregated"' "$work/scale_stats_history.csv" | wc -l)
max_users=$(awk -F, '$4 == "Aggregated" {if ($2 > m) m = $2} END {print m}' "$work/scale_stats_history.csv")
echo "users $USERS, $SECONDS_PER_RUN s: peak resident memory $((peak_kb / 1024)) MB;" \
  "$rows aggregated history rows, at most $max_users users in a row"
awk -F, '$2 == "Aggregated" {printf "recorded %s requests, %s failures, %.0f req/s\n", $3, $4, $10}' "$work/scale_stats.csv"
# Exit 0 or 1 is a verdict on the run (the target's latency under this load); 2 would be unreadable CSVs.
code=0; "$LOADGATE" check "$work/scale" --format json > /dev/null || code=$?
echo "loadgate check read the CSVs: exit $code ($([[ $code -lt 2 ]] && echo readable || echo NOT readable))"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
