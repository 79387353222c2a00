"""Named scenarios: a small TOML file of parameters, checked exactly like ``-p``.

A scenario file::

    name = "fast-buildout"
    description = "Every project starts when announced ..."

    [parameters]
    delay_scale = 0.0
    ramp_up_years = { number = "outlook.reference_ramp_years", part = "low" }

holds a ``name`` (lower-case words joined by dashes), a ``description`` that says where each
value comes from, and ``parameters``. Nothing else is allowed. A parameter's value is either
typed (a TOML number, string or date, of the parameter's type) or a reference to the data, so
the scenario follows the data rather than a number typed into it:

* ``{ number = "ID", part = "value" | "low" | "high", times = 0.01, round = "up" | "nearest" }``:
  a key number of the published book (the registry under the default parameters);
* ``{ claim = "C24", part = "value" | "low" | "high", times = 0.01 }``: a claim's stated value
  (``claims.csv``).

Every value is then checked by the parameter's own check, the one ``-p NAME=VALUE`` uses, so a
scenario and the command line accept and refuse the same values with the same words; ``-p``
given beside ``--scenario`` overrides the scenario's value. Any problem raises
:class:`ScenarioError`, one line naming the file and, where it can be found, the line.

The book ships its scenarios in ``scenarios/`` at the top of the checkout (:func:`list_scenarios`);
``--scenario NAME`` names one of them, ``--scenario PATH`` any file. :func:`scenario_overrides`
is what ``run``, ``numbers``, ``figure``, ``cite`` (and a sweep) call to turn a scenario and
``-p`` assignments into one dict of checked overrides.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from rare_earths.params.checks import ParameterError, plain
from rare_earths.params.declarations import PARAMETERS, RANGE_PAIRS
from rare_earths.params.resolve import check_cross, get_parameter, parse_assignments

def _shipped_folder() -> Path:
    """``scenarios/`` at the top of a source checkout, else the copy an installed wheel carries
    (``rare_earths/_scenarios``, as the data travels in ``rare_earths/_data``)."""
    package = Path(__file__).resolve().parents[1]
    checkout = package.parents[1] / "scenarios"
    bundled = package / "_scenarios"
    return checkout if checkout.is_dir() or not bundled.is_dir() else bundled


#: The folder of the shipped scenarios.
SCENARIO_DIR = _shipped_folder()

TOP_KEYS = ("name", "description", "parameters")
REFERENCE_KEYS = {"number": ("number", "part", "times", "round"), "claim": ("claim", "part", "times")}
PARTS = ("value", "low", "high")
ROUNDINGS = ("up", "nearest")
_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ScenarioError(ParameterError):
    """A scenario that cannot be used; the message is one line naming the file (and line)."""


@dataclass(frozen=True)
class Scenario:
    """A checked scenario: its typed parameter values, and for each one where it came from."""

    name: str
    description: str
    path: Path
    parameters: dict[str, Any]
    basis: dict[str, str] = field(default_factory=dict)  # parameter -> "typed" or the reference used
    sha256: str = ""

    @property
    def shipped(self) -> bool:
        return self.path.parent.resolve() == SCENARIO_DIR.resolve()

    def as_dict(self) -> dict:
        """What ``rare-earths scenarios --json`` prints and ``params.json`` records."""
        return {
            "name": self.name,
            "description": self.description,
            "file": str(self.path),
            "shipped": self.shipped,
            "sha256": self.sha256,
            "parameters": {k: plain(v) for k, v in self.parameters.items()},
            "basis": dict(self.basis),
        }


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def _key_line(text: str, key: str, section: str | None = None) -> int | None:
    """The line where ``key = ...`` is written (inside ``[section]`` when given), if it can be found."""
    current = None
    pattern = re.compile(rf"^\s*(?:\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
    inline = re.compile(rf"[{{,]\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).strip("\"'")
            continue
        if (section is None or current == section) and pattern.match(line):
            return number
        if section is not None and current is None and re.match(rf"^\s*{re.escape(section)}\s*=", line) and inline.search(line):
            return number
    return None


def find_scenario(name_or_path: str | os.PathLike) -> Path:
    """The file of a scenario: a path to a file, or the name of a shipped scenario."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if _NAME.match(text):
        shipped = SCENARIO_DIR / f"{text}.toml"
        if shipped.is_file():
            return shipped
        names = [p.stem for p in sorted(SCENARIO_DIR.glob("*.toml"))]
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ScenarioError(f"--scenario {text}: no such file, and not a shipped scenario{hint}; "
                            f"shipped: {', '.join(names) or 'none'} (see `rare-earths scenarios`)")
    raise ScenarioError(f"--scenario {text}: no such file")


