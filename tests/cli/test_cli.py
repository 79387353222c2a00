"""The `claims` and `cite` subcommands through the real console command."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from support import DATA, run_cli
from rare_earths.data.load import load_table

REQUIRED_CLAIM_FIELDS = {"id", "seed_file", "quote", "value", "low", "high", "unit", "verdict", "authority_source", "authority_value"}


@pytest.fixture(scope="module")
def claims_json():
    result = run_cli("claims", "--json", check=True)
    return json.loads(result.stdout)


def test_claims_json_has_every_ledger_row_with_stable_fields(claims_json):
    ledger = load_table("claims")
    assert [c["id"] for c in claims_json] == list(ledger["claim_id"])
    for claim in claims_json:
        assert REQUIRED_CLAIM_FIELDS <= claim.keys()
        stated = [claim["value"] is not None, claim["low"] is not None, claim["date_low"] is not None]
        assert sum(stated) == 1, claim["id"]


def test_claims_json_quotes_are_verbatim_in_their_seed(claims_json):
    texts = {p.name: p.read_text(encoding="utf-8") for p in (DATA / "seeds").glob("*.txt")}
    for claim in claims_json:
        assert claim["quote"] in texts[claim["seed_file"]], claim["id"]


def test_claims_json_values_match_the_csv(claims_json):
    ledger = load_table("claims").set_index("claim_id")
    for claim in claims_json:
        row = ledger.loc[claim["id"]]
        for key, col in (("value", "value"), ("low", "low"), ("high", "high"), ("authority_value", "authority_value")):
            expected = None if pd.isna(row[col]) else float(row[col])
            assert claim[key] == expected, (claim["id"], key)
        assert claim["authority_source"] == (None if pd.isna(row["authority_source_id"]) else row["authority_source_id"])


def test_claims_table_output_lists_each_claim_once():
    result = run_cli("claims", check=True)
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert ids == list(load_table("claims")["claim_id"])


def test_claims_filter_by_verdict():
    result = run_cli("claims", "--json", "--verdict", "conflicts", check=True)
    rows = json.loads(result.stdout)
    ledger = load_table("claims")
    assert len(rows) == int((ledger["verdict"] == "conflicts").sum()) > 0
    assert {r["verdict"] for r in rows} == {"conflicts"}


def test_claims_unknown_verdict_is_a_one_line_error():
    result = run_cli("claims", "--verdict", "maybe")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "maybe" in result.stderr


def test_cite_source_text_names_the_producer():
    source = load_table("sources").set_index("source_id").loc["usgs_mcs_2026_ree"]
    result = run_cli("cite", "usgs_mcs_2026_ree", check=True)
    assert result.stdout.strip() == source["citation"]
    assert "U.S. Geological Survey" in result.stdout


def test_cite_source_bibtex_is_the_bibliography_entry():
    result = run_cli("cite", "iea_gcmo_2025", "--style", "bibtex", check=True)
    bib = (DATA.parent / "references.bib").read_text(encoding="utf-8")
    assert result.stdout.strip() in bib
    assert result.stdout.startswith("@techreport{iea_gcmo_2025,")


def test_cite_claim_quotes_the_seed_and_names_the_authority():
    ledger = load_table("claims").set_index("claim_id")
    claim_id = next(i for i, r in ledger.iterrows() if pd.notna(r["authority_source_id"]))
    row = ledger.loc[claim_id]
    authority = load_table("sources").set_index("source_id").loc[row["authority_source_id"]]
    text = run_cli("cite", claim_id, check=True).stdout
    assert row["quote"] in text
    assert authority["citation"].rstrip(".") in text
    assert f"Verdict: {row['verdict'].replace('_', ' ')}" in text
    markdown = run_cli("cite", claim_id, "--style", "markdown", check=True).stdout
    assert markdown.startswith("> ")
    bibtex = run_cli("cite", claim_id, "--style", "bibtex", check=True).stdout
    assert bibtex.startswith(f"@misc{{rare_earth_rivalry_{claim_id.lower()},")


def test_cite_unknown_id_suggests_and_fails_cleanly():
    result = run_cli("cite", "usgs_mcs_2026_re")
    assert result.returncode == 2
    assert "did you mean 'usgs_mcs_2026_ree'" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_help():
    assert re.match(r"rare-earths \d+\.\d+\.\d+", run_cli("--version", check=True).stdout)
    help_text = run_cli("--help", check=True).stdout
    for command in ("validate", "claims", "cite", "numbers"):
        assert command in help_text
