"""The ``rare-earths`` console command: the stable face of the book.

Subcommands (documented in the README; keep names, options and JSON fields stable):

* ``validate [--data DIR] [--json]``: check every table and the cross-table rules;
* ``claims [--json] [--verdict V] [--data DIR]``: the claims ledger;
* ``cite ID [--style text|markdown|bibtex] [-p NAME=VALUE ...]``: a ready citation for the book
  (``book``), a claim, a key number, a figure or a source;
* ``figure ID [--format svg|png] [--size slide|memo|square] [-p ...] [--out FILE]`` / ``figure --list [--json]``: export a figure;
* ``numbers [IDS ...] [--json] [-p NAME=VALUE ...]``: the key-number registry;
* ``params CHAPTER [--json]``: the parameters a chapter takes;
* ``run CHAPTER [-p NAME=VALUE ...] [--out DIR] [--quiet]``: execute a chapter with parameters;
* ``import PATH ... [--data DIR] [--force] [--dry-run]``: add a USGS edition from its official files (each with a
  manifest), deriving its rows and the revisions against the previous edition;
* ``scenarios``, ``compare A B``, ``template TABLE`` and the ``--scenario`` / ``--data`` options of ``run``,
  ``numbers``, ``figure`` and ``cite``: see :mod:`rare_earths.analyst`.
* ``sweep -p NAME=START:STOP:STEP [-p ...] [--numbers IDS] [--pages CHAPTER] [--out DIR] [--json]``: key numbers
  (and a chapter's pages) over a grid of one or two parameters (:mod:`rare_earths.build.sweep`).

Exit codes: 0 success, 1 the data is invalid, 2 bad usage or input (unknown id, bad parameter).
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys

from rare_earths import __version__

PROG = "rare-earths"


def _json_value(value):
    """Plain JSON-able value: NaN/NA become null, timestamps ISO dates, numpy scalars Python numbers."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _fail(command: str, message: str, code: int = 2) -> int:
    print(f"{PROG} {command}: error: {message}", file=sys.stderr)
    return code


def _cannot_write(err: OSError, target) -> str:
    """One line for a destination that cannot be written (read-only, a path under a file, ...)."""
    where = err.filename or target
    if isinstance(err, (FileExistsError, NotADirectoryError)):
        return f"cannot write {target}: {where} is a file, not a folder"
    return f"cannot write {where}: {err.strerror or err}"


def _data_gate(command: str, data=None) -> int | None:
    """Validate the data before a command uses it (cached: see rare_earths.data.gate).

    Invalid data: every problem on its own line, as ``rare-earths validate`` prints it, then one
    summary line; returns exit code 1. Valid: None.
    """
    from rare_earths.data.gate import data_problems

    try:
        problems = data_problems(data)
    except FileNotFoundError as err:
        return _fail(command, str(err))
    if not problems:
        return None
    for problem in problems:
        print(problem, file=sys.stderr)
    return _fail(command, f"the data is invalid ({len(problems)} problem(s) above; `rare-earths validate` lists them): "
                          "nothing was computed or written", 1)


