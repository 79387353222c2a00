"""The one glue channel from the package to the prose (rare_earths.book.glue)."""

from __future__ import annotations

import pytest

from rare_earths.book import escape_markdown, glue_markdown, glue_numbers, glue_text, number_glue
from rare_earths.book.glue import GLUE_PARTS
from rare_earths.format import TextFact
from rare_earths.numbers import get_number


@pytest.fixture
def glued(monkeypatch):
    """The (name, markdown) pairs glued, as myst-nb's glue publishes them."""
    import myst_nb.ext.glue as mnb_glue

    out = []

    def display(bundle, raw, metadata):
        name = metadata["scrapbook"]["name"]
        out.append((name, next(v for k, v in bundle.items() if k.endswith("text/markdown"))))

    monkeypatch.setattr(mnb_glue, "ipy_display", display)
    return out


def test_glue_markdown_publishes_exactly_what_myst_nb_glue_publishes(monkeypatch):
    """The book glues its values through myst-nb's public glue; the output is myst-nb's own."""
    import IPython.display
    import myst_nb.ext.glue as mnb_glue
    from IPython.display import Markdown
    from myst_nb import glue

    published = []

    def record(*objs, **kwargs):
        published.append((objs, kwargs))

    monkeypatch.setattr(mnb_glue, "ipy_display", record)
    monkeypatch.setattr(IPython.display, "display", record)
    for text in ("42.5", "a \\*starred\\* word", "<=13.3", ""):
        glue("some.key", Markdown(text), display=False)
        glue_markdown("some.key", text)
    assert len(published) == 8
    for theirs, ours in zip(published[::2], published[1::2]):
        assert ours == theirs


def test_glue_numbers_glues_value_and_range_by_default_and_more_on_request(glued):
    numbers = glue_numbers({}, domains=["costs"])
    assert numbers and all(i.startswith("costs.") for i in numbers)
    bounded = [i for i, n in numbers.items() if n.bound != "="]
    assert bounded == ["costs.ramaco_payback_min_ndpr_t_per_year"]  # ">=1,515"
    assert [name for name, _ in glued] == [k for i in numbers for k in (i, f"{i}.range")
                                            + ((f"{i}.plain",) if i in bounded else ())]
    us = dict(glued)
    assert (us["costs.us_cost_usd_per_kg"], us["costs.us_cost_usd_per_kg.range"]) == ("74.25", "71.50–77.00")
    assert us["costs.floor_multiple_of_2024_price.range"] == "2.00"  # not ranged: the value
    ramaco = numbers["costs.ramaco_payback_min_ndpr_t_per_year"].display()
    assert ramaco.startswith(">=")  # the registry (and the CLI) print the ASCII bound ...
    assert us["costs.ramaco_payback_min_ndpr_t_per_year"] == "\u2265" + ramaco[2:]  # ... the prose prints ≥
    assert us["costs.ramaco_payback_min_ndpr_t_per_year.plain"] == "1,515"
    glued.clear()
    glue_numbers({}, ids=["costs.floor_multiple_of_2024_price"], parts=GLUE_PARTS)
    assert [name for name, _ in glued] == ["costs.floor_multiple_of_2024_price"] + [
        f"costs.floor_multiple_of_2024_price.{p}" for p in ("range", "unit", "label")]
    with pytest.raises(ValueError, match="glue_numbers glues value, range, unit, label"):
        glue_numbers({}, domains=["costs"], parts=["units"])


def test_glue_numbers_follows_the_parameters_and_ignores_other_names(glued):
    numbers = glue_numbers({"cost_gap_high": 0.5, "not_a_parameter": 1}, ids=["costs.us_extra_cost_usd_per_kg_high"])
    assert numbers["costs.us_extra_cost_usd_per_kg_high"].value == pytest.approx(55 * 0.5)
    assert dict(glued)["costs.us_extra_cost_usd_per_kg_high"] == "27.50"


def test_glue_numbers_for_a_page_glues_only_the_keys_its_text_uses(glued, tmp_path, monkeypatch):
    """``page=``: the keys listed in ``_glue/<page>.json`` beside the notebook (its working folder)
    are glued and no other; every number is still returned. Without a list, everything is glued."""
    import json

    from rare_earths.book.glue import GLUE_KEYS_FOLDER, referenced_keys

    monkeypatch.chdir(tmp_path)
    everything = glue_numbers({}, domains=["costs"], page="a-page")  # no list: every key
    assert len(glued) > 2 * len(everything) - 1
    (tmp_path / GLUE_KEYS_FOLDER).mkdir()
    text = "The US cost is {glue:md}`costs.us_cost_usd_per_kg` USD/kg, {glue:md}`costs.us_cost_usd_per_kg.range`."
    keys = referenced_keys({"cells": [{"cell_type": "markdown", "source": text}, {"cell_type": "code", "source": "x"}]})
    assert keys == ["costs.us_cost_usd_per_kg", "costs.us_cost_usd_per_kg.range"]
    (tmp_path / GLUE_KEYS_FOLDER / "a-page.json").write_text(json.dumps(keys + ["book.as_of"]))
    glued.clear()
    numbers = glue_numbers({}, domains=["costs"], page="a-page")
    assert [name for name, _ in glued] == keys
    assert set(numbers) == set(everything)
    (tmp_path / GLUE_KEYS_FOLDER / "a-page.json").write_text('{"costs.us_cost_usd_per_kg": 1}')
    with pytest.raises(ValueError, match="a-page.json: not a list of glue keys"):
        glue_numbers({}, domains=["costs"], page="a-page")


def test_ranks_glue_an_ordinal_and_bounded_numbers_their_plain_value():
    rank = number_glue(get_number("reserves.canada_reserve_rank"))
    assert rank == {"reserves.canada_reserve_rank": "10", "reserves.canada_reserve_rank.range": "10",
                    "reserves.canada_reserve_rank.ordinal": "10th"}
    need = number_glue(get_number("rebuild.annual_need_usd_bn"))
    assert need["rebuild.annual_need_usd_bn"] == ">13.3"  # number_glue gives the text; glue_numbers escapes it
    assert need["rebuild.annual_need_usd_bn.plain"] == "13.3"


def test_glue_text_glues_text_facts_escaped(glued):
    out = glue_text([TextFact("a.date", "2025-11-07", "date"), TextFact("a.words", "*up to* [one] <b>", "words")])
    assert out == {"a.date": "2025-11-07", "a.words": "*up to* [one] <b>"}
    assert dict(glued) == {"a.date": "2025-11-07", "a.words": r"\*up to\* \[one\] &lt;b&gt;"}
    with pytest.raises(TypeError, match="glue_text takes TextFact objects, not tuple"):
        glue_text([("a.key", "text")])


@pytest.mark.parametrize("text, markdown", [
    ("<=13.3", "&lt;=13.3"),
    ("a_b*c`d", r"a\_b\*c\`d"),
    ("[x](y) | #1", r"\[x\](y) \| \#1"),
    ("R&D", "R&amp;D"),
    ("back\\slash", r"back\\slash"),
])
def test_escape_markdown_turns_data_text_into_literal_text(text, markdown):
    assert escape_markdown(text) == markdown


def test_typeset_prints_bounds_and_minus_signs_as_prose_does():
    from rare_earths.book.glue import typeset

    assert typeset("<=58.7") == "\u226458.7" and typeset(">=16.9") == "\u226516.9"
    assert typeset("-15,000,000") == "\u221215,000,000" and typeset("-26–53") == "\u221226–53"
    assert typeset("2025-07-09") == "2025-07-09" and typeset(">75") == ">75" and typeset("~40.00") == "~40.00"
