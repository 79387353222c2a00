"""The checks every computation and every parameter uses, with one-line errors.

A bad value raises :class:`ParameterError`, a ``ValueError`` whose message is one line naming
the parameter, the value given and what is allowed::

    cost_gap_high=7: must be a fraction between 0 and 5

Every public function of the analysis modules checks its inputs with these helpers
(:func:`check_money`, :func:`check_fraction`, :func:`check_range`, ...). Nothing here returns
NaN: a value that cannot be computed raises.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import sys
from typing import Any, Iterable

# numpy is imported where an array is checked, not here: validating a run's parameters (plain
# numbers) must not cost numpy's import before the run's kernel starts.

#: Fractions (cost gaps, shares of upside) are accepted between these bounds: a gap of 500 % is
#: already absurd; anything outside is a typing error (``40`` meant as ``0.40``).
FRACTION_MIN, FRACTION_MAX = 0.0, 5.0

#: Dates outside this window are rejected as impossible for this book.
DATE_MIN, DATE_MAX = _dt.date(1990, 1, 1), _dt.date(2100, 12, 31)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: A parameter value as text: ASCII digits, a decimal point, an exponent; underscores only between
#: groups of three digits (``100_000``). No decimal comma, no Unicode digits (``٣``), no hex.
NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:_\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?$|^[+-]?\.\d+(?:[eE][+-]?\d+)?$", re.ASCII)

#: A non-zero value smaller than this (in the parameter's own unit: a millionth of a fraction, of a
#: USD/kg, of a tonne) is below anything the data resolves; it only produces overflow or
#: 300-digit results (``5e-324`` is a subnormal double), so it is rejected.
SMALLEST_NONZERO = 1e-6

#: More significant digits than this are more than any input of the book is known to (the data
#: has at most 4 to 6); a double carries 15 to 17, so a longer value is noise, not precision.
SIGNIFICANT_DIGITS_MAX = 12

#: Values are echoed in error messages cut to this many characters.
ECHO_MAX = 40


class ParameterError(ValueError):
    """A parameter or function argument outside what is allowed. The message is one line."""


# ---------------------------------------------------------------------------------------------
# Checks used by every computation module
# ---------------------------------------------------------------------------------------------


def _is_numpy(value: Any, *kinds: str) -> bool:
    """Whether ``value`` is a numpy scalar of one of ``kinds`` (``"floating"``, ...); a value cannot be one
    before numpy is imported, so this never imports it."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, tuple(getattr(np, k) for k in kinds))


def _fmt(value: Any) -> str:
    """Short text for a value in an error message (``0.4``, ``nan``, ``'abc'``)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= ECHO_MAX else f"{value[:ECHO_MAX]}… ({len(value)} characters)"
    if isinstance(value, float) or _is_numpy(value, "floating"):
        value = float(value)
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:g}"
    if (isinstance(value, int) or _is_numpy(value, "integer")) and not isinstance(value, bool):
        return str(int(value))
    return repr(value)


def plain(value: Any) -> Any:
    """A parameter value as JSON and citations write it: dates as ISO text, the rest unchanged."""
    return value.isoformat() if isinstance(value, (_dt.date, _dt.datetime)) else value


def _fail(name: str, value: Any, allowed: str) -> ParameterError:
    return ParameterError(f"{name}={_fmt(value)}: {allowed}")


def _as_float_array(name: str, value: Any, allowed: str):
    """``value`` as a float array (a 0-d array for a scalar); rejects non-numbers."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes)) or value is None:
        raise _fail(name, value, allowed)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _fail(name, value, allowed) from None
    return arr


def _first_bad(arr, bad) -> float:
    return float(arr[bad].flat[0]) if arr.ndim else float(arr)


def _return(value: Any, arr):
    """Return a Python float for scalar input, the float array otherwise."""
    return float(arr) if arr.ndim == 0 else arr


def check_number(name: str, value: Any, minimum: float | None = None, maximum: float | None = None,
                 *, allowed: str | None = None, exclusive_minimum: bool = False):
    """A finite number (or array of them) within ``[minimum, maximum]``; returns it as float(s).

    ``exclusive_minimum`` makes the lower bound strict (``> minimum``). ``allowed`` overrides
    the wording of the error message.
    """
    if isinstance(value, (float, int)) and not isinstance(value, bool) and abs(value) < 1e300:
        # A plain scalar within bounds, the common case, checked without numpy (a sweep checks
        # every argument of every computation at thousands of points); anything else below.
        v = float(value)
        if math.isfinite(v) and (minimum is None or (v > minimum if exclusive_minimum else v >= minimum)) \
                and (maximum is None or v <= maximum):
            return v + 0.0  # + 0.0 turns -0.0 into 0.0, as below
    if allowed is None:
        if minimum is not None and maximum is not None:
            allowed = f"must be a finite number between {minimum:g} and {maximum:g}"
        elif minimum is not None:
            allowed = f"must be a finite number {'>' if exclusive_minimum else '>='} {minimum:g}"
        elif maximum is not None:
            allowed = f"must be a finite number <= {maximum:g}"
        else:
            allowed = "must be a finite number"
    import numpy as np

    arr = _as_float_array(name, value, allowed)
    bad = ~np.isfinite(arr)
    if minimum is not None:
        bad |= (arr <= minimum) if exclusive_minimum else (arr < minimum)
    if maximum is not None:
        bad |= arr > maximum
    if np.any(bad):
        raise _fail(name, _first_bad(arr, bad), allowed)
    return _return(value, arr + 0.0)  # + 0.0 turns -0.0 into 0.0: no "-0.00" is ever printed