def load_scenario(name_or_path: str | os.PathLike) -> Scenario:
    """Read and check a scenario (a file or a shipped name). Raises :class:`ScenarioError`."""
    path = find_scenario(name_or_path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot read the scenario ({type(err).__name__}: {err})") from None
    if path.suffix.lower() != ".toml":
        raise ScenarioError(f"{path}: a scenario is a TOML file ending in .toml")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        if found:
            where = f"{path}:{found.group(1)}: column {found.group(2)}:"
        elif "end of document" in str(err):
            where = f"{path}:{max(1, len(text.splitlines()))}:"
        else:
            where = f"{path}:"
        raise ScenarioError(f"{where} not valid TOML: {message}") from None
    for key in doc:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ScenarioError(f"{_where(path, _key_line(text, key))}: unknown key {key!r}{hint}; "
                                f"a scenario has {', '.join(TOP_KEYS)}")
    for key in TOP_KEYS:
        if key not in doc:
            raise ScenarioError(f"{path}: missing key {key!r} (a scenario has {', '.join(TOP_KEYS)})")
    name, description, given = doc["name"], doc["description"], doc["parameters"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ScenarioError(f"{_where(path, _key_line(text, 'name'))}: name must be lower-case words joined by "
                            f"dashes (e.g. fast-buildout), got {name!r}")
    if not isinstance(description, str) or not description.strip():
        raise ScenarioError(f"{_where(path, _key_line(text, 'description'))}: description must be text saying "
                            "where the scenario's values come from")
    if not isinstance(given, dict):
        raise ScenarioError(f"{_where(path, _key_line(text, 'parameters'))}: parameters must be a table "
                            "([parameters] with NAME = VALUE lines)")
    values: dict[str, Any] = {}
    basis: dict[str, str] = {}
    for pname, value in given.items():
        where = _where(path, _key_line(text, pname, "parameters"))
        try:
            get_parameter(pname)
        except ParameterError as err:
            raise ScenarioError(f"{where}: {err}") from None
        if isinstance(value, dict):
            value, basis[pname] = _reference(where, pname, value)
        else:
            basis[pname] = "typed in the scenario"
        values[pname] = _checked(where, pname, value)
    try:
        _check_cross_with_defaults(values)
    except ParameterError as err:
        raise ScenarioError(f"{path}: {err}") from None
    return Scenario(name, " ".join(description.split()), path, values, basis, hashlib.sha256(raw).hexdigest())


def _checked(where: str, name: str, value: Any) -> Any:
    """A TOML value of the parameter's type, checked by the parameter's own check (as ``-p``)."""
    param = PARAMETERS[name]
    wrong = None
    if param.type is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            wrong = "a number"
    elif param.type is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            wrong = "a whole number"
    elif param.type is _dt.date:
        if isinstance(value, _dt.datetime) or not isinstance(value, (_dt.date, str)):
            wrong = "a date (YYYY-MM-DD)"
    elif not isinstance(value, str):
        wrong = "text"
    if wrong:
        shown = value.isoformat() if isinstance(value, (_dt.date, _dt.time)) else repr(value)
        raise ScenarioError(f"{where}: {name}={shown}: wrong type {type(value).__name__}, expected {wrong} "
                            f"({param.allowed})")
    try:
        return param.parse(value) if isinstance(value, str) else param.check(value)
    except ParameterError as err:
        raise ScenarioError(f"{where}: {err}") from None


def _reference(where: str, name: str, ref: dict) -> tuple[Any, str]:
    """The value a ``{ number = ... }`` or ``{ claim = ... }`` reference stands for, and its description."""
    kinds = [k for k in REFERENCE_KEYS if k in ref]
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: {name}: a reference names exactly one of number = \"ID\" or claim = \"ID\", "
                            f"got keys {', '.join(sorted(ref)) or 'none'}")
    kind = kinds[0]
    for key in ref:
        if key not in REFERENCE_KEYS[kind]:
            raise ScenarioError(f"{where}: {name}: unknown key {key!r} in a {kind} reference "
                                f"(allowed: {', '.join(REFERENCE_KEYS[kind])})")
    target, part = ref[kind], ref.get("part", "value")
    times, rounding = ref.get("times", 1), ref.get("round")
    if not isinstance(target, str):
        raise ScenarioError(f"{where}: {name}: {kind} must be an id in quotes, got {target!r}")
    if part not in PARTS:
        raise ScenarioError(f"{where}: {name}: part={part!r}: must be one of {', '.join(PARTS)}")
    if isinstance(times, bool) or not isinstance(times, (int, float)) or not math.isfinite(times):
        raise ScenarioError(f"{where}: {name}: times={times!r}: must be a finite number")
    if rounding is not None and rounding not in ROUNDINGS:
        raise ScenarioError(f"{where}: {name}: round={rounding!r}: must be one of {', '.join(ROUNDINGS)}")
    if kind == "number":
        from rare_earths.numbers import UnknownNumberError, domains_of, select

        try:
            (number,) = select(_published_numbers(tuple(domains_of([target]) or ())), [target])
        except (UnknownNumberError, ValueError) as err:
            raise ScenarioError(f"{where}: {name}: {err.args[0] if err.args else err}") from None
        raw = {"value": number.value, "low": number.low, "high": number.high}[part]
        label = f"key number {target} ({part}) under the default parameters"
    else:
        from rare_earths.data.load import load_table

        claims = load_table("claims").set_index("claim_id")
        if target not in claims.index:
            close = difflib.get_close_matches(target, list(claims.index), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ScenarioError(f"{where}: {name}: claim {target!r} is not in claims.csv{hint}")
        raw = claims.at[target, part]
        label = f"claim {target} ({part}) in claims.csv"
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw) in ("<NA>", "nan", "NaT"):
        raise ScenarioError(f"{where}: {name}: {label} has no value")
    value = float(raw) * times
    if rounding == "up":
        value = float(math.ceil(value - 1e-9))
    elif rounding == "nearest":
        value = float(round(value))
    elif PARAMETERS[name].type is float:
        value = float(f"{value:.12g}")  # no float noise (0.30000000000000004) in a value that is printed
    if PARAMETERS[name].type is int:
        if not value.is_integer():
            raise ScenarioError(f"{where}: {name}: {label} gives {value:g}, not a whole number (add round = \"up\" "
                                "or \"nearest\")")
        value = int(value)
    if times != 1:
        label += f" x {times:g}"
    if rounding:
        label += f", rounded {rounding}"
    return value, label


def _published_numbers(domains: tuple[str, ...]) -> list:
    """The registry's numbers of ``domains`` under the default parameters, on the data in use
    (computed once per process and data folder: scenarios often refer to the same domain)."""
    from rare_earths.data.load import data_dir
    from rare_earths.numbers import compute_numbers

    key = (str(data_dir()), domains)
    if key not in _PUBLISHED:
        _PUBLISHED[key] = compute_numbers({}, domains=list(domains))
    return _PUBLISHED[key]


_PUBLISHED: dict[tuple, list] = {}


def _check_cross_with_defaults(values: dict) -> None:
    merged = dict(values)
    for low, high in RANGE_PAIRS:
        if low in values or high in values:
            for pname in (low, high):
                merged.setdefault(pname, PARAMETERS[pname].resolve_default())
    check_cross(merged)


def _parse_each(assignments: Iterable[str]) -> dict:
    """``NAME=VALUE`` texts, each parsed and checked as ``-p`` does (the cross rules come after)."""
    out: dict[str, Any] = {}
    for text in assignments:
        if "=" not in text:
            raise ParameterError(f"{text!r}: expected NAME=VALUE (e.g. cost_gap_high=0.5)")
        name, _, value = text.partition("=")
        if not name.strip():
            raise ParameterError(f"{text!r}: missing parameter name before '='")
        out[name.strip()] = get_parameter(name.strip()).parse(value)
    return out


def list_scenarios() -> list[Scenario]:
    """The shipped scenarios, by name (each checked: a broken shipped scenario raises)."""
    return [load_scenario(path) for path in sorted(SCENARIO_DIR.glob("*.toml"))]


@dataclass(frozen=True)
class Inputs:
    """What a command runs under: the checked overrides, the scenario (if any) and what it set aside."""

    overrides: dict[str, Any]
    scenario: Scenario | None = None
    not_taken: tuple[str, ...] = ()  # scenario parameters the chapter does not take

    def scenario_record(self) -> dict | None:
        if self.scenario is None:
            return None
        return {**self.scenario.as_dict(), "not_taken_by_chapter": list(self.not_taken)}


def scenario_overrides(scenario: str | os.PathLike | Scenario | None, assignments: Iterable[str] = (),
                       chapter: str | None = None) -> Inputs:
    """A scenario's parameters with ``-p`` assignments on top, checked: one dict of overrides.

    ``chapter`` (``run CHAPTER``): the scenario is book-wide, so the chapter takes the scenario's
    parameters that are its own and sets the others aside (``not_taken``); a scenario that sets
    none of them is an error, and ``-p`` must name the chapter's parameters, as without a scenario.
    """
    if scenario is None:
        return Inputs(parse_assignments(list(assignments)))
    given = _parse_each(assignments)  # the cross rules are checked once -p is merged with the scenario
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    values = dict(loaded.parameters)
    not_taken: tuple[str, ...] = ()
    if chapter is not None:
        from rare_earths.params.resolve import chapter_parameters

        takes = [p.name for p in chapter_parameters(chapter)]
        not_taken = tuple(k for k in values if k not in takes)
        values = {k: v for k, v in values.items() if k in takes}
        if loaded.parameters and not values:
            raise ScenarioError(f"{loaded.path}: scenario {loaded.name!r} sets no parameter of chapter {chapter!r} "
                                f"(it sets {', '.join(loaded.parameters)}; the chapter takes: {', '.join(takes) or 'none'})")
    values.update(given)
    try:
        _check_cross_with_defaults(values)
    except ParameterError as err:
        raise ScenarioError(f"{loaded.path} with -p: {err}") from None
    return Inputs(values, loaded, not_taken)


__all__ = ["SCENARIO_DIR", "Inputs", "Scenario", "ScenarioError", "find_scenario", "list_scenarios", "load_scenario",
           "scenario_overrides"]
