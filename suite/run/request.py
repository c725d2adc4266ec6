"""What a run is asked to do, as a front end hands it over: a frozen ``RunRequest``, checked once, when made.

Why a request and not the parsed flags: the run layer is started by ``run`` and ``calibrate``
alike, and could be by any other front end; it depends on what is asked, not on how a command
line spells it. A value left ``None`` was not asked for: a new run takes the default, a resumed
run keeps its own. Every value is checked when the request is made, so a bad one is a
``UsageError`` naming the fix before anything is selected, created or trained; what needs the
machine or the run folder (a GPU number, a resumed run's executor) is checked by the session
before it creates anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from suite import constants
from suite.errors import UsageError
from suite.run.executors import EXECUTORS
from suite.run.executors.slurm_settings import SlurmSettings


@dataclass(frozen=True)
class RunRequest:
    """One run as asked: which benchmarks, how they train, where their jobs run, or which run to resume."""

    names: tuple[str, ...] = ()  # benchmark names, or "all"
    tags: tuple[str, ...] = ()  # every one of these tags
    skip_tags: tuple[str, ...] = ()  # none of these
    tier: str | None = None  # None: constants.DEFAULT_TIER
    seeds: int | None = None  # None: constants.DEFAULT_SEEDS, 1 at the smoke tier
    device: str | None = None  # None: auto (each benchmark's placement)
    backend: str | None = None  # None: constants.DEFAULT_BACKEND
    deterministic: bool | None = None  # None: on
    timeout_s: float | None = None  # per job; None: from its estimate
    executor: str | None = None  # None: local
    workers: int | None = None  # local CPU workers; None: 1
    gpus: tuple[str, ...] | None = None  # local GPU workers' CUDA numbers; None: every GPU when there are several
    data_parallel: bool = False  # one worker over every GPU instead of one per GPU
    shard: tuple[int, int] | None = None  # (i, n): only part i of n of the jobs
    slurm: SlurmSettings = field(default_factory=SlurmSettings)  # what this invocation says of SLURM
    resume: str | None = None  # an earlier run to continue (its id or a prefix)
    calibrating: bool = False  # the run measures a baseline: its tier's bounds need not exist yet
    command: str = ""  # the command as typed, kept in the run's manifest

    def __post_init__(self):
        if self.tier is not None and self.tier not in constants.TIERS:
            raise UsageError(f"unknown tier {self.tier!r}; choose one of {', '.join(constants.TIERS)}")
        if self.device is not None and self.device not in constants.DEVICES:
            raise UsageError(f"unknown device {self.device!r}; choose one of {', '.join(constants.DEVICES)}")
        if self.backend is not None:
            check_backend(self.backend, data_parallel=self.data_parallel)
        _check_seeds(self.seeds)
        _check_timeout(self.timeout_s)
        if self.workers is not None and not 1 <= self.workers <= constants.MAX_WORKERS:
            raise UsageError(f"--workers must be between 1 and {constants.MAX_WORKERS}, got {self.workers}")
        if self.gpus is not None and self.data_parallel:
            raise UsageError("--gpus gives each GPU its own worker; --data-parallel runs one worker over all "
                             "GPUs; choose one")
        if self.executor is not None and self.executor not in EXECUTORS:
            raise UsageError(f"unknown executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}")
        if self.executor is not None or not self.resume:  # a resumed run's own executor is checked on reopening
            self.check_executor(self.executor or "local")

    def check_executor(self, executor: str) -> None:
        """The executor the run's jobs go to can take what this request asks of it."""
        if executor == "slurm":
            from suite.run.executors import slurm

            problem = slurm.unavailable()
            if problem:
                raise UsageError(problem)
            if self.workers is not None or self.gpus is not None:
                raise UsageError("--workers and --gpus are for the local executor; with --executor slurm each job "
                                 "is a SLURM task (use --slurm-array-parallelism)")
        elif self.slurm.detach:
            raise UsageError("--detach is for --executor slurm (a local run ends when its jobs do)")

    def check_resumes(self, run_name: str, manifest: dict) -> None:
        """``resume`` continues a run as it was started: a value that contradicts it is refused, not ignored.

        Seeds may only grow. The run's own backend must still be installed here, and its own executor
        (unless this request names one) must take what this request asks of it.
        """
        own_backend = manifest.get("backend", constants.DEFAULT_BACKEND)
        if self.backend not in (None, own_backend):
            raise UsageError(f"--backend {self.backend} cannot resume run {run_name}, which runs on {own_backend}: "
                             f"a run never mixes backends; resume it without --backend, or start a new run for "
                             f"{self.backend}")
        own = {"tier": manifest.get("tier"), "device": manifest.get("device", "auto"),
               "deterministic": manifest.get("deterministic", True)}
        given = {"tier": self.tier, "device": self.device, "deterministic": self.deterministic}
        conflicts = [f"--{key} {value}" if key != "deterministic" else "--no-deterministic"
                     for key, value in given.items() if value is not None and value != own[key]]
        names = [name for name in self.names if name != "all"]
        if names and sorted(set(names)) != sorted(manifest.get("benchmarks") or []):
            conflicts.append(" ".join(names))
        if self.tags:
            conflicts.append(" ".join(f"--tag {tag}" for tag in self.tags))
        if conflicts:
            settings = (f"tier {own['tier']}, device {own['device']}, deterministic "
                        f"{'on' if own['deterministic'] else 'off'}, {len(manifest.get('benchmarks') or [])} benchmarks")
            raise UsageError(f"{' '.join(conflicts)} cannot change run {run_name}, which has its own settings "
                             f"({settings}); --resume takes only --seeds, --timeout and --no-report (start a new run "
                             "for other settings)")
        recorded = int(manifest.get("seeds", constants.DEFAULT_SEEDS))
        if self.seeds is not None and self.seeds < recorded:
            raise UsageError(f"run {run_name} already asks for {recorded} seeds; --seeds with --resume can only "
                             f"add seeds (give a number above {recorded}, or leave --seeds out)")
        check_backend(own_backend)
        if self.executor is None:
            self.check_executor(manifest.get("executor") or "local")

    @property
    def new_run_tier(self) -> str:
        return self.tier or constants.DEFAULT_TIER

    @property
    def new_run_seeds(self) -> int:
        """Seeds per benchmark of a new run: as asked, else the default (one at the smoke tier)."""
        if self.seeds is not None:
            return self.seeds
        return 1 if self.new_run_tier == "smoke" else constants.DEFAULT_SEEDS


