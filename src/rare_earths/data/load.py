"""Load the curated tables: one call per table, typed, validated, cached.

>>> from rare_earths.data.load import load_table
>>> prices = load_table("prices")            # doctest: +SKIP

Each CSV is read as text, converted column by column to the type its schema declares
(:mod:`rare_earths.data.schema`), then checked by a pandera schema generated from the same
declaration. Any problem raises :class:`DataError`, which lists every problem as one line
naming the file, the CSV line and the column. Tables are cached per process and data folder.
Other processes skip pandera's validation of a table already validated: a plain JSON record in
``~/.cache/rare-earths/tables`` says that these exact CSV bytes passed under this schema, this
loader code (every module of ``rare_earths.data``) and these library versions (all part of its
key, and checked again when it is read). The table itself is always parsed from the CSV, never
read back from the cache, so nothing in the cache is executed or trusted as data; a damaged
record is ignored and written anew.

Where the data lives: :func:`rare_earths.data.folder.data_dir` (re-exported here).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from rare_earths.data.folder import data_dir, seeds_dir  # noqa: F401  (re-exported: where the data lives)
from rare_earths.data.reading import Problem  # noqa: F401  (re-exported: every problem is one)
from rare_earths.data.schema import TABLES, Table


class DataError(ValueError):
    """Raised when a table does not conform to its schema; ``problems`` lists each one."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line(index: int) -> int:
    # Row 0 of the frame is line 2 of the file: line 1 is the header.
    return int(index) + 2


#: A number as the dataset writes it: ASCII digits, a decimal point, an optional exponent; no
#: thousands separator and no decimal comma (``1,5`` would be read as 15 by a lenient parser).
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


def _not_a_number(text: str) -> str:
    if "," in text:
        return (f"not a number: {text!r}: write numbers with a decimal point and no thousands separator "
                "(1.5, 1234.5), never a decimal comma")
    return f"not a finite number: {text!r}"


def _parse_day(text: str):
    """``YYYY-MM-DD`` between DATE_MIN and DATE_MAX as a ``datetime.date``, else None."""
    import datetime as _dt
    import re

    from rare_earths.data.fields import DATE_MAX, DATE_MIN

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        day = _dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if DATE_MIN <= text <= DATE_MAX else None


def _not_a_date(text: str) -> str:
    from rare_earths.data.fields import DATE_MAX, DATE_MIN

    return f"not a valid date (YYYY-MM-DD between {DATE_MIN} and {DATE_MAX}): {text!r}"


