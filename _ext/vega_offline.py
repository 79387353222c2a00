"""Sphinx extension: Altair / Vega-Lite charts in executed notebooks render with no network.

Registered in ``_config.yml`` (``sphinx: local_extensions: {vega_offline: _ext}``).

The problem
-----------
Altair's HTML output (its ``universal`` template, used by the default/"html" renderer) is an inline
``<script>`` that, unless ``require.js`` is on the page, calls ``maybeLoadScript("vega", "6")``,
``maybeLoadScript("vega-lite", "6.4.1")`` and ``maybeLoadScript("vega-embed", "7")``. Each call
appends a ``<script src="https://cdn.jsdelivr.net/npm/...">`` *unless*
``VEGA_DEBUG["<lib without first dash>_version"]`` already equals that version string; then it
calls ``vegaEmbed(...)``. Offline, every chart shows "Error loading script".

What this extension does
------------------------
On every HTML page whose body contains a chart (a ``vegaEmbed(`` call), and only there:

1. it writes ``_static/vega-offline-<vega-lite major.minor>.js`` into the build output once (cached:
   reused while its first line matches the vl-convert and Vega-Lite versions): the output of
   ``vl_convert.javascript_bundle()`` (Vega, Vega-Lite, Vega-Embed, ~0.9 MB, which assigns
   ``window.vega``, ``window.vegaLite``, ``window.vegaEmbed``) wrapped in an IIFE so its top-level
   names (one of them ``_``) do not become globals that clash with Sphinx's own scripts (an unwrapped
   bundle breaks the search page);
2. it adds that file as a plain (blocking) ``<script>`` in the page head, so it has run before the
   chart scripts in the body;
3. it adds an inline script that presets ``window.VEGA_DEBUG`` with exactly the version strings the
   page's chart scripts ask for (read from the page itself, so an Altair upgrade cannot silently
   re-enable the CDN), so ``maybeLoadScript`` resolves without touching the network.

It also guards the rest of the offline promise: after the other extensions have added their assets,
it warns (``vega_offline.external``; fatal under ``-W``) about any page that would load a script,
stylesheet, image or frame from the network: MathJax from its CDN on pages with math (set
``mathjax_path`` to a local copy), ``require.js``/ipywidgets from a CDN (``nb_ipywidgets_js``), remote
images in Markdown, an Altair template other than ``universal`` (``<script src=cdn>``), or a chart
that needs ``require.js`` (then Altair loads through requirejs from the CDN, which presets cannot stop).
Links (``<a href>``) are not loads and are not reported. Template-level assets are checked by
``scripts/browser_check.py`` on the built site.

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

# The version detection and the VEGA_DEBUG preset are shared with the standalone pages of
# `rare-earths run`, so they live in the package.
from rare_earths.build.offline import choose_vl_version as _choose_vl_version
from rare_earths.build.offline import page_vegalite_version, page_vega_versions, vega_debug_preset, wrapped_bundle
from sphinx.util import logging

logger = logging.getLogger(__name__)

__version__ = "1.0"

BUNDLE_STEM = "vega-offline"

# A chart on the page: every Altair/vega-embed template calls vegaEmbed(...).
_CHART_RE = re.compile(r"\bvegaEmbed\s*\(")
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
    ("cdn.jsdelivr.net/npm/vega", "an Altair chart loads Vega from a CDN: use the default (universal) HTML renderer"),
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
    """Write the wrapped vl-convert bundle into ``static_dir`` unless an up-to-date one is there.

    Returns the file name (relative to ``_static``).
    """
    import vl_convert as vlc

    name = f"{BUNDLE_STEM}-{vl_version.replace('.', '_')}.js"
    target = static_dir / name
    stamp = f"/* {BUNDLE_STEM} {__version__}: vl-convert {getattr(vlc, '__version__', '?')}, vega-lite {vl_version} */"
    key = f"{target}|{stamp}"
    if _bundle_memo.get(key) == name:
        return name
    current = None
    if target.is_file():
        with target.open(encoding="utf-8") as fh:
            current = fh.readline().rstrip("\n")
    if current != stamp:
        bundle = wrapped_bundle(vl_version)
        text = (
            f"{stamp}\n"
            "/* Vega, Vega-Lite and Vega-Embed for offline charts (vl_convert.javascript_bundle()), wrapped in a\n"
            "   function so the bundle's top-level names stay private; it assigns window.vega, window.vegaLite and\n"
            "   window.vegaEmbed. Licences: BSD-3-Clause (Vega, Vega-Lite, Vega-Embed) and those of their\n"
            "   dependencies. Written by _ext/vega_offline.py. */\n"
            + bundle
        )
        static_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=static_dir, prefix=".vega-offline-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: a web server must be able to read it
        os.replace(tmp, target)
    _bundle_memo[key] = name
    return name


def _hint(url: str) -> str:
    low = url.lower()
    for needle, hint in _HINTS:
        if needle in low:
            return f" ({hint})"
    return ""


def _asset_url(asset: Any) -> str | None:
    # Sphinx's _JavaScript/_CascadingStyleSheet are str subclasses with a .filename in 7.x.
    filename = getattr(asset, "filename", asset)
    return filename if isinstance(filename, str) else None


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body") or ""
    has_chart = bool(_CHART_RE.search(body))
    if has_chart:
        versions = page_vega_versions(body)
        vl_version, problem = _choose_vl_version(page_vegalite_version(body))
        if problem:
            logger.warning(problem, type="vega_offline", subtype="version", location=pagename)
        name = ensure_bundle(Path(app.outdir) / "_static", vl_version)
        # Through the builder (not app.add_js_file): page-only, without touching the registry.
        app.builder.add_js_file(name, priority=450)
        if versions:
            app.builder.add_js_file(None, priority=451, body=vega_debug_preset(versions))
        if "requirejs.config" in body and not versions:
            logger.warning("a chart script needs require.js, which would load Vega from a CDN",
                           type="vega_offline", subtype="external", location=pagename)

    if not app.config.vega_offline_check_external:
        return
    urls: list[str] = []
    for key in ("script_files", "css_files"):
        for asset in context.get(key) or []:
            url = _asset_url(asset)
            if url and is_external(url):
                urls.append(url)
    urls.extend(external_loads(body))
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
