"""``python -m suite compare RUN_A RUN_B``: parse, compare (``suite.report.compare``), print or gate."""

from __future__ import annotations

import json
import sys

from suite.errors import UsageError
from suite.judge import baselines
from suite.report import compare
from suite.run import store

#: The ``--help`` description (the question the command answers).
DESCRIPTION = "``python -m suite compare RUN_A RUN_B``: what changed between two runs, and is it more than noise?"


def add_parser(commands) -> None:
    parser = commands.add_parser("compare", help="metric, time and environment differences between two runs",
                                 description=DESCRIPTION)
    parser.add_argument("run_a", help="the run compared against (id, path or 'latest')")
    parser.add_argument("run_b", help="the run compared (id, path or 'latest')")
    parser.add_argument("--all", action="store_true", help="print unflagged metrics too (default: all anyway "
                        "when there are fewer than 60 lines)")
    parser.add_argument("--fail-on", metavar="CONDITIONS",
                        help="exit 1 when any holds: changed-verdict, out-of-bounds, slower:FACTOR (comma-separated)")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON (for other programs)")
    parser.add_argument("--markdown", action="store_true", help="print only a Markdown table: each benchmark's "
                        "verdict and seconds per seed in both runs, and their ratio (for a README or an issue)")
    parser.set_defaults(func=command)


def command(args) -> int:
    try:
        conditions = compare.parse_fail_on(args.fail_on)
    except ValueError as error:
        raise UsageError(str(error)) from None
    try:
        comparison = compare.compare_runs(args.run_a, args.run_b)
    except (store.RunNotFound, baselines.BaselineError) as error:
        raise UsageError(str(error)) from None
    for warning in comparison.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    failures = comparison.failures(conditions)
    if args.json:
        document = comparison.to_dict()
        if args.fail_on is not None:
            document["fail_on"] = {"conditions": args.fail_on, "failed": bool(failures), "failures": failures}
        print(json.dumps(document, indent=1))
    elif args.markdown:
        compare.print_markdown_table(comparison)
    else:
        compare.print_comparison(comparison, show_all=args.all)
        if args.fail_on is not None:
            print()
            print(f"--fail-on {args.fail_on}: " + ("FAILED" if failures else "passed"))
            for line in failures:
                print(f"  {line}")
    return 1 if failures else 0
