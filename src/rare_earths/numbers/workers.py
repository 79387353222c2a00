"""Worker processes forked from this one, for a chapter's heavy computations (the outlook's Monte Carlo runs).

A fork starts with this process's memory: the tables it loaded and its shared store
(:func:`rare_earths.numbers.model.shared_store`), so a worker computes only what its task changes.
The pool is the standard library's (``concurrent.futures.ProcessPoolExecutor`` with the ``fork``
start method); nothing here imports the registry, so any domain may use it.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, Callable


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else the count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def seconds_of(task: Callable[[], Any]) -> float:
    """Run ``task`` here and return how long it took: the caller's measure of one task for
    :func:`forked_workers` (the task's result is kept by the task itself, in the store)."""
    started = time.perf_counter()
    task()
    return time.perf_counter() - started


#: Serial work (seconds) below which forking workers costs more than it saves (a fork of a chapter's
#: kernel, its start and the results sent back take some tens of milliseconds a worker).
FORK_MINIMUM_SECONDS = 0.3


@contextlib.contextmanager
def forked_workers(tasks: int, seconds_each: float):
    """A process pool whose workers are forks of this process, or None where it cannot help.

    A fork starts with this process's memory: the loaded tables and its shared store (what a chapter's
    numbers derived), so a worker computes only what each task changes (the outlook's what-if grid
    then runs its thirty Monte Carlo runs on every core). None (compute here, serially) with one
    usable core, when ``tasks`` of ``seconds_each`` (the caller's measure of one) come to less than
    :data:`FORK_MINIMUM_SECONDS`, or without a ``fork`` start method (not POSIX). The standard
    library's pool (``concurrent.futures.ProcessPoolExecutor``); closed on leaving the block.
    """
    import multiprocessing

    workers = min(usable_cores(), tasks)
    if workers < 2 or tasks * seconds_each < FORK_MINIMUM_SECONDS or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["FORK_MINIMUM_SECONDS", "forked_workers", "seconds_of", "usable_cores"]
