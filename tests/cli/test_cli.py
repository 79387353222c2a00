"""The `rare-earths` console command, every subcommand but `run` (tests/test_run.py), through the
installed console script as a reader runs it: output, exit codes (0 ok, 1 invalid data, 2 bad
usage) and one-line errors, never a traceback. What the output says is tested where it is made
(data.checks, book.citation, numbers, figures); here, that the command prints exactly that."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest

from support import DATA, read_rows, run_cli, write_rows
from rare_earths.book.citation import cite
from rare_earths.data.load import data_checked_to, load_table
from rare_earths.data.schema import TABLES
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers
from rare_earths.params import chapter_parameters


def _one_line_error(result, code: int, command: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, result.stderr
    assert err.startswith(f"rare-earths {command}: error: "), err
    return err


def test_version_and_help():
    assert re.fullmatch(r"rare-earths \d+\.\d+\.\d+", run_cli("--version", check=True).stdout.strip())
    help_text = run_cli("--help", check=True).stdout
    for command in ("validate", "claims", "cite", "figure", "numbers", "params", "run"):
        assert command in help_text


# --- validate ------------------------------------------------------------------------------------


def test_validate_shipped_data():
    result = run_cli("validate", check=True)
    assert result.stdout.strip() == f"ok: {len(TABLES)} tables valid"
    result = run_cli("validate", "--json", "--data", str(DATA), check=True)
    assert json.loads(result.stdout) == {"valid": True, "problems": []}


def test_validate_broken_data_prints_one_line_per_problem_and_exits_1(data_copy):
    path = data_copy / "claims.csv"
    header, rows = read_rows(path)
    rows[0]["verdict"] = "probably"
    rows[1]["value"] = "twelve"
    write_rows(path, header, rows)
    result = run_cli("validate", "--data", str(data_copy))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(l.startswith("claims.csv:2: column 'verdict':") and "probably" in l for l in lines), lines
    assert any(l.startswith("claims.csv:3: column 'value': not a finite number: 'twelve'") for l in lines), lines
    assert result.stderr.strip() == f"{len(lines)} problem(s) found."
    report = json.loads(run_cli("validate", "--json", "--data", str(data_copy)).stdout)
    assert report["valid"] is False and len(report["problems"]) == len(lines)
    assert {"file": "claims.csv", "line": 3, "column": "value", "message": "not a finite number: 'twelve'"} \
        in report["problems"]


def test_validate_missing_folder_is_one_line_exit_2(tmp_path):
    """A folder that is not there is bad input (as for every other --data), not 19 missing tables."""
    result = run_cli("validate", "--data", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"rare-earths validate: error: --data {tmp_path / 'nowhere'}: no such folder"


# --- claims --------------------------------------------------------------------------------------

REQUIRED_CLAIM_FIELDS = {"id", "seed_file", "quote", "value", "low", "high", "unit", "verdict", "authority_source",
                         "authority_value"}


def test_claims_json_has_every_ledger_row_with_stable_fields_and_values():
    claims_json = json.loads(run_cli("claims", "--json", check=True).stdout)
    ledger = load_table("claims").set_index("claim_id")
    assert [c["id"] for c in claims_json] == list(ledger.index)
    for claim in claims_json:
        assert REQUIRED_CLAIM_FIELDS <= claim.keys()
        row = ledger.loc[claim["id"]]
        for key, col in (("value", "value"), ("low", "low"), ("high", "high"), ("authority_value", "authority_value")):
            expected = None if pd.isna(row[col]) else float(row[col])
            assert claim[key] == expected, (claim["id"], key)
        assert claim["quote"] == row["quote"]
        assert claim["authority_source"] == (None if pd.isna(row["authority_source_id"]) else row["authority_source_id"])
        assert claim["seed_published"] == f"{row['seed_published']:%Y-%m-%d}"  # dates as ISO text


def test_claims_table_lists_each_claim_once():
    result = run_cli("claims", check=True)
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert ids == list(load_table("claims")["claim_id"])
    assert result.stderr.strip() == f"{len(ids)} claim(s)"


def test_claims_filter_by_verdict():
    rows = json.loads(run_cli("claims", "--json", "--verdict", "conflicts", check=True).stdout)
    ledger = load_table("claims")
    assert len(rows) == int((ledger["verdict"] == "conflicts").sum()) > 0
    assert {r["verdict"] for r in rows} == {"conflicts"}
    assert "maybe" in _one_line_error(run_cli("claims", "--verdict", "maybe"), 2, "claims")


def test_claims_on_broken_data_exits_1_with_the_lines_validate_prints(data_copy):
    (data_copy / "claims.csv").write_text("claim_id\nC01\n", encoding="utf-8")
    result = run_cli("claims", "--data", str(data_copy))
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    *problems, last = result.stderr.strip().splitlines()
    assert "claims.csv:1: column 'quote': required column is missing from the header" in problems
    assert last.startswith("rare-earths claims: error: the data is invalid") and "rare-earths validate" in last


# --- cite ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs", [
    (["usgs_mcs_2026_ree"], {}),
    (["iea_gcmo_2025", "--style", "bibtex"], {"style": "bibtex"}),
    (["C40", "--style", "markdown"], {"style": "markdown"}),
    (["costs.us_extra_cost_usd_per_kg_high", "-p", "cost_gap_high=0.5"], {"overrides": {"cost_gap_high": 0.5}}),
    (["reserves-ranked"], {}),
])
def test_cite_prints_the_citation(args, kwargs):
    assert run_cli("cite", *args, check=True).stdout.strip() == cite(args[0], **kwargs)


@pytest.mark.parametrize("source_id", ["iea_gcmo_2024", "iea_gcmo_2025", "smm_2025_09_18", "usgs_mcs_2026_ree"])
def test_cite_source_bibtex_is_the_bibliography_entry(source_id):
    """The printed entry is the book's own references.bib entry, byte for byte: both carry the
    plain year (the letters of 2025a/2025b are drawn only in the book's labels)."""
    entry = run_cli("cite", source_id, "--style", "bibtex", check=True).stdout.strip()
    bibliography = (DATA.parent / "references.bib").read_text(encoding="utf-8")
    book_entry = re.search(r"^@\w+\{" + re.escape(source_id) + r",\n.*?^\}", bibliography, re.S | re.M).group(0)
    assert re.search(r"^  year = \{\d{4}\},$", book_entry, re.M)
    assert entry == book_entry


@pytest.mark.parametrize("args, message", [
    (["usgs_mcs_2026_re"], "did you mean 'usgs_mcs_2026_ree'"),
    (["C40", "--style", "apa"], "invalid choice: 'apa'"),
    (["costs.us_cost_usd_per_kg", "-p", "cost_gap_high=7"], "cost_gap_high=7: must be a fraction between 0 and 5"),
])
def test_cite_errors_are_one_line(args, message):
    result = run_cli("cite", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# --- numbers -------------------------------------------------------------------------------------


def _numbers_json(*args: str) -> dict:
    return {o["id"]: o for o in json.loads(run_cli("numbers", "--json", *args, check=True).stdout)}


def test_numbers_json_with_and_without_parameters():
    base = _numbers_json("-p", "as_of=2026-11-23")
    assert list(base) == [n.id for n in compute_numbers({})]  # every number, in the registry's order
    for o in base.values():
        assert {"id", "value", "unit", "label", "low", "high", "display", "sources", "tables", "parameters",
                "chapters", "formula", "status"} <= set(o)
    moved = _numbers_json("-p", "as_of=2026-11-23", "-p", "cost_gap_high=0.5")
    assert base["costs.us_extra_cost_usd_per_kg_high"]["value"] == pytest.approx(55 * 0.4)
    assert moved["costs.us_extra_cost_usd_per_kg_high"]["value"] == pytest.approx(55 * 0.5)
    assert moved["costs.us_extra_cost_usd_per_kg_high"]["display"] == "27.50"
    assert moved["costs.subsidy_usd_m_per_year"]["high"] == pytest.approx(55 * 0.5 * 1294 / 1000)
    assert moved["reserves.canada_reserves_t"] == base["reserves.canada_reserves_t"]
    assert base["dataset.sources"]["tables"] == ["sources"] and base["dataset.sources"]["sources"] == []


def test_numbers_by_id_in_the_order_asked():
    picked = _numbers_json("rebuild.coverage_pct", "reserves.canada_reserves_t")
    assert list(picked) == ["rebuild.coverage_pct", "reserves.canada_reserves_t"]
    assert picked["reserves.canada_reserves_t"]["value"] == 830_000


def test_numbers_table_is_aligned_with_one_line_per_number():
    lines = run_cli("numbers", check=True).stdout.splitlines()
    assert lines[0].split() == ["id", "value", "low–high", "unit", "label"]
    assert len(lines) == len(compute_numbers({})) + 1
    canada = next(line for line in lines if line.startswith("reserves.canada_reserves_t "))
    assert canada.split()[1] == "830,000"
    value_end = lines[0].index("value") + len("value")  # values are right-aligned under their header
    for line, n in zip(lines[1:], compute_numbers({})):
        assert line.startswith(n.id + " ") and line[:value_end].endswith(n.display()), line


@pytest.mark.parametrize("args, expected", [
    (["-p", "cost_gap_high=7"], "rare-earths numbers: error: cost_gap_high=7: must be a fraction between 0 and 5"),
    (["-p", "cost_gap_hihg=0.5"], "did you mean cost_gap_high?"),
    (["-p", "as_of=2026-02-30"], "as_of=2026-02-30: not a valid date"),
    (["costs.nope"], "unknown number id 'costs.nope'"),
    (["cost-gap-range", "costs.us_cost_usd_per_kg"], "give either key-number ids or figure ids, not both"),
])
def test_numbers_errors_are_one_line_and_print_nothing(args, expected):
    result = run_cli("numbers", *args)
    assert result.stdout == ""
    assert expected in _one_line_error(result, 2, "numbers")


def test_numbers_on_broken_data_exits_1_with_the_lines_validate_prints(data_copy):
    (data_copy / "prices.csv").write_text("not,a,table\n", encoding="utf-8")
    env = {"RARE_EARTHS_DATA": str(data_copy)}
    result = run_cli("numbers", "costs.floor_multiple_of_2024_price", env=env)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    *problems, last = result.stderr.strip().splitlines()
    assert problems == run_cli("validate", "--data", str(data_copy), env=env).stdout.splitlines()
    assert any(p.startswith("prices.csv:1: column 'price_id': required column is missing") for p in problems)
    assert last.startswith("rare-earths numbers: error: the data is invalid")


def test_numbers_of_a_figure_are_its_data_and_citation():
    (rec,) = json.loads(run_cli("numbers", "cost-gap-range", "--json", "-p", "cost_gap_high=0.5", check=True).stdout)
    fig = build_figure("cost-gap-range", {"cost_gap_high": 0.5})
    assert rec["id"] == "cost-gap-range" and rec["kind"] == "figure"
    assert rec["parameters"] == {"cost_gap_high": 0.5} and rec["citation"] == fig.citation()
    assert max(r["high_usd_per_kg"] for r in rec["data"]) == pytest.approx(55 * (1 + 0.5))


# --- params --------------------------------------------------------------------------------------


def test_params_prints_each_parameter_with_its_resolved_default():
    text = run_cli("params", "cost-gap", check=True).stdout
    names = [line.split(" = ")[0] for line in text.splitlines() if not line.startswith(" ")]
    assert names == [p.name for p in chapter_parameters("cost-gap")]
    assert "china_cost_usd_per_kg = 55.0  [USD/kg NdPr oxide]" in text  # read from the data
    listed = {p["name"]: p for p in json.loads(run_cli("params", "rebuild", "--json", check=True).stdout)}
    assert listed["as_of"]["default"] == f"{data_checked_to():%Y-%m-%d}"  # the date the data is checked to, as text
    assert listed["rebuild_years"]["default"] == 15 and listed["rebuild_years"]["default_from_data"] is False
    assert run_cli("params", "shares", check=True).stdout.strip() == "chapter 'shares' takes no parameters"


def test_params_unknown_chapter_is_one_line():
    assert "chapter=nope: must be one of intro" in _one_line_error(run_cli("params", "nope"), 2, "params")


# --- figure --------------------------------------------------------------------------------------


def test_figure_list_names_every_registered_figure_with_chapter_and_caption():
    listed = json.loads(run_cli("figure", "--list", "--json", check=True).stdout)
    assert [f["id"] for f in listed] == [f.id for f in list_figures()]
    for rec in listed:
        fig = build_figure(rec["id"])
        assert (rec["chapter"], rec["caption"], rec["sources"]) == (fig.chapter, fig.caption, fig.sources)
        assert rec["label"] == f"fig-{rec['id']}"


@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_figure_export_writes_image_csv_and_citation(tmp_path, fmt, magic):
    out = tmp_path / f"gap.{fmt}"
    result = run_cli("figure", "cost-gap-range", "--format", fmt, "-p", "cost_gap_high=0.5", "--out", str(out), check=True)
    assert result.stdout.split() == [str(out), str(out.with_suffix(".csv")), str(out.with_suffix(".citation.txt"))]
    assert magic in out.read_bytes()[:200]
    fig = build_figure("cost-gap-range", {"cost_gap_high": 0.5})
    exported = out.with_suffix(".csv").read_text()
    assert exported == fig.csv_export_text()
    rows = list(csv.DictReader(io.StringIO("".join(l for l in exported.splitlines(True) if not l.startswith("#")))))
    us = next(r for r in rows if r["producer"].startswith("United States"))
    assert float(us["high_usd_per_kg"]) == pytest.approx(55 * 1.5)  # China's 55 USD/kg plus a 50 % gap
    assert out.with_suffix(".citation.txt").read_text() == fig.citation() + "\n"
    assert "Parameters (non-default): cost_gap_high=0.5" in fig.citation()


def test_figure_replaces_only_its_own_outputs_and_only_when_forced(tmp_path):
    out = tmp_path / "f.svg"
    run_cli("figure", "cost-gap-range", "--out", str(out), check=True)
    run_cli("figure", "cost-gap-range", "--out", str(out), check=True)  # the same bytes: left alone, no --force
    changed = ("figure", "cost-gap-range", "-p", "cost_gap_high=0.5", "--out", str(out))
    assert "already exist" in _one_line_error(run_cli(*changed), 2, "figure")
    run_cli(*changed, "--force", check=True)
    url = build_figure("cost-gap-range").url()
    assert out.with_suffix(".citation.txt").read_text().rstrip().endswith(f"cost_gap_high=0.5. {url}")
    mine = tmp_path / "mine.svg"
    mine.write_text("mine")
    err = _one_line_error(run_cli("figure", "cost-gap-range", "--out", str(mine), "--force"), 2, "figure")
    assert "not written by `rare-earths figure`" in err and mine.read_text() == "mine"


@pytest.mark.parametrize("args, message", [
    (["cost-gap-rang"], "did you mean cost-gap-range?"),
    (["cost-gap-range", "--out", "x.png"], "does not end in .svg (use --format to choose svg or png)"),
    ([], "give a figure id (see `rare-earths figure --list`)"),
    (["cost-gap-range", "--out", str(DATA / "x.svg")], "holds the book's sources; outputs never go there"),
])
def test_figure_errors_are_one_line(args, message):
    assert message in _one_line_error(run_cli("figure", *args), 2, "figure")
    assert not (DATA / "x.svg").exists()
