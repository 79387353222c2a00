"""What-if controls in a chapter's page: sliders for its main parameters that update its key numbers
and a chart in the browser, offline, with the URL holding the state and a cite line naming it.

One source of truth: the browser computes nothing. At build time the package sweeps the registry
(:func:`rare_earths.numbers.sweep.sweep_numbers`) over a grid of each control's range, and
the page's Vega-Lite params (bound to sliders and selects) only *filter* that grid. Each number is
swept only over the controls it depends on (its ``parameters``), so a number of two controls
costs the product of their two ranges, not of every range: the page stays small.

A view is declared once per chapter in :data:`VIEWS`; :func:`whatif_view` builds it for the
chapter's parameters (``P`` of ``chapter_setup``; the parameters that are not controls keep their
values) and its ``show()`` displays one notebook output. The HTML is the book's own: a chart
container (``rr-chart``, so the offline Vega bundle is added to the page), the spec and grid as
JSON, and a small script that embeds the chart, restores the controls from the URL
(``#whatif:NAME=VALUE&...``, only values on the grid are taken), writes them back on every change
and fills the cite line. The view's numbers print exactly as ``rare-earths numbers -p ...``
prints them (``display`` and ``low–high``).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Mapping

import rare_earths
from rare_earths.numbers.registry import domains_of
from rare_earths.numbers.sweep import Axis, compute_points, grid, parse_axis, sweep_numbers
from rare_earths.numbers.workers import forked_workers, seconds_of
from rare_earths.params import get_parameter, plain


@dataclass(frozen=True)
class Control:
    """A parameter with a control: its grid (``START:STOP:STEP`` or ``A,B``) and the control's label."""

    name: str
    spec: str
    label: str


@dataclass(frozen=True)
class View:
    """A chapter's what-if view: its controls, the numbers it shows and its chart (a number
    drawn against one control, the other controls at their current positions)."""

    chapter: str
    title: str
    controls: tuple[Control, ...]
    numbers: tuple[str, ...]
    chart_number: str
    chart_control: str


VIEWS: dict[str, View] = {
    "cost-gap": View(
        "cost-gap", "What if? The cost gap and the floor under your assumptions",
        (Control("cost_gap_low", "0.1:0.5:0.1", "Gap, low end "),
         Control("cost_gap_high", "0.3:0.8:0.1", "Gap, high end "),
         Control("china_cost_usd_per_kg", "35:75:10", "China's cost (USD/kg) "),
         Control("market_price_usd_per_kg", "35:145:10", "Market price (USD/kg) ")),
        ("costs.us_cost_usd_per_kg", "costs.us_extra_cost_usd_per_kg_low", "costs.us_extra_cost_usd_per_kg_high",
         "costs.subsidy_usd_m_per_year", "costs.floor_minus_us_cost_usd_per_kg", "costs.floor_multiple_of_market",
         "costs.floor_topup_usd_per_kg", "costs.floor_topup_usd_m_per_year"),
        "costs.us_cost_usd_per_kg", "cost_gap_high",
    ),
    "rebuild": View(
        "rebuild", "What if? The rebuild under your assumptions",
        (Control("rebuild_total_usd_bn", "100:400:50", "Rebuild cost (USD bn) "),
         Control("rebuild_years", "5:30:5", "Rebuild time (years) "),
         Control("committed_scope", "firm,firm_conditional,public,all", "Money that counts "),
         Control("demand_definition", "direct,embedded,us_allies", "US demand covered ")),
        ("rebuild.annual_need_usd_bn", "rebuild.committed_usd_bn", "rebuild.coverage_pct",
         "rebuild.years_to_reach_at_pace", "rebuild.need_to_pace_ratio", "buildout.total_usd_bn",
         "buildout.seed_multiple", "buildout.chain_years"),
        "rebuild.coverage_pct", "rebuild_total_usd_bn",
    ),
    "outlook": View(
        "outlook", "What if? When the US could stand alone, under your assumptions",
        (Control("delay_scale", "0:2:0.5", "Delays, times the past ones "),
         Control("cancellation_rate", "0:0.4:0.1", "Share of projects never built ")),
        ("outlook.first_year_magnet", "outlook.p_cover_magnet_2030", "outlook.p_cover_magnet_2035",
         "outlook.self_sufficiency_magnet_2030", "outlook.self_sufficiency_metal_2030", "outlook.p_cover_all_2035"),
        "outlook.p_cover_magnet_2030", "delay_scale",
    ),
}

