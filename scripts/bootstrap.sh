#!/usr/bin/env bash
# Set up everything the book and the tests need, on a fresh machine or an existing checkout:
# a virtual environment in .venv with the pinned stack (requirements/constraints.txt) and the
# project installed editable. Idempotent: a second run with the same lock installs nothing.
# Atomic: the "installed" stamp is written only after pip and `pip check` succeeded, so a failed
# or interrupted install is repaired by the next run (which installs again).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "bootstrap: error: Python 3.11 is required (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 2
fi

lock_hash=$(cat requirements/constraints.txt pyproject.toml | sha256sum | cut -c1-16)
stamp=".venv/.installed-$lock_hash"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
    echo "bootstrap: creating .venv" >&2
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
    rm -f .venv/.installed-*  # from here until the new stamp, the environment counts as not installed
    echo "bootstrap: installing pinned dependencies (requirements/constraints.txt)" >&2
    log=$(mktemp)
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt \
            -e ".[test]" >"$log" 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -n 30 >&2
        rm -f "$log"
        echo "bootstrap: error: pip could not install the pinned dependencies (see above); run this script again" >&2
        exit 1
    fi
    grep -v "is ignored: it is neither a file nor a directory" "$log" >&2 || true  # pip's warnings, if any
    rm -f "$log"
    .venv/bin/python -m pip check >&2
    touch "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
fi
