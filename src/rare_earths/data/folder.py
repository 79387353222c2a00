"""Where the data lives (no pandas: ``rare-earths run`` finds its data before it starts a kernel).

First match wins:

1. the ``path`` argument, or the ``RARE_EARTHS_DATA`` environment variable;
2. ``data/`` at the top of a source checkout (editable install);
3. ``rare_earths/_data`` inside an installed wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/rare_earths


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The folder holding the curated CSV files (see the module docstring for the search order)."""
    if path is not None:
        return Path(path).resolve()
    env = os.environ.get("RARE_EARTHS_DATA")
    if env:
        return Path(env).resolve()
    checkout = _PACKAGE_DIR.parent.parent / "data"
    if (checkout / "datapackage.json").is_file():
        return checkout
    bundled = _PACKAGE_DIR / "_data"
    if (bundled / "datapackage.json").is_file():
        return bundled
    raise FileNotFoundError(
        "cannot find the rare_earths data folder: set RARE_EARTHS_DATA or pass --data DIR "
        f"(looked in {checkout} and {bundled})"
    )


def seeds_dir(path: str | os.PathLike | None = None) -> Path:
    """Folder of the seed article texts (``data/seeds``)."""
    return data_dir(path) / "seeds"
