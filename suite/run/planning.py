"""What a run will do before any worker starts: its jobs, their seeds, their expected time and timeout.

Why apart from the workers: the plan is read where nothing trains (the estimate printed up front,
``--shard``, the time table of ``tools/time_to_verdict.py``, ``suite list``), and every executor
plans the same jobs the same way. ``RunOptions`` lives here too: it is what the plan hands to the
executors and their workers, the same under every executor.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from suite import backends, constants
from suite.records import layout, reading
from suite.registry import Benchmark

if TYPE_CHECKING:
    from suite.run.executors.slurm_settings import SlurmSettings

#: What starting the worker costs (TensorFlow import, ~6 s here), added once to a run's estimate.
WORKER_START_ESTIMATE_S = 10.0
#: A job may run this many times its estimate (and at least MIN_TIMEOUT_S) before it is stopped.
TIMEOUT_FACTOR = 10.0
MIN_TIMEOUT_S = 600.0
#: Records of earlier jobs a time estimate reads at the most, per benchmark and tier.
ESTIMATE_RECORDS = 12


@dataclass(frozen=True)
class Job:
    """One training run of a benchmark at a tier with one seed; it ends as exactly one record."""

    benchmark: str
    tier: str
    seed: int


@dataclass(frozen=True)
class RunOptions:
    """How every job of a run is trained and where: what the executors and their workers read."""

    device: str = "auto"
    deterministic: bool = True
    timeout_s: float | None = None  # None: from each benchmark's estimate
    executor: str = "local"  # suite.run.executors.EXECUTORS
    workers: int = 1  # local CPU workers
    gpus: tuple[str, ...] = ()  # local: one worker per GPU id (CUDA_VISIBLE_DEVICES); () for none
    slurm: SlurmSettings | None = None  # the slurm executor's settings (partition, account, ...)
    backend: str = constants.DEFAULT_BACKEND  # the Keras backend of every job (suite.backends.names())

    @property
    def at_once(self) -> int:
        """How many jobs run at the same time: the local workers (CPU and GPU), or the SLURM array's parallelism."""
        if self.executor == "slurm":
            return self.slurm.parallelism if self.slurm else 1
        return len(self.gpus) + self.workers


def plan(benchmarks: list[Benchmark], tier: str, seeds: int) -> list[Job]:
    """Benchmark-major order: all seeds of one benchmark, then the next (the report fills in that order).

    In the quick tier a cheap benchmark may run more seeds than asked (``Benchmark.gate_seeds``).
    """
    return [Job(b.name, tier, seed) for b in benchmarks for seed in range(1, seeds_for(b, tier, seeds) + 1)]


def seeds_for(benchmark: Benchmark, tier: str, asked: int) -> int:
    """How many seeds a run of ``tier`` that asks for ``asked`` gives ``benchmark`` (``Benchmark.gate_seeds``)."""
    return max(asked, benchmark.gate_seeds) if tier == "quick" else asked


def estimate_seconds(benchmark: Benchmark, tier: str, backend: str = constants.DEFAULT_BACKEND) -> tuple[float, str]:
    """Expected wall time of one job: the median of earlier runs on this machine and backend, else the declared figure.

    The declared figures are TensorFlow's; a JAX job of the same benchmark may take a different time. At most
    ``ESTIMATE_RECORDS`` records are read, the newest runs first: a calibration run holds hundreds of seeds of a
    toy, each record carrying its whole loss curve, and reading them all took minutes before the first job.
    """
    durations = list(itertools.islice(_earlier_durations(benchmark.name, tier, backend), ESTIMATE_RECORDS))
    if durations:
        return statistics.median(durations), "measured"
    return float(benchmark.estimated_seconds.get(tier, 60.0)), "declared"


def _earlier_durations(name: str, tier: str, backend: str):
    """Seconds of the finished jobs of ``name`` at ``tier`` on ``backend`` in the last 20 runs, newest run first."""
    pattern = f"{name}__{tier}__s*.json"
    for run_path in reversed(layout.list_runs()[-20:]):
        for path in sorted(layout.records_dir(run_path).glob(pattern))[:ESTIMATE_RECORDS]:
            try:
                record = reading.read_record(path)
            except (ValueError, OSError):
                continue
            if (record.get("status") == "ok" and record.get("duration_s")
                    and backends.recorded_name(record) == backend):
                yield float(record["duration_s"])


def timeout_seconds(estimate_s: float, asked_s: float | None = None) -> float:
    """How long one job may run: ``--timeout`` when given, else ``TIMEOUT_FACTOR`` times its estimate."""
    return asked_s or max(TIMEOUT_FACTOR * estimate_s, MIN_TIMEOUT_S)


def skipped_for_want_of_a_gpu(benchmarks: list[Benchmark], device: str, backend: str = constants.DEFAULT_BACKEND) -> list[str]:
    """Names of the ``gpu-required`` benchmarks this machine will skip (for the up-front estimate)."""
    if device == "cpu" or not any(b.placement == "gpu-required" for b in benchmarks):
        return []
    from suite.run import placement

    if placement.gpu_count(backend):
        return []
    return [b.name for b in benchmarks if b.placement == "gpu-required"]
