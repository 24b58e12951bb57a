#!/usr/bin/env bash
# Set up .venv/ if missing, build the index from seeds/ if missing, start the chat UI.
# Options are passed to app.py (python app.py --help); GRADIO_SERVER_NAME/PORT pick the address.
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
    -h|--help) exec "${PYTHON:-python3}" app.py --help ;;  # answers without installing anything
esac
scripts/setup.sh
exec .venv/bin/python app.py "$@"
