"""The key-number registry and the `rare-earths numbers` command."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from rare_earths.numbers import registry as R
from rare_earths.data.load import data_dir, load_table
from rare_earths.params.core import CHAPTERS, PARAMETERS

AS_OF = dt.date(2026, 11, 23)
REQUIRED_IDS = (
    "rebuild.annual_need_usd_bn", "rebuild.committed_usd_bn", "rebuild.coverage_pct",
    "costs.floor_multiple_of_2024_price", "costs.floor_topup_usd_m_per_year",
    "costs.us_extra_cost_usd_per_kg_low", "costs.us_extra_cost_usd_per_kg_high",
    "shares.china_mining_share_usgs_pct", "shares.china_refining_share_iea_pct",
    "reserves.china_reserve_share_max_pct", "reserves.canada_reserves_t",
)
CLI = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "rare-earths"


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in R.compute_numbers({"as_of": AS_OF})}


def test_required_ids_are_registered(numbers):
    assert set(REQUIRED_IDS) <= set(numbers)


def test_every_number_is_well_formed(numbers):
    sources = set(load_table("sources")["source_id"])
    claims = set(load_table("claims")["claim_id"])
    for n in numbers.values():
        assert n.id.split(".")[0] in {"shares", "reserves", "costs", "rebuild", "pipeline"}, n.id
        assert set(n.sources) <= sources, (n.id, set(n.sources) - sources)
        assert set(n.parameters) <= set(PARAMETERS), n.id
        assert set(n.claims) <= claims, n.id
        assert n.chapters and set(n.chapters) <= set(CHAPTERS), n.id
        assert n.unit and n.label and n.formula
        assert n.value is not None and math.isfinite(n.value), n.id  # no NaN at the book's defaults
        assert n.low <= n.value <= n.high, n.id
        d = n.as_dict()
        assert {"id", "value", "unit", "label", "sources"} <= set(d)
        json.dumps(d)


def test_headline_values_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["shares.china_mining_share_usgs_pct"] == pytest.approx(270_000 / 380_000 * 100)  # MCS 2026 v1.3, 2024
    assert numbers["shares.china_mining_share_usgs_pct"].low == pytest.approx(270_000 / 385_000 * 100)
    assert v["shares.china_refining_share_iea_pct"] == 91.3
    assert v["reserves.china_reserve_share_max_pct"] == pytest.approx(44e6 / 75e6 * 100)
    assert numbers["reserves.china_reserve_share_max_pct"].bound == "<="
    assert v["reserves.canada_reserves_t"] == 830_000
    assert v["reserves.canada_reserve_rank"] == 10
    assert v["costs.floor_multiple_of_2024_price"] == pytest.approx(110 / 55)  # floor / USGS 2024 average
    assert v["costs.floor_multiple_of_deal_day_price"] == pytest.approx(110 / 63)
    assert v["costs.floor_multiple_of_2025_price"] == pytest.approx(110 / 69)
    assert v["costs.floor_topup_usd_m_per_year"] == pytest.approx((110 - 55) * 1294 / 1000)  # USD 71.2M a year
    assert v["costs.us_extra_cost_usd_per_kg_low"] == pytest.approx(55 * 0.30)
    assert v["costs.us_extra_cost_usd_per_kg_high"] == pytest.approx(55 * 0.40)
    assert v["costs.ramaco_payback_min_ndpr_t_per_year"] == pytest.approx(500e6 / 3 / 110e3)
    assert v["rebuild.annual_need_usd_bn"] == pytest.approx(200 / 15)
    committed = (400 + 150 + 3 + 50 + 50 + 565 + 20 + 277 + 200 + 620 + 80 + 1300 + 1000 + 473 + 550 + 1500 + 1250) / 1000
    assert v["rebuild.committed_usd_bn"] == pytest.approx(committed)  # commitments.csv, JPM/GS terminated, DFC 465 replaced
    assert v["rebuild.coverage_pct"] == pytest.approx(committed / 200 * 100)
    assert v["pipeline.suspension_length_days"] == (dt.date(2026, 11, 10) - dt.date(2025, 11, 7)).days
    assert v["shares.seed_87_vs_usgs_imports_pp"] == 87 - 71


def test_overrides_move_exactly_the_declared_dependents():
    base = {n.id: n for n in R.compute_numbers({"as_of": AS_OF})}
    changes = {
        "cost_gap_low": 0.2, "cost_gap_high": 0.5, "china_cost_usd_per_kg": 40.0, "floor_price_usd_per_kg": 120.0,
        "market_price_usd_per_kg": 69.0, "volume_t": 5000.0, "dod_upside_share": 0.5, "rebuild_total_usd_bn": 300.0,
        "rebuild_years": 20, "committed_scope": "firm", "as_of": dt.date(2026, 3, 1), "due_window_days": 500,
    }
    assert set(changes) == set(PARAMETERS)
    for name, value in changes.items():
        overrides = {"as_of": AS_OF, name: value}
        moved = {n.id for n in R.compute_numbers(overrides)
                 if (n.value, n.low, n.high) != (base[n.id].value, base[n.id].low, base[n.id].high)}
        undeclared = {i for i in moved if name not in base[i].parameters}
        assert not undeclared, f"{name} moves {undeclared} without their declaring it"
        assert moved, f"changing {name} moves no number"


def test_cost_gap_high_moves_the_dependent_numbers(numbers):
    moved = {n.id: n for n in R.compute_numbers({"as_of": AS_OF, "cost_gap_high": 0.5})}
    assert moved["costs.us_extra_cost_usd_per_kg_high"].value == pytest.approx(55 * 0.5)
    assert moved["costs.us_extra_cost_usd_per_kg_low"].value == numbers["costs.us_extra_cost_usd_per_kg_low"].value
    assert moved["costs.subsidy_usd_m_per_year"].high == pytest.approx(55 * 0.5 * 1294 / 1000)
    assert moved["shares.china_mining_share_usgs_pct"] == numbers["shares.china_mining_share_usgs_pct"]


def test_deterministic():
    a = [n.as_dict() for n in R.compute_numbers({"as_of": AS_OF})]
    b = [n.as_dict() for n in R.compute_numbers({"as_of": AS_OF})]
    assert a == b


def test_undefined_numbers_carry_a_status_not_nan():
    early = {n.id: n for n in R.compute_numbers({"as_of": dt.date(2025, 6, 1)})}
    n = early["rebuild.years_to_reach_at_pace"]
    assert n.value is None and n.status.startswith("undefined at as_of=2025-06-01")
    assert n.display() == "n/a" and n.as_dict()["value"] is None


def test_get_number_and_unknown_ids():
    assert R.get_number("reserves.canada_reserves_t").value == 830_000
    with pytest.raises(R.UnknownNumberError, match="did you mean reserves.canada_reserves_t"):
        R.get_number("reserves.canada_reserve_t")


def test_keynumber_rejects_nan_and_bad_ranges():
    with pytest.raises(ValueError, match="not finite"):
        R.KeyNumber("x.y", float("nan"), "u", "l", "f", ("s",))
    with pytest.raises(ValueError, match="low <= value <= high"):
        R.KeyNumber("x.y", 1.0, "u", "l", "f", ("s",), low=2.0)
    with pytest.raises(ValueError, match="needs a status"):
        R.KeyNumber("x.y", None, "u", "l", "f", ("s",))
    with pytest.raises(ValueError, match="at least one source"):
        R.KeyNumber("x.y", 1.0, "u", "l", "f", ())


# --- the command ---------------------------------------------------------------------------------


def test_run_numbers_command_json(capsys):
    assert R.run_numbers_command(["as_of=2026-11-23", "cost_gap_high=0.5"], True,
                                 ["costs.us_extra_cost_usd_per_kg_high", "rebuild.coverage_pct"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in out] == ["costs.us_extra_cost_usd_per_kg_high", "rebuild.coverage_pct"]
    assert out[0]["value"] == pytest.approx(55 * 0.5)


def test_run_numbers_command_table(capsys):
    assert R.run_numbers_command([], False, None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["id", "value"]
    assert len(lines) == len(R.compute_numbers()) + 1
    assert any(line.startswith("reserves.canada_reserves_t") and "830,000" in line for line in lines)


@pytest.mark.parametrize("assignments, ids, expected", [
    (["cost_gap_high=7"], None, "rare-earths numbers: error: cost_gap_high=7: must be a fraction between 0 and 5"),
    (["cost_gap_hihg=0.5"], None, "did you mean cost_gap_high?"),
    (["as_of=2026-02-30"], None, "as_of=2026-02-30: not a valid date"),
    ([], ["costs.nope"], "unknown number id 'costs.nope'"),
])
def test_run_numbers_command_errors(capsys, assignments, ids, expected):
    assert R.run_numbers_command(assignments, False, ids) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert err.startswith("rare-earths numbers: error: ") and expected in err and "\n" not in err


def _cli_has_numbers() -> bool:
    if not CLI.exists():
        return False
    result = subprocess.run([str(CLI), "--help"], capture_output=True, text=True)
    return "numbers" in result.stdout


def _run(*args):
    env = dict(os.environ, RARE_EARTHS_DATA=str(data_dir()))
    return subprocess.run([str(CLI), "numbers", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.skipif(not _cli_has_numbers(), reason="cli.py has no `numbers` subcommand yet")
def test_console_command_json_with_and_without_parameters():
    plain = _run("--json", "-p", "as_of=2026-11-23")
    assert plain.returncode == 0, plain.stderr
    base = {o["id"]: o for o in json.loads(plain.stdout)}
    assert set(REQUIRED_IDS) <= set(base)
    for o in base.values():
        assert {"id", "value", "unit", "label", "sources"} <= set(o)
    moved = _run("--json", "-p", "as_of=2026-11-23", "-p", "cost_gap_high=0.5")
    assert moved.returncode == 0, moved.stderr
    after = {o["id"]: o for o in json.loads(moved.stdout)}
    assert after["costs.us_extra_cost_usd_per_kg_high"]["value"] == pytest.approx(55 * 0.5)
    assert base["costs.us_extra_cost_usd_per_kg_high"]["value"] == pytest.approx(55 * 0.4)
    assert after["costs.subsidy_usd_m_per_year"]["high"] > base["costs.subsidy_usd_m_per_year"]["high"]
    assert after["reserves.canada_reserves_t"] == base["reserves.canada_reserves_t"]
    one = _run("--json", "reserves.canada_reserves_t")
    assert [o["id"] for o in json.loads(one.stdout)] == ["reserves.canada_reserves_t"]


@pytest.mark.skipif(not _cli_has_numbers(), reason="cli.py has no `numbers` subcommand yet")
def test_console_command_bad_parameter():
    bad = _run("-p", "cost_gap_high=7")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == "rare-earths numbers: error: cost_gap_high=7: must be a fraction between 0 and 5"


def test_domains_compute_the_same_numbers_as_the_whole_registry(numbers):
    for domain in R.DOMAINS:
        part = R.compute_numbers({"as_of": AS_OF}, domains=[domain])
        assert part, domain
        assert {n.id for n in part} == {i for i in numbers if i.split(".")[0] == domain}
        for n in part:
            assert n.as_dict() == numbers[n.id].as_dict(), n.id
    both = R.compute_numbers({"as_of": AS_OF}, domains=["rebuild", "costs"])
    first_costs = next(i for i, n in enumerate(both) if n.id.startswith("costs."))
    assert all(n.id.startswith("rebuild.") for n in both[:first_costs])  # in the order asked


def test_unknown_domain_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"unknown number domain 'cost'.*did you mean costs\?"):
        R.compute_numbers({}, domains=["cost"])
    assert R.domains_of(["costs.a", "shares.b", "costs.c"]) == ["costs", "shares"]
    assert R.domains_of(["nonsense"]) is None  # select() then reports the id against the full list


def test_a_domain_reads_only_its_own_tables(tmp_path):
    """The rebuild numbers need the commitments table (and the sources it cites), not prices or projects:
    computed from a data folder where the other tables are broken, they still come out."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    for name in ("prices.csv", "projects.csv", "usgs_country_supply.csv", "company_output.csv", "events.csv"):
        (data / name).write_text("not,a,table\n", encoding="utf-8")
    part = R.compute_numbers({"as_of": AS_OF}, data=data, domains=["rebuild"])
    assert {n.id for n in part} == {n.id for n in R.compute_numbers({"as_of": AS_OF}, domains=["rebuild"])}
    with pytest.raises(Exception):
        R.compute_numbers({"as_of": AS_OF}, data=data, domains=["costs"])  # costs reads prices
