"""Whole-dataset validation: every table against its schema, then the cross-table rules.

``rare-earths validate [--data DIR]`` prints :func:`validate_dataset`'s problems one per
line (file, CSV line, column, message) and exits non-zero if there are any. It never
writes to the data folder.

Cross-table rules checked here (the per-table schema checks live in :mod:`rare_earths.data.load`):

* the shipped ``datapackage.json`` equals the descriptor generated from :mod:`rare_earths.data.schema`;
* every foreign key (source ids, claim ids) points at an existing row;
* for each USGS edition and year, country production rows sum to within rounding of the
  published world total, and country reserves are consistent with a ">" world total;
* shares of one source, year, stage, basket and basis add up to at most 100 %;
* ``low <= high`` wherever a table keeps a range, and an end date is not before its start;
* every claim states exactly one of a value, a low/high pair or a date range, its quote is found verbatim in
  its seed file, and its seed date equals the seed source's publication date.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from rare_earths import __version__
from rare_earths.data.load import DataError, Problem, data_checked_to, data_dir, physical_lines, read_table
from rare_earths.data.rounding import rounding_tolerance
from rare_earths.data.schema import TABLES, datapackage_descriptor

DATAPACKAGE = "datapackage.json"


def _line(index) -> int:
    return int(index) + 2


def _check_datapackage(folder: Path) -> list[Problem]:
    path = folder / DATAPACKAGE
    if not path.is_file():
        return [Problem(DATAPACKAGE, None, None, "file not found (generate it with `python scripts/generate.py`)")]
    try:
        shipped = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        return [Problem(DATAPACKAGE, err.lineno, None, f"not valid JSON: {err.msg}")]
    try:
        checked = data_checked_to(folder).isoformat()
    except DataError as err:
        return list(err.problems)
    expected = datapackage_descriptor(__version__, checked)
    if shipped != expected:
        return [Problem(DATAPACKAGE, None, None, "differs from the schema in rare_earths/data/schema.py (regenerate it with `python scripts/generate.py`)")]
    return []


def _check_foreign_keys(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    problems = []
    for table in TABLES.values():
        frame = frames.get(table.name)
        if frame is None:
            continue
        for fk in table.foreign_keys:
            target = frames.get(fk.resource)
            if target is None:
                continue
            (col,), (ref,) = fk.fields, fk.reference_fields
            known = set(target[ref].dropna())
            for i, value in frame[col].items():
                if pd.notna(value) and value not in known:
                    problems.append(
                        Problem(table.path, _line(i), col, f"{value!r} is not a {ref} in {fk.resource}.csv")
                    )
    return problems


def _check_world_totals(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    path = TABLES["usgs_country_supply"].path
    published = frame[frame["measure"].isin(["mine_production", "reserves"])]  # USGS prints no world resources total
    for (edition, version, measure, year), group in published.groupby(["edition", "version", "measure", "year"]):
        totals = group[group["is_world_total"]]
        countries = group[~group["is_world_total"]]
        if len(totals) != 1:
            problems.append(
                Problem(path, None, "is_world_total", f"{edition} v{version} {measure} {year}: expected one world total row, found {len(totals)}")
            )
            continue
        total_row = totals.iloc[0]
        total = total_row["value_t_reo"]
        if pd.isna(total):
            continue
        listed = countries["value_t_reo"].sum(skipna=True)
        tol = rounding_tolerance(total)
        where = Problem(path, _line(totals.index[0]), "value_t_reo", "")
        if total_row["bound"] == "=":
            if abs(listed - total) > tol:
                problems.append(
                    Problem(where.file, where.line, where.column,
                            f"{edition} v{version} {measure} {year}: countries sum to {listed:,.0f}, "
                            f"not within rounding (±{tol:,.0f}) of the world total {total:,.0f}")
                )
        elif total_row["bound"] in (">", ">="):
            # A '>' total is a lower bound on the world: listed countries must not fall short of it.
            if listed < total - tol:
                problems.append(
                    Problem(where.file, where.line, where.column,
                            f"{edition} v{version} {measure} {year}: countries sum to {listed:,.0f}, "
                            f"below the world lower bound >{total:,.0f}")
                )
    return problems


def _check_share_sums(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    path = TABLES["stage_shares"].path
    keys = ["source_id", "edition", "year", "stage", "basket", "basis", "scenario"]
    for key, group in frame.groupby(keys, dropna=False):
        total = group["share_pct"].sum()
        if total > 100.5:  # half a point of rounding
            problems.append(
                Problem(path, _line(group.index[0]), "share_pct",
                        f"shares for {dict(zip(keys, key))} add up to {total:.1f}%, over 100%")
            )
    return problems


def _check_ranges(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    pairs = {
        "claims": [("low", "high"), ("date_low", "date_high")],
        "prices": [("price_low_usd_per_kg", "price_high_usd_per_kg")],
        "projects": [("capacity_low", "capacity_high")],
        "events": [("date", "end_date")],
        "usgs_us_imports": [("year_start", "year_end")],
    }
    problems = []
    for name, cols in pairs.items():
        frame = frames.get(name)
        if frame is None:
            continue
        for low, high in cols:
            bad = frame[low].notna() & frame[high].notna() & (frame[low] > frame[high])
            for i in frame.index[bad]:
                problems.append(
                    Problem(TABLES[name].path, _line(i), high, f"{low} ({frame.at[i, low]}) is greater than {high} ({frame.at[i, high]})")
                )
    return problems


#: The shortest quote that can stand for a claim. A quote must locate the claim in its article:
#: strings of a few characters ("a", "15%", "in 2025") occur in many places of a seed article, so
#: finding one proves nothing. The shortest real quote ("acquiring a 15% stake") has 21.
QUOTE_MIN_CHARS = 12


def _seed_path_problem(seed) -> str | None:
    """Why ``seed`` is not a plain file name inside data/seeds/ (None if it is one)."""
    text = "" if pd.isna(seed) else str(seed)
    if not text:
        return None  # reported by the schema as a missing required value
    if "/" in text or "\\" in text or text in (".", "..") or text.startswith(".") or ":" in text:
        return f"{text!r} is not a file name in data/seeds/ (no folders, no '..', no leading dot)"
    return None


def _read_seed(path: Path):
    """The seed's text; None if missing; the UnicodeDecodeError if it is not UTF-8."""
    if not path.is_file():
        return None
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return err
    except OSError:
        return None


