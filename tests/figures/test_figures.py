"""The figure registry (rare_earths.figures): every registered figure, built the way chapters and
``rare-earths figure`` build it. Each chapter's figures are tested by hand in test_<domain>.py."""

from __future__ import annotations

import struct
import subprocess
import sys
from functools import cache
from io import StringIO

import pandas as pd
import pytest

from rare_earths import CHAPTERS
from rare_earths.figures import MODULE_OF, build_figure, get_figure_def, list_figures
from rare_earths.params import ParameterError, chapter_parameters, parse_assignments

FIGURE_IDS = [f.id for f in list_figures()]
#: The book's text column is about 640 px wide: a wider chart is cut off on the page.
MAX_WIDTH_PX = 620
TOO_WIDE: dict[str, str] = {}  # figure id -> why it may not fit yet (none)
#: Figures that draw a reference mark from data of its own besides the plotted table.
REFERENCE_MARKS = {"floor-vs-prices": [{"floor_usd_per_kg": 110.0}]}  # the DoD floor, dashed


def test_figures_are_registered_for_their_chapters():
    by_chapter = {c: [f.id for f in list_figures(c)] for c in CHAPTERS}
    assert by_chapter == {
        "intro": ["claims-verdict-totals"],
        "shares": ["china-share-by-stage", "seed-shares-reconciled", "concentration-hhi"],
        "reserves": ["reserves-ranked", "canada-reserves-vs-resources", "reserves-to-production", "reserve-revisions",
                     "production-2024-revisions"],
        "cost-gap": ["cost-gap-range", "floor-vs-prices", "cost-gap-tornado", "gap-tested", "capex-gap"],
        "rebuild": ["rebuild-money-by-instrument", "rebuild-cumulative", "rebuild-tornado", "buildout-by-stage"],
        "outlook": ["outlook-fan", "outlook-probability", "outlook-sensitivity"],
        "pipeline": ["pipeline-timeline", "pipeline-capacity"],
        "claims": ["claims-verdicts", "claims-by-stage"],
        "methods": [],
    }


@pytest.mark.parametrize("fid", FIGURE_IDS)
def test_a_figure_takes_only_parameters_its_chapter_takes(fid):
    fdef = get_figure_def(fid)
    assert set(fdef.parameters) <= {p.name for p in chapter_parameters(fdef.chapter)}, fid


@cache
def _default(fid: str):
    return build_figure(fid)  # the declared defaults


@pytest.mark.parametrize("fid", FIGURE_IDS)
def test_builds_with_defaults_and_plots_its_own_data(fid):
    fig = _default(fid)
    datasets = list(fig.spec()["datasets"].values())
    if fid in REFERENCE_MARKS:
        assert fig.chart.layer[0].data is fig.data
        assert datasets[1:] == [REFERENCE_MARKS[fid]]
    else:
        assert fig.chart.data is fig.data  # one top-level data set: the chart plots exactly fig.data
        assert len(datasets) == 1
    assert len(datasets[0]) == len(fig.data)
    back = pd.read_csv(StringIO(fig.csv_text()))
    assert back.shape == fig.data.shape and list(back.columns) == list(fig.data.columns)
    assert len(fig.alt_text) > 60  # a description, not a title (the constructor asks for 20 characters)
    assert fig.label == f"fig-{fid}" and fig.parameters == {}


@pytest.mark.parametrize("fid", [pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=TOO_WIDE[f]))
                                 if f in TOO_WIDE else f for f in FIGURE_IDS])
def test_fits_the_page(fid):
    width, height = struct.unpack(">II", _default(fid).to_png(scale=1)[16:24])
    assert width <= MAX_WIDTH_PX, f"{fid} is {width}px wide"
    assert height < 1000


#: Changed parameters, to validate every spec off the defaults too (the book renders specs
#: without Altair's per-figure validation; see charts.Figure).
_CHANGED = {"cost_gap_low": 0.2, "cost_gap_high": 0.6, "market_price_usd_per_kg": 80.0, "rebuild_total_usd_bn": 350.0,
            "rebuild_years": 25, "committed_scope": "firm", "as_of": "2026-02-01", "due_window_days": 365}


@pytest.mark.parametrize("changed", [False, True], ids=["defaults", "changed"])
def test_every_figure_spec_is_valid_vega_lite(changed):
    params = parse_assignments([f"{k}={v}" for k, v in _CHANGED.items()]) if changed else {}
    for fid in FIGURE_IDS:
        spec = build_figure(fid, params).validate_spec()
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/"), fid


