"""``python -m suite matrix plan | run | report``: the same claims on several stacks, built with uv, in one report.

Exit codes of ``matrix run``: 0 when every judged claim reproduces on every stack that ran, 1 when
any does not (a claim changed, or errored), 4 when a stack could not be built or its run could not
start (the other stacks still ran), 2 on a usage error, 130 when interrupted.
"""

from __future__ import annotations

import sys

from suite import constants
from suite.cli.exits import EXIT_NOT_REPRODUCED, EXIT_OK
from suite.cli.run import SLURM_OPTIONS, WHERE_OPTIONS
from suite.errors import UsageError

#: A stack that could not be built (or whose run could not start): told apart from a claim that changed.
EXIT_STACK_FAILED = 4
#: ``suite run`` options a matrix run passes on to each stack's run, as (flag, takes a value).
RUN_VALUE_OPTIONS = ("--tier", "--seeds", "--device", "--timeout")


def add_parser(commands) -> None:
    matrix = commands.add_parser("matrix", help="run the same benchmarks on several TensorFlow / Keras / JAX stacks")
    actions = matrix.add_subparsers(dest="matrix_action", required=True)
    plan = actions.add_parser("plan", help="list every stack as ready, excluded or impossible; builds nothing")
    _add_matrix_options(plan)
    plan.set_defaults(func=command_plan)
    run = actions.add_parser("run", help="build the ready stacks with uv and run the selection in each")
    run.add_argument("names", nargs="*", help="benchmark names, or 'all'")
    _add_matrix_options(run)
    run.add_argument("--tag", action="append", default=[], help="select benchmarks by tag (repeatable)")
    run.add_argument("--skip-tag", action="append", default=[], metavar="TAG", help="leave out benchmarks with this tag")
    run.add_argument("--tier", default=None, help=f"full, quick, smoke (default {constants.DEFAULT_TIER})")
    run.add_argument("--seeds", type=int, default=None, help="seeds per benchmark")
    run.add_argument("--device", default=None, help="auto, cpu, gpu")
    run.add_argument("--timeout", type=float, default=None, help="seconds per job")
    run.add_argument("--no-deterministic", dest="deterministic", action="store_false", default=None)
    run.add_argument("--no-report", dest="report", action="store_false", help="no HTML report per stack's run")
    run.add_argument("--resume", metavar="MATRIX", help="continue every stack's run of MATRIX (id, prefix or latest)")
    run.add_argument("--from-lock", metavar="RUN_OR_FILE",
                     help="one stack rebuilt from a stored lock: a run of an earlier matrix, or a lock file")
    for title, options in (("where the jobs run", WHERE_OPTIONS), ("--executor slurm", SLURM_OPTIONS)):
        group = run.add_argument_group(title)
        for flag, settings in options:
            group.add_argument(flag, **settings)
    run.set_defaults(func=command_run)
    report = actions.add_parser("report", help="one HTML page: claims by stacks, from the run folders alone")
    report.add_argument("matrix", nargs="?", default="latest", help="matrix id, prefix, folder or latest")
    report.add_argument("--markdown", action="store_true",
                        help="print the claims-by-stacks table as Markdown instead (for the docs or an issue)")
    report.set_defaults(func=command_report)


def _add_matrix_options(parser) -> None:
    parser.add_argument("--file", default=None, metavar="TOML",
                        help="the matrix file (default matrix/default.toml)")
    for axis, example in axis_help().items():
        parser.add_argument(f"--{axis}", default=None, metavar="A,B", help=f"replace the file's {axis} axis ({example})")
    parser.add_argument("--exclude-newer", default=None, metavar="DATE",
                        help="resolve as the package index stood on DATE (e.g. 2025-06-01)")


def axis_help() -> dict[str, str]:
    """The axis flags, each a comma-separated list replacing the matrix file's axis, with an example of each:
    a backend's axis shows the releases its backend gives."""
    from suite import backends
    from suite.stacks import declared

    examples = {"backend": ",".join(backends.names()), "python": "installed interpreters, e.g. 3.11,3.12",
                "keras": "e.g. 3.8,3.15", "numpy": "e.g. 1.26,2.1"}
    for axis in declared.BACKEND_AXES:
        examples[axis] = f"e.g. {backends.of_stack_axis(axis).stack_examples}"
    return {axis: examples[axis] for axis in declared.AXES}


