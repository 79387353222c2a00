"""Plan a build: which notebooks must execute, and why (dependency keys, the manifest).

A notebook's *dependency key* hashes jupyter-cache's own hash of its code cells (with their
metadata and the kernelspec), the content of every file it depended on when it last ran
(every book or ``rare_earths`` module it imported, every file it opened for reading under the
book, the package or ``RARE_EARTHS_DATA``, each hashed inside the kernel by an audit hook when
first opened), the data folder in use, and the Python version with the installed distributions.
It is up to date only while its jupyter-cache record is intact. Keys live in
``_build/.rare_earths_deps.json``; a damaged manifest or cache record is discarded, saying so.
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
FORMAT = 2  # 2: digests taken when the kernel read each file; the data folder in use
PROG = "build"

# Folders never part of the render fingerprint (not book sources).
_SKIP_DIRS = {"_build", ".git", ".venv", "runs", "test-artifacts", "__pycache__", "node_modules"}

# Run silently in each kernel before the first cell: record files opened for reading/writing
# under the tracked roots, each read file's SHA-256 taken when it is first opened (what the kernel
# read, not what is on disk later), and a module's source when the import opens its bytecode.
# Defines no names in the user namespace (the function deletes itself).
_TRACE_INSTALL = r"""
def __rare_earths_trace(roots, excluded):
    import hashlib, os, sys, threading
    from importlib.util import source_from_cache
    reads, writes = {}, set()
    guard = threading.local()
    wflags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    fspath, normpath, join, getcwd, isinstance_ = os.fspath, os.path.normpath, os.path.join, os.getcwd, isinstance

    def digest(path):
        try:
            with open(path, "rb") as fh:
                return hashlib.sha256(fh.read()).hexdigest()
        except OSError:
            return None

    def hook(event, args):
        if event != "open" or getattr(guard, "busy", False):
            return
        guard.busy = True  # the hook's own open() must not record itself
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
            mode, flags = args[1], args[2]
            writing = (any(c in mode for c in "wax+") if isinstance_(mode, str) else bool((flags or 0) & wflags))
            if path.endswith(".pyc"):
                if writing:
                    return
                path = source_from_cache(path)  # an import reading bytecode stands for its source
            if not path.startswith(roots) or path.startswith(excluded):
                return
            if writing:
                writes.add(path)
            elif path not in reads:
                reads[path] = digest(path)
        except Exception:
            pass
        finally:
            guard.busy = False

    sys.addaudithook(hook)
    sys._rare_earths_trace = (reads, writes, roots, excluded, digest)

