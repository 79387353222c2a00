"""Offline rendering of Altair charts: the pieces shared by the book and standalone pages.

Altair's HTML output (its ``universal`` template) calls ``maybeLoadScript("vega", "6")`` and the
like, which append ``<script src="https://cdn.jsdelivr.net/...">`` unless
``window.VEGA_DEBUG["<lib>_version"]`` already equals the requested version. So a page renders
offline when it (1) runs the Vega/Vega-Lite/Vega-Embed bundle shipped by vl-convert first,
wrapped in a function so its top-level names (one is ``_``) do not clash with the page's own
scripts, and (2) presets ``VEGA_DEBUG`` with exactly the versions the page asks for.

The Sphinx extension ``_ext/vega_offline.py`` does this for the book (bundle written once into
``_static``); :func:`offline_head_html` does it inline for the standalone pages of
``rare-earths run``.
"""

from __future__ import annotations

import functools
import json
import re

# Altair's universal template: maybeLoadScript("vega-lite", "6.4.1")
LOADER_RE = re.compile(r"""maybeLoadScript\(\s*["'](vega|vega-lite|vega-embed)["']\s*,\s*["']([^"']+)["']\s*\)""")
# Fallback for the Vega-Lite version: the spec's $schema.
SCHEMA_RE = re.compile(r"schema/vega-lite/v(\d+)\.(\d+)")
CHART_RE = re.compile(r"\bvegaEmbed\s*\(")


def page_vega_versions(body: str) -> dict[str, str]:
    """The library versions the page's Altair scripts ask for: {"vega": "6", "vega-lite": "6.4.1", ...}."""
    versions: dict[str, str] = {}
    for lib, version in LOADER_RE.findall(body):
        versions.setdefault(lib, version)
    return versions


def vega_debug_preset(versions: dict[str, str]) -> str:
    """Inline JS that makes Altair's maybeLoadScript() skip the CDN for these versions."""
    # Altair's key: `${lib.replace("-", "")}_version` (JS replace with a string: first dash only).
    assignments = "".join(
        f"d[{json.dumps(lib.replace('-', '', 1) + '_version')}]={json.dumps(version)};"
        for lib, version in sorted(versions.items())
    )
    return "(function(w){var d=w.VEGA_DEBUG=(w.VEGA_DEBUG||{});" f"{assignments}" "})(window);"


def choose_vl_version(vegalite_version: str | None) -> tuple[str, str | None]:
    """vl-convert's bundle version ('6.4') for the page's Vega-Lite version ('6.4.1'), and a problem if any."""
    import vl_convert as vlc

    available = list(vlc.get_vegalite_versions())
    if not vegalite_version:
        return available[-1], None
    wanted = ".".join(vegalite_version.split(".")[:2])
    if wanted in available:
        return wanted, None
    same_major = [v for v in available if v.split(".")[0] == wanted.split(".")[0]]
    chosen = same_major[-1] if same_major else available[-1]
    return chosen, (
        f"charts ask for Vega-Lite {vegalite_version} but vl-convert bundles {', '.join(available)}: "
        f"using {chosen} (upgrade vl-convert-python to match Altair)"
    )


@functools.cache
def wrapped_bundle(vl_version: str) -> str:
    """vl-convert's JavaScript bundle wrapped in an IIFE; it assigns window.vega, vegaLite, vegaEmbed.

    Building the bundle takes about a second, so it is kept on disk per vl-convert and Vega-Lite
    version (``$XDG_CACHE_HOME/rare-earths`` or ``~/.cache/rare-earths``); it is plain generated text.
    """
    import os
    import tempfile
    from pathlib import Path

    import vl_convert as vlc

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rare-earths"
    path = cache / f"vega-offline-{getattr(vlc, '__version__', 'unknown')}-{vl_version}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    text = "(function () {\n" + vlc.javascript_bundle(vl_version=vl_version) + "\n})();\n"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=".vega-offline-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # atomic: concurrent runs never read a half-written bundle
    except OSError:
        pass  # a read-only home only costs the second
    return text


def page_vegalite_version(body: str) -> str | None:
    versions = page_vega_versions(body)
    if "vega-lite" in versions:
        return versions["vega-lite"]
    m = SCHEMA_RE.search(body)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def offline_head_html(body: str) -> str:
    """``<script>`` tags to put in the ``<head>`` of a standalone page so its charts render offline."""
    if not CHART_RE.search(body):
        return ""
    vl_version, _ = choose_vl_version(page_vegalite_version(body))
    bundle = wrapped_bundle(vl_version).replace("</script", "<\\/script")
    preset = vega_debug_preset(page_vega_versions(body))
    return f"<script>{bundle}</script>\n<script>{preset}</script>"
