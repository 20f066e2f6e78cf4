#!/usr/bin/env bash
# Whether two loadgate binaries write the same `check --format json` report, byte for byte except
# `generated_at`, with the same exit code and standard error, for every input under the directories
# given: each directory, each file and each run prefix (`X_stats.csv` -> `X`) found in them. For a
# change that must not move any output (a faster reader, a refactoring).
# Usage: bench/same_reports.sh OLD_BINARY NEW_BINARY DIR...
# Prints one line per input that differs and a count; exits 1 when any differs.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 OLD NEW DIR..." >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# A directory with no loadgate.toml above it, so that no project config applies to either run.
cd "$out"
inputs=$(
  for dir in "$@"; do
    find "$(realpath "$dir")" -mindepth 0 \( -type d -o -type f \) -print
    find "$(realpath "$dir")" -type f -name '*_stats.csv' -print | sed 's/_stats\.csv$//'
  done | sort -u
)
total=0 differ=0
while IFS= read -r input; do
  total=$((total + 1))
  for which in old new; do
    bin=$old; [[ $which == new ]] && bin=$new
    set +e
    "$bin" check "$input" --format json > "$out/$which.out" 2> "$out/$which.err"
    echo "exit $?" >> "$out/$which.err"
    set -e
    sed -i '/"generated_at": /d' "$out/$which.out"
  done
  if ! cmp -s "$out/old.out" "$out/new.out" || ! cmp -s "$out/old.err" "$out/new.err"; then
    differ=$((differ + 1))
    echo "differs: $input"
  fi
done <<< "$inputs"
echo "$total inputs, $differ differ"
[[ $differ -eq 0 ]]
