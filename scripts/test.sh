#!/usr/bin/env bash
# Run the whole test suite (set-up included): data and schema tests, package and CLI tests,
# the notebooks under nbval, and a full strict build of the book into a scratch folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
# --- browser for tests/test_browser.py (begin): Debian's chromium, installed only when missing ---
if ! command -v chromium >/dev/null 2>&1; then
    echo "test: installing chromium (Debian package) for the browser tests" >&2
    apt_log=$(mktemp)
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >"$apt_log" 2>&1; then
        tail -n 20 "$apt_log" >&2
        echo "test: could not install chromium: the browser tests skip (and fail when CI=true)" >&2
    fi
    rm -f "$apt_log"
fi
# --- browser (end) ---
exec .venv/bin/python -m pytest "$@"
