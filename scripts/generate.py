"""Regenerate the files derived from the schema and the sources table.

    python scripts/generate.py          # write data/datapackage.json and references.bib
    python scripts/generate.py --check  # exit 1 if either is out of date (used by the tests)

Run it after editing src/rare_earths/data/schema.py or data/sources.csv. It writes only these two
generated files; nothing curated by hand is touched.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rare_earths import __version__
from rare_earths.book.citation import bibtex_file
from rare_earths.data.load import data_checked_to
from rare_earths.data.schema import datapackage_descriptor

ROOT = Path(__file__).resolve().parent.parent


def generated() -> dict[Path, str]:
    return {
        ROOT / "data" / "datapackage.json": json.dumps(
            datapackage_descriptor(__version__, data_checked_to(ROOT / "data").isoformat()), indent=2, ensure_ascii=False) + "\n",
        ROOT / "references.bib": bibtex_file(ROOT / "data"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args()
    stale = []
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run python scripts/generate.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
