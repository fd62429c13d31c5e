"""The ``awslab`` command: a thin layer over the Python API, one function per subcommand.

    awslab trail load PATH... [--start T] [--end T] [--account ID]... [--region R]... [--out FILE]
    awslab trail report PATH... --out report.html
    awslab trail ask QUESTION PATH... [--param NAME=VALUE]...
    awslab trail questions
    awslab trail generate OUT_DIR [--records N]
    awslab trail validate PATH --public-key FILE [--trail NAME] [--start T] [--end T] [--verbose]

To add a subcommand (``trail validate``, say): write ``def trail_validate(args) -> int`` and
register it in ``build_parser`` with ``_add(trail, "validate", trail_validate, help=…)``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Sequence


def _add(group: Any, name: str, handler: Callable[[argparse.Namespace], int], **options: Any) -> argparse.ArgumentParser:
    parser = group.add_parser(name, **options)
    parser.set_defaults(handler=handler)
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="log files, folders (an AWSLogs/ tree), globs, or one saved .duckdb/.parquet file")
    parser.add_argument("--start", help="only events at or after this time (ISO 8601, UTC if no offset)")
    parser.add_argument("--end", help="only events before this time")
    parser.add_argument("--account", action="append", dest="accounts", metavar="ID", help="only this account (repeatable)")
    parser.add_argument("--region", action="append", dest="regions", metavar="REGION", help="only this region (repeatable)")
    parser.add_argument("--db", help="load into this DuckDB file (created, or appended to)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _events(args: argparse.Namespace):
    from . import trail
    if len(args.paths) == 1 and Path(args.paths[0]).suffix in (".duckdb", ".parquet") and Path(args.paths[0]).is_file():
        return trail.open(args.paths[0])
    return trail.load(*args.paths, start=args.start, end=args.end, accounts=args.accounts, regions=args.regions,
                      db=args.db, progress=not args.quiet)


def trail_load(args: argparse.Namespace) -> int:
    """Load logs, print what was loaded and what was rejected; optionally save them."""
    events = _events(args)
    print(events.summary)
    errors = events.load_errors.fetchall()
    for file, position, reason, _ in errors[:10]:
        print(f"  rejected: {file} ({position}): {reason}", file=sys.stderr)
    if len(errors) > 10:
        print(f"  … and {len(errors) - 10} more (see the load_errors table)", file=sys.stderr)
    if args.out:
        print(f"saved to {events.save(args.out)}")
    return 0


def trail_report(args: argparse.Namespace) -> int:
    """Load logs and write the HTML report."""
    events = _events(args)
    if not args.quiet:
        print(events.summary, file=sys.stderr)
    path = events.report(args.out, title=args.title, top=args.top)
    print(f"report written to {path}")
    return 0


def trail_ask(args: argparse.Namespace) -> int:
    """Run one question of the catalogue and print its answer."""
    params = {}
    for item in args.params or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--param takes NAME=VALUE, not {item!r}")
        params[name] = value.split(",") if name.endswith("regions") else value
    events = _events(args)
    frame = events.ask(args.question, **params).df()
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def trail_questions(args: argparse.Namespace) -> int:
    """List the catalogue."""
    from .trail import catalogue
    for question in catalogue().values():
        params = ", ".join(str(p) for p in question.params)
        print(f"{question.name}({params})\n    {question.purpose}")
    return 0


def trail_generate(args: argparse.Namespace) -> int:
    """Write a realistic generated trail in the S3 layout."""
    from .trail.generate import generate_trail
    made = generate_trail(args.out, args.records, seed=args.seed, days=args.days, incidents=not args.no_incidents)
    print(f"{made.records:,} records in {made.files:,} files under {made.root}")
    return 0


def trail_validate(args: argparse.Namespace) -> int:
    """Validate a downloaded trail bucket offline, as `aws cloudtrail validate-logs` would in S3."""
    from .clock import parse_instant
    from .cloudtrail.validate import validate_folder

    reports = validate_folder(args.path, args.public_key, trail=args.trail,
                              start=parse_instant(args.start) if args.start else None,
                              end=parse_instant(args.end) if args.end else None)
    if not reports:
        print("No digests found")
        return 1
    for report in reports:
        print(report.text(verbose=args.verbose))
    return 0 if all(report.ok for report in reports) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="awslab", description="awslab: AWS monitoring lab and CloudTrail log analysis")
    commands = parser.add_subparsers(dest="command", required=True)
    trail = commands.add_parser("trail", help="analyse real exported CloudTrail logs").add_subparsers(
        dest="trail_command", required=True)

    load = _add(trail, "load", trail_load, help="load logs into DuckDB and report what was read")
    _filters(load)
    load.add_argument("--out", help="save the events to a .parquet or .duckdb file")

    report = _add(trail, "report", trail_report, help="write an HTML report answering the whole catalogue")
    _filters(report)
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.add_argument("--title", help="the page title")
    report.add_argument("--top", type=int, default=15, help="rows shown per question (default 15)")

    ask = _add(trail, "ask", trail_ask, help="answer one question of the catalogue")
    ask.add_argument("question", help="the question's name (see `awslab trail questions`)")
    _filters(ask)
    ask.add_argument("--param", action="append", dest="params", metavar="NAME=VALUE", help="a question parameter")
    ask.add_argument("--format", choices=("table", "csv", "json"), default="table")

    _add(trail, "questions", trail_questions, help="list the question catalogue")

    generate = _add(trail, "generate", trail_generate, help="write a realistic generated trail (S3 layout, gzipped)")
    generate.add_argument("out", help="folder to write AWSLogs/ into")
    generate.add_argument("--records", type=int, default=10_000)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--days", type=float)
    generate.add_argument("--no-incidents", action="store_true", help="base traffic only")

    validate = _add(trail, "validate", trail_validate,
                    help="check a downloaded trail bucket's digests and log files (log-file integrity)")
    validate.add_argument("path", help="the downloaded bucket: the folder holding AWSLogs/")
    validate.add_argument("--public-key", required=True,
                          help="the region's public key: PEM, DER, or saved `aws cloudtrail list-public-keys` JSON")
    validate.add_argument("--trail", help="only this trail's digests")
    validate.add_argument("--start", help="digests from this time (ISO 8601)")
    validate.add_argument("--end", help="digests up to this time (ISO 8601)")
    validate.add_argument("--verbose", action="store_true", help="also list the files that are valid")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
