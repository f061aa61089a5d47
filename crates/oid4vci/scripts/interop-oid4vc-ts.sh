#!/usr/bin/env bash
# Drives examples/interop_issuer.rs with the oid4vc-ts wallet from /work/shared/interop
# (protocol only: --no-verify, the example issues unsigned placeholders).
# Usage: crates/oid4vci/scripts/interop-oid4vc-ts.sh [path to a copied interop dir with node_modules]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
interop=${1:-}
if [ -z "$interop" ]; then
  interop=$(mktemp -d)/interop
  cp -r "${INTEROP_SRC:-/work/shared/interop}" "$interop" && chmod -R u+w "$interop"
  (cd "$interop" && npm ci --ignore-scripts >&2)
fi
cargo build -q -p rosette-oid4vci --example interop_issuer --manifest-path "$root/Cargo.toml"
out=$(mktemp); err=$(mktemp)
"$root/target/debug/examples/interop_issuer" >"$out" 2>"$err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
offer=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['offer'])" "$out")
pin=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['tx_code'])" "$out")
status=0
(cd "$interop" && node oid4vci-wallet.mjs --allow-http --no-verify --offer "$offer" --tx-code "$pin") || status=$?
echo "issuer log:" >&2; cat "$err" >&2
exit $status
