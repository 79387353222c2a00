"""The claims ledger's figures (rare_earths.figures.claims): they plot exactly the ledger's counts."""

from __future__ import annotations

import pandas as pd
import pytest

from rare_earths.book import ledger
from rare_earths.data.load import load_table
from rare_earths.figures import build_figure


@pytest.mark.parametrize("fid, expected", [
    ("claims-verdicts", ledger.verdict_counts),
    ("claims-by-stage", ledger.stage_verdict_counts),
])
def test_count_figures_plot_the_ledgers_counts(fid, expected):
    fig = build_figure(fid)
    assert fig.data["claims"].sum() == len(load_table("claims"))
    pd.testing.assert_frame_equal(fig.data.reset_index(drop=True), expected().reset_index(drop=True))
    (values,) = fig.spec()["datasets"].values()
    assert pd.DataFrame(values)["claims"].tolist() == fig.data["claims"].tolist()


def test_verdict_totals_plot_one_bar_per_verdict_in_order():
    fig = build_figure("claims-verdict-totals")
    totals = ledger.verdict_totals()
    assert list(fig.data["claims"]) == list(totals["claims"])
    assert list(fig.data["verdict"]) == list(totals["label"])
    assert fig.chapter == "intro"


def test_claims_verdicts_reads_without_colour():
    """Every verdict is named on the axis and every bar labelled with its count (colour only repeats it)."""
    spec = build_figure("claims-verdicts").spec()
    layers = spec["spec"]["layer"]
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers]
    assert marks == ["bar", "text"]
    assert all(layer["encoding"]["y"]["field"] == "verdict" for layer in layers)
    assert layers[1]["encoding"]["text"]["field"] == "claims"
    assert layers[0]["encoding"]["color"]["legend"] is None