#: Row height of the numbers table (px).
ROW = 46  # three lines a number: its label; value and unit; its id


def value_text(record: Mapping) -> str:
    """A number as the view prints it: ``display``, and `` (low–high)`` when it is ranged."""
    return record["display"] + (f" ({record['range']})" if record["range"] else "")


def _axes(view: View, params: Mapping) -> dict[str, Axis]:
    """Each control's grid, with the chapter's own value added where it is not on it (a run with
    ``-p cost_gap_high=0.45``): the control then becomes a list to choose from."""
    axes = {}
    for c in view.controls:
        axis = parse_axis(c.name, c.spec)
        value = get_parameter(c.name).check(params[c.name])
        if value not in axis.values:
            values = tuple(sorted(axis.values + (value,))) if axis.numeric else axis.values + (value,)
            axis = Axis(c.name, values, c.spec)
        axes[c.name] = axis
    return axes


def _regular(axis: Axis) -> bool:
    """Whether a control can be a slider: numbers at one step (a list of choices is a select)."""
    if not axis.numeric or len(axis.values) < 2:
        return False
    steps = {round(b - a, 9) for a, b in zip(axis.values, axis.values[1:])}
    return len(steps) == 1


@dataclass
class WhatIf:
    """A built view: the Vega-Lite spec (grid included) and what the page script needs."""

    view: View
    spec: dict
    meta: dict
    rows: int

    @property
    def element_id(self) -> str:
        return f"chart-whatif-{self.view.chapter}"

    def to_html(self) -> str:
        from rare_earths.figures.charts import CHART_CLASS, script_json

        cid = self.element_id
        label = html.escape(f"{self.view.title}: the key numbers and a chart, under the positions of the controls",
                            quote=True)
        text_style = 'style="text-align:left;font-size:0.9em;margin:0.4em 0 0"'
        return (
            f'<div class="rr-whatif" data-whatif="{html.escape(self.view.chapter)}" style="text-align:left">\n'
            f'<div class="{CHART_CLASS}" id="{cid}" role="img" aria-label="{label}"></div>\n'
            f'<script type="application/json" id="{cid}-spec">{script_json(self.spec)}</script>\n'
            f'<script type="application/json" id="{cid}-meta">{script_json(self.meta)}</script>\n'
            f'<p class="rr-whatif-cite" id="{cid}-cite" {text_style}>Cite: {html.escape(self.meta["cite"])} '
            f'Scenario: the published defaults.</p>\n'
            f"<script>{_SCRIPT.replace('__CID__', cid)}</script>\n"
            "</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/plain": f"What-if view of {self.view.chapter}"}

    def show(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


def grid_rows(view: View, params: Mapping) -> tuple[list[dict], list[dict], dict[str, Axis]]:
    """The grid the page filters: one row per number and point of the controls it depends on.

    Row fields: ``n`` (the number's index in the view), ``t`` (its text, as printed), ``y`` (its value),
    ``l`` (its label, only where it differs from the label at the chapter's values: a label that
    names a parameter's value) and the value of each control it depends on; a point that cannot be computed (a broken
    cross-parameter rule) gives one row with ``n = -1`` and its message in ``t``.
    """
    from rare_earths.numbers.model import shared_store
    from rare_earths.numbers.registry import compute_numbers, domains_of, select

    # One set of tables and look-ups for every point of every group: the process's store, so the
    # grid reuses what the chapter's numbers derived (the outlook's grid re-runs only the Monte Carlo).
    store = shared_store()
    axes = _axes(view, params)
    controls = [c.name for c in view.controls]
    fixed = {k: v for k, v in params.items() if k not in controls}
    base = select(compute_numbers(fixed, domains=domains_of(view.numbers), store=store), list(view.numbers))
    groups: dict[tuple[str, ...], list[str]] = {}
    from rare_earths.params import RANGE_PAIRS

    for num in base:
        used = set(num.parameters)
        for low, high in RANGE_PAIRS:  # whether a point is valid depends on both ends of a pair
            if used & {low, high}:
                used |= {low, high}
        deps = tuple(c for c in controls if c in used)
        groups.setdefault(deps, []).append(num.id)
    index = {id_: i for i, id_ in enumerate(view.numbers)}
    labels = {n.id: n.label for n in base}
    rows: list[dict] = []
    for deps, ids in groups.items():
        if not deps:  # moves with no control: one row, everywhere
            rows += [{"n": index[n.id], "t": value_text({"display": n.display(), "range": n.display_range()}),
                      "y": n.value} for n in base if n.id in ids]
            continue
        grid_axes = [axes[d] for d in deps]
        points = grid(grid_axes)
        # One point here, timed: a grid worth it (the outlook's Monte Carlo runs) goes to every core,
        # the workers inheriting the store (and that point); a cheap one stays here. That point also
        # loads, in this process, the tables the grid reads: the build records what a chapter's kernel
        # read, not what its forks did.
        first = seconds_of(lambda: compute_points(points[:1], fixed, ids, domains_of(ids), store=store))
        with forked_workers(len(points) - 1, first) as pool:
            sweep = sweep_numbers(grid_axes, fixed, ids, store=store, executor=pool, shared_workers=True)
        for point, result in zip(sweep.points, sweep.results):
            where = {k: plain(v) for k, v in point.items()}
            if result["error"]:
                rows.append({"n": -1, "t": result["error"], **where})
                continue
            for id_ in ids:
                rec = result["numbers"][id_]
                row = {"n": index[id_], "t": value_text(rec), "y": rec["value"], **where}
                if rec["label"] != labels[id_]:  # a label that follows the parameters ("a 30–40% gap")
                    row["l"] = rec["label"]
                rows.append(row)
    numbers = [{"n": index[n.id], "id": n.id, "label": n.label, "unit": n.unit} for n in base]
    return rows, numbers, axes


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _lines(text: str, chars: int) -> list[str]:
    """A title in lines of at most ``chars`` characters (Vega-Lite draws a list as lines, so a long
    title is read whole at a phone's width rather than cut with an ellipsis)."""
    import textwrap

    return textwrap.wrap(text, chars)


def _filter(axes: Mapping[str, Axis], skip: str | None = None) -> str:
    """The Vega expression that keeps the rows at the controls' current positions (all but ``skip``)."""
    parts = []
    for name, axis in axes.items():
        if name == skip:
            continue
        if axis.numeric:
            half = min(b - a for a, b in zip(axis.values, axis.values[1:])) / 2
            parts.append(f"(!isValid(datum.{name}) || abs(datum.{name} - {name}) < {half!r})")
        else:
            parts.append(f"(!isValid(datum.{name}) || datum.{name} === {name})")
    return " && ".join(parts) or "true"


def _option_label(option, default) -> str:
    """A select's text for one option: a number to three significant digits (a default such as the
    reference class's 2/13 reads "0.154"), "(default)" after the chapter's own value."""
    text = format(option, ".3g") if isinstance(option, float) else str(option)
    return text + (" (default)" if option == default else "")


def _param(control: Control, axis: Axis, value) -> dict:
    param = get_parameter(control.name)
    if _regular(axis):
        step = axis.values[1] - axis.values[0]
        bind = {"input": "range", "min": axis.values[0], "max": axis.values[-1], "step": step, "name": control.label}
        value = float(value) if param.type is float else int(value)
    else:
        bind = {"input": "select", "options": [plain(v) for v in axis.values], "name": control.label,
                "labels": [_option_label(v, value) for v in axis.values]}
        if axis.numeric:
            value = float(value) if param.type is float else int(value)
    return {"name": control.name, "value": plain(value), "bind": bind}


def whatif_view(chapter: str, params: Mapping) -> WhatIf:
    """The what-if view of ``chapter`` under ``params`` (its ``P``): grid, spec and page metadata."""
    from rare_earths.figures.charts import EMBED_OPTIONS, FONT, theme  # the house theme (imports Altair)

    view = VIEWS[chapter]
    rows, numbers, axes = grid_rows(view, params)
    count = len(view.numbers)
    width = 280  # fits a phone's column (the book's charts keep within 358 px at 390 px wide)
    keep = _filter(axes)
    table_base = {
        "data": {"name": "grid"},
        "transform": [{"filter": keep}, {"filter": "datum.n >= 0"},
                      {"lookup": "n", "from": {"data": {"name": "numbers"}, "key": "n", "fields": ["id", "label", "unit"]}},
                      {"calculate": "isValid(datum.l) ? datum.l : datum.label", "as": "label"}],
        "encoding": {"y": {"field": "n", "type": "ordinal", "axis": None, "sort": "ascending",
                           "scale": {"domain": list(range(count))}}},
    }

    def text_layer(name: str, field: str, x: float, **mark) -> dict:
        return {"name": name, "mark": {"type": "text", "align": "left", "baseline": "middle", "x": x, "font": FONT, **mark},
                "encoding": {"text": {"field": field, "type": "nominal"}}}

    table = {
        **table_base, "width": width, "height": ROW * count,
        "layer": [text_layer("whatif_label", "label", 0, limit=width, fontSize=12, dy=-14),
                  text_layer("whatif_value", "t", 0, fontWeight="bold", fontSize=12, dy=1),
                  text_layer("whatif_unit", "unit", 120, fontSize=11, color="#555555", dy=1, limit=width - 120),
                  text_layer("whatif_id", "id", 0, dy=15, fontSize=10, color="#666666", limit=width)],
        "title": {"text": _lines(view.title, 40), "limit": width, "subtitle": ["Move the controls below: each figure is",
                                                                   "the registry's, computed in advance"]},
    }
    message = {
        "data": {"name": "grid"}, "width": width, "height": ROW,
        "transform": [{"filter": keep}, {"filter": "datum.n < 0"}],
        "mark": {"type": "text", "align": "left", "x": 0, "y": ROW / 2, "color": "#B00020", "font": FONT, "fontSize": 12},
        "encoding": {"text": {"field": "t", "type": "nominal"}}, "name": "whatif_message",
    }
    chart_id, x_name = view.chart_number, view.chart_control
    x_axis = axes[x_name]
    chart_num = next(n for n in numbers if n["id"] == chart_id)
    control = next(c for c in view.controls if c.name == x_name)
    x_unit = get_parameter(x_name).unit
    x_title = control.label.strip() + (f" ({x_unit})" if x_unit and x_unit not in control.label else "")
    y_title = chart_num["unit"]  # the number's label is the chart's title
    along = {"filter": f"{_filter(axes, skip=x_name)} && datum.n == {chart_num['n']}"}
    chart = {
        "data": {"name": "grid"}, "width": width - 60, "height": 200,
        "title": {"text": _lines(f"{chart_num['label']}, against {_lower_first(control.label.strip())}", 44), "fontSize": 13,
                  "limit": width},
        "layer": [
            {"transform": [along], "mark": {"type": "line", "point": True},
             "encoding": {"x": {"field": x_name, "type": "quantitative", "title": x_title, "scale": {"zero": False}},
                          "y": {"field": "y", "type": "quantitative", "title": y_title}}},
            {"transform": [along, {"filter": keep}], "mark": {"type": "point", "size": 160, "filled": True,
                                                              "color": "#D55E00", "shape": "diamond"},
             "encoding": {"x": {"field": x_name, "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"},
                          "tooltip": [{"field": "t", "type": "nominal", "title": chart_id}]},
             "name": "whatif_current"},
        ],
    }
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"What-if view of the {chapter} chapter: key numbers and a chart under the controls' positions.",
        "params": [_param(c, axes[c.name], params[c.name]) for c in view.controls],
        "datasets": {"grid": rows, "numbers": numbers},
        "vconcat": [table, message, chart],
        "config": theme()["config"],
    }
    meta = {
        "chapter": chapter,
        "controls": [{"name": c.name, "values": [plain(v) for v in axes[c.name].values],
                      "default": plain(params[c.name])} for c in view.controls],
        "cite": f"{rare_earths.BOOK_TITLE} ({rare_earths.__version__}), chapter {chapter}, what-if view.",
        "embed": EMBED_OPTIONS,
    }
    return WhatIf(view, spec, meta, len(rows))