def check_backend(backend: str, *, data_parallel: bool = False) -> None:
    """``--backend`` (or a resumed run's own): a backend the suite has a training path for, and installed here,
    and one that Keras runs data parallel on when ``--data-parallel`` asks for it."""
    from suite import backends

    problem = backends.problem(backend, data_parallel=data_parallel)
    if problem:
        raise UsageError(problem)


def gpu_ids(text: str) -> tuple[str, ...]:
    """``--gpus 0,1`` -> ``("0", "1")``: GPU numbers, each once."""
    ids = tuple(part.strip() for part in text.split(","))
    if not ids or not all(part.isdigit() for part in ids):
        raise UsageError(f"--gpus takes GPU numbers separated by commas (for example 0,1), got {text!r}")
    if len(set(ids)) != len(ids):
        raise UsageError(f"--gpus names a GPU twice: {text}")
    return ids


def shard(text: str) -> tuple[int, int]:
    """``--shard 2/4`` -> ``(2, 4)``; shards count from 1."""
    from suite.run import sharding

    try:
        return sharding.parse_shard(text)
    except sharding.BadShard as error:
        raise UsageError(str(error)) from None


def _check_seeds(seeds: int | None) -> None:
    if seeds is None:
        return
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}")
    if seeds > constants.MAX_SEEDS:
        raise UsageError(f"--seeds {seeds} is more than the suite allows ({constants.MAX_SEEDS}: each seed is a "
                         "training run); ask for fewer")


def _check_timeout(timeout_s: float | None) -> None:
    if timeout_s is None:
        return
    if not math.isfinite(timeout_s) or timeout_s <= 0:
        raise UsageError(f"--timeout must be a positive, finite number of seconds, got {timeout_s}")
    if timeout_s > constants.MAX_TIMEOUT_S:
        raise UsageError(f"--timeout {timeout_s:g} s is longer than {constants.MAX_TIMEOUT_S // 86400:.0f} days; "
                         "leave it out to use 10x each job's estimate")
