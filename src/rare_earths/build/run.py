"""``rare-earths run``: execute one chapter with new parameters into a fresh output folder.

What a run writes, in ``runs/<chapter>-<hash of the parameters>/`` (or ``--out DIR``):

* ``<chapter>.ipynb``: the executed notebook (papermill adds an ``injected-parameters`` cell);
* ``<chapter>.html``: a standalone page whose charts render offline (the Vega bundle is inlined);
* ``params.json``: the chapter, the parameters given and resolved, the scenario (``--scenario``:
  name, file, sha256, its values), the data (``--data``: the overlay folder, its sha256 and tables),
  the package and data versions, and when it ran.

The page and the saved notebook say what they are (:mod:`rare_earths.build.run_page`): a banner
(a scenario, not the published book; the parameters that differ; the data date), numbers that
moved marked with their published value, figure titles as drawn under the run's parameters, and
the notebook's MyST roles resolved so it reads in Jupyter.

Guarantees: parameters are validated before any kernel starts; ``chapters/`` and ``data/`` are
never written; the run happens in a private temporary folder that is renamed into place only
when everything succeeded, so two runs at once cannot clobber each other and a failed run leaves
nothing behind; an existing folder is never overwritten (a numbered sibling is used instead for
the default location, and an explicit ``--out`` that exists is refused).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rare_earths import __version__
from rare_earths.build.interrupt import Interrupted, StopSignals
from rare_earths.build.paths import ProtectedPathError, book_root, chapter_path, check_output_path
from rare_earths.params import ParameterError, check_chapter_overrides, parse_assignments  # noqa: F401
from rare_earths.params import plain as _jsonable

# Nothing imported above reads a table (no pandas, no numpy): a run validates its parameters and
# starts its kernel first, and imports the rest while the kernel starts (see _run_into).


class RunError(RuntimeError):
    """A run that could not complete; the message is one line."""


def parameters_hash(chapter: str, overrides: dict, data_sha256: str | None = None) -> str:
    content = {"chapter": chapter, "parameters": {k: _jsonable(v) for k, v in sorted(overrides.items())}}
    if data_sha256:  # a run on the analyst's own data gets its own folder
        content["data"] = data_sha256
    text = json.dumps(content, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def plan_run(chapter: str, assignments: list[str], scenario: str | os.PathLike | None = None) -> tuple[Path, dict]:
    """Validate everything a run needs without starting a kernel: (notebook, overrides).

    Names, types, ranges and the cross-parameter rules are checked here, for ``-p`` and the
    scenario's values alike (``-p`` overrides the scenario); defaults read from the data are
    resolved while the kernel runs (see :func:`run_chapter`), not before it starts.
    """
    notebook, inputs = _plan(chapter, assignments, scenario)
    return notebook, inputs.overrides


def _plan(chapter: str, assignments: list[str], scenario=None):
    from rare_earths.params.scenario import scenario_overrides

    notebook = chapter_path(chapter)
    if not notebook.is_file():
        raise RunError(f"chapter {chapter!r} has no notebook at {notebook}")
    inputs = scenario_overrides(scenario, assignments, chapter=chapter)
    check_chapter_overrides(chapter, inputs.overrides)
    return notebook, inputs


def _final_folder(chapter: str, overrides: dict, out: str | os.PathLike | None, data_sha256: str | None = None) -> tuple[Path, bool]:
    if out is not None:
        try:
            target = check_output_path(out, "--out")
        except ProtectedPathError as err:
            raise RunError(str(err)) from None
        if target.exists():
            raise RunError(f"--out {target} already exists: choose a new folder (runs never overwrite)")
        return target, True
    runs = book_root() / "runs"
    return runs / f"{chapter}-{parameters_hash(chapter, overrides, data_sha256)}", False


def _publish(tmp: Path, target: Path, explicit: bool) -> Path:
    """Move the finished run into place atomically, never replacing an existing folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    candidates = [target] if explicit else [target] + [target.with_name(f"{target.name}-{i}") for i in range(2, 1000)]
    for candidate in candidates:
        try:
            os.rename(tmp, candidate)  # fails if candidate exists and is not empty
            return candidate
        except OSError:
            if not candidate.exists():
                raise
    raise RunError(f"{target} and its numbered siblings already exist")


