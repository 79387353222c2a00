"""Tests on the curated data itself (PUDL-style): coverage, provenance, consistency."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from support import DATA, ROOT
from rare_earths.data.load import load_table
from rare_earths.data.schema import TABLES
from rare_earths.data.checks import rounding_tolerance

SEEDS = sorted((DATA / "seeds").glob("*.txt"))


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_loads_with_declared_types(name):
    frame = load_table(name)
    assert list(frame.columns) == TABLES[name].column_names
    assert len(frame) > 0
    for fld in TABLES[name].fields:
        kind = {"string": "string", "number": "float64", "integer": "Int64", "boolean": "boolean", "date": "datetime64[ns]"}[fld.type]
        assert str(frame[fld.name].dtype) == kind, fld.name


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if "source_text" in t.column_names])
def test_every_numeric_row_carries_its_provenance(name):
    frame = load_table(name)
    for col in ("source_id", "locator", "source_text"):
        assert frame[col].notna().all() and (frame[col].str.strip() != "").all(), col


def test_seed_copies_are_identical_to_the_shared_seeds():
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    for path in SEEDS:
        assert path.read_bytes() == (shared / path.name).read_bytes(), path.name


def _numbers_in(text: str) -> list[str]:
    return re.findall(r"\d[\d,.]*", text)


def test_ledger_covers_both_seeds_and_at_least_forty_claims():
    claims = load_table("claims")
    assert len(claims) >= 40
    assert set(claims["seed_file"]) == {p.name for p in SEEDS}


def test_every_seed_number_in_article_body_is_in_some_claim():
    """Each number printed in an article body (not boilerplate) appears in at least one quote."""
    claims = load_table("claims")
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        body = text.split("Data Source Statement")[0]
        # Drop the headline/date lines: publication stamps are not claims.
        body_lines = [l for l in body.splitlines() if not re.match(r"^(Published:|icon|Home /|\[SMM Analysis\])", l)]
        quotes = " ".join(claims.loc[claims["seed_file"] == path.name, "quote"])
        for line in body_lines:
            for number in _numbers_in(line):
                if re.fullmatch(r"\d{1,2}:\d{2}", number):
                    continue
                assert number.rstrip(".,") in quotes, f"{path.name}: {number!r} in {line[:80]!r}… is in no claim"


def test_related_news_items_are_dated_by_the_brief():
    claims = load_table("claims")
    serra = claims[claims["quote"].str.contains("565", regex=False)]
    assert len(serra) > 0
    assert (serra["announced_date"] == pd.Timestamp("2026-02-05")).all()
    assert set(serra["verdict"]) <= {"misdated", "approximate", "confirmed"}


def test_share_claims_are_not_one_series():
    """The seeds' China shares measure different stages: the ledger must keep them apart."""
    claims = load_table("claims")
    shares = claims[(claims["unit"] == "%") & claims["subject"].str.contains("China", case=False)]
    assert shares["stage"].nunique() >= 3


@pytest.mark.parametrize("edition, year", [("MCS 2025", 2023), ("MCS 2025", 2024), ("MCS 2026", 2024), ("MCS 2026", 2025)])
def test_usgs_production_sums_to_world_total(edition, year):
    t = load_table("usgs_country_supply")
    rows = t[(t["edition"] == edition) & (t["year"] == year) & (t["measure"] == "mine_production")]
    world = rows.loc[rows["is_world_total"], "value_t_reo"].item()
    countries = rows.loc[~rows["is_world_total"], "value_t_reo"].sum()
    assert abs(countries - world) <= rounding_tolerance(world)


def test_world_reserve_totals_are_lower_bounds():
    t = load_table("usgs_country_supply")
    world = t[t["is_world_total"] & (t["measure"] == "reserves")]
    assert len(world) == 2 and set(world["bound"]) == {">"}


def test_every_usgs_row_names_edition_and_version():
    t = load_table("usgs_country_supply")
    assert t["edition"].notna().all() and t["version"].notna().all()
    assert set(t.loc[t["edition"] == "MCS 2026", "version"]) == {"1.3"}


def test_revision_notes_cover_the_known_disagreements():
    rev = load_table("revisions")
    text = " ".join(rev["quantity"]).lower()
    assert "brazil" in text and "import reliance" in text


def test_reference_bib_and_datapackage_are_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_bibliography_has_exactly_the_sources():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([a-z0-9_]+),", bib, flags=re.M)
    assert sorted(keys) == sorted(load_table("sources")["source_id"])


def test_datapackage_is_a_valid_frictionless_package():
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(DATA / "datapackage.json"))
    errors = [e.message for task in report.tasks for e in task.errors] + [e.message for e in report.errors]
    assert report.valid, "\n".join(errors[:20])


def test_data_is_found_from_an_installed_wheel(tmp_path):
    """Build the wheel, install it in a scratch folder without the checkout, load a table."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True, capture_output=True)
    code = "import rare_earths.data.load as d; print(d.data_dir()); print(len(d.load_table('claims')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    folder, count = result.stdout.split()
    assert folder.startswith(str(target)) and int(count) == len(load_table("claims"))