def cmd_validate(args) -> int:
    """Every problem of a data folder; or, for an overlay (``--data`` without a datapackage.json),
    the problems of the analyst's tables, located in the overlay's own files: first each table on
    its own (every problem found), then, when they pass, the tables merged over the shipped data
    with the cross-table rules. ``run``, ``numbers``, ``figure``, ``cite`` and ``sweep`` refuse
    the same overlay with its first problem."""
    from pathlib import Path

    from rare_earths.data.checks import validate_dataset
    from rare_earths.data.overlay import OverlayError, is_overlay, prepare_data
    from rare_earths.data.reading import Problem
    from rare_earths.data.schema import TABLES

    overlay = None
    if args.data is not None and not Path(args.data).expanduser().is_dir():
        return _fail("validate", f"--data {args.data}: no such folder")
    if args.data is not None and is_overlay(Path(args.data).expanduser()):
        overlay = Path(args.data).expanduser()
        try:
            selection = prepare_data(overlay)
            problems = []
        except OverlayError as err:
            problems = [p if isinstance(p, Problem) else Problem(str(overlay), None, None, str(p)) for p in err.problems]
    else:
        try:
            problems = validate_dataset(args.data)
        except FileNotFoundError as err:
            return _fail("validate", str(err))
    if args.json:
        out = {"valid": not problems, "problems": [p.as_dict() for p in problems]}
        if overlay is not None:
            out["overlay"] = str(overlay)
            out["overlay_tables"] = [] if problems else list(selection.tables)
        print(json.dumps(out, indent=2))
    else:
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        elif overlay is not None:
            print(f"ok: overlay {overlay} ({', '.join(selection.tables)}) valid, merged over the shipped "
                  f"data: {len(TABLES)} tables valid")
        else:
            print(f"ok: {len(TABLES)} tables valid")
    return 1 if problems else 0


CLAIM_FIELDS = {
    # JSON field -> claims.csv column. Stable: add fields, never rename or drop.
    "id": "claim_id",
    "seed_file": "seed_file",
    "seed_source": "seed_source_id",
    "seed_published": "seed_published",
    "announced_date": "announced_date",
    "quote": "quote",
    "subject": "subject",
    "value": "value",
    "low": "low",
    "high": "high",
    "date_low": "date_low",
    "date_high": "date_high",
    "bound": "bound",
    "unit": "unit",
    "stage": "stage",
    "basket": "basket",
    "verdict": "verdict",
    "authority_source": "authority_source_id",
    "authority_value": "authority_value",
    "authority_date": "authority_date",
    "authority_text": "authority_text",
    "note": "note",
}


def cmd_claims(args) -> int:
    from rare_earths.data.load import DataError, load_table
    from rare_earths.data.schema import VERDICTS

    if (code := _data_gate("claims", args.data)) is not None:
        return code
    try:
        claims = load_table("claims", args.data)
    except (DataError, FileNotFoundError) as err:
        return _fail("claims", f"cannot load claims: {str(err).splitlines()[0]} (run `rare-earths validate`)", 1)
    if args.verdict:
        if args.verdict not in VERDICTS:
            return _fail("claims", f"--verdict {args.verdict!r} is not one of {', '.join(VERDICTS)}")
        claims = claims[claims["verdict"] == args.verdict]
    from rare_earths.format import stated_value

    from rare_earths.numbers.references import expand_references  # figures quoted from other rows, filled in

    records = [{key: _json_value(expand_references(row[col], args.data)) for key, col in CLAIM_FIELDS.items()}
               for _, row in claims.iterrows()]
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    for (_, row), rec in zip(claims.iterrows(), records):
        print(f"{rec['id']:<5} {rec['verdict']:<12} {stated_value(row):<24} {rec['subject']}")
    print(f"{len(records)} claim(s)", file=sys.stderr)
    return 0


def cmd_cite(args) -> int:
    from rare_earths import analyst
    from rare_earths.book.citation import CitationError, cite
    from rare_earths.params import ParameterError

    if (code := _data_gate("cite", args.data)) is not None:
        return code
    try:
        overrides = analyst.overrides(args)
        print(cite(args.id, args.style, args.data, overrides))
    except (CitationError, ParameterError) as err:
        return _fail("cite", str(err))
    return 0


def _is_figure_id(text: str) -> bool:
    from rare_earths.book.citation import FIGURE_ID

    return "." not in text and bool(FIGURE_ID.fullmatch(text))


def format_numbers_table(numbers) -> str:
    """The key numbers as an aligned table: id, value, range, unit, label."""
    rows = [(n.id, n.display(), n.display_range(), n.unit, n.label if n.value is not None else f"{n.label} [{n.status}]")
            for n in numbers]
    head = ("id", "value", "low–high", "unit", "label")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    return "\n".join(
        f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:<{widths[3]}}  {r[4]}".rstrip()
        for r in [head] + rows)


