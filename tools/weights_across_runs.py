"""How many jobs of two runs trained to the very same weights: a measurement of what moved between two stacks.

Usage: ``python tools/weights_across_runs.py RUN_A RUN_B [RUN_C ...]`` (run ids or folders; each run is
compared with the one before it).

Why a tool and not a verdict: the gate compares weights' bits only where its one rule says they must be
equal (``suite.judge.numerics``: the same stack, CPU generation and threads). Across two stacks nothing
says they must, so no run is judged on it; but whether a release changed a benchmark's arithmetic at all
is what explains a moved mean, and it is the first thing to look at when a claim flips between releases.
For each benchmark both runs hold, it prints how many of the shared seeds gave the same weights' sha256.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from suite.records import layout, reading  # noqa: E402


def weights_by_job(run: str) -> tuple[str, dict[tuple[str, int], str]]:
    """The run's name and each finished job's weights' sha256, keyed by (benchmark, seed)."""
    path = Path(run) if Path(run).is_dir() else layout.find_run(run)
    hashes = {(record["benchmark"], int(record["seed"])): record["weights_sha256"]
              for record in reading.load_records(path) if record.get("weights_sha256")}
    return path.name, hashes


def compare(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """Per benchmark: (seeds with the same weights, seeds both runs trained)."""
    counts: dict[str, list[int]] = {}
    for job in sorted(before.keys() & after.keys()):
        same_and_shared = counts.setdefault(job[0], [0, 0])
        same_and_shared[0] += before[job] == after[job]
        same_and_shared[1] += 1
    return {name: (same, shared) for name, (same, shared) in counts.items()}


def main(runs: list[str]) -> int:
    if len(runs) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    loaded = [weights_by_job(run) for run in runs]
    for (name_a, before), (name_b, after) in zip(loaded, loaded[1:]):
        counts = compare(before, after)
        identical = sorted(name for name, (same, shared) in counts.items() if same == shared)
        moved = {name: counts[name] for name in sorted(counts) if name not in identical}
        jobs_same = sum(same for same, _ in counts.values())
        print(f"{name_a} -> {name_b}: {jobs_same} of {sum(s for _, s in counts.values())} jobs the same weights; "
              f"{len(identical)} of {len(counts)} benchmarks identical in every seed")
        for name, (same, shared) in moved.items():
            print(f"  moved: {name} ({same} of {shared} seeds the same)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
