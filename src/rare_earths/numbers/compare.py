"""Two sets of assumptions side by side: which key numbers moved, by how much.

A *side* is one of

* ``published``: the book as published (default parameters, shipped data);
* a run folder of ``rare-earths run`` (its ``params.json``: the overrides, the scenario and the
  data overlay it ran with);
* a scenario, by file or shipped name (:mod:`rare_earths.params.scenario`).

:func:`compare` computes the registry under both sides (each with its own data) and returns a
:class:`Comparison`: the parameters that differ and every key number that moved. Its
:meth:`Comparison.as_dict` is what ``rare-earths compare --json`` prints; the field names are
stable (README).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rare_earths.numbers.model import KeyNumber
from rare_earths.params import PARAMETERS, ParameterError, plain


class CompareError(ParameterError):
    """A side that cannot be compared (no such run, scenario or file); one line."""


@dataclass
class Side:
    """One side of a comparison."""

    spec: str  # as given on the command line
    kind: str  # published | run | scenario
    label: str
    overrides: dict[str, Any] = field(default_factory=dict)
    data_folder: Path | None = None  # None: the shipped data
    data: dict | None = None  # the data record (overlay folder and hash) when not the shipped data
    scenario: str | None = None
    chapter: str | None = None

    def as_dict(self) -> dict:
        return {"spec": self.spec, "kind": self.kind, "label": self.label, "scenario": self.scenario,
                "chapter": self.chapter, "overrides": {k: plain(v) for k, v in sorted(self.overrides.items())},
                "data": self.data}


def _typed(name: str, value: Any) -> Any:
    param = PARAMETERS.get(name)
    if param is None:
        raise CompareError(f"parameter {name!r} is not a parameter of this version of the book")
    return param.parse(value) if isinstance(value, str) else param.check(value)


def read_side(spec: str) -> Side:
    """A side from its command-line text: ``published``, a run folder or a scenario."""
    if spec == "published":
        return Side(spec, "published", "published book (default parameters, shipped data)")
    path = Path(spec).expanduser()
    if path.is_dir():
        record_path = path / "params.json"
        if not record_path.is_file():
            raise CompareError(f"{path}: not a run folder (no params.json; a run folder is what `rare-earths run` writes)")
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            given = record["overrides"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CompareError(f"{record_path}: not a params.json of `rare-earths run` ({type(err).__name__}: {err})") from None
        try:
            overrides = {k: _typed(k, v) for k, v in given.items()}
        except ParameterError as err:
            raise CompareError(f"{record_path}: {err}") from None
        data_record = record.get("data") or {}
        folder = None
        if data_record.get("overlay"):
            from rare_earths.data.overlay import OverlayError, prepare_data

            try:
                selection = prepare_data(data_record["overlay"])
            except OverlayError as err:
                raise CompareError(f"{record_path}: its data overlay: {err}") from None
            if selection.sha256 != data_record.get("overlay_sha256"):
                raise CompareError(f"{record_path}: its data overlay {data_record['overlay']} changed since the run "
                                   f"(sha256 {data_record.get('overlay_sha256', '?')[:12]}, now {selection.sha256[:12]})")
            folder = selection.folder
        scenario = (record.get("scenario") or {}).get("name")
        chapter = record.get("chapter")
        label = f"run {path.name} ({chapter}{', scenario ' + scenario if scenario else ''})"
        return Side(spec, "run", label, overrides, folder, data_record if data_record.get("overlay") else None,
                    scenario, chapter)
    from rare_earths.params.scenario import scenario_overrides

    inputs = scenario_overrides(spec)  # ScenarioError (a ParameterError) names the file
    scenario = inputs.scenario
    return Side(spec, "scenario", f"scenario {scenario.name}", inputs.overrides, scenario=scenario.name)


@dataclass(frozen=True)
class Moved:
    """A key number whose value or range differs between the two sides."""

    before: KeyNumber
    after: KeyNumber

    @property
    def change(self) -> float | None:
        a, b = self.before.value, self.after.value
        return None if a is None or b is None else b - a

    @property
    def change_pct(self) -> float | None:
        a = self.before.value
        change = self.change
        return None if change is None or not a else 100.0 * change / abs(a)

    def as_dict(self) -> dict:
        b, a = self.before, self.after
        return {
            "id": b.id, "label": b.label, "unit": b.unit,
            "before": _clean(b.value), "after": _clean(a.value), "change": _clean(self.change),
            "change_pct": _clean(self.change_pct),
            "before_low": _clean(b.low), "before_high": _clean(b.high),
            "after_low": _clean(a.low), "after_high": _clean(a.high),
            "before_display": b.display(), "after_display": a.display(),
            "before_range": b.display_range(), "after_range": a.display_range(),
            "chapters": list(b.chapters),
        }


def _clean(value: float | None) -> float | None:
    """A value as JSON prints it: None stays None, floats lose their noise (12 significant digits)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(f"{value:.12g}")


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def moved(before: KeyNumber, after: KeyNumber) -> bool:
    return not (_close(before.value, after.value) and _close(before.low, after.low) and _close(before.high, after.high)
                and before.display() == after.display() and before.display_range() == after.display_range()
                and before.status == after.status)


