"""The comparison page of ``rare-earths compare A B --out DIR``: one offline HTML file.

It holds the two sides, the parameters that differ, every key number that moved (before, after,
change), a chart of the moved numbers with both sides on it (a :class:`~rare_earths.figures.charts.Figure`:
caption, sources, downloadable data, citation), and each book figure drawn under a parameter that
differs, once under A and once under B, side by side. The page is deterministic: the same two
sides give the same bytes (no dates but the data's own).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from rare_earths.numbers.compare import Comparison

#: At most this many moved numbers in the chart (the largest changes), and book figures per page.
CHART_NUMBERS = 30
MAX_FIGURES = 6

EXTRA_STYLE = """
.rr-sides{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.rr-sides>div{overflow-x:auto;min-width:0}
.rr-sides h4{margin:.5rem 0}
table.rr-moved td.num{text-align:right;font-variant-numeric:tabular-nums}
@media (max-width:60rem){.rr-sides{grid-template-columns:1fr}}
"""


def moved_figure(comparison: Comparison):
    """The moved numbers as a chart: each at 100 % under A and at its share of that under B."""
    import altair as alt
    import pandas as pd

    from rare_earths.data.load import data_checked_to, load_table
    from rare_earths.figures import charts

    rows = [m for m in comparison.moved if m.change_pct is not None]
    if not rows:
        return None
    rows = sorted(rows, key=lambda m: -abs(m.change_pct))[:CHART_NUMBERS]
    data = pd.DataFrame([{
        "id": m.before.id, "label": m.before.label, "unit": m.before.unit,
        "before": float(f"{m.before.value:.12g}"), "after": float(f"{m.after.value:.12g}"),
        "a_pct": 100.0, "b_pct": round(100.0 + m.change_pct, 4), "change_pct": round(m.change_pct, 4),
    } for m in rows])
    known = set(load_table("sources")["source_id"])
    sources = list(dict.fromkeys(s for m in rows for s in m.before.sources if s in known)) or ["usgs_mcs_2026_ree"]
    table = load_table("sources").set_index("source_id")
    producers = list(dict.fromkeys(str(table.at[s, "producer_short"]) for s in sources))
    x_title = charts.axis_title(f"Value under B, as a share of its value under A", "%")
    scale = alt.Scale(type="symlog", constant=10, zero=True)
    y = alt.Y("id:N", title=None, sort=list(data["id"]), axis=alt.Axis(labelLimit=320))
    base = alt.Chart(data)
    rule = base.mark_rule(color="#9A9A9A", strokeWidth=2).encode(
        x=alt.X("a_pct:Q", title=x_title, scale=scale), x2="b_pct:Q", y=y)
    point_a = base.mark_point(filled=True, size=70, color="#9A9A9A", shape="circle").encode(
        x=alt.X("a_pct:Q", title=x_title, scale=scale), y=y,
        tooltip=[alt.Tooltip("label:N", title="number"), alt.Tooltip("before:Q", title="A", format=",.4g"),
                 alt.Tooltip("unit:N", title="unit")])
    point_b = base.mark_point(filled=True, size=90, color=charts.PRIMARY_COLOUR, shape="diamond").encode(
        x=alt.X("b_pct:Q", title=x_title, scale=scale), y=y,
        tooltip=[alt.Tooltip("label:N", title="number"), alt.Tooltip("after:Q", title="B", format=",.4g"),
                 alt.Tooltip("change_pct:Q", title="change (%)", format="+.1f"), alt.Tooltip("unit:N", title="unit")])
    chart = alt.layer(rule, point_a, point_b, data=data).properties(width=420, height=max(60, 18 * len(data)))
    shown = f"the {len(data)} that changed most" if len(data) < len(comparison.moved) else f"all {len(data)}"
    return charts.Figure(
        id="compare-moved-numbers", chart=chart, data=data, chapter="compare",
        title="Key numbers that moved, A against B",
        caption=(f"Each key number that moved ({shown} of {len(comparison.moved)}; numbers without a value under A "
                 f"or equal to zero there are in the table only): grey circle, its value under A ({comparison.a.label}), "
                 f"set to 100 %; blue diamond, its value under B ({comparison.b.label}) as a share of that, on a "
                 f"symmetric log scale. From the book's key-number registry, on data checked to "
                 f"{data_checked_to().isoformat()}; the numbers rest on {', '.join(producers)}."),
        alt_text=(f"A dot plot of {len(data)} key numbers, one row each, with a grey circle at 100 percent for side A "
                  "and a blue diamond for side B, joined by a line; the longer the line, the more the number moved."),
        sources=sources,
    )


def side_figures(comparison: Comparison) -> list[tuple[object, object]]:
    """Each book figure drawn under a parameter that differs, built under A and under B."""
    from rare_earths.data.overlay import using_data
    from rare_earths.figures import build_figure, list_figures

    changed = {p["name"] for p in comparison.parameters}
    wanted = [f for f in list_figures() if changed & set(f.parameters)][:MAX_FIGURES]
    pairs = []
    for fdef in wanted:
        built = []
        for side in (comparison.a, comparison.b):
            with using_data(side.data_folder):
                built.append(build_figure(fdef.id, side.overrides))
        pairs.append(tuple(built))
    return pairs


def _figure_html(fig, suffix: str) -> str:
    # One page shows a figure twice: its chart container ids get the side's suffix.
    html = fig.to_html()
    return html.replace(f"chart-{fig.id}", f"chart-{fig.id}-{suffix}")


def _value(value) -> str:
    return "–" if value is None else f"{value:,.6g}"


def comparison_html(comparison: Comparison) -> str:
    """The whole comparison page (HTML, offline: the Vega bundle is inlined)."""
    from rare_earths.build.offline import offline_head_html
    from rare_earths.build.page import STYLE, page_document
    from rare_earths import __version__
    from rare_earths.data.load import data_checked_to

    e = escape
    a, b = comparison.a, comparison.b
    parts = [f"<h1>Comparison: {e(a.label)} against {e(b.label)}</h1>",
             f'<p class="rr-edition">{e(f"Data checked to {data_checked_to().isoformat()} · version {__version__}")}</p>',
             "<ul>" + "".join(f"<li><strong>{name}</strong>: {e(side.label)}"
                              + (f" (data overlay <code>{e(side.data['overlay'])}</code>, sha256 "
                                 f"{e(side.data['overlay_sha256'][:12])}…)" if side.data else "")
                              + "</li>" for name, side in (("A", a), ("B", b))) + "</ul>"]
    if comparison.parameters:
        parts.append("<h2>Parameters that differ</h2><table><thead><tr><th>parameter</th><th>A</th><th>B</th><th>unit</th>"
                     "</tr></thead><tbody>" + "".join(
                         f"<tr><td><code>{e(p['name'])}</code></td><td>{e(str(p['a']))}</td><td>{e(str(p['b']))}</td>"
                         f"<td>{e(p['unit'])}</td></tr>" for p in comparison.parameters) + "</tbody></table>")
    else:
        parts.append("<p>No parameter differs.</p>")
    parts.append(f"<h2>Key numbers that moved</h2><p>{len(comparison.moved)} of {comparison.compared} key numbers moved.</p>")
    if comparison.moved:
        parts.append('<div class="output"><table class="rr-moved"><thead><tr><th>id</th><th>label</th><th>A</th><th>B</th>'
                     "<th>change</th><th>change %</th><th>unit</th></tr></thead><tbody>" + "".join(
                         f"<tr><td><code>{e(m.before.id)}</code></td><td>{e(m.before.label)}</td>"
                         f"<td class=\"num\">{e(m.before.display())}</td><td class=\"num\">{e(m.after.display())}</td>"
                         f"<td class=\"num\">{e(_value(m.change))}</td>"
                         f"<td class=\"num\">{'–' if m.change_pct is None else f'{m.change_pct:+.1f}'}</td>"
                         f"<td>{e(m.before.unit)}</td></tr>" for m in comparison.moved) + "</tbody></table></div>")
    figure = moved_figure(comparison)
    number = 0
    if figure is not None:
        number += 1
        parts.append(f'<figure id="fig-{figure.id}"><figcaption><span class="figure-number">Figure {number}.</span> '
                     f"{e(figure.short_title)}</figcaption>\n{figure.to_html()}\n</figure>")
    pairs = side_figures(comparison)
    if pairs:
        parts.append("<h2>The book's figures under both</h2><p>Each figure drawn under a parameter that differs, "
                     "under A (left) and under B (right).</p>")
        for fig_a, fig_b in pairs:
            number += 1
            parts.append(f'<figure id="fig-{fig_a.id}"><figcaption><span class="figure-number">Figure {number}.</span> '
                         f"{e(fig_a.short_title)} / {e(fig_b.short_title)}</figcaption>\n<div class=\"rr-sides\">"
                         f"<div><h4>A: {e(a.label)}</h4>\n{_figure_html(fig_a, 'a')}</div>"
                         f"<div><h4>B: {e(b.label)}</h4>\n{_figure_html(fig_b, 'b')}</div></div>\n</figure>")
    body = "\n".join(parts) + "\n"
    head = f"<style>{EXTRA_STYLE}</style>\n" + offline_head_html(body)
    return page_document(body, f"Comparison: {a.label} against {b.label}", head=head)


def write_comparison(comparison: Comparison, out: Path) -> Path:
    """Write ``compare.html`` and ``compare.json`` into the new folder ``out``; returns the page."""
    import os
    import shutil
    import tempfile

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", suffix=".partial", dir=out.parent))
    try:
        (tmp / "compare.html").write_text(comparison_html(comparison), encoding="utf-8")
        (tmp / "compare.json").write_text(json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the page is for sharing
        os.rename(tmp, out)  # never over an existing folder
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "compare.html"