def _convert(table: Table, raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """Cast each declared column from text to its type, recording cells that do not parse."""
    out = {}
    for fld in table.fields:
        if fld.name not in raw.columns:
            continue
        text = raw[fld.name].astype("string").str.strip()
        empty = text.isna() | (text == "")
        if fld.type == "string":
            col = text.mask(empty, pd.NA).astype("string")
        elif fld.type in ("number", "integer"):
            plain_number = text.str.fullmatch(_NUMBER).fillna(False).astype(bool)
            num = pd.to_numeric(text.where(plain_number & ~empty), errors="coerce").astype("float64")
            bad = ~empty & (num.isna() | ~np.isfinite(num.fillna(0.0)))
            for i in raw.index[bad]:
                problems.append(Problem(table.path, _line(i), fld.name, _not_a_number(text[i])))
            num = num.where(~bad) + 0.0  # + 0.0 turns -0 into 0
            if fld.type == "integer":
                frac = ~num.isna() & ((num != num.round()) | (num.abs() > 2**53))
                for i in raw.index[frac]:
                    problems.append(Problem(table.path, _line(i), fld.name, f"not a whole number: {text[i]!r}"))
                col = num.where(~frac).round().astype("Int64")
            else:
                col = num
        elif fld.type == "boolean":
            lowered = text.str.lower()
            col = lowered.map({"true": True, "false": False}).astype("boolean")
            bad = ~empty & col.isna()
            for i in raw.index[bad]:
                problems.append(Problem(table.path, _line(i), fld.name, f"not true/false: {text[i]!r}"))
        elif fld.type == "date":
            days = text.mask(empty, None).map(_parse_day, na_action="ignore")
            bad = ~empty & days.isna()
            for i in raw.index[bad]:
                problems.append(Problem(table.path, _line(i), fld.name, _not_a_date(text[i])))
            col = pd.to_datetime(days.where(~bad), errors="coerce").astype("datetime64[ns]")
        else:  # pragma: no cover - schema.py only declares the types above
            raise ValueError(f"unknown field type {fld.type!r} in {table.name}.{fld.name}")
        out[fld.name] = col
    return pd.DataFrame(out, index=raw.index)


@functools.cache
def pandera_schema(name: str):
    """The pandera ``DataFrameSchema`` for a table, generated from :mod:`rare_earths.data.schema`."""
    import pandera.pandas as pa

    table = TABLES[name]
    dtypes = {"string": "string", "number": "float64", "integer": "Int64", "boolean": "boolean", "date": "datetime64[ns]"}
    columns = {}
    for fld in table.fields:
        checks = []
        if fld.enum:
            checks.append(pa.Check.isin(list(fld.enum), error=f"value not one of {list(fld.enum)}"))
        if fld.minimum is not None:
            checks.append(pa.Check.ge(fld.minimum, error=f"value below the minimum {fld.minimum:g}"))
        if fld.maximum is not None:
            checks.append(pa.Check.le(fld.maximum, error=f"value above the maximum {fld.maximum:g}"))
        if fld.pattern:
            checks.append(pa.Check.str_matches(fld.pattern, error=f"value does not match {fld.pattern}"))
        columns[fld.name] = pa.Column(dtypes[fld.type], checks=checks, nullable=not fld.required, required=True)
    return pa.DataFrameSchema(
        columns,
        strict=True,
        unique=list(table.primary_key),
        report_duplicates="all",
        name=table.name,
    )


def _schema_problems(table: Table, typed: pd.DataFrame) -> list[Problem]:
    import pandera.errors as pe

    try:
        pandera_schema(table.name).validate(typed, lazy=True)
    except pe.SchemaErrors as err:
        problems = []
        cases = err.failure_cases
        for rec in cases.to_dict("records"):
            index = rec.get("index")
            line = None if index is None or pd.isna(index) else _line(int(index))
            column = rec.get("column")
            check = str(rec.get("check"))
            failure = rec.get("failure_case")
            if check == "not_nullable":
                msg = "required value is missing"
            elif "multiple_fields_uniqueness" in check or check == "unique":
                key = ", ".join(table.primary_key)
                msg = f"duplicate primary key ({key})"
                column = column if isinstance(column, str) and column in table.column_names else ", ".join(table.primary_key)
            elif check.startswith("dtype"):
                msg = f"wrong type: {failure}"
            else:
                msg = f"{check}: got {failure!r}"
            problems.append(Problem(table.path, line, column if isinstance(column, str) else None, msg))
        return sorted(set(problems), key=lambda p: (p.line or 0, p.column or "", p.message))
    return []


def read_table(name: str, data: str | os.PathLike | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and type one table without raising: returns the frame and the list of problems."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables are: {', '.join(TABLES)}")
    table = TABLES[name]
    path = data_dir(data) / table.path
    if not path.is_file():
        return pd.DataFrame(columns=table.column_names), [Problem(table.path, None, None, f"file not found in {path.parent}")]
    return _parse(table, path.read_bytes(), validate=True)


def _parse(table: Table, content: bytes, validate: bool) -> tuple[pd.DataFrame, list[Problem]]:
    """Type a table from its CSV bytes (strictly read: rare_earths.data.reading); ``validate``: also
    run the pandera schema."""
    from rare_earths.data.reading import read_csv_bytes

    parsed = read_csv_bytes(content, table.path)
    if parsed.problems and not parsed.header:  # nothing readable: empty, UTF-16, broken CSV
        return pd.DataFrame(columns=table.column_names), parsed.problems
    problems: list[Problem] = list(parsed.problems)
    declared = table.column_names
    for col in declared:
        if col not in parsed.header:
            problems.append(Problem(table.path, 1, col, "required column is missing from the header"))
    for col in parsed.header:
        if col not in declared:
            problems.append(Problem(table.path, 1, col, "column is not in the schema"))
    if problems:
        return pd.DataFrame(columns=table.column_names), sorted(problems, key=lambda p: (p.line or 0, p.column or ""))
    raw = pd.DataFrame(parsed.rows, columns=parsed.header, dtype="string")
    if list(raw.columns) != declared:
        problems.append(Problem(table.path, 1, None, f"columns are out of order; expected {declared}"))
    typed = _convert(table, raw, problems)
    if validate:
        # A cell that failed to parse is also null after conversion: report it once, as unparseable.
        unparsed = {(p.line, p.column) for p in problems}
        problems.extend(
            p for p in _schema_problems(table, typed)
            if not (p.message == "required value is missing" and (p.line, p.column) in unparsed)
        )
    problems = physical_lines(problems, table.path, parsed.lines)
    problems.sort(key=lambda p: (p.line or 0, p.column or "", p.message))
    typed.attrs["csv_lines"] = RowLines(parsed.lines)
    return typed, problems


class RowLines(tuple):
    """Each row's first physical line in its CSV file, as a frame's ``attrs["csv_lines"]``.

    Immutable, so a deep copy is the object itself: pandas deep-copies ``attrs`` into every frame and
    series derived from a table, and copying a list of ints element by element made
    ``rare-earths validate`` about 13 % slower (3.9 s against 3.4 s on the shipped data). A tuple still compares by value, as pandas' ``concat`` and
    ``merge`` do to decide which ``attrs`` the result keeps."""

    __slots__ = ()

    def __deepcopy__(self, memo) -> "RowLines":
        return self


def physical_lines(problems: list[Problem], file: str, lines: list[int]) -> list[Problem]:
    """Problems of ``file`` located by row (line = row index + 2) re-located at the physical line
    where that row starts (``lines``: each row's first line, as read), so a multi-line cell above
    does not shift the line an editor is sent to."""
    out = []
    for p in problems:
        if p.file == file and p.line is not None and 2 <= p.line < len(lines) + 2:
            p = Problem(p.file, lines[p.line - 2], p.column, p.message)
        out.append(p)
    return out


#: Format of the validation records in the cache (part of their key).
_RECORD_FORMAT = 1


@functools.cache
def loader_code_digest() -> str:
    """SHA-256 of what turns CSV bytes into a validated table: every module of ``rare_earths.data``
    (the loader, the schema, the field types, ...) and the pandas, pandera and numpy versions."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"{pd.__version__}|{version('pandera')}|{np.__version__}|{_RECORD_FORMAT}".encode())
    for module in loader_code_files():
        digest.update(module.name.encode() + b"\0" + module.read_bytes() + b"\0")
    return digest.hexdigest()


def loader_code_files() -> list[Path]:
    """The modules whose code decides what a table becomes: all of ``rare_earths.data``."""
    return sorted(Path(__file__).resolve().parent.glob("*.py"))


def validation_key(name: str, content: bytes) -> str:
    """The key of a table's validation record: its CSV bytes, its schema and the loader's code."""
    import hashlib
    import json

    digest = hashlib.sha256(content)
    digest.update(json.dumps(TABLES[name].descriptor(), sort_keys=True).encode())
    digest.update(loader_code_digest().encode())
    return digest.hexdigest()


def tables_cache_dir() -> Path:
    from rare_earths.caches import cache_dir

    return cache_dir("tables")


def _record_path(name: str, key: str) -> Path:
    return tables_cache_dir() / f"{name}-{key[:32]}.json"


def _record_says_valid(path: Path, name: str, key: str) -> bool:
    """True only for a well-formed record of exactly this table and key, which only this user could
    have written (:func:`rare_earths.caches.trusted`); anything else is ignored."""
    import json

    from rare_earths.caches import trusted

    if not trusted(path):
        return False
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record == {"format": _RECORD_FORMAT, "table": name, "key": key, "valid": True}


def _write_record(path: Path, name: str, key: str) -> None:
    import json
    import tempfile

    from rare_earths.caches import make_cache_dir

    try:
        make_cache_dir("tables")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"format": _RECORD_FORMAT, "table": name, "key": key, "valid": True}, fh)
        os.replace(tmp, path)  # atomic: parallel chapters never read half a record
    except OSError:
        pass  # a read-only cache only costs the validation next time


@functools.cache
def _load_cached(name: str, folder: str) -> pd.DataFrame:
    # Validation (pandera) costs most of a table's load time. The table is parsed from the bytes
    # just read (so what is checked is what is used) and pandera runs unless a record says these
    # bytes already passed under the same schema and code.
    table = TABLES[name]
    path = Path(folder) / table.path
    try:
        content = path.read_bytes()  # read (not only stat) so dependency tracking sees the data file
    except FileNotFoundError:
        raise DataError([Problem(table.path, None, None, f"file not found in {path.parent}")]) from None
    key = validation_key(name, content)
    record = _record_path(name, key)
    if _record_says_valid(record, name, key):
        frame = _typed_quickly(table, content)
        if frame is not None:
            return frame
    frame, problems = _parse(table, content, validate=True)
    if problems:
        raise DataError(problems)
    _write_record(record, name, key)
    return frame


def _typed_quickly(table: Table, content: bytes) -> pd.DataFrame | None:
    """The typed table of CSV bytes already known to be valid, as :func:`_convert` types it (the
    same pandas conversions, one call per column instead of several), or None at anything
    irregular, which then takes the full path and its messages. A test compares the two on every table."""
    import csv
    import io

    try:
        rows = [r for r in csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")) if r]
    except (UnicodeDecodeError, csv.Error):
        return None
    if not rows or rows[0] != table.column_names or any(len(r) != len(rows[0]) for r in rows):
        return None
    index = pd.RangeIndex(len(rows) - 1)
    out = {}
    for i, fld in enumerate(table.fields):
        text = [r[i].strip() for r in rows[1:]]
        cells = [t if t != "" else None for t in text]
        if fld.type == "string":
            col = pd.Series(pd.array(cells, dtype="string"), index=index)
        elif fld.type in ("number", "integer"):
            num = pd.to_numeric(pd.Series([c.replace(",", "") if c is not None else None for c in cells],
                                          index=index, dtype=object), errors="coerce").astype("float64")
            given = np.array([c is not None for c in cells], dtype=bool)
            if (given & ~np.isfinite(num.to_numpy())).any():
                return None
            if fld.type == "integer":
                if (given & (num.to_numpy() != np.round(num.to_numpy()))).any():
                    return None
                num = num.round().astype("Int64")
            col = num
        elif fld.type == "boolean":
            values = {"true": True, "false": False}
            if any(c is not None and c.lower() not in values for c in cells):
                return None
            col = pd.Series(pd.array([values[c.lower()] if c is not None else None for c in cells], dtype="boolean"),
                            index=index)
        elif fld.type == "date":
            col = pd.Series(pd.to_datetime(pd.Series(cells, index=index, dtype=object), format="%Y-%m-%d",
                                           errors="coerce"), index=index)
            if any(c is not None for c, v in zip(cells, col.isna()) if v):
                return None
            col = col.astype("datetime64[ns]")
        else:  # pragma: no cover - schema.py only declares the types above
            return None
        out[fld.name] = col
    return pd.DataFrame(out, index=index)


def load_table(name: str, data: str | os.PathLike | None = None) -> pd.DataFrame:
    """One validated table as a typed DataFrame (a copy: callers may modify it freely)."""
    return _load_cached(name, str(data_dir(data))).copy()


#: How many times :func:`clear_cache` ran: what is derived from loaded tables is keyed by it.
_GENERATION = [0]


def clear_cache() -> None:
    """Forget loaded tables (tests that edit data call this), and so what was derived from them."""
    _load_cached.cache_clear()
    _GENERATION[0] += 1


def loaded_key(data: str | os.PathLike | None = None) -> tuple[str, int]:
    """What a value derived from the loaded tables of ``data`` is keyed by: the folder and the
    :func:`cache_generation` (the shared store and the data-derived parameter defaults use it)."""
    return str(data_dir(data)), cache_generation()


def cache_generation() -> int:
    """Changes whenever :func:`clear_cache` runs: a cache of values derived from loaded tables
    (:func:`rare_earths.numbers.model.shared_store`) keys on it, as the tables themselves do."""
    return _GENERATION[0]


def source_ids(data: str | os.PathLike | None = None) -> set[str]:
    return set(load_table("sources", data)["source_id"])


def data_version(folder: str | os.PathLike | None = None) -> str:
    """Content hash of the curated tables (first 12 hex digits of SHA-256 over every CSV)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(data_dir(folder).glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


#: The file in the data folder that dates the dataset (see :func:`data_checked_to`).
CHECKED_FILE = "checked.json"


def data_checked_to(data: str | os.PathLike | None = None):
    """The date through which the dataset's sources were searched ("data checked to").

    Read from ``checked.json`` in the data folder. The book is dated by it, not by its build:
    ``as_of`` defaults to it, and pages, figures and citations carry it.
    """
    import datetime as _dt
    import json

    path = data_dir(data) / CHECKED_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return _dt.date.fromisoformat(str(record["data_checked_to"]))
    except FileNotFoundError:
        raise DataError([Problem(CHECKED_FILE, None, None, "file not found: it dates the dataset "
                                 '({"data_checked_to": "YYYY-MM-DD"})')]) from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise DataError([Problem(CHECKED_FILE, None, "data_checked_to",
                                 f"not a date YYYY-MM-DD under the key data_checked_to ({type(err).__name__}: {err})")]) from None
