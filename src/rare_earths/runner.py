"""``rare-earths run``: execute one chapter with new parameters into a fresh output folder.

What a run writes, in ``runs/<chapter>-<hash of the parameters>/`` (or ``--out DIR``):

* ``<chapter>.ipynb``: the executed notebook (papermill adds an ``injected-parameters`` cell);
* ``<chapter>.html``: a standalone page whose charts render offline (the Vega bundle is inlined);
* ``params.json``: the chapter, the parameters given and resolved, the package and data
  versions, and when it ran.

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
import sys
import tempfile
from pathlib import Path
from typing import Any

from rare_earths import __version__
from rare_earths.chapters import book_root, chapter_path, check_chapter_overrides, chapter_setup
from rare_earths.parameters import ParameterError, parse_assignments
from rare_earths.parameters import plain as _jsonable


class RunError(RuntimeError):
    """A run that could not complete; the message is one line."""


def data_version(folder: Path | None = None) -> str:
    """Content hash of the curated tables (first 12 hex digits of SHA-256 over every CSV)."""
    from rare_earths.dataset import data_dir

    digest = hashlib.sha256()
    for path in sorted(data_dir(folder).glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def parameters_hash(chapter: str, overrides: dict) -> str:
    text = json.dumps({"chapter": chapter, "parameters": {k: _jsonable(v) for k, v in sorted(overrides.items())}}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def plan_run(chapter: str, assignments: list[str]) -> tuple[Path, dict]:
    """Validate everything a run needs without starting a kernel: (notebook, overrides).

    Names, types, ranges and the cross-parameter rules are checked here; defaults read from the
    data are resolved while the kernel runs (see :func:`run_chapter`), not before it starts.
    """
    notebook = chapter_path(chapter)
    if not notebook.is_file():
        raise RunError(f"chapter {chapter!r} has no notebook at {notebook}")
    overrides = parse_assignments(assignments)
    check_chapter_overrides(chapter, overrides)
    return notebook, overrides


def _final_folder(chapter: str, overrides: dict, out: str | os.PathLike | None) -> tuple[Path, bool]:
    if out is not None:
        target = Path(out).resolve()
        if target.exists():
            raise RunError(f"--out {target} already exists: choose a new folder (runs never overwrite)")
        return target, True
    runs = book_root() / "runs"
    return runs / f"{chapter}-{parameters_hash(chapter, overrides)}", False


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


def resolve_myst_roles(nb) -> None:
    """Replace the book's MyST roles in Markdown cells by plain text, for a page outside the book.

    ``{glue:md}`key``` becomes the glued value recorded in the executed notebook, ``{numref}``
    the figure's number and title, ``{cite:p}`` "(producer, year)", ``{doc}`` the chapter name.
    """
    from rare_earths.dataset import load_table

    glued: dict[str, str] = {}
    figures: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if fig and fig.get("name"):
            figures[fig["name"]] = f"Figure {len(figures) + 1} ({fig.get('caption', '')})"
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = out.get("data", {})
                text = next((v for k, v in data.items() if k.endswith("text/markdown")), None)
                glued[name] = text if text is not None else next((v for k, v in data.items() if k.endswith("text/plain")), "")
    from rare_earths.citation import year_suffixes

    table = load_table("sources")
    suffix = year_suffixes(table)  # the same 2025a/2025b as the book's bibliography
    sources = table.set_index("source_id")

    def cite(ids: str) -> str:
        parts = []
        for sid in (i.strip() for i in ids.split(",")):
            if sid in sources.index:
                parts.append(f"{sources.at[sid, 'producer_short']}, {sources.at[sid, 'date_published'].year}{suffix.get(sid, '')}")
            else:
                parts.append(sid)
        return "(" + "; ".join(parts) + ")"

    def replace(m: re.Match) -> str:
        role, target = m.group(1), m.group(2)
        if role.startswith("glue"):
            return glued.get(target.split(":")[0], target)
        if role == "numref":
            return figures.get(target, target)
        if role.startswith("cite"):
            return cite(target)
        return target.split("/")[-1].split("<")[-1].rstrip(">")

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _ROLE.sub(replace, cell.source)


def standalone_html(notebook_path: Path) -> str:
    """The executed notebook as one HTML page whose charts render with no network."""
    import nbformat
    from nbconvert import HTMLExporter

    from rare_earths.offline import offline_head_html

    nb = nbformat.read(notebook_path, as_version=4)
    resolve_myst_roles(nb)
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab")
    # Same cells hidden as in the book: set-up code and table-building calls are not prose.
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_input_tags=("remove-input",), remove_cell_tags=("remove-cell",), enabled=True), True
    )
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    # The lab template links RequireJS/MathJax from a CDN and imports Mermaid from one on demand:
    # drop them, nothing here needs them, and the page must not touch the network.
    body = re.sub(r'<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>', "", body)
    body = re.sub(r"<script type=\"module\">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>", "", body, flags=re.S)
    head = offline_head_html(body)
    return body.replace("</head>", head + "\n</head>", 1)


def run_chapter(
    chapter: str,
    assignments: list[str],
    out: str | os.PathLike | None = None,
    quiet: bool = False,
) -> Path:
    """Execute a chapter with parameters; returns the output folder. Raises ParameterError/RunError."""
    notebook, overrides = plan_run(chapter, assignments)
    target, explicit = _final_folder(chapter, overrides, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{chapter}-", suffix=".partial", dir=target.parent))
    try:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        executed = tmp / f"{chapter}.ipynb"
        started = _dt.datetime.now(_dt.timezone.utc)
        if not quiet:
            print(f"run: executing {notebook.relative_to(book_root())} with {overrides or 'default parameters'}", file=sys.stderr)
        # The resolved parameters (defaults read from the data) are computed while the kernel runs.
        from concurrent.futures import ThreadPoolExecutor

        def prepare():
            # Work the page export needs anyway, done while the kernel runs: resolve the defaults,
            # import nbconvert, read the Vega bundle.
            resolved = chapter_setup(chapter, overrides)
            from nbconvert import HTMLExporter  # noqa: F401

            from rare_earths.offline import choose_vl_version, wrapped_bundle

            wrapped_bundle(choose_vl_version(None)[0])
            return resolved

        pool = ThreadPoolExecutor(max_workers=1)
        resolved_future = pool.submit(prepare)
        pool.shutdown(wait=False)
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters={k: _jsonable(v) for k, v in overrides.items()},
                kernel_name="python3",
                progress_bar=not quiet,
                cwd=str(notebook.parent),
                log_output=False,
                request_save_on_cell_execute=False,  # one write at the end, not one per cell
            )
        except PapermillExecutionError as err:
            raise RunError(
                f"chapter {chapter!r} failed in cell {err.exec_count or err.cell_index}: {err.ename}: {str(err.evalue).splitlines()[0] if err.evalue else ''}"
            ) from None
        (tmp / f"{chapter}.html").write_text(standalone_html(executed), encoding="utf-8")
        resolved = resolved_future.result()
        record = {
            "chapter": chapter,
            "parameters": {k: _jsonable(v) for k, v in resolved.items()},
            "overrides": {k: _jsonable(v) for k, v in overrides.items()},
            "package_version": __version__,
            "data_version": data_version(),
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "notebook": f"{chapter}.ipynb",
            "html": f"{chapter}.html",
        }
        (tmp / "params.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        final = _publish(tmp, target, explicit)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not quiet:
        print(f"run: wrote {final}", file=sys.stderr)
    return final


__all__ = ["RunError", "ParameterError", "run_chapter", "plan_run", "data_version", "standalone_html"]
