"""A run's events as a person reads them on the terminal (stderr): the plan, the estimate, each job, how it ended.

The run layer reports what happens (``suite.run.events``); this reporter decides the words. The
job lines and the time left are ``suite.cli.progress``'s, made when the estimate arrives (or, in a
SLURM task, which hears no estimate, at its first job).
"""

from __future__ import annotations

import functools
import sys

from suite.cli.progress import Progress
from suite.run import events
from suite.text import short_duration


class TerminalReporter:
    """Writes a run's events to ``stream`` (stderr by default), in the suite's words."""

    def __init__(self, stream=None):
        self.stream = stream
        self.progress: Progress | None = None

    @functools.singledispatchmethod
    def report(self, event) -> None:
        """An event without words here (none today) passes silently."""

    def _say(self, text: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(text + "\n")
        stream.flush()

    def _progress(self) -> Progress:
        if self.progress is None:
            self.progress = Progress(stream=self.stream)
        return self.progress

    @report.register
    def _(self, plan: events.Planned) -> None:
        if plan.skipped:
            self._say(f"{len(plan.skipped)} benchmark(s) need a GPU and will be skipped ({', '.join(plan.skipped)}); "
                      f"--device cpu runs them on the CPU.")
        part = f" (shard {plan.shard[0]}/{plan.shard[1]})" if plan.shard else ""
        if plan.more_seeds:
            part += f" (more seeds where the gate needs them: {', '.join(f'{n} {s}' for n, s in plan.more_seeds)})"
        already = f" ({plan.recorded} already recorded, {plan.pending} to run)" if plan.recorded else ""
        self._say(f"Run {plan.run_name}: {plan.benchmarks} benchmarks x {plan.seeds} seed(s) = {plan.jobs} jobs"
                  f"{part}{already}, tier {plan.tier}, backend {plan.backend}, device {plan.device}, "
                  f"deterministic {'on' if plan.deterministic else 'off'}{_where(plan)}.")

    @report.register
    def _(self, estimate: events.Estimated) -> None:
        self._say(f"Estimated time on this machine: {short_duration(estimate.wall_s)} "
                  f"({estimate.measured} of {estimate.benchmarks} estimates from earlier runs here, the rest "
                  f"declared). Records: {estimate.records}")
        self.progress = Progress(estimate.wall_s, stream=self.stream, parallel=estimate.parallel)

    @report.register
    def _(self, _: events.WorkerReady) -> None:
        self._progress().worker_ready()

    @report.register
    def _(self, event: events.JobStarted) -> None:
        self._progress().job_started(event.index, event.total, event.job)

    @report.register
    def _(self, event: events.JobProgress) -> None:
        self._progress().job_progress(event.job, event.done, event.total, event.unit)

    @report.register
    def _(self, event: events.JobFinished) -> None:
        self._progress().job_finished(event.index, event.total, event.job, event.status, event.duration_s,
                                      event.estimate_s)

    @report.register
    def _(self, event: events.JobKept) -> None:
        self._progress().job_kept(event.index, event.total, event.job, event.by_other_process)

    @report.register
    def _(self, event: events.JobDeferred) -> None:
        self._progress().job_deferred(event.index, event.total, event.job)

    @report.register
    def _(self, event: events.JobWaiting) -> None:
        self._progress().job_waiting(event.index, event.total, event.job)

    @report.register
    def _(self, event: events.RecordedTwice) -> None:
        self._progress().recorded_twice(event.job)

    @report.register
    def _(self, event: events.TasksSubmitted) -> None:
        self._say(f"Submitted {event.tasks} SLURM task(s) ({', '.join(event.arrays)}); logs in {event.logs}")

    @report.register
    def _(self, event: events.Detached) -> None:
        self._say(f"Detached. Collect the records and the report with: {event.resume_command}")

    @report.register
    def _(self, event: events.Interrupted) -> None:
        self._say(f"\nInterrupted; finished records are kept. Continue with: {event.resume_command}")

    @report.register
    def _(self, event: events.StorageFilled) -> None:
        self._say(f"\nerror: {event.reason}. Every record written before is kept. Free some space there, then "
                  f"continue with: {event.resume_command}")

    @report.register
    def _(self, event: events.DamagedRecordSetAside) -> None:
        self._say(f"warning: record {event.record} is damaged ({event.reason}); moved to {event.moved_to} and its "
                  "job will run again")

    @report.register
    def _(self, event: events.Warned) -> None:
        self._say(f"warning: {event.text}")


def _where(plan: events.Planned) -> str:
    """Where the jobs run, when it is not the one local worker: ", 2 workers", ", executor slurm"."""
    if plan.executor == "slurm":
        return ", executor slurm"
    if plan.gpus:
        return f", {len(plan.gpus)} GPU worker(s) ({','.join(plan.gpus)}) and {plan.workers} CPU worker(s)"
    return f", {plan.workers} workers" if plan.workers > 1 else ""
