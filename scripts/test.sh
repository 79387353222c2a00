#!/usr/bin/env bash
# Run the whole test suite (set-up included): data and schema tests, package and CLI tests,
# the notebooks under nbval, and a full strict build of the book into a scratch folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
