"""Chapter tables (rare_earths.book.tables): every cell escaped; interactive tables deterministic,
self-contained and (in headless Chromium, offline) filterable and sortable."""

from __future__ import annotations

import csv
import re
import sys

import pandas as pd
import pytest

from support import DATA, ROOT
from rare_earths.book import ledger
from rare_earths.book.tables import interactive_table, interactive_table_html, numbers_table, show_table, summary_table
from rare_earths.data.load import load_table
from rare_earths.numbers import compute_numbers


NASTY = pd.DataFrame({
    "id": ["A1", "A2", "A3"],
    "quote": ['a <b>bold</b> claim & "quoted"', "<img src=x onerror=\"window.__pwned=1\">", "</script><script>window.__pwned=2</script>"],
    "value": [3.5, None, 12.0],
    "verdict": ["confirmed", 'mis"label<led>', "confirmed"],
    "url": ["https://example.org/a?x=1&y=2", "javascript:alert(1)", ""],
})


def _script_bodies(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, re.S)


def test_interactive_table_escapes_every_text():
    page = interactive_table_html(NASTY, "nasty", filter_column="verdict", links={"id": "url"}, caption="<i>caption</i>")
    assert "<b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "&amp;" in page and "&quot;quoted&quot;" in page
    assert "<img" not in page and "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page
    assert page.count("<script>") == 1 and page.count("</script>") == 1  # the cell's </script> is escaped
    assert "<i>" not in page and "&lt;i&gt;caption&lt;/i&gt;" in page
    assert 'value="mis&quot;label&lt;led&gt;"' in page  # option value (attribute) escaped
    assert 'data-rr-filter="mis&quot;label&lt;led&gt;"' in page
    # links: only http(s), with the URL escaped in the attribute
    assert '<a href="https://example.org/a?x=1&amp;y=2">A1</a>' in page
    assert 'href="javascript' not in page and "<td>javascript:alert(1)</td>" in page  # shown as text, not linked
    # the script holds no data from the frame
    (script,) = _script_bodies(page)
    for text in ("bold", "pwned", "example.org", "confirmed", "A1"):
        assert text not in script


def test_interactive_table_is_deterministic_and_self_contained():
    a = interactive_table_html(NASTY, "nasty", filter_column="verdict")
    b = interactive_table_html(NASTY.copy(), "nasty", filter_column="verdict")
    assert a == b
    ids = re.findall(r'\bid="([^"]+)"', a)
    assert ids and all(i in ("rr-table-nasty", "nasty") or i.startswith("rr-table-nasty-") for i in ids)
    # The "Link to this view" href before any script ran (#nasty) names an element of the page.
    assert 'class="rr-table-link" id="rr-table-nasty-link" href="#nasty"' in a and ids.count("nasty") == 1
    assert len(ids) == len(set(ids))
    other = interactive_table_html(NASTY, "other-name", filter_column="verdict")
    assert not set(ids) & set(re.findall(r'\bid="([^"]+)"', other))
    # no external resources: no src/href to the network in tags, no CSS imports or url()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", a)
    assert "@import" not in a and "url(" not in a and "cdn" not in a.lower()
    assert interactive_table(NASTY, "nasty", filter_column="verdict").data == a


def test_interactive_table_structure():
    page = interactive_table_html(NASTY, "nasty", filter_column="verdict", filter_values=["confirmed", 'mis"label<led>'],
                                  columns=["id", "quote", "value", "verdict"])
    assert page.count("<tr data-rr-filter=") == len(NASTY)
    assert page.count('<th scope="col"') == 4 and ">url<" not in page
    assert '<option value="">all (3)</option>' in page and ">confirmed (2)</option>" in page
    assert 'data-type="number"' in page and 'data-sort="3.5"' in page and 'data-sort="12.0"' in page
    assert '<div class="rr-table-controls" hidden>' in page  # shown by the script only


