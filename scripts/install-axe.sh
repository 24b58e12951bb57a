#!/usr/bin/env bash
# Install axe-core (the accessibility checker the browser test injects into the page) from
# the npm registry into .venv/npm/, if it is not there yet. Needs npm.
set -euo pipefail
cd "$(dirname "$0")/.."
version="4.14.1"
target=".venv/npm/node_modules/axe-core/axe.min.js"
if [ -f "$target" ] && grep -q "\"version\": \"$version\"" .venv/npm/node_modules/axe-core/package.json; then exit 0; fi
command -v npm >/dev/null 2>&1 || { echo "npm is missing: cannot install axe-core" >&2; exit 1; }
npm install --silent --no-audit --no-fund --no-save --prefix .venv/npm "axe-core@$version" >/dev/null
test -f "$target"
