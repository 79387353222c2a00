"""The chart of a parameter sweep: each chosen key number against the swept parameter.

Built from a :class:`rare_earths.numbers.sweep.NumberSweep` as a
:class:`~rare_earths.figures.charts.Figure` (caption naming the sources and their vintage,
alt text, the plotted data, the house theme), so ``rare-earths sweep`` writes it like any figure
of the book. One panel per number (each with its own unit), stacked: the value as a line with
points, its low–high range as a band where the number is ranged; with two swept parameters, one
line per value of the second, coloured. Altair is imported when a chart is made, not with
this module (``rare-earths --help`` stays light).
"""

from __future__ import annotations

import pandas as pd

from rare_earths.numbers.sweep import NumberSweep
from rare_earths.params import get_parameter, plain

#: Panels drawn at most (the CSV holds every number).
MAX_PANELS = 12


#: Values of the first swept parameter drawn at most per line (every k-th beyond; the CSV holds all).
MAX_DRAWN = 250


def drawn_step(sweep: NumberSweep) -> int:
    """Draw every k-th value of the first parameter (1 up to :data:`MAX_DRAWN` values)."""
    return -(-len(sweep.axes[0]) // MAX_DRAWN)


def plotted_data(sweep: NumberSweep, ids: list[str]) -> pd.DataFrame:
    """One row per drawn point and number: the swept parameters, id, unit, value, low, high."""
    units = {n.id: n.unit for n in sweep.numbers}
    step, first = drawn_step(sweep), sweep.axes[0]
    drawn = set(first.values[::step]) | {first.values[-1]}
    rows = []
    for point, result in zip(sweep.points, sweep.results):
        if point[first.name] not in drawn:
            continue
        for id_ in ids:
            rec = result["numbers"].get(id_) or {}
            rows.append({**{k: plain(v) for k, v in point.items()}, "id": id_, "unit": units[id_],
                         "value": rec.get("value"), "low": rec.get("low"), "high": rec.get("high")})
    frame = pd.DataFrame(rows)
    for column in ("value", "low", "high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _x(axis):
    import altair as alt

    from rare_earths.figures import charts

    param = get_parameter(axis.name)
    if axis.numeric:
        return alt.X(f"{axis.name}:Q", title=charts.axis_title(axis.name, param.unit or "value"),
                     scale=alt.Scale(zero=False))
    return alt.X(f"{axis.name}:N", title=axis.name, sort=[plain(v) for v in axis.values])


def _panel(sweep: NumberSweep, id_: str, ranged: bool):
    import altair as alt

    from rare_earths.figures import charts

    num = next(n for n in sweep.numbers if n.id == id_)
    first = sweep.axes[0]
    y_title = charts.axis_title(id_, num.unit or "value")
    base = alt.Chart().transform_filter(alt.FieldEqualPredicate(field="id", equal=id_))
    colour: dict = {}
    if len(sweep.axes) == 2:
        second = sweep.axes[1]
        kind = "Q" if second.numeric and len(second) > 8 else ("O" if second.numeric else "N")
        colour = {"color": alt.Color(f"{second.name}:{kind}", title=second.name)}
    layers = []
    if ranged:
        layers.append(base.mark_area(opacity=0.22).encode(
            x=_x(first), y=alt.Y("low:Q", title=y_title), y2="high:Q",
            **({"detail": f"{sweep.axes[1].name}:N"} if len(sweep.axes) == 2 else {}), **colour))
    marker = {"point": True} if len(first) <= 60 else {}
    layers.append(base.mark_line(**marker).encode(
        x=_x(first), y=alt.Y("value:Q", title=y_title),
        tooltip=[*(f"{a.name}:{'Q' if a.numeric else 'N'}" for a in sweep.axes), "id:N", "value:Q", "low:Q", "high:Q",
                 "unit:N"], **colour))
    return alt.layer(*layers).properties(width=520, height=150, title=alt.TitleParams(num.label[:110], fontSize=12))


def sweep_figure(sweep: NumberSweep, sources_table: pd.DataFrame | None = None):
    """The sweep's chart as a :class:`~rare_earths.figures.charts.Figure` (``sweep-<first parameter>``):
    caption, alt text, sources, data."""
    import altair as alt

    from rare_earths.figures import charts

    ids = sweep.ids[:MAX_PANELS]
    data = plotted_data(sweep, ids)
    ranged = {i for i in ids if not (data[data["id"] == i]["low"].fillna(0) == data[data["id"] == i]["high"].fillna(0)).all()}
    # Inline values: Altair's default data transformer refuses more than 5,000 rows.
    values = data.astype(object).where(data.notna(), None).to_dict("records")
    chart = alt.vconcat(*(_panel(sweep, i, i in ranged) for i in ids), data=alt.InlineData(values=values))
    sources = list(dict.fromkeys(s for n in sweep.numbers if n.id in ids for s in n.sources))
    if sources_table is None:
        from rare_earths.data.load import load_table

        sources_table = load_table("sources", sweep.data)
    by_id = sources_table.set_index("source_id", drop=False)
    from rare_earths.format import source_label

    known = [s for s in sources if s in by_id.index]
    cited = "; ".join(source_label(by_id.loc[s]) for s in known)
    swept = " and ".join(a.describe() for a in sweep.axes)
    fixed = ", ".join(f"{k}={plain(v)}" for k, v in sweep.fixed.items())
    more = f" The first {MAX_PANELS} of {len(sweep.ids)} numbers are drawn; the CSV holds all." if len(sweep.ids) > MAX_PANELS else ""
    step = drawn_step(sweep)
    if step > 1:
        more += f" Every {step}th value of {sweep.axes[0].name} is drawn, and the last; the CSV holds all {len(sweep.axes[0])}."
    caption = (f"Key numbers of the book's registry over {swept}; "
               f"{'fixed: ' + fixed + ', ' if fixed else ''}other parameters at their published defaults. "
               f"Bands: the numbers' low–high range.{more} Sources: {cited}.")
    alt_text = (f"{len(ids)} stacked line chart(s), one per key number ({', '.join(ids)}), each plotted against "
                f"{sweep.axes[0].name}" + (f", one line per value of {sweep.axes[1].name}" if len(sweep.axes) == 2 else "")
                + f", over {len(sweep.points)} grid points.")
    slug = sweep.axes[0].name.replace("_", "-")
    return charts.Figure(id=f"sweep-{slug}", chart=chart, data=data, caption=caption, alt_text=alt_text,
                         sources=known, chapter="sweep", title=f"Key numbers against {swept}")