def _quote_problems(seed, quote, seeds: Path, texts: dict) -> list[tuple[str, str]]:
    """(column, message) for a claim whose seed file or quote is not what it should be."""
    if pd.isna(seed) or pd.isna(quote):
        return []  # reported by the schema as a missing required value
    problem = _seed_path_problem(seed)
    if problem:
        return [("seed_file", problem)]
    if seed not in texts:
        inside = (seeds / seed).resolve().is_relative_to(seeds.resolve())
        texts[seed] = _read_seed(seeds / seed) if inside else "outside"
    text = texts[seed]
    if isinstance(text, str) and text == "outside":
        return [("seed_file", f"seed file {seed!r} lies outside data/seeds/ (a link?)")]
    if text is None:
        return [("seed_file", f"seed file {seed!r} not found in {seeds}")]
    if isinstance(text, UnicodeDecodeError):
        return [("seed_file", f"seed file {seed!r} is not UTF-8 (byte 0x{text.object[text.start]:02x} at offset "
                              f"{text.start}): save it as UTF-8")]
    if len(str(quote).strip()) < QUOTE_MIN_CHARS:
        return [("quote", f"quote {quote!r} is too short to locate in its seed: at least {QUOTE_MIN_CHARS} characters")]
    if quote not in text:
        return [("quote", f"quote not found verbatim in {seed}")]
    return []


def _check_claims(claims: pd.DataFrame, sources: pd.DataFrame | None, folder: Path) -> list[Problem]:
    problems = []
    path = TABLES["claims"].path
    seeds = folder / "seeds"
    texts: dict[str, str | None] = {}
    published = {} if sources is None else dict(zip(sources["source_id"], sources["date_published"]))
    for i, row in claims.iterrows():
        stated = [
            kind
            for kind, cols in (("value", ["value"]), ("low/high", ["low", "high"]), ("date_low/date_high", ["date_low", "date_high"]))
            if any(pd.notna(row[c]) for c in cols)
        ]
        if len(stated) != 1:
            problems.append(
                Problem(path, _line(i), "value", "state exactly one of value, low/high or date_low/date_high"
                        + (f" (found {', '.join(stated)})" if stated else ""))
            )
        for low, high in (("low", "high"), ("date_low", "date_high")):
            if pd.notna(row[low]) != pd.notna(row[high]):
                problems.append(Problem(path, _line(i), high if pd.isna(row[high]) else low, f"a range needs both {low} and {high}"))
        if pd.notna(row["unit"]) and (row["unit"] == "date") != ("date_low/date_high" in stated):
            problems.append(Problem(path, _line(i), "unit", "date claims (date_low/date_high) and only they have unit 'date'"))
        problems.extend(Problem(path, _line(i), column, message)
                        for column, message in _quote_problems(row["seed_file"], row["quote"], seeds, texts))
        seed_date = published.get(row["seed_source_id"])
        if seed_date is not None and pd.notna(seed_date) and pd.notna(row["seed_published"]) and seed_date != row["seed_published"]:
            problems.append(
                Problem(path, _line(i), "seed_published",
                        f"{row['seed_published']:%Y-%m-%d} differs from {row['seed_source_id']}'s date_published {seed_date:%Y-%m-%d}")
            )
        if pd.notna(row["verdict"]) and row["verdict"] != "not_found" and pd.isna(row["authority_source_id"]):
            problems.append(Problem(path, _line(i), "authority_source_id", f"verdict {row['verdict']!r} needs an authority source"))
    return problems


