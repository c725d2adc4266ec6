"""``python -m suite publish [RUN ...] -o SITE``: build the static site of every run, or bring it up to date."""

from __future__ import annotations

import sys
from pathlib import Path

from suite.constants import reports_dir
from suite.errors import UsageError
from suite.records import layout


def add_parser(commands) -> None:
    parser = commands.add_parser("publish", help="build a static site of every run (index, benchmarks, claim "
                                                 "stability), offline, from the run folders alone")
    parser.add_argument("runs", nargs="*", metavar="RUN", help="run ids or paths (default: every run in the "
                                                               "reports folder)")
    parser.add_argument("-o", "--output", metavar="SITE", help="the site's folder (default: reports/site)")
    parser.set_defaults(func=command)


def command(args) -> int:
    from suite.report import publish

    site = Path(args.output) if args.output else reports_dir() / "site"
    try:
        run_paths = [layout.find_run(run) for run in args.runs] if args.runs else layout.list_runs()
    except layout.RunNotFound as error:
        raise UsageError(str(error)) from None
    if not run_paths:
        raise UsageError(f"no runs under {layout.runs_dir()} to publish; start one with "
                         "`python -m suite run all --tier quick` or name run folders")
    try:
        done = publish.publish(list(dict.fromkeys(run_paths)), site)
    except publish.SiteFolderError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot write the site into {site}: {error.strerror or error}; "
                         "give -o a writable folder") from None
    for run in done.unreadable:
        print(f"warning: run {run} is damaged or of another schema version; the index says which", file=sys.stderr)
    print(f"{done.runs} run(s), {done.benchmarks} benchmark page(s): {len(done.rendered)} file(s) rendered, "
          f"{len(done.written)} written, {len(done.removed)} removed, {done.runs_read} run(s) read afresh, "
          f"in {done.duration_s:.1f} s", file=sys.stderr)
    print(done.site / "index.html")
    return 0
