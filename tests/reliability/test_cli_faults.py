"""CLI faults (issue 15; the reliability review's sections 7, 8, 15 and 16), through the installed
console script: bad data under every command, meaningless ``-p`` values, unwritable destinations,
run pages that state overrides, and figures quoted in text that follow the rows they come from.

Each case asserts the fault's one line (no traceback), the exit code of the README (1 invalid data
or a failure, 2 bad usage or input) and that nothing was written or lost.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import DATA, ROOT, read_rows, run_cli, write_rows
from rare_earths.format import fixed, number_text
from rare_earths.params import ParameterError, parse_assignments
from rare_earths.params.checks import SIGNIFICANT_DIGITS_MAX, SMALLEST_NONZERO


def _copy_data(target: Path) -> Path:
    """What the commands read: the tables, the JSON files, the seeds (not the frozen raw/ files)."""
    target.mkdir(parents=True)
    for path in DATA.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    shutil.copytree(DATA / "seeds", target / "seeds")
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(result: subprocess.CompletedProcess, code: int, command: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(f"rare-earths {command}: error: "), result.stderr
    return lines[-1]


# -- a data fault stops every command, with the lines validate prints --------------------------


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> dict:
    """A data copy with a decimal comma in the 2024 NdPr price, and one shared cache folder."""
    root = tmp_path_factory.mktemp("broken")
    data = _copy_data(root / "data")
    header, rows = read_rows(data / "prices.csv")
    i = next(i for i, r in enumerate(rows) if r["price_id"] == "usgs_ndpr_oxide_2024")
    rows[i]["price_low_usd_per_kg"] = "55,5"
    write_rows(data / "prices.csv", header, rows)
    expected = (f"prices.csv:{i + 2}: column 'price_low_usd_per_kg': not a number: '55,5': write numbers with a "
                "decimal point and no thousands separator (1.5, 1234.5), never a decimal comma")
    return {"data": data, "env": {"RARE_EARTHS_DATA": str(data), "XDG_CACHE_HOME": str(root / "cache")},
            "expected": expected, "root": root}


def test_validate_prints_the_fault_as_one_line_and_as_json(broken):
    before = _snapshot(broken["data"])
    text = run_cli("validate", "--data", str(broken["data"]), env=broken["env"])
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert text.stdout.splitlines() == [broken["expected"]]
    as_json = run_cli("validate", "--data", str(broken["data"]), "--json", env=broken["env"])
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["valid"] is False
    assert report["problems"] == [{"file": "prices.csv", "line": int(broken["expected"].split(":")[1]),
                                   "column": "price_low_usd_per_kg", "message": broken["expected"].split(": ", 2)[2]}]
    assert _snapshot(broken["data"]) == before


COMMANDS = {
    "numbers": ["numbers"],
    "claims": ["claims"],
    "cite": ["cite", "C11"],
    "params": ["params", "cost-gap"],
    "figure": ["figure", "cost-gap-range", "--out", "{out}/x.svg"],
    "run": ["run", "cost-gap", "--out", "{out}/run"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_data_fault_stops_every_command_before_it_computes(broken, command, tmp_path):
    before = _snapshot(broken["data"])
    args = [a.format(out=tmp_path) for a in COMMANDS[command]]
    result = run_cli(*args, env=broken["env"])
    last = _one_line_error(result, 1, command)
    assert "the data is invalid" in last
    assert result.stderr.strip().splitlines()[:-1] == [broken["expected"]]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [] and _snapshot(broken["data"]) == before


def test_the_build_validates_the_data_first(broken, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RARE_EARTHS_DATA"} | broken["env"]
    result = subprocess.run([sys.executable, "-m", "rare_earths.build", "--path-output", str(tmp_path / "out"), str(ROOT)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [broken["expected"], result.stderr.strip().splitlines()[-1]]
    assert "the data is invalid" in result.stderr and "nothing was built" in result.stderr
    assert not (tmp_path / "out").exists()


# -- -p values that parse but mean nothing -------------------------------------------------------


@pytest.mark.parametrize("text, says", [
    ("floor_price_usd_per_kg=5e-324", f"at least {SMALLEST_NONZERO:g}"),
    ("market_price_usd_per_kg=5e-324", f"at least {SMALLEST_NONZERO:g}"),
    ("rebuild_total_usd_bn=5e-324", f"at least {SMALLEST_NONZERO:g}"),
    ("cost_gap_high=1e-300", f"at least {SMALLEST_NONZERO:g}"),
    ("cost_gap_high=0." + "1" * (SIGNIFICANT_DIGITS_MAX + 1), "significant digits"),
    ("volume_t=" + "9" * 400, "too long for a number"),
    ("volume_t=\u0663", "not a number"),  # an Arabic-Indic digit three
    ("cost_gap_high=\uff10.\uff15", "not a number"),  # full-width 0.5
    ("volume_t=1_0", "not a number"),
    ("cost_gap_high=1,5", "decimal comma"),
    ("floor_price_usd_per_kg=0", "must be a finite amount > 0"),
    ("market_price_usd_per_kg=0", "must be a finite amount > 0"),
])
def test_a_meaningless_value_is_rejected_with_the_parameters_name_and_range(text, says):
    name = text.split("=")[0]
    with pytest.raises(ParameterError) as err:
        parse_assignments([text])
    message = str(err.value)
    assert message.startswith(f"{name}=") and says in message and "\n" not in message
    assert len(message) < 300  # a 400-character value is not echoed whole


def test_a_repeated_parameter_is_rejected():
    with pytest.raises(ParameterError, match="cost_gap_high is given twice"):
        parse_assignments(["cost_gap_high=0.5", "cost_gap_high=0.6"])


def test_negative_zero_is_normalised():
    assert str(parse_assignments(["dod_upside_share=-0"])["dod_upside_share"]) == "0.0"
    assert parse_assignments(["volume_t=100_000"]) == {"volume_t": 100_000.0}


@pytest.mark.parametrize("command", [["numbers", "costs.floor_multiple_of_2024_price"],
                                     ["cite", "costs.us_extra_cost_usd_per_kg_high"]])
def test_a_subnormal_value_is_one_line_in_numbers_and_cite(command):
    result = run_cli(*command, "-p", "floor_price_usd_per_kg=5e-324")
    line = _one_line_error(result, 2, command[0])
    assert "floor_price_usd_per_kg=5e-324" in line and "up to 1,000,000" in line


def test_no_negative_zero_is_printed():
    # 0 upside share: what the DoD receives is 0 x (price - floor) x volume, computed as a negation.
    result = run_cli("numbers", "costs.dod_upside_usd_m_per_year_at_2026_02_price", "--json", "-p", "dod_upside_share=-0")
    assert result.returncode == 0, result.stderr
    (number,) = json.loads(result.stdout)
    assert number["display"] == fixed(0, number["decimals"]) and str(number["value"]) == "0.0"


# -- unwritable destinations --------------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path):
    """A folder nothing can be written into, even by root (chattr +i), else by permissions."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    immutable = shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    if not immutable:
        folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except OSError:
        pass
    else:  # pragma: no cover - a machine where neither works cannot run these cases
        (folder / "probe").unlink()
        pytest.fail("cannot make a read-only folder here (no chattr +i and running as root)")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


