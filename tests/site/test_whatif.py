"""The what-if controls of the built book (rare_earths.figures.whatif), in headless Chromium, offline.

On each chapter with a view (cost-gap, rebuild, outlook), three control positions, drawn at
random (seeded) from the grid the page itself declares: the first is opened as a link (the URL
holds the state), the other two are set by moving the controls as a reader does. At each, the page must show exactly what `rare-earths numbers -p ...` prints
for those parameters (or its error, for a position the registry refuses), the URL must hold the
position and the cite line must name it. The view adds at most 1 MB to its page.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time

import pytest

from support import ROOT, run_cli

sys.path.insert(0, str(ROOT / "scripts"))
from browser_check import HARMLESS_CONSOLE, Chromium, find_chromium  # noqa: E402
from rare_earths.figures.whatif import VIEWS  # noqa: E402

CHAPTERS = sorted(VIEWS)  # cost-gap, outlook, rebuild
MAX_EXTRA_BYTES = 1_000_000


def _cid(chapter: str) -> str:
    return f"chart-whatif-{chapter}"


def _page(built_book, chapter: str) -> str:
    return (built_book / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")


def _meta(page: str, chapter: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{_cid(chapter)}-meta">(.*?)</script>', page, re.S)
    assert found, f"no what-if view on the {chapter} page"
    return json.loads(found.group(1))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_view_adds_at_most_1_mb_to_its_page(built_book, chapter):
    page = _page(built_book, chapter)
    start = page.index('<div class="rr-whatif"')
    end = page.index("})();</script>\n</div>", start) + len("})();</script>\n</div>")
    assert 10_000 < len(page[start:end].encode("utf-8")) <= MAX_EXTRA_BYTES


def _expected(position: dict) -> tuple[dict | None, str | None]:
    """What `rare-earths numbers --json -p ...` prints there: {id: text as the view writes it}, or its error."""
    args = [arg for name, value in position.items() for arg in ("-p", f"{name}={value}")]
    result = run_cli("numbers", "--json", *args)
    if result.returncode == 2:
        return None, result.stderr.strip().removeprefix("rare-earths numbers: error: ")
    assert result.returncode == 0, result.stderr
    return {n["id"]: n["display"] + (f" ({n['low_high']})" if n.get("low_high") else "") for n in _with_ranges(json.loads(result.stdout))}, None


def _with_ranges(numbers: list[dict]) -> list[dict]:
    """The low–high text `rare-earths numbers` prints in its table column (value printed as `display`)."""
    from rare_earths.numbers.model import KeyNumber

    out = []
    for n in numbers:
        num = KeyNumber(n["id"], n["value"], n["unit"], n["label"], n["formula"], tuple(n["sources"]),
                        tuple(n["parameters"]), low=n["low"], high=n["high"], bound=n["bound"], decimals=n["decimals"],
                        status=n["status"], tables=tuple(n["tables"]))
        assert num.display() == n["display"]
        out.append({**n, "low_high": num.display_range()})
    return out


def _shown(browser, session, chapter: str) -> tuple[dict, list[str]]:
    def texts(layer):
        return browser.evaluate(session, f"Array.from(document.querySelectorAll('#{_cid(chapter)} g.{layer}_marks text'))"
                                         ".map(t => t.textContent)")
    ids, values = texts("whatif_id"), texts("whatif_value")
    assert len(ids) == len(values)
    return dict(zip(ids, values)), texts("whatif_message")


def _wait_for_view(browser, session, chapter: str) -> None:
    deadline = time.monotonic() + 30
    while not browser.evaluate(session, f"!!(window.rrWhatIf && window.rrWhatIf['{chapter}'])"):
        assert time.monotonic() < deadline, "the what-if view was not drawn"
        time.sleep(0.1)


def _move_controls(browser, session, chapter: str, position: dict) -> None:
    """Set each control as a reader does: the input's value, then its input/change event."""
    for name, value in position.items():
        browser.evaluate(session, f"""(async () => {{
            const el = document.querySelector('#{_cid(chapter)} [name="{name}"]');
            el.value = {json.dumps(_text(value))};
            el.dispatchEvent(new Event('input', {{bubbles: true}}));
            el.dispatchEvent(new Event('change', {{bubbles: true}}));
            await window.rrWhatIf['{chapter}'].runAsync();
        }})()""")


def _text(value) -> str:
    """A value as the page writes it in the URL and the cite line (JavaScript's String(): 55, 0.3)."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _check(browser, session, chapter: str, position: dict, defaults: dict) -> None:
    expected, error = _expected(position)
    shown, messages = _shown(browser, session, chapter)
    if error is None:
        assert messages == []
        assert sorted(shown) == sorted(VIEWS[chapter].numbers), shown
        assert shown == {i: expected[i] for i in shown}, (position, shown)
    else:
        assert messages == [error], (position, messages)
    changed = [f"{k}={_text(v)}" for k, v in position.items() if v != defaults[k]]
    state = browser.evaluate(session, "decodeURIComponent(location.hash)")
    assert state == ("#whatif:" + "&".join(changed) if changed else ""), state
    cite = browser.evaluate(session, f"document.getElementById('{_cid(chapter)}-cite').textContent")
    assert cite.startswith("Cite: Rare Earth Rivalry") and ", ".join(changed or ["the published defaults"]) in cite, cite


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_three_random_positions_show_what_the_cli_prints(built_book, chapter):
    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed but CI=true: scripts/test.sh must install it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page_path = built_book / "chapters" / f"{chapter}.html"
    meta = _meta(page_path.read_text(encoding="utf-8"), chapter)
    defaults = {c["name"]: c["default"] for c in meta["controls"]}
    rng = random.Random(20261202)
    positions = [{c["name"]: rng.choice(c["values"]) for c in meta["controls"]} for _ in range(3)]
    with Chromium() as browser:
        session = browser.new_page()
        first = "&".join(f"{k}={v}" for k, v in positions[0].items() if v != defaults[k])  # Python's 55.0 is taken too
        browser.navigate(session, page_path.as_uri() + (f"#whatif:{first}" if first else ""))  # a link reproduces the view
        _wait_for_view(browser, session, chapter)
        _check(browser, session, chapter, positions[0], defaults)
        for position in positions[1:]:
            _move_controls(browser, session, chapter, position)
            _check(browser, session, chapter, position, defaults)
        requests = [e["params"]["request"]["url"] for e in browser.events(session, "Network.requestWillBeSent")]
        assert all(url.startswith(("file:", "data:", "blob:", "about:")) for url in requests), requests
        errors = [e["params"]["exceptionDetails"].get("exception", {}).get("description", "")
                  for e in browser.events(session, "Runtime.exceptionThrown")]
        errors = [e for e in errors if not any(re.search(known, e) for known in HARMLESS_CONSOLE)]
        assert errors == [], errors
