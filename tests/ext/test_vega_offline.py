"""The Sphinx extension that keeps the book's charts offline (_ext/vega_offline.py): the network
loads it reports and the Vega bundle it writes. Built pages are checked in tests/site."""

from __future__ import annotations

import sys

from support import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import vega_offline  # noqa: E402


def test_external_loads_finds_network_assets_but_not_links():
    html_text = (
        '<a href="https://example.org/">a link is fine</a><link rel="canonical" href="https://example.org/">'
        '<script src="https://cdn.example/x.js"></script><img src="//img.example/y.png">'
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=X">'
        '<style>@import "https://css.example/z.css"; .a{background:url(https://bg.example/b.png)}</style>'
        '<script src="../_static/local.js"></script><img src="data:image/png;base64,AAAA">'
    )
    assert vega_offline.external_loads(html_text) == [
        "https://cdn.example/x.js", "//img.example/y.png", "https://fonts.googleapis.com/css?family=X",
        "https://css.example/z.css", "https://bg.example/b.png",
    ]


def test_bundle_is_written_once_wrapped_and_replaced_when_it_differs(tmp_path):
    name = vega_offline.ensure_bundle(tmp_path, "6.4")
    target = tmp_path / name
    text = target.read_text(encoding="utf-8")
    assert name == "vega-offline-6_4.js"
    assert target.stat().st_mode & 0o777 == 0o644  # a web server must be able to read it
    assert "(function () {" in text[:2000] and text.rstrip().endswith("})();")
    mtime = target.stat().st_mtime_ns
    vega_offline._bundle_memo.clear()
    assert vega_offline.ensure_bundle(tmp_path, "6.4") == name
    assert target.stat().st_mtime_ns == mtime  # up to date: not rewritten
    target.write_text(text[: len(text) // 2], encoding="utf-8")  # a truncated copy
    vega_offline._bundle_memo.clear()
    vega_offline.ensure_bundle(tmp_path, "6.4")
    assert target.read_text(encoding="utf-8") == text
