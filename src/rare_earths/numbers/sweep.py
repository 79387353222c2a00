"""Parameter sweeps through the key-number registry: a grid over one or two parameters.

A sweep is one or two :class:`Axis` (a parameter and the values it takes: ``START:STOP:STEP``,
both ends included, or a list ``A,B,C``), parameters held fixed, and the key numbers to compute.
Every point of the grid is computed by :func:`rare_earths.numbers.registry.compute_numbers`
with only the domains the chosen numbers live in, exactly as ``rare-earths numbers -p ...``
computes them, so a sweep and the CLI cannot disagree. No notebook is executed.

:func:`compute_points` is the unit of work handed to a ``concurrent.futures`` executor (local
processes, or a Dask cluster): a module-level function of plain, picklable arguments that returns
plain records; a chapter's what-if grid hands it :func:`rare_earths.numbers.workers.forked_workers`
(processes forked from the kernel, which start with its tables and derived values in memory). A point
whose computation raises (a cross-parameter rule broken by the grid, a
number undefined there) is recorded with its message; the other points are unaffected.

Ranges are read as decimals (``0.3:0.5:0.05`` gives 0.3, 0.35, ..., 0.5 exactly), checked against
what the parameter allows at both ends, and refused when empty, reversed, or larger than
:data:`MAX_POINTS` points in all. Errors are :class:`SweepError`, one line naming the parameter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping, Sequence

from rare_earths.numbers.model import KeyNumber, Store, UnknownNumberError, shared_store
from rare_earths.numbers.registry import compute_numbers, domains_of, select
from rare_earths.params import ParameterError, get_parameter, plain

#: The largest grid a sweep accepts (all axes together).
MAX_POINTS = 100_000
#: How many parameters one sweep may vary.
MAX_AXES = 2


class SweepError(ParameterError):
    """A sweep that cannot be set up (bad range, unknown parameter or number). One line."""


@dataclass(frozen=True)
class Axis:
    """A swept parameter and its values in grid order (typed and checked); ``spec`` is the text given."""

    name: str
    values: tuple
    spec: str = ""

    def __len__(self) -> int:
        return len(self.values)

    @property
    def numeric(self) -> bool:
        return get_parameter(self.name).type in (int, float)

    def describe(self) -> str:
        """``cost_gap_high from 0.3 to 0.6, step 0.05 (7 values)`` or ``demand_definition: direct, embedded``."""
        if self.spec.count(":") == 2:
            start, stop, step = self.spec.split(":")
            return f"{self.name} from {start.strip()} to {stop.strip()}, step {step.strip()} ({len(self)} values)"
        return f"{self.name}: {', '.join(str(plain(v)) for v in self.values)}"


def is_sweep_value(text: str) -> bool:
    """Whether the VALUE of ``NAME=VALUE`` describes several values (a range or a list)."""
    return ":" in text or "," in text


def _decimal(name: str, spec: str, part: str, what: str) -> Decimal:
    try:
        value = Decimal(part.strip().replace("_", ""))
    except InvalidOperation:
        raise SweepError(f"{name}={spec}: {what} {part.strip()!r} is not a number") from None
    if not value.is_finite():
        raise SweepError(f"{name}={spec}: {what} {part.strip()!r} is not a finite number")
    return value


def _typed(param, value: Decimal):
    return int(value) if param.type is int else float(value)


def parse_axis(name: str, spec: str, max_points: int = MAX_POINTS) -> Axis:
    """``parse_axis("cost_gap_high", "0.3:0.6:0.05")``: the checked values of one swept parameter.

    ``START:STOP:STEP`` (numeric parameters; STOP included when the steps reach it) or a list
    ``A,B,C`` (any parameter, each value parsed as ``-p`` parses it). Refuses an unknown name
    (with a suggestion), a malformed, empty or reversed range, a step of 0 or below, a whole-number
    parameter given fractions, values outside what the parameter allows, repeated values and more
    than ``max_points`` values.
    """
    name = name.strip()
    param = get_parameter(name)  # unknown: ParameterError with the closest name
    spec = spec.strip()
    if ":" in spec:
        if param.type not in (int, float):
            raise SweepError(f"{name}={spec}: {name} is not numeric, so it takes no START:STOP:STEP range; "
                             f"list its values instead ({name}={','.join((param.choices or ('A', 'B'))[:2])})")
        parts = spec.split(":")
        if len(parts) != 3:
            raise SweepError(f"{name}={spec}: expected START:STOP:STEP (e.g. {name}=0.3:0.6:0.05)")
        start, stop, step = (_decimal(name, spec, part, what) for part, what in zip(parts, ("START", "STOP", "STEP")))
        if step <= 0:
            raise SweepError(f"{name}={spec}: STEP must be above 0 (got {step})")
        if start > stop:
            raise SweepError(f"{name}={spec}: reversed range (START {start} is above STOP {stop}); give START below STOP")
        if start == stop:
            raise SweepError(f"{name}={spec}: empty range (START equals STOP); give STOP above START, or set "
                             f"{name}={start} without a range")
        if param.type is int and any(v != v.to_integral_value() for v in (start, step)):
            raise SweepError(f"{name}={spec}: {name} takes whole numbers, so START and STEP must be whole")
        count = int((stop - start) // step) + 1
        if count > max_points:
            raise SweepError(f"{name}={spec}: too large a range: {count:,} points, more than {max_points:,}; "
                             "use a larger STEP or a narrower range")
        last = start + (count - 1) * step
        for end in (start, last):
            try:
                param.check(_typed(param, end))
            except ParameterError:
                raise SweepError(f"{name}={spec}: {end} is outside what {name} allows ({param.allowed})") from None
        values = tuple(_typed(param, start + i * step) for i in range(count))
        return Axis(name, values, spec)
    texts = [t for t in (part.strip() for part in spec.split(","))]
    if any(t == "" for t in texts) or len(texts) < 2:
        raise SweepError(f"{name}={spec}: a list needs two values or more, separated by commas (e.g. {name}="
                         f"{param.example or 'A'},{param.example or 'B'})")
    if len(texts) > max_points:
        raise SweepError(f"{name}={spec}: too many values: {len(texts):,}, more than {max_points:,}")
    values = []
    for text in texts:
        try:
            values.append(param.parse(text))
        except ParameterError as err:
            raise SweepError(f"{name}={spec}: {err}") from None
    repeated = sorted({str(plain(v)) for v in values if values.count(v) > 1})
    if repeated:
        raise SweepError(f"{name}={spec}: {', '.join(repeated)} given more than once")
    return Axis(name, tuple(values), spec)


def parse_sweep(assignments: Iterable[str], max_points: int = MAX_POINTS) -> tuple[list[Axis], dict]:
    """``-p`` texts of a sweep -> (axes, fixed overrides).

    ``NAME=START:STOP:STEP`` or ``NAME=A,B`` is an axis, ``NAME=VALUE`` a fixed parameter (parsed
    and checked as ``-p`` does; cross-parameter rules are checked point by point). One or two
    axes, each parameter named once, and at most ``max_points`` points in all.
    """
    axes: list[Axis] = []
    fixed: dict[str, Any] = {}
    for text in assignments:
        if "=" not in text:
            raise SweepError(f"{text!r}: expected NAME=START:STOP:STEP or NAME=VALUE (e.g. cost_gap_high=0.3:0.6:0.05)")
        name, _, value = text.partition("=")
        name = name.strip()
        if not name:
            raise SweepError(f"{text!r}: missing parameter name before '='")
        if name in fixed or any(a.name == name for a in axes):
            raise SweepError(f"{name}: given more than once (sweep it or fix it, once)")
        if is_sweep_value(value):
            axes.append(parse_axis(name, value, max_points))
        else:
            fixed[name] = get_parameter(name).parse(value)
    if not axes:
        raise SweepError("nothing to sweep: give one or two ranges, -p NAME=START:STOP:STEP (e.g. -p cost_gap_high=0.3:0.6:0.05)")
    if len(axes) > MAX_AXES:
        raise SweepError(f"{len(axes)} parameters swept ({', '.join(a.name for a in axes)}): a sweep varies at most "
                         f"{MAX_AXES}; fix the others with -p NAME=VALUE")
    total = 1
    for axis in axes:
        total *= len(axis)
    if total > max_points:
        sizes = " x ".join(f"{len(a):,}" for a in axes)
        raise SweepError(f"too large a grid: {sizes} = {total:,} points, more than {max_points:,}; "
                         "use larger steps or narrower ranges")
    return axes, fixed


def grid(axes: Sequence[Axis]) -> list[dict]:
    """Every point of the grid, the first axis varying slowest: ``[{"cost_gap_high": 0.3, ...}, ...]``."""
    return [dict(zip((a.name for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]


def _record(num: KeyNumber) -> dict:
    """What a sweep keeps of a number at one point (plain values: cheap to send between processes)."""
    return {"value": num.value, "low": num.low, "high": num.high, "display": num.display(),
            "range": num.display_range(), "status": num.status, "label": num.label}


def compute_points(points: Sequence[Mapping], fixed: Mapping, ids: Sequence[str], domains: Sequence[str] | None,
                   data=None, store: Store | None = None, shared: bool = False) -> list[dict]:
    """Compute the numbers ``ids`` at each point (the unit of work sent to an executor).

    Returns one record per point, in order: ``{"numbers": {id: {value, low, high, display, range,
    status}}, "error": None}``, or ``{"numbers": {}, "error": "one line"}`` for a point whose
    parameters or numbers could not be computed. ``store``: see :class:`Store` (a new one by default;
    ``shared``: the process's own, :func:`~rare_earths.numbers.model.shared_store`, which a worker forked
    from a chapter's kernel inherits with what the chapter derived).
    """
    out = []
    # The tables, what is derived from them and the defaults: read once for all the points.
    store = store or (shared_store(data) if shared else Store())
    for point in points:
        try:
            numbers = select(compute_numbers({**fixed, **point}, data, domains, store=store), list(ids))
            out.append({"numbers": {n.id: _record(n) for n in numbers}, "error": None})
        except UnknownNumberError as err:
            out.append({"numbers": {}, "error": str(err.args[0])})
        except (ParameterError, ValueError, ArithmeticError) as err:
            out.append({"numbers": {}, "error": str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__})
    return out


@dataclass
class NumberSweep:
    """The result of :func:`sweep_numbers`: the grid, the numbers' descriptions and one record per point."""

    axes: list[Axis]
    fixed: dict
    numbers: list[KeyNumber]  # as computed at the published defaults (plus ``fixed``): labels, units, sources
    points: list[dict]
    results: list[dict]
    data: Any = None
    meta: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [n.id for n in self.numbers]

    @property
    def failures(self) -> list[tuple[dict, str]]:
        """(point, message) for every point that could not be computed."""
        return [(p, r["error"]) for p, r in zip(self.points, self.results) if r["error"]]

    def rows(self) -> list[dict]:
        """One flat row per point: the axes, then each number's value (and low/high when it is ranged)."""
        ranged = {i for i in self.ids if any(r["numbers"].get(i, {}).get("low") != r["numbers"].get(i, {}).get("high")
                                             for r in self.results)}
        rows = []
        for point, result in zip(self.points, self.results):
            row = {name: plain(value) for name, value in point.items()}
            for id_ in self.ids:
                rec = result["numbers"].get(id_)
                row[id_] = rec["value"] if rec else None
                if id_ in ranged:
                    row[f"{id_}.low"] = rec["low"] if rec else None
                    row[f"{id_}.high"] = rec["high"] if rec else None
            row["error"] = result["error"] or ""
            rows.append(row)
        return rows


def point_label(point: Mapping) -> str:
    """``cost_gap_high=0.5 china_cost_usd_per_kg=40``: a point as ``-p`` would write it."""
    return " ".join(f"{k}={plain(v)}" for k, v in point.items())


def choose_numbers(ids: Sequence[str] | None, axes: Sequence[Axis], fixed: Mapping, data=None,
                   store: Store | None = None) -> list[KeyNumber]:
    """The numbers a sweep computes, as they are at ``fixed`` (else the published defaults).

    Given ``ids``: exactly those (an unknown id raises :class:`SweepError` with the closest one).
    Otherwise: every number that depends on a swept parameter (its ``parameters``; a number that
    lists every parameter, such as their count, is left out).
    """
    names = {a.name for a in axes}
    base = dict(fixed)
    try:
        computed = compute_numbers(base, data, domains_of(ids) if ids else None, store=store)
    except ParameterError:  # the fixed values break a cross rule at the defaults: describe them at the defaults
        computed = compute_numbers({}, data, domains_of(ids) if ids else None, store=store)
    if ids:
        try:
            return select(computed, list(ids))
        except UnknownNumberError as err:
            raise SweepError(str(err.args[0])) from None
    from rare_earths.params import PARAMETERS

    # A number listing every parameter (dataset.parameters, their count) describes them, not depends on them.
    chosen = [n for n in computed if names & set(n.parameters) and not set(PARAMETERS) <= set(n.parameters)]
    if not chosen:
        raise SweepError(f"no key number depends on {', '.join(sorted(names))}; choose the numbers with --numbers IDS")
    return chosen


def chunked(items: Sequence, size: int) -> list[Sequence]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def sweep_numbers(axes: Sequence[Axis], fixed: Mapping | None = None, ids: Sequence[str] | None = None, data=None,
                  executor=None, chunk_size: int | None = None,
                  on_progress: Callable[[int], None] | None = None, store: Store | None = None,
                  shared_workers: bool = False) -> NumberSweep:
    """Compute the chosen numbers (default: those depending on the axes) at every point of the grid.

    ``executor``: a ``concurrent.futures.Executor`` (a process pool, or a Dask cluster's
    ``Client.get_executor()``) the grid is sent to in chunks of ``chunk_size`` points; without one
    the points are computed here, one after another. ``on_progress(n)`` is called as each chunk of
    ``n`` points completes. Only the domains of the chosen numbers are computed. ``store``: shared
    by the points computed here (not sent to an executor), e.g. by several sweeps of the same data.
    ``shared_workers``: the executor's workers each use their process's shared store (workers of
    :func:`~rare_earths.numbers.workers.forked_workers`, which inherit this process's).
    """
    fixed = dict(fixed or {})
    numbers = choose_numbers(ids, axes, fixed, data, store)
    chosen = [n.id for n in numbers]
    domains = domains_of(chosen)
    points = grid(axes)
    if executor is None:
        size = chunk_size or max(1, len(points))
        results = []
        for part in chunked(points, size):
            results += compute_points(part, fixed, chosen, domains, data, store)
            if on_progress:
                on_progress(len(part))
    else:
        from concurrent.futures import as_completed

        size = chunk_size or max(1, min(250, -(-len(points) // 8)))
        parts = chunked(points, size)
        futures = {executor.submit(compute_points, part, fixed, chosen, domains, data, None, shared_workers): i
                   for i, part in enumerate(parts)}
        by_part: dict[int, list[dict]] = {}
        for future in as_completed(futures):
            i = futures[future]
            try:
                by_part[i] = future.result()
            except Exception as err:  # the worker itself failed (lost, or cannot import the package)
                message = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}".rstrip(": ")
                by_part[i] = [{"numbers": {}, "error": f"worker failed: {message}"} for _ in parts[i]]
            if on_progress:
                on_progress(len(parts[i]))
        results = [rec for i in range(len(parts)) for rec in by_part[i]]
    return NumberSweep(list(axes), fixed, numbers, points, results, data)


__all__ = ["Axis", "MAX_AXES", "MAX_POINTS", "NumberSweep", "SweepError", "choose_numbers", "compute_points", "grid",
           "is_sweep_value", "parse_axis", "parse_sweep", "point_label", "sweep_numbers"]
