#!/usr/bin/env bash
# Runs every test Rosette has: unit tests, the W3C and 1EdTech conformance vectors, the
# end-to-end tests, the interop suite against independent implementations (Node peers), the
# PostgreSQL tests (each starts its own throw-away cluster) and the fuzz targets.
# Installs what the tests need first; fails loudly when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is required to run the tests ($2)" >&2; exit 1; }
}
need cargo "install Rust from rust-toolchain.toml"
need node "the interop suite runs independent verifiers on Node.js >= 20"
need npm "the interop suite installs its peers with npm"
need c++ "the fuzz step builds libFuzzer (Debian: g++)"

bash scripts/interop-install.sh
bash scripts/install-chromium.sh
bash scripts/install-postgres.sh
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
cargo build --workspace --bins
# The README test (tests/tests/readme_using_it.rs) runs the README's own `cargo build --release`
# line; building here keeps that step's time out of the test.
cargo build --release -p rosette-agent -p rosette-wallet
cargo test --workspace --all-targets --no-fail-fast
# Storage soak (issue 13: sled deadlocked): 8 writer threads x checked batches, CAS and scans,
# 60 s x 3 rounds; fails if any storage call took 5 s or the store reopens changed. The test
# build above has it already (dependencies, redb among them, are optimised in dev builds), so
# no release build of its own: the whole command must stay under an hour on 2 cores.
ROSETTE_SOAK_SECONDS=60 ROSETTE_SOAK_ROUNDS=3 cargo test -p rosette-storage --test soak -- --nocapture
# Every fuzz target, 10 s each from its seed corpus, on the stable toolchain (scripts/fuzz.sh).
bash scripts/fuzz.sh
