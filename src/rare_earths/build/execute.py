"""Execute planned notebooks in parallel kernels and store them in Jupyter Book's cache.

Each notebook runs in its own kernel, exactly as myst-nb would run it (same kernel, working
folder, timeout and error settings from ``_config.yml``), through nbclient's public API with a
kernel manager of our own: forked from :class:`~rare_earths.build.kernels.ForkServer` (pandas
and Altair already imported) or started afresh. What the notebook depended on is recorded
inside its kernel by an audit hook (file opens) and a final look at ``sys.modules``, both run as
silent requests that add nothing to the notebook. Each success is stored in the jupyter-cache
(its public API), replacing older records of the same notebook, and its dependency key is
recorded in the manifest with the digests the kernel took when it read each file, checked again
after storing: a file that differs by then (edited while the notebook ran) is recorded as stale,
so the next build executes the notebook again rather than trusting a stale page.
:meth:`Executor.cancel` (SIGINT, SIGTERM) starts no further notebook and cancels the running
ones, whose kernels are then shut down.

When a render runs at the same time (:mod:`rare_earths.build.render`), each finished notebook is
announced in the sync folder (``<docname>.done`` or ``<docname>.failed``), where the book's
Sphinx extension ``_ext/rare_earths_build.py`` waits for it before reading the page.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rare_earths.build.plan import (
    _TRACE_INSTALL, _TRACE_REPORT, STALE, BuildError, Job, Plan, Settings, dependency_key, file_digest, record_digest,
    tracked_roots,
)


@dataclass
class Result:
    job: Job
    nb: Any = None
    seconds: float = 0.0
    deps: dict[str, str | None] = field(default_factory=dict)  # path -> sha256 when the kernel read it
    modules: set[str] = field(default_factory=set)  # deps hashed after the last cell (imported before the trace)
    writes: list[str] = field(default_factory=list)
    error: str | None = None
    started_ns: int = 0


#: Seconds to wait for a cell's outputs after its reply (see execute_notebook).
IOPUB_TIMEOUT = 60

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


def _kernel_manager(nb, server, spec_folder: Path):
    """A kernel manager for one notebook: forked from ``server``, or a plain one for its kernelspec."""
    from jupyter_client.manager import AsyncKernelManager

    from rare_earths.build.kernels import kernel_manager
    from rare_earths.build.paths import kernel_config

    if server is not None:
        return kernel_manager(server.token, spec_folder, config=kernel_config())
    return AsyncKernelManager(kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"), config=kernel_config())


async def execute_notebook(job: Job, settings: Settings, roots, excluded, server=None, spec_folder: Path | None = None) -> Result:
    """Execute one planned notebook; the result holds the executed notebook and what it read."""
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
    km = _kernel_manager(nb, server, spec_folder or Path(tempfile.gettempdir()))
    client = NotebookClient(
        nb, km=km, timeout=timeout, allow_errors=allow_errors, record_timing=False,
        # On a loaded machine a cell's outputs can arrive seconds after its reply; nbclient's default
        # (4 s, then go on silently) would store a page with outputs missing. Wait, and fail loudly.
        iopub_timeout=IOPUB_TIMEOUT, raise_on_iopub_timeout=True,
        resources={"metadata": {"path": cwd}}, on_notebook_start=on_notebook_start, on_cell_error=on_cell_error,
        config=kernel_config(),
    )
    started = time.perf_counter()
    result = Result(job, started_ns=time.time_ns())
    try:
        try:
            # We own the kernel manager, so the kernel stays up after the last cell for the trace.
            await client.async_execute()
            msg_id = client.kc.execute("", silent=True, store_history=False, user_expressions={"deps": _TRACE_REPORT})
            reply = await client.async_wait_for_reply(msg_id)
            expr = (reply or {}).get("content", {}).get("user_expressions", {}).get("deps", {})
            if expr.get("status") != "ok":
                raise BuildError(f"{job.rel}: could not read the dependency trace from the kernel: {expr.get('evalue', expr)}")
            trace = json.loads(ast.literal_eval(expr["data"]["text/plain"]))
            result.deps = {**trace["modules"], **trace["reads"]}
            result.modules = set(trace["modules"]) - set(trace["reads"])
            result.writes = trace["writes"]
            result.nb = nb
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
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


def sync_name(docname: str) -> str:
    """The file name under which a notebook's completion is announced (``chapters/intro`` -> ``chapters--intro``)."""
    return docname.replace("/", "--")