@pytest.mark.parametrize("name", ["", "Has Caps", "under_score", "-lead", "a b", "a--b"])
def test_interactive_table_rejects_bad_names(name):
    with pytest.raises(ValueError):
        interactive_table_html(NASTY, name)


def test_interactive_table_rejects_unknown_columns():
    with pytest.raises(KeyError):
        interactive_table_html(NASTY, "nasty", filter_column="nope")
    with pytest.raises(KeyError):
        interactive_table_html(NASTY, "nasty", links={"id": "nope"})


def test_ledger_table_has_one_row_per_claim():
    claims = load_table("claims")
    page = interactive_table_html(ledger.ledger_frame(), "claims-ledger", filter_column="verdict",
                                  filter_values=list(ledger.VERDICT_LABELS.values()))
    assert page.count("<tr data-rr-filter=") == len(claims)
    for label in ledger.VERDICT_LABELS.values():
        count = int((claims["verdict"].map(ledger.VERDICT_LABELS) == label).sum())
        assert f">{label} ({count})</option>" in page


def _chromium():
    sys.path.insert(0, str(ROOT / "scripts"))
    from browser_check import Chromium, find_chromium

    if not find_chromium():
        import os

        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed but CI=true")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return Chromium


def test_interactive_table_in_a_browser(tmp_path):
    """Filter, drop-down, sort and URL hash work offline in headless Chromium; markup in cells stays text."""
    Chromium = _chromium()
    frame = pd.concat([NASTY, pd.DataFrame({"id": ["B1", "B2"], "quote": ["Canada reserves", "loan to Vulcan"],
                                            "value": [7.0, 1.0], "verdict": ["mislabelled", "mislabelled"],
                                            "url": ["", ""]})], ignore_index=True)
    page = tmp_path / "table.html"
    page.write_text("<!doctype html><html><head><meta charset='utf-8'><title>t</title></head><body>"
                    + interactive_table_html(frame, "demo", filter_column="verdict") + "</body></html>", encoding="utf-8")
    R = "#rr-table-demo"
    visible = f"Array.from(document.querySelectorAll('{R} tbody tr:not([hidden])')).map(tr => tr.cells[0].textContent)"
    with Chromium() as browser:
        s = browser.new_page()
        browser.navigate(s, page.as_uri())
        ev = lambda js: browser.evaluate(s, js)  # noqa: E731
        assert ev(f"document.querySelector('{R} .rr-table-controls').hidden") is False
        assert ev(f"document.querySelector('{R} .rr-table-status').textContent") == "Showing 5 of 5 rows"
        assert ev("window.__pwned === undefined")  # neither the img nor the script in a cell ran
        assert ev(f"document.querySelectorAll('{R} tbody b, {R} tbody img').length") == 0
        assert "<b>bold</b>" in ev(f"document.querySelector('{R} tbody tr').cells[1].textContent")
        ev(f"{{ const q = document.querySelector('{R} .rr-table-q'); q.value = 'CANADA  reserves'; q.dispatchEvent(new Event('input')); }}")
        assert ev(visible) == ["B1"]
        ev(f"{{ const q = document.querySelector('{R} .rr-table-q'); q.value = ''; q.dispatchEvent(new Event('input'));"
           f" const f = document.querySelector('{R} .rr-table-filter'); f.value = 'mislabelled'; f.dispatchEvent(new Event('change')); }}")
        assert ev(visible) == ["B1", "B2"]
        ev(f"document.querySelectorAll('{R} thead th button')[2].click()")  # value, ascending (numeric)
        assert ev(visible) == ["B2", "B1"]
        ev(f"document.querySelectorAll('{R} thead th button')[2].click()")  # descending
        assert ev(visible) == ["B1", "B2"]
        assert ev(f"document.querySelectorAll('{R} thead th')[2].getAttribute('aria-sort')") == "descending"
        assert ev(f"document.querySelector('{R} .rr-table-link').getAttribute('href')") == "#demo?verdict=mislabelled&sort=3&order=desc"
        ev(f"document.querySelector('{R} .rr-table-reset').click()")
        ev(f"document.querySelectorAll('{R} thead th button')[2].click()")
        assert ev(visible) == ["B2", "A1", "B1", "A3", "A2"]  # numeric order, the empty value last
        # a view from the URL, in a fresh page
        s2 = browser.new_page()
        browser.navigate(s2, page.as_uri() + "#demo?q=a&verdict=confirmed&sort=1&order=desc")
        assert browser.evaluate(s2, visible) == ["A3", "A1"]
        assert browser.evaluate(s2, f"document.querySelector('{R} .rr-table-filter').value") == "confirmed"
        browser.evaluate(s2, "window.location.hash = '#demo?verdict=mislabelled'")
        import time

        time.sleep(0.3)
        assert browser.evaluate(s2, visible) == ["B1", "B2"]
        errors = [e for e in browser._events if e["method"] == "Runtime.exceptionThrown"]
        assert not errors, errors