__rare_earths_trace(%(roots)r, %(excluded)r)
del __rare_earths_trace
"""

# Evaluated silently after the last cell (a user expression): what the kernel depended on, as
# {path: sha256 when first read}; modules whose file was never opened under the trace (imported
# before it) are hashed now, and their modification time is checked by the build.
_TRACE_REPORT = (
    "(lambda sys, os: __import__('json').dumps({"
    "'reads': {p: d for p, d in sys._rare_earths_trace[0].items() if p not in sys._rare_earths_trace[1]}, "
    "'writes': sorted(sys._rare_earths_trace[1]), "
    "'modules': {f: sys._rare_earths_trace[4](f) for f in sorted({os.path.normpath(os.path.abspath(f)) for f in "
    "(getattr(m, '__file__', None) for m in list(sys.modules.values())) "
    "if isinstance(f, str) and f.endswith('.py') "
    "and os.path.normpath(os.path.abspath(f)).startswith(sys._rare_earths_trace[2]) "
    "and not os.path.normpath(os.path.abspath(f)).startswith(sys._rare_earths_trace[3])})}}))"
    "(__import__('sys'), __import__('os'))"
)

#: Recorded instead of a digest for a file that changed while its notebook ran (or whose content
#: then is unknown): never equal to a file's digest, so the next build re-executes the notebook.
STALE = "changed-while-running"


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


def _empty_manifest() -> dict:
    return {"format": FORMAT, "notebooks": {}, "render": {}}


def _manifest_problem(data: Any) -> str | None:
    """Why a manifest read from disk cannot be used (None when it can)."""
    if not isinstance(data, dict):
        return f"not a JSON object but {type(data).__name__}"
    if data.get("format") != FORMAT:
        return f"format {data.get('format')!r}, not {FORMAT}"
    notebooks, render = data.get("notebooks", {}), data.get("render", {})
    if not isinstance(notebooks, dict):
        return "'notebooks' is not an object"
    if not isinstance(render, dict):
        return "'render' is not an object"
    for rel, entry in notebooks.items():
        if not isinstance(entry, dict):
            return f"the entry of {rel} is not an object"
        if not all(isinstance(entry.get(k), str) for k in ("code", "env", "key")):
            return f"the entry of {rel} lacks its code, env or key"
        deps = entry.get("deps")
        if not isinstance(deps, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in deps.items()):
            return f"the dependencies of {rel} are not an object of digests"
        if not isinstance(entry.get("cache_pk"), int) or not isinstance(entry.get("seconds", 0.0), (int, float)):
            return f"the cache record or time of {rel} is not a number"
    for key in ("outputs", "modules"):
        value = render.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, (str, type(None))) for v in value.values()):
            return f"render.{key} is not an object of digests"
    return None


def load_manifest(settings: Settings, notes: list[str] | None = None) -> dict:
    """The manifest of the last build; a missing one is empty. A damaged one (not JSON, another
    format, wrong types, a folder) is discarded, saying so in ``notes``: every notebook then
    re-executes and the book re-renders in full, which is always correct."""
    path = settings.manifest_path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        problem = _manifest_problem(data)
    except FileNotFoundError:
        return _empty_manifest()
    except (OSError, ValueError) as err:  # IsADirectoryError, bad JSON, bad UTF-8 or NUL bytes
        problem = f"unreadable ({type(err).__name__})"
    if problem:
        if notes is not None:
            notes.append(f"{_short(str(path), settings.book)} is damaged ({problem}): discarded; "
                         "every notebook re-executes and the book re-renders in full")
        return _empty_manifest()
    data.setdefault("notebooks", {})
    data.setdefault("render", {})
    return data


def save_manifest(settings: Settings, manifest: dict) -> None:
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    path = settings.manifest_path
    if path.is_dir() and not path.is_symlink():  # a damaged build product, not something a user wrote
        import shutil

        shutil.rmtree(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def data_folder() -> str:
    """The data folder the kernels read (``RARE_EARTHS_DATA`` or the checkout's ``data/``), resolved."""
    from rare_earths.data.load import data_dir

    try:
        return str(data_dir())
    except FileNotFoundError:
        return ""


def record_digest(cache, pk: int) -> str:
    """SHA-256 of the executed notebook a jupyter-cache record holds (raises if it cannot be read)."""
    import nbformat

    return hashlib.sha256(nbformat.writes(cache.get_cache_bundle(pk).nb).encode("utf-8")).hexdigest()


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
    data: str = ""  # the data folder in use (recorded with each notebook)


def _changed_deps(old: dict[str, str | None]) -> list[str]:
    return [p for p, digest in old.items() if digest == STALE or file_digest(p) != digest]


def _under(path: str, folder: str) -> bool:
    return bool(folder) and (path == folder or path.startswith(folder.rstrip(os.sep) + os.sep))


def _open_cache(settings: Settings, notes: list[str]):
    """jupyter-cache's cache for the book; a cache whose database cannot be read is discarded."""
    from jupyter_cache import get_cache

    cache = get_cache(str(settings.jupyter_cache))
    try:
        cache.list_cache_records()
    except Exception as err:  # noqa: BLE001 - a damaged SQLite file, a folder in its place, ...
        import shutil

        notes.append(f"{_short(str(settings.jupyter_cache), settings.book)} is damaged ({type(err).__name__}): "
                     "discarded; every notebook re-executes")
        shutil.rmtree(settings.jupyter_cache, ignore_errors=True)
        cache = get_cache(str(settings.jupyter_cache))
    return cache


def make_plan(settings: Settings, manifest: dict, force: bool = False) -> Plan:
    """Decide which notebooks need executing, and why.

    A notebook is up to date only when its code, the environment, the data folder in use and
    every file it read are as recorded, and the cache record it was stored in is intact (its
    notebook readable and byte for byte what was stored); a damaged record is discarded."""
    env = environment_fingerprint()
    data = data_folder()
    notes: list[str] = []
    cache = _open_cache(settings, notes)
    try:
        return _plan(settings, manifest, force, env, data, notes, cache)
    except _CacheCleared:
        notes.append(f"{_short(str(settings.jupyter_cache), settings.book)}: a damaged record could not be "
                     "removed on its own, so the execution cache is cleared; every notebook re-executes")
        cache.clear_cache()
        return _plan(settings, {"notebooks": {}}, force, env, data, notes, _open_cache(settings, notes))


def _plan(settings: Settings, manifest: dict, force: bool, env: str, data: str, notes: list[str], cache) -> Plan:
    import nbformat

    documents = toc_documents(settings.book)
    jobs, cached, skipped = [], [], []
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
        elif entry.get("data") != data and any(_under(p, entry.get("data") or "") for p in entry["deps"]):
            reason = f"data folder changed (RARE_EARTHS_DATA): {entry.get('data')} -> {data}"
        else:
            changed = _changed_deps(entry.get("deps", {}))
            if changed:
                shown = ", ".join(_short(p, settings.book) for p in changed[:4])
                reason = f"dependencies changed: {shown}" + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
            else:
                reason = _record_problem(cache, nb, entry, rel, notes)
        if reason is None:
            cached.append(rel)
        else:
            seconds = float((entry or {}).get("seconds", 0.0))
            jobs.append(Job(docname, path, rel, nb, code_hash, reason, seconds))
    return Plan(settings, env, jobs, cached, skipped, documents, notes, data)


def _record_problem(cache, nb, entry: dict, rel: str, notes: list[str]) -> str | None:
    """Why the cache record of an otherwise up-to-date notebook cannot be used (None if it can)."""
    try:
        record = cache.match_cache_notebook(nb)
    except KeyError:
        return "missing from the execution cache"
    if record.pk != entry.get("cache_pk"):
        return "cache record was replaced by another build"
    try:
        intact = record_digest(cache, record.pk) == entry.get("record")
        problem = None if intact else "edited since it was stored"
    except Exception as err:  # noqa: BLE001 - deleted or unreadable notebook file of the record
        problem = f"unreadable: {type(err).__name__}"
    if problem is None:
        return None
    notes.append(f"{rel}: its execution cache record is damaged ({problem}): discarded")
    try:
        cache.remove_cache(record.pk)
    except Exception:  # noqa: BLE001 - jupyter-cache cannot remove a record whose notebook is gone
        raise _CacheCleared(f"{rel}: record {record.pk}") from None
    return f"execution cache record damaged ({problem})"


class _CacheCleared(Exception):
    """A damaged record jupyter-cache cannot remove by itself: the whole cache is cleared."""


def _short(path: str, book: Path) -> str:
    try:
        return Path(path).relative_to(book.resolve()).as_posix()
    except ValueError:
        return path


