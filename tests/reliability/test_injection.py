"""Markup in the data never becomes live in the book or in a run page (issue 15).

A copy of the data gets the same payload (closing ``</script>``, a new ``<script>``, an
``<img onerror>`` and an opening ``<!--``) appended to one row of every text field of every
table (see :func:`text_fields`; the claim's quote is added to its seed, so the data stays valid:
the test checks it). Fields whose injection the
validation would reject are left out (ids, paths, codes, the key fields that group rows). The real book is built once from that
copy (``RARE_EARTHS_DATA``) into a scratch folder, the pipeline chapter is run once, and every
chapter page and the run page are opened in headless Chromium, offline: no element, script or
attribute from the payload may exist, and on the chapters that print table text the payload must
be there, as text.

Needs the Debian package ``chromium``; without it the test is skipped, except in CI
(``CI=true``), where it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import CLI, DATA, ROOT, read_rows, write_rows

sys.path.insert(0, str(ROOT / "scripts"))
from browser_check import Chromium, find_chromium  # noqa: E402

PAYLOAD = ('</script><script>document.documentElement.dataset.pwned="script"</script>'
           '<img src=x onerror=document.documentElement.dataset.pwned="img"><!--<script>')
#: String fields that are references or codes, not text a reader sees.
NOT_TEXT = {"seed_file", "delay_pair", "row_key", "field", "release_value", "curated_value", "authority_file"}
#: Values the analysis looks up by name: renaming them would change what the book computes.
LOOKED_UP = {"China", "United States", "World total (rounded)", "World total", "World"}
#: Chapters whose pages print text from the tables (the others show numbers and charts only).
SHOWS_TABLE_TEXT = {"claims", "cost-gap", "methods", "outlook", "pipeline", "rebuild", "reserves", "shares"}

PROBE = """(() => ({
  pwned: document.documentElement.dataset.pwned || null,
  images: document.querySelectorAll('img[src="x"]').length,
  scripts: [...document.scripts].filter(s => s.textContent.includes('dataset.pwned=') &&
                                           !(s.type || '').includes('json')).length,
  comments: (() => { let n = 0; const w = document.createTreeWalker(document, NodeFilter.SHOW_COMMENT);
                     while (w.nextNode()) { if (w.currentNode.data.includes('<script>')) n++; } return n; })(),
  shown: (document.body.innerText.match(/dataset\\.pwned/g) || []).length,
}))()"""


def text_fields(table) -> list[str]:
    """String fields a reader may see: not ids, paths, enumerations or patterned codes, and of the
    primary key only the country (the other key fields group rows: editions, versions, years)."""
    return [f.name for f in table.fields if f.type == "string" and not f.enum and not f.pattern
            and not f.name.endswith("_id") and f.name not in NOT_TEXT
            and (f.name not in table.primary_key or f.name == "country")]


def inject(folder: Path) -> list[tuple[str, str]]:
    """Append the payload to one row of every text field; returns the (file, field) pairs injected."""
    from rare_earths.data.checks import validate_dataset
    from rare_earths.data.load import clear_cache
    from rare_earths.data.schema import TABLES

    injected = []
    for table in TABLES.values():
        path = folder / table.path
        header, rows = read_rows(path)
        for field in text_fields(table):
            target = next((r for r in reversed(rows) if r[field].strip() and r[field] not in LOOKED_UP), rows[-1])
            target[field] = f"{target[field]} {PAYLOAD}".strip()
            if table.name == "claims" and field == "quote":  # a quote must be found in its seed
                with (folder / "seeds" / target["seed_file"]).open("a", encoding="utf-8") as fh:
                    fh.write("\n" + target[field] + "\n")
            injected.append((table.path, field))
        write_rows(path, header, rows)
    clear_cache()
    problems = validate_dataset(folder)
    assert not problems, "the injected data must stay valid:\n" + "\n".join(str(p) for p in problems)
    return injected


@pytest.fixture(scope="module")
def injected_site(tmp_path_factory) -> tuple[Path, Path, list]:
    """(built html folder, run page, the (file, field) pairs injected)."""
    base = tmp_path_factory.mktemp("injected")
    data = base / "data"
    import shutil

    shutil.copytree(DATA, data)
    injected = inject(data)
    env = dict(os.environ, RARE_EARTHS_DATA=str(data))
    build = subprocess.run([sys.executable, "-m", "rare_earths.build", "--path-output", str(base), str(ROOT)],
                           capture_output=True, text=True, env=env, timeout=1800)
    (base / "build.log").write_text(build.stderr, encoding="utf-8")
    warnings = [line for line in build.stderr.splitlines() if "WARNING:" in line]
    assert build.returncode == 0 and not warnings, "\n".join(warnings[:20]) or build.stderr[-6000:]
    run = subprocess.run([str(CLI), "run", "pipeline", "--out", str(base / "run"), "--quiet"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return base / "_build" / "html", base / "run" / "pipeline.html", injected


def _chromium() -> str:
    path = find_chromium()
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed but CI=true: scripts/test.sh must install it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def test_markup_in_every_text_field_stays_text_in_the_book_and_the_run_page(injected_site):
    html, run_page, injected = injected_site
    chromium = _chromium()
    assert {("projects.csv", "target_text"), ("stage_shares.csv", "country"),
            ("usgs_country_supply.csv", "country")} <= set(injected)  # the fields that once ran script
    pages = {p.stem: p for p in sorted((html / "chapters").glob("*.html"))}
    pages["run:pipeline"] = run_page
    found = {}
    with Chromium(chromium) as browser:
        session = browser.new_page()
        for name, page in pages.items():
            browser.navigate(session, page.resolve().as_uri())
            time.sleep(0.5)  # charts draw and images fail to load within this
            found[name] = browser.evaluate(session, PROBE)
    live = {name: r for name, r in found.items() if r["pwned"] or r["images"] or r["scripts"] or r["comments"]}
    assert live == {}, f"markup from the data became live: {live}"
    shown = {name for name, r in found.items() if r["shown"]}
    assert SHOWS_TABLE_TEXT | {"run:pipeline"} <= shown, found  # the payload reached them, as text


def test_embedded_json_escapes_closing_tags_and_comment_openers():
    """Every JSON the pages embed goes through script_json: no `</`, `<!--` or `-->` survives raw,
    and it parses back to the same value."""
    import json

    from rare_earths.figures.charts import script_json

    value = {"text": PAYLOAD + " --> & \u2028", "nested": [PAYLOAD]}
    text = script_json(value)
    assert "</" not in text and "<!--" not in text and "-->" not in text and "<" not in text
    assert json.loads(text) == value
