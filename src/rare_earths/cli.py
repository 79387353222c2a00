"""The ``rare-earths`` console command: the stable face of the book.

Subcommands (documented in the README; keep names, options and JSON fields stable):

* ``validate [--data DIR] [--json]``: check every table and the cross-table rules;
* ``claims [--json] [--verdict V] [--data DIR]``: the claims ledger;
* ``cite ID [--style text|markdown|bibtex]``: a ready citation for a claim or a source;
* ``numbers [IDS ...] [--json] [-p NAME=VALUE ...]``: the key-number registry.

Exit codes: 0 success, 1 the data is invalid, 2 bad usage or input (unknown id, bad parameter).
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
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


def cmd_validate(args) -> int:
    from rare_earths.validate import validate_dataset

    try:
        problems = validate_dataset(args.data)
    except FileNotFoundError as err:
        return _fail("validate", str(err))
    if args.json:
        print(json.dumps({"valid": not problems, "problems": [p.as_dict() for p in problems]}, indent=2))
    else:
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        else:
            from rare_earths.schema import TABLES

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


def claim_amount(rec: dict) -> str:
    """A claim's value as printed: '>200 USD bn', '30–40 %', '2025-10-31', '2025-04-01–2025-04-30'."""
    bound = "" if rec["bound"] == "=" else rec["bound"]
    if rec["value"] is not None:
        return f"{bound}{rec['value']:g} {rec['unit']}"
    if rec["low"] is not None:
        return f"{bound}{rec['low']:g}–{rec['high']:g} {rec['unit']}"
    if rec["date_low"] == rec["date_high"]:
        return f"{bound}{rec['date_low']}"
    return f"{bound}{rec['date_low']}–{rec['date_high']}"


def cmd_claims(args) -> int:
    from rare_earths.dataset import DataError, load_table
    from rare_earths.schema import VERDICTS

    try:
        claims = load_table("claims", args.data)
    except (DataError, FileNotFoundError) as err:
        return _fail("claims", f"cannot load claims: {str(err).splitlines()[0]} (run `rare-earths validate`)", 1)
    if args.verdict:
        if args.verdict not in VERDICTS:
            return _fail("claims", f"--verdict {args.verdict!r} is not one of {', '.join(VERDICTS)}")
        claims = claims[claims["verdict"] == args.verdict]
    records = [{key: _json_value(row[col]) for key, col in CLAIM_FIELDS.items()} for _, row in claims.iterrows()]
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    for rec in records:
        print(f"{rec['id']:<5} {rec['verdict']:<12} {claim_amount(rec):<24} {rec['subject']}")
    print(f"{len(records)} claim(s)", file=sys.stderr)
    return 0


def cmd_cite(args) -> int:
    from rare_earths.citation import CitationError, cite

    try:
        print(cite(args.id, args.style, args.data))
    except CitationError as err:
        return _fail("cite", str(err))
    return 0


def cmd_numbers(args) -> int:
    from rare_earths.registry import run_numbers_command

    return run_numbers_command(args.param or [], args.json, args.ids or None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Rare Earth Rivalry: validate the dataset, list claims and key numbers, cite them.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data_help = "data folder to use (default: the book's data/ folder or RARE_EARTHS_DATA)"

    p = sub.add_parser("validate", help="check every table against its schema and the cross-table rules")
    p.add_argument("--data", metavar="DIR", help=data_help)
    p.add_argument("--json", action="store_true", help="print the problems as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("claims", help="list the claims ledger")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of a table")
    p.add_argument("--verdict", help="only claims with this verdict")
    p.add_argument("--data", metavar="DIR", help=data_help)
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("cite", help="print a ready citation for a claim id (C07) or a source id")
    p.add_argument("id", help="claim id or source id")
    p.add_argument("--style", choices=("text", "markdown", "bibtex"), default="text")
    p.add_argument("--data", metavar="DIR", help=data_help)
    p.set_defaults(func=cmd_cite)

    p = sub.add_parser("numbers", help="print the book's key numbers")
    p.add_argument("ids", nargs="*", help="only these number ids (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of a table")
    p.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    p.set_defaults(func=cmd_numbers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `rare-earths claims | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
