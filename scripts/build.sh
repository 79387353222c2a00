#!/usr/bin/env bash
# Build the book into _build/html: set up, check the data, execute every chapter, render.
# Strict: any warning or failing chapter fails the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
.venv/bin/python scripts/generate.py --check
.venv/bin/rare-earths validate
.venv/bin/jupyter-book build --all -n -W --keep-going .
echo "build: open _build/html/index.html" >&2