class Executor:
    """Executes a plan's notebooks in parallel kernels; each success is stored in the cache.

    :meth:`run` blocks; :meth:`start` runs the same in a background thread. With ``sync`` (a
    folder), each finished notebook is announced there for a render running meanwhile.
    """

    def __init__(self, plan: Plan, manifest: dict, jobs: int, log, fork: bool = True, sync: Path | None = None):
        self.plan, self.manifest, self.jobs, self.log = plan, manifest, max(1, jobs), log
        self.fork = fork and hasattr(os, "fork")
        self.sync = sync
        self.results: list[Result] = []
        self._thread: threading.Thread | None = None
        self.crash: BaseException | None = None
        self.stale: list[str] = []  # dependencies that changed while their notebook ran
        self.cancelled = False
        self.running: set[str] = set()  # notebooks executing now
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None

    def cancel(self) -> None:
        """Stop (from any thread, a signal handler too): no further notebook starts, the running
        ones are cancelled, which kills their kernels; what was stored already stays stored."""
        self.cancelled = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop has closed: nothing is running
                pass

    def _store(self, cache, res: Result) -> None:
        from jupyter_cache.base import CacheBundleIn

        job, plan = res.job, self.plan
        uri = str(job.path.absolute())
        record = cache.cache_notebook_bundle(
            CacheBundleIn(res.nb, uri, data={"execution_seconds": res.seconds}), check_validity=False, overwrite=True,
        )
        for old in cache.list_cache_records():  # older versions of this notebook can only mislead
            if old.uri == uri and old.pk != record.pk:
                cache.remove_cache(old.pk)
        deps = {}
        for p, read in sorted(res.deps.items()):
            now = file_digest(p)
            # Re-checked after storing: a file that differs from what the kernel read (edited while
            # the notebook ran) is recorded as stale, so the next build re-executes the notebook.
            changed = now != read
            if p in res.modules and not changed:  # hashed after the last cell: also check its time
                try:
                    changed = os.stat(p).st_mtime_ns >= res.started_ns
                except OSError:
                    changed = False
            deps[p] = STALE if changed else now
            if changed:
                self.stale.append(f"{job.rel}: {p}")
        self.manifest["notebooks"][job.rel] = {
            "key": dependency_key(job.code_hash, plan.env, deps),
            "code": job.code_hash,
            "env": plan.env,
            "deps": deps,
            "writes": res.writes,
            "cache_pk": record.pk,
            "record": record_digest(cache, record.pk),
            "data": plan.data,
            "seconds": round(res.seconds, 3),
        }

    def _announce(self, job: Job, error: str | None) -> None:
        if self.sync is None:
            return
        name = self.sync / (sync_name(job.docname) + (".failed" if error else ".done"))
        tmp = name.with_suffix(name.suffix + ".tmp")
        tmp.write_text(error or "", encoding="utf-8")
        os.replace(tmp, name)  # atomic: the render never reads half a message

    async def _run_all(self) -> None:
        from jupyter_cache import get_cache

        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        if self.cancelled:
            return
        settings = self.plan.settings
        roots, excluded = tracked_roots(settings)
        cache = get_cache(str(settings.jupyter_cache))
        sem = asyncio.Semaphore(self.jobs)
        # Longest first (times known from the last execution), so the last to start is short;
        # ties (and a cold build, where no time is known) in Sphinx's reading order (sorted
        # docnames), so the render can read each page soon after its notebook is stored.
        ordered = sorted(self.plan.jobs, key=lambda j: (-round(j.seconds), j.docname))
        spec_folder = Path(tempfile.mkdtemp(prefix="rare-earths-kernelspec-"))

        async def worker(job: Job):
            async with sem:
                if self.cancelled:  # stopping: start nothing new
                    return
                self.log(f"executing {job.rel} ({job.reason})")
                self.running.add(job.rel)
                try:
                    res = await execute_notebook(job, settings, roots, excluded, server, spec_folder)
                finally:
                    self.running.discard(job.rel)
            if res.error is None:
                try:
                    self._store(cache, res)
                except Exception as err:  # noqa: BLE001 - reported as this notebook's failure
                    res.error = f"{job.rel} could not be stored in the cache: {type(err).__name__}: {err}"
            if res.error is None:
                self.log(f"executed {job.rel} in {res.seconds:.1f} s")
            self.results.append(res)
            self._announce(job, res.error)

        # Imported here, not in the first job: an import would hold the event loop while the
        # second job is waiting to start its kernel.
        import jupyter_client.manager  # noqa: F401
        import nbclient  # noqa: F401

        server = None
        try:
            if self.fork:
                from rare_earths.build.kernels import ForkServer

                server = ForkServer().start()
                # Every kernel comes from the server, so nothing can start before it is ready anyway.
                problem = await asyncio.get_running_loop().run_in_executor(None, server.wait_ready)
                if problem:
                    self.log(f"{problem}: starting kernels afresh")
                    server.stop()
                    server = None
            await asyncio.gather(*(worker(j) for j in ordered))
        finally:
            if server is not None:
                server.stop()  # also kills a kernel forked for a notebook that was cancelled meanwhile
            import shutil

            shutil.rmtree(spec_folder, ignore_errors=True)

    def run(self) -> list[Result]:
        try:
            if self.plan.jobs:
                asyncio.run(self._run_all())
        except asyncio.CancelledError:
            if not self.cancelled:
                self.crash = RuntimeError("execution was cancelled")
        except BaseException as err:  # noqa: BLE001 - re-raised by join()
            self.crash = err
        finally:
            self._loop = self._task = None
        if self.crash is not None or self.cancelled:
            why = "the build was interrupted" if self.cancelled else f"executor crashed: {type(self.crash).__name__}: {self.crash}"
            for job in self.plan.jobs:  # a render waiting for these must not wait forever
                if not any(r.job is job for r in self.results):
                    self._announce(job, why)
        return self.results

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="rare-earths-executor", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> list[Result]:
        if self._thread is not None:
            self._thread.join(timeout)
        if self.crash is not None:
            raise BuildError(f"executor crashed: {type(self.crash).__name__}: {self.crash}") from self.crash
        return self.results
