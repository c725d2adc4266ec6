"""``python -m suite list``: the benchmarks with experiment id, source, placement and cost (and code versions)."""

from __future__ import annotations

from suite.cli.exits import EXIT_OK
from suite.run import planning, session
from suite.text import short_duration


def add_parser(commands) -> None:
    listing = commands.add_parser("list", help="benchmarks with experiment id, source, placement and cost")
    listing.add_argument("--tag", action="append", default=[], help="only benchmarks with this tag")
    listing.add_argument("--versions", action="store_true",
                         help="add each benchmark's code version (the hash a baseline is checked against)")
    listing.set_defaults(func=command)


def command(args) -> int:
    benchmarks = session.select(["all"], args.tag)
    width = max([len("benchmark")] + [len(b.name) for b in benchmarks])
    header = f"{'benchmark':{width}} {'exp.':6} {'placement':12} {'tags':30} {'full':>7} {'quick':>6}  source"
    print(header)
    print("-" * len(header))
    for benchmark in benchmarks:
        full, _ = planning.estimate_seconds(benchmark, "full")
        quick, _ = planning.estimate_seconds(benchmark, "quick")
        print(f"{benchmark.name:{width}} {benchmark.source.experiment:6} {benchmark.placement:12} "
              f"{','.join(benchmark.tags):30} {short_duration(full):>7} {short_duration(quick):>6}  "
              f"{benchmark.source.document} {benchmark.source.cells}"
              + (f"  {benchmark.code_version()}" if args.versions else ""))
    print(f"\n{len(benchmarks)} benchmarks; times are one seed on this machine (measured where earlier runs exist).")
    return EXIT_OK
