"""Snapshot what the book's public face prints, and compare two snapshots.

A refactoring must not change the numbers, the figures or the CLI's JSON (issue: "nothing else
changes"). This script records them at one commit and compares them at another:

    python scripts/compare_outputs.py snapshot DIR     # numbers, claims, params, figure data/SVG, cites
    python scripts/compare_outputs.py compare OLD NEW  # one line per file that differs; exit 1 if any

Everything is produced through the console command's own entry point (``rare_earths.cli.main``),
in one process, with the date pinned (``SOURCE_DATE_EPOCH``), so two snapshots of the same
inputs are byte-identical.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import sys
from pathlib import Path

PINNED_EPOCH = "1779494400"  # 2026-05-23, any fixed day works


def _cli(*argv: str) -> str:
    from rare_earths.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return f"exit {code}\n{out.getvalue()}" + (f"--- stderr\n{err.getvalue()}" if err.getvalue() else "")


def snapshot(folder: Path) -> None:
    os.environ["SOURCE_DATE_EPOCH"] = PINNED_EPOCH
    folder.mkdir(parents=True, exist_ok=False)
    write = lambda name, text: (folder / name).write_text(text, encoding="utf-8")  # noqa: E731
    write("validate.txt", _cli("validate", "--json"))
    write("claims.json", _cli("claims", "--json"))
    write("numbers.json", _cli("numbers", "--json"))
    write("numbers-gap50.json", _cli("numbers", "--json", "-p", "cost_gap_high=0.5"))
    write("figures.json", _cli("figure", "--list", "--json"))
    try:  # the package face, or the module it had before the layout by concern
        from rare_earths.params import CHAPTERS
    except ImportError:
        from rare_earths.parameters import CHAPTERS

    for chapter in CHAPTERS:
        write(f"params-{chapter}.json", _cli("params", chapter, "--json"))
    figures = [row["id"] for row in json.loads(_cli("figure", "--list", "--json").split("\n", 1)[1])]
    for fid in figures:
        write(f"figure-{fid}.json", _cli("numbers", fid, "--json"))
        write(f"cite-{fid}.txt", _cli("cite", fid))
        from rare_earths.figures import build_figure

        write(f"figure-{fid}.svg", build_figure(fid).to_svg())
    numbers = json.loads(_cli("numbers", "--json").split("\n", 1)[1])
    write("cite-numbers.txt", "\n".join(_cli("cite", n["id"]) for n in numbers))
    claims = json.loads(_cli("claims", "--json").split("\n", 1)[1])
    write("cite-claims.txt", "\n".join(_cli("cite", c["id"], "--style", "markdown") for c in claims))
    sources = sorted({s for n in numbers for s in n["sources"]})
    write("cite-sources.txt", "\n".join(_cli("cite", s, "--style", "bibtex") for s in sources))


def compare(old: Path, new: Path) -> int:
    names = sorted({p.name for p in old.iterdir()} | {p.name for p in new.iterdir()})
    differing = 0
    for name in names:
        a, b = old / name, new / name
        if not a.exists() or not b.exists():
            print(f"{name}: only in {'new' if b.exists() else 'old'}")
            differing += 1
            continue
        ta, tb = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
        if ta != tb:
            differing += 1
            diff = list(difflib.unified_diff(ta.splitlines(), tb.splitlines(), str(a), str(b), n=0, lineterm=""))
            print(f"{name}: differs ({len(diff) - 2} diff lines)")
            for line in diff[2:14]:
                print("    " + line[:200])
    print(f"{differing} of {len(names)} files differ", file=sys.stderr)
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        snapshot(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
