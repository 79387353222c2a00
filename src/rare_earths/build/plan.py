"""Plan a build: which notebooks must execute, and why (dependency keys, the manifest).

A notebook's *dependency key* hashes jupyter-cache's own hash of its code cells (with their
metadata and the kernelspec), the content of every file it depended on when it last ran
(every book or ``rare_earths`` module it imported, every file it opened for reading under the
book, the package or ``RARE_EARTHS_DATA``, recorded inside the kernel by an audit hook), and the
Python version with the installed distributions. Keys live in ``_build/.rare_earths_deps.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any


class BuildError(RuntimeError):
    """A problem that stops the build; the message is meant for the reader."""


MANIFEST_NAME = ".rare_earths_deps.json"
FORMAT = 1
PROG = "build"

# Folders never part of the render fingerprint (not book sources).
_SKIP_DIRS = {"_build", ".git", ".venv", "runs", "test-artifacts", "__pycache__", "node_modules"}

# Run silently in each kernel before the first cell: record files opened for reading/writing
# under the tracked roots. Defines no names in the user namespace (the function deletes itself).
_TRACE_INSTALL = r"""
def __rare_earths_trace(roots, excluded):
    import os, sys
    reads, writes = set(), set()
    wflags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    fspath, normpath, join, getcwd, isinstance_ = os.fspath, os.path.normpath, os.path.join, os.getcwd, isinstance

    def hook(event, args):
        if event != "open":
            return
        try:
            path = args[0]
            if isinstance_(path, int):
                return
            path = fspath(path)
            if isinstance_(path, bytes):
                path = os.fsdecode(path)
            if not path.startswith("/"):
                path = join(getcwd(), path)
            path = normpath(path)
            if not path.startswith(roots) or path.startswith(excluded) or path.endswith(".pyc"):
                return
            mode, flags = args[1], args[2]
            writing = (any(c in mode for c in "wax+") if isinstance_(mode, str) else bool((flags or 0) & wflags))
            (writes if writing else reads).add(path)
        except Exception:
            pass

    sys.addaudithook(hook)
    sys._rare_earths_trace = (reads, writes, roots, excluded)

