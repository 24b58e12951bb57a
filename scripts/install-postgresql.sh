#!/usr/bin/env bash
# Install Debian's PostgreSQL server (for tests/test_postgres.py, which starts a throwaway
# cluster of its own) when it is missing and apt can be used. Never fails: without it the
# PostgreSQL tests skip and say why.
set -uo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: PostgreSQL is not installed and apt-get cannot be used here; the PostgreSQL tests will skip"
    exit 0
fi
echo "Installing PostgreSQL (Debian package) for the store tests ..."
export DEBIAN_FRONTEND=noninteractive
if ! { timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq --no-install-recommends postgresql; } >/dev/null 2>&1; then
    echo "warning: could not install PostgreSQL; the PostgreSQL tests will skip"
fi
exit 0
