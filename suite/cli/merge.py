"""``python -m suite merge RUN... --into RUN``: parse, merge (``suite.run.merge``), print, render the page."""

from __future__ import annotations

import sys
from pathlib import Path

from suite.cli.exits import EXIT_NOT_REPRODUCED, EXIT_OK
from suite.errors import UsageError
from suite.records import layout, reading
from suite.run import merge


def add_parser(commands) -> None:
    parser = commands.add_parser("merge", help="combine the records of shards or runs into one run")
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run ids or run folders")
    parser.add_argument("--into", required=True, metavar="RUN",
                       help="the run to merge into: an existing run (id or folder) or a new id or folder")
    parser.add_argument("--no-report", dest="report", action="store_false", help="skip the HTML report")
    parser.set_defaults(func=command)


def command(args) -> int:
    try:
        sources = [layout.find_run(run) for run in args.runs]
    except layout.RunNotFound as error:
        raise UsageError(str(error)) from None
    target = _target_path(args.into)
    try:
        outcome = merge.merge(sources, target)
    except merge.Unmergeable as error:
        raise UsageError(str(error)) from None
    for warning in outcome["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Merged {outcome['copied']} record(s) from {len(sources)} run(s) into {target} "
          f"({outcome['already']} already there).", file=sys.stderr)
    for line in outcome["conflicts"]:
        print(f"warning: {line}", file=sys.stderr)
    if args.report and reading.load_records(target):
        from suite.report import page

        print(page.render(target))
    return EXIT_NOT_REPRODUCED if outcome["conflicts"] else EXIT_OK


def _target_path(into: str) -> Path:
    """An existing run (id or folder), else a new folder: at that path if it names one, else under runs/."""
    try:
        return layout.find_run(into)
    except layout.RunNotFound:
        pass
    return Path(into) if ("/" in into or into.startswith(".")) else layout.run_dir(into)
