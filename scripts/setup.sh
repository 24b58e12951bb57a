#!/usr/bin/env bash
# Create .venv/ (if missing) and install the project into it; re-installs only when
# pyproject.toml changed. Usage: scripts/setup.sh [EXTRAS], e.g. scripts/setup.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv/ ..."
    "$python" -m venv .venv
fi
hash="$(cat pyproject.toml | sha1sum | cut -c1-12)"
stamp=".venv/.installed-${hash}-${extras:-base}"
# The base install is part of every install with extras: ./run.sh after ./test.sh installs nothing.
if [ -z "$extras" ] && compgen -G ".venv/.installed-${hash}-*" > /dev/null; then
    stamp="$(compgen -G ".venv/.installed-${hash}-*" | head -1)"
fi
if [ ! -f "$stamp" ]; then
    echo "Installing article-qa into .venv/ ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    # torch first, pinned: 2.13.0 is the CPU build on disk; anything else pulls CUDA wheels.
    .venv/bin/python -m pip install --quiet "torch==2.13.0"
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
    touch "$stamp"
fi