def _planned(args):
    from suite.stacks import declared, planning

    overrides = {axis: getattr(args, axis) for axis in declared.AXES}
    matrix = declared.read_matrix(args.file, overrides)
    return planning.plan(matrix, exclude_newer=args.exclude_newer, slurm=getattr(args, "executor", None) == "slurm")


def command_plan(args) -> int:
    from suite.stacks import planning

    planned = _planned(args)
    width = max(len(stack.label) for stack in planned)
    for stack in planned:
        print(f"{stack.label:{width}}  {stack.describe()}")
    ready = sum(1 for stack in planned if stack.state == planning.READY)
    print(f"\n{ready} of {len(planned)} stacks ready; `python -m suite matrix run` builds them and runs the selection")
    return EXIT_OK


def _selection(args):
    """The ``suite run`` arguments every stack's run gets (checked here, before any stack is built)."""
    import argparse

    from suite.cli.run import request_from
    from suite.run import session
    from suite.stacks import runs

    # The run each stack makes, checked as `suite run` checks it (the backend is a stack's axis, checked with
    # the matrix; --resume names a matrix here, each stack's run when passed on).
    request_from(argparse.Namespace(**{**vars(args), "backend": None, "resume": None}))
    where = []
    for flag, settings in (*WHERE_OPTIONS, *SLURM_OPTIONS):
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if settings.get("action") == "store_true":
            where += [flag] if value else []
        elif settings.get("action") == "append":
            where += [part for item in value for part in (flag, item)]
        elif value is not None:
            where += [flag, str(value)]
    later = [] if args.report else ["--no-report"]
    if args.timeout is not None:
        later += ["--timeout", str(args.timeout)]
    resume = where + later + (["--seeds", str(args.seeds)] if args.seeds else [])
    if args.resume:
        return runs.Selection([], resume)
    if args.from_lock and not args.names and not args.tag:
        raise UsageError("--from-lock rebuilds one stack: name the benchmarks to run on it, or 'all'")
    session.select(args.names, args.tag, args.skip_tag)  # unknown names and tags: said before any build
    new = [*args.names] + [part for tag in args.tag for part in ("--tag", tag)]
    new += [part for tag in args.skip_tag for part in ("--skip-tag", tag)]
    new += [part for flag in RUN_VALUE_OPTIONS if getattr(args, flag[2:]) is not None
            for part in (flag, str(getattr(args, flag[2:])))]
    if args.deterministic is False:
        new.append("--no-deterministic")
    return runs.Selection(new + where + later, resume)


def command_run(args) -> int:
    from suite.stacks import manifest, planning, runs

    selection = _selection(args)
    if args.resume:
        path = manifest.find_matrix(args.resume)
        print(f"Resuming matrix {path.name}", file=sys.stderr)
        outcome = runs.execute(path, _say, extra_resume=selection.resume)
    else:
        if args.from_lock:
            planned = [runs.stack_from_lock(args.from_lock, args.python, args.backend)]
        else:
            planned = _planned(args)
        for stack in planned:
            print(f"{stack.label}: {stack.describe()}", file=sys.stderr)
        details = {"tier": args.tier or constants.DEFAULT_TIER, "file": args.file or "matrix/default.toml",
                   "exclude_newer": args.exclude_newer, "from_lock": args.from_lock}
        path = runs.start(planned, selection, details)
        print(f"Matrix {path.name}: {sum(s.state == planning.READY for s in planned)} stack(s) to build and run",
              file=sys.stderr)
        outcome = runs.execute(path, _say)
    report = _render(path)
    print(f"\nMatrix report: {report}", file=sys.stderr)
    if outcome.get(runs.BUILD_FAILED) or outcome.get(runs.RUN_FAILED):
        return EXIT_STACK_FAILED
    return EXIT_NOT_REPRODUCED if _any_failing(path) else EXIT_OK


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _render(path):
    from suite.report import matrix as matrix_report

    return matrix_report.render(path)


def _any_failing(path) -> bool:
    from suite.report import matrix as matrix_report

    table = matrix_report.claims_by_stacks(path)
    return any(cell.verdict in ("NOT REPRODUCED", "ERROR", "TIMEOUT") for row in table.rows for cell in row.cells)


def command_report(args) -> int:
    from suite.stacks import manifest

    path = manifest.find_matrix(args.matrix)
    if args.markdown:
        from suite.report import matrix as matrix_report
        from suite.report.matrix_markdown import markdown_table

        print(markdown_table(matrix_report.claims_by_stacks(path)), end="")
        return EXIT_OK
    print(_render(path))
    return EXIT_OK
