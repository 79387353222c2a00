"""The evidence tables (producer_costs, plant_capex, demand, conversion_factors, project_history,
published_estimates): shipped data, provenance, and the cross-table rules of
:mod:`rare_earths.data.evidence_checks`, each broken in a scratch copy.

Every mutation expects a line naming the file, the CSV line and the column among the lines
``rare-earths validate`` prints (``str`` of each problem :func:`validate_dataset` returns; the command
itself, its exit code and its printing, is tested in tests/cli and tests/data/test_checks.py). The
checks run in this process: a console run per mutation cost three seconds of start-up each.
"""

from __future__ import annotations

import re

import pytest

from support import DATA, read_rows, run_cli, validation_lines, write_rows
from rare_earths.data.evidence import EVIDENCE_TABLES
from rare_earths.data.load import load_table
from rare_earths.data.schema import TABLES

NAMES = [t.name for t in EVIDENCE_TABLES]


_validate = validation_lines


def _assert_named(lines, file, column, line=None, text=None):
    pattern = re.escape(file) + (rf":{line}:" if line else r"(:\d+)?:") + rf" column '{re.escape(column)}':"
    hits = [x for x in lines if re.match(pattern, x) and (text is None or text in x)]
    assert hits, f"no line names {file} / {column} / {text!r} in:\n" + "\n".join(lines)


def _edit(folder, table, change):
    """Apply ``change(rows)`` (returns the index it changed) to a table of the copy; the CSV line of that row."""
    path = folder / f"{table}.csv"
    header, rows = read_rows(path)
    i = change(rows)
    write_rows(path, header, rows)
    return i + 2


def _change(folder, table, where: dict, **values) -> int:
    """Set ``values`` on the first row matching ``where`` (the first row if empty); returns its CSV line."""
    return _edit(folder, table, lambda rows: _update(rows, _first(rows, **where) if where else 0, values))


def _update(rows, i, values) -> int:
    rows[i].update(values)
    return i


def _first(rows, **where):
    for i, r in enumerate(rows):
        if all((r[k] == v) if not callable(v) else v(r[k]) for k, v in where.items()):
            return i
    raise AssertionError(f"no row with {where}")


# ---------------------------------------------------------------------------------------------- shipped data


def test_evidence_tables_are_registered_and_valid():
    assert set(NAMES) <= set(TABLES)
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_every_row_carries_its_provenance(name):
    frame = load_table(name)
    assert len(frame) > 0
    cols = ("capacity_source_id", "capacity_source_text") if name == "plant_capex" else ("source_id", "source_text")
    for col in cols:
        assert frame[col].notna().all(), (name, col)
    evidence = "capacity_evidence" if name == "plant_capex" else "evidence"
    assert set(frame[evidence]) <= {"primary", "secondary"}


def test_plant_capex_rows_with_capex_carry_the_capex_quote():
    capex = load_table("plant_capex")
    with_capex = capex[capex["capex_low_m"].notna()]
    assert with_capex[["source_id", "locator", "source_text", "evidence"]].notna().all().all()


def test_dropped_facts_are_not_tabulated():
    """verified.md drops these: none may appear as a value in the evidence tables."""
    costs = load_table("producer_costs")
    assert 26205 not in set(costs["value_low"])  # China Northern's Q4 2025 concentrate price, not re-verified
    history = load_table("project_history")
    assert 741 not in set(history["value"])  # LAMP's Dec-2013 quarter, not re-verified
    assert not ((history["project_id"] == "serra_verde") & (history["value"] == 6500)).any()  # 6,500 t by 2027
    estimates = load_table("published_estimates")
    assert "15-30%" not in " ".join(estimates["source_text"])  # ctol.digital's unsourced 15-30 %


def test_no_usd_per_tonne_or_usd_per_kg_typed_in_capex_and_costs():
    """Per-tonne intensities and converted costs are computed by the package, never stored."""
    for name in ("plant_capex", "producer_costs"):
        cols = TABLES[name].column_names
        assert not [c for c in cols if "per_t" in c or "usd_per_kg" in c or c.startswith("capex_usd")], name


def test_new_sources_merged_once():
    sources = load_table("sources")
    assert sources["source_id"].is_unique
    for sid in ("mp_2024_results", "mp_2025_08_osc_loan", "mp_2025_11_06_q3_results", "osc_vulcan_2025_11_03",
                "ramaco_brook_mine", "smm_2025_09_18", "smm_2025_12_29", "usgs_mcs_2025_ree", "gao_10_617r",
                "fed_g5a_2024_02_01", "reuters_2023_07_06_goldman"):
        assert sid in set(sources["source_id"]), sid


