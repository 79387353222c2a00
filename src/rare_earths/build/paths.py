"""Where the book's chapters are, and the settings of the kernels the package starts.

Build and run machinery only: no chapter imports this module (editing it re-executes nothing).
"""

from __future__ import annotations

import os
from pathlib import Path

from rare_earths import CHAPTERS
from rare_earths.params import ParameterError

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # src/rare_earths


def book_root() -> Path:
    """Top of the source checkout (where ``_config.yml`` and ``chapters/`` are)."""
    root = _PACKAGE_DIR.parent.parent
    if not (root / "_config.yml").is_file() or not (root / "chapters").is_dir():
        raise FileNotFoundError(
            f"the book's chapters are not here ({root}): running chapters needs a source checkout of the book"
        )
    return root


def chapter_path(chapter: str) -> Path:
    """The notebook of a chapter slug (``cost-gap`` -> ``chapters/cost-gap.ipynb``)."""
    if chapter not in CHAPTERS:
        import difflib

        close = difflib.get_close_matches(chapter, CHAPTERS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ParameterError(f"chapter={chapter}: unknown chapter{hint}; chapters are: {', '.join(CHAPTERS)}")
    return book_root() / "chapters" / f"{chapter}.ipynb"


def kernel_config():
    """Config for the Jupyter kernels the package starts (build, ``rare-earths run``).

    ipykernel 7.3+ warns on every start when its ZMQ sockets use TCP without encryption; the
    Python kernelspec declares CurveZMQ support, so ``auto`` has jupyter_client provision keys.
    Kernel and client run on the same machine either way; this only keeps the output clean.
    """
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport_encryption = "auto"
    return config


class ProtectedPathError(ValueError):
    """An output path inside the book's sources (data, chapters, package): refused, whatever --force says."""


def protected_folders() -> list[Path]:
    """Where no command output may land: the data folder in use, an overlay of the analyst's own
    tables read by this process (``--data``), the book's data/, chapters/ and src/ (when run from a
    checkout) and the installed package itself (all resolved)."""
    from rare_earths.data.folder import data_dir

    from rare_earths.data.overlay import OVERLAYS_IN_USE

    folders = [data_dir().resolve(), _PACKAGE_DIR.resolve(), *OVERLAYS_IN_USE]
    root = _PACKAGE_DIR.parent.parent
    if (root / "_config.yml").is_file():
        folders += [(root / name).resolve() for name in ("data", "chapters", "src", "_ext")]
    return list(dict.fromkeys(folders))


def check_output_path(path: str | os.PathLike, what: str) -> Path:
    """``path`` resolved (symlinks followed, also of folders not yet created); raises
    :class:`ProtectedPathError` naming ``what`` when it lies in a :func:`protected_folders` folder."""
    target = Path(os.path.realpath(Path(path).expanduser()))
    for folder in protected_folders():
        if target == folder or folder in target.parents:
            raise ProtectedPathError(f"{what} {path}: inside {folder}, which holds the book's sources; "
                                     "outputs never go there (choose another folder)")
    return target


def parameters_cell(notebook: Path) -> dict:
    """The parameters a notebook's ``parameters`` cell assigns, with their default values.

    Read with papermill's own ``inspect_notebook`` (names and the text of each default),
    then evaluated as Python literals.
    """
    import ast

    import papermill

    found = papermill.inspect_notebook(str(notebook))
    return {name: ast.literal_eval(info["default"]) for name, info in found.items()}
