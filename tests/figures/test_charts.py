"""The house chart theme and the Figure object (rare_earths.figures.charts)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

import altair as alt
import pandas as pd
import pytest

import rare_earths
from rare_earths.edition import edition_url
from rare_earths.data.load import data_checked_to
from rare_earths.figures import charts
from rare_earths.figures.charts import Figure, FigureError, axis_title, china_emphasis

SOURCE = "usgs_mcs_2026_ree"
CHECKED = f"{data_checked_to():%Y-%m-%d}"  # the date data/checked.json gives


def reserves() -> pd.DataFrame:
    return pd.DataFrame({
        "country": ["China", "Brazil", "United States"],
        "reserves_mt": [44.0, 21.0, 1.9],
    })


def make_figure(**overrides) -> Figure:
    data = overrides.pop("data", None)
    data = reserves() if data is None else data
    chart = overrides.pop("chart", None) or alt.Chart(data).mark_bar().encode(
        x=alt.X("reserves_mt:Q", title=axis_title("Reserves", "Mt REO")),
        y=alt.Y("country:N", sort="-x", title=None),
        **china_emphasis("country", "bar"),
    )
    fields = dict(
        id="reserves-test", chart=chart, data=data,
        caption="Rare-earth reserves by country. Source: USGS, MCS 2026 (data for 2025).",
        alt_text="Bar chart: China holds 44 Mt of reserves, Brazil 21 Mt, the United States 1.9 Mt.",
        sources=[SOURCE], chapter="reserves",
    )
    fields.update(overrides)
    return Figure(**fields)


# -- theme and palette ------------------------------------------------------------------------

OKABE_ITO_HEX = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def test_theme_is_registered_and_enabled():
    assert charts.THEME_NAME in alt.theme.names()
    assert alt.theme.active == charts.THEME_NAME
    config = charts.theme()["config"]
    assert config["range"]["category"] == charts.PALETTE
    # System fonts only: no web font is named or loaded.
    text = json.dumps(config)
    assert "url(" not in text and "googleapis" not in text and "@font-face" not in text
    assert config["font"].endswith("sans-serif")
    spec = alt.Chart(reserves()).mark_bar().encode(x="reserves_mt:Q").to_dict()
    assert spec["config"]["font"] == charts.FONT


def test_palette_is_colour_blind_safe():
    assert set(charts.OKABE_ITO.values()) == OKABE_ITO_HEX
    assert len(charts.PALETTE) == len(set(charts.PALETTE)) == 8
    assert set(charts.PALETTE) <= OKABE_ITO_HEX
    assert charts.CHINA_COLOUR in OKABE_ITO_HEX and charts.PRIMARY_COLOUR in OKABE_ITO_HEX
    assert charts.PALETTE[-1] == charts.OKABE_ITO["yellow"]  # low contrast on white: last


@pytest.mark.parametrize("mark, cue", [("bar", "stroke"), ("area", "strokeWidth"), ("line", "strokeDash"),
                                       ("point", "shape")])
def test_china_emphasis_does_not_rely_on_colour(mark, cue):
    enc = china_emphasis("country", mark, colour=False)
    assert "color" not in enc and cue in enc
    rendered = json.dumps(alt.Chart(reserves()).mark_point().encode(**enc).to_dict()["encoding"])
    assert '"equal": "China"' in rendered and '"field": "country"' in rendered
    assert "color" in china_emphasis("country", mark)
    with pytest.raises(ValueError):
        china_emphasis("country", "boxplot")


def test_china_bar_is_outlined_in_the_svg():
    svg = make_figure().to_svg()
    assert svg.count('stroke="#000000"') >= 1 or svg.count('stroke="#000"') >= 1


def test_axis_title_names_the_unit():
    assert axis_title("Reserves", "Mt REO") == "Reserves (Mt REO)"
    with pytest.raises(ValueError):
        axis_title("Reserves", " ")


# -- Figure validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field", [
    ({"caption": ""}, "caption is missing"),
    ({"caption": "Rare-earth reserves by country, 2025."}, "caption must name the data's source (USGS)"),
    ({"caption": "Rare-earth reserves by country. Source: USGS."}, "caption must give the data's vintage"),
    ({"alt_text": ""}, "alt_text is missing"),
    ({"alt_text": "A chart"}, "alt_text is too short"),
    ({"sources": []}, "sources must be a non-empty list"),
    ({"sources": "usgs_mcs_2026_ree"}, "sources must be a non-empty list"),
    ({"sources": ["no_such_source"]}, "sources has unknown source ids ['no_such_source']"),
    ({"id": "Reserves Test"}, "id must be lower-case words"),
    ({"chapter": ""}, "chapter must be"),
    ({"data": reserves().head(1), "chart": alt.Chart(reserves()).mark_bar().encode(
        x=alt.X("reserves_mt:Q", title="Reserves (Mt)"), y="country:N")}, "data is not the DataFrame the chart plots"),
    ({"chart": alt.Chart(reserves()).mark_bar().encode(x="reserves_mt:Q", y="country:N")}, "unit in brackets"),
])
def test_figure_names_what_is_missing(overrides, field):
    with pytest.raises(FigureError) as err:
        make_figure(**overrides)
    assert field in str(err.value)
    assert "Figure " in str(err.value)


def test_figure_accepts_producer_full_name_and_layered_charts():
    data = reserves()
    base = alt.Chart(data).encode(x=alt.X("reserves_mt:Q", title=axis_title("Reserves", "Mt REO")), y="country:N")
    layered = alt.layer(base.mark_bar(), base.mark_text(dx=12).encode(text="reserves_mt:Q"))
    fig = make_figure(chart=layered, caption="Reserves. Data: U.S. Geological Survey, Mineral Commodity Summaries 2026.")
    assert fig.short_title == "Reserves"
    assert "<svg" in fig.to_svg()


# -- outputs ------------------------------------------------------------------------------------

def test_svg_carries_the_alt_text_as_title_and_aria_label():
    svg = make_figure().to_svg()
    assert svg.startswith("<svg")
    assert '<svg role="img" aria-label="Bar chart: China holds 44 Mt' in svg
    assert "<title>Bar chart: China holds 44 Mt" in svg


def test_png_is_a_png_at_the_scale_asked():
    fig = make_figure()
    png = fig.to_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(fig.to_png(scale=1)) < len(png)


def test_csv_text_is_the_plotted_data():
    fig = make_figure()
    text = fig.csv_text()
    assert text == fig.data.to_csv(index=False, lineterminator="\n")
    assert text.splitlines()[0] == "country,reserves_mt"
    back = pd.read_csv(io.StringIO(text))
    pd.testing.assert_frame_equal(back, fig.data, check_dtype=False)


def test_exported_csv_names_its_figure_and_runs_no_formula():
    data = pd.DataFrame({"country": ["China", "=1+1", "-3 Mt", "@x"], "reserves_mt": [44.0, 1.0, 2.0, 3.0]})
    chart = alt.Chart(data).mark_bar().encode(x=alt.X("reserves_mt:Q", title=axis_title("Reserves", "Mt REO")),
                                              y="country:N")
    fig = make_figure(data=data, chart=chart)
    lines = fig.csv_export_text().splitlines()
    assert lines[:3] == [
        f"# Rare Earth Rivalry (version {rare_earths.__version__}), figure reserves-test: Rare-earth reserves by country",
        "# Sources: USGS, Rare earths, in Mineral Commodity Summaries 2026 (MCS 2026, version 1.3, 2026-02-06)",
        f"# Data checked to {CHECKED}. Licence: CC BY 4.0 (the curated data); quoted sources keep their own terms.",
    ]
    assert lines[3:5] == ["# Columns (as the chart titles them, with units): reserves_mt = Reserves (Mt REO)",
                          f"# {fig.url()}"]
    assert lines[5:] == ["country,reserves_mt", "China,44.0", "'=1+1,1.0", "'-3 Mt,2.0", "'@x,3.0"]
    href = fig.csv_data_url()  # the download link carries the exported text
    assert href.startswith("data:text/csv;charset=utf-8;base64,")
    assert base64.b64decode(href.split(",", 1)[1]).decode("utf-8") == fig.csv_export_text()


def test_show_outputs_one_block_with_escaped_text(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.append((objs, kw)))
    fig = make_figure(caption="Reserves <b>by</b> country & more. Source: USGS, MCS 2026 (data for 2025).")
    fig.show()
    assert len(shown) == 1 and len(shown[0][0]) == 1 and shown[0][1] == {"raw": True}
    html_out = shown[0][0][0]["text/html"]
    assert "Reserves &lt;b&gt;by&lt;/b&gt; country &amp; more" in html_out
    assert "<b>by</b>" not in html_out
    assert f'download="{fig.id}.csv"' in html_out and "Download the data (CSV)" in html_out
    assert html_out.count('<div class="rr-figure"') == 1
    assert "Cite: " + rare_earths.BOOK_TITLE in html_out


def test_figure_html_has_no_random_ids():
    page = make_figure().to_html()
    assert "altair-viz-" not in page
    assert 'id="chart-reserves-test"' in page and 'id="chart-reserves-test-spec"' in page


def test_citation_names_book_version_and_sources():
    cite = make_figure().citation()
    assert cite.startswith(f"{rare_earths.BOOK_TITLE} ({rare_earths.__version__}), figure reserves-test: ")
    assert cite.endswith(": Rare-earth reserves by country. Sources: USGS, Rare earths, in Mineral Commodity "
                         f"Summaries 2026 (MCS 2026, version 1.3, 2026-02-06). Data checked to {CHECKED}. "
                         f"{edition_url()}chapters/reserves.html#fig-reserves-test")


def test_cell_metadata_for_numbered_figures():
    meta = make_figure().cell_metadata()
    assert meta == {"mystnb": {"figure": {"name": "fig-reserves-test", "caption": "Rare-earth reserves by country",
                                          "caption_before": True}}}


def test_only_the_chart_modules_import_altair():
    """Altair is heavy: ``rare-earths --help``, the registry and the chapter API start without it.
    Only the figure modules (and the kernel preload, whose job it is) import it."""
    code = (
        "import importlib, pkgutil, sys, rare_earths\n"
        "from rare_earths.figures import SUBMODULES\n"
        "charts = {'rare_earths.figures.charts'} | {'rare_earths.figures.' + m for m in SUBMODULES}\n"
        "skip = charts | {'rare_earths.build.kernel_preload'}\n"
        "names = [m.name for m in pkgutil.walk_packages(rare_earths.__path__, 'rare_earths.')]\n"
        "for name in names:\n"
        "    if name not in skip and not name.endswith('__main__'):  # __main__ would run the command\n"
        "        importlib.import_module(name)\n"
        "print(len(names), sorted(k for k in sys.modules if k.split('.')[0] in ('altair', 'vl_convert')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, imported = out.stdout.strip().split(" ", 1)
    assert int(count) > 40 and imported == "[]", f"imported at import time: {imported}"


def test_validate_spec_catches_what_rendering_does_not_check():
    import altair as alt

    from rare_earths.figures.charts import Figure, axis_title

    df = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    chart = alt.Chart(df).mark_bar().encode(x=alt.X("x:Q", title=axis_title("X", "t REO")), y="y:N")
    chart["width"] = "wide"  # set after construction: Altair checks it only in to_dict(validate=True)
    fig = Figure("bad-fig", chart, df, "Test data, USGS MCS 2026.", "Two bars, drawn only for this test.",
                 ["usgs_mcs_2026_ree"], "reserves")
    assert '"wide"' in fig.to_html()  # rendered without validation
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        fig.validate_spec()
