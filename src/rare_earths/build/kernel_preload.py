"""IPython extension for the kernels that ``rare-earths run`` starts: import what every chapter imports.

``rare-earths run`` launches its kernel first, with this extension, and only then imports
papermill and prepares the run, so the kernel spends that time importing pandas, Altair and the
book's helpers instead of waiting. Extensions load during the kernel's start-up, before it takes
requests, and leave the notebook's namespace untouched: the chapter's own ``import`` lines then
find the modules loaded and its outputs are the same as in a plain kernel (a test compares them).

The dependency-tracking build (:mod:`rare_earths.build`) does not use it: there, the modules a
chapter imports are its recorded dependencies.
"""

from __future__ import annotations

import altair  # noqa: F401
import pandas  # noqa: F401

import rare_earths.book  # noqa: F401  (the chapter API: glue, tables, setup, citations)
import rare_earths.figures  # noqa: F401
import rare_earths.figures.charts  # noqa: F401
import rare_earths.numbers  # noqa: F401


def load_ipython_extension(ipython) -> None:  # noqa: ARG001 - IPython's extension hook
    """Nothing to do: importing this module was the point."""
