"""The analyst's own data: a folder of the tables they replace or extend, merged over the shipped data.

``--data DIR`` (on ``run``, ``numbers``, ``figure``, ``cite``; :func:`prepare_data` for a sweep)
takes either a whole data folder (one with a ``datapackage.json``, as before) or an *overlay*: a
folder holding only some tables, ``prices.csv`` with one new row, ``sources.csv`` with the source
it comes from. An overlay table

* is named after a table of the schema (:data:`rare_earths.data.schema.TABLES`);
* has a header with the table's primary key and required columns, in any order; the optional
  columns it leaves out are empty (``rare-earths template TABLE`` prints them);
* is merged row by row by the table's primary key: a row whose key is in the shipped table
  replaces that row, a new key is added at the end.

Each overlay table is first checked on its own with the loader's checks (types, enums, ranges,
duplicate keys), then the merged dataset with every cross-table rule of ``rare-earths validate``
(a ``source_id`` must be in ``sources.csv``, shipped or the overlay's own). Problems name the
overlay file and its own line; the first one is raised as :class:`OverlayError` (one line, with
how many more there are).

The merged dataset is written once, under ``~/.cache/rare-earths/overlays/<hash>/`` (the
overlay's and the shipped tables' bytes decide the hash; untouched files are links to the shipped
ones), and used through ``RARE_EARTHS_DATA`` (:func:`using_data`), so the chapters' kernels, the
registry and the figures read it like any data folder. The overlay folder itself is only read.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rare_earths.caches import cache_dir, make_cache_dir, trusted
from rare_earths.data.folder import data_dir
from rare_earths.data.reading import Problem
from rare_earths.data.schema import TABLES

DATAPACKAGE = "datapackage.json"

#: The overlay folders this process reads: command outputs never go there (see build.paths).
OVERLAYS_IN_USE: list[Path] = []


class OverlayError(ValueError):
    """An overlay folder that cannot be used; the message is one line naming file, line and column."""

    def __init__(self, problems: list[Problem] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        super().__init__(str(first) + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""))


@dataclass(frozen=True)
class DataSelection:
    """The data a command runs on: the folder to read, and the overlay it was merged from (if any)."""

    folder: Path
    overlay: Path | None = None
    sha256: str | None = None  # of the overlay's tables (names and bytes)
    tables: tuple[str, ...] = ()  # the tables the overlay replaces or extends
    sources: tuple[str, ...] = ()  # the source ids of the overlay's rows

    def record(self) -> dict:
        """What ``params.json`` records about the data."""
        if self.overlay is None:
            return {"folder": str(self.folder), "overlay": None}
        return {"folder": str(self.folder), "overlay": str(self.overlay), "overlay_sha256": self.sha256,
                "overlay_tables": list(self.tables), "overlay_sources": list(self.sources)}


def is_overlay(folder: str | os.PathLike) -> bool:
    """A folder without ``datapackage.json`` is an overlay; one with it is a whole data folder."""
    return not (Path(folder) / DATAPACKAGE).is_file()


def overlay_files(folder: Path) -> dict[str, Path]:
    """The overlay's tables by name; a CSV that is not a table of the schema is an error."""
    if not folder.is_dir():
        raise OverlayError(f"--data {folder}: no such folder")
    found: dict[str, Path] = {}
    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix.lower() != ".csv":
            continue
        name = path.stem
        if name not in TABLES:
            import difflib

            close = difflib.get_close_matches(name, TABLES, n=1)
            hint = f" (did you mean {close[0]}.csv?)" if close else ""
            problems.append(Problem(str(path), None, None, f"not a table of the dataset{hint}; tables are: {', '.join(TABLES)}"))
        else:
            found[name] = path
    if problems:
        raise OverlayError(problems)
    if not found:
        raise OverlayError(f"--data {folder}: holds no table (CSV files named after tables: {', '.join(TABLES)}) "
                           f"and no {DATAPACKAGE}")
    return found


