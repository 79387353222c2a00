"""Every chapter notebook, read statically (nbval executes them separately):

* its ``parameters`` cell assigns exactly the declared parameters, and the next cell validates them;
* its prose types no numbers (one rule, one whitelist, for every chapter);
* every ``{glue:md}`` key it uses is glued by its own code: a registry number (with its parts) of
  the domains it computes, or a text fact it asks for;
* it computes exactly the registry domains it prints, and every number it prints lists it;
* every figure registered for it is shown, captioned as the figure says, and referenced in the text;
* every ``{cite:p}`` key is a source.

What the code glues or prints is read from the code cells' syntax trees (calls and their literal
arguments, not their layout), so re-wrapping a cell changes nothing here.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import re
from functools import cache

import nbformat
import pytest

from rare_earths import CHAPTERS
from rare_earths.book.glue import DEFAULT_GLUE_PARTS, GLUE_KEYS_FOLDER, number_glue, page_keys, referenced_keys
from rare_earths.book.ledger import claim_facts
from rare_earths.book.overrides import setting_facts
from rare_earths.build.paths import chapter_path, parameters_cell
from rare_earths.data.load import load_table
from rare_earths.edition import BOOK_FACTS, book_facts
from rare_earths.figures import build_figure, list_figures
from rare_earths.numbers import compute_numbers, domain_of, select
from rare_earths.params import chapter_parameters, resolve

GLUE_ROLE = re.compile(r"\{glue:md\}`([^`]+)`")


# ---------------------------------------------------------------------------------------------
# Reading a chapter
# ---------------------------------------------------------------------------------------------


@cache
def _notebook(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(chapter_path(chapter), as_version=4)


def _prose(chapter: str) -> str:
    return "\n\n".join(c.source for c in _notebook(chapter).cells if c.cell_type == "markdown")


def _code_cells(chapter: str) -> list[nbformat.NotebookNode]:
    return [c for c in _notebook(chapter).cells if c.cell_type == "code"]


@cache
def _trees(chapter: str) -> tuple[ast.Module, ...]:
    return tuple(ast.parse(c.source) for c in _code_cells(chapter))


def _calls(chapter: str, name: str) -> list[ast.Call]:
    """Every call of a function (``f(...)`` or ``x.f(...)``) named ``name`` in the chapter's code."""
    def called(node):
        return getattr(node.func, "id", None) or getattr(node.func, "attr", None)

    return [n for tree in _trees(chapter) for n in ast.walk(tree) if isinstance(n, ast.Call) and called(n) == name]


