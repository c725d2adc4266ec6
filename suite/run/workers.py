"""The worker child of a run and its pipe: started, sent one job at a time, watched, replaced when it dies.

Why a module of its own: every executor (local threads, a SLURM task) talks to its worker the same
way, and a job's fate depends on that conversation alone. A job that raises comes back as an ERROR
result from the worker; a worker that dies (segfault, ``kill``, out of memory) or a job that runs
past its timeout is said here, and the slot starts a fresh worker for the next job. The protocol
itself is written down in ``suite.run.worker``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

from suite.run import events
from suite.run.events import Reporter
from suite.run.planning import Job, RunOptions

#: Seconds to wait for a fresh worker to import TensorFlow and say it is ready.
WORKER_START_TIMEOUT_S = 180.0
#: How often a waiting runner looks whether the run is being stopped (seconds).
CANCEL_CHECK_S = 0.5


class WorkerDied(RuntimeError):
    pass


class Cancelled(Exception):
    """The run is being stopped (Ctrl-C, or another worker hit a full disk): the job gets no record."""


class _Worker:
    """One worker child and its pipe."""

    def __init__(self, options: RunOptions, setup: dict | None = None):
        started = _prestarted.pop(_started_with(options, setup), None)
        if started is None or not started[1].is_alive():
            started = _spawn(options, setup)
        self.connection, self.process = started
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


def _spawn(options: RunOptions, setup: dict | None):
    """Start a worker child: its end of the pipe and its process (it says "ready" once Keras is imported)."""
    context = multiprocessing.get_context("spawn")
    connection, child_end = context.Pipe()
    from suite.run import worker

    # The worker sets KERAS_BACKEND from this before it imports Keras: one backend per run.
    setup = {**(setup or {}), "backend": options.backend}
    process = context.Process(target=worker.main, args=(child_end, options.deterministic, os.getpid(), setup),
                              daemon=True)
    process.start()
    child_end.close()
    return connection, process


#: Workers started ahead of their run (``prestart``), by what they were started with, until a slot adopts them.
_prestarted: dict[tuple, tuple] = {}


def _started_with(options: RunOptions, setup: dict | None) -> tuple:
    return options.backend, options.deterministic, repr(sorted((setup or {}).items()))


def prestart(options: RunOptions, setup: dict | None = None) -> None:
    """Start a worker now; the run's first slot started with the same options and setup adopts it.

    Why: a worker spends seconds importing Keras before its first job, and the driver spends a
    fraction of that checking the options and planning the run. Started first, the two overlap. A
    worker nobody adopts (the run was refused) is a daemon: it ends with this process.
    """
    key = _started_with(options, setup)
    if key not in _prestarted:
        _prestarted[key] = _spawn(options, setup)


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


def train_in_worker(job: Job, options: RunOptions, pool: WorkerSlot, reporter: Reporter, timeout_s: float
                    ) -> tuple[dict, dict, float]:
    """Send ``job`` to the slot's worker and wait for its result: ``(record fields, artefacts, wall seconds)``.

    A worker that dies gives an ERROR, a job past ``timeout_s`` a TIMEOUT; either way the worker is
    discarded and the next job gets a fresh one. Raises ``Cancelled`` when ``pool.cancel`` is set
    while the job runs: a job cut short by the run stopping has no result.
    """
    record, artefacts = None, {}
    started = time.monotonic()
    try:
        # The job's clock starts once a worker is ready: importing TensorFlow is not the job's time.
        worker = pool.get()
        reporter.report(events.WorkerReady())
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
                reporter.report(events.JobProgress(job, message["done"], message["total"], message["unit"]))
            elif message["type"] == "result":
                record, artefacts = message["record"], message.get("artefacts") or {}
                break
    except WorkerDied as death:
        pool.discard()
        if pool.cancel.is_set():
            raise Cancelled() from None
        record = {"status": "error", "error": f"{death} while running this job"}
    return record, artefacts, time.monotonic() - started
