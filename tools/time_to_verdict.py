"""Prints the full tier's time-to-verdict on 1, 2, 4 and 8 workers, from the declared estimates.

Uses the planner the suite itself uses (``suite.run.sharding.assign``: longest processing time first,
on declared estimates), so the figure is the busiest worker's share of the real assignment, plus
one worker start-up. Two columns: every job (``--device cpu``, the gpu-required ones included) and
the jobs a machine without GPU runs (gpu-required skipped). Declared estimates are CPU seconds on
the 2-core machine the suite was written on; a worker with fewer cores takes longer, which this
table does not model (see the measured ratio in docs/speed.md).

    python -m tools.time_to_verdict [--seeds 3] [--tier full] [--workers 1 2 4 8]
"""

from __future__ import annotations

import argparse

from suite import catalogue
from suite.run import planning, sharding


def table(tier: str, seeds: int, worker_counts: list[int]) -> list[tuple[int, float, float, float]]:
    benchmarks = catalogue.benchmarks()
    everything = planning.plan(list(benchmarks.values()), tier, seeds)
    without_gpu = [job for job in everything if benchmarks[job.benchmark].placement != "gpu-required"]
    estimate = sharding.declared_estimate(benchmarks)
    rows = []
    for workers in worker_counts:
        spans = []
        for jobs in (everything, without_gpu):
            split = sharding.assign(jobs, estimate, workers)
            spans.append(max(sharding.loads(split, estimate)) + planning.WORKER_START_ESTIMATE_S)
        longest = max(estimate(job) for job in everything)
        rows.append((workers, spans[0], spans[1], longest))
    return rows


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="full")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()
    rows = table(args.tier, args.seeds, args.workers)
    print("| workers or GPUs | every job (--device cpu) | without the gpu-required jobs |")
    print("|---:|---:|---:|")
    for workers, everything, without_gpu, _ in rows:
        print(f"| {workers} | {_hours(everything)} | {_hours(without_gpu)} |")
    print(f"\nTier {args.tier}, {args.seeds} seeds; no split can beat the longest single job, "
          f"{_hours(rows[0][3])}.")


if __name__ == "__main__":
    main()
