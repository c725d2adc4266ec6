"""What a run tells as it goes: one dataclass per event, the ``Reporter`` that hears them, and two quiet reporters.

Why events and not lines: the run layer decides what happened, a front end decides how it looks
(``suite.cli.terminal`` draws them on a terminal; a test collects them; another front end could
log them as JSON). Every event says all it needs on its own (a job event carries its place among
the run's jobs), so a reporter keeps no state to read one, and a SLURM task, which makes a fresh
reporter of the driver's kind, tells its log the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from suite.run.planning import Job


def resume_command(run_name: str) -> str:
    """What continues the run ``run_name`` from where it stopped."""
    return f"python -m suite run --resume {run_name}"


@dataclass(frozen=True)
class Planned:
    """The jobs of a run, before any starts: what was asked, what runs here, what is skipped for want of a GPU."""

    run_name: str
    benchmarks: int
    seeds: int
    jobs: int
    recorded: int  # jobs a resumed run has recorded already; they are kept, not trained again
    tier: str
    backend: str  # with its versions: "tensorflow (tensorflow 2.21.0)"
    device: str
    deterministic: bool
    executor: str = "local"
    workers: int = 1
    gpus: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None
    more_seeds: tuple[tuple[str, int], ...] = ()  # (benchmark, seeds) where the gate needs more than asked
    skipped: tuple[str, ...] = ()  # gpu-required benchmarks this machine skips

    @property
    def pending(self) -> int:
        return self.jobs - self.recorded


@dataclass(frozen=True)
class Estimated:
    """The expected wall time of the jobs still to run, and how many run at once."""

    wall_s: float
    measured: int  # benchmarks whose estimate comes from earlier runs on this machine
    benchmarks: int
    records: Path
    parallel: int = 1


@dataclass(frozen=True)
class WorkerReady:
    """A worker has started (its framework imported): the one-off start-up cost is paid."""


@dataclass(frozen=True)
class JobEvent:
    """Something that happened to job ``index`` of the run's ``total`` (counted from 1, in plan order)."""

    index: int
    total: int
    job: Job


class JobStarted(JobEvent):
    """A worker has the job; its clock starts once the worker is ready."""


@dataclass(frozen=True)
class JobProgress:
    """How far the running job has come (epochs, steps), as its benchmark says."""

    job: Job
    done: int
    total: int
    unit: str


@dataclass(frozen=True)
class JobFinished(JobEvent):
    """The job's record is published: OK, ERROR or TIMEOUT, and how long it took against its estimate."""

    status: str
    duration_s: float
    estimate_s: float


@dataclass(frozen=True)
class JobKept(JobEvent):
    """A job not trained now: its record exists (a resumed run), or another process recorded it meanwhile."""

    by_other_process: bool = False


class JobDeferred(JobEvent):
    """Another process is training the job: it is waited for after the other jobs."""


class JobWaiting(JobEvent):
    """The other jobs are done; now waiting for the process that trains this one."""


@dataclass(frozen=True)
class RecordedTwice:
    """Two writers finished the same job: the first record is kept."""

    job: Job


@dataclass(frozen=True)
class TasksSubmitted:
    """SLURM accepted the jobs as array tasks."""

    tasks: int
    arrays: tuple[str, ...]
    logs: Path


@dataclass(frozen=True)
class RunStopped:
    """The run stopped before its jobs were done; ``resume_command`` continues it, keeping every record."""

    run_name: str

    @property
    def resume_command(self) -> str:
        return resume_command(self.run_name)


class Detached(RunStopped):
    """The SLURM tasks run on without this process; resuming the run collects them."""


class Interrupted(RunStopped):
    """Ctrl-C (or SIGTERM) stopped the run; every finished record is kept."""


@dataclass(frozen=True)
class StorageFilled(RunStopped):
    """The disk holding the run folder filled: the run stopped, every record written before is kept."""

    reason: str = ""


@dataclass(frozen=True)
class DamagedRecordSetAside:
    """Before resuming, a damaged record was moved aside (never deleted); its job runs again."""

    record: str  # its file name
    reason: str  # what is wrong with it ("not valid JSON", "empty file", ...)
    moved_to: str  # where it lies now, relative to the run folder


@dataclass(frozen=True)
class Warned:
    """Something a person should know that stops nothing (a busy SLURM controller)."""

    text: str


Event = (Planned | Estimated | WorkerReady | JobEvent | JobProgress | RecordedTwice | TasksSubmitted | RunStopped
         | DamagedRecordSetAside | Warned)


class Reporter(Protocol):
    """Hears a run's events, from any thread (several workers report at once).

    Its class must be callable without arguments: a SLURM task makes its own reporter of the
    driver's kind, and its log is that reporter's terminal.
    """

    def report(self, event: Event) -> None: ...


class Silent:
    """Hears everything, says nothing: for a run whose front end wants only its records."""

    def report(self, event: Event) -> None:
        pass


@dataclass
class Collecting:
    """Keeps every event in order (for tests, and for a front end that reads them after the run)."""

    events: list = field(default_factory=list)

    def report(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [event for event in self.events if isinstance(event, kind)]