def check_money(name: str, value: Any, *, positive: bool = False):
    """A sum of money or a price: finite and not negative (``positive``: strictly above zero)."""
    allowed = "must be a finite amount of money > 0" if positive else "must be a finite, non-negative amount of money"
    return check_number(name, value, 0.0, None, allowed=allowed, exclusive_minimum=positive)


def check_fraction(name: str, value: Any, minimum: float = FRACTION_MIN, maximum: float = FRACTION_MAX):
    """A fraction (0.35 = 35 %), by default between 0 and 5."""
    return check_number(name, value, minimum, maximum, allowed=f"must be a fraction between {minimum:g} and {maximum:g}")


def check_share_pct(name: str, value: Any):
    """A share in percent, between 0 and 100."""
    return check_number(name, value, 0.0, 100.0, allowed="must be a share in percent between 0 and 100")


def check_quantity(name: str, value: Any, *, positive: bool = False):
    """A physical quantity (tonnes, tonnes a year): finite and not negative (or > 0)."""
    allowed = "must be a finite quantity > 0" if positive else "must be a finite, non-negative quantity"
    return check_number(name, value, 0.0, None, allowed=allowed, exclusive_minimum=positive)


def check_years(name: str, value: Any):
    """A number of years: finite and strictly positive (zero years is rejected)."""
    return check_number(name, value, 0.0, None, allowed="must be a finite number of years > 0", exclusive_minimum=True)


def check_range(name_low: str, low: Any, name_high: str, high: Any) -> None:
    """``low <= high`` (element-wise for arrays); the message names both parameters."""

    def reversed_range(lo: float, hi: float) -> ParameterError:
        return ParameterError(f"{name_low}={lo:g}, {name_high}={hi:g}: {name_low} must not exceed {name_high}")

    if type(low) in (float, int) and type(high) in (float, int):  # plain numbers: no numpy needed
        if float(low) > float(high):
            raise reversed_range(float(low), float(high))
        return
    import numpy as np

    lo = np.asarray(low, dtype=float)
    hi = np.asarray(high, dtype=float)
    bad = lo > hi
    if np.any(bad):
        b_lo = float(np.broadcast_to(lo, bad.shape)[bad].flat[0]) if bad.ndim else float(lo)
        b_hi = float(np.broadcast_to(hi, bad.shape)[bad].flat[0]) if bad.ndim else float(hi)
        raise reversed_range(b_lo, b_hi)


def check_date(name: str, value: Any, minimum: _dt.date = DATE_MIN, maximum: _dt.date = DATE_MAX) -> _dt.date:
    """A calendar date (``date``, ``datetime``, pandas ``Timestamp`` or ``YYYY-MM-DD`` text)."""
    allowed = f"must be a date (YYYY-MM-DD) between {minimum.isoformat()} and {maximum.isoformat()}"
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.match(text):
            raise _fail(name, value, "not a valid date: " + allowed)
        try:
            day = _dt.date.fromisoformat(text)
        except ValueError:
            raise _fail(name, value, "not a valid date: " + allowed) from None
    elif isinstance(value, _dt.datetime):  # includes pandas Timestamp
        if value != value:  # NaT
            raise _fail(name, value, allowed)
        day = value.date()
    elif isinstance(value, _dt.date):
        day = value
    elif _is_numpy(value, "datetime64"):
        import numpy as np

        if np.isnat(value):
            raise _fail(name, value, allowed)
        day = value.astype("datetime64[D]").item()
    else:
        raise _fail(name, value, allowed)
    if not minimum <= day <= maximum:
        raise _fail(name, day, allowed)
    return day


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise _fail(name, value, f"must be one of {', '.join(choices)}")
    return value


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number within ``[minimum, maximum]``."""
    if minimum is not None and maximum is not None:
        allowed = f"must be a whole number between {minimum} and {maximum}"
    elif minimum is not None:
        allowed = f"must be a whole number >= {minimum}"
    else:
        allowed = "must be a whole number"
    if isinstance(value, bool) or _is_numpy(value, "bool_"):
        raise _fail(name, value, allowed)
    if isinstance(value, float) or _is_numpy(value, "floating"):
        if not math.isfinite(value) or value != int(value):
            raise _fail(name, value, allowed)
        value = int(value)
    if not (isinstance(value, int) or _is_numpy(value, "integer")):
        raise _fail(name, value, allowed)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _fail(name, value, allowed)
    return value