def overlay_sha256(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(files[name].name.encode() + b"\0")
        digest.update(files[name].read_bytes() + b"\0")
    return digest.hexdigest()


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return (rows[0] if rows else []), rows[1:]


def _normalised(name: str, path: Path) -> tuple[list[list[str]], list[Problem]]:
    """The overlay table's rows in the schema's column order (left-out optional columns empty)."""
    table = TABLES[name]
    where = str(path)
    try:
        header, rows = _read_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        return [], [Problem(where, None, None, f"cannot read the CSV ({type(err).__name__}: {err})")]
    header = [h.strip() for h in header]
    problems = []
    declared = table.column_names
    for col in header:
        if col not in declared:
            problems.append(Problem(where, 1, col, f"column is not in the schema of {name} (see `rare-earths template {name}`)"))
    if len(set(header)) != len(header):
        problems.append(Problem(where, 1, None, "a column is named twice in the header"))
    needed = [f.name for f in table.fields if f.required or f.name in table.primary_key]
    for col in needed:
        if col not in header:
            problems.append(Problem(where, 1, col, "required column is missing from the header"))
    if problems:
        return [], problems
    position = {col: i for i, col in enumerate(header)}
    out = []
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            problems.append(Problem(where, number, None, f"has {len(row)} cells, the header {len(header)}"))
            continue
        out.append([row[position[col]] if col in position else "" for col in declared])
    return out, problems


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _key(table, row: list[str]) -> tuple[str, ...]:
    columns = table.column_names
    return tuple(row[columns.index(k)].strip() for k in table.primary_key)


def _cache_root() -> Path:
    return cache_dir("overlays")


def prepare_data(folder: str | os.PathLike | None, base: str | os.PathLike | None = None) -> DataSelection:
    """The data folder to run on for ``--data FOLDER``: the folder itself when it is a whole data
    folder, else the overlay merged over ``base`` (default: the shipped data) and validated.

    Raises :class:`OverlayError` (one line: file, line, column) when the overlay is not valid.
    """
    if folder is None:
        return DataSelection(data_dir(base))
    given = Path(folder).expanduser()
    if not given.exists():
        raise OverlayError(f"--data {folder}: no such folder")
    if not is_overlay(given):
        return DataSelection(data_dir(given))
    overlay = given.resolve()
    if overlay not in OVERLAYS_IN_USE:
        OVERLAYS_IN_USE.append(overlay)
    shipped = data_dir(base)
    files = overlay_files(overlay)
    sha = overlay_sha256(files)
    digest = hashlib.sha256(sha.encode())
    for path in sorted(shipped.glob("*.csv")) + [shipped / DATAPACKAGE, shipped / "checked.json"]:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    target = _cache_root() / digest.hexdigest()[:24]

    # Each overlay table on its own first: the loader's own checks, on the overlay file's own lines.
    from rare_earths.data.load import read_table  # pandas: only for an overlay (a run on the shipped data starts its kernel first)

    problems: list[Problem] = []
    normalised: dict[str, list[list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="rare-earths-overlay-") as scratch:
        for name, path in files.items():
            rows, found = _normalised(name, path)
            problems += found
            if found:
                continue
            _write_csv(Path(scratch) / TABLES[name].path, TABLES[name].column_names, rows)
            _, table_problems = read_table(name, scratch)
            problems += [Problem(str(path), p.line, p.column, p.message) for p in table_problems]
            normalised[name] = rows
    if problems:
        raise OverlayError(problems)

    sources = sorted({row[TABLES[name].column_names.index("source_id")] for name, rows in normalised.items()
                      if "source_id" in TABLES[name].column_names for row in rows
                      if row[TABLES[name].column_names.index("source_id")].strip()})
    selection = DataSelection(target, overlay, sha, tuple(sorted(files)), tuple(sources))
    if trusted(target) and trusted(target / ".validated"):
        return selection
    if target.exists():  # damaged, or writable by another user: merge and validate again
        shutil.rmtree(target, ignore_errors=True)
        if target.exists():
            raise OverlayError(f"{target}: a merged overlay in the cache that this user cannot replace; remove it")

    # Merge by primary key, remembering where each merged line came from.
    make_cache_dir("overlays")
    tmp = Path(tempfile.mkdtemp(prefix=".merge-", dir=target.parent))
    origin: dict[tuple[str, int], tuple[str, int]] = {}  # (table file, merged line) -> (file, line)
    try:
        for entry in sorted(shipped.iterdir()):
            if entry.suffix == ".csv" and entry.stem in normalised:
                continue
            os.symlink(entry, tmp / entry.name)
        for name, rows in normalised.items():
            table = TABLES[name]
            header, base_rows = _read_rows(shipped / table.path)
            if header != table.column_names:  # the shipped table is checked by `validate`; keep its order
                raise OverlayError(f"{shipped / table.path}: header differs from the schema (run `rare-earths validate`)")
            merged = [list(r) for r in base_rows]
            index = {_key(table, r): i for i, r in enumerate(merged)}
            for i in range(len(merged)):
                origin[(table.path, i + 2)] = (str(shipped / table.path), i + 2)
            for number, row in enumerate(rows, start=2):
                key = _key(table, row)
                if key in index:
                    merged[index[key]] = row
                    origin[(table.path, index[key] + 2)] = (str(files[name]), number)
                else:
                    index[key] = len(merged)
                    merged.append(row)
                    origin[(table.path, len(merged) + 1)] = (str(files[name]), number)
            _write_csv(tmp / table.path, table.column_names, merged)
        from rare_earths.data.checks import validate_dataset

        problems = []
        for p in validate_dataset(tmp, reuse_validated=True):
            if p.file not in {TABLES[n].path for n in normalised}:
                continue  # the shipped tables' own problems are `rare-earths validate`'s business
            file, line = origin.get((p.file, p.line), (str(shipped / p.file), p.line))
            problems.append(Problem(file, line, p.column, p.message))
        if problems:
            raise OverlayError(sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.column or "")))
        (tmp / ".validated").write_text(f"{overlay}\n{sha}\n", encoding="utf-8")
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / ".validated").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process merged the same overlay first
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return selection


