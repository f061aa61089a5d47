#!/usr/bin/env bash
# Installs the independent verifiers used by the interop tests (tests/interop/) from the npm registry,
# exactly as pinned in tests/interop/package-lock.json. Idempotent: does nothing when node_modules was
# installed from the current lock. Lifecycle scripts are never run (--ignore-scripts).
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/interop" && pwd)"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "interop-install: '$tool' not found; install Node.js >= 20 with npm (https://nodejs.org) and re-run" >&2
    exit 1
  fi
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "interop-install: Node.js >= 20 required, found $(node --version)" >&2
  exit 1
fi

stamp="$dir/node_modules/.rosette-lock.sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "interop-install: tests/interop/node_modules is up to date" >&2
  exit 0
fi

echo "interop-install: npm ci in tests/interop" >&2
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
echo "$want" >"$stamp"
echo "interop-install: done" >&2
