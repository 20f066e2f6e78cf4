#!/usr/bin/env bash
# How often `loadgate ab` fails, per condition, over RUNS runs each, against two bundled targets on
# 127.0.0.1 (`loadgate target`, one made slower), and what a stored-baseline comparison of the same
# runs (`loadgate compare RUN_a RUN_b`) says, for contrast:
#   same      two identical targets, with CPU_HOGS busy loops beside the run (a busy runner)
#   slow125   B's /slow 1.25x slower (the other endpoints as A's)
#   slow2x    B 2x slower everywhere
# Prints one Markdown row per condition; each run's JSON report stays in $OUT.
# Usage: bench/ab_power.sh [RUNS] [SECONDS]   (release build; LOADGATE to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
SECONDS_PER_RUN=${2:-6}
CPU_HOGS=${CPU_HOGS:-2}
LOADGATE=${LOADGATE:-target/release/loadgate}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
[[ -x $LOADGATE ]] || cargo build --release --quiet
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_target() { # variable name, then args for `loadgate target`; sets the variable to the URL
  local var=$1 file; shift
  file=$(mktemp "$OUT/target.XXXX")
  # Started in this shell (not in a $(…) subshell), so the EXIT trap knows its pid.
  "$LOADGATE" target -t 600s "$@" >"$file" &
  pids+=($!)
  for _ in $(seq 50); do [[ -s $file ]] && break; sleep 0.1; done
  printf -v "$var" '%s' "$(head -1 "$file")"
}

condition() { # name, B's target flags...
  local name=$1; shift
  local a b ab_fails=0 compare_fails=0 named=0 hogs=()
  start_target a
  start_target b "$@"
  if [[ $name == same ]]; then
    for _ in $(seq "$CPU_HOGS"); do (while :; do :; done) & hogs+=($!); pids+=($!); done
  fi
  for i in $(seq "$RUNS"); do
    local dir="$OUT/$name-$i"; mkdir -p "$dir"
    set +e
    "$LOADGATE" ab --a "$a" --b "$b" -f scenarios/ab.toml -t "${SECONDS_PER_RUN}s" --seed "$i" -q \
      --csv "$dir/run" --json "$dir/ab.json" >"$dir/ab.txt" 2>&1
    local rc=$?
    "$LOADGATE" compare "$dir/run_a" "$dir/run_b" --json "$dir/compare.json" >"$dir/compare.txt" 2>&1
    local crc=$?
    set -e
    [[ $rc == 1 ]] && ab_fails=$((ab_fails + 1))
    [[ $crc == 1 ]] && compare_fails=$((compare_fails + 1))
    # A failure that names /slow (the slowed endpoint) among the failed A/B figures.
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(c["status"]=="fail" and c.get("name")=="/slow" for c in d["ab"]["changes"]) else 1)' "$dir/ab.json"; then
      named=$((named + 1))
    fi
    local slow_pairs
    slow_pairs=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(min(c["pairs"] for c in d["ab"]["changes"] if c.get("name")=="/slow"))' "$dir/ab.json")
    echo "$name run $i: ab exit $rc, compare exit $crc, /slow pairs $slow_pairs" >&2
  done
  for h in "${hogs[@]}"; do kill "$h" 2>/dev/null || true; done
  echo "| $name | $RUNS | $ab_fails | $named | $compare_fails |"
}

echo "| condition | runs | \`ab\` failed | \`ab\` failed naming /slow | \`compare RUN_a RUN_b\` failed |"
echo "|---|--:|--:|--:|--:|"
condition same
condition slow125 --slowdown 1.25 --slow-path /slow
condition slow2x --slowdown 2
echo "reports in $OUT" >&2