@contextlib.contextmanager
def using_data(folder: str | os.PathLike | None):
    """Within the block, every table is read from ``folder`` (``RARE_EARTHS_DATA``; None: as before)."""
    if folder is None:
        yield
        return
    before = os.environ.get("RARE_EARTHS_DATA")
    os.environ["RARE_EARTHS_DATA"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("RARE_EARTHS_DATA", None)
        else:
            os.environ["RARE_EARTHS_DATA"] = before


def template(name: str) -> dict:
    """What an overlay table needs: header, the columns it must have, and an example row (the
    first row of the shipped table, so it is valid as it is)."""
    if name not in TABLES:
        import difflib

        close = difflib.get_close_matches(name, TABLES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise OverlayError(f"table={name}: unknown table{hint}; tables are: {', '.join(TABLES)}")
    table = TABLES[name]
    header, rows = _read_rows(data_dir() / table.path)
    example = dict(zip(header, rows[0])) if rows else {}
    return {
        "table": name,
        "file": table.path,
        "primary_key": list(table.primary_key),
        "header": table.column_names,
        "required": [f.name for f in table.fields if f.required or f.name in table.primary_key],
        "columns": [{**f.descriptor(), "required": bool(f.required or f.name in table.primary_key)} for f in table.fields],
        "foreign_keys": [{"column": fk.fields[0], "table": fk.resource, "references": fk.reference_fields[0]}
                         for fk in table.foreign_keys],
        "example": example,
    }


def template_text(info: dict) -> str:
    """``rare-earths template TABLE`` as text: a CSV header and example row, then the columns."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(info["header"])
    writer.writerow([info["example"].get(c, "") for c in info["header"]])
    lines = [f"# {info['file']}: merged by {', '.join(info['primary_key'])} "
             "(a row with a key already shipped replaces it; a new key is added)",
             f"# required columns: {', '.join(info['required'])}; the others may be left out",
             buf.getvalue().rstrip("\n"), "#"]
    for col in info["columns"]:
        constraints = col.get("constraints", {})
        extra = []
        if "enum" in constraints:
            extra.append("one of " + ", ".join(constraints["enum"]))
        if "minimum" in constraints or "maximum" in constraints:
            extra.append(f"between {constraints.get('minimum', '-inf')} and {constraints.get('maximum', 'inf')}")
        if col["type"] == "date":
            extra.append("YYYY-MM-DD")
        for fk in info["foreign_keys"]:
            if fk["column"] == col["name"]:
                extra.append(f"a {fk['references']} of {fk['table']}.csv")
        flag = "required" if col["required"] else "optional"
        lines.append(f"# {col['name']} ({col['type']}, {flag}{', ' + col['unit'] if col.get('unit') else ''}): "
                     f"{col['description']}{' [' + '; '.join(extra) + ']' if extra else ''}")
    return "\n".join(lines)


__all__ = ["DataSelection", "OverlayError", "is_overlay", "prepare_data", "template", "template_text", "using_data"]
