"""The what-if views (rare_earths.figures.whatif) and the sweep chart (rare_earths.figures.sweep):
valid Vega-Lite, the chapter's values on the grid, and the grid, filtered as the page filters it,
equal to the registry at any position (so each number's declared dependencies are complete)."""

from __future__ import annotations

import random

import altair as alt
import pytest

from rare_earths.book.setup import chapter_setup
from rare_earths.figures.whatif import VIEWS, value_text, whatif_view
from rare_earths.numbers import compute_numbers, select
from rare_earths.numbers.registry import domains_of

_BUILT: dict = {}


def built(chapter: str):
    """The chapter's view under its published parameters, built once for the module."""
    if chapter not in _BUILT:
        _BUILT[chapter] = whatif_view(chapter, chapter_setup(chapter, {}))
    return _BUILT[chapter]


@pytest.fixture(scope="module")
def cost_gap():
    return built("cost-gap")


def _at(rows, controls, position):
    """The rows the page keeps at ``position`` (its filter: a row matches the controls it has)."""
    return [r for r in rows if all(r.get(c, position[c]) == position[c] for c in controls)]


@pytest.mark.parametrize("chapter", sorted(VIEWS))
def test_spec_is_valid_vega_lite_and_the_defaults_are_on_the_grid(chapter):
    view = built(chapter)
    alt.VConcatChart.from_dict(view.spec)  # raises if the spec is not valid Vega-Lite
    params = {p["name"]: p for p in view.spec["params"]}
    for control in view.meta["controls"]:
        assert control["default"] in control["values"]
        assert params[control["name"]]["value"] == control["default"] and "bind" in params[control["name"]]
        bind = params[control["name"]]["bind"]
        if bind["input"] == "select":  # one label per option, the default marked
            assert len(bind["labels"]) == len(bind["options"]) == len(control["values"])
            assert [lab.endswith("(default)") for lab in bind["labels"]] == [v == control["default"] for v in control["values"]]


def _check_positions(chapter: str, positions: list[dict]) -> tuple[int, int]:
    """The grid, filtered at each position, against the registry there; (valid, refused) positions seen."""
    view = VIEWS[chapter]
    meta = built(chapter).meta
    controls = [c["name"] for c in meta["controls"]]
    rows = built(chapter).spec["datasets"]["grid"]
    checked_valid = checked_refused = 0
    for position in positions:
        kept = _at(rows, controls, position)
        errors = [r["t"] for r in kept if r["n"] < 0]
        try:
            expected = select(compute_numbers(position, domains=domains_of(view.numbers)), list(view.numbers))
        except ValueError as err:  # the registry refuses this position: the page shows its message
            assert errors and all(e == str(err) for e in errors), (position, errors)
            checked_refused += 1
            continue
        assert errors == []
        shown = {view.numbers[r["n"]]: r["t"] for r in kept}
        assert shown == {n.id: value_text({"display": n.display(), "range": n.display_range()}) for n in expected}, position
        base_labels = {m["n"]: m["label"] for m in built(chapter).spec["datasets"]["numbers"]}
        labels = {view.numbers[r["n"]]: r.get("l", base_labels[r["n"]]) for r in kept}  # the page's calculate
        assert labels == {n.id: n.label for n in expected}, position  # a label naming a parameter follows it
        checked_valid += 1
    return checked_valid, checked_refused


def _random_positions(chapter: str, count: int, seed: int) -> list[dict]:
    values = {c["name"]: c["values"] for c in built(chapter).meta["controls"]}
    rng = random.Random(seed)
    return [{c: rng.choice(v) for c, v in values.items()} for _ in range(count)]


def test_the_filtered_grid_is_the_registry_at_random_positions(cost_gap):
    values = {c["name"]: c["values"] for c in cost_gap.meta["controls"]}
    positions = _random_positions("cost-gap", 12, 13)
    positions.append({**positions[0], "cost_gap_low": max(values["cost_gap_low"]), "cost_gap_high": min(values["cost_gap_high"])})
    checked_valid, checked_refused = _check_positions("cost-gap", positions)
    assert checked_valid >= 3 and checked_refused >= 1  # both kinds (the last: low end above the high end)


@pytest.mark.parametrize("chapter", ["rebuild", "outlook"])
def test_the_filtered_grid_is_the_registry_at_random_positions_of_rebuild_and_outlook(chapter):
    """Every control's every value appears in some position (the corners included), and the
    registry refuses none of them (no cross-parameter rule binds these controls)."""
    positions = _random_positions(chapter, 4, 2026)
    values = {c["name"]: c["values"] for c in built(chapter).meta["controls"]}
    positions += [{c: v[0] for c, v in values.items()}, {c: v[-1] for c, v in values.items()}]
    assert _check_positions(chapter, positions) == (len(positions), 0)


def test_a_view_draws_its_chart_number_against_its_chart_control():
    for chapter, view in VIEWS.items():
        assert view.chart_number in view.numbers and view.chart_control in {c.name for c in view.controls}
        chart = built(chapter).spec["vconcat"][2]
        assert chart["layer"][0]["encoding"]["x"]["field"] == view.chart_control


def test_sweep_chart_is_valid_vega_lite():
    from rare_earths.figures.sweep import sweep_figure
    from rare_earths.numbers.sweep import parse_sweep, sweep_numbers

    axes, fixed = parse_sweep(["cost_gap_low=0.2:0.4:0.1", "china_cost_usd_per_kg=40,60"])
    fig = sweep_figure(sweep_numbers(axes, fixed, ["costs.us_cost_usd_per_kg", "costs.us_extra_cost_usd_per_kg_low"]))
    fig.validate_spec()
    assert "SMM" in fig.caption and "cost_gap_low from 0.2 to 0.4, step 0.1 (3 values)" in fig.caption
    assert len(fig.data) == 3 * 2 * 2


def test_a_run_off_the_grid_adds_its_value_and_the_control_becomes_a_list():
    """`rare-earths run cost-gap -p cost_gap_high=0.45`: the view starts at 0.45, on its grid."""
    params = chapter_setup("cost-gap", {"cost_gap_high": 0.45})
    built = whatif_view("cost-gap", params)
    control = next(c for c in built.meta["controls"] if c["name"] == "cost_gap_high")
    assert control["default"] == 0.45 and 0.45 in control["values"] and control["values"] == sorted(control["values"])
    param = next(p for p in built.spec["params"] if p["name"] == "cost_gap_high")
    assert param["bind"]["input"] == "select" and param["value"] == 0.45
    at = _at(built.spec["datasets"]["grid"], [c["name"] for c in built.meta["controls"]],
             {c["name"]: c["default"] for c in built.meta["controls"]})
    expected = {n.id: n for n in compute_numbers(params, domains=["costs"])}
    assert {VIEWS["cost-gap"].numbers[r["n"]]: r["t"] for r in at} == {
        i: value_text({"display": expected[i].display(), "range": expected[i].display_range()}) for i in VIEWS["cost-gap"].numbers}