def validate_dataset(data: str | os.PathLike | None = None, tables=None, reuse_validated: bool = False) -> list[Problem]:
    """All problems in the dataset at ``data`` (default: the package's data folder). Empty = valid.

    ``tables`` (names) checks only those tables and the cross-table rules among them (a rule
    that needs a table not read is skipped); every table when None. ``reuse_validated``: a table
    already validated byte for byte (the loader's cache) is not validated again (an overlay merged
    over the shipped data re-checks only its own tables).
    """
    folder = data_dir(data)
    problems: list[Problem] = []
    problems.extend(_check_datapackage(folder))
    frames: dict[str, pd.DataFrame] = {}
    lines: dict[str, list[int]] = {}
    for name in (TABLES if tables is None else [t for t in TABLES if t in set(tables)]):
        frame, table_problems = _read_valid(name, folder) if reuse_validated else read_table(name, folder)
        problems.extend(table_problems)
        # Cross-table rules need typed columns: skip a table whose file, header or types are broken.
        if not any(p.line in (None, 1) or p.message.startswith(_UNTYPED) for p in table_problems):
            frames[name] = frame
            lines[TABLES[name].path] = list(frame.attrs.get("csv_lines", ()))
    cross: list[Problem] = []
    cross.extend(_check_foreign_keys(frames))
    if "usgs_country_supply" in frames:
        cross.extend(_check_world_totals(frames["usgs_country_supply"]))
    if "stage_shares" in frames:
        cross.extend(_check_share_sums(frames["stage_shares"]))
    cross.extend(_check_ranges(frames))
    from rare_earths.data.evidence_checks import check_evidence_tables  # the evidence tables' rules

    cross.extend(check_evidence_tables(frames))
    if "claims" in frames:
        cross.extend(_check_claims(frames["claims"], frames.get("sources"), folder))
    if "corrections" in frames:
        cross.extend(_check_authority_files(frames["corrections"]))
    cross.extend(_check_references(frames))
    cross.extend(_check_observed_dates(frames, folder))
    # The cross-table rules locate rows by index (line = index + 2): move them to the physical line.
    for file, table_lines in lines.items():
        cross = physical_lines(cross, file, table_lines) if table_lines else cross
    problems.extend(cross)
    if "sources" in frames:
        problems.extend(_check_checked_date(frames["sources"], folder))
    return problems


def _read_valid(name: str, folder: Path):
    from rare_earths.data.load import load_table

    try:
        return load_table(name, folder), []
    except DataError:
        return read_table(name, folder)
#: Per-table problems after which a table's typed frame is not used by the cross-table rules.
_UNTYPED = ("not a ", "not UTF-8", "contains the control", "the row has", "the file", "the table has no rows")


def _check_references(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every ``{prices:ROW}`` (...) in a text cell names a row that exists (rare_earths.data.references)."""
    from rare_earths.data.references import REFERENCE_COLUMNS, _KEYS, reference_problems

    known = {kind: set(frames[kind][key].dropna()) for kind, key in _KEYS.items() if kind in frames}
    problems = []
    for name, columns in REFERENCE_COLUMNS.items():
        if name not in frames:
            continue
        for column in columns:
            for i, text in frames[name][column].items():
                for message in reference_problems(text if isinstance(text, str) else None, known):
                    problems.append(Problem(TABLES[name].path, _line(i), column, message))
    return problems


def _check_authority_files(corrections: pd.DataFrame) -> list[Problem]:
    """authority_file is a path under data/raw/: relative, without '..'."""
    problems = []
    for i, name in corrections["authority_file"].items():
        if pd.isna(name):
            continue
        parts = str(name).replace("\\", "/").split("/")
        if str(name).startswith(("/", "~")) or ".." in parts or ":" in str(name):
            problems.append(Problem(TABLES["corrections"].path, _line(i), "authority_file",
                                    f"{name!r} is not a path inside data/raw/ (relative, no '..')"))
    return problems


def _check_observed_dates(frames: dict[str, pd.DataFrame], folder: Path) -> list[Problem]:
    """A date that has happened (a publication, a target reported met) is not after checked.json's date."""
    try:
        checked = pd.Timestamp(data_checked_to(folder))
    except DataError:
        return []  # reported by _check_datapackage
    problems = []
    for name, frame in frames.items():
        for fld in TABLES[name].fields:
            if not fld.observed or (name, fld.name) == ("sources", "date_published"):  # that one: _check_checked_date
                continue
            late = frame[fld.name].notna() & (frame[fld.name] > checked)
            for i in frame.index[late]:
                problems.append(Problem(TABLES[name].path, _line(i), fld.name,
                                        f"{frame.at[i, fld.name]:%Y-%m-%d} is after the date the data is checked to "
                                        f"({checked:%Y-%m-%d}, checked.json): it cannot have happened yet"))
    return problems


def _check_checked_date(sources: pd.DataFrame, folder: Path) -> list[Problem]:
    """The data is checked to a date no earlier than its newest source was published."""
    try:
        checked = data_checked_to(folder)
    except DataError:
        return []  # reported by _check_datapackage
    newest = sources["date_published"].max()
    if pd.notna(newest) and newest.date() > checked:
        row = sources.loc[sources["date_published"].idxmax()]
        return [Problem("checked.json", None, "data_checked_to",
                        f"{checked.isoformat()} is before the newest source ({row['source_id']}, published "
                        f"{newest:%Y-%m-%d}): set the date the sources were last searched")]
    return []
