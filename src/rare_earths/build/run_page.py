"""What a run page and its saved notebook say about themselves (``rare-earths run``).

* :func:`banner`: a run is a scenario, not the published book: the parameters that differ from the
  published ones (with both values), the scenario's name and description, the data overlay and the
  date the data is checked to;
* :func:`published_glue`: the text each glued key of the chapter has in the published book
  (default parameters, shipped data), so :func:`rare_earths.build.run.resolve_myst_roles` can mark
  the numbers that moved, ``**value** (published: X)``;
* :func:`retitle_figures`: a numbered figure's caption in the notebook's metadata is fixed when the
  chapter is written; the figure's own output carries its title under this run's parameters
  (``data-figure-title``), and that is what the page and the saved notebook show.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any, Iterable, Mapping

_FIGURE_TITLE = re.compile(r'data-figure-title="([^"]*)"')


def glue_keys(nb: dict) -> list[str]:
    """The glue keys the notebook's Markdown cells use, in order."""
    from rare_earths.book.glue import referenced_keys

    return referenced_keys(nb)


def published_glue(keys: Iterable[str]) -> dict[str, str]:
    """``{glue key: glued Markdown}`` in the published book, for the keys that are registry numbers
    (words and dates glued with ``glue_text`` are not marked). Reads the data in use: call it
    with the shipped data (:func:`rare_earths.data.overlay.using_data`)."""
    from rare_earths.book.glue import GLUE_PARTS, escape_markdown, number_glue
    from rare_earths.numbers.registry import compute_numbers, domain_of

    keys = list(keys)
    domains = list(dict.fromkeys(d for d in (domain_of(k) for k in keys) if d))
    if not domains:
        return {}
    out = {}
    for number in compute_numbers({}, domains=domains):
        for key, text in number_glue(number, GLUE_PARTS).items():
            out[key] = escape_markdown(text)
    return {k: out[k] for k in keys if k in out}


def published_glue_cached(keys: Iterable[str]) -> dict[str, str]:
    """:func:`published_glue`, kept on disk (``~/.cache/rare-earths/published``) under a key made of
    the data's and the package's content, so repeated runs do not recompute the published book."""
    import hashlib
    import json
    import os
    from pathlib import Path

    from rare_earths.caches import cache_dir, make_cache_dir, trusted
    from rare_earths.data.load import data_dir, data_version

    keys = list(keys)
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(json.dumps([str(data_dir()), data_version(), keys]).encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    cache = cache_dir("published")
    target = cache / f"{digest.hexdigest()[:24]}.json"
    try:
        if trusted(target):  # the published values a run page compares against: only the user's own
            return json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    found = published_glue(keys)
    try:
        make_cache_dir("published")
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_text(json.dumps(found), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass
    return found


def published_parameters(names: Iterable[str]) -> dict[str, Any]:
    """The published value of each parameter (its default, on the data in use)."""
    from rare_earths.params import PARAMETERS

    return {n: PARAMETERS[n].resolve_default() for n in names}


def retitle_figures(nb: dict) -> None:
    """Set each numbered figure's caption (cell metadata) to the title its output was drawn with."""
    from rare_earths.build.page import joined

    for cell in nb.get("cells", ()):
        fig = (cell.get("metadata", {}).get("mystnb") or {}).get("figure")
        if cell.get("cell_type") != "code" or not isinstance(fig, dict):
            continue
        for output in cell.get("outputs") or ():
            found = _FIGURE_TITLE.search(joined((output.get("data") or {}).get("text/html")))
            if found:
                fig["caption"] = unescape(found.group(1))
                break


def _value(value: Any) -> str:
    from rare_earths.params import plain

    if isinstance(value, float):
        return f"{value:.6g}"
    return str(plain(value))


def banner(record: Mapping[str, Any], published: Mapping[str, Any], checked_to: str) -> tuple[str, str]:
    """The run's banner as (Markdown for the notebook, HTML for the page).

    ``record``: what ``params.json`` holds (``parameters``, ``scenario``, ``data``); ``published``:
    the published value of each of the chapter's parameters.
    """
    resolved = record["parameters"]
    differ = [(k, resolved[k], published[k]) for k in resolved if k in published and _value(resolved[k]) != _value(published[k])]
    scenario = record.get("scenario")
    data = record.get("data") or {}
    overlay = data.get("overlay")
    is_published = not differ and not overlay
    parts_md, parts_html = [], []
    if is_published:
        head = "The published book's parameters and data."
        parts_md.append(f"**{head}** This page was run with the default parameters on the shipped data: "
                        "its numbers are the published book's.")
        parts_html.append(f"<strong>{escape(head)}</strong> This page was run with the default parameters on the "
                          "shipped data: its numbers are the published book's.")
    else:
        head = "A scenario, not the published book."
        parts_md.append(f"**{head}** Numbers shown as **value** (published: …) differ from the published book.")
        parts_html.append(f"<strong>{escape(head)}</strong> Numbers shown in bold, followed by “published: …”, "
                          "differ from the published book.")
    if scenario:
        parts_md.append(f"Scenario **{scenario['name']}**: {scenario['description']}")
        parts_html.append(f"Scenario <strong>{escape(scenario['name'])}</strong>: {escape(scenario['description'])}")
        others = scenario.get("not_taken_by_chapter") or []
        if others:
            text = f"The scenario also sets {', '.join(others)}, which this chapter does not take."
            parts_md.append(text)
            parts_html.append(escape(text))
    if differ:
        items = [(k, _value(v), _value(p)) for k, v, p in differ]
        parts_md.append("Parameters that differ: " + "; ".join(f"`{k}` = {v} (published: {p})" for k, v, p in items) + ".")
        parts_html.append("Parameters that differ: <ul>" + "".join(
            f"<li><code>{escape(k)}</code> = {escape(v)} <span class=\"rr-published\">(published: {escape(p)})</span></li>"
            for k, v, p in items) + "</ul>")
    if overlay:
        tables = ", ".join(data.get("overlay_tables", ()))
        sha = str(data.get("overlay_sha256", ""))[:12]
        parts_md.append(f"Data: the shipped tables with the rows of `{overlay}` ({tables}; sha256 {sha}…) merged over them.")
        parts_html.append(f"Data: the shipped tables with the rows of <code>{escape(overlay)}</code> ({escape(tables)}; "
                          f"sha256 {escape(sha)}…) merged over them.")
    parts_md.append(f"Data checked to {checked_to}.")
    parts_html.append(f"Data checked to {escape(checked_to)}.")
    css = "rr-banner rr-banner-published" if is_published else "rr-banner rr-banner-scenario"
    html = (f'<aside class="{css}" role="note" style="border:2px solid {"#0072B2" if is_published else "#D55E00"};'
            'border-radius:6px;padding:.6rem 1rem;margin:1rem 0;background:#fff">'
            + "".join(f"<p style=\"margin:.3rem 0\">{p}</p>" if not p.startswith("Parameters") else
                      f"<div style=\"margin:.3rem 0\">{p}</div>" for p in parts_html) + "</aside>")
    return "\n\n".join(parts_md), html


def mark(glued: str, published: str | None) -> str:
    """A glued value as a run shows it: marked with the published value when they differ."""
    if published is None or published == glued:
        return glued
    return f"**{glued}** (published: {published})"


__all__ = ["banner", "glue_keys", "mark", "published_glue", "published_glue_cached", "published_parameters", "retitle_figures"]
