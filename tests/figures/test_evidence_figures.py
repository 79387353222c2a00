"""Figures of the gap, the bottom-up rebuild and the outlook: built, valid Vega-Lite, captioned with source and
year, alt text, units on axes, and plotting the numbers the registry prints."""

from __future__ import annotations

import pytest

from support import run_cli
from rare_earths.analysis import gap as gp
from rare_earths.data.load import load_table
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers

NEW = {"gap-tested": "cost-gap", "capex-gap": "cost-gap", "buildout-by-stage": "rebuild", "outlook-fan": "outlook",
       "outlook-probability": "outlook", "outlook-sensitivity": "outlook"}
CHANGED = {"demand_definition": "us_allies", "supply_scope": "united_states", "draws": 500, "horizon": 2030,
           "magnet_plants_make_metal": "yes"}


@pytest.mark.parametrize("fid", list(NEW))
@pytest.mark.parametrize("params", [{"draws": 2000}, CHANGED], ids=["defaults", "changed"])
def test_figure_builds_and_validates(fid, params):
    fig = build_figure(fid, params)
    assert fig.chapter == NEW[fid]
    fig.validate_spec()
    assert fig.csv_text().count("\n") == len(fig.data) + 1
    assert len(fig.alt_text) > 40 and fig.sources


def test_figures_are_registered_with_their_chapters():
    defs = {f.id: f.chapter for f in list_figures()}
    for fid, chapter in NEW.items():
        assert defs[fid] == chapter


def test_gap_figure_overlays_the_seed_band_on_chinas_implied_cost():
    fig = build_figure("gap-tested")
    band = fig.data[fig.data["kind"] == "band"].iloc[0]
    china = gp.china_implied(load_table("producer_costs")).cost
    assert band["low_usd_per_kg"] == pytest.approx(china.low * 1.30, abs=1e-3)
    assert band["high_usd_per_kg"] == pytest.approx(china.high * 1.40, abs=1e-3)


def test_buildout_figure_plots_the_registry_total_and_the_seed():
    fig = build_figure("buildout-by-stage")
    total = fig.data.set_index("kind").loc["total"]
    n = {k.id: k for k in compute_numbers(domains=["buildout"])}["buildout.total_usd_bn"]
    assert total["central_usd_bn"] == pytest.approx(n.value, abs=1e-3)
    assert (fig.data["kind"] == "seed").sum() == 1


def test_fan_chart_plots_the_registry_percentiles():
    fig = build_figure("outlook-fan")
    n = {k.id: k for k in compute_numbers(domains=["outlook"])}["outlook.self_sufficiency_magnet_2030"]
    row = fig.data[(fig.data["stage"] == "magnet") & (fig.data["year"] == 2030)].iloc[0]
    assert row["self_sufficiency_p50_pct"] == pytest.approx(n.value, abs=1e-3)
    assert row["self_sufficiency_p10_pct"] == pytest.approx(n.low, abs=1e-3)


def test_export_through_the_cli(tmp_path):
    out = tmp_path / "fan.svg"
    result = run_cli("figure", "outlook-fan", "--format", "svg", "-p", "draws=500", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("<svg") and (tmp_path / "fan.csv").is_file()
