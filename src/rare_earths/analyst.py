"""The analyst's commands and options: ``--scenario``, ``--data`` (overlays), ``scenarios``, ``compare``,
``template``.

:mod:`rare_earths.cli` registers them and calls into this module; the logic lives in
:mod:`rare_earths.params.scenario`, :mod:`rare_earths.data.overlay`, :mod:`rare_earths.numbers.compare`
and :mod:`rare_earths.build.compare_page`.
"""

from __future__ import annotations

import json
import os
import sys

PROG = "rare-earths"

def _fail(command: str, message: str, code: int = 2) -> int:
    print(f"{PROG} {command}: error: {message}", file=sys.stderr)
    return code


def use_data(args):
    """Apply ``--data DIR`` for the rest of this process: a whole data folder, or an overlay merged
    over the shipped data (validated first). ``args.data`` becomes the folder to read. Returns the
    :class:`~rare_earths.data.overlay.DataSelection` (None without ``--data``)."""
    given = getattr(args, "data", None)
    if given is None:
        return None
    from rare_earths.data.overlay import OverlayError, prepare_data
    from rare_earths.params import ParameterError

    try:
        selection = prepare_data(given)
    except OverlayError as err:  # bad input: one line, exit 2, like a bad -p
        raise ParameterError(str(err)) from None
    os.environ["RARE_EARTHS_DATA"] = str(selection.folder)  # this process and any kernel it starts
    args.data = str(selection.folder)
    return selection


def overrides(args, chapter: str | None = None) -> dict:
    """The checked parameter overrides of a command: ``--data`` applied, then ``--scenario``, then
    ``-p`` on top (what ``numbers``, ``figure`` and ``cite`` call instead of ``parse_assignments``)."""
    from rare_earths.params.scenario import scenario_overrides

    use_data(args)
    return scenario_overrides(getattr(args, "scenario", None), args.param or [], chapter=chapter).overrides


def add_scenario_option(parser) -> None:
    parser.add_argument("--scenario", metavar="FILE|NAME",
                        help="a scenario file (TOML) or the name of a shipped one (see `rare-earths scenarios`); -p overrides it")


def add_overlay_option(parser) -> None:
    parser.add_argument("--data", metavar="DIR",
                        help="your own data: a folder of the tables you replace or extend, merged by key over the "
                             "shipped data (or a whole data folder)")


# -- rare-earths scenarios ---------------------------------------------------------------------


def cmd_scenarios(args) -> int:
    from rare_earths.params import ParameterError
    from rare_earths.params.scenario import list_scenarios

    try:
        scenarios = list_scenarios()
    except ParameterError as err:
        return _fail("scenarios", str(err))
    if args.json:
        print(json.dumps([s.as_dict() for s in scenarios], indent=2, ensure_ascii=False))
        return 0
    for s in scenarios:
        values = ", ".join(f"{k}={_short(v)}" for k, v in s.parameters.items())
        print(f"{s.name}\n    {s.description}\n    sets: {values}\n")
    print(f"{len(scenarios)} scenario(s) in {scenarios[0].path.parent if scenarios else 'scenarios/'}; "
          "use one with --scenario NAME", file=sys.stderr)
    return 0


def _short(value) -> str:
    from rare_earths.params import plain

    if isinstance(value, float):
        return f"{value:.4g}"
    return str(plain(value))


# -- rare-earths template ----------------------------------------------------------------------


def cmd_template(args) -> int:
    from rare_earths.data.overlay import OverlayError, template, template_text

    try:
        info = template(args.table)
    except OverlayError as err:
        return _fail("template", str(err))
    print(json.dumps(info, indent=2, ensure_ascii=False) if args.json else template_text(info))
    return 0


# -- rare-earths compare -----------------------------------------------------------------------


def cmd_compare(args) -> int:
    from rare_earths.data.load import DataError
    from rare_earths.numbers.compare import compare, format_comparison, read_side
    from rare_earths.params import ParameterError

    out = None
    if args.out:
        from rare_earths.build.paths import ProtectedPathError, check_output_path

        try:
            out = check_output_path(args.out, "--out")
        except ProtectedPathError as err:
            return _fail("compare", str(err))
        if out.exists():
            return _fail("compare", f"--out {args.out} already exists: choose a new folder (nothing is overwritten)")
    try:
        a, b = read_side(args.a), read_side(args.b)
        comparison = compare(a, b, domains=args.domain or None)
    except ParameterError as err:
        return _fail("compare", str(err))
    except ValueError as err:  # an unknown --domain
        return _fail("compare", str(err).splitlines()[0])
    except (DataError, FileNotFoundError) as err:
        return _fail("compare", f"cannot load the data: {str(err).splitlines()[0]} (run `rare-earths validate`)", 1)
    if args.json:
        print(json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_comparison(comparison))
    if out is not None:
        from rare_earths.build.compare_page import write_comparison

        try:
            written = write_comparison(comparison, out)
        except OSError as err:
            return _fail("compare", f"cannot write {err.filename or out}: {err.strerror or err}", 1)
        print(f"compare: wrote {written}", file=sys.stderr)
    return 0


def register(sub, data_help: str) -> None:
    """Add ``scenarios``, ``compare`` and ``template`` to the subcommands."""
    p = sub.add_parser("scenarios", help="list the shipped scenarios with their descriptions")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of text")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("compare", help="the key numbers that moved between two runs, scenarios or the published book")
    p.add_argument("a", metavar="A", help="a run folder (its params.json), a scenario file or name, or 'published'")
    p.add_argument("b", metavar="B", help="the same, for the other side")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", metavar="DIR", help="also write a comparison page (compare.html, offline) into this new folder")
    p.add_argument("--domain", action="append", metavar="NAME",
                   help="compare only this domain of the registry (costs, rebuild, outlook, ...; repeatable)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("template", help="what a table of your own data needs: header, required columns, an example row")
    p.add_argument("table", help="table name (prices, sources, ...)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a CSV header and notes")
    p.set_defaults(func=cmd_template)