def test_fx_recorded_for_every_converted_money_row():
    """A non-USD amount either carries its exchange rate or is reported as not convertible (LAMP's 2011 AUD)."""
    capex = load_table("plant_capex")
    money = capex[capex["capex_low_m"].notna() & (capex["capex_currency"] != "USD")]
    without = money[money["fx_rate"].isna()]
    assert list(without["capex_id"]) == ["lynas_lamp_phase1_2011"]


# ---------------------------------------------------------------------------------------------- mutations


def test_low_above_high_in_producer_costs(data_copy):
    line = _change(data_copy, "producer_costs", dict(input_role="", bound="~"), value_low="999")
    _assert_named(_validate(data_copy), "producer_costs.csv", "value_high", line=line, text="greater than")


def test_exact_value_needs_its_high_end(data_copy):
    line = _change(data_copy, "producer_costs", dict(bound="="), value_high="")
    _assert_named(_validate(data_copy), "producer_costs.csv", "value_high", line=line, text="needs value_high")


def test_exchange_rate_is_all_or_none(data_copy):
    line = _change(data_copy, "producer_costs", dict(currency="AUD"), fx_basis="")
    _assert_named(_validate(data_copy), "producer_costs.csv", "fx_basis", line=line, text="exchange rate needs all")


def test_no_exchange_rate_on_usd(data_copy):
    line = _change(data_copy, "plant_capex", dict(capex_currency="USD"), fx_rate="1.1", fx_convention="usd_per_unit", fx_basis="annual_average", fx_year="2023",
                       fx_source_id="fed_g5a_2024_02_01")
    _assert_named(_validate(data_copy), "plant_capex.csv", "fx_rate", line=line, text="capex_currency is USD")


def test_broken_fx_source(data_copy):
    line = _change(data_copy, "plant_capex", dict(fx_source_id="fed_g5a_2024_02_01"), fx_source_id="fed_g5a_2099")
    _assert_named(_validate(data_copy), "plant_capex.csv", "fx_source_id", line=line, text="not a source_id")


def test_capex_needs_its_quote(data_copy):
    line = _change(data_copy, "plant_capex", dict(capex_currency="USD"), source_text="")
    _assert_named(_validate(data_copy), "plant_capex.csv", "source_text", line=line, text="needs its source text")


def test_capacity_only_has_no_capex(data_copy):
    line = _change(data_copy, "plant_capex", dict(status="estimate_at_decision"), status="capacity_only")
    _assert_named(_validate(data_copy), "plant_capex.csv", "status", line=line, text="capacity_only")


def test_capacity_included_below_capacity(data_copy):
    line = _change(data_copy, "plant_capex", dict(capex_id="mp_10x_2026"), capacity_included="10000")
    _assert_named(_validate(data_copy), "plant_capex.csv", "capacity_included", line=line, text="must be below")


def test_broken_book_project(data_copy):
    line = _change(data_copy, "plant_capex", dict(book_project_id="vulcan_elements_magnets"), book_project_id="no_such")
    _assert_named(_validate(data_copy), "plant_capex.csv", "book_project_id", line=line, text="not a project_id")


def test_unknown_evidence_kind(data_copy):
    line = _change(data_copy, "demand", {}, evidence="tertiary")
    _assert_named(_validate(data_copy), "demand.csv", "evidence", line=line, text="tertiary")


def test_unknown_demand_definition(data_copy):
    line = _change(data_copy, "demand", {}, definition="guessed")
    _assert_named(_validate(data_copy), "demand.csv", "definition", line=line, text="guessed")


def test_delay_pair_must_exist(data_copy):
    line = _change(data_copy, "project_history", dict(delay_pair=lambda v: v != ""), delay_pair="no_such_event")
    _assert_named(_validate(data_copy), "project_history.csv", "delay_pair", line=line, text="not an event_id")


def test_delay_pair_must_be_an_announced_start_of_the_project(data_copy):
    line = _change(data_copy, "project_history", dict(event_id="lynas_lamp__actual_start__first_feed_to_kiln"), delay_pair="lynas_lamp__nameplate__phase_1")
    _assert_named(_validate(data_copy), "project_history.csv", "delay_pair", line=line, text="must be an announced_start")