def _print_numbers(args, ids: list[str]) -> int:
    from rare_earths.data.load import DataError
    from rare_earths.numbers import UnknownNumberError, compute_numbers, domains_of, select
    from rare_earths import analyst
    from rare_earths.params import ParameterError

    try:
        overrides = analyst.overrides(args)
        numbers = select(compute_numbers(overrides, domains=domains_of(ids) if ids else None), ids or None)
    except (ParameterError, UnknownNumberError) as err:
        return _fail("numbers", str(err.args[0]) if isinstance(err, UnknownNumberError) else str(err))
    except (DataError, FileNotFoundError) as err:
        return _fail("numbers", f"cannot load the data: {str(err).splitlines()[0]} (run `rare-earths validate`)", 1)
    if args.json:
        print(json.dumps([n.as_dict() for n in numbers], indent=2, ensure_ascii=False))
    else:
        print(format_numbers_table(numbers))
    return 0


def cmd_numbers(args) -> int:
    if (code := _data_gate("numbers")) is not None:
        return code
    ids = args.ids or []
    figure_ids = [i for i in ids if _is_figure_id(i)]
    if not figure_ids:
        return _print_numbers(args, ids)
    if len(figure_ids) != len(ids):
        return _fail("numbers", "give either key-number ids or figure ids, not both")
    # A figure id: the numbers it plots (its data), with its citation under the parameters given.
    from rare_earths import analyst
    from rare_earths.params import ParameterError

    try:
        from rare_earths.figures import build_figure

        overrides = analyst.overrides(args)
        figures = [build_figure(i, overrides) for i in figure_ids]
    except ParameterError as err:
        return _fail("numbers", str(err))
    records = []
    for fig in figures:
        data = fig.data.astype(object).where(fig.data.notna(), None)
        records.append({
            "id": fig.id, "kind": "figure", "label": fig.short_title, "caption": fig.caption,
            "sources": fig.sources, "parameters": fig.parameters, "citation": fig.citation(),
            "data": [{k: _json_value(v) for k, v in row.items()} for row in data.to_dict("records")],
        })
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        for fig, rec in zip(figures, records):
            print(f"{fig.id}: {fig.short_title}")
            print(fig.data.to_string(index=False))
            print(f"  {rec['citation']}\n")
    return 0


def cmd_figure(args) -> int:
    from rare_earths.params import ParameterError, parse_assignments

    if (code := _data_gate("figure")) is not None:
        return code
    if args.list:
        from rare_earths.figures import build_figure, list_figures

        rows = []
        for fdef in list_figures():
            fig = build_figure(fdef.id)
            rows.append({**fdef.as_dict(), "caption": fig.caption, "sources": fig.sources})
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for row in rows:
                print(f"{row['id']:<34} {row['chapter']:<10} {row['title']}")
        return 0
    if not args.id:
        return _fail("figure", "give a figure id (see `rare-earths figure --list`)")
    try:
        from rare_earths import analyst
        from rare_earths.figures import build_figure

        overrides = analyst.overrides(args)
        fig = build_figure(args.id, overrides)
    except ParameterError as err:
        return _fail("figure", str(err))
    from rare_earths.build.paths import ProtectedPathError, check_output_path
    from rare_earths.figures.export import ExportError, write_export

    try:
        written = write_export(fig, args.format, args.out, args.size, args.scale, args.force,
                               check_path=lambda path: check_output_path(path, "--out"))
    except (ExportError, ProtectedPathError) as err:
        return _fail("figure", str(err))
    except OSError as err:
        return _fail("figure", _cannot_write(err, args.out or f"{fig.id}.{args.format}"), 1)
    for path in written:
        print(path)
    return 0