@dataclass
class Comparison:
    a: Side
    b: Side
    parameters: list[dict]  # name, unit, a, b: every parameter whose value differs
    moved: list[Moved]
    compared: int

    def as_dict(self) -> dict:
        return {"a": self.a.as_dict(), "b": self.b.as_dict(), "parameters": self.parameters,
                "compared": self.compared, "moved": len(self.moved), "numbers": [m.as_dict() for m in self.moved]}


def numbers_of(side: Side, domains=None) -> list[KeyNumber]:
    """The registry under a side's overrides and data."""
    from rare_earths.data.overlay import using_data
    from rare_earths.numbers.registry import compute_numbers

    with using_data(side.data_folder):
        return compute_numbers(side.overrides, domains=domains)


def resolved_of(side: Side, names) -> dict:
    from rare_earths.data.overlay import using_data
    from rare_earths.params.resolve import resolve_lazily

    with using_data(side.data_folder):
        values = resolve_lazily(side.overrides)
        return {n: values[n] for n in names}


def compare(a: Side, b: Side, domains=None) -> Comparison:
    """Every key number that moved from side ``a`` to side ``b``, and the parameters that differ."""
    before = {n.id: n for n in numbers_of(a, domains)}
    after = {n.id: n for n in numbers_of(b, domains)}
    names = sorted(set(a.overrides) | set(b.overrides), key=list(PARAMETERS).index)
    va, vb = resolved_of(a, names), resolved_of(b, names)
    parameters = [{"name": n, "unit": PARAMETERS[n].unit, "a": plain(va[n]), "b": plain(vb[n])}
                  for n in names if va[n] != vb[n]]
    shared = [i for i in before if i in after]
    return Comparison(a, b, parameters, [Moved(before[i], after[i]) for i in shared if moved(before[i], after[i])],
                      len(shared))


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+,.4g}" if value else "0"


def format_comparison(comparison: Comparison) -> str:
    """The comparison as text: the two sides, the parameters that differ, the numbers that moved."""
    lines = [f"A: {comparison.a.label}", f"B: {comparison.b.label}"]
    if comparison.parameters:
        def short(v):
            return f"{v:.6g}" if isinstance(v, float) else str(v)

        lines.append("parameters that differ: " + "; ".join(f"{p['name']} {short(p['a'])} -> {short(p['b'])}"
                                                            for p in comparison.parameters))
    else:
        lines.append("parameters that differ: none")
    if comparison.a.data != comparison.b.data:
        for side, name in ((comparison.a, "A"), (comparison.b, "B")):
            if side.data:
                lines.append(f"data of {name}: overlay {side.data['overlay']} (sha256 {side.data['overlay_sha256'][:12]})")
    rows = [(m.before.id, m.before.display(), m.after.display(), _num(m.change),
             "–" if m.change_pct is None else f"{m.change_pct:+.1f}%", m.before.unit) for m in comparison.moved]
    head = ("id", "before", "after", "change", "change %", "unit")
    if rows:
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
        for r in [head] + rows:
            lines.append("  ".join(f"{c:<{w}}" if i in (0, 5) else f"{c:>{w}}" for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    lines.append(f"{len(comparison.moved)} of {comparison.compared} key numbers moved.")
    return "\n".join(lines)


__all__ = ["CompareError", "Comparison", "Moved", "Side", "compare", "format_comparison", "numbers_of", "read_side"]
