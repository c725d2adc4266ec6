"""Command line: ``python -m suite list | run | report | data | compare | calibrate | export | merge | publish | matrix``.

This module only assembles the parser from one module per command (each has ``add_parser(commands)``
and ``command(args)``) and turns a ``UsageError`` or Ctrl-C into its exit code. A command line that
names its command imports that command's module alone: ``run`` starts its worker sooner for not
importing what ``calibrate``, ``publish`` or ``matrix`` need. Exit codes of
``run``: 0 when every judged benchmark reproduces, 1 when any does not (or errors, or times out),
2 on a usage error, 3 when the disk filled (the run can be resumed), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from suite.cli.exits import EXIT_INTERRUPTED, EXIT_NOT_REPRODUCED, EXIT_OK, EXIT_STORAGE_FULL, EXIT_USAGE
from suite.errors import UsageError

__all__ = ["EXIT_INTERRUPTED", "EXIT_NOT_REPRODUCED", "EXIT_OK", "EXIT_STORAGE_FULL", "EXIT_USAGE", "UsageError",
           "build_parser", "main"]

#: The commands in the order ``--help`` lists them: the name typed, the module of ``suite.cli`` that has it.
COMMANDS = (("list", "listing"), ("run", "run"), ("report", "report"), ("data", "data"), ("compare", "compare"),
            ("calibrate", "calibrate"), ("export", "export"), ("merge", "merge"), ("publish", "publish"),
            ("matrix", "matrix"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command ``only`` alone (the one a command line names)."""
    parser = argparse.ArgumentParser(prog="python -m suite", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS:
        if only is None or name == only:
            importlib.import_module(f"suite.cli.{module}").add_parser(commands)
    return parser


def _stop_on_sigterm(signum, frame):
    # `kill` and CI time-outs send SIGTERM: stop like Ctrl-C, so the worker is stopped and records are kept.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    argv = sys.argv[1:] if argv is None else argv
    named = argv[0] if argv and argv[0] in dict(COMMANDS) else None
    args = build_parser(only=named).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
