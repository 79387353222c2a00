"""``rare-earths sweep``: key numbers (and, with ``--pages``, a chapter) over a grid of parameters.

The grid and the numbers come from :mod:`rare_earths.numbers.sweep` (through the registry, no
notebook). The work goes to a ``concurrent.futures`` executor: a pool of local processes
(``--workers N``, one per core by default), or an existing Dask distributed cluster
(``--scheduler ADDRESS``: ``distributed.Client(address).get_executor()``), for grids that
outgrow one machine. ``--pages CHAPTER`` also executes the chapter at every point, each run as
``rare-earths run`` does it (:func:`rare_earths.build.run.run_chapter`), in parallel on the same
executor, with a progress bar.

What a sweep writes, into a new folder (``--out DIR``, which must not exist; default
``sweeps/sweep-<hash of the grid>/``), and only when the grid could be set up:

* ``sweep.csv``: one row per point: the swept parameters, each number's value (and its low and
  high when it is ranged), and ``error`` for a point that could not be computed; comment lines
  (``#``) first name the book and version, the grid, the fixed parameters, each number's unit
  and label, the sources, the data version and the date the data is checked to;
* ``sweep.json``: the same description as data (no rows);
* ``sweep.html``: the chart of the numbers against the parameter
  (:func:`rare_earths.figures.sweep.sweep_figure`), drawn offline, with its caption, the CSV of
  the plotted data and its citation (its menu exports SVG or PNG), and ``sweep.citation.txt``;
* with ``--pages``: ``pages/<chapter>-NNNN/`` (each a run folder) and ``pages.csv`` (point ->
  folder, or the error).

Bad input (a range that is empty, reversed or too large, an unknown parameter, number or
chapter, an unreachable scheduler) raises :class:`SweepError` before anything is written. A
failing point is reported with its parameters and the others finish.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from rare_earths import BOOK_TITLE, __version__
from rare_earths.build.paths import ProtectedPathError, check_output_path
from rare_earths.numbers.sweep import NumberSweep, SweepError, grid, parse_sweep, point_label, sweep_numbers
from rare_earths.params import ParameterError, plain


@dataclass
class SweepOutcome:
    folder: Path
    sweep: NumberSweep
    files: list[Path]
    pages: list[dict] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """One line per failed point or page, naming its parameters."""
        lines = [f"point {point_label(p)}: {message}" for p, message in self.sweep.failures]
        lines += [f"page {p['chapter']} at {point_label(p['point'])}: {p['error']}" for p in self.pages if p["error"]]
        return lines


def sweeps_root() -> Path:
    """Where sweeps go by default: ``sweeps/`` beside ``runs/`` in a checkout, else in the current folder."""
    from rare_earths.build.paths import book_root

    try:
        return book_root() / "sweeps"
    except FileNotFoundError:
        return Path.cwd() / "sweeps"


def grid_hash(assignments: Sequence[str], ids: Sequence[str] | None, pages: str | None, data: dict | None = None) -> str:
    """The default folder's name: the grid, the numbers, the pages and (with ``--data``) the data."""
    key = {"p": list(assignments), "numbers": list(ids or ()), "pages": pages}
    if data is not None:  # two overlays must not share a folder (without --data the name is as before)
        key["data"] = data
    text = json.dumps(key, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _target(out, default: Path) -> tuple[Path, bool]:
    if out is None:
        return default, False
    try:
        target = check_output_path(out, "--out")
    except ProtectedPathError as err:
        raise SweepError(str(err)) from None
    if target.exists():
        raise SweepError(f"--out {target} already exists: choose a new folder (a sweep never overwrites)")
    return target, True


def _publish(tmp: Path, target: Path, explicit: bool) -> Path:
    """Rename the finished folder into place, never over an existing one (numbered siblings by default)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    candidates = [target] if explicit else [target] + [target.with_name(f"{target.name}-{i}") for i in range(2, 1000)]
    for candidate in candidates:
        try:
            os.rename(tmp, candidate)
            return candidate
        except OSError:
            if not candidate.exists():
                raise
    raise SweepError(f"{target} and its numbered siblings already exist")


# -- executors ------------------------------------------------------------------------------------


class _Executor:
    """A ``concurrent.futures`` executor and how to close it (and its Dask client)."""

    def __init__(self, executor, client=None, where: str = ""):
        self.executor, self.client, self.where = executor, client, where

    def close(self) -> None:
        try:
            self.executor.shutdown(wait=True)
        finally:
            if self.client is not None:
                self.client.close()


def connect_scheduler(address: str, timeout: float) -> _Executor:
    """A Dask cluster's executor (``distributed.Client(address).get_executor()``); SweepError if unreachable."""
    import logging

    # distributed logs each failed connection attempt; the command reports one line instead.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - a pinned dependency
        raise SweepError("--scheduler needs the 'distributed' package (pip install distributed)") from None
    probe_scheduler(address, timeout)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SweepError(f"--scheduler {address}: cannot reach the Dask scheduler within {timeout:g} s ({detail})") from None
    return _Executor(client.get_executor(), client, f"Dask scheduler {address}")


def probe_scheduler(address: str, timeout: float) -> None:
    """Refuse at once an address no process could reach, and a TCP scheduler that does not answer.

    distributed's Client retries a refused connection until its timeout, and a Client that never
    connected waits again when it is collected; a plain socket says in a moment.
    """
    import socket

    from distributed.comm import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
    except (ValueError, TypeError):
        raise SweepError(f"--scheduler {address}: not a scheduler address (e.g. tcp://127.0.0.1:8786)") from None
    if scheme == "inproc":
        raise SweepError(f"--scheduler {address}: an inproc address is reachable only inside its own process; "
                         "start the cluster with a TCP address (tcp://HOST:PORT)")
    if scheme not in ("tcp", "tls"):
        return  # another transport (ucx, ws): let distributed try it
    try:
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        raise SweepError(f"--scheduler {address}: expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)") from None
    if not port:
        raise SweepError(f"--scheduler {address}: no port given (e.g. tcp://{host}:8786)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as err:
        raise SweepError(f"--scheduler {address}: cannot reach the Dask scheduler ({err.strerror or err})") from None


def local_processes(workers: int | None) -> _Executor:
    """A pool of local processes, one per core unless ``workers`` says otherwise."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    count = workers or os.cpu_count() or 1
    # fork: the workers start with the package and pandas already imported (about 1 s each saved).
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    return _Executor(ProcessPoolExecutor(max_workers=count, mp_context=context), None, f"{count} local process(es)")


def check_workers(workers: int | None) -> None:
    if workers is not None and not 1 <= workers <= 256:
        raise SweepError(f"--workers {workers}: must be a whole number between 1 and 256")


# -- pages ------------------------------------------------------------------------------------------


def run_page(chapter: str, assignments: list[str], out: str, data: str | None = None) -> dict:
    """Execute ``chapter`` with ``assignments`` into ``out`` (the unit of work of a page sweep);
    ``data``: the ``--data`` folder as given (so each page's params.json records the overlay)."""
    from rare_earths.build.run import RunError, run_chapter

    try:
        folder = run_chapter(chapter, assignments, out=out, quiet=True, data=data)
        return {"folder": str(folder), "error": None}
    except (RunError, ParameterError, OSError) as err:
        return {"folder": None, "error": str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}


def _assignments(point: dict, fixed: dict) -> list[str]:
    return [f"{k}={plain(v)}" for k, v in {**fixed, **point}.items()]


def check_pages(chapter: str, axes, fixed: dict) -> None:
    """The chapter exists and takes every swept and fixed parameter."""
    from rare_earths.params import check_chapter_overrides
    from rare_earths.build.paths import chapter_path

    notebook = chapter_path(chapter)  # unknown chapter: ParameterError with a suggestion
    if not notebook.is_file():
        raise SweepError(f"--pages {chapter}: no notebook at {notebook}")
    check_chapter_overrides(chapter, {**fixed, **{a.name: a.values[0] for a in axes}})


def sweep_pages(chapter: str, sweep: NumberSweep, folder: Path, executor, progress, data: str | None = None) -> list[dict]:
    from concurrent.futures import as_completed

    pages_dir = folder / "pages"
    pages_dir.mkdir()
    futures = {}
    for i, point in enumerate(sweep.points):
        out = pages_dir / f"{chapter}-{i + 1:04d}"
        futures[executor.submit(run_page, chapter, _assignments(point, sweep.fixed), str(out), data)] = (i, point, out)
    records: list[dict | None] = [None] * len(futures)
    for future in as_completed(futures):
        i, point, out = futures[future]
        try:
            result = future.result()
        except Exception as err:  # the worker itself was lost
            result = {"folder": None, "error": f"worker failed: {type(err).__name__}: {err}".strip()}
        folder_name = Path(result["folder"]).relative_to(folder).as_posix() if result["folder"] else ""
        records[i] = {"chapter": chapter, "point": point, "folder": folder_name, "error": result["error"]}
        progress(1)
    return [r for r in records if r is not None]


# -- files ----------------------------------------------------------------------------------------


def describe(sweep: NumberSweep, pages: str | None, data: dict | None = None) -> dict:
    """The sweep as data: tool, versions, data date, grid, fixed parameters, numbers (what sweep.json
    holds); ``data``: with ``--data``, the folder read and the overlay it was merged from, with its hash."""
    from rare_earths.data.load import data_checked_to, data_version
    from rare_earths.params import get_parameter

    return {
        "book": BOOK_TITLE, "package_version": __version__, "data_version": data_version(sweep.data),
        "data_checked_to": data_checked_to(sweep.data).isoformat(),
        "axes": [{"name": a.name, "spec": a.spec, "unit": get_parameter(a.name).unit,
                  "values": [plain(v) for v in a.values]} for a in sweep.axes],
        "fixed": {k: plain(v) for k, v in sweep.fixed.items()},
        "numbers": [{"id": n.id, "label": n.label, "unit": n.unit, "decimals": n.decimals, "sources": list(n.sources),
                     "parameters": list(n.parameters)} for n in sweep.numbers],
        "points": len(sweep.points), "failed": len(sweep.failures), "pages": pages,
        **({"data": data} if data is not None else {}),
    }


def csv_text(sweep: NumberSweep, meta: dict, sources_text: str) -> str:
    """sweep.csv: comment lines (what, units, sources, version, data date), then one row per point."""
    swept = " and ".join(a.describe() for a in sweep.axes)
    fixed = ", ".join(f"{k}={v}" for k, v in meta["fixed"].items())
    header = [
        f"# {BOOK_TITLE} (version {__version__}): rare-earths sweep of {swept}, computed through the key-number registry",
        f"# Fixed parameters: {fixed or 'none'}; every other parameter at its published default",
        *(f"# {n['id']} [{n['unit']}]: {n['label']}" for n in meta["numbers"]),
        f"# Sources: {sources_text}",
        f"# Data version {meta['data_version']}, checked to {meta['data_checked_to']}. Licence: CC BY 4.0 (the curated "
        "data); quoted sources keep their own terms.",
    ]
    rows = sweep.rows()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return "\n".join(header) + "\n" + buffer.getvalue()


def _sources_text(sweep: NumberSweep) -> str:
    from rare_earths.data.load import load_table
    from rare_earths.format import source_reference

    table = load_table("sources", sweep.data).set_index("source_id", drop=False)
    ids = list(dict.fromkeys(s for n in sweep.numbers for s in n.sources))
    return "; ".join(source_reference(table.loc[s]) for s in ids if s in table.index) or "none"


def chart_page(figure) -> str:
    """One self-contained HTML page: the chart (drawn offline: the Vega bundle is inlined), its caption,
    the CSV of the plotted data and the citation (:meth:`Figure.to_html`). Export SVG or PNG from its menu."""
    from html import escape

    from rare_earths.build.offline import offline_head_html

    body = figure.to_html()
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(figure.short_title)}</title>\n{offline_head_html(body)}\n</head>\n<body style=\"font-family: "
            f"system-ui, sans-serif; max-width: 760px; margin: 2em auto\">\n<h1 style=\"font-size: 1.3em\">{escape(figure.short_title)}</h1>\n"
            f"{body}\n</body>\n</html>\n")


def write_outputs(sweep: NumberSweep, folder: Path, pages: str | None, page_records: list[dict],
                  data: dict | None = None) -> list[Path]:
    from rare_earths.figures.sweep import sweep_figure

    meta = describe(sweep, pages, data)
    files = []
    (folder / "sweep.csv").write_text(csv_text(sweep, meta, _sources_text(sweep)), encoding="utf-8")
    files.append(folder / "sweep.csv")
    figure = sweep_figure(sweep)
    (folder / "sweep.html").write_text(chart_page(figure), encoding="utf-8")
    (folder / "sweep.citation.txt").write_text(figure.citation() + "\n", encoding="utf-8")
    files += [folder / "sweep.html", folder / "sweep.citation.txt"]
    if pages:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([a.name for a in sweep.axes] + ["folder", "error"])
        for rec in page_records:
            writer.writerow([plain(rec["point"][a.name]) for a in sweep.axes] + [rec["folder"], rec["error"] or ""])
        (folder / "pages.csv").write_text(buffer.getvalue(), encoding="utf-8")
        files.append(folder / "pages.csv")
    meta["files"] = [p.name for p in files] + ["sweep.json"]
    meta["failures"] = [{"parameters": {k: plain(v) for k, v in p.items()}, "error": m} for p, m in sweep.failures]
    meta["page_failures"] = [{"parameters": {k: plain(v) for k, v in r["point"].items()}, "error": r["error"]}
                             for r in page_records if r["error"]]
    (folder / "sweep.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files.append(folder / "sweep.json")
    return files


# -- the command ------------------------------------------------------------------------------------


def _progress_bar(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="point", file=sys.stderr, disable=quiet, mininterval=0.5,
                dynamic_ncols=True, leave=False)


def run_sweep(assignments: Sequence[str], numbers: Sequence[str] | None = None, out=None, pages: str | None = None,
              workers: int | None = None, scheduler: str | None = None, connect_timeout: float = 10.0,
              data=None, quiet: bool = False) -> SweepOutcome:
    """Set up, check, compute and write a sweep (see the module docstring). Raises SweepError for bad input.

    ``data``: ``--data`` as given, a whole data folder or an overlay of the analyst's own tables
    (:mod:`rare_earths.data.overlay`), validated before anything is computed; the numbers are
    computed on it, each page runs on it, and sweep.json records it (``data``)."""
    from rare_earths.data.overlay import OverlayError, prepare_data, using_data

    check_workers(workers)
    if not connect_timeout > 0:
        raise SweepError(f"--connect-timeout {connect_timeout:g}: must be above 0 seconds")
    data_record = None
    if data is not None:
        try:
            selection = prepare_data(data)
        except OverlayError as err:
            raise SweepError(str(err)) from None
        data_record = selection.record()
    with using_data(selection.folder if data is not None else None):  # the checks below read the data too
        return _run_sweep(assignments, numbers, out, pages, workers, scheduler, connect_timeout,
                          None if data is None else str(selection.folder), data, data_record, quiet)


def _run_sweep(assignments, numbers, out, pages, workers, scheduler, connect_timeout, data, given_data, data_record,
               quiet) -> SweepOutcome:
    axes, fixed = parse_sweep(assignments)
    ids = list(dict.fromkeys(numbers)) if numbers else None
    if pages:
        check_pages(pages, axes, fixed)
    # The merged folder's name is a hash of the overlay and the shipped data: it names the data.
    name = grid_hash(assignments, ids, pages, None if data_record is None else {"folder": data_record["folder"]})
    target, explicit = _target(out, sweeps_root() / f"sweep-{name}")
    from rare_earths.numbers.sweep import choose_numbers

    chosen = choose_numbers(ids, axes, fixed, data)  # unknown ids fail here, before any work
    if pages and not ids:
        chosen = [n for n in chosen if pages in n.chapters] or chosen
    pool = connect_scheduler(scheduler, connect_timeout) if scheduler else local_processes(workers)
    tmp = None
    try:
        total = len(grid(axes))
        bar = _progress_bar(total, "numbers", quiet)
        try:
            sweep = sweep_numbers(axes, fixed, [n.id for n in chosen], data, executor=pool.executor,
                                  on_progress=bar.update)
        finally:
            bar.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".sweep-", suffix=".partial", dir=target.parent))
        page_records: list[dict] = []
        if pages:
            bar = _progress_bar(total, f"pages ({pages})", quiet)
            try:
                page_records = sweep_pages(pages, sweep, tmp, pool.executor, bar.update,
                                           None if given_data is None else str(Path(given_data).resolve()))
            finally:
                bar.close()
        write_outputs(sweep, tmp, pages, page_records, data_record)
        names = [p.name for p in sorted(tmp.iterdir()) if p.is_file()]
        final = _publish(tmp, target, explicit)
        tmp = None
    finally:
        pool.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return SweepOutcome(final, sweep, [final / n for n in names], page_records)


