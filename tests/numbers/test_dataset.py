"""The dataset domain's key numbers: what the curated dataset holds, counted."""

from __future__ import annotations

from rare_earths.data.load import load_table
from rare_earths.data.schema import TABLES
from rare_earths.numbers import compute_numbers
from rare_earths.params import PARAMETERS


def test_counts_by_hand():
    numbers = {n.id: n for n in compute_numbers({}, domains=["dataset"])}
    assert numbers["dataset.sources"].value == len(load_table("sources"))
    assert numbers["dataset.revisions"].value == len(load_table("revisions"))
    assert numbers["dataset.tables"].value == len(TABLES) == 11
    assert numbers["dataset.parameters"].value == len(PARAMETERS)
    for name in TABLES:
        n = numbers[f"dataset.rows.{name}"]
        assert n.value == len(load_table(name)) and n.tables == (name,) and n.sources == (), name
    assert numbers["dataset.sources"].display() == str(len(load_table("sources")))
