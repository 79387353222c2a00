"""House chart style and the :class:`Figure` object behind every chart of the book.

Altair is heavy (~1 s to import): nothing in ``rare_earths`` imports this module at import time.
Import it where charts are made (``from rare_earths import charts``); importing it registers and
enables the house theme ``"rare_earths"``.

House style
-----------
* fonts: the system font stack only (no web fonts: the book works offline);
* colours: the Okabe–Ito palette (:data:`OKABE_ITO`, :data:`PALETTE`), safe for the common forms of
  colour blindness; China is vermillion (:data:`CHINA_COLOUR`) and is *also* distinguishable without
  colour: add :func:`china_emphasis` encodings (black outline on bars/areas, thick solid line
  against dashed ones, diamond shape on points);
* units on axes: every quantitative x/y axis title names its unit in brackets,
  e.g. ``axis_title("Reserves", "Mt REO")`` → ``"Reserves (Mt REO)"``; :class:`Figure` checks it.

A figure
--------
``Figure(id, chart, data, caption, alt_text, sources, chapter)``: ``data`` is exactly the plotted
table, ``caption`` names the source and its vintage, ``sources`` are ids of ``data/sources.csv``.
``to_svg()`` / ``to_png(scale=2)`` (vl-convert) and ``csv_text()`` are deterministic (identical bytes
for identical inputs). ``show()`` (or a bare ``fig`` at the end of a cell) displays ONE notebook
output: the interactive chart (a container with the stable id ``chart-<id>``, so a rebuild gives
identical HTML and nbval strict mode does not trip), then the caption, a "Download the data (CSV)" link (a ``data:text/csv;base64``
URL with ``download="<id>.csv"``: works offline from disk) and the citation text. All text is
HTML-escaped. In the built book the chart renders offline through ``_ext/vega_offline.py``.
The chart's HTML is the book's own (:meth:`Figure.chart_html`): a container, the spec as escaped
JSON and one call to vega-embed; no Altair HTML template and no CDN loader.

Numbered figures and ``{numref}`` (checked with myst-nb 1.4.0)
-------------------------------------------------------------
myst-nb's cell metadata ``mystnb: figure: {name:, caption:}`` wraps *every* ``display_data``
output of the cell in a numbered ``<figure>``: it works for the HTML (Vega) output too, not only for
images, and the ``{numref}`` role with target ``fig-<id>`` resolves ("Fig. 3"; numbering follows
``numfig`` and ``use_multitoc_numbering``). Rules that follow (found by building test books; the
cell-metadata case is tested in ``tests/test_browser.py``):

* the cell must emit exactly one display output (``show()`` emits one): two outputs make two
  figures with the same name, and Sphinx warns "Duplicate explicit target name" (fails ``-W``);
* Sphinx numbers only figures that have a caption, so the metadata needs ``caption`` (a short title;
  the full caption with source and vintage is in the output). :meth:`Figure.cell_metadata` returns
  the metadata to paste (``caption_before: true`` puts "Fig. N title" above the chart);
* in a MyST-Markdown notebook the same metadata goes in the code cell's YAML header::

      ```{code-cell} ipython3
      ---
      mystnb:
        figure:
          name: fig-reserves-ranked
          caption: Rare-earth reserves by country
      ---
      fig.show()
      ```

``glue("key", fig, display=False)`` + a ``{glue:figure}`` directive with ``:name:`` also gives a
numbered figure that renders (same page); rich HTML glued across pages is fragile (toolchain notes):
prefer the cell metadata.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd

import rare_earths
from rare_earths.format import present as _present
from rare_earths.format import source_reference as source_text

# --------------------------------------------------------------------------------------------
# Theme
# --------------------------------------------------------------------------------------------

THEME_NAME = "rare_earths"

#: System fonts only: nothing is downloaded. vl-convert (SVG/PNG) falls back to the fonts installed.
FONT = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", '
        '"DejaVu Sans", Arial, sans-serif')

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with protanopia, deuteranopia, tritanopia.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Category order: strong colours first, yellow (low contrast on white) last.
PALETTE: list[str] = [OKABE_ITO[name] for name in (
    "blue", "orange", "bluish_green", "vermillion", "sky_blue", "reddish_purple", "black", "yellow",
)]

CHINA = "China"
CHINA_COLOUR = OKABE_ITO["vermillion"]
PRIMARY_COLOUR = OKABE_ITO["blue"]
NEUTRAL_COLOUR = "#9A9A9A"  # rest of world / context series (grey is not a hue: safe)
TEXT_COLOUR = "#222222"

#: vega-embed options for the book: SVG renderer (crisp, testable: ``svg.marks``); export actions
#: only (the Vega editor link needs the network).
EMBED_OPTIONS: dict[str, Any] = {
    "mode": "vega-lite",
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}


def theme() -> dict[str, Any]:
    """The house Vega-Lite config (registered as the Altair theme ``"rare_earths"``)."""
    axis = {
        "labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 13,
        "titleFontWeight": "normal", "labelColor": TEXT_COLOUR, "titleColor": TEXT_COLOUR,
        "domainColor": "#777777", "tickColor": "#777777", "gridColor": "#E3E3E3", "labelLimit": 240,
    }
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "padding": 8,
            "view": {"continuousWidth": 560, "continuousHeight": 320, "discreteWidth": 560, "stroke": None},
            "title": {"font": FONT, "fontSize": 16, "fontWeight": 600, "anchor": "start", "color": TEXT_COLOUR,
                      "subtitleFont": FONT, "subtitleFontSize": 13, "subtitleColor": "#444444", "offset": 10},
            "axis": axis,
            "axisX": {"labelAngle": 0},
            # Numbers and dates on an axis never collide ("0.00.2"): Vega drops every other label instead.
            "axisQuantitative": {"labelOverlap": "greedy", "labelSeparation": 6},
            "axisTemporal": {"labelOverlap": "greedy", "labelSeparation": 6},
            "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 12,
                       "titleFontWeight": "normal", "labelColor": TEXT_COLOUR, "titleColor": TEXT_COLOUR,
                       "symbolSize": 120, "orient": "bottom", "direction": "horizontal", "labelLimit": 240},
            "header": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 13,
                       "labelColor": TEXT_COLOUR, "titleColor": TEXT_COLOUR},
            "text": {"font": FONT, "fontSize": 12, "color": TEXT_COLOUR},
            "range": {"category": PALETTE},
            "mark": {"color": PRIMARY_COLOUR},
            "bar": {"color": PRIMARY_COLOUR},
            "line": {"strokeWidth": 2},
            "point": {"filled": True, "size": 60},
            "locale": {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]}},
        }
    }


alt.theme.register(THEME_NAME, enable=True)(theme)


def vegalite_version() -> str:
    """The Vega-Lite version (``major.minor``) vl-convert renders and bundles for Altair's specs.

    Altair's own Vega-Lite version if vl-convert has it, else vl-convert's newest of the same
    major version (else its newest).
    """
    import vl_convert as vlc

    available = list(vlc.get_vegalite_versions())
    wanted = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    if wanted in available:
        return wanted
    same_major = [v for v in available if v.split(".")[0] == wanted.split(".")[0]]
    return (same_major or available)[-1]


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element: ``<``, ``>`` and ``&`` are escaped
    (``\\u003c`` ...), so no text in the data can close the element or open a comment."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")


#: The class of a chart's container: what the offline extension (``_ext/vega_offline.py``) and
#: the run pages look for to add the Vega bundle.
CHART_CLASS = "rr-chart"


#: The JavaScript that draws a chart into ``el`` and, if it comes out wider than ``el``, draws it
#: again narrower: hconcat panels become a vconcat, then every view's width shrinks by the
#: overflow (not below 50 px), long axis labels are truncated sooner, axis titles wrap, legends
#: stack. Fonts keep their size (a last overshoot of a few pixels is scaled away, by at most 8 %).
NARROW_LAYOUT_JS = r"""    function views(node, out) {
      if (Array.isArray(node)) { node.forEach(function (n) { views(n, out); }); return out; }
      if (!node || typeof node !== "object") { return out; }
      if ((node.mark || node.layer || node.facet || node.repeat) && typeof node.width === "number") { out.push(node); }
      ["layer", "hconcat", "vconcat", "concat", "spec"].forEach(function (k) { if (node[k]) { views(node[k], out); } });
      return out;
    }
    function narrower(s, excess, available) {
      var n = JSON.parse(JSON.stringify(s));
      if (n.hconcat) { n.vconcat = n.hconcat; delete n.hconcat; return n; }
      if (n.facet && n.facet.column && !n.facet.row) { n.facet.row = n.facet.column; delete n.facet.column; return n; }
      if (n.encoding && n.encoding.column && !n.encoding.row) { n.encoding.row = n.encoding.column; delete n.encoding.column; return n; }
      if (n.concat) { n.columns = 1; }
      var found = views(n, []);
      if (!(n.vconcat || n.concat || n.facet || n.repeat) && typeof n.width === "number") {
        // One view (or layers of one): let Vega fit the whole drawing, labels and legend included.
        n.width = Math.max(120, Math.floor(available));
        n.autosize = {type: "fit-x", contains: "padding"};
        found = [];
      }
      found.forEach(function (v) { v.width = Math.max(50, Math.round(v.width - excess)); });
      if (!found.length && !n.autosize) {
        n.config = n.config || {}; n.config.view = n.config.view || {};
        var w = n.config.view.continuousWidth || 300;
        n.config.view.continuousWidth = Math.max(80, Math.round(w - excess));
      }
      n.config = n.config || {};
      n.config.axis = Object.assign({}, n.config.axis, {labelLimit: Math.min((n.config.axis || {}).labelLimit || 240, 120)});
      n.config.legend = Object.assign({}, n.config.legend, {labelLimit: 160, columns: 1});
      var line = Math.max(120, Math.floor(available) - 12);  // titles and panel headers: at most one line of the room
      n.config.title = Object.assign({}, n.config.title, {limit: line});
      var beside = Math.max(100, line - 130);  // a panel header or axis title starts after the y labels (≤ 120 px)
      n.config.header = Object.assign({}, n.config.header, {labelLimit: beside, titleLimit: beside});
      n.config.legend.direction = "vertical";
      // Several legends below a chart stand one above the other, not side by side (Vega's legend layout).
      n.config.legend.layout = {bottom: {direction: "vertical", anchor: "start"}, right: {direction: "vertical", anchor: "start"}};
      function wrap(text) {  // a long axis title as lines (about 7 px a character), never truncated: it ends with the unit
        var most = Math.max(12, Math.floor(beside / 7)), lines = [], current = "";
        String(text).split(" ").forEach(function (word) {
          if (current && (current + " " + word).length > most) { lines.push(current); current = word; }
          else { current = current ? current + " " + word : word; }
        });
        if (current) { lines.push(current); }
        return lines.length > 1 ? lines : text;
      }
      (function shorten(node) {  // label limits set on one axis or legend override the config's
        if (Array.isArray(node)) { node.forEach(shorten); return; }
        if (!node || typeof node !== "object") { return; }
        Object.keys(node).forEach(function (k) {
          var v = node[k];
          if ((k === "axis" || k === "legend") && v && typeof v === "object" && v.labelLimit > 120) { v.labelLimit = 120; }
          if (k === "legend" && v && typeof v === "object" && v.columns > 1) { v.columns = 1; }
          if (k === "header" && v && typeof v === "object") { v.labelLimit = Math.min(v.labelLimit || beside, beside); }
          if (k === "legend" && v && typeof v === "object") { v.direction = "vertical"; }
          if ((k === "x" || k === "y") && v && typeof v === "object" && typeof v.title === "string") { v.title = wrap(v.title); }
          if (k === "title" && v && typeof v === "object" && v.text !== undefined) { v.limit = Math.min(v.limit || line, line); }
          if (k === "legend" && v && typeof v === "object" && (v.orient === "right" || v.orient === "left")) { v.orient = "bottom"; }
          if (k !== "datasets" && k !== "data") { shorten(v); }
        });
      })(n);
      return n;
    }
    function named(result) {
      var svg = el.querySelector("svg");
      if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", el.getAttribute("aria-label") || ""); }
      return result;
    }
    function room() {  // the width the chart may take: its block parent's content box (vega-embed makes el inline-block)
      var box = el.parentNode, style = window.getComputedStyle(box);
      return box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    }
    function fit(s, tries) {
      return window.vegaEmbed(el, s, options).then(named).then(function (result) {
        var svg = el.querySelector("svg"), available = room();
        var excess = svg ? svg.getBoundingClientRect().width - available : 0;
        if (tries > 0 && available > 0 && excess > 1) {
          result.finalize();
          return fit(narrower(s, excess + 4, available), tries - 1);
        }
        if (svg && available > 0 && excess > 1 && available / (available + excess) >= 0.92) {
          // A few pixels over at the narrowest layout: scale the drawing down by at most 8 %.
          svg.style.width = Math.floor(available) + "px";
          svg.style.height = "auto";
        }
        el.setAttribute("data-rr-layout", s === spec ? "full" : "narrow");
        return result;
      });
    }
