"""Verdict tallies of the claims ledger (rare_earths.analysis.claims)."""

from __future__ import annotations

import pandas as pd
import pytest

from rare_earths.analysis import claims as cl
from rare_earths.data.schema import VERDICTS


def _claims(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["seed_source_id", "verdict"])


def test_tally_by_hand():
    claims = _claims(("a", "confirmed"), ("a", "approximate"), ("a", "conflicts"), ("b", "not_found"),
                     ("b", "misdated"), ("b", "mislabelled"), ("b", "confirmed"))
    t = cl.tally(claims)
    assert t.total == 7 and set(t.by_verdict) == set(VERDICTS)
    assert t.by_verdict["confirmed"] == 2 and t.by_verdict["misdated"] == 1
    assert t.supported == 2 + 1  # confirmed + approximate
    assert t.flawed == 1 + 1 + 1  # conflicts + misdated + mislabelled
    assert t.checked == 7 - 1  # all but not found
    assert t.share_pct("confirmed") == pytest.approx(2 / 7 * 100)
    by_article = cl.tally_by_article(claims)
    assert list(by_article) == ["a", "b"]
    assert (by_article["a"].total, by_article["b"].total) == (3, 4)
    assert by_article["a"].by_verdict["not_found"] == 0  # zeros kept


def test_empty_ledger_has_zero_shares():
    t = cl.tally(_claims())
    assert t.total == 0 and t.share_pct("confirmed") == 0.0


def test_supported_flawed_and_not_found_partition_the_verdicts():
    assert sorted(cl.SUPPORTED + cl.FLAWED + ("not_found",)) == sorted(VERDICTS)
