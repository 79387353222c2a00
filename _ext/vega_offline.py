"""Sphinx extension: the book's charts render with no network.

Registered in ``_config.yml`` (``sphinx: local_extensions: {vega_offline: _ext}``).

A chart's HTML (``rare_earths.figures.charts.Figure.chart_html``) is a container
(``class="rr-chart"``), its Vega-Lite spec as JSON and one call to ``window.vegaEmbed``. On every
HTML page that holds a chart, and only there, this extension

1. writes ``_static/vega-offline-<vega-lite major_minor>.js`` into the build output once (reused
   while its first line names the same vl-convert and Vega-Lite versions): the output of
   ``vl_convert.javascript_bundle()`` (Vega, Vega-Lite, Vega-Embed, ~0.9 MB, which assigns
   ``window.vega``, ``window.vegaLite``, ``window.vegaEmbed``) wrapped in a function so its
   top-level names (one of them ``_``) do not clash with Sphinx's own scripts (an unwrapped bundle
   breaks the search page);
2. adds that file to the page as a plain (blocking) script with Sphinx's public
   ``app.add_js_file`` called from ``html-page-context`` (page-only), so it has run before the
   chart scripts in the body.

It also guards the rest of the offline promise: after the other extensions have added their assets,
it warns (``vega_offline.external``; fatal under ``-W``) about any page that would load a script,
stylesheet, image or frame from the network: MathJax from its CDN on pages with math (set
``mathjax_path`` to a local copy), ``require.js``/ipywidgets from a CDN (``nb_ipywidgets_js``),
remote images in Markdown. Links (``<a href>``) are not loads and are not reported. Template-level
assets are checked by the browser tests on the built site.

Config values: ``vega_offline_check_external`` (default True).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

# The bundle is shared with the standalone pages of `rare-earths run`, so it lives in the package.
from rare_earths.build.offline import has_chart, wrapped_bundle
from sphinx.util import logging

logger = logging.getLogger(__name__)

__version__ = "1.0"

BUNDLE_STEM = "vega-offline"

# Tags whose URL attribute makes the browser fetch something when the page loads.
_LOADING_TAG_RE = re.compile(
    r"""<(script|img|iframe|frame|source|video|audio|embed|object|input|track|link)\b([^>]*)>""",
    re.IGNORECASE,
)
_URL_ATTR_RE = re.compile(r"""\b(src|href|data|poster|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REL_RE = re.compile(r"""\brel\s*=\s*["']?([^"'>]+)""", re.IGNORECASE)
_CSS_URL_RE = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)
# <link rel=...> values that do not fetch anything on load.
_NON_LOADING_RELS = {"canonical", "alternate", "index", "search", "prev", "next", "author", "license", "help",
                     "bookmark", "external", "nofollow", "noopener", "noreferrer", "me", "tag", "up", "first", "last"}

_HINTS = (
    ("mathjax", "a page with math loads MathJax from a CDN: set `mathjax_path` to a local copy or avoid math"),
    ("require", "require.js from a CDN (ipywidgets state in a notebook?): set `nb_ipywidgets_js: {}`"),
    ("jupyter-widgets", "ipywidgets from a CDN: set `nb_ipywidgets_js: {}`"),
    ("cdn.jsdelivr.net/npm/vega", "a chart loads Vega from a CDN: show figures with Figure.show()"),
    ("fonts.googleapis", "a web font: use the system font stack"),
)

_bundle_memo: dict[str, str] = {}


def is_external(url: str) -> bool:
    """True for a URL the browser would fetch from the network (http, https, protocol-relative)."""
    u = url.strip().lower()
    return u.startswith(("http://", "https://", "//", "ftp://", "ws://", "wss://"))


def external_loads(html_text: str) -> list[str]:
    """Network URLs that loading this HTML fragment would fetch (scripts, styles, images, frames, CSS url())."""
    found: list[str] = []
    for m in _LOADING_TAG_RE.finditer(html_text):
        tag, attrs = m.group(1).lower(), m.group(2)
        if tag == "link":
            rel = _REL_RE.search(attrs)
            rels = set((rel.group(1) if rel else "").lower().split())
            if rels and rels <= _NON_LOADING_RELS:
                continue
        for a in _URL_ATTR_RE.finditer(attrs):
            value = a.group(2) or a.group(3) or a.group(4) or ""
            urls = [part.strip().split(" ")[0] for part in value.split(",")] if a.group(1).lower() == "srcset" else [value]
            found.extend(u for u in urls if is_external(u))
    found.extend(m.group(1) for m in _CSS_URL_RE.finditer(html_text))
    return found


def ensure_bundle(static_dir: Path, vl_version: str) -> str:
    """Write the wrapped vl-convert bundle into ``static_dir`` unless an identical one is there.

    The whole file is compared (once per build process), so a truncated or edited copy is
    replaced. Returns the file name (relative to ``_static``).
    """
    import vl_convert as vlc

    name = f"{BUNDLE_STEM}-{vl_version.replace('.', '_')}.js"
    target = static_dir / name
    if _bundle_memo.get(str(target)) == name:
        return name
    stamp = f"/* {BUNDLE_STEM} {__version__}: vl-convert {getattr(vlc, '__version__', '?')}, vega-lite {vl_version} */"
    text = (
        f"{stamp}\n"
        "/* Vega, Vega-Lite and Vega-Embed for offline charts (vl_convert.javascript_bundle()), wrapped in a\n"
        "   function so the bundle's top-level names stay private; it assigns window.vega, window.vegaLite and\n"
        "   window.vegaEmbed. Licences: BSD-3-Clause (Vega, Vega-Lite, Vega-Embed) and those of their\n"
        "   dependencies. Written by _ext/vega_offline.py. */\n"
        + wrapped_bundle(vl_version)
    )
    try:
        current = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != text:
        static_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=static_dir, prefix=".vega-offline-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: a web server must be able to read it
        os.replace(tmp, target)
    _bundle_memo[str(target)] = name
    return name


def _hint(url: str) -> str:
    low = url.lower()
    for needle, hint in _HINTS:
        if needle in low:
            return f" ({hint})"
    return ""


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body") or ""
    if has_chart(body):
        from rare_earths.figures.charts import vegalite_version

        name = ensure_bundle(Path(app.outdir) / "_static", vegalite_version())
        app.add_js_file(name, priority=450)  # in html-page-context: this page only (Sphinx >= 3.5)

    if not app.config.vega_offline_check_external:
        return
    # The page's script and stylesheet tags as Sphinx's own template helpers (js_tag, css_tag) write them.
    tags = [context["js_tag"](a) for a in context.get("script_files") or []] if "js_tag" in context else []
    tags += [context["css_tag"](a) for a in context.get("css_files") or []] if "css_tag" in context else []
    urls = external_loads("\n".join(str(tag) for tag in tags)) + external_loads(body)
    if "maybeLoadScript(" in body or "altair-viz-" in body:  # Altair's own HTML template: loads Vega from a CDN
        logger.warning("page shows a plain Altair chart, whose HTML loads Vega from a CDN; show charts as "
                       "rare_earths Figures (Figure.show())", type="vega_offline", subtype="external", location=pagename)
    for url in dict.fromkeys(urls):
        logger.warning(
            f"page loads {url} from the network; the book must work offline{_hint(url)}",
            type="vega_offline", subtype="external", location=pagename,
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("vega_offline_check_external", True, "html", [bool])
    # Late priority: run after the other extensions (mathjax, myst-nb, thebe) have added their assets.
    app.connect("html-page-context", on_html_page_context, priority=900)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
