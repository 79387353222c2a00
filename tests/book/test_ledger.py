"""The opening chapter, the claims ledger, the methods chapter and what they rest on.

* ``rare_earths.book.ledger``: one ledger row per claim, counts that add up, the book's citation;
* ``rare_earths.book.interactive_table``: escaped, deterministic, self-contained (and, with
  Chromium installed, filterable and sortable in a real browser, offline);
* the claims figures plot exactly their data;
* ``CITATION.cff`` is valid CFF 1.2.0 and matches the package version, and the methods chapter
  prints the citation it gives;
* the three notebooks declare their parameters, glue their numbers and cite their sources.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import rare_earths
from support import ROOT
from rare_earths.book import ledger
from rare_earths.book import interactive_table, interactive_table_html
from rare_earths.data.load import load_table
from rare_earths.data.schema import VERDICTS

CHAPTERS = ROOT / "chapters"
CFF_PATH = ROOT / "CITATION.cff"


# ---------------------------------------------------------------------------------------------
# The ledger
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return load_table("claims")


def test_ledger_has_one_row_per_claim(claims):
    frame = ledger.ledger_frame()
    assert list(frame.columns) == list(ledger.LEDGER_COLUMNS)
    assert len(frame) == len(claims)
    assert frame["id"].is_unique
    assert list(frame["id"]) == sorted(claims["claim_id"])
    by_id = claims.set_index("claim_id")
    for row in frame.itertuples(index=False):
        claim = by_id.loc[row.id]
        assert row.quote == claim["quote"]  # verbatim
        assert row.verdict == ledger.VERDICT_LABELS[claim["verdict"]]
        assert (row.authority == "") == pd.isna(claim["authority_source_id"])
        assert row.claim, f"{row.id}: empty stated value"


def test_ledger_frame_follows_a_changed_table(data_copy):
    path = data_copy / "claims.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[0, "verdict"] = "conflicts"
    table.to_csv(path, index=False)
    frame = ledger.ledger_frame(data_copy)
    assert frame.loc[0, "verdict"] == "conflicts"
    assert len(frame) == len(table)


@pytest.mark.parametrize("row, text", [
    ({"bound": ">", "unit": "%", "value": 15.0}, ">15%"),
    ({"bound": "=", "unit": "%", "low": 30.0, "high": 40.0}, "30–40%"),
    ({"bound": "=", "unit": "Mt REO", "value": 15.2}, "15.2 Mt REO"),
    ({"bound": "~", "unit": "t/yr", "value": 3038.0}, "~3,038 t/yr"),
    ({"bound": "=", "unit": "year", "value": 2028.0}, "2028"),
    ({"bound": "<=", "unit": "months", "value": 1.0}, "<=1 month"),
    ({"bound": "=", "unit": "multiple", "value": 2.0}, "2×"),
    ({"bound": "=", "unit": "date", "date_low": pd.Timestamp("2025-10-31"), "date_high": pd.Timestamp("2025-10-31")}, "2025-10-31"),
    ({"bound": "=", "unit": "date", "date_low": pd.Timestamp("2025-04-01"), "date_high": pd.Timestamp("2025-04-30")},
     "2025-04-01 to 2025-04-30"),
])
def test_stated_value(row, text):
    full = {"value": None, "low": None, "high": None, "date_low": None, "date_high": None, **row}
    assert ledger.stated_value(full) == text


def test_verdict_counts_cover_every_pair_and_add_up(claims):
    counts = ledger.verdict_counts()
    articles = claims["seed_source_id"].nunique()
    assert len(counts) == articles * len(VERDICTS)  # zeros kept
    assert counts["claims"].sum() == len(claims)
    expected = claims.groupby(["seed_source_id", "verdict"]).size()
    for row in counts.itertuples():
        verdict = VERDICTS[row.verdict_order]
        assert row.verdict == ledger.VERDICT_LABELS[verdict]
        assert row.claims == expected.get((row.seed_source_id, verdict), 0)
    totals = ledger.verdict_totals()
    assert list(totals["verdict"]) == list(VERDICTS)
    assert totals["claims"].sum() == len(claims)
    assert totals["share_pct"].sum() == pytest.approx(100, abs=0.5)


def test_stage_verdict_counts(claims):
    counts = ledger.stage_verdict_counts()
    assert counts["claims"].sum() == len(claims)
    assert len(counts) == claims["stage"].nunique() * len(VERDICTS)
    stage_totals = counts.drop_duplicates("stage")["stage_claims"].tolist()
    assert stage_totals == sorted(stage_totals, reverse=True)


def test_ledger_facts_agree_with_the_table(claims):
    facts = ledger.ledger_facts()
    n = claims["verdict"].value_counts()
    assert facts["ledger.total"] == str(len(claims))
    for v in VERDICTS:
        assert facts[f"ledger.count.{v}"] == str(n.get(v, 0))
    assert int(facts["ledger.supported"]) + int(facts["ledger.flawed"]) + int(facts["ledger.count.not_found"]) == len(claims)
    assert facts["claim.C40.stated"] == "15.2 Mt REO"
    assert facts["claim.C29.authority_date"] == "2025-11-07"
    assert all(isinstance(v, str) and v for v in facts.values())


def test_sources_and_revisions_frames():
    sources = load_table("sources")
    frame = ledger.sources_frame()
    assert sorted(frame["source id"]) == sorted(sources["source_id"])
    assert {"producer", "title", "edition", "version", "published", "url"} <= set(frame.columns)
    revisions = ledger.revisions_frame()
    assert len(revisions) == len(load_table("revisions"))
    brazil = revisions[revisions["quantity"] == "Brazil rare-earth reserves (MCS 2026)"].iloc[0]
    assert brazil["change"] == "−10,000,000"


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"),
                                     (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (111, "111th")])
def test_ordinal(n, text):
    assert ledger.ordinal(n) == text


# ---------------------------------------------------------------------------------------------
# interactive_table
# ---------------------------------------------------------------------------------------------

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
    assert ids and all(i == "rr-table-nasty" or i.startswith("rr-table-nasty-") for i in ids)
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


def test_ledger_table_has_one_row_per_claim(claims):
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


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fid, expected", [
    ("claims-verdicts", lambda: ledger.verdict_counts()),
    ("claims-by-stage", lambda: ledger.stage_verdict_counts()),
    ("claims-verdict-totals", None),
])
def test_claims_figures_plot_their_data(fid, expected, claims):
    from rare_earths.figures import build_figure, get_figure_def

    fig = build_figure(fid)
    assert fig.chart.data is fig.data  # the CSV is exactly what is plotted
    assert fig.data["claims"].sum() == len(claims)
    if expected is not None:
        pd.testing.assert_frame_equal(fig.data.reset_index(drop=True), expected().reset_index(drop=True))
    else:
        totals = ledger.verdict_totals()
        assert list(fig.data["claims"]) == list(totals["claims"])
        assert list(fig.data["verdict"]) == list(totals["label"])
    spec = fig.spec()
    (values,) = spec["datasets"].values()
    assert pd.DataFrame(values)["claims"].tolist() == fig.data["claims"].tolist()
    assert get_figure_def(fid).chapter == fig.chapter
    assert fig.csv_text() == build_figure(fid).csv_text()


def test_claims_verdicts_reads_without_colour():
    """Every verdict is named on the axis and every bar labelled with its count (colour only repeats it)."""
    from rare_earths.figures import build_figure

    spec = build_figure("claims-verdicts").spec()
    layers = spec["spec"]["layer"]
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers]
    assert marks == ["bar", "text"]
    assert all(layer["encoding"]["y"]["field"] == "verdict" for layer in layers)
    assert layers[1]["encoding"]["text"]["field"] == "claims"
    assert layers[0]["encoding"]["color"]["legend"] is None


# ---------------------------------------------------------------------------------------------
# CITATION.cff
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cff() -> dict:
    return yaml.safe_load(CFF_PATH.read_text(encoding="utf-8"))


def test_citation_cff_is_valid_cff_1_2_0(cff):
    for key in ("cff-version", "message", "title", "authors"):
        assert key in cff, key
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == "Rare Earth Rivalry" == rare_earths.BOOK_TITLE
    assert cff["type"] in ("dataset", "software")
    assert cff["authors"] == [{"name": "Rare Earth Rivalry contributors"}]
    assert isinstance(cff["message"], str) and cff["message"].strip()
    assert isinstance(cff["abstract"], str) and len(cff["abstract"]) > 100
    assert isinstance(cff["keywords"], list) and cff["keywords"] and all(isinstance(k, str) and k for k in cff["keywords"])
    # CFF dates are strings YYYY-MM-DD (a YAML date would not validate against the schema)
    assert isinstance(cff["date-released"], str)
    assert dt.date.fromisoformat(cff["date-released"]).year == rare_earths.BOOK_YEAR
    assert isinstance(cff["license"], str) and re.fullmatch(r"[A-Za-z0-9.\-+]+", cff["license"])
    allowed = {"cff-version", "message", "title", "authors", "type", "abstract", "version", "date-released", "license",
               "keywords", "preferred-citation", "repository-code", "url", "doi", "identifiers", "references", "commit",
               "contact", "license-url", "repository", "repository-artifact"}
    assert set(cff) <= allowed  # the schema allows no other top-level keys


def test_citation_cff_version_is_the_package_version(cff):
    assert isinstance(cff["version"], str) and cff["version"] == rare_earths.__version__
    pref = cff["preferred-citation"]
    assert pref["version"] == rare_earths.__version__ and pref["year"] == rare_earths.BOOK_YEAR
    assert pref["title"] == cff["title"] and pref["authors"] == cff["authors"] and pref["type"] == "book"
    assert pref["date-released"] == cff["date-released"]


def test_preferred_citation_text(cff):
    expected = (f"Rare Earth Rivalry contributors ({rare_earths.BOOK_YEAR}). Rare Earth Rivalry "
                f"(version {rare_earths.__version__}) [Book]. Released {cff['date-released']}.")
    assert ledger.preferred_citation(ledger.read_citation_cff(CFF_PATH)) == expected
    assert ledger.read_citation_cff() == cff
    bib = ledger.preferred_citation_bibtex(cff)
    assert bib.startswith("@book{rare_earth_rivalry_") and f"Version {rare_earths.__version__}" in bib


def test_read_citation_cff_rejects_missing_keys(tmp_path):
    bad = tmp_path / "CITATION.cff"
    bad.write_text("cff-version: 1.2.0\ntitle: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing required keys"):
        ledger.read_citation_cff(bad)


def _execute(notebook: Path, tmp_path: Path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    from rare_earths.book.setup import kernel_config

    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}},
                   config=kernel_config()).execute()
    return nb


def _glued(nb, key: str) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook", {})
            if scrap.get("name") == key:
                markdown = out["data"][scrap.get("mime_prefix", "") + "text/markdown"]
                return html.unescape(re.sub(r"\\(.)", r"\1", markdown))  # the text as rendered
    raise AssertionError(f"nothing glued under {key!r}")


def test_methods_chapter_prints_the_citation_of_citation_cff(cff, tmp_path):
    source = _markdown(CHAPTERS / "methods.ipynb")
    assert "{glue:md}`book.citation`" in source
    nb = _execute(CHAPTERS / "methods.ipynb", tmp_path)
    expected = (f"{cff['authors'][0]['name']} ({cff['preferred-citation']['year']}). {cff['title']} "
                f"(version {cff['version']}) [Book]. Released {cff['date-released']}.")
    assert _glued(nb, "book.citation") == expected
    assert _glued(nb, "book.version") == rare_earths.__version__
    from rare_earths.build.run import data_version

    assert _glued(nb, "book.data_version") == data_version()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", _glued(nb, "book.build_date"))
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "@book{rare_earth_rivalry_" in outputs  # the BibTeX form is printed too


# ---------------------------------------------------------------------------------------------
# The notebooks
# ---------------------------------------------------------------------------------------------


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _markdown(path: Path) -> str:
    return "\n\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")


@pytest.mark.parametrize("chapter", ["intro", "claims", "methods"])
def test_chapter_declares_its_parameters(chapter):
    from rare_earths.book.setup import chapter_path, parameters_cell
    from rare_earths.params.core import chapter_parameters

    path = chapter_path(chapter)
    values = parameters_cell(path)  # exactly one cell tagged parameters, literals only
    assert set(values) == {p.name for p in chapter_parameters(chapter)}
    code = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    assert f'chapter_setup("{chapter}", globals())' in code


# Digits allowed in prose: years and spans of years, dates, version strings, identifiers.
_ALLOWED_DIGITS = re.compile(
    r"(?<![\w.])(?:19|20)\d\d(?:[–-]\d\d(?!\d))?(?:-\d\d-\d\d)?(?![\w.])"  # 2024, 2021–24, 2025-11-07
    r"|\bSHA-256\b|\bNo\. \d+\b|\bversion \d+(?:\.\d+)+|\b\d+(?:\.\d+){2}\b"  # SHA-256, No. 70, version 1.3, 1.2.0
    r"|\bat most\s+100 %"  # a rule of the data (methods, from the original text)
)


def _prose(text: str) -> str:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # fenced code
    text = re.sub(r"(?m)^\s*\d+\.\s", " ", text)  # numbered-list markers
    text = re.sub(r"\{[\w:]+\}`[^`]*`", " ", text)  # roles: {glue:md}`…`, {cite:p}`…`, {doc}`…`
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"\"[^\"]*\"|“[^”]*”", " ", text)  # quotations (the seeds' own figures)
    return _ALLOWED_DIGITS.sub(" ", text)


@pytest.mark.parametrize("chapter", ["intro", "claims", "methods"])
def test_numbers_in_prose_are_glued_not_typed(chapter):
    prose = _prose(_markdown(CHAPTERS / f"{chapter}.ipynb"))
    typed = re.findall(r".{0,30}\d.{0,30}", prose)
    assert not typed, f"{chapter}: numbers typed in the text: {typed}"


def test_intro_gives_five_numbers_with_their_sources():
    from rare_earths.numbers.registry import compute_numbers

    code = "\n".join("".join(c["source"]) for c in _cells(CHAPTERS / "intro.ipynb") if c["cell_type"] == "code")
    five = json.loads(re.search(r"FIVE = (\[.*?\])", code, re.S).group(1))
    assert len(five) == 5
    numbers = {n.id: n for n in compute_numbers()}
    text = _markdown(CHAPTERS / "intro.ipynb")
    cited = {key for group in re.findall(r"\{cite:p\}`([^`]+)`", text) for key in group.split(",")}
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    for nid in five:
        assert "{glue:md}`" + nid in text, f"{nid} is not in the text"
        missing = set(numbers[nid].sources) - cited
        assert not missing, f"{nid}: sources not cited in the intro: {missing}"
    for key in cited:
        assert f"{{{key}," in bib, f"{key} is not in references.bib"
    assert "numbers_table(N, FIVE)" in code


def test_claims_chapter_shows_the_ledger_and_its_figures():
    cells = _cells(CHAPTERS / "claims.ipynb")
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert 'interactive_table(\n    LEDGER, "claims-ledger"' in code
    names = [c["metadata"].get("mystnb", {}).get("figure", {}).get("name") for c in cells if c["cell_type"] == "code"]
    assert {"fig-claims-verdicts", "fig-claims-by-stage"} <= set(names)
    text = _markdown(CHAPTERS / "claims.ipynb")
    for key in ("ledger.total", "ledger.supported", "ledger.flawed", "ledger.count.not_found"):
        assert "{glue:md}`" + key + "`" in text
    # the walk-through: China's shares, Canada's reserves, the money mislabelled, the misdated items
    for claim in ("C27", "C31", "C28", "C22", "C20", "C40", "C07", "C39", "C09", "C11", "C29", "C50"):
        assert "{glue:md}`claim." + claim + "." in text, claim


def test_glue_markdown_publishes_exactly_what_myst_nb_glue_publishes(monkeypatch):
    """The book glues its values with a shortcut; the output must be myst-nb's own, byte for byte."""
    import IPython.display
    import myst_nb.ext.glue as mnb_glue
    from IPython.display import Markdown
    from myst_nb import glue

    from rare_earths.book import glue_markdown

    published = []

    def record(*objs, **kwargs):
        published.append((objs, kwargs))

    monkeypatch.setattr(mnb_glue, "ipy_display", record)
    monkeypatch.setattr(IPython.display, "display", record)
    for text in ("42.5", "a \\*starred\\* word", "<=13.3", ""):
        glue("some.key", Markdown(text), display=False)
        glue_markdown("some.key", text)
    assert len(published) == 8
    for theirs, ours in zip(published[::2], published[1::2]):
        assert ours == theirs


