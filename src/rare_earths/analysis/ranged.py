"""A value with its low and high ends: what the analysis functions return where a figure is a range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rare_earths.params.checks import ParameterError, check_number

@dataclass(frozen=True)
class Ranged:
    """A value with its low and high ends (``low <= central <= high``), in ``unit``.

    A point value has ``low == central == high``. ``bound`` says whether the central value is
    exact (``=``) or itself a bound (``<=``: an upper bound, e.g. a share of a ">" total).
    """

    low: float
    central: float
    high: float
    unit: str = ""
    bound: str = "="

    def __post_init__(self):
        for part in ("low", "central", "high"):
            check_number(part, getattr(self, part))
        if not (self.low <= self.central <= self.high):
            raise ParameterError(
                f"low={self.low:g}, central={self.central:g}, high={self.high:g}: must satisfy low <= central <= high"
            )

    @classmethod
    def point(cls, value: float, unit: str = "", bound: str = "=") -> "Ranged":
        return cls(float(value), float(value), float(value), unit, bound)

    @classmethod
    def of(cls, values: Iterable[float], central: float, unit: str = "", bound: str = "=") -> "Ranged":
        """The range spanned by ``values`` and ``central``, centred on ``central``."""
        values = [float(v) for v in values] + [float(central)]
        return cls(min(values), float(central), max(values), unit, bound)

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    def as_dict(self) -> dict:
        return {"low": self.low, "central": self.central, "high": self.high, "unit": self.unit, "bound": self.bound}
