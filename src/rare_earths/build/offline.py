"""The Vega bundle that makes the book's charts render with no network.

A chart's HTML (:meth:`rare_earths.figures.charts.Figure.chart_html`) calls ``window.vegaEmbed``;
a page with charts therefore needs the Vega, Vega-Lite and Vega-Embed bundle that vl-convert ships
(``vl_convert.javascript_bundle()``), run first and wrapped in a function so its top-level names
(one is ``_``) do not clash with the page's own scripts. The Sphinx extension
``_ext/vega_offline.py`` writes it once into the book's ``_static``; :func:`offline_head_html`
inlines it into the standalone pages of ``rare-earths run``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

from rare_earths.caches import cache_root, make_cache_dir, trusted

#: What marks a chart in a page's HTML (the container class of Figure.chart_html).
CHART_MARKER = 'class="rr-chart"'


def has_chart(body: str) -> bool:
    return CHART_MARKER in body


def _cache_dir() -> Path:
    return cache_root()


def _build_bundle(vl_version: str) -> str:
    import vl_convert as vlc

    return "(function () {\n" + vlc.javascript_bundle(vl_version=vl_version) + "\n})();\n"


@functools.cache
def wrapped_bundle(vl_version: str) -> str:
    """vl-convert's JavaScript bundle wrapped in an IIFE; it assigns window.vega, vegaLite, vegaEmbed.

    Building it takes about a second, so it is kept on disk per vl-convert and Vega-Lite version
    (``$XDG_CACHE_HOME/rare-earths``), with the SHA-256 of its text beside it: a copy whose text
    does not match (truncated, edited) is rebuilt, never served.
    """
    import vl_convert as vlc

    stem = f"vega-offline-{getattr(vlc, '__version__', 'unknown')}-{vl_version}"
    path, digest_path = _cache_dir() / f"{stem}.js", _cache_dir() / f"{stem}.sha256"
    try:
        if not (trusted(path) and trusted(digest_path)):  # the bundle runs in every page: only the user's own
            raise OSError
        text = path.read_text(encoding="utf-8")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() == digest_path.read_text(encoding="ascii").strip():
            return text
    except OSError:
        pass
    text = _build_bundle(vl_version)
    try:
        make_cache_dir()
        for target, content in ((path, text), (digest_path, hashlib.sha256(text.encode("utf-8")).hexdigest() + "\n")):
            fd, tmp = tempfile.mkstemp(dir=_cache_dir(), prefix=".vega-offline-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(content)
            os.replace(tmp, target)  # atomic: concurrent runs never read a half-written bundle
    except OSError:
        pass  # a read-only home only costs the second
    return text


def offline_head_html(body: str) -> str:
    """The ``<script>`` to put in the ``<head>`` of a standalone page so its charts render offline."""
    if not has_chart(body):
        return ""
    from rare_earths.figures.charts import vegalite_version

    # Neither may appear raw inside an inline <script>: `</script` ends it, `<!--` can make the
    # parser skip the real end tag (the bundle has neither today; in JS strings both escapes are no-ops).
    bundle = wrapped_bundle(vegalite_version()).replace("</script", "<\\/script").replace("<!--", "<\\!--")
    return f"<script>{bundle}</script>"