def test_build_figure_records_the_non_default_parameters_it_uses():
    fig = build_figure("cost-gap-range", {"cost_gap_high": 0.5, "rebuild_years": 20, "not_a_parameter": 1})
    assert fig.parameters == {"cost_gap_high": 0.5}  # rebuild_years is not one of the figure's parameters
    assert "Parameters (non-default): cost_gap_high=0.5." in fig.citation()
    assert build_figure("cost-gap-range", {"cost_gap_high": 0.4}).parameters == {}  # the default


def test_unknown_figure_suggests_the_closest():
    with pytest.raises(ParameterError, match=r"figure=cost-gap-rang: unknown figure \(did you mean cost-gap-range\?\)"):
        get_figure_def("cost-gap-rang")


def test_module_index_matches_the_registrations_and_one_figure_imports_one_module():
    assert {f.id: f.builder.__module__.rsplit(".", 1)[-1] for f in list_figures()} == MODULE_OF
    code = ("import sys; from rare_earths.figures import build_figure; build_figure('cost-gap-range'); "
            "print(sorted(m for m in sys.modules if m.startswith('rare_earths.figures.') and m != 'rare_earths.figures.charts'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['rare_earths.figures.costs']"


# ---------------------------------------------------------------------------------------------
# Charts people can read (issue 12): every tooltip and axis in words, with units and rounding
# ---------------------------------------------------------------------------------------------

_SNAKE = __import__("re").compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")  # a code identifier: share_pct, china_cost_usd_per_kg


def _encodings(spec):
    """Every encoding block of a spec (top level, layers, concatenations, facets)."""
    if isinstance(spec, dict):
        if isinstance(spec.get("encoding"), dict):
            yield spec["encoding"]
        for key, value in spec.items():
            if key not in ("datasets", "data", "config"):
                yield from _encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _encodings(value)


@pytest.mark.parametrize("fid", FIGURE_IDS)
def test_tooltips_and_axes_speak_words_with_units_and_the_printed_rounding(fid):
    fig = _default(fid)
    spec = fig.spec()
    tips = [t for enc in _encodings(spec) for t in (enc.get("tooltip") if isinstance(enc.get("tooltip"), list)
                                                     else [enc["tooltip"]] if "tooltip" in enc else [])]
    assert tips, f"{fid}: no tooltip"
    for tip in tips:
        assert isinstance(tip, dict) and tip.get("title"), f"{fid}: tooltip field {tip} has no title"
        assert "_" not in tip["title"], f"{fid}: tooltip title {tip['title']!r} is a code name"
        if tip.get("type") in ("quantitative", "temporal"):
            assert tip.get("format"), f"{fid}: tooltip {tip['title']!r} has no format (would show 58.6667)"
        if tip.get("type") == "quantitative" and tip.get("format") not in ("d", ",d"):
            assert "(" in tip["title"] or tip["title"] in ("Announcements", "Claims", "Rank"), \
                f"{fid}: tooltip {tip['title']!r} names no unit"
    for enc in _encodings(spec):
        for channel in ("x", "y", "color"):
            ch = enc.get(channel)
            title = ch.get("title") if isinstance(ch, dict) else None
            assert not (isinstance(title, str) and _SNAKE.match(title)), f"{fid}: {channel} title {title!r}"
            shown = channel != "color" or (isinstance(ch, dict) and ch.get("legend", {}) is not None)
            if shown and isinstance(ch, dict) and ch.get("type") == "nominal" and ch.get("field") in fig.data:
                labels = [v for v in fig.data[ch["field"]].dropna().astype(str) if _SNAKE.match(v)]
                assert not labels, f"{fid}: {channel} axis labels are code names: {labels[:3]}"


def test_the_house_theme_keeps_numeric_tick_labels_apart():
    from rare_earths.figures.charts import theme

    config = theme()["config"]
    for axis in ("axisQuantitative", "axisTemporal"):
        assert config[axis]["labelOverlap"] and config[axis]["labelSeparation"] > 0


def test_multiples_read_as_times():
    spec = _default("floor-vs-prices").spec()
    calcs = [c["calculate"] for layer in spec["layer"][0]["layer"] for c in layer.get("transform", []) if "calculate" in c]
    assert any("\u00d7" in c and "'.1f'" in c for c in calcs), calcs


def test_tooltip_fields_fail_loudly_without_a_title():
    from rare_earths.figures.charts import tooltips

    with pytest.raises(KeyError, match="no title for field 'mystery_pct'"):
        tooltips("mystery_pct")
    (tip,) = tooltips(("x_pct", "Share (%)", ".1f"))
    assert tip.to_dict() == {"field": "x_pct", "type": "quantitative", "title": "Share (%)", "format": ".1f"}
