"""Sphinx extension: let ``python -m rare_earths.build`` render while notebooks still execute.

Registered in ``_config.yml`` (``sphinx: local_extensions``). It does nothing unless the
environment variable ``RARE_EARTHS_BUILD_SYNC`` names a sync folder (the build sets it for the
``jupyter-book build`` it starts; see :mod:`rare_earths.build.render`). Then, on public Sphinx
events only:

* ``env-get-outdated``: the pages listed under ``reread`` in ``plan.json`` are read again although
  their source did not change (their notebook re-executed, so their outputs did);
* ``source-read``: before a page listed under ``pending`` is parsed (and myst-nb looks its
  notebook up in the execution cache), wait until the build announces it (``<docname>.done``);
  ``<docname>.failed`` stops the build with the notebook's error;
* ``build-finished``: list the ``rare_earths`` package modules the render imported (the other
  extensions call the package) in ``render-modules.json``, so the build re-renders when one changes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

__version__ = "1.0"

SYNC_ENV = "RARE_EARTHS_BUILD_SYNC"


class NotebookFailed(ExtensionError):
    category = "Notebook execution failed"


_PLANS: dict[str, dict] = {}  # sync folder -> its plan, read once per process


def _plan(app: Sphinx) -> dict | None:  # noqa: ARG001 - one build per process
    folder = os.environ.get(SYNC_ENV)
    if not folder:
        return None
    if folder not in _PLANS:
        path = Path(folder) / "plan.json"
        try:
            plan = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ExtensionError(f"{SYNC_ENV}={folder}: cannot read plan.json ({err})") from None
        _PLANS[folder] = {"folder": Path(folder), "pending": set(plan.get("pending", ())),
                          "reread": set(plan.get("reread", ()))}
    return _PLANS[folder]


def reread(app: Sphinx, env, added, changed, removed) -> list[str]:
    plan = _plan(app)
    if plan is None:
        return []
    return sorted(d for d in plan["reread"] if d in env.all_docs and d not in changed)


def wait_for_notebook(app: Sphinx, docname: str, source: list[str]) -> None:
    plan = _plan(app)
    if plan is None or docname not in plan["pending"]:
        return
    stem = plan["folder"] / docname.replace("/", "--")
    done, failed = stem.with_name(stem.name + ".done"), stem.with_name(stem.name + ".failed")
    while not done.exists():
        if failed.exists():
            message = failed.read_text(encoding="utf-8").strip().splitlines() or ["(no message)"]
            raise NotebookFailed(f"{docname}: {message[0]} (details at the end)")
        time.sleep(0.02)


def record_modules(app: Sphinx, exception) -> None:
    plan = _plan(app)
    if plan is None or exception is not None:
        return
    import sys

    files = sorted({os.path.abspath(m.__file__) for name, m in list(sys.modules.items())
                    if (name == "rare_earths" or name.startswith("rare_earths.")) and isinstance(getattr(m, "__file__", None), str)})
    target = plan["folder"] / "render-modules.json"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(files), encoding="utf-8")
    os.replace(tmp, target)


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", reread)
    app.connect("source-read", wait_for_notebook)
    app.connect("build-finished", record_modules)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
