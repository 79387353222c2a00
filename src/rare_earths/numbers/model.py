"""What a key number is (:class:`KeyNumber`) and what its builders read (:class:`Context`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from rare_earths import CHAPTERS
from rare_earths.format import bound_prefix, fixed, number_text, ordinal


class UnknownNumberError(LookupError):
    """An id that is not in the registry (the message suggests the closest one)."""


@dataclass(frozen=True)
class KeyNumber:
    """One registered number the book prints.

    ``id`` is ``domain.name``; ``value`` with ``low``/``high`` (equal to the value where the
    number is not ranged); ``formula`` with the figures filled in; ``sources`` (ids of
    ``sources.csv``) and/or ``tables`` (the book's own tables a count is taken over); a number
    needs one of the two unless it is a parameter's own value; the ``parameters`` it depends on, the ``chapters`` that
    print it and the seed ``claims`` it checks. ``decimals`` is the printed rounding (``-1``:
    as :func:`rare_earths.format.number_text` writes it, for parameter values). A number undefined for the chosen
    parameters has ``value=None`` and a ``status`` saying why.
    """

    id: str
    value: float | None
    unit: str
    label: str
    formula: str
    sources: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    bound: str = "="
    chapters: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    decimals: int = 1
    status: str = "ok"
    note: str = ""
    tables: tuple[str, ...] = ()

    def __post_init__(self):
        if self.value is None:
            if self.status == "ok":
                raise ValueError(f"{self.id}: a number without a value needs a status saying why")
            object.__setattr__(self, "low", None)
            object.__setattr__(self, "high", None)
        else:
            value = float(self.value) + 0.0  # + 0.0 turns -0.0 (0 times a negative) into 0.0: never "-0.00"
            low = value if self.low is None else float(self.low) + 0.0
            high = value if self.high is None else float(self.high) + 0.0
            for name, v in (("value", value), ("low", low), ("high", high)):
                if not math.isfinite(v):
                    raise ValueError(f"{self.id}: {name} is not finite ({v})")
            if not low - 1e-9 * abs(low) <= value <= high + 1e-9 * abs(high):
                raise ValueError(f"{self.id}: low <= value <= high violated ({low}, {value}, {high})")
            object.__setattr__(self, "value", value)
            object.__setattr__(self, "low", low)
            object.__setattr__(self, "high", high)
        for name in ("sources", "parameters", "chapters", "claims", "tables"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.sources and not self.tables and not self.parameters:
            raise ValueError(f"{self.id}: every number needs a source (or the tables it counts, or the parameter it is)")
        unknown = set(self.chapters) - set(CHAPTERS)
        if unknown:
            raise ValueError(f"{self.id}: unknown chapters {sorted(unknown)}")

    @property
    def domain(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def is_ranged(self) -> bool:
        return self.value is not None and self.low != self.high

    def _fmt(self, v: float) -> str:
        if self.unit == "year":  # a calendar year: no thousands separator
            return f"{v:.0f}"
        return number_text(v) if self.decimals < 0 else fixed(v, self.decimals)

    def display(self) -> str:
        """The value as printed: thousands separators, ``decimals`` places, bound prefix."""
        if self.value is None:
            return "n/a"
        return bound_prefix(self.bound) + self._fmt(self.value)

    def display_plain(self) -> str:
        """The value without its bound (for prose that words the bound: "up to ...")."""
        return "n/a" if self.value is None else self._fmt(self.value)

    def display_range(self) -> str:
        if not self.is_ranged:
            return ""
        return f"{self._fmt(self.low)}–{self._fmt(self.high)}"

    def display_ordinal(self) -> str:
        """A rank as printed in prose (``5th``)."""
        if self.unit != "rank" or self.value is None:
            raise ValueError(f"{self.id}: only a rank has an ordinal")
        return ordinal(self.value)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "value": self.value, "unit": self.unit, "label": self.label, "low": self.low,
            "high": self.high, "bound": self.bound, "display": self.display(), "formula": self.formula,
            "sources": list(self.sources), "parameters": list(self.parameters), "chapters": list(self.chapters),
            "claims": list(self.claims), "decimals": self.decimals, "status": self.status, "note": self.note,
            "tables": list(self.tables),
        }


@dataclass
class Store:
    """What many computations on one data folder can share (a sweep computes the registry at
    thousands of points): the tables, the values derived from them (keyed by what they depend on,
    see :meth:`Context.derived`), and the parameter defaults read from the data. Builders never
    modify a table they read."""

    tables: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)


#: The process's stores, by data folder and table-cache generation (see :func:`shared_store`).
_SHARED_STORES: dict = {}


def shared_store(data=None) -> Store:
    """The process's one :class:`Store` for the data folder ``data``.

    A chapter computes its numbers (``glue_numbers``) and then its figures and tables from the
    same data: with this store, what both read (the build-out setting, about 0.7 s) is computed
    once. Keyed as the loaded tables are (:func:`rare_earths.data.load.load_table`): by the folder,
    until :func:`~rare_earths.data.load.clear_cache` forgets them. It reads no file itself, so
    a chapter's recorded dependencies stay the tables it reads (hashing them all here made every
    table edit re-execute every chapter)."""
    from rare_earths.data.load import loaded_key

    key = loaded_key(data)
    if key not in _SHARED_STORES:
        if len(_SHARED_STORES) >= 4:  # a process that switches data folders keeps only the recent ones
            _SHARED_STORES.clear()
        _SHARED_STORES[key] = Store()
    return _SHARED_STORES[key]


@dataclass
class Context:
    """What a domain's builder reads: the parameters (defaults resolved on first read) and tables.

    With a :class:`Store`, the tables and derived values are those of the store (shared)."""

    params: Mapping
    data: object = None
    _tables: dict = field(default_factory=dict)
    store: Store | None = None
    _derived: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.store is not None:
            self._tables, self._derived = self.store.tables, self.store.derived

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            from rare_earths.data.load import load_table

            self._tables[name] = load_table(name, self.data)
        return self._tables[name]

    def derived(self, key, compute):
        """``compute()``, computed once per context, or once per :class:`Store` when the context has
        one: a value that depends on the tables and on nothing but what ``key`` names (the build-out
        setting, keyed by the parameters it reads, is shared by buildout and outlook)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]