_ROLE = re.compile(r"\{(glue:md|glue:text|glue|numref|doc|ref|cite:p|cite:t|cite)\}`([^`]+)`")


def resolve_myst_roles(nb: dict, published: dict | None = None) -> None:
    """Replace the book's MyST roles in the Markdown cells of ``nb`` (plain notebook JSON) by Markdown.

    For a page outside the book: ``{glue:md}`key``` becomes the glued value recorded in the
    executed notebook (Markdown, rendered in place), ``{numref}`fig-x``` a link ``[Figure N](#fig-x)``
    to the figure (numbered as :mod:`rare_earths.build.page` numbers them), ``{cite:p}`` "(producer,
    year)", ``{doc}`name``` and ``{ref}`` their text (the other chapters are not next to the page).
    ``published`` (``{key: glued text in the published book}``): a glued value that differs is
    marked ``**value** (published: X)``.
    """
    from rare_earths.build.run_page import mark

    import functools

    from rare_earths.build.page import joined, numbered_figures

    glued: dict[str, str] = {}
    for cell in nb.get("cells", ()):
        for out in cell.get("outputs", ()) if cell.get("cell_type") == "code" else ():
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = out.get("data", {})
                text = next((v for k, v in data.items() if k.endswith("text/markdown")), None)
                glued[name] = joined(text if text is not None else next((v for k, v in data.items() if k.endswith("text/plain")), ""))
    figures = numbered_figures(nb)

    @functools.cache
    def citation_labels() -> tuple[dict, dict]:
        # Only chapters that cite pay for reading the sources table (it imports pandas).
        from rare_earths.book.citation import year_suffixes
        from rare_earths.data.load import load_table

        table = load_table("sources")
        suffix = year_suffixes(table)  # the same 2025a/2025b as the book's bibliography
        return table.set_index("source_id"), suffix

    def cite(ids: str) -> str:
        sources, suffix = citation_labels()
        parts = []
        for sid in (i.strip() for i in ids.split(",")):
            if sid in sources.index:
                parts.append(f"{sources.at[sid, 'producer_short']}, {sources.at[sid, 'date_published'].year}{suffix.get(sid, '')}")
            else:
                parts.append(sid)
        return "(" + "; ".join(parts) + ")"

    def replace(m: re.Match) -> str:
        role, target = m.group(1), m.group(2)
        explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>", target, re.S)  # `text <target>`
        text, target = (explicit.group(1), explicit.group(2)) if explicit else (None, target.strip())
        if role.startswith("glue"):
            key = target.split(":")[0]
            text = glued.get(key, target)
            return mark(text, (published or {}).get(key)) if key in glued else text
        if role == "numref":
            if target not in figures:
                return text or target
            number = figures[target][0]
            label = text.replace("%s", str(number)).replace("{number}", str(number)) if text else f"Figure {number}"
            return f"[{label}](#{target})"
        if role.startswith("cite"):
            return cite(target)
        return text or target.rstrip("/").split("/")[-1]

    for cell in nb.get("cells", ()):
        if cell.get("cell_type") == "markdown":
            cell["source"] = _ROLE.sub(replace, joined(cell.get("source")))


def standalone_html(notebook_path: Path, ran_on: str | None = None, banner_html: str = "") -> str:
    """The executed notebook as one HTML page whose charts render with no network, with the edition
    line (and a run's banner) under the title."""
    from html import escape

    from rare_earths.build.offline import offline_head_html
    from rare_earths.build.page import notebook_page, read_notebook
    from rare_earths.edition import edition_line

    nb = read_notebook(notebook_path)
    resolve_myst_roles(nb)
    line = edition_line(ran_on).replace(" · built ", " · run ")
    return notebook_page(nb, Path(notebook_path).name, head_for_body=offline_head_html,
                         after_title=f'<p class="rr-edition">{escape(line)}</p>' + banner_html)


