"""Build the book fast and never stale: parallel, dependency-aware execution, then render.

    python -m rare_earths.build [BOOK] [-j N] [--force] [--all] [--no-render] [--dry-run]
                                [--no-pipeline] [--no-fork] [--path-output DIR] [--report FILE] [-q]

Jupyter Book 1 executes notebooks one after another, and its execution cache (jupyter-cache)
keys a notebook on its code cells only: an edit to ``src/`` or ``data/`` leaves cached pages
with stale numbers. This module runs *before* Jupyter Book and fills the same cache:

1. **Plan.** For every ``.ipynb`` the table of contents lists, a *dependency key* hashes
   (a) jupyter-cache's own hash of the notebook (code cells, their metadata, the kernelspec),
   (b) the content of every file the notebook depended on when it last ran: the source of
   every module it imported from the book or the ``rare_earths`` package, and every file it
   opened for reading under the book, the package or ``RARE_EARTHS_DATA`` (the data tables,
   seed texts, ...), and (c) the Python version and installed distributions. A notebook is
   executed when its key differs from the one recorded at its last execution, or when the
   cache has no record for it, and only then: editing one table re-executes exactly the
   chapters that read it; editing Markdown re-executes none.
2. **Execute** the planned notebooks in parallel (``-j``, default: the usable cores), longest
   first, each in its own kernel, exactly as myst-nb would (same kernel, same working folder,
   same timeout and error settings from ``_config.yml``). The kernels are forked from a
   server that has imported pandas, Altair and ipykernel once (:mod:`rare_earths.build.kernels`;
   ``--no-fork`` starts them afresh, as happens when the server cannot start). What a notebook depends on is
   recorded inside its kernel by an audit hook (file opens) and a final look at
   ``sys.modules``, both run as silent requests that add nothing to the notebook. A failing
   cell fails the build, naming the notebook, the cell and the error.
3. **Store** each executed notebook in Jupyter Book's cache (``_build/.jupyter_cache``),
   replacing older records of the same notebook, and record its key and dependencies in
   ``_build/.rare_earths_deps.json``.
4. **Render** with ``jupyter-book build -n -W --keep-going``, in this process, started while
   the notebooks execute: before myst-nb looks a notebook up in the cache it waits for that
   notebook to be stored, so every notebook is a cache hit and nothing executes twice. Pages
   of re-executed notebooks (and pages that glue from them) are re-read even though their
   source did not change; a full ``--all`` render is used after a failed or unknown render
   state, or when ``_config.yml``, ``_toc.yml`` or ``_ext/`` changed; when nothing at all
   changed since the last successful render, nothing is rendered.

``_config.yml`` must say ``execute: execute_notebooks: cache`` (a plain
``jupyter-book build .`` then still works, executing serially into the same cache, but it
cannot see ``src/`` or ``data/`` edits: use this command). With any other mode this command
just runs ``jupyter-book build --all -n -W --keep-going``.

Exit status: 0 built, 1 a chapter or the render failed, 2 bad usage.
The last line on stdout with ``--report -`` (or the file given) is a JSON object:
``{"executed": [...], "cached": [...], "failed": [...], "render": "full|incremental|skipped|none",
"reasons": {nb: why}, "seconds": {...}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

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


class BuildError(RuntimeError):
    """A problem that stops the build; the message is meant for the reader."""


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


# ----------------------------------------------------------------------------- execute


@dataclass
class Result:
    job: Job
    nb: Any = None
    seconds: float = 0.0
    deps: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    error: str | None = None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _failure_message(job: Job, err: BaseException, cell_index: int | None) -> str:
    where = f"cell {cell_index}" if cell_index is not None else "a cell"
    if cell_index is not None:
        cell = job.nb.cells[cell_index]
        first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
        where += f" (`{first[:80]}`)"
    ename = getattr(err, "ename", type(err).__name__)
    evalue = getattr(err, "evalue", str(err).strip().splitlines()[-1] if str(err).strip() else "")
    detail = _ANSI.sub("", str(err)).rstrip()
    return f"{job.rel} failed in {where}: {ename}: {evalue}\n{detail}"


async def _execute_one(job: Job, settings: Settings, roots, excluded, fork_server=None) -> Result:
    import copy
    import tempfile

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from rare_earths.build.paths import kernel_config

    nb = copy.deepcopy(job.nb)
    meta = nb.metadata.get("execution", {})
    timeout = meta.get("timeout", settings.timeout)
    allow_errors = meta.get("allow_errors", settings.allow_errors)
    failed_cell: dict[str, int] = {}

    async def on_notebook_start(notebook):  # noqa: ARG001 - nbclient hook signature
        msg_id = client.kc.execute(_TRACE_INSTALL % {"roots": roots, "excluded": excluded}, silent=True, store_history=False)
        reply = await client.async_wait_for_reply(msg_id)
        if reply is None or reply["content"].get("status") != "ok":
            raise BuildError(f"{job.rel}: could not install the dependency trace in the kernel")

    def on_cell_error(cell, cell_index, execute_reply):  # noqa: ARG001
        failed_cell.setdefault("index", cell_index)

    tmp = tempfile.TemporaryDirectory() if settings.run_in_temp else None
    cwd = tmp.name if tmp else str(job.path.parent)
    km = None
    if fork_server is not None:  # a kernel forked with pandas and Altair already imported
        from jupyter_client.manager import AsyncKernelManager

        from rare_earths.build.kernels import provisioner_for

        km = AsyncKernelManager(kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"), config=kernel_config())
        km.provisioner = provisioner_for(km, fork_server)
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        allow_errors=allow_errors,
        record_timing=False,
        resources={"metadata": {"path": cwd}},
        on_notebook_start=on_notebook_start,
        on_cell_error=on_cell_error,
        config=kernel_config(),
    )
    started = time.perf_counter()
    result = Result(job)
    try:
        try:
            await client.async_execute(cleanup_kc=False)
            msg_id = client.kc.execute("", silent=True, store_history=False, user_expressions={"deps": _TRACE_REPORT})
            reply = await client.async_wait_for_reply(msg_id)
            expr = (reply or {}).get("content", {}).get("user_expressions", {}).get("deps", {})
            if expr.get("status") != "ok":
                raise BuildError(f"{job.rel}: could not read the dependency trace from the kernel: {expr.get('evalue', expr)}")
            import ast

            trace = json.loads(ast.literal_eval(expr["data"]["text/plain"]))
            result.deps = sorted(set(trace["reads"]) | set(trace["modules"]))
            result.writes = trace["writes"]
            result.nb = nb
        finally:
            if client.km is not None:
                await client._async_cleanup_kernel()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        result.error = _failure_message(job, err, failed_cell.get("index"))
    except BuildError as err:
        result.error = str(err)
    except Exception as err:  # kernel failed to start, ...
        result.error = f"{job.rel} could not be executed: {type(err).__name__}: {err}"
    finally:
        if tmp:
            tmp.cleanup()
    result.seconds = time.perf_counter() - started
    return result


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Executor:
    """Executes a plan's notebooks in parallel kernels; each success is stored in the cache.

    :meth:`run` blocks; :meth:`start` runs the same in a background thread, so that the
    render can start meanwhile and :meth:`wait_for` a notebook just before reading it.
    """

    def __init__(self, plan: Plan, manifest: dict, jobs: int, log, fork: bool = True):
        self.plan, self.manifest, self.jobs, self.log = plan, manifest, max(1, jobs), log
        self.fork = fork and hasattr(os, "fork")
        self.results: list[Result] = []
        self._events = {j.path.resolve(): threading.Event() for j in plan.jobs}
        self._errors: dict[Path, str] = {}
        self._thread: threading.Thread | None = None
        self.crash: BaseException | None = None

    def _store(self, cache, res: Result) -> None:
        from jupyter_cache.base import CacheBundleIn

        job, plan = res.job, self.plan
        uri = str(job.path.absolute())
        record = cache.cache_notebook_bundle(
            CacheBundleIn(res.nb, uri, data={"execution_seconds": res.seconds}),
            check_validity=False,
            overwrite=True,
        )
        for old in cache.list_cache_records():  # older versions of this notebook can only mislead
            if old.uri == uri and old.pk != record.pk:
                cache.remove_cache(old.pk)
        deps = {p: file_digest(p) for p in res.deps}
        self.manifest["notebooks"][job.rel] = {
            "key": dependency_key(job.code_hash, plan.env, deps),
            "code": job.code_hash,
            "env": plan.env,
            "deps": deps,
            "writes": res.writes,
            "cache_pk": record.pk,
            "seconds": round(res.seconds, 3),
            "executed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    async def _run_all(self) -> None:
        from jupyter_cache import get_cache

        settings = self.plan.settings
        roots, excluded = tracked_roots(settings)
        cache = get_cache(str(settings.jupyter_cache))
        sem = asyncio.Semaphore(self.jobs)
        # Longest first (times known from the last execution), so the last to start is short;
        # ties (and a cold build, where no time is known) in Sphinx's reading order (sorted
        # docnames), so the render can read each page soon after its notebook is stored.
        ordered = sorted(self.plan.jobs, key=lambda j: (-round(j.seconds), j.docname))

        async def worker(job: Job):
            async with sem:
                self.log(f"executing {job.rel} ({job.reason})")
                res = await _execute_one(job, settings, roots, excluded, server)
            if res.error is None:
                try:
                    self._store(cache, res)
                except Exception as err:  # noqa: BLE001 - reported as this notebook's failure
                    res.error = f"{job.rel} could not be stored in the cache: {type(err).__name__}: {err}"
            if res.error is None:
                self.log(f"executed {job.rel} in {res.seconds:.1f} s")
            else:
                self._errors[job.path.resolve()] = res.error
            self.results.append(res)
            self._events[job.path.resolve()].set()

        # Imported here, not in the first job: an import would hold the event loop while the
        # second job is waiting to start its kernel.
        import jupyter_client.manager  # noqa: F401
        import nbclient  # noqa: F401

        server = None
        if self.fork:
            from rare_earths.build.kernels import ForkServer

            server = ForkServer().start()
            # Every kernel comes from the server, so nothing can start before it is ready anyway.
            problem = await asyncio.get_running_loop().run_in_executor(None, server.wait_ready)
            if problem:
                self.log(f"{problem}: starting kernels afresh")
                server.stop()
                server = None
        try:
            await asyncio.gather(*(worker(j) for j in ordered))
        finally:
            if server is not None:
                server.stop()

    def run(self) -> list[Result]:
        try:
            if self.plan.jobs:
                asyncio.run(self._run_all())
        except BaseException as err:  # noqa: BLE001 - re-raised by join()
            self.crash = err
        finally:
            for event in self._events.values():
                event.set()
        return self.results

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="rare-earths-executor", daemon=True)
        self._thread.start()

    def join(self) -> list[Result]:
        if self._thread is not None:
            self._thread.join()
        if self.crash is not None:
            raise BuildError(f"executor crashed: {type(self.crash).__name__}: {self.crash}") from self.crash
        return self.results

    def wait_for(self, path: Path) -> str | None:
        """Block until ``path`` (if planned) has executed; its error message, or None."""
        event = self._events.get(path)
        if event is None:
            return None
        event.wait()
        if self.crash is not None:
            return f"executor crashed: {type(self.crash).__name__}: {self.crash}"
        return self._errors.get(path)


# ----------------------------------------------------------------------------- render


def source_fingerprint(book: Path, exclude: set[Path]) -> str:
    """Cheap fingerprint (path, size, mtime) of the book's files, minus build products."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(book):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".") and (here / d).resolve() not in exclude
        )
        for name in sorted(filenames):
            try:
                st = (here / name).stat()
            except FileNotFoundError:
                continue
            digest.update(f"{(here / name).relative_to(book)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def config_fingerprint(book: Path, env: str) -> str:
    digest = hashlib.sha256(env.encode())
    files = [book / "_config.yml", book / "_toc.yml"] + sorted((book / "_ext").rglob("*.py") if (book / "_ext").is_dir() else [])
    for path in files:
        digest.update(f"{path.name}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()


def glue_dependents(documents: list[tuple[str, Path]], executed: set[str]) -> set[str]:
    """Docnames whose source glues from one of the executed notebooks (``name.ipynb::key``)."""
    stems = {Path(d).name for d in executed}
    if not stems:
        return set()
    pattern = re.compile(r"(?:^|[/`\s])(" + "|".join(re.escape(s) for s in stems) + r")(?:\.ipynb|\.md)?::")
    found = set()
    for docname, path in documents:
        if docname in executed:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if pattern.search(text):
            found.add(docname)
    return found


def run_jupyter_book(
    book: Path,
    path_output: Path | None,
    full: bool,
    reread: set[str],
    wait_for: Callable[[Path], str | None] | None = None,
    quiet: bool = False,
) -> int:
    """``jupyter-book build -n -W --keep-going [--all]``, in this process.

    Two additions, both to stock Jupyter Book 1 objects for this call only: the docs in
    ``reread`` are re-read although their source did not change (their notebook re-executed),
    and before myst-nb looks up a notebook in the cache, ``wait_for(path)`` may block until
    the executor has stored it (the render runs while notebooks execute).
    """
    import jupyter_book.sphinx as jb_sphinx
    import myst_nb.sphinx_ as mnb_sphinx
    from jupyter_book.cli.main import build as jb_build
    from sphinx.errors import SphinxError

    class NotebookFailed(SphinxError):
        category = "Notebook execution failed"

    original_app, original_client = jb_sphinx.Sphinx, mnb_sphinx.create_client

    class RereadingSphinx(original_app):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if reread:
                self.connect("env-get-outdated", lambda app, env, added, changed, removed: sorted(
                    d for d in reread if d in env.all_docs))

    def waiting_client(notebook, source, *args, **kwargs):
        if wait_for is not None:
            error = wait_for(Path(source).resolve())
            if error:
                raise NotebookFailed(error.splitlines()[0] + " (details at the end)")
        return original_client(notebook, source, *args, **kwargs)

    args = ["-n", "-W", "--keep-going"] + (["--all"] if full else []) + (["-q"] if quiet else [])
    if path_output is not None:
        args += ["--path-output", str(path_output)]
    args.append(str(book))
    jb_sphinx.Sphinx, mnb_sphinx.create_client = RereadingSphinx, waiting_client
    try:
        # Jupyter Book and Sphinx talk on stdout: send it to stderr, stdout is for --report -.
        with contextlib.redirect_stdout(sys.stderr):
            jb_build.main(args=args, prog_name="jupyter-book build", standalone_mode=False)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # jupyter-book raises RuntimeError with a message box on failure
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        jb_sphinx.Sphinx, mnb_sphinx.create_client = original_app, original_client


# ----------------------------------------------------------------------------- main


def build(
    book: Path,
    path_output: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    full: bool = False,
    render: bool = True,
    dry_run: bool = False,
    quiet: bool = False,
    report: dict | None = None,
    pipeline: bool = True,
    fork: bool = True,
) -> dict:
    """Run the whole build; returns the report (see the module docstring). Raises BuildError.

    ``report`` (a dict) is filled in place, so it is complete also when BuildError is raised.
    ``pipeline``: start rendering while notebooks execute (else execute first, then render).
    ``fork``: fork kernels from a process with pandas and Altair imported (:mod:`rare_earths.build.kernels`).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if not quiet:
            print(f"{PROG}: {msg}", file=sys.stderr, flush=True)

    book = book.resolve()
    if not (book / "_toc.yml").is_file():
        raise BuildError(f"no _toc.yml in {book}")
    settings = read_settings(book, path_output.resolve() if path_output else None)
    report = report if report is not None else {}
    report.update({"executed": [], "cached": [], "failed": [], "skipped": [], "reasons": {},
                   "render": "none", "seconds": timings})

    def finish() -> dict:
        timings["total"] = round(time.perf_counter() - t0, 3)
        return report

    if settings.mode != "cache":
        log(f"execute_notebooks is {settings.mode!r}, not 'cache': Jupyter Book executes (serially); no pre-execution")
        if render and not dry_run:
            t = time.perf_counter()
            rc = run_jupyter_book(book, path_output, True, set(), quiet=quiet)
            timings["render"] = round(time.perf_counter() - t, 3)
            report["render"] = "full"
            if rc:
                raise BuildError(f"jupyter-book build failed (exit {rc})")
        return finish()

    manifest = load_manifest(settings)
    plan = make_plan(settings, manifest, force=force)
    timings["plan"] = round(time.perf_counter() - t0, 3)
    for note in plan.notes:
        log(note)
    listed = {p.relative_to(book).as_posix() for _, p in plan.documents}
    for rel in [r for r in manifest["notebooks"] if r not in listed]:  # no longer in the toc
        del manifest["notebooks"][rel]
    report["cached"] = list(plan.cached)
    report["skipped"] = list(plan.skipped)
    report["reasons"] = {j.rel: j.reason for j in plan.jobs}
    if dry_run:
        report["executed"] = [j.rel for j in plan.jobs]  # would be
        report["dry_run"] = True
        return finish()

    n = jobs or default_jobs()
    if plan.jobs:
        log(f"executing {len(plan.jobs)} notebook(s) on {min(n, len(plan.jobs))} worker(s); "
            f"{len(plan.cached)} up to date")
    else:
        log(f"all {len(plan.cached)} notebook(s) up to date")
    executor = Executor(plan, manifest, n, log, fork)

    def collect() -> None:
        results = executor.join()
        timings["execute"] = round(time.perf_counter() - t_exec, 3)
        ok = [r for r in results if r.error is None]
        failed = [r for r in results if r.error is not None]
        report["executed"] = sorted(r.job.rel for r in ok)
        report["failed"] = sorted(r.job.rel for r in failed)
        if failed:
            manifest["render"]["ok"] = False  # pages may now be out of step with the cache
        save_manifest(settings, manifest)
        if failed:
            for r in failed:
                print(f"{PROG}: error: {r.error}", file=sys.stderr)
            raise BuildError(f"{len(failed)} notebook(s) failed: {', '.join(report['failed'])}")

    t_exec = time.perf_counter()
    if not render or not plan.jobs or not pipeline:
        executor.run()
        collect()
        if not render:
            return finish()

    # What to render: nothing (nothing changed since the last good render), the pages whose
    # notebooks (re-)execute plus Sphinx's own incremental choice, or everything.
    state = manifest["render"]
    exclude = {settings.build_dir.resolve(), settings.jupyter_cache.resolve()}
    config_fp = config_fingerprint(book, plan.env)
    executing = {j.docname for j in plan.jobs}
    source_fp = source_fingerprint(book, exclude)  # before rendering: edits made meanwhile count next time
    if full or not state.get("ok") or state.get("config") != config_fp or not (settings.html_dir / "index.html").is_file():
        mode = "full"
    elif not executing and state.get("fingerprint") == _render_fingerprint(source_fp, manifest, config_fp):
        mode = "skipped"
    else:
        mode = "incremental"
    report["render"] = mode
    if mode == "skipped":
        log(f"nothing changed since the last successful render: {_short(str(settings.html_dir), book)} is up to date")
        return finish()
    reread = executing | glue_dependents(plan.documents, executing)
    if mode == "incremental" and reread:
        log(f"rendering; re-reading {len(reread)} page(s) whose outputs change: {', '.join(sorted(reread))}")
    state["ok"] = False
    save_manifest(settings, manifest)
    pipelined = pipeline and bool(plan.jobs)
    if pipelined:
        executor.start()
    t = time.perf_counter()
    rc = run_jupyter_book(book, path_output, mode == "full", reread if mode == "incremental" else set(),
                          executor.wait_for if pipelined else None, quiet)
    timings["render"] = round(time.perf_counter() - t, 3)
    if pipelined:
        collect()  # raises when a notebook failed (the render then stopped at it)
    if rc:
        raise BuildError(f"jupyter-book build failed (exit {rc}); see the messages above")
    state.update(ok=True, config=config_fp, fingerprint=_render_fingerprint(source_fp, manifest, config_fp))
    save_manifest(settings, manifest)
    return finish()


def _render_fingerprint(source_fp: str, manifest: dict, config_fp: str) -> str:
    keys = {rel: e["key"] for rel, e in sorted(manifest["notebooks"].items())}
    return hashlib.sha256(json.dumps([source_fp, keys, config_fp]).encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rare_earths.build",
        description="Build the book: execute changed chapters in parallel into the Jupyter Book cache, then render.",
    )
    parser.add_argument("book", nargs="?", default=".", help="the book folder (default: .)")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel kernels (default: usable cores)")
    parser.add_argument("--force", action="store_true", help="re-execute every notebook")
    parser.add_argument("--all", dest="full", action="store_true", help="re-render every page (jupyter-book --all)")
    parser.add_argument("--no-render", action="store_true", help="only execute into the cache; do not render")
    parser.add_argument("--dry-run", action="store_true", help="print what would be executed, and why; change nothing")
    parser.add_argument("--path-output", type=Path, default=None, help="build into DIR/_build (as jupyter-book)")
    parser.add_argument("--no-pipeline", action="store_true", help="execute everything first, then render")
    parser.add_argument("--no-fork", action="store_true",
                        help="start every kernel afresh instead of forking it from a process with the libraries imported")
    parser.add_argument("--report", metavar="FILE", help="write the JSON report to FILE ('-' for stdout)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    report: dict = {}
    code = 0
    try:
        build(Path(args.book), args.path_output, args.jobs, args.force, args.full,
              not args.no_render, args.dry_run, args.quiet, report, not args.no_pipeline, not args.no_fork)
    except BuildError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        report["error"] = str(err)
        code = 1
    if args.dry_run and report and not args.report:
        for rel, why in report["reasons"].items():
            print(f"{rel}: {why}")
        for rel in report["cached"]:
            print(f"{rel}: up to date")
    if args.report and report:
        text = json.dumps(report, sort_keys=True)
        if args.report == "-":
            print(text)
        else:
            Path(args.report).write_text(text + "\n", encoding="utf-8")
    if code == 0 and not args.quiet and not args.dry_run:
        t = report["seconds"].get("total", 0)
        print(f"{PROG}: done in {t:.1f} s: executed {len(report['executed'])}, cached {len(report['cached'])}, "
              f"render {report['render']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
