"""Regenerate the files derived from the schema, the sources table and the chapters' Markdown.

    python scripts/generate.py          # write data/datapackage.json, references.bib, chapters/_glue/*.json
    python scripts/generate.py --check  # exit 1 if any is out of date (build.sh and the tests run this)

Run it after editing src/rare_earths/data/schema.py or data/sources.csv, or after a chapter's text
starts or stops using a glued number: ``chapters/_glue/<chapter>.json`` lists the glue keys the
chapter's Markdown uses, and the chapter glues only those (``glue_numbers(..., page=...)``). It
writes only these generated files; nothing curated by hand is touched.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rare_earths import CHAPTERS, __version__
from rare_earths.book.citation import bibtex_file
from rare_earths.book.glue import GLUE_KEYS_FOLDER, referenced_keys
from rare_earths.data.load import data_checked_to
from rare_earths.data.schema import datapackage_descriptor

ROOT = Path(__file__).resolve().parent.parent


def glue_key_files() -> dict[Path, str]:
    """``chapters/_glue/<chapter>.json`` for every chapter notebook: the glue keys its Markdown uses, sorted."""
    out = {}
    for chapter in CHAPTERS:
        notebook = ROOT / "chapters" / f"{chapter}.ipynb"
        if notebook.is_file():
            keys = sorted(referenced_keys(json.loads(notebook.read_text(encoding="utf-8"))))
            out[ROOT / "chapters" / GLUE_KEYS_FOLDER / f"{chapter}.json"] = json.dumps(keys, indent=1) + "\n"
    return out


def generated() -> dict[Path, str]:
    return {
        ROOT / "data" / "datapackage.json": json.dumps(
            datapackage_descriptor(__version__, data_checked_to(ROOT / "data").isoformat()), indent=2, ensure_ascii=False) + "\n",
        ROOT / "references.bib": bibtex_file(ROOT / "data"),
        **glue_key_files(),
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
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run python scripts/generate.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
