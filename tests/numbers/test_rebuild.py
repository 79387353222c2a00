"""The rebuild and commitments domains' key numbers, by hand from data/commitments.csv at the
date the data is checked to (data/checked.json): the seed's "over $200 billion in 15 years" against
the money announced."""

from __future__ import annotations

import datetime as dt

import pytest

from rare_earths.book.glue import number_glue
from rare_earths.data.load import data_checked_to, load_table
from rare_earths.numbers import compute_numbers

AS_OF = data_checked_to()
# Elapsed years from the first counted announcement (Ramaco PEA capex, 2025-07-01) to AS_OF.
ELAPSED = (AS_OF - dt.date(2025, 7, 1)).days / 365.25
# The 19 rows of commitments.csv in USD m, all announced by 2026-02-26, before AS_OF. The DFC's Nov 2025
# approval (up to 465) is replaced by its 565 of 2026-02-05; the JPMorgan/Goldman 1,000 is terminated.
FIRM = (400 + 150 + 3 + 50 + 50 + 565 + 20  # DoD equity, OSC loan, ARPA-E, Commerce x2 (Vulcan), DFC 565, IDC
        + 277 + 200) / 1000  # CHIPS direct funding to USA Rare Earth (2026-01-26), Texas incentives for MP 10X (2026-02-26)
CONDITIONAL = (620 + 80 + 1300) / 1000  # OSC conditional: Vulcan, ReElement; CHIPS loan to USA Rare Earth
GRANTS = 1000 / 1000  # DOE planned funding opportunities
PRIVATE = (473 + 550 + 1500 + 1250) / 1000  # Ramaco PEA capex, Vulcan private, USAR PIPE, MP 10X capex
ALL = FIRM + CONDITIONAL + GRANTS + PRIVATE


@pytest.fixture(scope="module")
def numbers():
    return {n.id: n for n in compute_numbers({"as_of": AS_OF}, domains=["rebuild", "commitments"])}


def test_need_and_money_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["rebuild.estimate_total_usd_bn"] == 200 and v["rebuild.estimate_years"] == 15
    assert v["rebuild.annual_need_usd_bn"] == pytest.approx(200 / 15) and numbers["rebuild.annual_need_usd_bn"].bound == ">"
    assert AS_OF >= dt.date(2026, 2, 26)  # the last announcement above (MP 10X) is counted
    assert v["rebuild.committed_usd_bn"] == pytest.approx(ALL) == pytest.approx(8.488)
    assert numbers["rebuild.committed_usd_bn"].low == pytest.approx(FIRM)
    assert v["rebuild.coverage_pct"] == pytest.approx(ALL / 200 * 100)
    assert (v["rebuild.firm_usd_bn"], v["rebuild.conditional_usd_bn"], v["rebuild.grant_programmes_usd_bn"],
            v["rebuild.private_usd_bn"]) == pytest.approx((FIRM, CONDITIONAL, GRANTS, PRIVATE))
    assert v["rebuild.all_announced_usd_bn"] == pytest.approx(ALL)
    assert v["rebuild.firm_share_of_announced_pct"] == pytest.approx(FIRM / ALL * 100)
    assert v["rebuild.commitments_counted"] == 19 - 2  # 19 rows, the DFC's first approval replaced, JPM/GS terminated
    assert v["rebuild.committed_months_of_need"] == pytest.approx(ALL / (200 / 15) * 12)
    assert numbers["rebuild.committed_months_of_need"].low == pytest.approx(FIRM / (200 / 15) * 12)


def test_pace_by_hand(numbers):
    v = {k: n.value for k, n in numbers.items()}
    assert v["rebuild.elapsed_years"] == pytest.approx(ELAPSED)
    assert v["rebuild.need_to_date_usd_bn"] == pytest.approx(200 / 15 * ELAPSED)
    assert v["rebuild.pace_usd_bn_per_year"] == pytest.approx(ALL / ELAPSED)
    assert v["rebuild.years_to_reach_at_pace"] == pytest.approx((200 - ALL) / (ALL / ELAPSED))
    assert v["rebuild.need_to_pace_ratio"] == pytest.approx((200 / 15) / (ALL / ELAPSED))


def test_before_any_money_the_pace_numbers_are_undefined_with_a_status():
    early = {n.id: n for n in compute_numbers({"as_of": dt.date(2025, 6, 1)}, domains=["rebuild"])}
    for id_ in ("rebuild.elapsed_years", "rebuild.need_to_date_usd_bn", "rebuild.firm_share_of_announced_pct",
                "rebuild.years_to_reach_at_pace"):
        assert early[id_].value is None and early[id_].status.startswith("undefined at as_of=2025-06-01"), id_
        assert early[id_].display() == "n/a" and early[id_].as_dict()["value"] is None
    assert early["rebuild.commitments_counted"].value == 0


def test_every_commitment_amount_is_a_number_as_announced(numbers):
    commitments = load_table("commitments")
    amounts = {k.removeprefix("commitments."): n for k, n in numbers.items() if k.startswith("commitments.")}
    assert set(amounts) == set(commitments["commitment_id"])
    for _, c in commitments.iterrows():
        n = amounts[c["commitment_id"]]
        assert (n.value, n.bound, n.unit, n.sources) == (c["amount_usd_m"], c["bound"], "USD m", (c["source_id"],))
    dfc = amounts["dfc_serra_verde_approval_2025_11"]  # "up to 465"
    # glued for prose: the bound typeset as "≤" (the CLI and JSON keep "<=")
    assert dfc.display() == "<=465"
    assert number_glue(dfc) == {"commitments.dfc_serra_verde_approval_2025_11": "\u2264465",
                                "commitments.dfc_serra_verde_approval_2025_11.range": "\u2264465",
                                "commitments.dfc_serra_verde_approval_2025_11.plain": "465"}
