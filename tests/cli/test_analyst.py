"""The analyst's commands through the console script (issue 13): scenario files (``--scenario``,
``scenarios``), their own data (``--data`` overlays, ``template``), ``compare`` (text, JSON, page)
and run pages that say what they are. One chapter run (cost-gap, the cheapest that takes the gap),
the rest without notebooks. Expected values are derived from the inputs the test writes or from
other commands' output, never typed."""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from support import DATA, ROOT, run_cli
from rare_earths.data.schema import TABLES
from rare_earths.figures import build_figure
from rare_earths.numbers import compute_numbers
from rare_earths.params import PARAMETERS

SCENARIOS = ROOT / "scenarios"

#: The analyst's own benchmark price and the source it comes from (an overlay of two tables).
OWN_SOURCE = {"source_id": "my_desk", "producer": "My Research Desk", "producer_short": "My desk",
              "title": "NdPr oxide price check", "date_published": "2026-06-01", "date_precision": "day",
              "kind": "industry_analysis", "citation": "My Research Desk, 2026, NdPr oxide price check.",
              "bibtex_type": "misc"}
OWN_PRICE = {"price_id": "my_ndpr_2026_06", "source_id": "my_desk", "commodity": "NdPr oxide", "kind": "benchmark",
             "year": "2026", "date": "2026-06-01", "estimated": "false", "price_low_usd_per_kg": "80",
             "price_high_usd_per_kg": "80", "bound": "=", "locator": "desk note p. 1",
             "source_text": "NdPr oxide 80 USD/kg on 2026-06-01"}


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _overlay(folder: Path, price: dict | None = None, source: dict | None = OWN_SOURCE) -> Path:
    folder.mkdir()
    _write(folder / "prices.csv", [price or OWN_PRICE])
    if source:
        _write(folder / "sources.csv", [source])
    return folder


