"""How USGS rounds its published totals (used by the cross-table checks and the share ranges)."""

from __future__ import annotations


def rounding_tolerance(total: float) -> float:
    """Half a unit of the last non-zero significant digit of a published, rounded total.

    USGS rounds world totals (390,000 is rounded to the nearest 10,000: tolerance 5,000;
    376,000 to the nearest 1,000: tolerance 500).
    """
    if total == 0:
        return 0.0
    place = 1
    value = int(round(abs(total)))
    while value % (place * 10) == 0:
        place *= 10
    return place / 2