@pytest.mark.parametrize("command", [["run", "cost-gap", "--out", "{ro}/run"],
                                     ["figure", "cost-gap-range", "--format", "png", "--out", "{ro}/x.png"]])
def test_an_unwritable_destination_is_one_line(read_only, command):
    result = run_cli(*[a.format(ro=read_only) for a in command])
    line = _one_line_error(result, 1, command[0])
    assert f"cannot write {read_only}" in line
    assert list(read_only.iterdir()) == []


def test_a_run_under_a_file_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run_cli("run", "cost-gap", "--out", str(tmp_path / "notes.txt" / "run"))
    assert "is a file, not a folder" in _one_line_error(result, 1, "run")
    assert (tmp_path / "notes.txt").read_text() == "mine\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# -- run pages state overrides as the analyst's, not as sourced defaults -------------------------


def _usgs_2024_price() -> float:
    _, rows = read_rows(DATA / "prices.csv")
    return float(next(r for r in rows if r["price_id"] == "usgs_ndpr_oxide_2024")["price_low_usd_per_kg"])


def test_a_run_page_states_an_override_as_set_for_the_run(tmp_path):
    result = run_cli("run", "cost-gap", "-p", "china_cost_usd_per_kg=40", "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "run" / "cost-gap.html").read_text(encoding="utf-8")
    default = fixed(_usgs_2024_price(), 2)  # costs.china_cost_usd_per_kg prints 2 decimals
    assert (f"40.00 USD/kg (set for this run; the default is {default} USD/kg, the USGS 2024 average NdPr oxide "
            "price") in page
    assert "40.00 USD/kg by default" not in page and "40.00 USD/kg, the USGS" not in page


def test_a_run_page_never_gives_a_set_value_the_defaults_basis(tmp_path):
    """The outlook's ramp-up and cancellation rate, set for a run, are not "the median of the two
    plants" or "the share that failed": the page says the value was set and what the default is."""
    result = run_cli("run", "outlook", "-p", "ramp_up_years=5", "-p", "cancellation_rate=0.3",
                     "--out", str(tmp_path / "run"), "--quiet")
    assert result.returncode == 0, result.stderr
    page = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", (tmp_path / "run" / "outlook.html").read_text(encoding="utf-8"))))
    assert "5.0 years (set for this run; the default is " in page and "5.0 years, the median" not in page
    assert "30 % (set for this run; the default is " in page and "30 %, the share" not in page
    assert "therefore cancels" not in page


# -- figures quoted in text follow the rows they come from --------------------------------------


def test_quoted_figures_follow_a_data_edit(tmp_path):
    data = _copy_data(tmp_path / "data")
    header, rows = read_rows(data / "prices.csv")
    row = next(r for r in rows if r["price_id"] == "usgs_ndpr_oxide_2024")
    floor = float(next(r for r in rows if r["kind"] == "floor")["price_low_usd_per_kg"])
    row["price_low_usd_per_kg"] = row["price_high_usd_per_kg"] = "57"
    write_rows(data / "prices.csv", header, rows)
    env = {"RARE_EARTHS_DATA": str(data), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    claims = run_cli("claims", "--json", "--data", str(data), env=env)
    assert claims.returncode == 0, claims.stderr
    c11 = next(c for c in json.loads(claims.stdout) if c["id"] == "C11")
    # costs.floor_multiple_of_2024_price prints 2 decimals: 110 / 57.
    assert f"USGS 2024 average 57 = {fixed(floor / 57, 2)}x" in c11["authority_text"]
    assert "(USGS 57)" in c11["note"] and "55" not in c11["authority_text"] + c11["note"]
    params = run_cli("params", "cost-gap", "--json", env=env)
    assert params.returncode == 0, params.stderr
    by_name = {p["name"]: p for p in json.loads(params.stdout)}
    assert "(USD 57/kg)" in by_name["china_cost_usd_per_kg"]["description"]
    assert by_name["market_price_usd_per_kg"]["basis"].endswith(f"USD {number_text(57)}/kg.")
    assert by_name["floor_price_usd_per_kg"]["basis"].endswith(f"USD {number_text(floor)}/kg.")
