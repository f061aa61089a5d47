#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets, the checks in crates/fuzzing) with libFuzzer on
# the stable toolchain (`--sanitizer none`: Rust code is memory-safe without ASan; the
# coverage instrumentation libFuzzer needs is stable). Each target starts from its committed
# seed corpus, writes what it discovers to a temporary folder, and runs for
# ROSETTE_FUZZ_SECONDS (default 10; the whole test command must stay under an hour on 2
# cores). A crash, a failed assertion, an input slower than 10 s
# or more than 2 GiB of memory is a finding: its input is kept in fuzz/artifacts/<target>/
# and the script fails after running the other targets.
# Usage: scripts/fuzz.sh [target…]
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-fuzz >/dev/null 2>&1 || {
  echo "error: cargo-fuzz is required (cargo install cargo-fuzz --locked --version 0.13.2)" >&2
  exit 1
}
seconds=${ROSETTE_FUZZ_SECONDS:-10}
cd fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build --sanitizer none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  log="$work/$target.log"
  if cargo fuzz run --sanitizer none "$target" "$work/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz $target: ${runs} runs in ${seconds} s, ${cov:-cov ?}, no finding"
  else
    echo "fuzz $target: FINDING (last lines of its log follow; the input is in fuzz/artifacts/$target/)" >&2
    tail -40 "$log" >&2
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: fuzz findings in: ${failed[*]}" >&2
  echo "reproduce: cd fuzz && cargo fuzz run --sanitizer none <target> artifacts/<target>/<file>" >&2
  exit 1
fi