#: The page script: embed, restore the controls from the URL, keep the URL and the cite line in step.
#: It formats and compares parameter values; it computes no number the page shows.
_SCRIPT = r"""(function () {
  var cid = "__CID__";
  var el = document.getElementById(cid);
  var spec = JSON.parse(document.getElementById(cid + "-spec").textContent);
  var meta = JSON.parse(document.getElementById(cid + "-meta").textContent);
  var cite = document.getElementById(cid + "-cite");
  function fromHash() {
    var state = {}, hash = decodeURIComponent(window.location.hash || "");
    if (hash.indexOf("#whatif:") !== 0) { return state; }
    hash.slice(8).split("&").forEach(function (pair) {
      var i = pair.indexOf("="), name = pair.slice(0, i), text = pair.slice(i + 1);
      meta.controls.forEach(function (c) {
        if (c.name === name) {
          c.values.forEach(function (v) {
            if (typeof v === "number" ? text !== "" && Number(text) === v : String(v) === text) { state[name] = v; }
          });
        }
      });
    });
    return state;
  }
  function onGrid(c, value) {  // the grid value the control stands at (a slider may give 0.30000000000000004)
    var best = c.values[0];
    c.values.forEach(function (v) {
      if (typeof v === "number" ? Math.abs(v - value) < Math.abs(best - value) : v === value) { best = v; }
    });
    return best;
  }
  var initial = fromHash();
  spec.params.forEach(function (p) { if (p.name in initial) { p.value = initial[p.name]; } });
  if (!window.vegaEmbed) {
    el.textContent = "Interactive view: open the book\u2019s HTML page.";
    return;
  }
  window.vegaEmbed(el, spec, meta.embed).then(function (result) {
    var view = result.view;
    var svg = el.querySelector("svg");  // the drawn chart carries the view's accessible name
    if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", el.getAttribute("aria-label") || ""); }
    el.setAttribute("data-rr-layout", "full");  // drawn, as the book's other charts say (one layout: it fits a phone)
    function sync() {
      var changed = [];
      meta.controls.forEach(function (c) {
        var v = onGrid(c, view.signal(c.name));
        if (String(v) !== String(c.default)) { changed.push(c.name + "=" + v); }
      });
      var hash = changed.length ? "#whatif:" + changed.join("&") : "";
      if (window.location.hash !== hash && (hash || window.location.hash.indexOf("#whatif:") === 0)) {
        history.replaceState(null, "", hash || window.location.pathname + window.location.search);
      }
      cite.textContent = "Cite: " + meta.cite + " Scenario: " +
        (changed.length ? changed.join(", ") + " (other parameters at the published defaults)" : "the published defaults") +
        "." + (changed.length ? " " + window.location.href : "");
      el.setAttribute("data-state", changed.join("&"));
    }
    meta.controls.forEach(function (c) { view.addSignalListener(c.name, sync); });
    sync();
    window.rrWhatIf = window.rrWhatIf || {};
    window.rrWhatIf[meta.chapter] = view;
  }).catch(function (err) {
    el.textContent = "The view could not be drawn: " + err;
  });
})();"""
