"""What the tests of the gap, buildout and outlook domains share: the registry and its CLI listing."""

from __future__ import annotations

import functools
import json
import math

from support import run_cli
from rare_earths import CHAPTERS
from rare_earths.data.load import load_table
from rare_earths.params import PARAMETERS


@functools.cache
def listed() -> dict:
    """Every number `rare-earths numbers --json` lists, by id."""
    result = run_cli("numbers", "--json", check=True)
    return {n["id"]: n for n in json.loads(result.stdout)}


def assert_well_formed(domain: str, ids: set[str]) -> None:
    numbers = {k: v for k, v in listed().items() if k.startswith(domain + ".")}
    assert ids <= set(numbers), sorted(ids - set(numbers))
    sources = set(load_table("sources")["source_id"])
    claims = set(load_table("claims")["claim_id"])
    for n in numbers.values():
        assert set(n["sources"]) <= sources, n["id"]
        assert n["sources"] or n["tables"] or n["parameters"], n["id"]
        assert set(n["parameters"]) <= set(PARAMETERS), n["id"]
        assert set(n["claims"]) <= claims and set(n["chapters"]) <= set(CHAPTERS), n["id"]
        assert n["unit"] and n["label"] and n["formula"], n["id"]
        if n["value"] is None:
            assert n["status"] != "ok", n["id"]
        else:
            assert math.isfinite(n["value"]) and n["low"] <= n["value"] <= n["high"], n["id"]
