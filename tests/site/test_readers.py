"""The built book as readers see it, in headless Chromium, on every page: at 1280×800 and at a
phone's 390×844, in the light and the dark theme (pydata-sphinx-theme's ``data-theme``).

* the chapter's bottom line is in the first screen;
* no page scrolls sideways; a table wider than its column scrolls inside its own box, and the
  "scroll sideways" line above it shows;
* no chart is wider than its column, and its text is not shrunk below a legible size;
* every chart's SVG has ``role="img"`` and an ``aria-label`` (its description);
* every caption, cite line, link and table heading has a contrast of at least 4.5:1 against the
  background it is drawn on, both computed from the page's computed styles (WCAG 2 formula).

Reuses the session's one build of the real book (``built_book``). Without Chromium the test is
skipped, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from support import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from browser_check import Chromium, find_chromium, html_pages  # noqa: E402

SCREENS = {"desktop": (1280, 800, False), "phone": (390, 844, True)}
THEMES = ("light", "dark")
MIN_CONTRAST = 4.5
MIN_CHART_TEXT_PX = 10  # SVG text as drawn (font size times the chart's scale)
#: What readers must be able to read (the brief: captions, cite lines, links, table headings).
TEXT_SELECTORS = (".bd-article figcaption, .bd-article .rr-figure-caption, .bd-article .rr-figure-cite, "
                  ".bd-article .table-caption, .bd-article .rr-table-caption, .bd-article .rr-table-status, "
                  ".bd-article a, .bd-article th, .bd-article blockquote, .rr-edition")

_WAIT_JS = """(() => Array.from(document.querySelectorAll('.rr-chart'))
  .every(el => el.hasAttribute('data-rr-layout') || /could not be drawn/.test(el.textContent)))()"""

_LAYOUT_JS = r"""(() => {
  const out = {};
  const doc = document.scrollingElement || document.documentElement;
  out.scrollWidth = doc.scrollWidth; out.innerWidth = window.innerWidth; out.innerHeight = window.innerHeight;
  const bl = Array.from(document.querySelectorAll('.bd-article blockquote'))
    .find(b => b.textContent.trim().startsWith('The bottom line.'));
  out.bottomLine = bl ? {top: bl.getBoundingClientRect().top + window.scrollY,
                         bottom: bl.getBoundingClientRect().bottom + window.scrollY} : null;
  const article = document.querySelector('.bd-article');
  const column = article ? article.getBoundingClientRect().width : window.innerWidth;
  out.charts = Array.from(document.querySelectorAll('.rr-chart')).map(el => {
    const svg = el.querySelector('svg');
    if (!svg) { return {id: el.id, svg: false}; }
    const box = el.parentNode.getBoundingClientRect();
    const drawn = svg.getBoundingClientRect();
    const scale = svg.width.baseVal.value ? drawn.width / svg.width.baseVal.value : 1;
    const sizes = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {id: el.id, svg: true, width: drawn.width, column: Math.min(column, box.width),
            left: drawn.left, right: drawn.right, minText: sizes.length ? Math.min(...sizes) : null,
            role: svg.getAttribute('role'), label: svg.getAttribute('aria-label') || '',
            layout: el.getAttribute('data-rr-layout')};
  });
  out.scrollers = [];
  document.querySelectorAll('.bd-article *').forEach(el => {
    const style = getComputedStyle(el);
    if (!['auto', 'scroll'].includes(style.overflowX) || el.scrollWidth <= el.clientWidth + 1) { return; }
    if (!el.offsetParent && style.position !== 'fixed') { return; }
    const hint = el.previousElementSibling;
    out.scrollers.push({what: el.tagName.toLowerCase() + '.' + (el.className || '').toString().split(' ').join('.'),
                        cued: el.classList.contains('rr-scroll') && !!hint && hint.classList.contains('rr-scroll-hint')
                              && getComputedStyle(hint).display !== 'none'});
  });
  return out;
})()"""

_CONTRAST_JS = r"""((selector) => {
  const parse = c => { const m = /rgba?\(([^)]+)\)/.exec(c); if (!m) { return null; }
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const blend = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) { break; } } }
    let base = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) { base = layers[i][3] >= 1 ? layers[i] : blend(layers[i], base); }
    return base; };
  const out = [];
  document.querySelectorAll(selector).forEach(el => {
    const r = el.getBoundingClientRect(); const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden' || !el.textContent.trim()) { return; }
    if (el.closest('.rr-chart, .vega-embed, [hidden], details:not([open]) > :not(summary)')) { return; }
    const bg = background(el); const fg = blend(parse(style.color), bg);
    const a = lum(fg), b = lum(bg); const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    out.push({what: el.tagName.toLowerCase() + (el.className ? '.' + el.className.toString().split(' ')[0] : ''),
              text: el.textContent.trim().slice(0, 50), ratio: Math.round(ratio * 100) / 100, color: style.color,
              background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')'});
  });
  return out;
})(%s)"""


def _require_chromium() -> None:
    if find_chromium():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed but CI=true: scripts/test.sh must install it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _pages(site) -> list:
    return [p for p in html_pages(site) if p.name not in ("search.html", "genindex.html")]


#: How long a page's charts may take to say they are drawn (each takes well under a second).
CHART_DEADLINE_S = 20


def _open(browser: Chromium, page, screen: str) -> tuple[str, bool]:
    """A new tab showing ``page`` at ``screen``; and whether every chart said it was drawn in time."""
    width, height, mobile = SCREENS[screen]
    session = browser.new_page()
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, session)
    browser.navigate(session, page.as_uri())
    deadline = time.monotonic() + CHART_DEADLINE_S
    while not (drawn := browser.evaluate(session, _WAIT_JS)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return session, bool(drawn)


def _theme(browser: Chromium, session: str, theme: str) -> None:
    browser.evaluate(session, f"document.documentElement.dataset.theme = {json.dumps(theme)}; "
                              f"document.documentElement.dataset.mode = {json.dumps(theme)}; 1")
    time.sleep(0.05)


def page_problems(browser: Chromium, site, page) -> list[str]:
    """What a reader would trip over on one page, at both screens and in both themes."""
    rel = page.relative_to(site).as_posix()
    chapter = rel.startswith("chapters/")
    problems: list[str] = []
    for screen in SCREENS:
        session, drawn = _open(browser, page, screen)
        try:
            layout = browser.evaluate(session, _LAYOUT_JS)
            where = f"{rel} at {SCREENS[screen][0]} px"
            if not drawn:  # a chart that never reports its layout (data-rr-layout) was measured half-drawn
                problems.append(f"{where}: a chart did not say it was drawn within {CHART_DEADLINE_S} s")
            if layout["scrollWidth"] > layout["innerWidth"] + 1:
                problems.append(f"{where}: the page scrolls sideways ({layout['scrollWidth']} px wide)")
            line = layout["bottomLine"]
            if chapter and line is None:
                problems.append(f"{where}: no bottom line")
            elif chapter and (line["bottom"] if screen == "desktop" else line["top"]) > layout["innerHeight"]:
                problems.append(f"{where}: the bottom line is not in the first screen ({line})")
            for chart in layout["charts"]:
                if not chart["svg"]:
                    problems.append(f"{where}: chart #{chart['id']} did not render")
                    continue
                if chart["width"] > chart["column"] + 1 or chart["right"] > layout["innerWidth"] + 1:
                    problems.append(f"{where}: chart #{chart['id']} is {chart['width']:.0f} px wide in a "
                                    f"{chart['column']:.0f} px column")
                if chart["minText"] is not None and chart["minText"] < MIN_CHART_TEXT_PX:
                    problems.append(f"{where}: chart #{chart['id']} draws text at {chart['minText']:.1f} px")
                if chart["role"] != "img" or len(chart["label"]) < 20:
                    problems.append(f"{where}: chart #{chart['id']} has no accessible name (role {chart['role']!r})")
            for scroller in layout["scrollers"]:
                if not scroller["cued"]:
                    problems.append(f"{where}: {scroller['what']} scrolls sideways with no visible cue")
            for theme in THEMES:
                _theme(browser, session, theme)
                for item in browser.evaluate(session, _CONTRAST_JS % json.dumps(TEXT_SELECTORS)):
                    if item["ratio"] < MIN_CONTRAST:
                        problems.append(f"{where}, {theme} theme: {item['what']} {item['text']!r} has contrast "
                                        f"{item['ratio']}:1 ({item['color']} on {item['background']})")
        finally:
            browser.close_page(session)
    return problems


def test_every_page_reads_on_a_phone_and_a_desktop_in_both_themes(built_book):
    _require_chromium()
    problems: list[str] = []
    pages = _pages(built_book)
    assert any(p.name == "intro.html" for p in pages) and any(p.name == "bibliography.html" for p in pages)
    with Chromium() as browser:
        for page in pages:
            problems += page_problems(browser, built_book, page)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(dict.fromkeys(problems))


def test_the_checks_catch_a_wide_chart_a_faint_caption_and_a_missing_bottom_line(built_book, tmp_path):
    """The checker is not blind: a chapter page broken in three ways gives three kinds of problem."""
    _require_chromium()
    import re
    import shutil

    site = tmp_path / "html"
    shutil.copytree(built_book, site)
    page = site / "chapters" / "cost-gap.html"
    text = page.read_text(encoding="utf-8")
    # the page's own bottom line (its head's description and OpenGraph tags quote it too: not those)
    head, body = text.split("<body", 1)
    text = head + "<body" + body.replace("The bottom line.", "A line.", 1)
    text = text.replace("</head>", "<style>.rr-figure p.rr-figure-caption{color:#dddddd !important}"
                                   ".rr-chart{min-width:900px}</style></head>", 1)
    assert re.search("A line\\.", text)
    page.write_text(text, encoding="utf-8")
    with Chromium() as browser:
        found = "\n".join(page_problems(browser, site, page))
    assert "no bottom line" in found
    assert "has contrast" in found and "rr-figure-caption" in found
    assert "scrolls sideways" in found or "px wide in a" in found


def test_bibliography_labels_read_as_the_text_cites_and_no_page_is_empty_or_points_nowhere(built_book):
    """Static checks of the same build: each entry's label is the author–year text the chapters
    cite it by; no empty index page; every in-page link (#...) on a chapter names an element."""
    import html
    import re

    from rare_earths.book.citation import year_suffixes
    from rare_earths.data.load import load_table

    bib = (built_book / "bibliography.html").read_text(encoding="utf-8")
    labels = dict(re.findall(r'<div class="citation" id="([^"]+)"[^>]*>\s*<span class="label"><span class="fn-bracket">\['
                             r'</span>([^<]+)<', bib))
    assert len(labels) > 20
    shown_labels = [html.unescape(v) for v in labels.values()]
    # references.bib has plain years; the labels carry the book's letters (2025a, 2025b), so no
    # two entries share a label, and exactly the sources that share a producer and year are lettered.
    assert len(set(shown_labels)) == len(shown_labels)
    assert sum(bool(re.search(r"\d{4}[a-z]$", v)) for v in shown_labels) == len(year_suffixes(load_table("sources")))
    assert not any("\\" in v for v in shown_labels), "BibTeX escapes shown in a label"
    cited = 0
    for page in sorted((built_book / "chapters").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for target, shown in re.findall(r'href="../bibliography.html#([^"]+)"[^>]*>([^<]+)</a>', text):
            assert labels.get(target) == shown, f"{page.name}: cites {shown!r}, the bibliography labels it {labels.get(target)!r}"
            cited += 1
        ids = set(re.findall(r'\bid="([^"]+)"', text))
        missing = {h for h in re.findall(r'href="#([^"?]+)', text) if html.unescape(h) not in ids}
        assert not missing, f"{page.name}: links to #{sorted(missing)}, which name no element"
    assert cited > 20
    assert not (built_book / "genindex.html").exists()
