"""The dataset domain's key numbers: what the curated dataset holds, counted."""

from __future__ import annotations

from rare_earths.data.load import load_table
from rare_earths.data.schema import TABLES
from rare_earths.numbers import compute_numbers
from rare_earths.params import PARAMETERS
from support import DATA


def test_counts_by_hand():
    numbers = {n.id: n for n in compute_numbers({}, domains=["dataset"])}
    assert numbers["dataset.sources"].value == len(load_table("sources"))
    assert numbers["dataset.revisions"].value == len(load_table("revisions"))
    # Eighteen tables, one CSV each in data/: the eleven before 2026, corrections (the USGS release values
    # the curated tables correct, with their sources) and the six evidence tables of rare_earths.data.evidence.
    assert numbers["dataset.tables"].value == len(TABLES) == 12 + 6
    assert set(TABLES) == {p.stem for p in DATA.glob("*.csv")}
    assert numbers["dataset.parameters"].value == len(PARAMETERS)
    for name in TABLES:
        n = numbers[f"dataset.rows.{name}"]
        assert n.value == len(load_table(name)) and n.tables == (name,) and n.sources == (), name
    assert numbers["dataset.sources"].display() == str(len(load_table("sources")))
