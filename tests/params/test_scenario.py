"""Scenario files (rare_earths.params.scenario): checked like -p, one line naming file and line."""

from __future__ import annotations

import csv

import pytest

from support import DATA
from rare_earths.params import PARAMETERS
from rare_earths.params.scenario import ScenarioError, list_scenarios, load_scenario, scenario_overrides

HEAD = 'name = "mine"\ndescription = "a test"\n'


def _file(tmp_path, body: str):
    path = tmp_path / "mine.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, line, words", [
    (HEAD + "colour = 1\n[parameters]\n", 3, "unknown key 'colour'"),
    (HEAD + "[parameters]\ncost_gap_high = \"0.5\"\n", 4, "cost_gap_high='0.5': wrong type str, expected a number"),
    (HEAD + "[parameters]\nrebuild_years = 12.5\n", 4, "wrong type float, expected a whole number"),
    (HEAD + "[parameters]\ncommitted_scope = 3\n", 4, "wrong type int, expected text"),
    (HEAD + "\n[parameters]\ncost_gap_hgh = 0.5\n", 5, "unknown parameter 'cost_gap_hgh' (did you mean cost_gap_high?)"),
    (HEAD + "[parameters]\ncost_gap_high = 7\n", 4, "cost_gap_high=7: must be a fraction between 0 and 5"),
    (HEAD + "[parameters]\nas_of = 2026-13-01\n", 4, "not valid TOML"),
    (HEAD + "[parameters]\ncost_gap_high = [\n", 4, "not valid TOML"),
    (HEAD + "[parameters]\nvolume_t = { number = \"costs.nope\" }\n", 4, "unknown number id 'costs.nope'"),
    (HEAD + "[parameters]\nvolume_t = { claim = \"C99\" }\n", 4, "claim 'C99' is not in claims.csv"),
    (HEAD + "[parameters]\nvolume_t = { claim = \"C24\", colour = 1 }\n", 4, "unknown key 'colour' in a claim reference"),
    (HEAD + "[parameters]\nvolume_t = { claim = \"C24\" }\n", 4, "claim C24 (value) in claims.csv has no value"),
    ('name = "Mine"\ndescription = "d"\n[parameters]\n', 1, "name must be lower-case words"),
])
def test_bad_scenario_names_file_and_line(tmp_path, body, line, words):
    path = _file(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}:{line}:") and words in message, message


def test_cross_rule_and_missing_key_name_the_file(tmp_path):
    with pytest.raises(ScenarioError, match=r"mine\.toml: cost_gap_low=0\.6, cost_gap_high=0\.4"):
        load_scenario(_file(tmp_path, HEAD + "[parameters]\ncost_gap_low = 0.6\n"))
    with pytest.raises(ScenarioError, match=r"mine\.toml: missing key 'parameters'"):
        load_scenario(_file(tmp_path, HEAD))


def test_values_are_checked_exactly_like_p(tmp_path):
    # The same value is normalised the same way from TOML as from -p text (int -> float, dates).
    path = _file(tmp_path, HEAD + "[parameters]\nvolume_t = 2000\nas_of = 2026-06-30\nhorizon = 2040\n")
    scenario = load_scenario(path)
    for name, value in scenario.parameters.items():
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        assert PARAMETERS[name].parse(text) == value and type(PARAMETERS[name].parse(text)) is type(value)


def test_p_overrides_the_scenario_and_the_cross_rule_is_checked_after_merging(tmp_path):
    path = _file(tmp_path, HEAD + "[parameters]\ncost_gap_low = 0.1\ncost_gap_high = 0.2\n")
    # -p cost_gap_high=0.15 alone is below the default low (0.3), but not below the scenario's low.
    assert scenario_overrides(path, ["cost_gap_high=0.15"]).overrides == {"cost_gap_low": 0.1, "cost_gap_high": 0.15}
    with pytest.raises(ScenarioError, match="cost_gap_low must not exceed cost_gap_high"):
        scenario_overrides(path, ["cost_gap_high=0.05"])


def test_chapter_takes_its_own_parameters_and_refuses_a_scenario_with_none():
    inputs = scenario_overrides("evidence-central", chapter="cost-gap")
    takes = {p for p, d in PARAMETERS.items() if "cost-gap" in d.chapters}
    assert set(inputs.overrides) <= takes and set(inputs.not_taken) == set(inputs.scenario.parameters) - takes
    with pytest.raises(ScenarioError, match="sets no parameter of chapter 'cost-gap'"):
        scenario_overrides("fast-buildout", chapter="cost-gap")


def test_shipped_scenarios_load_and_refer_to_the_data():
    scenarios = {s.name: s for s in list_scenarios()}
    assert {"articles", "evidence-central", "fast-buildout", "slow-buildout"} <= set(scenarios)
    claims = {r["claim_id"]: r for r in csv.DictReader((DATA / "claims.csv").open(encoding="utf-8"))}
    articles = scenarios["articles"].parameters
    assert articles["cost_gap_low"] == pytest.approx(float(claims["C24"]["low"]) / 100)
    assert articles["rebuild_total_usd_bn"] == float(claims["C26"]["value"])
    for scenario in scenarios.values():
        assert scenario.description and set(scenario.basis) == set(scenario.parameters)
