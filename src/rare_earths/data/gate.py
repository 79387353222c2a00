"""The data check every command runs first, cheap enough to run every time.

:func:`data_problems` is :func:`rare_earths.data.checks.validate_dataset`, remembered twice:

* in this process, per data folder and content digest;
* on disk, as plain JSON (``~/.cache/rare-earths/validated/<digest>.json``: the problems as
  dicts, nothing executable), keyed by the digest of every file ``validate`` reads (the tables,
  ``datapackage.json``, ``checked.json``, the seed texts), of the code that validates them (every
  module of ``rare_earths.data``) and of the package and library versions. Any change to
  one of them misses the cache and validates again.

A hit costs hashing about 0.3 MB (a few milliseconds) and imports neither pandas nor pandera, so
``rare-earths run`` still launches its kernel at once. A record that cannot be read is ignored
(validated again), never trusted for more than the list of problems it holds, and a record that
another user could have written (:func:`rare_earths.caches.trusted`) is not read at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from rare_earths.caches import cache_dir, make_cache_dir, trusted

_MEMO: dict[tuple[str, str], list] = {}


def _data_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix in (".csv", ".json")]
    seeds = folder / "seeds"
    if seeds.is_dir():
        files += [p for p in seeds.iterdir() if p.is_file()]
    return sorted(files)


def data_digest(folder: Path) -> str:
    """Digest of what validation reads and of the code that validates it."""
    from importlib.metadata import PackageNotFoundError, version

    from rare_earths import __version__

    digest = hashlib.sha256(f"rare-earths {__version__}\n".encode())
    for name in ("pandas", "pandera", "numpy"):
        try:
            digest.update(f"{name} {version(name)}\n".encode())
        except PackageNotFoundError:  # pragma: no cover - a broken environment validates anyway
            digest.update(f"{name} ?\n".encode())
    # The code that decides what is valid: every module of rare_earths.data (and the formatter).
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")) + [here.parent / "format.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in _data_files(folder):
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\xff unreadable"
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:32]


def _cache_file(digest: str) -> Path:
    return cache_dir("validated") / f"{digest}.json"


def _read_record(path: Path, digest: str):
    from rare_earths.data.reading import Problem

    if not trusted(path):  # a record another user could have written says nothing
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("digest") != digest:
            return None
        return [Problem(str(p["file"]), p["line"] if isinstance(p["line"], int) else None,
                        p["column"] if isinstance(p["column"], str) else None, str(p["message"]))
                for p in record["problems"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_record(path: Path, digest: str, problems: list) -> None:
    try:
        make_cache_dir("validated")
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"digest": digest, "problems": [p.as_dict() for p in problems]}, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs the next process a validation


def _data_dir(data) -> Path:
    """:func:`rare_earths.data.load.data_dir`'s search, without importing pandas (so that
    ``rare-earths run`` can still start its kernel at once; a test checks the two agree)."""
    if data is not None:
        return Path(data).resolve()
    if os.environ.get("RARE_EARTHS_DATA"):
        return Path(os.environ["RARE_EARTHS_DATA"]).resolve()
    package = Path(__file__).resolve().parent.parent
    for folder in (package.parent.parent / "data", package / "_data"):
        if (folder / "datapackage.json").is_file():
            return folder
    from rare_earths.data.folder import data_dir

    return data_dir()  # raises FileNotFoundError with the places it looked in


def data_problems(data: str | os.PathLike | None = None) -> list:
    """The problems ``rare-earths validate`` would print for the data folder (empty: valid)."""
    from rare_earths.data.reading import Problem

    folder = _data_dir(data)
    if not folder.is_dir():
        return [Problem(str(folder), None, None, "the data folder does not exist")]
    digest = data_digest(folder)
    key = (str(folder), digest)
    if key in _MEMO:
        return list(_MEMO[key])
    cached = _cache_file(digest)
    problems = _read_record(cached, digest) if cached.is_file() else None
    if problems is None:
        from rare_earths.data.checks import validate_dataset

        problems = validate_dataset(folder)
        _write_record(cached, digest, problems)
    _MEMO[key] = list(problems)
    return list(problems)
