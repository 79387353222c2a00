"""The book's figures, registered by stable id so chapters, the CLI and tests build the same chart.

Each figure is a function in a submodule named after its chapter's domain (``figures.reserves``
…), registered with :func:`figure`::

    @figure("reserves-ranked", chapter="reserves", title="Rare-earth reserves by country",
            parameters=())
    def reserves_ranked(params: dict) -> charts.Figure: ...

``params`` maps every parameter name to its value (:func:`rare_earths.params.resolve_lazily`:
a default is read from the data only when the builder asks for it); the function uses only the
names it declares in ``parameters``. :func:`build_figure` resolves the
parameters, builds the :class:`~rare_earths.figures.charts.Figure` and records the non-default
parameters on it, so the figure's citation says under which assumptions it was drawn.

Chapters show a figure with ``build_figure(id, P).show()`` in a cell whose metadata is the
figure's ``cell_metadata()`` (a numbered figure ``fig-<id>``); ``rare-earths figure ID`` exports
the same figure as SVG/PNG with its CSV and citation.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable

from rare_earths.params import PARAMETERS, ParameterError, non_default, resolve_lazily

#: Submodules holding figure definitions (imported on first use: altair is heavy).
SUBMODULES = ("shares", "reserves", "costs", "gap", "rebuild", "buildout", "outlook", "pipeline", "claims")


@dataclass(frozen=True)
class FigureDef:
    id: str
    chapter: str
    title: str
    parameters: tuple[str, ...]
    builder: Callable[[dict], Any]

    def as_dict(self) -> dict:
        return {"id": self.id, "chapter": self.chapter, "title": self.title, "label": f"fig-{self.id}",
                "parameters": list(self.parameters)}


#: Which submodule defines each figure, so building one imports only its module (and the
#: domain modules and tables it needs): the build then re-executes a chapter only when the
#: figure code it uses changes. A test checks this index against the registrations.
MODULE_OF: dict[str, str] = {
    "china-share-by-stage": "shares", "seed-shares-reconciled": "shares", "concentration-hhi": "shares",
    "reserves-ranked": "reserves", "canada-reserves-vs-resources": "reserves", "reserves-to-production": "reserves",
    "reserve-revisions": "reserves", "production-2024-revisions": "reserves",
    "cost-gap-range": "costs", "floor-vs-prices": "costs", "cost-gap-tornado": "costs",
    "rebuild-money-by-instrument": "rebuild", "rebuild-cumulative": "rebuild", "rebuild-tornado": "rebuild",
    "pipeline-timeline": "pipeline", "pipeline-capacity": "pipeline",
    "claims-verdicts": "claims", "claims-by-stage": "claims", "claims-verdict-totals": "claims",
    "gap-tested": "gap", "capex-gap": "gap", "buildout-by-stage": "buildout",
    "outlook-fan": "outlook", "outlook-probability": "outlook", "outlook-sensitivity": "outlook",
}

FIGURES: dict[str, FigureDef] = {}
_loaded = False


def figure(id: str, *, chapter: str, title: str, parameters: tuple[str, ...] = ()):
    """Register a figure builder under ``id`` (decorator)."""
    unknown = [p for p in parameters if p not in PARAMETERS]
    if unknown:  # pragma: no cover - a declaration error, caught by the tests
        raise ValueError(f"figure {id}: unknown parameters {unknown}")

    def register(builder: Callable[[dict], Any]) -> Callable[[dict], Any]:
        if id in FIGURES:  # pragma: no cover
            raise ValueError(f"figure {id} is registered twice")
        FIGURES[id] = FigureDef(id, chapter, title, tuple(parameters), builder)
        return builder

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for name in SUBMODULES:
            try:
                importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{__name__}.{name}":
                    raise
        _loaded = True


def list_figures(chapter: str | None = None) -> list[FigureDef]:
    """Registered figures (all, or one chapter's): by submodule in SUBMODULES order, then as defined.

    The order does not depend on which submodule happened to be imported first.
    """
    _load()
    order = {name: i for i, name in enumerate(SUBMODULES)}
    defs = sorted(FIGURES.values(), key=lambda f: (order.get(f.builder.__module__.rsplit(".", 1)[-1], len(order)),
                                                   f.builder.__code__.co_firstlineno))
    return [f for f in defs if chapter is None or f.chapter == chapter]


def get_figure_def(id: str) -> FigureDef:
    if id in MODULE_OF and id not in FIGURES:
        importlib.import_module(f"{__name__}.{MODULE_OF[id]}")
    if id not in FIGURES:
        _load()
    if id not in FIGURES:
        close = difflib.get_close_matches(id, FIGURES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ParameterError(f"figure={id}: unknown figure{hint}; see `rare-earths figure --list`")
    return FIGURES[id]


def build_figure(id: str, params: dict | None = None):
    """Build figure ``id`` under ``params`` (a partial or full parameter dict; defaults fill the rest)."""
    fdef = get_figure_def(id)
    given = {k: v for k, v in (params or {}).items() if k in PARAMETERS}
    resolved = resolve_lazily(given)  # defaults read from the data only if the figure uses them
    fig = fdef.builder(resolved)
    if fig.id != fdef.id or fig.chapter != fdef.chapter:  # pragma: no cover - a builder bug
        raise ValueError(f"figure {id}: builder returned id {fig.id!r} / chapter {fig.chapter!r}")
    fig.title = fig.title or fdef.title
    fig.parameters = non_default(resolved, fdef.parameters)
    return fig