def test_start_needs_its_window(data_copy):
    line = _change(data_copy, "project_history", dict(measure="actual_start"), date_low="")
    _assert_named(_validate(data_copy), "project_history.csv", "date_low", line=line, text="needs date_low")


def test_window_low_not_after_high(data_copy):
    line = _change(data_copy, "project_history", dict(measure="announced_start"), date_low="2099-01-01")
    _assert_named(_validate(data_copy), "project_history.csv", "date_high", line=line, text="greater than")


def test_impossible_date_in_project_history(data_copy):
    line = _change(data_copy, "project_history", dict(measure="actual_start"), date_high="2025-02-30")
    _assert_named(_validate(data_copy), "project_history.csv", "date_high", line=line, text="not a valid date")


def test_statement_not_after_its_source(data_copy):
    line = _change(data_copy, "project_history", dict(source_id="molycorp_10q_2011_06"), date_of_statement="2030-01-01")
    _assert_named(_validate(data_copy), "project_history.csv", "date_of_statement", line=line, text="is after")


def test_status_row_needs_its_status(data_copy):
    line = _change(data_copy, "project_history", dict(measure="status"), project_status="")
    _assert_named(_validate(data_copy), "project_history.csv", "project_status", line=line)


def test_capex_row_needs_currency(data_copy):
    line = _change(data_copy, "project_history", dict(measure="capex_final"), currency="")
    _assert_named(_validate(data_copy), "project_history.csv", "currency", line=line, text="needs its currency")


def test_one_outlook_nameplate_per_project(data_copy):
    def change(rows):
        i = _first(rows, event_id="molycorp_phoenix__nameplate__phase_1")
        rows[i].update(project_id="mp_stage2", outlook="true")
        return i

    line = _edit(data_copy, "project_history", change)
    lines = _validate(data_copy)
    assert any(x.startswith("project_history.csv:") and "column 'outlook':" in x and "outlook nameplates" in x
               for x in lines), "\n".join(lines)
    assert line > 1


def test_broken_factor_reference(data_copy):
    line = _change(data_copy, "project_history", dict(factor_id="mountain_pass_ndpr_share_treo"), factor_id="no_such_factor")
    _assert_named(_validate(data_copy), "project_history.csv", "factor_id", line=line, text="not a factor_id")


def test_cost_needs_its_bound(data_copy):
    line = _change(data_copy, "published_estimates", dict(estimate_id="goldman_2023_replicate_china"), cost_bound="")
    _assert_named(_validate(data_copy), "published_estimates.csv", "cost_bound", line=line, text="need a bound")


def test_corroborating_sources_must_exist(data_copy):
    line = _change(data_copy, "published_estimates", dict(estimate_id="gao_2010_rebuild_time"), corroborating_source_ids="gao_10_617r;no_such_source")
    _assert_named(_validate(data_copy), "published_estimates.csv", "corroborating_source_ids", line=line,
                  text="'no_such_source'")


def test_validate_never_writes_evidence_tables(data_copy):
    _change(data_copy, "producer_costs", {}, value_low="abc")
    before = {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}
    _validate(data_copy)
    assert before == {p.name: p.read_bytes() for p in data_copy.iterdir() if p.is_file()}


def test_shipped_data_folder_untouched():
    assert (DATA / "producer_costs.csv").is_file()


def test_duplicated_source_is_reported_not_a_crash(data_copy):
    path = data_copy / "sources.csv"
    header, rows = read_rows(path)
    rows.append(dict(rows[0]))
    write_rows(path, header, rows)
    result = run_cli("validate", "--data", str(data_copy))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert any("duplicate primary key" in x for x in result.stdout.splitlines())


def test_cross_table_rules_survive_any_missing_cell():
    """Whatever single cell of an evidence table is empty, the rules report or ignore it; they never crash."""
    import pandas as pd

    from rare_earths.data.evidence_checks import check_evidence_tables

    frames = {name: load_table(name) for name in NAMES + ["sources"]}
    for name in NAMES:
        for column in TABLES[name].column_names:
            broken = dict(frames)
            frame = frames[name].copy()
            frame.loc[frame.index[0], column] = pd.NA if frame[column].dtype != "datetime64[ns]" else pd.NaT
            broken[name] = frame
            check_evidence_tables(broken)
        broken = dict(frames)
        broken[name] = pd.concat([frames[name], frames[name].iloc[[0]]], ignore_index=True)  # a duplicated key
        check_evidence_tables(broken)
