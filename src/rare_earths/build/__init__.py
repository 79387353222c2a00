"""Build the book fast and never stale: parallel, dependency-aware execution, then render.

    python -m rare_earths.build [BOOK] [-j N] [--force] [--all] [--no-render] [--dry-run]
                                [--no-pipeline] [--no-fork] [--path-output DIR] [--report FILE] [-q]

Jupyter Book 1 executes notebooks one after another, and its execution cache (jupyter-cache)
keys a notebook on its code cells only: an edit to ``src/`` or ``data/`` leaves cached pages
with stale numbers. This module runs *before* Jupyter Book and fills the same cache:

1. **Plan.** For every ``.ipynb`` the table of contents lists, a *dependency key* hashes
   (a) jupyter-cache's own hash of the notebook (code cells, their metadata, the kernelspec),
   (b) the content of every file the notebook depended on when it last ran: the source of
   every module it imported from the book or the ``rare_earths`` package, and every file it
   opened for reading under the book, the package or ``RARE_EARTHS_DATA`` (the data tables,
   seed texts, ...), and (c) the Python version and installed distributions. A notebook is
   executed when its key differs from the one recorded at its last execution, or when the
   cache has no record for it, and only then: editing one table re-executes exactly the
   chapters that read it; editing Markdown re-executes none.
2. **Execute** the planned notebooks in parallel (``-j``, default: the usable cores), longest
   first, each in its own kernel, exactly as myst-nb would (same kernel, same working folder,
   same timeout and error settings from ``_config.yml``). The kernels are forked from a
   server that has imported pandas, Altair and ipykernel once (:mod:`rare_earths.build.kernels`;
   ``--no-fork`` starts them afresh, as happens when the server cannot start). What a notebook depends on is
   recorded inside its kernel by an audit hook (file opens) and a final look at
   ``sys.modules``, both run as silent requests that add nothing to the notebook. A failing
   cell fails the build, naming the notebook, the cell and the error.
3. **Store** each executed notebook in Jupyter Book's cache (``_build/.jupyter_cache``),
   replacing older records of the same notebook, and record its key and dependencies in
   ``_build/.rare_earths_deps.json``.
4. **Render** with ``jupyter-book build -n -W --keep-going`` (its own command, in a child
   process), started while the notebooks execute: the book's Sphinx extension
   ``_ext/rare_earths_build.py`` makes it wait for each notebook to be stored before reading its
   page, so every notebook is a cache hit and nothing executes twice, and re-read the pages of
   re-executed notebooks (and pages that glue from them) although their source did not change
   (:mod:`rare_earths.build.render`). A full ``--all`` render is used after a failed or unknown
   render state, or when ``_config.yml``, ``_toc.yml`` or ``_ext/`` changed; when nothing at all
   changed since the last successful render, nothing is rendered.

``_config.yml`` must say ``execute: execute_notebooks: cache`` (a plain
``jupyter-book build .`` then still works, executing serially into the same cache, but it
cannot see ``src/`` or ``data/`` edits: use this command). With any other mode this command
just runs ``jupyter-book build --all -n -W --keep-going``.

Exit status: 0 built, 1 a chapter or the render failed, 2 bad usage.
The last line on stdout with ``--report -`` (or the file given) is a JSON object:
``{"executed": [...], "cached": [...], "failed": [...], "render": "full|incremental|skipped|none",
"reasons": {nb: why}, "seconds": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rare_earths.build.interrupt import Interrupted, StopSignals

# The executor, the planner and the render are imported by build() and main(), not here: a run
# (rare_earths.build.run) imports this package on its way to starting a kernel and needs none of them.

PROG = "build"


def _render_fingerprint(source_fp: str, manifest: dict, config_fp: str) -> str:
    import hashlib

    keys = {rel: e["key"] for rel, e in sorted(manifest["notebooks"].items())}
    return hashlib.sha256(json.dumps([source_fp, keys, config_fp]).encode()).hexdigest()


# ----------------------------------------------------------------------------- main


def build(
    book: Path,
    path_output: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    full: bool = False,
    render: bool = True,
    dry_run: bool = False,
    quiet: bool = False,
    report: dict | None = None,
    pipeline: bool = True,
    fork: bool = True,
    stop: StopSignals | None = None,
) -> dict:
    """Run the whole build; returns the report (see the module docstring). Raises BuildError.

    ``report`` (a dict) is filled in place, so it is complete also when BuildError is raised.
    ``pipeline``: start rendering while notebooks execute (else execute first, then render).
    ``fork``: fork kernels from a process with pandas and Altair imported (:mod:`rare_earths.build.kernels`).
    ``stop``: the open :class:`~rare_earths.build.interrupt.StopSignals` of the caller; on SIGINT or
    SIGTERM no further notebook starts, the running ones' kernels and the render are killed, the
    notebooks stored so far are kept, and :class:`~rare_earths.build.interrupt.Interrupted` is raised.
    """
    from rare_earths.build.execute import Executor, default_jobs
    from rare_earths.build.plan import BuildError, file_digest, load_manifest, make_plan, read_settings, save_manifest
    from rare_earths.build.render import (
        config_fingerprint, damaged_outputs, glue_dependents, output_digests, render_modules, source_fingerprint,
        start_jupyter_book, stop_render, write_sync_plan,
    )

    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if not quiet:
            print(f"{PROG}: {msg}", file=sys.stderr, flush=True)

    book = book.resolve()
    if not (book / "_toc.yml").is_file():
        raise BuildError(f"no _toc.yml in {book}")
    settings = read_settings(book, path_output.resolve() if path_output else None)
    if os.environ.get("RARE_EARTHS_DATA"):  # absolute, so kernels (cwd chapters/) and the render read the same folder
        os.environ["RARE_EARTHS_DATA"] = str(Path(os.environ["RARE_EARTHS_DATA"]).resolve())
    report = report if report is not None else {}
    report.update({"executed": [], "cached": [], "failed": [], "skipped": [], "reasons": {},
                   "render": "none", "seconds": timings})

    def finish() -> dict:
        timings["total"] = round(time.perf_counter() - t0, 3)
        return report

    if settings.mode != "cache":
        log(f"execute_notebooks is {settings.mode!r}, not 'cache': Jupyter Book executes (serially); no pre-execution")
        if render and not dry_run:
            t = time.perf_counter()
            rc = start_jupyter_book(book, path_output, True, None, quiet).wait()
            timings["render"] = round(time.perf_counter() - t, 3)
            report["render"] = "full"
            if rc:
                raise BuildError(f"jupyter-book build failed (exit {rc})")
        return finish()

    notes: list[str] = []
    manifest = load_manifest(settings, notes)
    plan = make_plan(settings, manifest, force=force)
    timings["plan"] = round(time.perf_counter() - t0, 3)
    for note in notes + plan.notes:
        log(note)
    listed = {p.relative_to(book).as_posix() for _, p in plan.documents}
    for rel in [r for r in manifest["notebooks"] if r not in listed]:  # no longer in the toc
        del manifest["notebooks"][rel]
    report["cached"] = list(plan.cached)
    report["skipped"] = list(plan.skipped)
    report["reasons"] = {j.rel: j.reason for j in plan.jobs}
    stop = stop or StopSignals(install=False)
    stop.check()  # a signal while planning
    if dry_run:
        report["executed"] = [j.rel for j in plan.jobs]  # would be
        report["dry_run"] = True
        return finish()

    n = jobs or default_jobs()
    if plan.jobs:
        log(f"executing {len(plan.jobs)} notebook(s) on {min(n, len(plan.jobs))} worker(s); "
            f"{len(plan.cached)} up to date")
    else:
        log(f"all {len(plan.cached)} notebook(s) up to date")
    sync = Path(tempfile.mkdtemp(prefix="rare-earths-build-")) if (render and plan.jobs and pipeline) else None
    executor = Executor(plan, manifest, n, log, fork, sync)
    render_process: list = []  # the jupyter-book child, once started

    def halt() -> None:  # called from the signal handler: stop everything at once
        executor.cancel()
        for process in render_process:
            stop_render(process)

    def collect() -> None:
        results = executor.join()
        timings["execute"] = round(time.perf_counter() - t_exec, 3)
        stop.check()
        ok = [r for r in results if r.error is None]
        failed = [r for r in results if r.error is not None]
        report["executed"] = sorted(r.job.rel for r in ok)
        report["failed"] = sorted(r.job.rel for r in failed)
        for line in executor.stale:
            log(f"{line} changed while the notebook ran: it re-executes next build")
        if failed:
            manifest["render"]["ok"] = False  # pages may now be out of step with the cache
        save_manifest(settings, manifest)
        if failed:
            for r in failed:
                print(f"{PROG}: error: {r.error}", file=sys.stderr)
            raise BuildError(f"{len(failed)} notebook(s) failed: {', '.join(report['failed'])}")

    stop.on_stop(halt)
    t_exec = time.perf_counter()
    render_sync = None
    try:
        if sync is None:
            executor.start()
            collect()
            if not render:
                return finish()

        # What to render: nothing (nothing changed since the last good render), the pages whose
        # notebooks (re-)execute plus Sphinx's own incremental choice, or everything.
        state = manifest["render"]
        exclude = {settings.build_dir.resolve(), settings.jupyter_cache.resolve()}
        config_fp = config_fingerprint(book, plan.env)
        executing = {j.docname for j in plan.jobs}
        source_fp = source_fingerprint(book, exclude)  # before rendering: edits made meanwhile count next time
        damaged = damaged_outputs(settings.html_dir, state.get("outputs") or {})
        changed_modules = [p for p, d in (state.get("modules") or {}).items() if file_digest(p) != d]
        if damaged:
            shown = ", ".join(damaged[:4]) + (f" and {len(damaged) - 4} more" if len(damaged) > 4 else "")
            log(f"output pages missing or edited since the last render ({shown}): re-rendering in full")
        if changed_modules:
            log(f"package modules the render uses changed ({', '.join(Path(p).name for p in changed_modules[:4])}): "
                "re-rendering in full")
        if (full or damaged or changed_modules or not state.get("ok") or state.get("config") != config_fp
                or not (settings.html_dir / "index.html").is_file()):
            mode = "full"
        elif not executing and state.get("fingerprint") == _render_fingerprint(source_fp, manifest, config_fp):
            mode = "skipped"
        else:
            mode = "incremental"
        report["render"] = mode
        if mode == "skipped":
            log(f"nothing changed since the last successful render: {settings.html_dir} is up to date")
            return finish()
        reread = executing | glue_dependents(plan.documents, executing)
        if mode == "incremental" and reread:
            log(f"rendering; re-reading {len(reread)} page(s) whose outputs change: {', '.join(sorted(reread))}")
        state["ok"] = False
        save_manifest(settings, manifest)
        render_sync = sync or Path(tempfile.mkdtemp(prefix="rare-earths-build-"))
        write_sync_plan(render_sync, executing if sync is not None else set(), reread if mode == "incremental" else set())
        stop.check()
        if sync is not None:
            executor.start()
        t = time.perf_counter()
        process = start_jupyter_book(book, path_output, mode == "full", render_sync, quiet)
        render_process.append(process)
        if stop.stopped:  # a signal between the check and the start
            stop_render(process)
        try:
            rc = process.wait()
        finally:
            if process.poll() is None:  # interrupted: stop the render with us
                stop_render(process)
        stop.check()
        timings["render"] = round(time.perf_counter() - t, 3)
        if sync is not None:
            collect()  # raises when a notebook failed (the render then stopped at it)
        if rc:
            raise BuildError(f"jupyter-book build failed (exit {rc}); see the messages above")
        state.update(ok=True, config=config_fp, fingerprint=_render_fingerprint(source_fp, manifest, config_fp),
                     outputs=output_digests(settings.html_dir), modules=render_modules(render_sync))
        save_manifest(settings, manifest)
        return finish()
    except Interrupted as err:
        halt()
        if render_process and not quiet:
            print(file=sys.stderr, flush=True)  # the killed render may have left half a line
        executor.join(timeout=30)
        # What was stored before the signal is valid and kept; the pages are not in step with it.
        manifest["render"]["ok"] = False
        save_manifest(settings, manifest)
        report["interrupted"] = err.name
        report["executed"] = sorted(r.job.rel for r in executor.results if r.error is None)
        raise
    finally:
        for folder in {sync, render_sync} - {None}:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    from rare_earths.build.plan import BuildError, read_settings

    parser = argparse.ArgumentParser(
        prog="python -m rare_earths.build",
        description="Build the book: execute changed chapters in parallel into the Jupyter Book cache, then render.",
    )
    parser.add_argument("book", nargs="?", default=".", help="the book folder (default: .)")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel kernels (default: usable cores)")
    parser.add_argument("--force", action="store_true", help="re-execute every notebook")
    parser.add_argument("--all", dest="full", action="store_true", help="re-render every page (jupyter-book --all)")
    parser.add_argument("--no-render", action="store_true", help="only execute into the cache; do not render")
    parser.add_argument("--dry-run", action="store_true", help="print what would be executed, and why; change nothing")
    parser.add_argument("--path-output", type=Path, default=None, help="build into DIR/_build (as jupyter-book)")
    parser.add_argument("--no-pipeline", action="store_true", help="execute everything first, then render")
    parser.add_argument("--no-fork", action="store_true",
                        help="start every kernel afresh instead of forking it from a process with the libraries imported")
    parser.add_argument("--report", metavar="FILE", help="write the JSON report to FILE ('-' for stdout)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("--pdf", action="store_true",
                        help="also print the whole book into one PDF beside the pages (headless Chromium; "
                             "the pages then link it): rare_earths.build.pdf")
    args = parser.parse_args(argv)
    if args.pdf:
        os.environ["RARE_EARTHS_PDF"] = "1"  # read by _ext/page_meta.py in the render (the PDF link)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    from rare_earths.data.gate import data_problems  # the data is checked before anything runs

    problems = data_problems()
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{PROG}: error: the data is invalid ({len(problems)} problem(s) above; `rare-earths validate` lists "
              "them): nothing was built", file=sys.stderr)
        return 1
    report: dict = {}
    code = 0
    with StopSignals() as stop:
        try:
            build(Path(args.book), args.path_output, args.jobs, args.force, args.full,
                  not args.no_render, args.dry_run, args.quiet, report, not args.no_pipeline, not args.no_fork, stop)
        except BuildError as err:
            print(f"{PROG}: error: {err}", file=sys.stderr)
            report["error"] = str(err)
            code = 1
        except Interrupted as err:
            print(f"{PROG}: interrupted ({err.name}): running notebooks and the render stopped, their kernels killed; "
                  f"{len(report.get('executed', []))} notebook(s) finished before are kept, the rest execute next build",
                  file=sys.stderr)
            code = err.code
    if code == 0 and args.pdf and not args.dry_run and not args.no_render:
        from rare_earths.build.pdf import PdfError, make_pdf, pdf_name

        html_dir = read_settings(Path(args.book).resolve(), args.path_output.resolve() if args.path_output else None).html_dir
        if report.get("render") != "skipped" or not (html_dir / pdf_name()).is_file():
            t = time.perf_counter()
            try:
                report["pdf"] = str(make_pdf(html_dir, Path(args.book).resolve(), quiet=args.quiet))
            except PdfError as err:
                print(f"{PROG}: error: {err}", file=sys.stderr)
                report["error"] = str(err)
                code = 1
            report["seconds"]["pdf"] = round(time.perf_counter() - t, 3)
        else:
            report["pdf"] = str(html_dir / pdf_name())
    if args.dry_run and report and not args.report:
        for rel, why in report["reasons"].items():
            print(f"{rel}: {why}")
        for rel in report["cached"]:
            print(f"{rel}: up to date")
    if args.report and report:
        text = json.dumps(report, sort_keys=True)
        if args.report == "-":
            print(text)
        else:
            Path(args.report).write_text(text + "\n", encoding="utf-8")
    if code == 0 and not args.quiet and not args.dry_run:
        t = report["seconds"].get("total", 0)
        print(f"{PROG}: done in {t:.1f} s: executed {len(report['executed'])}, cached {len(report['cached'])}, "
              f"render {report['render']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
