"""The outlook domain: probabilities per stage and year, the reference class, listed with sources."""

from __future__ import annotations

import json

import pytest

from evidence_support import assert_well_formed, listed
from support import run_cli
from rare_earths.analysis import supply as su
from rare_earths.numbers import compute_numbers

PROBABILITIES = {f"outlook.p_cover_{s}_{y}" for s in su.STAGES + ("all",) for y in (2028, 2030, 2035)}


def test_outlook_numbers_are_listed_and_well_formed():
    assert_well_formed("outlook", PROBABILITIES | {f"outlook.self_sufficiency_{s}_2030" for s in su.STAGES}
                       | {"outlook.delay_years", "outlook.cancellation_rate_pct", "outlook.ramp_up_years",
                          "outlook.first_year_magnet", "outlook.binding_share_metal_2030"})


def test_probabilities_are_percentages():
    for id_ in PROBABILITIES:
        n = listed()[id_]
        assert 0 <= n["value"] <= 100 and n["unit"] == "%", id_
        assert "draws" in n["formula"] and "seed" in n["formula"]


def test_a_year_beyond_the_horizon_is_undefined_not_zero():
    numbers = {n.id: n for n in compute_numbers({"horizon": 2030}, domains=["outlook"])}
    assert numbers["outlook.p_cover_magnet_2035"].value is None
    assert "horizon is 2030" in numbers["outlook.p_cover_magnet_2035"].status
    assert numbers["outlook.p_cover_magnet_2030"].value is not None


def test_same_seed_same_numbers_through_the_cli():
    args = ("numbers", "--json", "outlook.p_cover_magnet_2030", "-p", "draws=2000", "-p", "seed=5")
    a, b = (json.loads(run_cli(*args, check=True).stdout)[0]["value"] for _ in range(2))
    assert a == b


@pytest.mark.parametrize("assignment, message", [
    ("draws=0", "draws=0: must be a whole number between 100 and 1000000"),
    ("delay_scale=-1", "delay_scale=-1: must be a multiplier between 0 and 10"),
    ("cancellation_rate=2", "cancellation_rate=2: must be a fraction between 0 and 1"),
    ("ramp_up_years=inf", "ramp_up_years=inf"),
    ("seed=1.5", "seed=1.5: must be a whole number"),
    ("magnet_plants_make_metal=maybe", "must be one of no, yes"),
])
def test_bad_parameters_are_one_line_exit_2(assignment, message):
    result = run_cli("numbers", "outlook.p_cover_all_2035", "-p", assignment)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
