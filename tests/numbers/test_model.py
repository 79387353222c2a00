"""What a key number is (rare_earths.numbers.model.KeyNumber) and how it is displayed."""

from __future__ import annotations

import json

import pytest

from rare_earths.numbers.model import Context, KeyNumber


def _number(**fields) -> KeyNumber:
    base = dict(id="x.y", value=1.0, unit="u", label="l", formula="f", sources=("s",))
    return KeyNumber(**{**base, **fields})


def test_keynumber_rejects_nan_bad_ranges_and_missing_provenance():
    with pytest.raises(ValueError, match="value is not finite"):
        _number(value=float("nan"))
    with pytest.raises(ValueError, match=r"low <= value <= high violated \(2.0, 1.0, 1.0\)"):
        _number(low=2.0)
    with pytest.raises(ValueError, match="needs a status"):
        _number(value=None)
    with pytest.raises(ValueError, match="every number needs a source"):
        _number(sources=())
    with pytest.raises(ValueError, match=r"unknown chapters \['appendix'\]"):
        _number(chapters=("appendix",))
    # a count over the book's own tables, or a parameter's own value, needs no source row
    assert _number(sources=(), tables=("claims",)).tables == ("claims",)
    assert _number(sources=(), parameters=("cost_gap_low",)).parameters == ("cost_gap_low",)


def test_display_rounds_to_decimals_with_separators_and_bound():
    n = _number(value=1234.5678, low=1000.0, high=2000.0, decimals=2, bound="~")
    assert n.display() == "~1,234.57" and n.display_plain() == "1,234.57"
    assert n.is_ranged and n.display_range() == "1,000.00–2,000.00"
    assert _number(value=58.666, bound="<=", decimals=1).display() == "<=58.7"
    assert _number(value=75.0, bound=">", decimals=0).display() == ">75"
    assert _number(value=3.0).display_range() == ""  # not ranged


def test_negative_decimals_print_the_shortest_exact_text():
    assert _number(value=30.0, decimals=-1).display() == "30"
    assert _number(value=0.125, decimals=-1).display() == "0.125"
    assert _number(value=1294.0, decimals=-1, bound=">=").display() == ">=1,294"


def test_only_a_rank_has_an_ordinal():
    assert _number(value=10.0, unit="rank", decimals=0).display_ordinal() == "10th"
    assert _number(value=2.0, unit="rank", decimals=0).display_ordinal() == "2nd"
    with pytest.raises(ValueError, match="only a rank has an ordinal"):
        _number(value=10.0, unit="t").display_ordinal()


def test_an_undefined_number_has_a_status_and_prints_na():
    n = _number(value=None, status="undefined at as_of=2025-06-01: nothing counted yet", low=1.0)
    assert (n.value, n.low, n.high) == (None, None, None)
    assert n.display() == n.display_plain() == "n/a" and n.display_range() == "" and not n.is_ranged


def test_as_dict_is_the_json_record():
    n = _number(value=2.0, low=1.0, high=3.0, tables=("claims",), chapters=("intro",), claims=("C01",))
    d = n.as_dict()
    assert d == {"id": "x.y", "value": 2.0, "unit": "u", "label": "l", "low": 1.0, "high": 3.0, "bound": "=",
                 "display": "2.0", "formula": "f", "sources": ["s"], "parameters": [], "chapters": ["intro"],
                 "claims": ["C01"], "decimals": 1, "status": "ok", "note": "", "tables": ["claims"]}
    assert json.loads(json.dumps(d)) == d
    assert n.domain == "x"


def test_context_reads_each_table_once_from_its_data_folder(data_copy):
    ctx = Context({}, data_copy)
    first = ctx.table("events")
    (data_copy / "events.csv").write_text("broken\n", encoding="utf-8")
    assert ctx.table("events") is first  # read once per computation


def test_the_shared_store_is_one_per_data_folder_until_the_tables_are_forgotten(data_copy):
    from rare_earths.data.load import clear_cache
    from rare_earths.numbers.model import shared_store

    first = shared_store(data_copy)
    assert shared_store(data_copy) is first and shared_store() is not first  # another folder, another store
    clear_cache()  # what tests that edit data call: the tables and what was derived from them go together
    assert shared_store(data_copy) is not first


def test_the_shared_store_reads_no_data_file(data_copy):
    """A chapter's dependencies are the files it read: the store's key must read none (else every
    table would be a dependency of every chapter)."""
    import sys

    from rare_earths.data.load import clear_cache
    from rare_earths.numbers.model import shared_store

    opened = []

    def hook(event, args):
        if event == "open" and str(data_copy) in str(args[0]):
            opened.append(args[0])

    clear_cache()
    sys.addaudithook(hook)  # (audit hooks cannot be removed: this one only appends to a local list)
    shared_store(data_copy)
    assert opened == []


def test_a_chapters_figures_read_the_setting_and_run_its_numbers_read():
    """glue_numbers and the figures share the process's store: the build-out setting and the
    outlook's Monte Carlo are computed once per chapter, not once per figure (about 0.7 s each)."""
    from rare_earths.figures import outlook as figures_outlook
    from rare_earths.numbers import outlook as numbers_outlook
    from rare_earths.numbers.buildout import setting_for
    from rare_earths.numbers.model import shared_store
    from rare_earths.params import resolve_lazily

    params = resolve_lazily({})
    s, r = numbers_outlook.run(Context(params, store=shared_store()), params)
    assert setting_for(params) is s
    assert figures_outlook.run(params) is r
    changed = figures_outlook.run(params, delay_scale=1.5)
    assert changed is not r and changed.settings["delay_scale"] == 1.5 and r.settings["delay_scale"] != 1.5


def test_the_supply_side_is_computed_once_whatever_the_demand():
    """The factors, pipeline, reference class and intensities read no demand parameter: a chapter
    that varies demand (the rebuild's what-if, the outlook's sensitivity) computes them once."""
    from rare_earths.numbers.buildout import setting_for
    from rare_earths.params import resolve_lazily

    direct = setting_for(resolve_lazily({"demand_definition": "direct"}))
    embedded = setting_for(resolve_lazily({"demand_definition": "embedded", "embedded_multiplier": 2.5}))
    assert embedded is not direct and embedded.demand != direct.demand
    assert embedded.pipeline is direct.pipeline and embedded.reference is direct.reference
