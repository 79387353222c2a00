#!/usr/bin/env bash
# Set up everything the book and the tests need, on a fresh machine or an existing checkout:
# a virtual environment in .venv with the pinned stack (requirements/constraints.txt) and the
# project installed editable. Idempotent: a second run with the same lock installs nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "bootstrap: error: Python 3.11 is required (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 2
fi

lock_hash=$(cat requirements/constraints.txt pyproject.toml | sha256sum | cut -c1-16)
stamp=".venv/.installed-$lock_hash"
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
    echo "bootstrap: installing pinned dependencies (requirements/constraints.txt)" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e ".[test]" 2>&1 \
        | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
    .venv/bin/python -m pip check >&2
    rm -f .venv/.installed-*
    touch "$stamp"
fi
