"""Releases of the book and what changed between them: the data behind the Changes page.

Each release is a semantic version (``rare_earths.__version__``, ``pyproject.toml``,
``CITATION.cff``) with a dated entry in ``CHANGELOG.md`` and two committed files in
``releases/``:

* ``<version>.numbers.json``: exactly what ``rare-earths numbers --json`` printed for that
  release (a snapshot; written by ``python -m rare_earths.releases snapshot``);
* ``<version>.notes.yml``: the release's date and summary and, for every key number that moved
  since the previous release, why (``moved``: a list of ``{numbers: [id or glob, ...], why: ...}``).

:func:`release_changes` compares each snapshot with the one before it: the numbers that moved
(old, new, why), those added and those removed. A moved number without a why, or a why that
matches no moved number, is a :class:`ReleaseError`: the Changes page cannot be incomplete.
:func:`snapshot_drift` says which numbers of the current version no longer equal its snapshot
(a test fails on any: change the numbers, then release).

    python -m rare_earths.releases snapshot [--force]   # write releases/<version>.numbers.json
    python -m rare_earths.releases check                # the current numbers equal the snapshot
    python -m rare_earths.releases changes              # what moved, release by release
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import rare_earths

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
#: Two values closer than this (relative) have not moved: float noise between machines.
REL_TOLERANCE = 1e-9


class ReleaseError(ValueError):
    """A release file is missing or inconsistent; the message names the file."""


def releases_dir() -> Path:
    """``releases/`` at the top of the source checkout."""
    return Path(__file__).resolve().parents[2] / "releases"


def version_key(version: str) -> tuple[int, int, int]:
    match = _VERSION_RE.match(version)
    if not match:
        raise ReleaseError(f"{version!r} is not a semantic version MAJOR.MINOR.PATCH")
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


def snapshot_path(version: str, folder: Path | None = None) -> Path:
    return (folder or releases_dir()) / f"{version}.numbers.json"


def notes_path(version: str, folder: Path | None = None) -> Path:
    return (folder or releases_dir()) / f"{version}.notes.yml"


def versions(folder: Path | None = None) -> list[str]:
    """Every released version with a snapshot, oldest first."""
    folder = folder or releases_dir()
    found = [p.name[: -len(".numbers.json")] for p in folder.glob("*.numbers.json")] if folder.is_dir() else []
    return sorted(found, key=version_key)


def load_snapshot(version: str, folder: Path | None = None) -> dict[str, dict]:
    path = snapshot_path(version, folder)
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseError(f"{path}: no snapshot of version {version}") from None
    except json.JSONDecodeError as err:
        raise ReleaseError(f"{path}:{err.lineno}:{err.colno}: not JSON: {err.msg}") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "id" in r for r in records):
        raise ReleaseError(f"{path}: not the output of `rare-earths numbers --json` (a list of objects with an id)")
    return {r["id"]: r for r in records}


def load_notes(version: str, folder: Path | None = None) -> dict:
    import yaml

    path = notes_path(version, folder)
    try:
        notes = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ReleaseError(f"{path}: no release notes for version {version}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ReleaseError(f"{path}{where}: not YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(notes, dict):
        raise ReleaseError(f"{path}: not a YAML mapping")
    for key in ("version", "date", "summary"):
        if key not in notes:
            raise ReleaseError(f"{path}: missing {key!r}")
    if str(notes["version"]) != version:
        raise ReleaseError(f"{path}: version {notes['version']!r} is not {version!r}")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(notes["date"])):
        raise ReleaseError(f"{path}: date {notes['date']!r} is not YYYY-MM-DD")
    for i, entry in enumerate(notes.get("moved") or []):
        if not isinstance(entry, dict) or not entry.get("numbers") or not str(entry.get("why", "")).strip():
            raise ReleaseError(f"{path}: moved[{i}] needs `numbers` (ids or globs) and `why`")
    return notes


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)
    return a == b


def moved(old: dict, new: dict) -> bool:
    """Whether a number moved: its value, bounds, printed value or unit changed."""
    return not all(_same(old.get(k), new.get(k)) for k in ("value", "low", "high", "display", "unit", "bound"))


def _shown(record: dict) -> str:
    text = f"{record.get('display')} {record.get('unit', '')}".strip()
    low, high = record.get("low"), record.get("high")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and not _same(low, high):
        decimals = record.get("decimals")
        digits = decimals if isinstance(decimals, int) and decimals >= 0 else 2
        text += f" ({low:,.{digits}f}–{high:,.{digits}f})"
    return text


@dataclass
class Move:
    id: str
    label: str
    old: str
    new: str
    why: str


@dataclass
class ReleaseChanges:
    version: str
    previous: str | None
    date: str
    summary: str
    moved: list[Move] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    count: int = 0


def compare(version: str, previous: str | None, folder: Path | None = None) -> ReleaseChanges:
    """What changed from ``previous`` to ``version`` (every moved number with its why)."""
    notes = load_notes(version, folder)
    new = load_snapshot(version, folder)
    result = ReleaseChanges(version, previous, str(notes["date"]), str(notes["summary"]).strip(), count=len(new))
    if previous is None:
        return result
    old = load_snapshot(previous, folder)
    reasons = [(list(e["numbers"]), str(e["why"]).strip()) for e in notes.get("moved") or []]
    used = [False] * len(reasons)
    unexplained = []
    for number_id, record in new.items():
        if number_id not in old or not moved(old[number_id], record):
            continue
        why = None
        for i, (patterns, text) in enumerate(reasons):
            if any(fnmatch.fnmatchcase(number_id, p) for p in patterns):
                why, used[i] = text, True
                break
        if why is None:
            unexplained.append(number_id)
            continue
        result.moved.append(Move(number_id, str(record.get("label", "")), _shown(old[number_id]), _shown(record), why))
    path = notes_path(version, folder)
    if unexplained:
        raise ReleaseError(f"{path}: {len(unexplained)} number(s) moved since {previous} without a why in `moved`: "
                           + ", ".join(unexplained))
    stale = [", ".join(reasons[i][0]) for i, u in enumerate(used) if not u]
    if stale:
        raise ReleaseError(f"{path}: `moved` explains numbers that did not move since {previous}: {'; '.join(stale)}")
    result.added = [i for i in new if i not in old]
    result.removed = [i for i in old if i not in new]
    return result


def release_changes(folder: Path | None = None) -> list[ReleaseChanges]:
    """Every release, newest first, each compared with the one before it."""
    found = versions(folder)
    out = [compare(v, found[i - 1] if i else None, folder) for i, v in enumerate(found)]
    return out[::-1]


def current_numbers() -> list[dict]:
    """What ``rare-earths numbers --json`` prints now (the defaults, the book's data)."""
    from rare_earths.numbers import compute_numbers

    return json.loads(json.dumps([n.as_dict() for n in compute_numbers()], ensure_ascii=False))


def snapshot_drift(folder: Path | None = None) -> list[str]:
    """Ids whose current value differs from the current version's snapshot (added or removed too)."""
    snap = load_snapshot(rare_earths.__version__, folder)
    now = {r["id"]: r for r in current_numbers()}
    drift = [i for i in now if i not in snap or moved(snap[i], now[i])]
    return drift + [i for i in snap if i not in now]


def write_snapshot(force: bool = False, folder: Path | None = None, records: list[dict] | None = None) -> Path:
    """Write ``releases/<version>.numbers.json`` for the current version (``force`` to replace it):
    ``records`` (default: :func:`current_numbers`)."""
    path = snapshot_path(rare_earths.__version__, folder)
    if path.exists() and not force:
        raise ReleaseError(f"{path} exists: pass --force to replace the snapshot of version {rare_earths.__version__} "
                           "(snapshots of earlier versions are never rewritten)")
    path.parent.mkdir(parents=True, exist_ok=True)
    records = current_numbers() if records is None else records
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m rare_earths.releases", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("snapshot", "check", "changes"))
    parser.add_argument("--force", action="store_true", help="snapshot: replace the current version's snapshot")
    args = parser.parse_args(argv)
    try:
        if args.action == "snapshot":
            print(write_snapshot(args.force))
        elif args.action == "check":
            drift = snapshot_drift()
            if drift:
                print(f"releases: error: {len(drift)} number(s) differ from releases/{rare_earths.__version__}.numbers.json: "
                      f"{', '.join(drift[:20])}{' …' if len(drift) > 20 else ''} (release a new version, or "
                      "`python -m rare_earths.releases snapshot --force` before the release)", file=sys.stderr)
                return 1
            print(f"ok: the numbers equal the snapshot of version {rare_earths.__version__}")
        else:
            for rel in release_changes():
                print(f"{rel.version} ({rel.date}): {len(rel.moved)} moved, {len(rel.added)} added, {len(rel.removed)} removed")
                for m in rel.moved:
                    print(f"  {m.id}: {m.old} -> {m.new}  ({m.why})")
    except ReleaseError as err:
        print(f"releases: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
