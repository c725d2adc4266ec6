"""``suite data fetch|verify``: fill and check the local datasets cache.

``suite/cli/main.py`` calls ``add_parser(subparsers)`` and then ``args.func(args)``; each sub-command sets
``func`` so that dispatch needs no table here.
"""

from __future__ import annotations

import argparse
import sys
import time

from suite.cli.exits import EXIT_USAGE
from suite.constants import cache_dir
from suite.data import datasets

DEFAULT_DATASET = "mnist"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``data`` with its ``fetch`` and ``verify`` sub-commands."""
    data_parser = subparsers.add_parser(
        "data", help="fetch or verify datasets in the local cache",
        description=f"Datasets cache (now {cache_dir()}; SUITE_CACHE_DIR moves it).",
    )
    data_parser.set_defaults(func=_print_data_help(data_parser))
    data_commands = data_parser.add_subparsers(dest="data_command", metavar="{fetch,verify}")
    name_help = f"{', '.join(datasets.KNOWN_DATASETS)} or tfds:NAME (default: {DEFAULT_DATASET})"

    fetch_parser = data_commands.add_parser("fetch", help="put a dataset into the local cache")
    fetch_parser.add_argument("name", nargs="?", default=DEFAULT_DATASET, help=name_help)
    fetch_parser.add_argument("--force", action="store_true", help="rebuild the cache even when it is fine")
    fetch_parser.set_defaults(func=fetch_command)

    verify_parser = data_commands.add_parser("verify", help="check the cached copy, repairing nothing")
    verify_parser.add_argument("name", nargs="?", default=DEFAULT_DATASET, help=name_help)
    verify_parser.set_defaults(func=verify_command)
    return data_parser


def _print_data_help(data_parser: argparse.ArgumentParser):
    """``suite data`` alone prints its usage and fails, rather than doing nothing silently."""
    def print_help(args: argparse.Namespace) -> int:
        data_parser.print_help(sys.stderr)
        return 1
    return print_help


def fetch_command(args: argparse.Namespace) -> int:
    """Fetch ``args.name``; 1 with the reason when no source could provide it."""
    started_s = time.perf_counter()
    try:
        location = datasets.fetch(args.name, force=args.force)
    except (datasets.UnknownDataset, datasets.CacheUnusable) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # the cache filled up or went read-only mid-write
        print(f"error: writing the datasets cache {cache_dir()} failed: {error.strerror or error}; free space "
              "or point SUITE_CACHE_DIR at another folder", file=sys.stderr)
        return EXIT_USAGE
    except (datasets.DatasetUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    where = f" in {location}" if location else ""
    print(f"{args.name} is ready{where} ({time.perf_counter() - started_s:.1f} s)")
    if args.name in datasets.KNOWN_DATASETS:
        return verify_command(args)
    return 0


def verify_command(args: argparse.Namespace) -> int:
    """Verify ``args.name``; 1 and one line per problem when anything is wrong."""
    try:
        problems = datasets.verify(args.name)
    except datasets.UnknownDataset as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if problems:
        print(f"{args.name}: {len(problems)} problem(s) found:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"Run `python -m suite data fetch {args.name}` to repair it.", file=sys.stderr)
        return 1
    print(f"{args.name}: verified, all checks pass")
    return 0


def main(args: argparse.Namespace) -> int:
    """Dispatch to the chosen sub-command (for callers that do not use ``args.func``)."""
    return args.func(args)
