"""The key-number registry (rare_earths.numbers.registry): assembling the domains, selecting by
id, loud failures. The numbers' values are tested by domain in the test_<domain>.py files beside
this one; the `rare-earths numbers` command in tests/cli/test_cli.py."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from support import read_rows, write_rows
from rare_earths import CHAPTERS
from rare_earths.data.load import DataError, load_table
from rare_earths.data.schema import TABLES
from rare_earths.numbers import registry as R
from rare_earths.params import PARAMETERS

AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in R.compute_numbers({"as_of": AS_OF})}


def test_every_domain_registers_numbers_under_its_own_prefixes(numbers):
    assert set(R.PREFIXES) == set(R.DOMAINS)
    for domain in R.DOMAINS:
        ids = [n.id for n in R.compute_numbers({"as_of": AS_OF}, domains=[domain])]
        assert ids, f"{domain} registers no number"
        for id_ in ids:
            assert id_.startswith(R.PREFIXES[domain]), f"{id_} of {domain} does not start with {R.PREFIXES[domain]}"
            assert R.domain_of(id_) == domain, f"domain_of({id_!r}) is {R.domain_of(id_)!r}, not {domain!r}"
    assert set(numbers) == {i for d in R.DOMAINS for i in (n.id for n in R.compute_numbers({"as_of": AS_OF}, domains=[d]))}


def test_every_number_is_well_formed(numbers):
    sources = set(load_table("sources")["source_id"])
    claims = set(load_table("claims")["claim_id"])
    for n in numbers.values():
        assert set(n.sources) <= sources, (n.id, set(n.sources) - sources)
        assert set(n.tables) <= set(TABLES), (n.id, set(n.tables) - set(TABLES))
        assert set(n.parameters) <= set(PARAMETERS), n.id
        assert set(n.claims) <= claims, n.id
        assert n.chapters and set(n.chapters) <= set(CHAPTERS), n.id  # every number is printed somewhere
        assert n.unit and n.label and n.formula, n.id
        if n.value is None:  # undefined: the status says why (never a silent NaN)
            assert n.status != "ok" and n.display() == "n/a", n.id
            continue
        assert math.isfinite(n.value), n.id  # no NaN at the book's defaults
        assert n.low <= n.value <= n.high, n.id
        d = n.as_dict()
        assert {"id", "value", "unit", "label", "sources", "tables", "display"} <= set(d)
        json.dumps(d)


def test_domains_compute_the_same_numbers_as_the_whole_registry(numbers):
    for domain in R.DOMAINS:
        for n in R.compute_numbers({"as_of": AS_OF}, domains=[domain]):
            assert n.as_dict() == numbers[n.id].as_dict(), n.id
    both = R.compute_numbers({"as_of": AS_OF}, domains=["rebuild", "costs"])
    first_costs = next(i for i, n in enumerate(both) if n.id.startswith("costs."))
    assert all(n.id.startswith("rebuild.") for n in both[:first_costs])  # in the order asked


def test_overrides_move_exactly_the_declared_dependents():
    base = {n.id: n for n in R.compute_numbers({"as_of": AS_OF})}
    changes = {
        "cost_gap_low": 0.2, "cost_gap_high": 0.5, "china_cost_usd_per_kg": 40.0, "floor_price_usd_per_kg": 120.0,
        "market_price_usd_per_kg": 69.0, "volume_t": 5000.0, "dod_upside_share": 0.5, "rebuild_total_usd_bn": 300.0,
        "rebuild_years": 20, "committed_scope": "firm", "as_of": dt.date(2026, 3, 1), "due_window_days": 500,
        # the outlook and the bottom-up rebuild (issue 10)
        "demand_definition": "embedded", "embedded_multiplier": 3.0, "demand_growth_rate": 0.12,
        "supply_scope": "united_states", "magnet_plants_make_metal": "yes", "horizon": 2032, "delay_scale": 2.0,
        "cancellation_rate": 0.4, "ramp_up_years": 6.0, "draws": 5000, "seed": 7,
    }
    # a parameter that only acts under another's setting is moved under that setting
    conditions = {"embedded_multiplier": {"demand_definition": "embedded"}}
    assert set(changes) == set(PARAMETERS)
    for name, value in changes.items():
        setting = {"as_of": AS_OF, **conditions.get(name, {})}
        before = base if name not in conditions else {n.id: n for n in R.compute_numbers(setting)}
        after = {n.id: n for n in R.compute_numbers({**setting, name: value})}
        # a number whose id names the parameter (a horizon year) is new, not moved; it must declare it
        moved = {i for i, n in after.items() if i not in before
                 or (n.value, n.low, n.high) != (before[i].value, before[i].low, before[i].high)}
        undeclared = {i for i in moved if name not in after[i].parameters}
        assert not undeclared, f"{name} moves {undeclared} without their declaring it"
        assert moved, f"changing {name} moves no number"


def test_unknown_domain_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match=r"unknown number domain 'cost'.*did you mean costs\?"):
        R.compute_numbers({}, domains=["cost"])
    assert R.domains_of(["costs.a", "shares.b", "costs.c"]) == ["costs", "shares"]
    assert R.domains_of(["nonsense"]) is None  # select() then reports the id against the full list
    assert R.domain_of("nonsense") is None


def test_select_keeps_the_order_asked_and_names_an_unknown_id(numbers):
    listed = list(numbers.values())
    picked = R.select(listed, ["rebuild.coverage_pct", "costs.floor_multiple_of_2024_price"])
    assert [n.id for n in picked] == ["rebuild.coverage_pct", "costs.floor_multiple_of_2024_price"]
    assert R.select(listed, None) == listed
    with pytest.raises(R.UnknownNumberError, match="did you mean reserves.canada_reserves_t"):
        R.select(listed, ["reserves.canada_reserve_t"])


def test_get_number_computes_one_domain():
    assert R.get_number("reserves.canada_reserves_t").value == 830_000
    assert R.get_number("costs.us_extra_cost_usd_per_kg_high", {"cost_gap_high": 0.5}).value == pytest.approx(55 * 0.5)
    with pytest.raises(R.UnknownNumberError, match="did you mean reserves.canada_reserves_t"):
        R.get_number("reserves.canada_reserve_t")


def test_a_domain_reads_only_its_own_tables(data_copy):
    """The rebuild numbers need the commitments table (and the sources it cites), not prices or projects:
    computed from a data folder where the other tables are broken, they still come out."""
    for name in ("prices.csv", "projects.csv", "usgs_country_supply.csv", "company_output.csv", "events.csv"):
        (data_copy / name).write_text("not,a,table\n", encoding="utf-8")
    part = R.compute_numbers({"as_of": AS_OF}, data=data_copy, domains=["rebuild"])
    assert {n.id for n in part} == {n.id for n in R.compute_numbers({"as_of": AS_OF}, domains=["rebuild"])}
    with pytest.raises(DataError, match="prices.csv"):
        R.compute_numbers({"as_of": AS_OF}, data=data_copy, domains=["costs"])  # costs reads prices


@pytest.mark.parametrize("table, key, value, domain", [
    ("events", "event_id", "mofcom_2025_11_07_suspension", "pipeline"),
    ("projects", "project_id", "evac_sumter_magnets", "pipeline"),
    ("revisions", "revision_id", "mcs2026_v10_v13_world_reserves", "reserves"),
])
def test_a_missing_row_the_registry_relies_on_fails_loudly(data_copy, table, key, value, domain):
    """Deleting a row a number is built from raises DataError naming the table and the row, never a
    silently missing number."""
    path = data_copy / f"{table}.csv"
    header, rows = read_rows(path)
    kept = [r for r in rows if r[key] != value]
    assert len(kept) == len(rows) - 1
    write_rows(path, header, kept)
    with pytest.raises(DataError) as err:
        R.compute_numbers({"as_of": AS_OF}, data=data_copy, domains=[domain])
    assert f"{table}.csv" in str(err.value) and value in str(err.value)


def test_a_store_reuses_a_domain_only_under_the_values_of_the_parameters_it_read():
    """With a store, a domain's numbers are kept with the parameters its builder read: shares (tables
    only) is built once and reused under any parameters; costs reads the cost gap, so another gap
    builds it again (an override always moves what it should) and the first gap again finds it."""
    from rare_earths.numbers import compute_numbers
    from rare_earths.numbers.model import Store

    store = Store()
    first = compute_numbers({}, domains=["shares", "costs"], store=store)
    second = compute_numbers({"cost_gap_high": 0.5}, domains=["shares", "costs"], store=store)
    kept = {key[1]: entries for key, entries in store.derived.items() if key[0] == "registry.domain"}
    assert [reads for reads, _ in kept["shares"]] == [()]
    assert len(kept["costs"]) == 2 and all(dict(reads).get("cost_gap_high") in (0.4, 0.5) for reads, _ in kept["costs"])
    shares_first = [n for n in first if n.id.startswith("shares.")]
    assert [n for n in second if n.id.startswith("shares.")] == shares_first
    assert all(a is b for a, b in zip(shares_first, [n for n in second if n.id.startswith("shares.")]))
    assert compute_numbers({"cost_gap_high": 0.5}, domains=["costs"]) == [n for n in second if n.id.startswith("costs.")]
    assert [n for n in first if n.id.startswith("costs.")] != [n for n in second if n.id.startswith("costs.")]
    again = compute_numbers({"cost_gap_high": 0.4}, domains=["costs"], store=store)  # the default, given
    assert all(a is b for a, b in zip(again, [n for n in first if n.id.startswith("costs.")]))
    assert len(kept["costs"]) == 2
