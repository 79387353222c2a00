"""rare_earths: the curated dataset and computations behind the book *Rare Earth Rivalry*.

Import stays light: submodules (``dataset``, ``validate``, ``citation`` and the computation
modules) are imported where they are used, so ``rare-earths --help`` starts fast.
"""

__version__ = "0.2.0"
BOOK_TITLE = "Rare Earth Rivalry"
BOOK_YEAR = 2026  # year of this release, used in citations (kept fixed so outputs are deterministic)

#: The chapters, by slug, in reading order (the notebooks are chapters/<slug>.ipynb).
CHAPTERS = ("intro", "shares", "reserves", "cost-gap", "rebuild", "outlook", "pipeline", "claims", "methods")
