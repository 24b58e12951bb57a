#!/usr/bin/env bash
# Set up .venv/ with the test tools (and Chromium and axe-core for the browser tests), then run the tests.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh test
scripts/install-browser.sh || echo "warning: could not install Chromium; the browser test will say why it skipped"
scripts/install-axe.sh || echo "warning: could not install axe-core; the accessibility test will say why it skipped"
exec .venv/bin/python -m pytest "$@"
