"""The ledger domain's key numbers: the claims ledger counted, overall and per seed article."""

from __future__ import annotations

import pytest

from rare_earths.analysis.claims import FLAWED, SUPPORTED
from rare_earths.data.load import load_table
from rare_earths.data.schema import VERDICTS
from rare_earths.numbers import compute_numbers


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({}, domains=["ledger"])}


def test_counts_agree_with_the_claims_table(numbers):
    claims = load_table("claims")
    by_verdict = claims["verdict"].value_counts()
    v = {k: n.value for k, n in numbers.items()}
    assert v["ledger.total"] == len(claims) and v["ledger.articles"] == 2
    for verdict in VERDICTS:
        assert v[f"ledger.count.{verdict}"] == by_verdict.get(verdict, 0), verdict
        assert v[f"ledger.share.{verdict}"] == pytest.approx(by_verdict.get(verdict, 0) / len(claims) * 100)
    assert v["ledger.supported"] == sum(by_verdict.get(x, 0) for x in SUPPORTED)
    assert v["ledger.flawed"] == sum(by_verdict.get(x, 0) for x in FLAWED)
    assert v["ledger.supported"] + v["ledger.flawed"] + v["ledger.count.not_found"] == len(claims)
    assert v["ledger.checked"] == len(claims) - v["ledger.count.not_found"]
    assert numbers["ledger.total"].display() == str(len(claims))  # counts print as whole numbers


def test_per_article_counts_add_up(numbers):
    claims = load_table("claims")
    for sid, group in claims.groupby("seed_source_id"):
        assert numbers[f"ledger.{sid}.total"].value == len(group)
        assert numbers[f"ledger.{sid}.total"].sources == (sid,)
        assert sum(numbers[f"ledger.{sid}.{v}"].value for v in VERDICTS) == len(group)
        for verdict in VERDICTS:
            assert numbers[f"ledger.{sid}.{verdict}"].value == (group["verdict"] == verdict).sum()


def test_counts_cite_the_seeds_and_the_table_they_count(numbers):
    for n in numbers.values():
        assert n.tables == ("claims",) and set(n.sources) <= {"smm_2025_09_18", "smm_2025_12_29"}, n.id