__rare_earths_trace(%(roots)r, %(excluded)r)
del __rare_earths_trace
"""

# Evaluated silently after the last cell (a user expression): what the kernel depended on.
_TRACE_REPORT = (
    "(lambda sys, os: __import__('json').dumps({"
    "'reads': sorted(sys._rare_earths_trace[0] - sys._rare_earths_trace[1]), "
    "'writes': sorted(sys._rare_earths_trace[1]), "
    "'modules': sorted({os.path.normpath(os.path.abspath(f)) for f in "
    "(getattr(m, '__file__', None) for m in list(sys.modules.values())) "
    "if isinstance(f, str) and f.endswith('.py') "
    "and os.path.normpath(os.path.abspath(f)).startswith(sys._rare_earths_trace[2]) "
    "and not os.path.normpath(os.path.abspath(f)).startswith(sys._rare_earths_trace[3])})}))"
    "(__import__('sys'), __import__('os'))"
)


# ----------------------------------------------------------------------------- settings


@dataclass
class Settings:
    """What the build needs to know about the book (read from _config.yml and _toc.yml)."""

    book: Path
    build_dir: Path  # <path-output>/_build
    mode: str = "auto"
    cache_path: Path | None = None
    timeout: int | None = 30
    allow_errors: bool = False
    run_in_temp: bool = False
    exclude_patterns: list[str] = field(default_factory=list)

    @property
    def html_dir(self) -> Path:
        return self.build_dir / "html"

    @property
    def jupyter_cache(self) -> Path:
        return self.cache_path or (self.build_dir / ".jupyter_cache")

    @property
    def manifest_path(self) -> Path:
        return self.build_dir / MANIFEST_NAME


def read_settings(book: Path, path_output: Path | None = None) -> Settings:
    """The execution settings Jupyter Book would use, from ``_config.yml`` (sphinx overrides win)."""
    import yaml

    config_file = book / "_config.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    config = config or {}
    ex = config.get("execute") or {}
    sx = ((config.get("sphinx") or {}).get("config")) or {}
    s = Settings(book=book, build_dir=(path_output or book) / "_build")
    s.mode = str(sx.get("nb_execution_mode", ex.get("execute_notebooks", "auto")))
    if s.mode == "False":
        s.mode = "off"
    cache = sx.get("nb_execution_cache_path", ex.get("cache", ""))
    s.cache_path = (book / cache).resolve() if cache else None
    s.timeout = sx.get("nb_execution_timeout", ex.get("timeout", 30))
    s.allow_errors = bool(sx.get("nb_execution_allow_errors", ex.get("allow_errors", False)))
    s.run_in_temp = bool(sx.get("nb_execution_in_temp", ex.get("run_in_temp", False)))
    s.exclude_patterns = list(sx.get("nb_execution_excludepatterns", ex.get("exclude_patterns", [])) or [])
    return s


def toc_documents(book: Path) -> list[tuple[str, Path]]:
    """(docname, source file) of every document in ``_toc.yml``, in toc order."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(book / "_toc.yml")
    docs = []
    for docname in site_map:
        candidates = [book / f"{docname}{suffix}" for suffix in (".ipynb", ".md", ".rst")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is not None:
            docs.append((docname, found))
    return docs


def _is_text_notebook(path: Path) -> bool:
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:4000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


# ----------------------------------------------------------------------------- hashing


def file_digest(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def environment_fingerprint() -> str:
    """Python version and every installed distribution with its version."""
    import importlib.metadata as md

    dists = sorted({f"{d.metadata['Name']}=={d.version}" for d in md.distributions() if d.metadata["Name"]})
    text = json.dumps({"python": sys.version, "executable": sys.executable, "dists": dists})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def dependency_key(code_hash: str, env: str, deps: dict[str, str | None]) -> str:
    text = json.dumps({"format": FORMAT, "code": code_hash, "env": env, "deps": deps}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def tracked_roots(settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(roots, excluded) path prefixes: what a kernel's reads and imports are recorded under."""
    import rare_earths

    roots = {settings.book.resolve(), Path(rare_earths.__file__).resolve().parent}
    if os.environ.get("RARE_EARTHS_DATA"):
        roots.add(Path(os.environ["RARE_EARTHS_DATA"]).resolve())
    excluded = {
        Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), settings.build_dir.resolve(),
        settings.jupyter_cache.resolve(), settings.book.resolve() / ".git",
    }
    return (
        tuple(sorted(f"{r}{os.sep}" for r in roots)),
        tuple(sorted(f"{e}{os.sep}" for e in excluded)),
    )


# ----------------------------------------------------------------------------- manifest


def load_manifest(settings: Settings) -> dict:
    try:
        data = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {"format": FORMAT, "notebooks": {}, "render": {}}
    if data.get("format") != FORMAT:
        return {"format": FORMAT, "notebooks": {}, "render": {}}
    data.setdefault("notebooks", {})
    data.setdefault("render", {})
    return data


def save_manifest(settings: Settings, manifest: dict) -> None:
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, settings.manifest_path)


# ----------------------------------------------------------------------------- plan


@dataclass
class Job:
    docname: str
    path: Path
    rel: str  # path relative to the book, posix
    nb: Any  # the notebook as read (nbformat v4)
    code_hash: str
    reason: str
    seconds: float = 0.0  # last known execution time, for scheduling


@dataclass
class Plan:
    settings: Settings
    env: str
    jobs: list[Job]
    cached: list[str]
    skipped: list[str]  # listed but not pre-executed (excluded, or text notebooks)
    documents: list[tuple[str, Path]]
    notes: list[str] = field(default_factory=list)


def _changed_deps(old: dict[str, str | None]) -> list[str]:
    return [p for p, digest in old.items() if file_digest(p) != digest]


def make_plan(settings: Settings, manifest: dict, force: bool = False) -> Plan:
    """Decide which notebooks need executing, and why."""
    import nbformat
    from jupyter_cache import get_cache

    env = environment_fingerprint()
    cache = get_cache(str(settings.jupyter_cache))
    documents = toc_documents(settings.book)
    jobs, cached, skipped, notes = [], [], [], []
    for docname, path in documents:
        rel = path.relative_to(settings.book).as_posix()
        if path.suffix != ".ipynb":
            if _is_text_notebook(path):
                skipped.append(rel)
                notes.append(f"{rel}: text notebook, not pre-executed (Jupyter Book executes it, keyed on code only)")
            continue
        if any(PurePosixPath(path.as_posix()).match(pat) for pat in settings.exclude_patterns):  # as myst-nb
            skipped.append(rel)
            continue
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        _, code_hash = cache.create_hashed_notebook(nb)
        entry = manifest["notebooks"].get(rel)
        reason = None
        if force:
            reason = "forced"
        elif entry is None:
            reason = "not executed by this build before"
        elif entry.get("code") != code_hash:
            reason = "code cells changed"
        elif entry.get("env") != env:
            reason = "installed packages or Python changed"
        else:
            changed = _changed_deps(entry.get("deps", {}))
            if changed:
                shown = ", ".join(_short(p, settings.book) for p in changed[:4])
                reason = f"dependencies changed: {shown}" + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
            else:
                try:
                    record = cache.match_cache_notebook(nb)
                except KeyError:
                    record = None
                if record is None:
                    reason = "missing from the execution cache"
                elif record.pk != entry.get("cache_pk"):
                    reason = "cache record was replaced by another build"
        if reason is None:
            cached.append(rel)
        else:
            seconds = float((entry or {}).get("seconds", 0.0))
            jobs.append(Job(docname, path, rel, nb, code_hash, reason, seconds))
    return Plan(settings, env, jobs, cached, skipped, documents, notes)


def _short(path: str, book: Path) -> str:
    try:
        return Path(path).relative_to(book.resolve()).as_posix()
    except ValueError:
        return path


