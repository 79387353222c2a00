"""The parameters of the rebuild's bottom-up estimate and of the outlook: declared once, listed by
`rare-earths params`, validated like every other (one line on stderr, exit 2, nothing written), and the
outlook chapter's parameters cell assigns exactly them."""

from __future__ import annotations

import json

import pytest

from support import ROOT, run_cli
from rare_earths.params import PARAMETERS, chapter_parameters

OUTLOOK = ["demand_definition", "embedded_multiplier", "demand_growth_rate", "supply_scope", "magnet_plants_make_metal",
           "horizon", "delay_scale", "cancellation_rate", "ramp_up_years", "draws", "seed"]
REBUILD_NEW = ["demand_definition", "embedded_multiplier", "demand_growth_rate", "supply_scope",
               "magnet_plants_make_metal", "horizon"]


def test_outlook_parameters_are_declared_for_the_chapter():
    assert [p.name for p in chapter_parameters("outlook")] == OUTLOOK
    assert set(REBUILD_NEW) <= {p.name for p in chapter_parameters("rebuild")}


def test_params_outlook_lists_them_with_defaults_from_the_data():
    result = run_cli("params", "outlook", "--json", check=True)
    specs = {s["name"]: s for s in json.loads(result.stdout)}
    assert list(specs) == OUTLOOK
    for name in ("demand_growth_rate", "cancellation_rate", "ramp_up_years"):
        assert specs[name]["default_from_data"], name
    assert specs["draws"]["default"] == 20000 and specs["horizon"]["default"] == 2035


@pytest.mark.parametrize("chapter, names", [("outlook", OUTLOOK), ("rebuild", None)])
def test_parameters_cell_assigns_exactly_the_declared_names(chapter, names):
    import ast

    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1
    assigned = [t.id for node in ast.parse("".join(cells[0]["source"])).body for t in node.targets]
    assert assigned == [p.name for p in chapter_parameters(chapter)]


@pytest.mark.parametrize("assignment, message", [
    ("delay_scale=abc", "delay_scale=abc: not a number (expected a multiplier between 0 and 10"),
    ("delay_scale=11", "delay_scale=11: must be a multiplier between 0 and 10"),
    ("cancellation_rate=-0.1", "cancellation_rate=-0.1: must be a fraction between 0 and 1"),
    ("ramp_up_years=31", "ramp_up_years=31: must be a number of years between 0 and 30"),
    ("draws=10", "draws=10: must be a whole number between 100 and 1000000"),
    ("draws=1e9", "draws=1000000000: must be a whole number between 100 and 1000000"),
    ("seed=-3", "seed=-3: must be a whole number between 0 and 4294967295"),
    ("horizon=2027", "horizon=2027: must be a whole number between 2028 and 2060"),
    ("demand_definition=imported", "demand_definition=imported: must be one of direct, embedded, us_allies"),
    ("supply_scope=allies", "supply_scope=allies: must be one of outside_china, united_states"),
    ("embedded_multiplier=", "embedded_multiplier=: missing value"),
    ("delay_scal=2", "unknown parameter 'delay_scal' (did you mean delay_scale?)"),
    ("cost_gap_low=0.1", "cost_gap_low: not a parameter of chapter 'outlook'"),
])
def test_bad_run_parameters_are_one_line_exit_2_and_write_nothing(tmp_path, assignment, message):
    out = tmp_path / "run"
    result = run_cli("run", "outlook", "-p", assignment, "--out", str(out))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_run_outlook_with_parameters(tmp_path):
    out = tmp_path / "run"
    result = run_cli("run", "outlook", "-p", "draws=500", "-p", "horizon=2030", "-p", "delay_scale=2", "--out",
                     str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    params = json.loads((out / "params.json").read_text())
    text = json.dumps(params)
    assert '"draws": 500' in text and '"horizon": 2030' in text
    assert (out / "outlook.html").is_file() and (out / "outlook.ipynb").is_file()


def test_every_new_parameter_is_declared_once_with_its_basis():
    for name in OUTLOOK:
        p = PARAMETERS[name]
        assert p.basis and p.description and p.chapters, name
