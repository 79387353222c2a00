"""rare_earths: the curated dataset and computations behind the book *Rare Earth Rivalry*.

Import stays light: submodules (``dataset``, ``validate``, ``citation`` and the computation
modules) are imported where they are used, so ``rare-earths --help`` starts fast.
"""

__version__ = "0.1.0"
BOOK_TITLE = "Rare Earth Rivalry"
BOOK_YEAR = 2026  # year of this release, used in citations (kept fixed so outputs are deterministic)

#: The chapters, by slug, in reading order (the notebooks are chapters/<slug>.ipynb).
CHAPTERS = ("intro", "shares", "reserves", "cost-gap", "rebuild", "outlook", "pipeline", "claims", "methods")

#: myst-nb's mimetype prefix for glued values that are stored but not shown
#: (``glue(..., display=False)``): written by :mod:`rare_earths.book`, read by :mod:`rare_earths.build.page`.
GLUE_MIME_PREFIX = "application/papermill.record/"
