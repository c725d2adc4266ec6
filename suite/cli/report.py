"""``python -m suite report RUN``: re-render a run's HTML page from its records (optionally re-judged today)."""

from __future__ import annotations

import sys

from suite.cli.exits import EXIT_OK
from suite.errors import UsageError
from suite.judge import baselines
from suite.records import layout, reading, run_files
from suite.report import recorded
from suite.run import session


def add_parser(commands) -> None:
    parser = commands.add_parser("report", help="re-render the HTML report of a run from its records")
    parser.add_argument("run", nargs="?", default="latest")
    parser.add_argument("--compare-with", metavar="RUN_B", help="add the deltas and flags against another run")
    parser.add_argument("--rejudge", action="store_true",
                         help="judge the run against today's references (not the ones it stored) and list the "
                              "verdicts that moved")
    parser.set_defaults(func=command)


def command(args) -> int:
    from suite.report import page

    session.check_reports_folder()
    try:
        path = page.render(args.run, compare_with=args.compare_with, rejudge=args.rejudge)
        if args.rejudge:
            run_path = layout.find_run(args.run)
            manifest = run_files.read_run_manifest(run_path)
            records, _ = recorded.load_records(run_path)
            _, _, moved, _ = recorded.judge_today(records, manifest.get("tier") or "full")
            print("Re-judged against today's references.")
            print("\n".join(f"  {line}" for line in moved) if moved else "  No verdict moved.")
    except (layout.RunNotFound, baselines.BaselineError) as error:
        raise UsageError(str(error)) from None
    # The page lists them too; a record left out must not go unnoticed by whoever runs the command.
    for warning in reading.scan_records(path.parent).warnings():
        print(f"warning: {warning}", file=sys.stderr)
    print(path)
    return EXIT_OK
