"""Every chapter: numbers in prose are glued, never typed; glued ids exist; figures are shown and referenced."""

from __future__ import annotations

import json
import re

import pytest

from support import ROOT
from rare_earths.book.setup import chapter_path
from rare_earths.figures import list_figures
from rare_earths.params.core import CHAPTERS
from rare_earths.numbers.registry import compute_numbers

CHAPTERS_WITH_NOTEBOOKS = [c for c in CHAPTERS if chapter_path(c).is_file()]


def _cells(slug: str) -> list[dict]:
    return json.loads((ROOT / "chapters" / f"{slug}.ipynb").read_text(encoding="utf-8"))["cells"]


def _prose(slug: str) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(slug) if c["cell_type"] == "markdown")


def untyped(text: str) -> str:
    """Prose with what may legitimately hold digits removed: roles, code, quotations, years, editions."""
    text = re.sub(r"\{[a-z:]+\}`[^`]*`", " ", text)  # roles: glue, cite, numref, doc
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code blocks (command examples)
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"\u201c[^\u201d]*\u201d|\"[^\"]*\"", " ", text)  # quotations of the seeds
    text = re.sub(r"\b(MCS|GCMO) 20\d\d\b|\bv1\.\d\b|\b[Vv]ersion \d+(\.\d+)+\b", " ", text)  # editions and versions
    text = re.sub(r"\bC\d{2,3}\b", " ", text)  # claim ids
    text = re.sub(r"\b(19|20)\d\d(–\d\d)?\b", " ", text)  # years and year ranges
    text = re.sub(r"\bR/P\b|\bQ[1-4]\b|\bSHA-256\b|\bNo\. \d+\b|\bCFF\)? 1\.2\.0\b", " ", text)  # names, not quantities
    text = re.sub(r"(?m)^\s*\d+\. ", " ", text)  # ordered-list markers
    return text


@pytest.mark.parametrize("slug", CHAPTERS_WITH_NOTEBOOKS)
def test_prose_types_no_numbers(slug):
    text = untyped(_prose(slug))
    assert not re.search(r"\d", text), re.findall(r".{0,40}\d.{0,40}", text)


@pytest.mark.parametrize("slug", CHAPTERS_WITH_NOTEBOOKS)
def test_glued_numbers_exist_and_figures_are_shown_and_referenced(slug):
    numbers = {n.id for n in compute_numbers({})}
    registry_domains = {n.split(".")[0] for n in numbers}
    prose = _prose(slug)
    for key in re.findall(r"\{glue:md\}`([^`]+)`", prose):
        base = key.removesuffix(".range").removesuffix(".unit").removesuffix(".label")
        if base.split(".")[0] in registry_domains and base.split(".")[1] != "text":
            assert base in numbers, f"{slug}: {key} is glued but not in the key-number registry"
    shown = [c["metadata"]["mystnb"]["figure"]["name"] for c in _cells(slug) if "mystnb" in c.get("metadata", {})]
    assert sorted(shown) == sorted(f"fig-{f.id}" for f in list_figures(slug))
    for name in shown:
        assert f"{{numref}}`{name}`" in prose, f"{slug}: figure {name} is never referenced in the text"


def _code(slug: str) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(slug) if c["cell_type"] == "code")


def _numbers_printed(slug: str, numbers: set[str]) -> set[str]:
    """Registry ids a chapter prints: glued in its prose, or named in its code (N["id"], id lists)."""
    keys = re.findall(r"\{glue:md\}`([^`]+)`", _prose(slug)) + re.findall(r"[\"']([a-z]+\.[a-z0-9_]+)[\"']", _code(slug))
    bases = {k.removesuffix(".range").removesuffix(".unit").removesuffix(".label") for k in keys}
    return bases & numbers


@pytest.mark.parametrize("slug", CHAPTERS_WITH_NOTEBOOKS)
def test_chapter_computes_the_domains_it_prints_and_numbers_name_their_chapters(slug):
    """A chapter computes only some domains of the registry (so a table edit re-executes only the
    chapters that read it): every number it prints must be in one of them, and must list the
    chapter in its ``chapters`` (what `rare-earths cite` and the chapters' number tables use)."""
    import ast

    from rare_earths.numbers.registry import DOMAINS

    numbers = {n.id: n for n in compute_numbers({})}
    calls = re.findall(r"glue_numbers\(P, domains=(\[[^\]]*\])\)", _code(slug))
    assert len(calls) == 1, f"{slug}: expected one glue_numbers(P, domains=[...]) call, found {len(calls)}"
    domains = ast.literal_eval(calls[0])
    assert set(domains) <= set(DOMAINS), domains
    printed = _numbers_printed(slug, set(numbers))
    assert printed, f"{slug}: prints no registry number"
    for id_ in sorted(printed):
        assert id_.split(".")[0] in domains, f"{slug} prints {id_} but computes only {domains}"
        assert slug in numbers[id_].chapters, f"{id_} is printed in {slug} but its chapters are {numbers[id_].chapters}"