def run_chapter(
    chapter: str,
    assignments: list[str],
    out: str | os.PathLike | None = None,
    quiet: bool = False,
    scenario: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
) -> Path:
    """Execute a chapter with parameters; returns the output folder. Raises ParameterError/RunError.

    ``scenario``: a scenario file or shipped name (``-p`` assignments override it); ``data``: a
    whole data folder or an overlay of the analyst's own tables (:mod:`rare_earths.data.overlay`),
    validated before anything runs.

    SIGINT or SIGTERM stops the run at once: the kernel is killed, the partial folder and the
    kernel's folders are removed, one line is printed and :class:`~rare_earths.build.interrupt.Interrupted`
    (a ``SystemExit`` with status 130 or 143) is raised.
    """
    from rare_earths.data.folder import data_dir
    from rare_earths.data.overlay import OverlayError, prepare_data, using_data

    published_data = data_dir()
    try:
        selection = prepare_data(data)
    except OverlayError as err:
        raise ParameterError(str(err)) from None
    with using_data(selection.folder if data is not None else None):
        return _run(chapter, assignments, out, quiet, scenario, selection, published_data)


def _run(chapter, assignments, out, quiet, scenario, selection, published_data) -> Path:
    notebook, inputs = _plan(chapter, assignments, scenario)
    overrides = inputs.overrides
    on_shipped = selection.overlay is None and selection.folder == published_data
    target, explicit = _final_folder(chapter, overrides, out, selection.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    with StopSignals(raising=True) as stop:
        try:
            return _run_into(chapter, notebook, inputs, overrides, target, explicit, quiet, stop,
                             selection, published_data, on_shipped)
        except Interrupted as err:
            print(f"run: interrupted ({err.name}): the kernel was stopped and nothing was written", file=sys.stderr)
            raise


def _run_into(chapter, notebook, inputs, overrides, target, explicit, quiet, stop, selection, published_data,
              on_shipped) -> Path:
    """The run itself (see :func:`run_chapter`): in a ``.partial`` folder beside ``target``, removed
    with the kernel's folders whatever stops the run (an error, SIGINT, SIGTERM)."""
    from rare_earths.data.overlay import using_data

    tmp = Path(tempfile.mkdtemp(prefix=f".{chapter}-", suffix=".partial", dir=target.parent))
    kernel = token = spec_folder = None
    try:
        # The kernel starts first and imports what the chapter needs while this process imports
        # papermill and prepares the run (see rare_earths.build.kernel_preload).
        from rare_earths.build import kernels

        # By name only: importing the preload module here would import pandas and Altair in this process.
        token, kernel = kernels.prelaunch(notebook.parent, extensions=("rare_earths.build.kernel_preload",))
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        from rare_earths.book.setup import chapter_setup
        from rare_earths.build import run_page
        from rare_earths.build.page import read_notebook
        from rare_earths.data.load import data_checked_to, data_version

        executed = tmp / f"{chapter}.ipynb"
        started = _dt.datetime.now(_dt.timezone.utc)
        if not quiet:
            print(f"run: executing {notebook.relative_to(book_root())} with {overrides or 'default parameters'}", file=sys.stderr)
        # The resolved parameters (defaults read from the data) are computed while the kernel runs.
        from concurrent.futures import ThreadPoolExecutor

        def prepare():
            # Work the page export and params.json need anyway, done while the kernel runs:
            # resolve the defaults, import the page exporter, load the sources table (for the
            # page's citations; it imports pandas), read the Vega bundle, hash the data.
            resolved = chapter_setup(chapter, overrides)
            import rare_earths.build.page  # noqa: F401
            from rare_earths.data.load import load_table
            from rare_earths.build.offline import wrapped_bundle
            from rare_earths.figures.charts import vegalite_version

            load_table("sources")
            wrapped_bundle(vegalite_version())
            published = {}
            if overrides and on_shipped:  # the published values, for marking the numbers that moved
                published = run_page.published_glue_cached(run_page.glue_keys(read_notebook(notebook)))
            return resolved, data_version(), published

        spec_folder = Path(tempfile.mkdtemp(prefix="rare-earths-kernelspec-"))
        pool = ThreadPoolExecutor(max_workers=1)
        resolved_future = pool.submit(prepare)
        pool.shutdown(wait=False)
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters={k: _jsonable(v) for k, v in overrides.items()},
                progress_bar=not quiet,
                cwd=str(notebook.parent),
                log_output=False,
                request_save_on_cell_execute=False,  # one write at the end, not one per cell
                kernel_name="python3",  # what the saved notebook names; the kernel itself comes from km
                # papermill's client takes the prelaunched kernel through its manager (public API).
                km=kernels.kernel_manager(token, spec_folder),
            )
        except PapermillExecutionError as err:
            raise RunError(
                f"chapter {chapter!r} failed in cell {err.exec_count or err.cell_index}: {err.ename}: {str(err.evalue).splitlines()[0] if err.evalue else ''}"
            ) from None
        except Exception as err:  # the kernel died or never answered: one line, not a traceback
            detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise RunError(f"chapter {chapter!r} could not be executed: {type(err).__name__}: {detail}") from err
        finally:
            _stop(kernel, token, spec_folder)
            kernel = None
        resolved, version, published = resolved_future.result()  # before the export, which needs what it loaded
        nb = read_notebook(executed)
        if on_shipped:
            published_params = run_page.published_parameters(resolved) if overrides else dict(resolved)
        else:  # the analyst's data: the published book is the shipped data under the defaults
            with using_data(published_data):
                published = run_page.published_glue_cached(run_page.glue_keys(nb))
                published_params = run_page.published_parameters(resolved)
        record = {
            "chapter": chapter,
            "parameters": {k: _jsonable(v) for k, v in resolved.items()},
            "overrides": {k: _jsonable(v) for k, v in overrides.items()},
            "scenario": inputs.scenario_record(),
            "data": selection.record(),
            "package_version": __version__,
            "data_version": version,
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "notebook": f"{chapter}.ipynb",
            "html": f"{chapter}.html",
        }
        banner_md, banner_html = run_page.banner(record, {k: _jsonable(v) for k, v in published_params.items()},
                                                 data_checked_to().isoformat())
        # The saved notebook reads in Jupyter: roles resolved, figure titles as drawn, the banner
        # as a cell after the title (dropped from the page, which shows the banner's HTML).
        resolve_myst_roles(nb, published)
        run_page.retitle_figures(nb)
        first = next((i for i, c in enumerate(nb.get("cells", ())) if c.get("cell_type") == "markdown"), -1)
        cell = {"cell_type": "markdown", "metadata": {"tags": ["remove-cell", "rr-run-banner"]}, "source": banner_md}
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
            cell = {"id": "rr-run-banner", **cell}
        nb["cells"].insert(first + 1, cell)
        executed.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / f"{chapter}.html").write_text(standalone_html(executed, f"{started:%Y-%m-%d}", banner_html), encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        stop.raising = False  # the run is complete: a signal from here on no longer undoes it
        final = _publish(tmp, target, explicit)
    except BaseException:
        if kernel is not None:
            _stop(kernel, token, spec_folder)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not quiet:
        print(f"run: wrote {final}", file=sys.stderr)
    return final


def _stop(kernel, token: str, spec_folder: Path | None) -> None:
    """Stop the prelaunched kernel at once (the notebook is written) and remove its folders."""
    from rare_earths.build import kernels

    try:
        if kernel.process.poll() is None:
            kernel.process.kill()
        kernel.process.wait(timeout=10)
    finally:
        kernel.cleanup()
        kernels.unregister_launcher(token)
        if spec_folder is not None:
            shutil.rmtree(spec_folder, ignore_errors=True)


__all__ = ["RunError", "ParameterError", "run_chapter", "plan_run", "standalone_html"]
