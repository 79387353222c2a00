"""The buildout domain: the bottom-up rebuild by stage, listed with sources; `numbers -p` moves it."""

from __future__ import annotations

import json

import pytest

from evidence_support import assert_well_formed, listed
from support import run_cli
from rare_earths.analysis import supply as su

STAGE_IDS = {f"buildout.{kind}_{s}_t" for kind in ("need", "existing", "gap") for s in su.STAGES} | \
    {f"buildout.cost_{s}_usd_bn" for s in su.STAGES} | {f"buildout.years_{s}" for s in su.STAGES}


def test_buildout_numbers_are_listed_and_well_formed():
    assert_well_formed("buildout", STAGE_IDS | {"buildout.total_usd_bn", "buildout.seed_multiple",
                                                 "buildout.chain_years", "buildout.overrun_factor",
                                                 "buildout.estimate.goldman_2023_replicate_china"})


def test_total_is_far_below_the_seed():
    n = listed()["buildout.total_usd_bn"]
    assert n["high"] < 200 and n["claims"] == ["C26"]


def _numbers(*assignments):
    args = ["numbers", "--json", "buildout.total_usd_bn"]
    for a in assignments:
        args += ["-p", a]
    return json.loads(run_cli(*args, check=True).stdout)[0]


def test_parameters_move_the_total():
    direct, allies = _numbers(), _numbers("demand_definition=us_allies")
    assert allies["value"] > direct["value"]
    assert _numbers("horizon=2045")["value"] > direct["value"]
    assert allies["parameters"] and "demand_definition" in allies["parameters"]


@pytest.mark.parametrize("assignment, message", [
    ("demand_definition=embeded", "demand_definition=embeded: must be one of direct, embedded, us_allies"),
    ("embedded_multiplier=0.5", "embedded_multiplier=0.5: must be a multiplier between 1 and 20"),
    ("horizon=2100", "horizon=2100: must be a whole number between 2028 and 2060"),
    ("demand_growth_rate=abc", "demand_growth_rate=abc: not a number"),
    ("supply_scpe=united_states", "did you mean supply_scope?"),
])
def test_bad_parameters_are_one_line_exit_2(assignment, message):
    result = run_cli("numbers", "buildout.total_usd_bn", "-p", assignment)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not result.stdout