"""


def axis_title(name: str, unit: str) -> str:
    """An axis title with its unit: ``axis_title("Reserves", "Mt REO")`` → ``"Reserves (Mt REO)"``."""
    if not unit.strip():
        raise ValueError("axis_title: unit is empty (use e.g. '%', 't REO', 'USD/kg', 'count')")
    return f"{name} ({unit})"


def china_emphasis(field: str = "country", mark: str = "bar", *, value: str = CHINA, colour: bool = True) -> dict[str, Any]:
    """Encodings that make ``value`` (China) stand out *without relying on colour*.

    Add them to ``.encode(**china_emphasis("country", "bar"))``. By mark:

    * ``bar``/``area``/``arc``/``rect``: a thick black outline on China;
    * ``line``/``rule``/``trail``: China thick and solid, the others thinner and dashed;
    * ``point``/``circle``/``square``: China a larger diamond, the others circles.

    With ``colour=True`` China is also vermillion and the others blue (drop it when colour encodes
    another variable). Say it in the caption or a direct label ("China: outlined").
    """
    when = alt.when(alt.FieldEqualPredicate(field=field, equal=value))  # safe for any field name/value
    enc: dict[str, Any] = {}
    if colour:
        enc["color"] = when.then(alt.value(CHINA_COLOUR)).otherwise(alt.value(PRIMARY_COLOUR))
    if mark in ("bar", "area", "arc", "rect"):
        enc["stroke"] = when.then(alt.value("#000000")).otherwise(alt.value(None))
        enc["strokeWidth"] = when.then(alt.value(2.5)).otherwise(alt.value(0))
    elif mark in ("line", "rule", "trail"):
        enc["strokeWidth"] = when.then(alt.value(3.5)).otherwise(alt.value(1.5))
        enc["strokeDash"] = when.then(alt.value([1, 0])).otherwise(alt.value([5, 3]))
    elif mark in ("point", "circle", "square"):
        enc["shape"] = when.then(alt.value("diamond")).otherwise(alt.value("circle"))
        enc["size"] = when.then(alt.value(160)).otherwise(alt.value(60))
    else:
        raise ValueError(f"china_emphasis: unsupported mark {mark!r}")
    return enc


#: How a plotted field reads in a tooltip: its human title (with the unit in brackets) and, for a
#: number, the d3 format that gives the book's printed rounding (shares to a tenth of a percent,
#: USD/kg to the cent, tonnes whole, USD bn to two decimals, years whole, multiples to two decimals
#: as the registry prints them). One entry per field name, shared by every figure; a figure whose
#: field means something else passes its own ``(field, title, format)``.
TOOLTIP_FIELDS: dict[str, tuple[str, str | None]] = {
    # words
    "producer": ("Producer", None), "label": ("Item", None), "row_label": ("Row", None), "country": ("Country", None),
    "source_id": ("Source id", None), "sources": ("Source ids", None), "stage_label": ("Stage", None),
    "stage_title": ("Stage", None), "stage": ("Stage", None), "basket_label": ("Elements", None), "basis": ("Basis", None),
    "bound": ("Bound", None), "share_id": ("Share id", None), "seed_header": ("Seed's figure", None),
    "candidate_label": ("Candidate source figure", None), "closest": ("Closest match", None),
    "top3_countries": ("Top three", None), "kind": ("Kind", None), "old_bound": ("Bound, earlier edition", None),
    "new_bound": ("Bound, later edition", None), "rp_bound": ("Bound on R/P", None), "group_label": ("Group", None),
    "plant": ("Plant", None), "comparability": ("Comparability", None), "status": ("Status", None),
    "kind_label": ("Kind of estimate", None), "covers": ("What it covers", None), "series": ("Series", None),
    "case": ("Case", None), "measure": ("Measure", None), "row": ("Project", None), "promise": ("Promise", None),
    "status_label": ("Status", None), "unit": ("Unit", None), "projects": ("Projects", None),
    "article": ("Article", None), "verdict": ("Verdict", None), "input_label": ("Input and its range", None),
    "bounds": ("Bounds of the sums", None), "scope_if_counted_to_here": ("Scope counting this far", None),
    # numbers
    "share_pct": ("Share (%)", ".1f"), "low_pct": ("Low (%)", ".1f"), "high_pct": ("High (%)", ".1f"),
    "authority_pct": ("Authority's share (%)", ".1f"), "gap_pp": ("Seed minus authority (percentage points)", "+.1f"),
    "hhi": ("HHI (points, 0–10,000)", ",.0f"), "hhi_high": ("HHI, high (points)", ",.0f"),
    "china_share_pct": ("China's share (%)", ".1f"), "top3_share_pct": ("Top three's share (%)", ".1f"),
    "unlisted_pct": ("Not listed by country (%)", ".1f"), "rank_new": ("Rank", "d"),
    "reserves_new_mt": ("Reserves (Mt REO)", ",.1f"), "reserves_old_mt": ("Reserves, earlier edition (Mt REO)", ",.1f"),
    "share_max_pct": ("Share of world reserves, at most (%)", ".1f"), "value_mt": ("Amount (Mt REO)", ",.1f"),
    "reserves_t": ("Reserves (t REO)", ",.0f"), "production_t": ("Mine production (t REO)", ",.0f"),
    "rp_years": ("Reserves-to-production (years)", ",.0f"), "old_mt": ("Earlier edition (Mt REO)", ",.1f"),
    "new_mt": ("Later edition (Mt REO)", ",.1f"), "old_t": ("Earlier estimate (t REO)", ",.0f"),
    "new_t": ("Later figure (t REO)", ",.0f"), "ratio": ("Later over earlier (×)", ".2f"),
    "low_usd_per_kg": ("Low (USD/kg)", ",.2f"), "high_usd_per_kg": ("High (USD/kg)", ",.2f"),
    "price_usd_per_kg": ("Price (USD/kg)", ",.2f"), "multiple": ("Floor as a multiple of the price (×)", ".2f"),
    "topup_usd_m_per_year": ("DoD top-up (USD m/yr)", ",.1f"), "year": ("Year", "d"),
    "low_usd_k_per_t": ("Low (USD thousand per t/yr)", ",.1f"), "high_usd_k_per_t": ("High (USD thousand per t/yr)", ",.1f"),
    "amount_usd_bn": ("Amount (USD bn)", ",.2f"), "start_usd_bn": ("Running total before (USD bn)", ",.2f"),
    "end_usd_bn": ("Running total after (USD bn)", ",.2f"), "n_announcements": ("Announcements", "d"),
    "value_usd_bn": ("Amount (USD bn)", ",.2f"), "total_usd_bn": ("Running total (USD bn)", ",.2f"),
    "low_usd_bn": ("Low (USD bn)", ",.2f"), "central_usd_bn": ("Central (USD bn)", ",.2f"),
    "high_usd_bn": ("High (USD bn)", ",.2f"),
    "self_sufficiency_p10_pct": ("Self-sufficiency, 10th percentile (%)", ",.0f"),
    "self_sufficiency_p50_pct": ("Self-sufficiency, median (%)", ",.0f"),
    "self_sufficiency_p90_pct": ("Self-sufficiency, 90th percentile (%)", ",.0f"),
    "p_cover_pct": ("Probability of covering demand (%)", ".0f"), "p_pct": ("Probability (%)", ".0f"),
    "days_to_target": ("Days to the target date", ",d"), "value_t": ("Amount (t)", ",.0f"),
    "claims": ("Claims", "d"),
}


def tooltips(*fields: str | tuple) -> list[alt.Tooltip]:
    """Tooltip channels with human titles and the book's rounding (:data:`TOOLTIP_FIELDS`).

    Each item is a field name of :data:`TOOLTIP_FIELDS` (``"share_pct"``), a tuple
    ``(field, title, format)`` for a field that means something particular here (``format`` None
    for words), or an ``alt.Tooltip`` already complete. A field name that is not in the table
    fails loudly: every tooltip must say what it shows.
    """
    out: list[alt.Tooltip] = []
    for item in fields:
        if isinstance(item, alt.Tooltip):
            out.append(item)
            continue
        if isinstance(item, tuple):
            name, title, fmt = item
        else:
            if item not in TOOLTIP_FIELDS:
                raise KeyError(f"tooltips: no title for field {item!r}; add it to TOOLTIP_FIELDS or pass (field, title, format)")
            name, (title, fmt) = item, TOOLTIP_FIELDS[item]
        if fmt is None:
            out.append(alt.Tooltip(f"{name}:N", title=title))
        else:
            out.append(alt.Tooltip(f"{name}:Q", title=title, format=fmt))
    return out


def times_label(field: str, decimals: int = 1) -> dict[str, Any]:
    """A calculated text ``"2.0×"`` for a multiple (use as ``transform_calculate(**times_label("multiple"))``)."""
    return {f"{field}_label": f"format(datum['{field}'], '.{decimals}f') + '\u00d7'"}


# --------------------------------------------------------------------------------------------
# Figure
# --------------------------------------------------------------------------------------------

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SENTENCE_END_RE = re.compile(r"(?<=[a-z0-9%)\]]{2})\.(?:\s+|$)")


class FigureError(ValueError):
    """A Figure is missing something it must have; the message names the field."""


def _source_table() -> pd.DataFrame:
    from rare_earths.data.load import load_table

    return load_table("sources").set_index("source_id", drop=False)


def _quantitative_axes_without_unit(spec: Any, path: str = "") -> list[str]:
    """Paths of quantitative x/y encodings whose axis title does not name a unit in brackets."""
    problems: list[str] = []
    if isinstance(spec, dict):
        enc = spec.get("encoding")
        if isinstance(enc, dict):
            for channel in ("x", "y"):
                ch = enc.get(channel)
                if not isinstance(ch, dict) or ch.get("type") != "quantitative" or ch.get("axis", {}) is None:
                    continue
                title = ch.get("title", (ch.get("axis") or {}).get("title"))
                if re.search(r"(?i)\byears?\b|^year|year$", f"{ch.get('field', '')} {title or ''}".strip()):
                    continue  # a year on a quantitative scale has no unit to name
                if title is None or not re.search(r"\(.+\)|\[.+\]", str(title)):
                    problems.append(f"{path or 'chart'}.{channel} ({ch.get('field', '?')!s}: title {title!r})")
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for i, sub in enumerate(spec.get(key) or []):
                problems += _quantitative_axes_without_unit(sub, f"{path}{key}[{i}]")
        if isinstance(spec.get("spec"), dict):
            problems += _quantitative_axes_without_unit(spec["spec"], f"{path}spec")
    return problems


@dataclass
class Figure:
    """One chart of the book with everything needed to show, cite and download it.

    id        stable name, lower-case words joined by dashes (``"reserves-ranked"``); the numbered
              figure's label is ``fig-<id>``, the CSV ``<id>.csv``
    chart     the Altair chart
    data      exactly the plotted data (what the CSV link downloads)
    caption   names the data's source and vintage (e.g. "… Source: USGS MCS 2026 (data for 2025).")
    alt_text  what the chart shows, for screen readers (also set as the chart's ARIA description)
    sources   source ids of ``data/sources.csv``
    chapter   slug of the chapter that shows it (``"reserves"``)
    title     optional short title for citations and numbered captions (default: the caption's
              first sentence)
    parameters  the non-default parameters the figure was drawn under (named in its citation)
    """

    id: str
    chart: alt.TopLevelMixin
    data: pd.DataFrame
    caption: str
    alt_text: str
    sources: list[str]
    chapter: str
    title: str = ""
    parameters: dict = field(default_factory=dict)  # non-default assumptions it was drawn under
    _source_rows: list[pd.Series] = field(default_factory=list, init=False, repr=False, compare=False)
    _spec_cache: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        who = f"Figure {self.id!r}"
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise FigureError(f"{who}: id must be lower-case words joined by dashes, e.g. 'reserves-ranked'")
        if not isinstance(self.chart, alt.TopLevelMixin):
            raise FigureError(f"{who}: chart must be an Altair chart, not {type(self.chart).__name__}")
        if not isinstance(self.data, pd.DataFrame) or self.data.empty:
            raise FigureError(f"{who}: data must be the non-empty pandas DataFrame that the chart plots")
        chart_data = getattr(self.chart, "data", alt.Undefined)
        if isinstance(chart_data, pd.DataFrame) and not _same_frame(chart_data, self.data):
            raise FigureError(f"{who}: data is not the DataFrame the chart plots (pass the chart's own data)")
        if not _present(self.alt_text):
            raise FigureError(f"{who}: alt_text is missing (describe what the chart shows)")
        if len(self.alt_text.strip()) < 20:
            raise FigureError(f"{who}: alt_text is too short to describe the chart ({self.alt_text!r})")
        if not _present(self.chapter) or not _ID_RE.match(str(self.chapter)):
            raise FigureError(f"{who}: chapter must be the chapter's slug, e.g. 'reserves'")
        if isinstance(self.sources, str) or not self.sources or not all(_present(s) for s in self.sources):
            raise FigureError(f"{who}: sources must be a non-empty list of source ids of data/sources.csv")
        self.sources = list(self.sources)
        table = _source_table()
        unknown = [s for s in self.sources if s not in table.index]
        if unknown:
            raise FigureError(f"{who}: sources has unknown source ids {unknown} (see data/sources.csv)")
        self._source_rows = [table.loc[s] for s in self.sources]
        if not _present(self.caption):
            raise FigureError(f"{who}: caption is missing (it must name the data's source and vintage)")
        producers = sorted({str(r["producer_short"]) for r in self._source_rows} | {str(r["producer"]) for r in self._source_rows})
        if not any(p.lower() in self.caption.lower() for p in producers):
            shorts = ", ".join(sorted({str(r["producer_short"]) for r in self._source_rows}))
            raise FigureError(f"{who}: caption must name the data's source ({shorts})")
        if not _YEAR_RE.search(self.caption):
            raise FigureError(f"{who}: caption must give the data's vintage (a year, e.g. 'MCS 2026, data for 2025')")
        missing_units = _quantitative_axes_without_unit(self._themed_spec())
        if missing_units:
            raise FigureError(f"{who}: chart axis title must give the unit in brackets, e.g. axis_title('Reserves', "
                              f"'Mt REO'): {'; '.join(missing_units)}")

    # -- derived text ---------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The Sphinx label of the numbered figure (``{numref}`fig-<id>```)."""
        return f"fig-{self.id}"

    @property
    def short_title(self) -> str:
        if _present(self.title):
            return self.title.strip()
        first = _SENTENCE_END_RE.split(self.caption.strip(), maxsplit=1)[0].strip()
        return first.rstrip(".")

    def sources_text(self) -> str:
        return "; ".join(source_text(r) for r in self._source_rows)

    def citation(self) -> str:
        """``Rare Earth Rivalry (0.1.0), figure <id>: <title>. Sources: <producer, title (edition…)>; …
        Data checked to <date>.`` (plus the non-default parameters)."""
        from rare_earths.data.load import data_checked_to

        text = (f"{rare_earths.BOOK_TITLE} ({rare_earths.__version__}), figure {self.id}: {self.short_title}. "
                f"Sources: {self.sources_text()}. Data checked to {data_checked_to().isoformat()}.")
        if self.parameters:
            text += " Parameters (non-default): " + ", ".join(f"{k}={v}" for k, v in sorted(self.parameters.items())) + "."
        return f"{text} {self.url()}"

    def url(self) -> str:
        """The figure's permanent address: its anchor in this version of the book."""
        from rare_earths.edition import page_url

        return page_url(f"chapters/{self.chapter}", self.label)

    def cell_metadata(self, caption_before: bool = True) -> dict[str, Any]:
        """Cell metadata that makes the cell's output the numbered figure ``fig-<id>`` (myst-nb 1.4)."""
        fig: dict[str, Any] = {"name": self.label, "caption": self.short_title}
        if caption_before:
            fig["caption_before"] = True
        return {"mystnb": {"figure": fig}}

    # -- outputs ----------------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        """The Vega-Lite spec (house theme applied; the alt text as the chart's ARIA description)."""
        return copy.deepcopy(self._themed_spec())

    def _themed_spec(self) -> dict[str, Any]:
        # Altair's to_dict is most of a figure's cost: done once per chart and alt text, shared
        # by the checks in __post_init__, the HTML, SVG and PNG. Without Altair's schema
        # validation, which costs a chapter about a tenth of a second per figure: a spec's
        # structure is fixed by the figure's code, not by the data or the parameters, and
        # tests/test_charts.py validates every registered figure under default and changed
        # parameters (validate_spec).
        key = (self.chart, self.alt_text)
        if self._spec_cache is None or self._spec_cache[0] is not key[0] or self._spec_cache[1] != key[1]:
            self._spec_cache = (key[0], key[1], self._to_dict(validate=False))
        return self._spec_cache[2]

    def _to_dict(self, validate: bool) -> dict[str, Any]:
        chart = self.chart
        if getattr(chart, "description", alt.Undefined) is alt.Undefined:
            chart = chart.properties(description=self.alt_text.strip())
        with alt.theme.enable(THEME_NAME):
            return chart.to_dict(validate=validate)

    def validate_spec(self) -> dict[str, Any]:
        """The spec, validated against Altair's Vega-Lite schema (raises SchemaValidationError)."""
        spec = self._to_dict(validate=True)
        if spec != self._themed_spec():  # pragma: no cover - validation never changes the spec
            raise FigureError(f"Figure {self.id!r}: the validated spec differs from the rendered one")
        return spec

    def _vl_version(self) -> str:
        return vegalite_version()

    def to_svg(self) -> str:
        """The chart as SVG text (vl-convert; deterministic), with the alt text as its title and ARIA label."""
        import vl_convert as vlc

        return self.mark_svg(vlc.vegalite_to_svg(self._themed_spec(), vl_version=self._vl_version()))

    def mark_svg(self, svg: str) -> str:
        """An SVG of this figure with the alt text as its title and ARIA label, and the figure id."""
        alt_text = html.escape(self.alt_text.strip())
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{alt_text}" data-rare-earths-figure="{html.escape(self.id)}" ', 1)
        start = svg.index(">", svg.index("<svg")) + 1
        return f"{svg[:start]}<title>{alt_text}</title>{svg[start:]}"

    def to_png(self, scale: float = 2) -> bytes:
        """The chart as PNG bytes at ``scale`` (vl-convert; identical bytes for identical inputs)."""
        import vl_convert as vlc

        return bytes(vlc.vegalite_to_png(self._themed_spec(), vl_version=self._vl_version(), scale=scale))

    def csv_text(self) -> str:
        """The plotted data as CSV (no index, ``\\n`` line ends, ISO dates): deterministic."""
        return self.data.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")

    def csv_export_text(self) -> str:
        """The CSV as downloaded and exported: comment lines naming the figure, its sources, the data
        date, licence and version, then :meth:`csv_text` with every cell a spreadsheet would run as a
        formula (text starting with ``=``, ``+``, ``-``, ``@``) prefixed with ``'``."""
        from rare_earths.data.load import data_checked_to

        header = [
            f"# {rare_earths.BOOK_TITLE} (version {rare_earths.__version__}), figure {self.id}: {self.short_title}",
            f"# Sources: {self.sources_text()}",
            f"# Data checked to {data_checked_to().isoformat()}. Licence: CC BY 4.0 (the curated data); "
            "quoted sources keep their own terms.",
        ]
        if self.parameters:
            header.append("# Parameters (non-default): " + ", ".join(f"{k}={v}" for k, v in sorted(self.parameters.items())))
        from rare_earths.figures.export import column_titles

        titles = column_titles(self._themed_spec(), list(self.data.columns))
        if titles:
            header.append("# Columns (as the chart titles them, with units): "
                          + "; ".join(f"{column} = {title}" for column, title in titles.items()))
        header.append(f"# {self.url()}")
        safe = self.data.copy()
        for column in safe.columns:
            if safe[column].dtype == object or str(safe[column].dtype).startswith("str"):
                safe[column] = safe[column].map(
                    lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
        body = safe.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
        return "\n".join(header) + "\n" + body

    def csv_data_url(self) -> str:
        return "data:text/csv;charset=utf-8;base64," + base64.b64encode(self.csv_export_text().encode("utf-8")).decode("ascii")

    def chart_html(self) -> str:
        """The chart's container, its spec (as escaped JSON) and the call that draws it with vega-embed.

        The Vega bundle itself is added once per page: by ``_ext/vega_offline.py`` in the book,
        inlined by the run pages. Where it is missing (a notebook viewer), the container says so.
        The drawn SVG gets ``role="img"`` and the alt text as its ``aria-label``. Where the chart
        is wider than its container (a phone), it is drawn again in a narrow layout
        (:data:`NARROW_LAYOUT_JS`): side-by-side panels stacked, plot widths reduced, axis titles
        wrapped; the text keeps its size (a last overshoot of a few pixels is scaled away, by at
        most 8 %), so labels stay legible.
        """
        cid = f"chart-{self.id}"
        label = html.escape(self.alt_text.strip(), quote=True)
        return (
            f'<div class="{CHART_CLASS}" id="{cid}" role="img" aria-label="{label}"></div>\n'
            f'<script type="application/json" id="{cid}-spec">{script_json(self._themed_spec())}</script>\n'
            "<script>(function () {\n"
            f'  var el = document.getElementById("{cid}");\n'
            f'  var spec = JSON.parse(document.getElementById("{cid}-spec").textContent);\n'
            "  if (window.vegaEmbed) {\n"
            f"    var options = {script_json({**EMBED_OPTIONS, 'downloadFileName': self.id})};\n"
            f"{NARROW_LAYOUT_JS}"
            "    fit(spec, 4).catch(function (err) {\n"
            '      el.textContent = "The chart could not be drawn: " + err;\n'
            "    });\n"
            "  } else {\n"
            '    el.textContent = "Interactive chart: open the book\u2019s HTML page, or export it with rare-earths figure.";\n'
            "  }\n"
            "})();</script>"
        )

    def to_html(self) -> str:
        """The whole output block: chart, caption, CSV download link, citation (text escaped)."""
        e = html.escape
        # Inline styles: the block looks the same in Jupyter and in the book (inside a <figure> too).
        text_style = 'style="text-align:left;color:var(--pst-color-text-base, inherit);font-size:0.9em;margin:0.4em 0 0"'
        return (
            f'<div class="rr-figure" data-figure-id="{e(self.id)}" data-figure-title="{e(self.short_title)}" '
            'style="text-align:left">\n'
            f'<div class="rr-figure-chart">\n{self.chart_html()}\n</div>\n'
            f'<p class="rr-figure-caption" {text_style}>{e(self.caption.strip())}</p>\n'
            f'<p class="rr-figure-links" {text_style}><a class="rr-figure-csv" href="{self.csv_data_url()}" '
            f'download="{e(self.id)}.csv" type="text/csv">Download the data (CSV)</a> · {self.export_links_html()}</p>\n'
            f'<p class="rr-figure-cite" {text_style}>Cite: {e(self.citation())}</p>\n'
            "</div>"
        )

    def export_links_html(self) -> str:
        """Links that save the chart as drawn, with its title and source (figures/export.py)."""
        from rare_earths.figures.export import export_lines, page_export_html

        return page_export_html(self, script_json(export_lines(self)))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/plain": f"Figure {self.id}: {self.caption.strip()}"}

    def show(self) -> None:
        """Display the figure as ONE notebook output (so ``mystnb: figure`` metadata numbers it once)."""
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if a is b:
        return True
    try:
        return list(a.columns) == list(b.columns) and a.reset_index(drop=True).equals(b.reset_index(drop=True))
    except Exception:  # pragma: no cover - exotic dtypes
        return False
