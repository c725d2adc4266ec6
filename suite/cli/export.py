"""``python -m suite export RUN...``: parse, build the tables (``suite.report.export``), write them."""

from __future__ import annotations

import sys
from pathlib import Path

from suite.errors import UsageError
from suite.records import layout, reading
from suite.report import export


def add_parser(commands) -> None:
    parser = commands.add_parser("export", help="write runs as CSV, Parquet, JSONL or TensorBoard events",
                                 description=export.__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="*", default=["latest"], metavar="RUN", help="run ids or paths (default latest)")
    parser.add_argument("--format", default="csv", help=f"one of {', '.join(export.FORMATS)} (default csv)")
    parser.add_argument("--long", action="store_true",
                        help="one row per history point (run, benchmark, seed, step, series, value)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="file to write (a folder for tensorboard); default: standard output")
    parser.set_defaults(func=command)


def command(args) -> int:
    if args.format not in export.FORMATS:
        raise UsageError(f"unknown format {args.format!r}; choose one of {', '.join(export.FORMATS)}")
    if args.format == "tensorboard" and not args.output:
        raise UsageError("--format tensorboard writes a folder of event files: name it with -o DIR")
    if args.format == "parquet":
        if not args.output:
            raise UsageError("Parquet is binary: name the file with -o FILE")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("--format parquet needs pyarrow: pip install 'keras-repro[parquet]' "
                             "(or use --format csv)") from None
    try:
        loaded = [(path.name, records) for path, records in map(_read_run, args.runs)]
    except layout.RunNotFound as error:
        raise UsageError(str(error)) from None
    try:
        if args.format == "tensorboard":
            written = export.write_tensorboard(loaded, Path(args.output))
            print(f"{written} job(s) written under {args.output}; view them with: "
                  f"tensorboard --logdir {args.output}", file=sys.stderr)
            return 0
        frame = export.history_table(loaded) if args.long else export.job_table(loaded)
        export.write_table(frame, args.format, args.output)
    except OSError as error:
        raise UsageError(f"cannot write {args.output}: {error.strerror or error}; "
                         f"name a file in a folder that exists and is writable") from None
    if args.output:
        print(f"{len(frame)} row(s) written to {args.output}", file=sys.stderr)
    return 0


def _read_run(run) -> tuple[Path, list[dict]]:
    """A run's trustworthy records; each damaged one (unreadable, or not conforming to the record schema)
    is named on stderr with its field, and left out, as ``report`` and ``compare`` do."""
    path = layout.find_run(run)
    scan = reading.scan_records(path)
    for warning in scan.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return path, scan.records
