"""Unit conversions the book prints (tonnes to million tonnes, claims stated in Mt)."""

from __future__ import annotations

T_PER_MT = 1_000_000.0


def t_to_mt(tonnes: float) -> float:
    """Tonnes to million tonnes (``t / 1,000,000``)."""
    return float(tonnes) / T_PER_MT


def to_tonnes(value: float, unit: str) -> float:
    """A quantity in tonnes, given its unit as the data writes it (``Mt REO`` or ``t REO``)."""
    return float(value) * T_PER_MT if str(unit).startswith("Mt") else float(value)


def difference(new: float, old: float) -> float:
    """``new - old``: the change from one edition, version or date to the next (same unit)."""
    return float(new) - float(old)
