#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the tests that need one (crates/storage, tests/tests/
# postgres.rs) when its programs are missing. The tests never use a running server: each starts
# its own throw-away cluster (initdb + pg_ctl in a temp dir, loopback, a free port) through
# crates/test-postgres, as the `postgres` user when run as root. Installing the package may
# start Debian's own cluster; the tests leave it alone.
set -euo pipefail

found() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

if found; then
  echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1 || command -v initdb)"
  exit 0
fi

fail() {
  echo "error: PostgreSQL is required by the storage and replica tests and could not be installed: $1" >&2
  echo "       install Debian's 'postgresql' package (apt-get install postgresql)" >&2
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
$SUDO apt-get install -y -q --no-install-recommends postgresql util-linux \
  || fail "apt-get install postgresql failed"

found || fail "the postgresql package did not provide initdb"
echo "postgresql: installed ($(ls -d /usr/lib/postgresql/*/bin | tail -1))"
