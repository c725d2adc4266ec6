"""Runs the jobs (benchmark x seed) of a selection and writes one record per job.

Where the workers run is the executor's choice (``suite.run.executors``); this module holds what is the
same under every executor: the job, its estimate and timeout, the worker child and its pipe, and
the record completed and published once. Every job runs in a worker child (``suite.run.worker``) that
is reused from job to job while it stays healthy. When a job raises, the worker records ERROR and
goes on; when the worker dies (segfault, ``kill``, out of memory) or a job runs past its timeout,
the runner writes an ERROR or TIMEOUT record for that job and starts a fresh worker for the next.
Ctrl-C stops the worker, keeps every finished record and prints how to resume.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from suite.records import layout, publish, reading, run_files
from suite.registry import Benchmark
from suite.text import clock

#: What starting the worker costs (TensorFlow import, ~6 s here), added once to a run's estimate.
WORKER_START_ESTIMATE_S = 10.0
#: Seconds to wait for a fresh worker to import TensorFlow and say it is ready.
WORKER_START_TIMEOUT_S = 180.0
#: A job may run this many times its estimate (and at least MIN_TIMEOUT_S) before it is stopped.
TIMEOUT_FACTOR = 10.0
MIN_TIMEOUT_S = 600.0
#: How often a waiting runner looks whether the run is being stopped (seconds).
CANCEL_CHECK_S = 0.5


@dataclass(frozen=True)
class Job:
    benchmark: str
    tier: str
    seed: int


@dataclass
class RunOptions:
    tier: str
    seeds: int
    device: str = "auto"
    deterministic: bool = True
    timeout_s: float | None = None  # None: from each benchmark's estimate
    executor: str = "local"  # suite.run.executors.EXECUTORS
    workers: int = 1  # local CPU workers
    gpus: tuple[str, ...] = ()  # local: one worker per GPU id (CUDA_VISIBLE_DEVICES); () for none
    data_parallel: bool = False  # one worker over every GPU under MirroredStrategy
    slurm: dict | None = None  # options of the slurm executor (partition, account, ...)
    backend: str = "tensorflow"  # the Keras backend of every job (suite.backends.BACKENDS)


def plan(benchmarks: list[Benchmark], tier: str, seeds: int) -> list[Job]:
    """Benchmark-major order: all seeds of one benchmark, then the next (the report fills in that order).

    In the quick tier a cheap benchmark may run more seeds than asked (``Benchmark.gate_seeds``).
    """
    if seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    return [Job(b.name, tier, seed) for b in benchmarks for seed in range(1, seeds_for(b, tier, seeds) + 1)]


def seeds_for(benchmark: Benchmark, tier: str, asked: int) -> int:
    """How many seeds a run of ``tier`` that asks for ``asked`` gives ``benchmark`` (``Benchmark.gate_seeds``)."""
    return max(asked, benchmark.gate_seeds) if tier == "quick" else asked


#: Records of earlier jobs a time estimate reads at the most, per benchmark and tier.
ESTIMATE_RECORDS = 12


def estimate_seconds(benchmark: Benchmark, tier: str, backend: str = "tensorflow") -> tuple[float, str]:
    """Expected wall time of one job: the median of earlier runs on this machine and backend, else the declared figure.

    The declared figures are TensorFlow's; a JAX job of the same benchmark may take a different time. At most
    ``ESTIMATE_RECORDS`` records are read, the newest runs first: a calibration run holds hundreds of seeds of a
    toy, each record carrying its whole loss curve, and reading them all took minutes before the first job.
    """
    durations = []
    pattern = f"{benchmark.name}__{tier}__s*.json"
    for run_path in reversed(layout.list_runs()[-20:]):
        if len(durations) >= ESTIMATE_RECORDS:
            break
        for path in sorted(layout.records_dir(run_path).glob(pattern))[:ESTIMATE_RECORDS]:
            if len(durations) >= ESTIMATE_RECORDS:
                break
            try:
                record = reading.read_record(path)
            except (ValueError, OSError):
                continue
            if (record.get("status") == "ok" and record.get("duration_s")
                    and (record.get("backend") or "tensorflow") == backend):
                durations.append(float(record["duration_s"]))
    if durations:
        return statistics.median(durations), "measured"
    return float(benchmark.estimated_seconds.get(tier, 60.0)), "declared"


def skipped_for_want_of_a_gpu(benchmarks: list[Benchmark], device: str, backend: str = "tensorflow") -> list[str]:
    """Names of the ``gpu-required`` benchmarks this machine will skip (for the up-front estimate)."""
    if device == "cpu" or not any(b.placement == "gpu-required" for b in benchmarks):
        return []
    from suite.run import placement

    if placement.gpu_count(backend):
        return []
    return [b.name for b in benchmarks if b.placement == "gpu-required"]


class WorkerDied(RuntimeError):
    pass


class Cancelled(Exception):
    """The run is being stopped (Ctrl-C, or another worker hit a full disk): the job gets no record."""


class _Worker:
    """One worker child and its pipe."""

    def __init__(self, options: RunOptions, setup: dict | None = None):
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        from suite.run import worker

        # The worker sets KERAS_BACKEND from this before it imports Keras: one backend per run.
        setup = {**(setup or {}), "backend": options.backend}
        self.process = context.Process(
            target=worker.main,
            args=(child_end, options.deterministic, os.getpid(), setup),
            daemon=True,
        )
        self.process.start()
        child_end.close()
        message = self.receive(WORKER_START_TIMEOUT_S)
        if message is None or message.get("type") != "ready":
            self.stop()
            raise WorkerDied(f"the worker process did not start ({options.backend} failed to import?)")
        self.environment = message["environment"]
        self.seen = message.get("seen") or {}

    def receive(self, timeout_s: float):
        """The next message, or None on timeout; raises WorkerDied when the child is gone."""
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                if self.connection.poll(min(remaining, 0.5)):
                    return self.connection.recv()
            except (EOFError, ConnectionError, OSError):
                raise WorkerDied(self._death()) from None
            if not self.process.is_alive():
                # Drain what it may have sent just before exiting.
                try:
                    if self.connection.poll(0):
                        return self.connection.recv()
                except (EOFError, OSError):
                    pass
                raise WorkerDied(self._death())

    def _death(self) -> str:
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is not None and code < 0:
            import signal

            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the worker process was killed by signal {name}"
        return f"the worker process exited with code {code}"

    def send(self, message: dict) -> None:
        self.connection.send(message)

    def stop(self) -> None:
        try:
            if self.process.is_alive():
                try:
                    self.connection.send({"type": "stop"})
                except OSError:
                    pass
                self.process.join(timeout=3)
        finally:
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=5)
            self.connection.close()


class Progress:
    """One line per job on stderr, plus an in-place line for the epochs/steps of the current job."""

    LOG_PROGRESS_EVERY_S = 60.0
    #: Seconds of work the declared estimates are trusted for before measured speed takes over.
    #: Why: the first jobs of a run are often toys of a second each; their speed ratio (or a worker's
    #: TensorFlow import) says little about an hour of convnets, so it is blended in gradually.
    PRIOR_WEIGHT_S = 60.0

    def __init__(self, total_jobs: int, estimated_total_s: float, stream=None, parallel: int = 1):
        """``estimated_total_s`` is the run's wall time; ``parallel`` how many jobs run at once (workers,
        SLURM tasks), which is how many job-seconds of estimate one second of that wall time holds."""
        self.total_jobs = total_jobs
        self.estimated_total_s = estimated_total_s
        self.parallel = max(1, parallel)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.interactive = self.stream.isatty()
        self._lock = threading.Lock()  # several workers report at once
        self.done_estimate_s = 0.0  # the finished jobs' estimates, summed over every worker
        self.done_actual_s = 0.0
        self.start_paid_s = 0.0
        self.last_logged_progress = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        """What is left of the estimate, scaled by how fast the finished jobs ran against theirs.

        The speed ratio counts job durations only (worker start-up is in the estimate once) and is
        shrunk toward 1 by ``PRIOR_WEIGHT_S`` of pretend on-time work. With ``parallel`` jobs at once,
        a finished job's estimate took only its share of the wall time: counting all of it would
        announce "0 s left" halfway through a run of two workers.
        """
        done_wall_s = self.start_paid_s + self.done_estimate_s / self.parallel
        left = max(self.estimated_total_s - done_wall_s, 0.0)
        ratio = ((self.done_actual_s + self.start_paid_s + self.PRIOR_WEIGHT_S)
                 / (self.done_estimate_s + self.start_paid_s + self.PRIOR_WEIGHT_S))
        return left * ratio

    def worker_ready(self) -> None:
        # The one-off start-up cost is in the run's estimate once; once paid it is no longer "left".
        if not self.start_paid_s:
            self.start_paid_s = min(WORKER_START_ESTIMATE_S, self.estimated_total_s)

    def job_started(self, index: int, job: Job) -> None:
        self._line(f"[{index}/{self.total_jobs}] {job.benchmark} ({job.tier}, seed {job.seed}) ...")

    def job_progress(self, job: Job, done: int, total: int, unit: str) -> None:
        if self.interactive:
            self.stream.write(f"\r    {unit} {done}/{total}  elapsed {clock(self.elapsed())}   ")
            self.stream.flush()
            return
        # A log file or CI console gets a plain line, at most once a minute, so that a job of
        # forty minutes still shows that it is alive and how far it has come.
        now = time.monotonic()
        if now - self.last_logged_progress >= self.LOG_PROGRESS_EVERY_S:
            self.last_logged_progress = now
            self._line(f"    {job.benchmark} seed {job.seed}: {unit} {done}/{total}, "
                       f"elapsed {clock(self.elapsed())}")

    def job_kept(self, index: int, job: Job, by_other_process: bool = False) -> None:
        # A kept record costs no time now, and the run's estimate left it out: counting it as done
        # would make the remaining time look shorter than it is.
        why = "recorded by the other process" if by_other_process else "kept (resume: its record exists)"
        self._line(f"[{index}/{self.total_jobs}] {job.benchmark} seed {job.seed}: {why}")

    def job_deferred(self, index: int, job: Job) -> None:
        self._line(f"[{index}/{self.total_jobs}] {job.benchmark} seed {job.seed}: another process is running "
                   "it; waiting for it after the other jobs")

    def job_waiting(self, index: int, job: Job) -> None:
        self._line(f"[{index}/{self.total_jobs}] {job.benchmark} seed {job.seed}: waiting for the other process")

    def recorded_twice(self, job: Job) -> None:
        self._line(f"    seed {job.seed} of {job.benchmark} recorded twice; the first record is kept")

    def job_finished(self, index: int, job: Job, status: str, duration_s: float, estimate_s: float) -> None:
        self.done_estimate_s += estimate_s
        self.done_actual_s += duration_s
        if self.interactive:
            self.stream.write("\r" + " " * 60 + "\r")
        self._line(
            f"[{index}/{self.total_jobs}] {job.benchmark} seed {job.seed}: {status.upper()} in {duration_s:.1f} s"
            f"  | elapsed {clock(self.elapsed())}, about {clock(self.remaining())} left"
        )

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()


def stamps(benchmarks: dict[str, Benchmark], tiers: set[str], backend: str = "tensorflow") -> dict[tuple[str, str], dict]:
    """What each record carries about its benchmark as it stood when the job ran.

    Why in the record: a stored run is evidence. Its verdicts must come from the references it was
    judged against then, and its report must render without today's benchmark code (or TensorFlow).
    Computed once per run: the baseline and the code do not change under a running run.
    """
    from suite.judge import baselines

    by_tier = {tier: baselines.load_baseline(tier, backend=backend) for tier in tiers if tier not in ("full", "smoke")}
    stamps = {}
    for tier in tiers:
        for name, benchmark in benchmarks.items():
            try:
                references, judged = baselines.references_for(benchmark, tier, by_tier.get(tier))
            except baselines.BaselineError:
                # Only a full-tier calibration run gets here (``run`` refuses an uncalibrated full tier
                # before it starts): its records are what the calibration is made from, not judged.
                references, judged = (), False
            stamps[(name, tier)] = {
                "code_version": benchmark.code_version(),
                "judged_against": {"judged": judged, "references": [r.to_dict() for r in references],
                                   "baseline": baselines.baseline_provenance(tier, by_tier.get(tier), name, backend)},
                "documented_references": [r.to_dict() for r in benchmark.references],
                "source_cells": benchmark.source.cells,
                "description": (type(benchmark).__doc__ or "").strip(),
                "source_curves": dict(benchmark.source_curves or {}),
            }
    return stamps


def recorded(run_path: Path, job: Job) -> bool:
    return layout.record_path(run_path, job.benchmark, job.tier, job.seed).exists()


class WorkerSlot:
    """One worker of a run: started on first use with its ``setup``, replaced after a death or a timeout."""

    def __init__(self, options: RunOptions, setup: dict | None = None, worker_id: str = "cpu0",
                 cancel: threading.Event | None = None):
        self.options = options
        self.setup = setup
        self.worker_id = worker_id
        self.cancel = cancel or threading.Event()
        self.worker: _Worker | None = None
        self.environment: dict = {}
        self.seen: dict = {}

    def get(self) -> _Worker:
        if self.worker is None:
            self.worker = _Worker(self.options, self.setup)
            self.environment = self.worker.environment
            self.seen = self.worker.seen
        return self.worker

    def discard(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.worker = None

    stop = discard


def run_claimed_job(index: int, job: Job, base: dict, run_path: Path, options: RunOptions,
                    pool: WorkerSlot, progress: Progress, estimate_s: float) -> None:
    """Train one job in the worker and publish its record (exactly one, whatever happens).

    Raises ``Cancelled`` (and publishes nothing) when ``pool.cancel`` is set while the job runs:
    a job cut short by the run stopping has no result, and ``--resume`` runs it again.
    """
    progress.job_started(index, job)
    timeout_s = options.timeout_s or max(TIMEOUT_FACTOR * estimate_s, MIN_TIMEOUT_S)
    record, artefacts = None, {}
    started = time.monotonic()
    try:
        # The job's clock starts once a worker is ready: importing TensorFlow is not the job's time.
        worker = pool.get()
        progress.worker_ready()
        started = time.monotonic()
        worker.send({"type": "job", "benchmark": job.benchmark, "tier": job.tier, "seed": job.seed,
                     "device": options.device})
        while True:
            if pool.cancel.is_set():
                pool.discard()
                raise Cancelled()
            remaining = timeout_s - (time.monotonic() - started)
            message = worker.receive(min(max(remaining, 0.0), CANCEL_CHECK_S)) if remaining > 0 else None
            if message is None and remaining > CANCEL_CHECK_S:
                continue
            if message is None:
                record = {"status": "timeout",
                          "error": f"stopped after {timeout_s:.0f} s (timeout); raise it with --timeout"}
                pool.discard()
                break
            if message["type"] == "progress":
                progress.job_progress(job, message["done"], message["total"], message["unit"])
            elif message["type"] == "result":
                record, artefacts = message["record"], message.get("artefacts") or {}
                break
    except WorkerDied as death:
        pool.discard()
        if pool.cancel.is_set():
            raise Cancelled() from None
        record = {"status": "error", "error": f"{death} while running this job"}
    wall_s = time.monotonic() - started
    record.setdefault("duration_s", wall_s)
    full = {**base, "environment": pool.environment, "wall_s": wall_s, "finished_at": run_files.utc_now(),
            "pid": os.getpid(), **where_it_ran(pool, options)}
    full.update(record)
    try:
        published = publish.write_record(run_path, full, artefacts)
    except (TypeError, ValueError) as error:  # unserialisable artefacts must not lose the metrics
        full["notes"] = list(full.get("notes", [])) + [f"artefacts not saved: {error}"]
        published = publish.write_record(run_path, full, None)
    if not published:
        progress.recorded_twice(job)
    progress.job_finished(index, job, full["status"], full["duration_s"], estimate_s)


def where_it_ran(pool: WorkerSlot, options: RunOptions) -> dict:
    """Host, executor, worker and what that worker saw (devices, threads): the same fields under every executor."""
    import socket

    seen = pool.seen or {}
    return {
        "hostname": seen.get("hostname") or socket.gethostname(),
        "executor": options.executor,
        "worker_id": pool.worker_id,
        "devices_seen": {"cuda_visible_devices": seen.get("cuda_visible_devices"),
                         "tensorflow_gpus": seen.get("tensorflow_gpus", []),
                         **({"jax_devices": seen["jax_devices"]} if "jax_devices" in seen else {})},
        "intra_op_threads": seen.get("intra_op_threads"),
    }


def record_base(job: Job, benchmark: Benchmark, run_path: Path, options: RunOptions, stamp: dict) -> dict:
    """The fields of a job's record known before it runs (the benchmark, its settings and references).

    Built where the benchmark classes are loaded (the driver), so that a process that only runs a
    worker (a SLURM task) needs neither the benchmark code nor TensorFlow itself.
    """
    from suite.judge import numerics

    settings = benchmark.settings_for(job.tier)
    judged_against = dict(stamp["judged_against"])
    judged_against["baseline"] = numerics.provenance_for_seed(judged_against.get("baseline"), job.seed)
    return {
        "run_id": run_path.name,
        "benchmark": job.benchmark,
        "experiment": benchmark.source.experiment,
        "source_document": benchmark.source.document,
        "title": benchmark.title,
        "tags": list(benchmark.tags),
        "tier": job.tier,
        "seed": job.seed,
        "status": "error",
        "metrics": {},
        "history": {},
        "device": "",
        "placement": benchmark.placement,
        "requested_device": options.device,
        "deterministic": options.deterministic,
        "backend": options.backend,
        "settings": settings.to_dict(),
        "source_hash": benchmark.source_hash(),
        **stamp,
        "judged_against": judged_against,
    }
