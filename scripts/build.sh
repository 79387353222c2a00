#!/usr/bin/env bash
# Build the book into _build/html: set up, check the data, execute the chapters whose code,
# package modules or data changed (in parallel, into Jupyter Book's cache), render.
# Strict: any warning or failing chapter fails the build. Extra arguments go to
# `python -m rare_earths.build` (--force re-executes everything, --all re-renders every page,
# -j N sets the number of parallel kernels, --dry-run says what would re-execute and why).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
.venv/bin/python scripts/generate.py --check
.venv/bin/rare-earths validate
.venv/bin/python -m rare_earths.build "$@" .
echo "build: open _build/html/index.html" >&2
