#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/tests/browser_pages.rs) when
# /usr/bin/chromium is missing. Non-interactive; fails with a clear message when it cannot.
# The tests drive it with playwright-core (never a downloaded browser).
set -euo pipefail

CHROMIUM=${ROSETTE_CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "present at $CHROMIUM")"
  exit 0
fi

fail() {
  echo "error: Chromium is required by the browser tests and could not be installed: $1" >&2
  echo "       install Debian's 'chromium' package (apt-get install chromium), or set" >&2
  echo "       ROSETTE_CHROMIUM to a Chromium binary" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found (not a Debian-like system)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "not root and sudo not found"
  SUDO="sudo -n"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || fail "apt-get update failed"
$SUDO apt-get install -y -q --no-install-recommends chromium || fail "apt-get install chromium failed"

[ -x "$CHROMIUM" ] || fail "the chromium package did not provide $CHROMIUM"
echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "installed at $CHROMIUM")"
