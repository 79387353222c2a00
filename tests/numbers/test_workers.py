"""Worker processes forked from this one (rare_earths.numbers.workers) and the work handed to them."""

from __future__ import annotations

import os

import pytest

from rare_earths.numbers import workers
from rare_earths.numbers.workers import FORK_MINIMUM_SECONDS, forked_workers, usable_cores

#: Set after import: a forked worker sees it, a freshly started process would not.
STATE = {"value": None}


def _seen_by_worker(_):
    return STATE["value"], os.getpid()


def test_no_pool_for_work_not_worth_a_fork():
    with forked_workers(1000, 0.0) as pool:
        assert pool is None
    with forked_workers(1, 10.0) as pool:  # one task: nothing to share out
        assert pool is None


@pytest.mark.skipif(usable_cores() < 2, reason="needs two usable cores")
def test_workers_are_forks_that_start_with_this_process_memory():
    STATE["value"] = "set after import"
    with forked_workers(4, FORK_MINIMUM_SECONDS) as pool:
        assert pool is not None
        seen = list(pool.map(_seen_by_worker, range(4)))
    assert {value for value, _ in seen} == {"set after import"}
    assert os.getpid() not in {pid for _, pid in seen}


def test_one_usable_core_computes_here(monkeypatch):
    monkeypatch.setattr(workers, "usable_cores", lambda: 1)
    with forked_workers(100, 1.0) as pool:
        assert pool is None


def test_the_outlook_sensitivity_runs_are_the_same_on_workers_and_here(monkeypatch):
    """numbers.outlook.run_all: the runs computed on forked workers equal those computed in this process."""
    monkeypatch.setattr(workers, "FORK_MINIMUM_SECONDS", 0.0)  # small runs, sent to workers all the same
    import numpy as np

    from rare_earths.numbers.model import Context, Store
    from rare_earths.numbers.outlook import PARAMS, run, run_all
    from rare_earths.params import resolve

    base = {k: v for k, v in resolve({}).items() if k in PARAMS}
    cases = [{**base, "delay_scale": d, "draws": 2000} for d in (0.0, 0.5, 1.0, 1.5, 2.0)]
    shared = run_all(Store(), cases)
    for case, got in zip(cases, shared):
        here = run(Context(case, store=Store()), case)[1]
        assert np.array_equal(got.ratio, here.ratio) and np.array_equal(got.p_cover, here.p_cover)