def cmd_params(args) -> int:
    from rare_earths.params import ParameterError, chapter_parameters, plain

    if (code := _data_gate("params")) is not None:
        return code
    try:
        params = chapter_parameters(args.chapter)
        records = []
        for p in params:
            rec = p.as_dict()
            rec["default"] = _json_value(plain(p.resolve_default()))
            records.append(rec)
    except ParameterError as err:
        return _fail("params", str(err))
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if not records:
        print(f"chapter {args.chapter!r} takes no parameters")
        return 0
    for rec in records:
        print(f"{rec['name']} = {rec['default']}  [{rec['unit']}]")
        print(f"    {rec['description']}")
        print(f"    allowed: {rec['allowed']}")
    return 0


def cmd_run(args) -> int:
    from rare_earths.params import ParameterError
    from rare_earths.build.run import RunError, run_chapter

    if (code := _data_gate("run")) is not None:
        return code
    try:
        folder = run_chapter(args.chapter, args.param or [], out=args.out, quiet=args.quiet,
                             scenario=args.scenario, data=args.data)
    except (ParameterError, RunError, FileNotFoundError) as err:
        return _fail("run", str(err))
    except OSError as err:  # an unwritable destination (read-only folder, a path under a file)
        return _fail("run", _cannot_write(err, args.out or "the run folder"), 1)
    except ValueError as err:
        from rare_earths.data.load import DataError  # not imported before: run starts its kernel before pandas

        if not isinstance(err, DataError):
            raise
        return _fail("run", f"the data is invalid: {str(err).splitlines()[0]} (run `rare-earths validate`)", 1)
    print(folder)
    return 0


def cmd_import(args) -> int:
    """Add (or, with --force, re-derive) a USGS MCS edition from its frozen files. Exit 1 on bad input, nothing written."""
    from pathlib import Path

    from rare_earths.data.importer import ImportProblem, plan_import, read_edition, write_plan
    from rare_earths.data.load import data_dir

    try:
        folder = data_dir(args.data)
        edition = read_edition(*args.paths)
        plan = plan_import(edition, folder, force=args.force)
        if not args.dry_run:
            write_plan(plan, folder)
    except ImportProblem as err:
        return _fail("import", str(err), 1)
    except FileNotFoundError as err:
        return _fail("import", str(err))
    for line in plan.messages:
        print(("would write: " if args.dry_run else "") + line)
    print(f"{'checked' if args.dry_run else 'imported'} {edition.label} into {Path(folder)}")
    return 0


def cmd_sweep(args) -> int:
    from rare_earths.build.sweep import command

    return command(args, _fail)


