"""Render the book with Jupyter Book's own command, and decide how much to render.

The render is ``jupyter-book build -n -W --keep-going [--all]`` in a child process, started
while notebooks execute. The book's Sphinx extension ``_ext/rare_earths_build.py`` (public
Sphinx events only) makes it wait for each notebook still executing just before reading its page
(``source-read``), and re-read the pages of re-executed notebooks although their source did not
change (``env-get-outdated``). The two talk through a sync folder named in the environment
variable ``RARE_EARTHS_BUILD_SYNC``: ``plan.json`` (``pending`` and ``reread`` docnames), then
one ``<docname>.done`` or ``<docname>.failed`` file per notebook (see
:class:`rare_earths.build.execute.Executor`). A plain ``jupyter-book build .`` sets no sync
folder and the extension does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from rare_earths.build.plan import _SKIP_DIRS, file_digest

SYNC_ENV = "RARE_EARTHS_BUILD_SYNC"

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
    """What every page depends on: the configuration, the extensions and the static CSS/JS, the
    data's date (each page shows it under its title), the environment (with the package's version)."""
    from rare_earths.data.load import CHECKED_FILE, data_dir

    # Pages link the book's PDF only in a `--pdf` build (RARE_EARTHS_PDF=1): a switch renders all.
    digest = hashlib.sha256(f"{env}\0pdf={os.environ.get('RARE_EARTHS_PDF', '')}".encode())
    files = [book / "_config.yml", book / "_toc.yml", data_dir() / CHECKED_FILE]
    # The Changes page is made from the release snapshots and their notes (_ext/release_changes.py).
    files += sorted((book / "releases").glob("*")) if (book / "releases").is_dir() else []
    files += sorted((book / "_ext").rglob("*.py") if (book / "_ext").is_dir() else [])
    # The CSS and JavaScript every page includes (_static/, the extensions' static/ folder).
    for folder in (book / "_static", book / "_ext" / "static"):
        files += sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    for path in files:
        digest.update(f"{path.relative_to(book).as_posix() if path.is_relative_to(book) else path.name}\0"
                      f"{file_digest(path)}\n".encode())
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


def jupyter_book_command() -> str:
    """The ``jupyter-book`` console script of this environment (beside this Python)."""
    import shutil

    beside = Path(sys.executable).parent / "jupyter-book"
    found = str(beside) if beside.is_file() else shutil.which("jupyter-book")
    if not found:
        from rare_earths.build.plan import BuildError

        raise BuildError("the jupyter-book command is not installed (run `bash scripts/bootstrap.sh`)")
    return found


def write_sync_plan(sync: Path, pending: set[str], reread: set[str]) -> None:
    """Tell the render which pages wait for a notebook and which are re-read (see the module docstring)."""
    sync.mkdir(parents=True, exist_ok=True)
    (sync / "plan.json").write_text(json.dumps({"pending": sorted(pending), "reread": sorted(reread)}), encoding="utf-8")


def start_jupyter_book(book: Path, path_output: Path | None, full: bool, sync: Path | None,
                       quiet: bool = False) -> subprocess.Popen:
    """Start ``jupyter-book build -n -W --keep-going [--all]`` (its output goes to stderr)."""
    args = [jupyter_book_command(), "build", "-n", "-W", "--keep-going"]
    args += (["--all"] if full else []) + (["-q"] if quiet else [])
    if path_output is not None:
        args += ["--path-output", str(path_output)]
    args.append(str(book))
    env = dict(os.environ)
    env.pop(SYNC_ENV, None)
    if sync is not None:
        env[SYNC_ENV] = str(sync)
    # Jupyter Book talks on stdout: send it to stderr, stdout is for `--report -`.
    return subprocess.Popen(args, cwd=str(book), env=env, stdout=sys.stderr.fileno(), stdin=subprocess.DEVNULL,
                            start_new_session=True)


def stop_render(process: subprocess.Popen) -> None:
    """Kill the render at once (its own process group: jupyter-book and anything it started)."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        try:
            process.kill()
        except OSError:
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def output_digests(html_dir: Path) -> dict[str, str | None]:
    """SHA-256 of every file the render wrote (relative path -> digest): checked before the next
    build, so a deleted or edited page is rendered again instead of being called up to date."""
    out = {}
    for path in sorted(html_dir.rglob("*")) if html_dir.is_dir() else ():
        if path.is_file() and not path.is_symlink():
            out[path.relative_to(html_dir).as_posix()] = file_digest(path)
    return out


def damaged_outputs(html_dir: Path, recorded: dict[str, str | None]) -> list[str]:
    """The recorded output files that are now missing or differ (relative paths)."""
    return [rel for rel, digest in recorded.items() if file_digest(html_dir / rel) != digest]


#: Written by ``_ext/rare_earths_build.py`` when the render finishes: the package modules it used.
RENDER_MODULES_FILE = "render-modules.json"


def render_modules(sync: Path | None) -> dict[str, str | None]:
    """{module file: digest} of the ``rare_earths`` modules the render imported (its extensions
    call the package: the Vega bundle, the edition line), so an edit to one re-renders in full."""
    if sync is None:
        return {}
    try:
        files = json.loads((sync / RENDER_MODULES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(f): file_digest(f) for f in files if isinstance(f, str)}