def _error(result, command: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, result.stderr
    assert err.startswith(f"rare-earths {command}: error: "), err
    return err


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """cost-gap run under the evidence's central case, -p on top, on an overlay of the analyst's own price."""
    base = tmp_path_factory.mktemp("analyst")
    overlay = _overlay(base / "mydata")
    out = base / "run"
    result = run_cli("run", "cost-gap", "--scenario", "evidence-central", "-p", "cost_gap_high=0.5",
                     "--data", str(overlay), "--out", str(out), "--quiet", check=True)
    assert Path(result.stdout.strip()) == out
    return out, overlay


# --- scenarios -----------------------------------------------------------------------------------


def test_help_lists_the_new_commands():
    help_text = run_cli("--help", check=True).stdout
    assert all(command in help_text for command in ("scenarios", "compare", "template"))
    run_help = run_cli("run", "--help", check=True).stdout
    assert "--scenario" in run_help and "--data" in run_help


def test_scenarios_lists_every_shipped_file_with_its_description():
    listed = json.loads(run_cli("scenarios", "--json", check=True).stdout)
    files = sorted(SCENARIOS.glob("*.toml"))
    assert [s["name"] for s in listed] == [tomllib.loads(p.read_text())["name"] for p in files]
    assert {"articles", "evidence-central", "fast-buildout", "slow-buildout"} <= {s["name"] for s in listed}
    for s, path in zip(listed, files):
        assert s["description"] and s["shipped"] and s["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert set(s["parameters"]) == set(tomllib.loads(path.read_text())["parameters"]) == set(s["basis"])


def test_numbers_under_a_scenario_with_p_on_top():
    # The articles' gap is claim C24's low/high (percent); -p overrides the scenario's low end.
    claim = next(r for r in csv.DictReader((DATA / "claims.csv").open(encoding="utf-8")) if r["claim_id"] == "C24")
    got = json.loads(run_cli("numbers", "costs.cost_gap_low_pct", "costs.cost_gap_high_pct", "--json",
                             "--scenario", "articles", "-p", "cost_gap_low=0.1", check=True).stdout)
    assert [n["value"] for n in got] == pytest.approx([10.0, float(claim["high"])])


def test_bad_scenario_is_one_line_naming_file_and_line(tmp_path):
    # Every kind of bad scenario is tested in tests/params/test_scenario.py; here, what the command prints.
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\ndescription = "d"\n\n[parameters]\ncost_gap_hgh = 0.5\n')
    err = _error(run_cli("figure", "cost-gap-range", "--scenario", str(path), "--out", str(tmp_path / "f.svg")), "figure")
    assert f"{path}:5: unknown parameter 'cost_gap_hgh' (did you mean cost_gap_high?)" in err, err
    assert not (tmp_path / "f.svg").exists()


def test_scenario_without_the_chapters_parameters_is_refused(tmp_path):
    out = tmp_path / "never"
    err = _error(run_cli("run", "cost-gap", "--scenario", "fast-buildout", "--out", str(out)), "run")
    assert "fast-buildout.toml" in err and "sets no parameter of chapter 'cost-gap'" in err
    assert not out.exists()
    err = _error(run_cli("cite", "costs.cost_gap_low_pct", "--scenario", "fast-bildout"), "cite")
    assert "did you mean fast-buildout?" in err


# --- their own data ------------------------------------------------------------------------------


def test_template_prints_header_required_columns_and_a_valid_example():
    info = json.loads(run_cli("template", "prices", "--json", check=True).stdout)
    table = TABLES["prices"]
    assert info["header"] == table.column_names and info["primary_key"] == list(table.primary_key)
    assert info["required"] == [f.name for f in table.fields if f.required or f.name in table.primary_key]
    with (DATA / "prices.csv").open(encoding="utf-8") as fh:
        assert info["example"] == next(csv.DictReader(fh))
    assert "unknown table" in _error(run_cli("template", "price"), "template")


def test_bad_overlay_is_one_line_naming_file_line_and_column(tmp_path):
    # Every kind of bad overlay is tested in tests/data/test_overlay.py; here, what the command prints.
    overlay = _overlay(tmp_path / "mine", {**OWN_PRICE, "source_id": "nobody"})
    err = _error(run_cli("numbers", "costs.floor_multiple_of_2024_price", "--data", str(overlay)), "numbers")
    assert f"{overlay / 'prices.csv'}:2: column 'source_id': 'nobody' is not a source_id in sources.csv" in err, err


def test_validate_checks_an_overlay_in_its_own_files(tmp_path):
    good = _overlay(tmp_path / "good")
    result = run_cli("validate", "--data", str(good), check=True)
    assert result.stdout.strip() == (f"ok: overlay {good} (prices, sources) valid, merged over the shipped data: "
                                     f"{len(TABLES)} tables valid")
    report = json.loads(run_cli("validate", "--data", str(good), "--json", check=True).stdout)
    assert report == {"valid": True, "problems": [], "overlay": str(good), "overlay_tables": ["prices", "sources"]}
    # On its own, every problem of every table, each in the overlay's own file and line:
    bad = _overlay(tmp_path / "bad", {**OWN_PRICE, "year": "20x6"})
    _write(bad / "sources.csv", [{**OWN_SOURCE, "date_published": "2026-13-01"}])
    result = run_cli("validate", "--data", str(bad))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(bad / "prices.csv"), str(bad / "sources.csv")], lines
    assert lines[0].startswith(f"{bad / 'prices.csv'}:2: column 'year':") and "20x6" in lines[0]
    assert result.stderr.strip() == f"{len(lines)} problem(s) found."
    # Merged: a source that is nowhere, named in the overlay's file (what `numbers --data` refuses too).
    orphan = _overlay(tmp_path / "orphan", {**OWN_PRICE, "source_id": "nobody"})
    result = run_cli("validate", "--data", str(orphan), "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["problems"]
    assert {"file": str(orphan / "prices.csv"), "line": 2, "column": "source_id",
            "message": "'nobody' is not a source_id in sources.csv"} in problems, problems
    assert sorted(p.name for p in orphan.iterdir()) == ["prices.csv", "sources.csv"]  # only read


def test_overlay_file_that_is_no_table_and_run_writes_nothing(tmp_path):
    overlay = tmp_path / "mine"
    overlay.mkdir()
    _write(overlay / "price.csv", [OWN_PRICE])
    err = _error(run_cli("run", "cost-gap", "--data", str(overlay), "--out", str(tmp_path / "never")), "run")
    assert "price.csv: not a table of the dataset (did you mean prices.csv?)" in err
    assert not (tmp_path / "never").exists()


def test_overlay_rows_are_merged_and_labelled_by_their_own_source(tmp_path):
    overlay = _overlay(tmp_path / "mine")
    fig = json.loads(run_cli("numbers", "floor-vs-prices", "--json", "--data", str(overlay), check=True).stdout)[0]
    own = [row for row in fig["data"] if row["source_id"] == OWN_PRICE["source_id"]]
    assert [row["price_usd_per_kg"] for row in own] == [float(OWN_PRICE["price_low_usd_per_kg"])]
    assert own[0]["kind"] == f"dated benchmark ({OWN_SOURCE['producer_short']})"
    assert OWN_SOURCE["title"] in fig["citation"]
    shipped = build_figure("floor-vs-prices")
    assert len(fig["data"]) == len(shipped.data) + 1  # extended: every shipped row is still there
    assert OWN_SOURCE["title"] not in shipped.citation()
    # Outputs never land in the analyst's data.
    err = _error(run_cli("figure", "floor-vs-prices", "--data", str(overlay), "--out", str(overlay / "f.svg")), "figure")
    assert f"inside {overlay}" in err and sorted(p.name for p in overlay.iterdir()) == ["prices.csv", "sources.csv"]


# --- run pages -----------------------------------------------------------------------------------


def test_run_records_scenario_and_overlay(run_folder):
    out, overlay = run_folder
    record = json.loads((out / "params.json").read_text())
    assert record["scenario"]["name"] == "evidence-central"
    assert record["overrides"]["cost_gap_high"] == 0.5  # -p wins over the scenario
    assert set(record["scenario"]["not_taken_by_chapter"]) == {"rebuild_total_usd_bn", "rebuild_years"}
    digest = hashlib.sha256()
    for path in sorted(overlay.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    assert record["data"]["overlay"] == str(overlay) and record["data"]["overlay_sha256"] == digest.hexdigest()
    assert record["data"]["overlay_tables"] == ["prices", "sources"]


def test_run_page_says_it_is_a_scenario_and_marks_what_moved(run_folder):
    out, _ = run_folder
    page = (out / "cost-gap.html").read_text()
    (published,) = [n for n in compute_numbers({}, domains=["costs"]) if n.id == "costs.china_cost_usd_per_kg"]
    record = json.loads((out / "params.json").read_text())
    checked = json.loads((DATA / "checked.json").read_text())["data_checked_to"]
    assert "A scenario, not the published book." in page and "evidence-central" in page
    assert f"Data checked to {checked}" in page
    defaults = {name: PARAMETERS[name].resolve_default() for name in ("cost_gap_high",)}
    assert f"<code>cost_gap_high</code> = {record['parameters']['cost_gap_high']:g} " \
           f"<span class=\"rr-published\">(published: {defaults['cost_gap_high']:g})</span>" in page
    # China's cost moved: the sentence that states it says it was set for this run, with the default
    assert f"(set for this run; the default is {published.display()} USD/kg" in page
    assert "(published: " in page.split("Parameters that differ", 1)[1]  # moved numbers are marked
    # The figure's title follows the gap in use, not the seed's band.
    low, high = record["parameters"]["cost_gap_low"], record["parameters"]["cost_gap_high"]
    assert f"US separation cost implied by a {low * 100:g}–{high * 100:g} % gap" in page
    assert f"dated benchmark ({OWN_SOURCE['producer_short']})" in page


def test_saved_notebook_reads_in_jupyter(run_folder):
    out, _ = run_folder
    nb = json.loads((out / "cost-gap.ipynb").read_text())
    markdown = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert not any("{glue" in text or "{numref}" in text for text in markdown)
    assert any(text.startswith("**A scenario, not the published book.**") for text in markdown)


# --- compare -------------------------------------------------------------------------------------


FIELDS = {"id", "label", "unit", "before", "after", "change", "change_pct", "before_low", "before_high", "after_low",
          "after_high", "before_display", "after_display", "before_range", "after_range", "chapters"}


def test_compare_run_against_published(run_folder, tmp_path):
    out, _ = run_folder
    result = json.loads(run_cli("compare", "published", str(out), "--json", "--domain", "costs", check=True).stdout)
    assert set(result) == {"a", "b", "parameters", "compared", "moved", "numbers"}
    assert result["b"]["kind"] == "run" and result["b"]["data"]["overlay"]
    record = json.loads((out / "params.json").read_text())
    defaults = {name: PARAMETERS[name].resolve_default() for name in ("cost_gap_high",)}
    changed = {p["name"]: (p["a"], p["b"]) for p in result["parameters"]}
    assert changed["cost_gap_high"] == (defaults["cost_gap_high"], record["parameters"]["cost_gap_high"])
    by_id = {n["id"]: n for n in result["numbers"]}
    assert all(set(n) == FIELDS for n in result["numbers"]) and result["moved"] == len(result["numbers"])
    high = by_id["costs.cost_gap_high_pct"]
    assert (high["before"], high["after"]) == pytest.approx((defaults["cost_gap_high"] * 100, 50.0))
    assert high["change"] == pytest.approx(high["after"] - high["before"])
    text = run_cli("compare", "published", str(out), "--domain", "costs", check=True).stdout
    assert "costs.cost_gap_high_pct" in text and f"{result['moved']} of {result['compared']} key numbers moved." in text


def test_compare_page_is_offline_deterministic_and_shows_both(tmp_path):
    scenario = tmp_path / "wide-gap.toml"
    scenario.write_text('name = "wide-gap"\ndescription = "a wider gap"\n[parameters]\ncost_gap_high = 0.6\n')
    pages = []
    for name in ("one", "two"):
        run_cli("compare", "published", str(scenario), "--domain", "costs", "--out", str(tmp_path / name), check=True)
        pages.append((tmp_path / name / "compare.html").read_bytes())
    assert pages[0] == pages[1]
    page = pages[0].decode()
    assert "<script src=" not in page and "vegaEmbed" in page
    assert 'data-figure-id="compare-moved-numbers"' in page and "Download the data (CSV)" in page
    assert 'id="chart-cost-gap-range-a"' in page and 'id="chart-cost-gap-range-b"' in page
    assert json.loads((tmp_path / "one" / "compare.json").read_text())["b"]["scenario"] == "wide-gap"
    err = _error(run_cli("compare", "published", str(scenario), "--out", str(tmp_path / "one")), "compare")
    assert "already exists" in err


def test_compare_bad_side(tmp_path):
    err = _error(run_cli("compare", "published", str(tmp_path)), "compare")
    assert "not a run folder" in err
