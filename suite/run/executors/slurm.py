"""The SLURM executor: every job one task of a SLURM job array, submitted through ``submitit``.

Resources come from the job: a ``cpu`` job asks for no GPU, a ``gpu`` or ``gpu-required`` job for
one (``--gpus-per-node=1``; SLURM sets ``CUDA_VISIBLE_DEVICES`` for it), and the time limit is the
job's own timeout plus a margin, so that the task normally records TIMEOUT itself and SLURM's
limit is only the backstop. Each task runs ``slurm_task.run_task``: the same worker code as a local
run, writing its record into the shared run folder.

The driver remembers what it submitted (``slurm/submitted.json`` in the run folder) and watches
the tasks with ``squeue``. A task that left the queue without a record died with its job (time
limit, preemption, node failure, out-of-memory kill): the driver records it as TIMEOUT or ERROR
with SLURM's state and reason (``scontrol``, else ``sacct``). With ``--detach`` it returns after
submitting; ``suite run --resume RUN`` collects later and submits nothing that has a record or
is still queued.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import subprocess
import time
from pathlib import Path

from suite import constants, files
from suite.records import layout, publish, reading, run_files
from suite.run import events, job_record, planning, stamps
from suite.run.executors.slurm_settings import SlurmSettings

#: Added to a job's timeout for the SLURM time limit: worker start-up and the task's own Python.
TIME_MARGIN_S = 300.0
#: How often the driver looks at the queue.
POLL_S = 2.0
#: A task gone from the queue may have written its record a moment ago on a shared file system.
RECORD_GRACE_S = 10.0
ACTIVE_STATES = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING",
                 "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "STOPPED"}


def unavailable() -> str:
    """Why ``--executor slurm`` cannot work here (one line), or "" when it can."""
    try:
        import submitit  # noqa: F401
    except ImportError:
        return "--executor slurm needs submitit: pip install -e '.[slurm]'"
    if shutil.which("sbatch") is None:
        return ("--executor slurm needs SLURM's sbatch on PATH and none was found; run on a cluster's login node, "
                "or split the run with --shard i/n for another scheduler")
    return ""


def resources(placement: str, device: str, timeout_s: float) -> dict:
    """The submitit parameters of one job: GPUs from its placement, minutes from its timeout."""
    gpus = 0 if device == "cpu" or placement == "cpu" else 1
    minutes = max(1, math.ceil((timeout_s + TIME_MARGIN_S) / 60))
    return {"gpus_per_node": gpus, "time": minutes}


def execute(jobs, benchmarks, run_path: Path, options: planning.RunOptions, reporter: events.Reporter) -> dict:
    summary = {"completed": 0, "resumed": 0, "recorded_elsewhere": 0, "workers": []}
    settings = options.slurm or SlurmSettings()
    submitted = _read_submitted(run_path)
    stamped = stamps.stamps(benchmarks, {job.tier for job in jobs}, options.backend)
    estimates = {(job.benchmark, job.tier):
                 planning.estimate_seconds(benchmarks[job.benchmark], job.tier, options.backend)[0] for job in jobs}
    index_of = {job: index for index, job in enumerate(jobs, start=1)}

    def base(job):
        return job_record.record_base(job, benchmarks[job.benchmark], run_path, options,
                                      stamped[(job.benchmark, job.tier)])

    waiting = {}
    to_submit = []
    for job in jobs:
        stem = layout.record_stem(job.benchmark, job.tier, job.seed)
        if job_record.recorded(run_path, job):
            summary["resumed"] += 1
            reporter.report(events.JobKept(index_of[job], len(jobs), job))
        elif stem in submitted:
            waiting[job] = submitted[stem]["task"]
        else:
            to_submit.append(job)
    if to_submit:
        new = _submit(to_submit, benchmarks, run_path, options, settings, base, estimates, type(reporter))
        waiting.update(new)
        reporter.report(events.TasksSubmitted(len(new), tuple(sorted({t.split("_")[0] for t in new.values()})),
                                              run_path / "slurm"))
    if settings.detach:
        reporter.report(events.Detached(run_path.name))
        summary["detached"] = True
        return summary
    _collect(waiting, run_path, options, base, reporter, index_of, estimates, summary)
    return summary


def _submit(jobs, benchmarks, run_path, options, settings: SlurmSettings, base, estimates, reporter_kind) -> dict:
    """One array per kind of resource request; returns {job: task id} and remembers it in the run folder.

    Each task makes its own reporter of ``reporter_kind`` (the driver's): its SLURM log is its terminal.
    """
    import submitit

    from suite.run.executors import slurm_task

    groups: dict[tuple, list] = {}
    for job in jobs:
        estimate_s = estimates[(job.benchmark, job.tier)]
        timeout_s = planning.timeout_seconds(estimate_s, options.timeout_s)
        wanted = resources(benchmarks[job.benchmark].placement, options.device, timeout_s)
        groups.setdefault(tuple(sorted(wanted.items())), []).append(job)
    task_options = dataclasses.replace(options, executor="slurm", slurm=None)
    run_path = run_path.resolve()  # the tasks start in the project folder, on another node
    task_ids = {}
    for wanted, group in groups.items():
        executor = submitit.SlurmExecutor(folder=str(run_path / "slurm" / "%j"), max_num_timeout=0)
        parameters = dict(wanted)
        if not parameters["gpus_per_node"]:
            del parameters["gpus_per_node"]
        extra = {"chdir": str(constants.PROJECT_ROOT), **dict(settings.options)}
        executor.update_parameters(
            **parameters, cpus_per_task=settings.cores, partition=settings.partition, account=settings.account,
            array_parallelism=settings.parallelism,
            job_name=f"suite-{run_path.name}", additional_parameters=extra, use_srun=False,
            setup=[f"export PYTHONPATH={constants.PROJECT_ROOT}${{PYTHONPATH:+:$PYTHONPATH}}"])
        try:
            with executor.batch():
                handles = [executor.submit(slurm_task.run_task, str(run_path), (job.benchmark, job.tier, job.seed),
                                           base(job), task_options, estimates[(job.benchmark, job.tier)],
                                           reporter_kind)
                           for job in group]
        except Exception as error:  # sbatch said no (a partition, an account, an option): the user's to fix
            from suite.errors import UsageError

            reason = " ".join(str(error).split())[:300]
            done = f"; {len(task_ids)} task(s) were submitted before" if task_ids else ""
            raise UsageError(f"sbatch refused the array: {reason}{done}; fix the option, then "
                             f"python -m suite run --resume {run_path.name}") from None
        new = {job: handle.job_id for job, handle in zip(group, handles)}
        _remember(run_path, new)  # at once: a later group failing must not make these look unsubmitted
        task_ids.update(new)
    return task_ids


def _remember(run_path: Path, task_ids: dict) -> None:
    path = run_path / "slurm" / "submitted.json"
    with files.locked(path):
        known = json.loads(path.read_text()) if path.exists() else {}
        for job, task in task_ids.items():
            known[layout.record_stem(job.benchmark, job.tier, job.seed)] = {"task": task, "at": run_files.utc_now()}
        files.atomic_write_bytes(path, json.dumps(known, indent=1).encode())


def _read_submitted(run_path: Path) -> dict:
    path = run_path / "slurm" / "submitted.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _collect(waiting: dict, run_path, options, base, reporter, index_of, estimates, summary) -> None:
    """Wait until every task has a record; write it from SLURM's account for a task that died without one."""
    gone_since: dict = {}
    while waiting:
        try:
            active = _active_tasks()
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            # A busy or restarting controller: nothing can be concluded about any task, so wait.
            reporter.report(events.Warned(f"{error}; asking again in {POLL_S:.0f} s"))
            time.sleep(POLL_S)
            continue
        for job, task in list(waiting.items()):
            if job_record.recorded(run_path, job):
                record = reading.read_record(layout.record_path(run_path, job.benchmark, job.tier, job.seed))
                reporter.report(events.JobFinished(index_of[job], len(index_of), job, record["status"],
                                                   float(record.get("duration_s") or 0),
                                                   estimates[(job.benchmark, job.tier)]))
                summary["completed"] += 1
                del waiting[job]
            elif task in active:
                gone_since.pop(job, None)
            elif time.monotonic() - gone_since.setdefault(job, time.monotonic()) > RECORD_GRACE_S:
                _record_dead_task(job, task, run_path, options, base(job))
                record = reading.read_record(layout.record_path(run_path, job.benchmark, job.tier, job.seed))
                reporter.report(events.JobFinished(index_of[job], len(index_of), job, record["status"], 0.0,
                                                   estimates[(job.benchmark, job.tier)]))
                summary["completed"] += 1
                del waiting[job]
        if waiting:
            time.sleep(POLL_S)


def _active_tasks() -> set[str]:
    """Task ids (``<array>_<index>``) of this user that SLURM still has queued or running."""
    listed = subprocess.run(["squeue", "--me", "-h", "-r", "-o", "%i %T"], capture_output=True, text=True, timeout=60)
    if listed.returncode != 0:
        raise RuntimeError(f"squeue failed: {listed.stderr.strip()}")
    return {line.split()[0] for line in listed.stdout.splitlines()
            if len(line.split()) == 2 and line.split()[1] in ACTIVE_STATES}


def task_end(task: str) -> tuple[str, str]:
    """SLURM's final state and reason of a task: ``scontrol`` while it remembers the job, else ``sacct``."""
    shown = subprocess.run(["scontrol", "-o", "show", "job", task], capture_output=True, text=True, timeout=60)
    if shown.returncode == 0 and "JobState=" in shown.stdout:
        fields = dict(part.split("=", 1) for part in shown.stdout.split() if "=" in part)
        return fields.get("JobState", "UNKNOWN"), fields.get("Reason", "None")
    accounted = subprocess.run(["sacct", "-n", "-P", "-X", "-o", "State,Reason", "-j", task],
                               capture_output=True, text=True, timeout=60)
    if accounted.returncode == 0 and accounted.stdout.strip():
        state, _, reason = accounted.stdout.strip().splitlines()[0].partition("|")
        return state.split()[0], reason or "None"
    return "UNKNOWN", "SLURM no longer knows the task (no accounting)"


def _record_dead_task(job, task: str, run_path: Path, options, base: dict) -> None:
    state, reason = task_end(task)
    status = "timeout" if state.startswith("TIMEOUT") or state.startswith("DEADLINE") else "error"
    record = {**base, "status": status, "duration_s": 0.0, "wall_s": 0.0, "finished_at": run_files.utc_now(),
              "environment": {}, "hostname": "", "executor": "slurm", "worker_id": f"slurm-{task}",
              "devices_seen": {}, "intra_op_threads": None, "slurm_state": state, "slurm_reason": reason,
              "error": (f"SLURM task {task} ended {state} (reason: {reason}) without writing its record; "
                        f"its log is in {run_path / 'slurm' / task.split('_')[0]}")}
    publish.write_record(run_path, record)
