"""What a run page says about itself (rare_earths.build.run_page), without running a chapter."""

from __future__ import annotations

from rare_earths.book.glue import escape_markdown, number_glue
from rare_earths.build.run_page import banner, glue_keys, mark, published_glue, retitle_figures
from rare_earths.numbers import compute_numbers


def test_published_run_says_so_and_a_scenario_says_what_differs():
    record = {"parameters": {"cost_gap_high": 0.4, "volume_t": 1294.0}, "scenario": None, "data": {"overlay": None}}
    md, html = banner(record, {"cost_gap_high": 0.4, "volume_t": 1294.0}, "2026-02-18")
    assert "The published book's parameters and data." in md and "A scenario" not in html
    assert "Data checked to 2026-02-18." in md
    record["parameters"]["cost_gap_high"] = 0.5
    record["scenario"] = {"name": "wide", "description": "wider", "not_taken_by_chapter": ["horizon"]}
    record["data"] = {"overlay": "/x/mine", "overlay_sha256": "ab" * 32, "overlay_tables": ["prices"]}
    md, html = banner(record, {"cost_gap_high": 0.4, "volume_t": 1294.0}, "2026-02-18")
    assert md.startswith("**A scenario, not the published book.**")
    assert "`cost_gap_high` = 0.5 (published: 0.4)" in md and "volume_t" not in md
    assert "Scenario **wide**: wider" in md and "horizon" in md and "/x/mine" in html and "abababababab" in html


def test_moved_numbers_are_marked_with_the_published_text():
    assert mark("27.50", "22.00") == "**27.50** (published: 22.00)"
    assert mark("22.00", "22.00") == "22.00" and mark("words", None) == "words"


def test_published_glue_is_what_the_chapter_glues_at_the_defaults():
    nb = {"cells": [{"cell_type": "markdown", "source": "Gap {glue:md}`costs.us_extra_cost_usd_per_kg_high` and "
                                                          "{glue:md}`costs.us_cost_usd_per_kg.range`, {glue:md}`a_word`."}]}
    keys = glue_keys(nb)
    assert keys == ["costs.us_extra_cost_usd_per_kg_high", "costs.us_cost_usd_per_kg.range", "a_word"]
    numbers = {n.id: n for n in compute_numbers({}, domains=["costs"])}
    expected = {**number_glue(numbers["costs.us_extra_cost_usd_per_kg_high"]), **number_glue(numbers["costs.us_cost_usd_per_kg"])}
    assert published_glue(keys) == {k: escape_markdown(expected[k]) for k in keys[:2]}


def test_figure_caption_follows_the_title_it_was_drawn_with():
    cell = {"cell_type": "code", "metadata": {"mystnb": {"figure": {"name": "fig-x", "caption": "old 30–40 % title"}}},
            "outputs": [{"output_type": "display_data",
                         "data": {"text/html": '<div class="rr-figure" data-figure-id="x" data-figure-title="new &amp; 0–50 %">'}}]}
    retitle_figures({"cells": [cell]})
    assert cell["metadata"]["mystnb"]["figure"]["caption"] == "new & 0–50 %"
