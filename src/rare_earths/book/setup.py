"""The book's chapters as the package sees them: where they are and how they take parameters.

A chapter notebook has one cell tagged ``parameters`` that assigns each parameter declared for
it in :mod:`rare_earths.params.core` (``None`` stands for "the declared default", used where the
default is read from the data or is the build date). Its next code cell calls::

    P = chapter_setup("cost-gap", globals())

which validates every value at once (a bad value raises one :class:`ParameterError` line naming
the parameter, the value and what is allowed) and returns the resolved parameters as a dict.
``rare-earths run`` validates the same way before any kernel starts.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Mapping

from rare_earths.params.core import CHAPTERS, ParameterError, chapter_parameters, check_cross, get_parameter

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/rare_earths


def book_root() -> Path:
    """Top of the source checkout (where ``_config.yml`` and ``chapters/`` are)."""
    root = _PACKAGE_DIR.parent.parent
    if not (root / "_config.yml").is_file() or not (root / "chapters").is_dir():
        raise FileNotFoundError(
            f"the book's chapters are not here ({root}): running chapters needs a source checkout of the book"
        )
    return root


def chapter_path(chapter: str) -> Path:
    """The notebook of a chapter slug (``cost-gap`` -> ``chapters/cost-gap.ipynb``)."""
    if chapter not in CHAPTERS:
        import difflib

        close = difflib.get_close_matches(chapter, CHAPTERS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ParameterError(f"chapter={chapter}: unknown chapter{hint}; chapters are: {', '.join(CHAPTERS)}")
    return book_root() / "chapters" / f"{chapter}.ipynb"


def kernel_config():
    """Config for the Jupyter kernels the package starts (build, ``rare-earths run``).

    ipykernel 7.3+ warns on every start when its ZMQ sockets use TCP without encryption; the
    Python kernelspec declares CurveZMQ support, so ``auto`` has jupyter_client provision keys.
    Kernel and client run on the same machine either way; this only keeps the output clean.
    """
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport_encryption = "auto"
    return config


def chapter_setup(chapter: str, namespace: Mapping[str, Any]) -> dict:
    """Validate a chapter's parameters taken from ``namespace`` (a notebook's ``globals()``).

    ``None`` means the declared default. Returns ``{name: value}`` for the chapter's parameters,
    fully resolved (defaults filled, types normalised, cross-parameter rules checked).
    """
    values = {}
    for param in chapter_parameters(chapter):
        given = namespace.get(param.name)
        if given is None:
            values[param.name] = param.resolve_default()
        elif isinstance(given, str) and param.type is not str:
            values[param.name] = param.parse(given)  # papermill/CLI text such as "2026-06-30"
        else:
            values[param.name] = param.check(given)
    check_cross(values)
    return values


def check_chapter_overrides(chapter: str, overrides: Mapping[str, Any]) -> None:
    """Reject overrides that name a parameter the chapter does not take (with a suggestion)."""
    names = [p.name for p in chapter_parameters(chapter)]
    for name in overrides:
        if name in names:
            continue
        get_parameter(name)  # unknown anywhere: raises with its own suggestion
        allowed = ", ".join(names) if names else "none"
        raise ParameterError(f"{name}: not a parameter of chapter {chapter!r} (it takes: {allowed})")


def parameters_cell(notebook: Path) -> dict[str, Any]:
    """The assignments of a notebook's ``parameters`` cell, as Python values (literals only)."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{notebook}: expected one cell tagged 'parameters', found {len(cells)}")
    source = "".join(cells[0]["source"])
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
        else:
            raise ValueError(f"{notebook}: the parameters cell may hold only NAME = literal lines")
    return values