def _literal_assignments(chapter: str) -> dict[str, object]:
    """Names the chapter's code binds to literals (``QUOTED = ["C07", ...]``)."""
    out = {}
    for tree in _trees(chapter):
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    out[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return out


def _literal(chapter: str, node: ast.AST):
    if isinstance(node, ast.Name):
        values = _literal_assignments(chapter)
        assert node.id in values, f"{chapter}: {node.id} is not bound to a literal"
        return values[node.id]
    return ast.literal_eval(node)


def _keywords(call: ast.Call) -> dict[str, ast.AST]:
    return {k.arg: k.value for k in call.keywords}


# ---------------------------------------------------------------------------------------------
# What a chapter computes and glues
# ---------------------------------------------------------------------------------------------


def _glue_numbers_call(chapter: str) -> ast.Call:
    calls = _calls(chapter, "glue_numbers")
    assert len(calls) == 1, f"{chapter}: expected one glue_numbers call, found {len(calls)}"
    return calls[0]


def _domains(chapter: str) -> list[str]:
    kw = _keywords(_glue_numbers_call(chapter))
    assert "domains" in kw, f"{chapter}: glue_numbers computes every domain (give domains=[...])"
    return list(_literal(chapter, kw["domains"]))


@cache
def _numbers(chapter: str) -> dict:
    """What the chapter's ``glue_numbers(P, domains=..., ids=...)`` returns, under the defaults."""
    kw = _keywords(_glue_numbers_call(chapter))
    ids = _literal(chapter, kw["ids"]) if "ids" in kw else None
    return {n.id: n for n in select(compute_numbers({}, domains=_domains(chapter)), ids)}


def _number_keys(chapter: str) -> dict[str, str]:
    """Glue key -> number id, for every key the chapter's glue_numbers call glues."""
    kw = _keywords(_glue_numbers_call(chapter))
    parts = tuple(_literal(chapter, kw["parts"])) if "parts" in kw else DEFAULT_GLUE_PARTS
    return {key: n.id for n in _numbers(chapter).values() for key in number_glue(n, parts)}


def _text_facts(chapter: str, call: ast.Call) -> list:
    """The TextFacts one ``glue_text(...)`` call of the chapter glues."""
    (arg,) = call.args
    return _facts_made_by(chapter, arg)


def _facts_made_by(chapter: str, arg: ast.expr) -> list:
    """The TextFacts an argument of ``glue_text`` makes: a call, or calls joined by ``+``."""
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
        return _facts_made_by(chapter, arg.left) + _facts_made_by(chapter, arg.right)
    assert isinstance(arg, ast.Call), f"{chapter}: glue_text takes a call that makes TextFacts (or calls joined by +)"
    maker = getattr(arg.func, "id", None) or getattr(arg.func, "attr", None)
    if maker == "book_facts":
        return book_facts(_literal(chapter, arg.args[0]) if arg.args else BOOK_FACTS)
    if maker == "claim_facts":
        return claim_facts(_literal(chapter, arg.args[0]))
    if maker == "setting_facts":  # (P, N, [(number id, unit words, basis), ...]): facts about parameter values
        assert [ast.unparse(a) for a in arg.args[:2]] == ["P", "N"], f"{chapter}: setting_facts(P, N, [...])"
        return setting_facts(resolve({}), _numbers(chapter), _literal(chapter, arg.args[2]))
    # A chapter view's facts (``text_facts``, ``intro_facts as outlook_facts``, ...), imported by name
    # from a figures module and called with the chapter's parameters (P) or with none.
    imported = {(a.asname or a.name): (node.module, a.name) for tree in _trees(chapter) for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module.startswith("rare_earths.figures") for a in node.names}
    if maker in imported:
        module, name = imported[maker]
        function = getattr(importlib.import_module(module), name)
        args = [resolve({})] if [ast.unparse(a) for a in arg.args] == ["P"] else []
        assert len(args) == len(arg.args), f"{chapter}: {ast.unparse(arg)}: facts are made from P or from nothing"
        return function(*args)
    raise AssertionError(f"{chapter}: glue_text({ast.unparse(arg)}): this test does not know what it glues")


def _text_keys(chapter: str) -> set[str]:
    return {fact.key for call in _calls(chapter, "glue_text") for fact in _text_facts(chapter, call)}


def _table_ids(chapter: str) -> set[str]:
    """Number ids the chapter's ``numbers_table``/``summary_table`` calls print.

    The ids argument is evaluated over the numbers the chapter computes (``N``) and the names its
    cells bound before, when those are expressions over ``N`` and literals only.
    """
    numbers = _numbers(chapter)
    printed: set[str] = set()
    env: dict[str, object] = {}  # the notebook's names, cell after cell

    def evaluate(node):
        return eval(compile(ast.Expression(node), chapter, "eval"), {"__builtins__": {}, "N": numbers, **env})

    for tree in _trees(chapter):
        for statement in tree.body:
            for node in ast.walk(statement):
                name = getattr(node, "func", None)
                if isinstance(node, ast.Call) and getattr(name, "id", None) in ("numbers_table", "summary_table"):
                    printed |= set(evaluate(node.args[1]))
            target = getattr(statement, "target", None) or (getattr(statement, "targets", None) or [None])[0]
            if isinstance(target, ast.Name) and isinstance(statement, (ast.Assign, ast.AugAssign)):
                try:
                    value = evaluate(statement.value)
                except Exception:  # not an expression over N and literals: not a list of ids
                    continue
                env[target.id] = env[target.id] + value if isinstance(statement, ast.AugAssign) else value
    return printed


def _printed(chapter: str) -> set[str]:
    """Registry ids the chapter prints: glued in its prose, listed in its tables, named in its code."""
    known = {n.id for n in compute_numbers({})}
    keys = _number_keys(chapter)
    glued = {keys[k] for k in GLUE_ROLE.findall(_prose(chapter)) if k in keys}
    named = {n.value for tree in _trees(chapter) for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in known}
    return glued | named | _table_ids(chapter)


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_parameters_cell_equals_the_declaration_and_is_validated_next(chapter):
    """One ``parameters`` cell, first, assigning exactly the declared names with the declared
    defaults (papermill's reading of it); the next cell validates them with chapter_setup."""
    cells = _code_cells(chapter)
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0], f"{chapter}: the parameters cell must be the one and first code cell tagged parameters"
    cell = parameters_cell(chapter_path(chapter))
    declared = {p.name: p for p in chapter_parameters(chapter)}
    assert set(cell) == set(declared), f"{chapter}: cell {sorted(cell)} vs declared {sorted(declared)}"
    for name, value in cell.items():
        param = declared[name]
        if callable(param.default) or param.type is dt.date:
            assert value is None, f"{chapter}.{name}: default comes from the data or the build date, so the cell says None"
        else:
            assert value == param.default, f"{chapter}.{name}: cell {value!r} vs declared {param.default!r}"
    setup = [n for n in ast.walk(_trees(chapter)[1]) if isinstance(n, ast.Call)
             and getattr(n.func, "id", None) == "chapter_setup"]
    assert [ast.unparse(n) for n in setup] == [f"chapter_setup({chapter!r}, globals())"]