def test_numbers_table_and_summary_table_print_the_registrys_display():
    numbers = {n.id: n for n in compute_numbers({}, domains=["costs"])}
    ids = ["costs.us_cost_usd_per_kg", "costs.floor_multiple_of_2024_price"]
    table = numbers_table(numbers, ids)
    assert list(table.columns) == ["number", "value", "range", "unit", "sources", "id"]
    assert table.to_dict("records")[0] == {
        "number": numbers[ids[0]].label, "value": "74.25", "range": "71.50–77.00", "unit": "USD/kg",
        "sources": "smm_2025_09_18, usgs_mcs_2026_ree", "id": ids[0]}
    summary = summary_table(numbers, ids).set_index("id")
    assert summary.loc[ids[0], "value"] == "74.25 USD/kg (71.50–77.00)"
    assert summary.loc[ids[1], "value"] == "2.00 x"
    assert summary.loc[ids[1], "sources"] == "MP Materials 2025-07-10; USGS MCS 2026 v1.3"


def test_show_table_escapes_every_cell(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_table(pd.DataFrame({"quote": ["<b>bold</b> & more"]}), caption="<i>caption</i>")
    (html_out,) = [s.data for s in shown]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html_out and "<b>" not in html_out
    assert "&lt;i&gt;caption&lt;/i&gt;" in html_out


def test_show_table_keeps_ids_whole_renders_code_in_captions_and_scrolls_with_a_cue():
    from rare_earths.book.tables import table_html

    frame = pd.DataFrame([{"number": "<b>x</b>", "value": "\u226458.7", "id": "shares.china_refining_share_iea_pct"}])
    page = table_html(frame, caption="cite one with `rare-earths cite ID`")
    assert "<code>rare-earths cite ID</code>" in page and "`" not in page
    assert '<td class="rr-id">shares.china_refining_share_iea_pct</td>' in page
    assert '<td class="rr-value">\u226458.7</td>' in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.index("rr-scroll-hint") < page.index("class='rr-scroll'") < page.index("<table")


def test_numbers_table_refuses_an_id_listed_twice():
    from rare_earths.book.tables import numbers_table

    with pytest.raises(ValueError, match="listed more than once"):
        numbers_table({}, ["a.b", "a.b"])


def test_dataset_tables_lists_every_table_with_its_rows_as_registered():
    from rare_earths.book.tables import dataset_tables
    from rare_earths.data.schema import TABLES

    numbers = {n.id: n for n in compute_numbers({}, domains=["dataset"])}
    frame = dataset_tables(numbers)
    assert list(frame["file"]) == [t.path for t in TABLES.values()]
    # rows as the registry prints them, and the registry counts the CSV's data rows
    with open(DATA / TABLES["sources"].path, encoding="utf-8", newline="") as fh:
        n_sources = sum(1 for _ in csv.DictReader(fh))
    assert frame.set_index("file").loc[TABLES["sources"].path, "rows"] == f"{n_sources:,}"
