#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60), seeded from the real fixtures. The machine has only a
# stable toolchain, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz use libFuzzer's nightly flags.
# Needs: cargo install cargo-fuzz. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(stats history failures exceptions profile baseline scenario html json merge)
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  case $t in
    stats|history|failures|exceptions) seeds=(fixtures/locust2 fixtures/locust1 fixtures/locust215 fixtures/locust2-full fixtures/locust2-exceptions fixtures/trend fixtures/bad fixtures/derived/legacy fixtures/derived/legacy_hash fixtures/derived/legacy_014) ;;
    profile) seeds=(thresholds) ;;
    scenario) seeds=(scenarios) ;;
    baseline) seeds=(fuzz/seeds/baseline) ;;
    html) seeds=(fixtures/html fixtures/bad-reports) ;;
    json) seeds=(fixtures/json fixtures/merge fixtures/bad-reports) ;;
    # Two runs in one input, split at the first NUL byte.
    merge) seeds=(fuzz/seeds/merge) ;;
  esac
  mkdir -p "fuzz/corpus/$t"
  echo "== $t (${SECONDS_EACH}s)"
  cargo fuzz run "$t" "fuzz/corpus/$t" "${seeds[@]}" -- -max_total_time="$SECONDS_EACH" -max_len=65536 2>&1 \
    | grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|SUMMARY|panicked|ERROR" || true
done