#: What may hold digits in prose, for every chapter: code, MyST roles (glued values, citations,
#: cross-references), link targets, quotations (the seeds' own figures, quoted), ordered-list
#: markers, years and spans of years (2024, 2021–24), version labels (v1.3, version 1.2.0),
#: announcement numbers (No. 70) and the name SHA-256. Anything else is a typed number.
PROSE_WHITELIST = (
    re.compile(r"```.*?```", re.S),
    re.compile(r"\{[\w:]+\}`[^`]*`"),
    re.compile(r"`[^`]*`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"\u201c[^\u201d]*\u201d|\"[^\"]*\""),
    re.compile(r"(?m)^\s*\d+\.\s"),
    re.compile(r"(?<![\w.])(?:19|20)\d\d(?:–\d\d)?(?!\w|\.\d)"),
    re.compile(r"\b[Vv](?:ersion )?\d+(?:\.\d+)+\b"),
    re.compile(r"\bNo\. \d+\b"),
    re.compile(r"\bSHA-256\b"),
)


def untyped(text: str) -> str:
    for allowed in PROSE_WHITELIST:
        text = allowed.sub(" ", text)
    return text


def test_the_prose_rule_catches_typed_numbers():
    assert not re.search(r"\d", untyped("In 2024 (MCS 2026 v1.3, 2021–24) China held {glue:md}`shares.x` %."))
    for typed in ("China held 69 %", "a 2.0× multiple", "from 2024-11-07", "USD 110/kg", "rank 10th", "in 20245"):
        assert re.search(r"\d", untyped(typed)), typed


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_prose_types_no_numbers(chapter):
    text = untyped(_prose(chapter))
    typed = re.findall(r".{0,40}\d.{0,40}", text)
    assert not typed, f"{chapter}: numbers typed in the text: {typed}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_glued_key_is_glued_by_the_chapter(chapter):
    numbers, texts = _number_keys(chapter), _text_keys(chapter)
    assert not set(numbers) & texts, f"{chapter}: a text fact and a number share a key"
    glued = GLUE_ROLE.findall(_prose(chapter))
    assert glued, f"{chapter}: glues nothing"
    missing = sorted({k for k in glued if k not in numbers and k not in texts})
    assert not missing, f"{chapter}: glued in the text but glued by no code of the chapter: {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_glues_the_keys_its_own_text_uses(chapter):
    """``glue_numbers(..., page=CHAPTER)`` names the chapter itself, and its key list
    (``chapters/_glue/CHAPTER.json``, written by scripts/generate.py) is the set of keys the
    chapter's Markdown uses now: a key the text starts to use is glued, none other is."""
    kw = _keywords(_glue_numbers_call(chapter))
    assert "page" in kw, f"{chapter}: glue_numbers glues every key of its domains (give page={chapter!r})"
    assert _literal(chapter, kw["page"]) == chapter, f"{chapter}: glue_numbers(page=...) names another chapter"
    folder = chapter_path(chapter).parent
    assert (folder / GLUE_KEYS_FOLDER / f"{chapter}.json").is_file(), "run python scripts/generate.py"
    used = set(referenced_keys(_notebook(chapter)))
    assert page_keys(chapter, folder) == used, f"{chapter}: chapters/_glue/{chapter}.json is stale (run python scripts/generate.py)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_computes_the_domains_it_prints_and_each_printed_number_lists_it(chapter):
    """A chapter computes only some domains of the registry (so a table edit re-executes only the
    chapters that read it): exactly those it prints, and every number it prints lists the
    chapter in its ``chapters`` (what `rare-earths cite` and the chapters' number tables use)."""
    numbers = {n.id: n for n in compute_numbers({})}
    printed = _printed(chapter)
    assert printed, f"{chapter}: prints no registry number"
    assert {domain_of(i) for i in printed} == set(_domains(chapter)), \
        f"{chapter}: computes {sorted(_domains(chapter))}, prints {sorted({domain_of(i) for i in printed})}"
    unlisted = sorted(i for i in printed if chapter not in numbers[i].chapters)
    assert not unlisted, f"{chapter} prints numbers whose chapters do not name it: {unlisted}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_is_shown_captioned_and_referenced(chapter):
    shown = {}
    for cell in _code_cells(chapter):
        if "figure" in cell.metadata.get("mystnb", {}):
            built = [ast.literal_eval(n.args[0]) for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Call)
                     and getattr(n.func, "id", None) == "build_figure"]
            assert len(built) == 1, f"{chapter}: a figure cell builds one figure"
            shown[built[0]] = cell.metadata
    assert sorted(shown) == sorted(f.id for f in list_figures(chapter))
    prose = _prose(chapter)
    for fid, metadata in shown.items():
        assert dict(metadata)["mystnb"] == build_figure(fid).cell_metadata()["mystnb"], fid
        assert f"{{numref}}`fig-{fid}`" in prose, f"{chapter}: figure {fid} is never referenced in the text"
    referenced = set(re.findall(r"\{numref\}`fig-([^`]+)`", prose))
    assert referenced <= set(shown), f"{chapter}: references figures it does not show: {referenced - set(shown)}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_cited_keys_are_sources(chapter):
    sources = set(load_table("sources")["source_id"])
    cited = {key for keys in re.findall(r"\{cite:p\}`([^`]+)`", _prose(chapter)) for key in keys.split(",")}
    assert cited <= sources, f"{chapter}: cites unknown sources {sorted(cited - sources)}"