def test_glue_numbers_glues_value_and_range_by_default_and_more_on_request(monkeypatch):
    import IPython.display

    from rare_earths.book import GLUE_PARTS, glue_numbers

    names = []
    monkeypatch.setattr(IPython.display, "display", lambda bundle, raw, metadata: names.append(metadata["scrapbook"]["name"]))
    numbers = glue_numbers({}, domains=["costs"])
    assert numbers and all(i.startswith("costs.") for i in numbers)
    assert names == [k for i in numbers for k in (i, f"{i}.range")]
    names.clear()
    glue_numbers({}, ids=["costs.floor_multiple_of_2024_price"], parts=GLUE_PARTS)
    assert names == ["costs.floor_multiple_of_2024_price"] + [f"costs.floor_multiple_of_2024_price.{p}" for p in ("range", "unit", "label")]
    with pytest.raises(ValueError, match="glue_numbers glues value, range, unit, label"):
        glue_numbers({}, domains=["costs"], parts=["units"])


def test_ledger_facts_without_per_claim_keys_are_the_counts_only():
    facts = ledger.ledger_facts()
    counts = ledger.ledger_facts(per_claim=False)
    assert counts == {k: v for k, v in facts.items() if not k.startswith("claim.")}
    assert counts["ledger.total"] == str(len(ledger.ledger_frame()))


def test_ledger_facts_for_quoted_claims_only():
    facts = ledger.ledger_facts()
    quoted = ledger.ledger_facts(per_claim=["C40", "C07"])
    assert quoted == {k: v for k, v in facts.items() if not k.startswith("claim.") or k.split(".")[1] in ("C40", "C07")}
    assert "claim.C40.authority_value" in quoted and "claim.C27.verdict" not in quoted
    with pytest.raises(ValueError, match=r"unknown claim ids \['C999'\]"):
        ledger.ledger_facts(per_claim=["C999"])
