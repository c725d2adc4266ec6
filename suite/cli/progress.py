"""How far a run has come, drawn on the terminal: a line per job and the time left, in place or as a log.

Why apart from the other lines of a run (``suite.cli.terminal``): the job events come from every
worker at once and whatever executor runs them, and the time left is a small model of its own:
the up-front estimate (``suite.run.planning``) corrected by how fast the finished jobs went.
"""

from __future__ import annotations

import sys
import threading
import time

from suite.run.planning import WORKER_START_ESTIMATE_S, Job
from suite.text import clock


class Progress:
    """One line per job on stderr, plus an in-place line for the epochs/steps of the current job."""

    LOG_PROGRESS_EVERY_S = 60.0
    #: Seconds of work the declared estimates are trusted for before measured speed takes over.
    #: Why: the first jobs of a run are often toys of a second each; their speed ratio (or a worker's
    #: TensorFlow import) says little about an hour of convnets, so it is blended in gradually.
    PRIOR_WEIGHT_S = 60.0

    def __init__(self, estimated_total_s: float = 0.0, stream=None, parallel: int = 1):
        """``estimated_total_s`` is the run's wall time; ``parallel`` how many jobs run at once (workers,
        SLURM tasks), which is how many job-seconds of estimate one second of that wall time holds."""
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

    def job_started(self, index: int, total: int, job: Job) -> None:
        self._line(f"[{index}/{total}] {job.benchmark} ({job.tier}, seed {job.seed}) ...")

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

    def job_kept(self, index: int, total: int, job: Job, by_other_process: bool = False) -> None:
        # A kept record costs no time now, and the run's estimate left it out: counting it as done
        # would make the remaining time look shorter than it is.
        why = "recorded by the other process" if by_other_process else "kept (resume: its record exists)"
        self._line(f"[{index}/{total}] {job.benchmark} seed {job.seed}: {why}")

    def job_deferred(self, index: int, total: int, job: Job) -> None:
        self._line(f"[{index}/{total}] {job.benchmark} seed {job.seed}: another process is running "
                   "it; waiting for it after the other jobs")

    def job_waiting(self, index: int, total: int, job: Job) -> None:
        self._line(f"[{index}/{total}] {job.benchmark} seed {job.seed}: waiting for the other process")

    def recorded_twice(self, job: Job) -> None:
        self._line(f"    seed {job.seed} of {job.benchmark} recorded twice; the first record is kept")

    def job_finished(self, index: int, total: int, job: Job, status: str, duration_s: float,
                     estimate_s: float) -> None:
        self.done_estimate_s += estimate_s
        self.done_actual_s += duration_s
        if self.interactive:
            self.stream.write("\r" + " " * 60 + "\r")
        self._line(
            f"[{index}/{total}] {job.benchmark} seed {job.seed}: {status.upper()} in {duration_s:.1f} s"
            f"  | elapsed {clock(self.elapsed())}, about {clock(self.remaining())} left"
        )

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()
