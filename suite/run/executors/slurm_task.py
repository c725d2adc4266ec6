"""What one SLURM task runs: one job, in a worker child, its record published into the shared run folder.

The task is a small driver, not the worker itself: it starts the same worker child as a local run
(``suite.run.workers.WorkerSlot``), so a job that raises, segfaults, kills its worker or runs past
its timeout is recorded by the task, with the same words as anywhere else. Only when the whole task dies (the
SLURM time limit, preemption, a node failure, an out-of-memory kill of the task) is the record left
to the driver, which then writes it from SLURM's own account of the task.

Everything about the benchmark (settings, references, code version) arrives in ``base``, built by
the driver, so this process imports neither the benchmark code nor TensorFlow; only the worker does.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def run_task(run_dir: str, job: tuple[str, str, int], base: dict, options, estimate_s: float,
             reporter_kind=None) -> str:
    """Run ``job`` (benchmark, tier, seed) and publish its record; returns its status (for SLURM's logs).

    ``options`` are the run's ``planning.RunOptions``; ``reporter_kind`` makes the reporter the job's
    events go to (the driver's kind, so the task's log reads like the driver's terminal).
    """
    from suite.records import layout, reading
    from suite.run import claims, events, job_record, planning, workers

    run_path = Path(run_dir)
    job = planning.Job(*job)
    reporter = reporter_kind() if reporter_kind else events.Silent()
    record_path = layout.record_path(run_path, job.benchmark, job.tier, job.seed)
    if record_path.exists():
        return "recorded already"
    claim = claims.JobClaim(run_path, job.benchmark, job.tier, job.seed)
    claim.wait()  # a driver or task of an earlier submission may still hold it
    try:
        if record_path.exists():
            return "recorded already"
        threads = int(os.environ.get("SLURM_CPUS_PER_TASK") or 0) or None
        task_id = "_".join(filter(None, (os.environ.get("SLURM_ARRAY_JOB_ID"),
                                         os.environ.get("SLURM_ARRAY_TASK_ID")))) or os.environ.get("SLURM_JOB_ID", "")
        # SIGTERM is SLURM stopping the task (scancel, preemption, the time limit): the job has no
        # result, so no record is written here; the driver records it with SLURM's state and reason.
        # The worker ignores SIGTERM so that it is this process that decides, not a race of the two.
        slot = workers.WorkerSlot(options, {"env": {}, "intra_op_threads": threads, "ignore_sigterm": True},
                                  f"slurm-{task_id}")
        signal.signal(signal.SIGTERM, lambda signum, frame: slot.cancel.set())
        try:
            job_record.run_claimed_job(1, 1, job, base, run_path, options, slot, reporter, estimate_s)
        except workers.Cancelled:
            return "stopped by SLURM; the driver records the job"
        finally:
            slot.stop()
    finally:
        claim.release()
    return reading.read_record(record_path)["status"] if record_path.exists() else "no record"