def command(args, fail) -> int:
    """The ``rare-earths sweep`` subcommand (``fail(command, message, code)`` prints one error line)."""
    ids = [i for part in (args.numbers or []) for i in part.replace(",", " ").split()] or None
    try:
        outcome = run_sweep(args.param or [], ids, out=args.out, pages=args.pages, workers=args.workers,
                            scheduler=args.scheduler, connect_timeout=args.connect_timeout,
                            data=getattr(args, "data", None), quiet=args.quiet)
    except ParameterError as err:  # SweepError included
        return fail("sweep", str(err))
    except FileNotFoundError as err:
        return fail("sweep", f"cannot load the data: {str(err).splitlines()[0]}", 1)
    for line in outcome.failures:
        print(f"rare-earths sweep: failed: {line}", file=sys.stderr)
    if args.json:
        meta = json.loads((outcome.folder / "sweep.json").read_text(encoding="utf-8"))
        meta["out"] = str(outcome.folder)
        meta["rows"] = outcome.sweep.rows()
        if outcome.pages:
            meta["page_runs"] = [{"parameters": {k: plain(v) for k, v in r["point"].items()}, "folder": r["folder"],
                                  "error": r["error"]} for r in outcome.pages]
        print(json.dumps(meta, indent=2, ensure_ascii=False))
    else:
        for path in outcome.files:
            print(path)
    if outcome.failures:
        print(f"rare-earths sweep: {len(outcome.failures)} of {len(outcome.sweep.points)} point(s) failed; "
              "the others are written", file=sys.stderr)
        return 1
    return 0
