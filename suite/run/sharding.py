"""Splitting a run's jobs into balanced parts: ``--shard i/n``, the worker pool's order, the time table.

Longest processing time first: jobs sorted by declared estimate (longest first, ties by benchmark
name and seed), each given to the part with the least work so far (ties to the lowest part). Only
*declared* estimates are used, never times measured on this machine, so every machine computes
the same split from the same code: shard 2/4 on one node and shard 3/4 on another never overlap
and never miss a job.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from suite.run.planning import Job

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class BadShard(ValueError):
    pass


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``; shards count from 1."""
    match = _SHARD.match(text or "")
    if not match:
        raise BadShard(f"--shard takes i/n (for example 1/4), got {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise BadShard(f"--shard {text}: i must be between 1 and n (n at least 1), got {index}/{count}")
    return index, count


def declared_estimate(benchmarks: dict) -> Callable[[Job], float]:
    """The job's declared seconds (the same on every machine), 60 s when a benchmark declares none."""
    return lambda job: float(benchmarks[job.benchmark].estimated_seconds.get(job.tier, 60.0))


def longest_first(jobs: list[Job], estimate: Callable[[Job], float]) -> list[Job]:
    return sorted(jobs, key=lambda job: (-estimate(job), job.benchmark, job.tier, job.seed))


def assign(jobs: list[Job], estimate: Callable[[Job], float], parts: int) -> list[list[Job]]:
    """``parts`` lists of jobs (each in plan order) whose summed estimates are as even as LPT makes them."""
    if parts < 1:
        raise ValueError(f"cannot split into {parts} parts")
    loads = [0.0] * parts
    chosen: dict[Job, int] = {}
    for job in longest_first(jobs, estimate):
        part = min(range(parts), key=lambda i: (loads[i], i))
        chosen[job] = part
        loads[part] += estimate(job)
    return [[job for job in jobs if chosen[job] == part] for part in range(parts)]


def loads(split: list[list[Job]], estimate: Callable[[Job], float]) -> list[float]:
    return [sum(estimate(job) for job in part) for part in split]


def shard(jobs: list[Job], estimate: Callable[[Job], float], index: int, count: int) -> list[Job]:
    """The jobs of shard ``index`` of ``count`` (1-based)."""
    return assign(jobs, estimate, count)[index - 1]