def build_parser() -> argparse.ArgumentParser:
    from rare_earths import analyst

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Rare Earth Rivalry: validate the dataset, list claims and key numbers, cite them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data_help = "data folder to use (default: the book's data/ folder or RARE_EARTHS_DATA)"

    p = sub.add_parser("validate", help="check every table against its schema and the cross-table rules")
    p.add_argument("--data", metavar="DIR", help=data_help + "; or a folder of your own tables (an overlay), "
                   "checked on their own and merged over the shipped data")
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("claims", help="list the claims ledger")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of a table")
    p.add_argument("--verdict", help="only claims with this verdict")
    p.add_argument("--data", metavar="DIR", help=data_help)
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("cite", help="print a ready citation for a claim, key number, figure or source")
    p.add_argument("id", help="book (the whole book), claim id (C07), key-number id (costs.floor_multiple_of_2024_price), figure id (reserves-ranked) or source id")
    p.add_argument("--style", choices=("text", "markdown", "bibtex"), default="text")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="parameters for a number or figure (named in the citation when not default)")
    p.add_argument("--data", metavar="DIR", help=data_help + "; or a folder of your own tables, merged over it")
    analyst.add_scenario_option(p)
    p.set_defaults(func=cmd_cite)

    p = sub.add_parser("numbers", help="print the book's key numbers")
    p.add_argument("ids", nargs="*", help="only these number ids (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of a table")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    analyst.add_scenario_option(p)
    analyst.add_overlay_option(p)
    p.set_defaults(func=cmd_numbers)

    p = sub.add_parser("figure", help="export a figure (SVG/PNG) with its data (.csv) and citation (.citation.txt)")
    p.add_argument("id", nargs="?", help="figure id (see --list)")
    p.add_argument("--list", action="store_true", help="list the figures with their chapter and caption")
    p.add_argument("--json", action="store_true", help="with --list: JSON objects")
    p.add_argument("--format", choices=("svg", "png"), default="svg")
    p.add_argument("--scale", type=float, default=2.0, help="PNG scale factor without --size (default 2)")
    p.add_argument("--size", choices=("slide", "memo", "square"),
                   help="slide: 1920x1080 px (16:9); memo: 6.5 in at 300 dpi; square: 1080x1080 px (default: the chart's own size)")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("--out", metavar="FILE", help="output file (default ./<id>.<format>); .csv and .citation.txt go beside it")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    analyst.add_scenario_option(p)
    analyst.add_overlay_option(p)
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("params", help="list the parameters a chapter takes")
    p.add_argument("chapter", help="chapter slug (intro, shares, reserves, cost-gap, rebuild, pipeline, claims, methods)")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of text")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("run", help="execute a chapter with parameters into a new folder (notebook, HTML, params.json)")
    p.add_argument("chapter", help="chapter slug")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("--out", metavar="DIR", help="output folder (must not exist; default runs/<chapter>-<hash>)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    analyst.add_scenario_option(p)
    analyst.add_overlay_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("import", help="add a USGS MCS edition from its official files (each with a .manifest.json)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a folder of files with manifests, or the files themselves")
    p.add_argument("--data", metavar="DIR", help=data_help)
    p.add_argument("--force", action="store_true", help="replace the edition's rows, revisions and frozen files already there (notes are kept)")
    p.add_argument("--dry-run", action="store_true", help="check the files and say what would be written; write nothing")
    p.set_defaults(func=cmd_import)

    analyst.register(sub, data_help)  # scenarios, compare, template

    p = sub.add_parser("sweep", help="key numbers (and, with --pages, a chapter) over a grid of one or two parameters")
    p.add_argument("-p", "--param", action="append", metavar="NAME=START:STOP:STEP",
                   help="a swept parameter (START:STOP:STEP, STOP included, or a list A,B,C; one or two), or NAME=VALUE held fixed")
    p.add_argument("--numbers", action="append", metavar="IDS",
                   help="key-number ids, comma-separated (default: every number that depends on a swept parameter)")
    p.add_argument("--pages", metavar="CHAPTER", help="also execute this chapter at every point (as `rare-earths run` does)")
    p.add_argument("--out", metavar="DIR", help="output folder (must not exist; default sweeps/sweep-<hash>)")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="send the work to this Dask distributed scheduler (tcp://host:8786)")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="how long to try reaching --scheduler (default 10)")
    p.add_argument("--json", action="store_true", help="print the sweep (description, failures, rows) as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    analyst.add_overlay_option(p)
    p.set_defaults(func=cmd_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The ``rare-earths`` command: ``argv`` (default: the command line); returns the exit status."""
    try:
        return _main(argv)
    finally:
        if argv is None:  # the command itself, about to exit (not a caller in the same process)
            # Leave the objects of pandas, Altair and papermill to the exit instead of collecting their
            # cycles one by one as the interpreter shuts down (gc.freeze: about 0.2 s of every run).
            gc.freeze()


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `rare-earths claims | head`
        return 0
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the promise is one line, never a traceback
        if os.environ.get("RARE_EARTHS_DEBUG"):
            raise
        detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return _fail(args.command, f"unexpected {type(err).__name__}: {detail[:300]} (this is a bug: please report "
                                   "it; RARE_EARTHS_DEBUG=1 shows the traceback)", 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