def test_the_intros_summary_numbers_cite_their_sources_in_the_text():
    (call,) = _calls("intro", "summary_table")
    summary = sorted(_table_ids("intro"))
    assert len(summary) == 5, summary
    numbers = {n.id: n for n in compute_numbers({})}
    prose = _prose("intro")
    cited = {key for keys in re.findall(r"\{cite:p\}`([^`]+)`", prose) for key in keys.split(",")}
    glued = set(GLUE_ROLE.findall(prose))
    for nid in summary:
        assert nid in glued, f"{nid} is in the intro's table but not in its text"
        missing = set(numbers[nid].sources) - cited
        assert not missing, f"{nid}: sources not cited in the intro: {missing}"


BOTTOM_LINE = re.compile(r"\A# [^\n]+\n\n(?:\*[^\n]+\*\n\n)?((?:> [^\n]*\n?)+)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_with_its_bottom_line(chapter):
    """Under the title (and a tagline), a short bottom line: two to four sentences, its numbers glued."""
    first = _notebook(chapter).cells[0]
    match = BOTTOM_LINE.match(first.source)
    assert first.cell_type == "markdown" and match, f"{chapter}: no bottom line under the title"
    text = re.sub(r"(?m)^> ", "", match.group(1))
    assert text.startswith("**The bottom line.**"), chapter
    assert GLUE_ROLE.search(text), f"{chapter}: the bottom line glues no number"
    sentences = re.findall(r"[.!?](?:\s|$)", untyped(text.replace("**The bottom line.**", "")))
    assert 1 <= len(sentences) <= 4 and len(text) < 900, f"{chapter}: the bottom line is not short ({len(text)} characters)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_parameters_cell_is_folded_or_removed_and_the_page_says_how_to_rerun(chapter):
    """Readers never see an empty code box: a chapter without parameters removes the cell; one with
    parameters folds it and says, in the prose, how to re-run the page with other values."""
    cell = _code_cells(chapter)[0]
    tags = set(cell.metadata.get("tags", []))
    if chapter_parameters(chapter):
        assert "hide-input" in tags and "remove-cell" not in tags, chapter
        assert "assumptions" in cell.metadata["mystnb"]["code_prompt_show"], chapter
        assert re.search(r"`rare-earths run (?:%s|CHAPTER) -p NAME=VALUE`" % re.escape(chapter), _prose(chapter)), chapter
    else:
        assert "remove-cell" in tags, chapter
