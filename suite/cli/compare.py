"""``python -m suite compare RUN_A RUN_B``: parse, compare (``suite.report.compare``), print or gate.

As a gate (``--fail-on changed-verdict,out-of-bounds,slower:1.5``) it exits 1 when
any listed condition holds: a benchmark's verdict differs between A and B, a metric
is flagged OUT, or a benchmark is slower in B by more than the factor. ``--json``
prints the comparison (and the gate's findings) for other programs. How each form
reads is ``suite.cli.compare_text``.
"""

from __future__ import annotations

import json
import math
import sys

from suite.cli import compare_text
from suite.errors import UsageError
from suite.judge import baselines
from suite.records import layout
from suite.report import compare
from suite.text import number

#: The ``--help`` description (the question the command answers).
DESCRIPTION = ("``python -m suite compare RUN_A RUN_B``: what changed between two runs, and is it more than noise? "
               "(``--markdown`` takes more runs: RUN_C ... add a column set each)")
#: Conditions ``--fail-on`` understands; ``slower`` takes a factor (``slower:1.5``).
FAIL_CONDITIONS = ("changed-verdict", "out-of-bounds", "slower")


def add_parser(commands) -> None:
    parser = commands.add_parser("compare", help="metric, time and environment differences between two runs",
                                 description=DESCRIPTION)
    parser.add_argument("run_a", help="the run compared against (id, path or 'latest')")
    parser.add_argument("run_b", help="the run compared (id, path or 'latest')")
    parser.add_argument("more_runs", nargs="*", metavar="RUN_C",
                        help="with --markdown: more runs, each a column set beside B (its verdict, its seconds per "
                             "seed, its ratio to A), e.g. a third backend")
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
        conditions = parse_fail_on(args.fail_on)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.more_runs and not args.markdown:
        raise UsageError(f"compare takes two runs, and a third ({args.more_runs[0]}) only with --markdown: "
                         "compare the runs two at a time, or add --markdown for one table of all of them")
    try:
        comparison = compare.compare_runs(args.run_a, args.run_b)
        more = [compare.compare_runs(args.run_a, run) for run in args.more_runs]
    except (layout.RunNotFound, baselines.BaselineError) as error:
        raise UsageError(str(error)) from None
    for warning in comparison.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    failures = gate_failures(comparison, conditions)
    if args.json:
        document = compare_text.comparison_document(comparison)
        if args.fail_on is not None:
            document["fail_on"] = {"conditions": args.fail_on, "failed": bool(failures), "failures": failures}
        print(json.dumps(document, indent=1))
    elif args.markdown:
        compare_text.print_markdown_table(comparison, *more)
    else:
        compare_text.print_comparison(comparison, show_all=args.all)
        if args.fail_on is not None:
            print()
            print(f"--fail-on {args.fail_on}: " + ("FAILED" if failures else "passed"))
            for line in failures:
                print(f"  {line}")
    return 1 if failures else 0


def parse_fail_on(spec: str | None) -> dict[str, float | None]:
    """``"changed-verdict,slower:1.5"`` -> ``{"changed-verdict": None, "slower": 1.5}``; ValueError when malformed."""
    conditions: dict[str, float | None] = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, argument = part.partition(":")
        if name not in FAIL_CONDITIONS:
            raise ValueError(f"--fail-on: unknown condition {name!r}; use any of changed-verdict, out-of-bounds, "
                             f"slower:FACTOR, separated by commas")
        if name == "slower":
            try:
                factor = float(argument)
            except ValueError:
                factor = math.nan
            if not math.isfinite(factor) or factor <= 0:
                raise ValueError(f"--fail-on: slower needs a positive factor, e.g. slower:1.5 (got {part!r})")
            conditions[name] = factor
        elif argument:
            raise ValueError(f"--fail-on: {name} takes no argument (got {part!r})")
        else:
            conditions[name] = None
    if spec is not None and not conditions:
        raise ValueError("--fail-on: name at least one condition: changed-verdict, out-of-bounds, slower:FACTOR")
    return conditions


def gate_failures(comparison: compare.Comparison, conditions: dict[str, float | None]) -> list[str]:
    """One line per way the comparison meets a ``--fail-on`` condition (see ``parse_fail_on``)."""
    found = []
    if "changed-verdict" in conditions:
        found += [f"changed-verdict: {name} {a} -> {b}" for name, a, b in comparison.verdicts if a != b]
    if "out-of-bounds" in conditions:
        found += [f"out-of-bounds: {row.benchmark} {row.metric} mean {number(row.mean_b)} outside {row.bounds}"
                  for row in comparison.metrics if "OUT" in row.flags]
    if "slower" in conditions:
        factor = conditions["slower"]
        found += [f"slower:{factor:g}: {row.benchmark} {row.seconds_a:.2f} s -> {row.seconds_b:.2f} s "
                  f"per job (x{row.ratio:.2f})" for row in comparison.times if row.ratio > factor]
    return found
