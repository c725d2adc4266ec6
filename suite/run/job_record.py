"""One job's record: the fields known before it runs, the worker's result, where it ran; published once.

Why apart from the workers: whatever happens to a job (it raises, its worker dies, it times out),
exactly one record is published for it, with the same fields under every executor. The fields
known before the job runs (``record_base``) are built where the benchmark classes are loaded (the
driver), so that a process that only runs a worker (a SLURM task) needs neither the benchmark code
nor TensorFlow itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from suite.records import layout, publish, run_files
from suite.registry import Benchmark
from suite.run import events, planning, workers
from suite.run.events import Reporter
from suite.run.planning import Job, RunOptions
from suite.run.workers import WorkerSlot


def recorded(run_path: Path, job: Job) -> bool:
    return layout.record_path(run_path, job.benchmark, job.tier, job.seed).exists()


def run_claimed_job(index: int, total: int, job: Job, base: dict, run_path: Path, options: RunOptions,
                    pool: WorkerSlot, reporter: Reporter, estimate_s: float) -> None:
    """Train job ``index`` of the run's ``total`` in the worker and publish its record (exactly one, whatever happens).

    Raises ``Cancelled`` (and publishes nothing) when ``pool.cancel`` is set while the job runs:
    a job cut short by the run stopping has no result, and ``--resume`` runs it again.
    """
    reporter.report(events.JobStarted(index, total, job))
    timeout_s = planning.timeout_seconds(estimate_s, options.timeout_s)
    record, artefacts, wall_s = workers.train_in_worker(job, options, pool, reporter, timeout_s)
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
        reporter.report(events.RecordedTwice(job))
    reporter.report(events.JobFinished(index, total, job, full["status"], full["duration_s"], estimate_s))


#: What a worker reports besides its devices: each has a field of its own in the record.
NOT_DEVICES = frozenset({"hostname", "cuda_visible_devices", "tensorflow_gpus", "intra_op_threads"})


def where_it_ran(pool: WorkerSlot, options: RunOptions) -> dict:
    """Host, executor, worker and what that worker saw (devices, threads): the same fields under every executor."""
    import socket

    seen = pool.seen or {}
    return {
        "hostname": seen.get("hostname") or socket.gethostname(),
        "executor": options.executor,
        "worker_id": pool.worker_id,
        # Every device list the worker's backend reported (tensorflow_gpus, jax_devices, torch_devices, ...).
        "devices_seen": {"cuda_visible_devices": seen.get("cuda_visible_devices"),
                         "tensorflow_gpus": seen.get("tensorflow_gpus", []),
                         **{key: value for key, value in seen.items() if key not in NOT_DEVICES}},
        "intra_op_threads": seen.get("intra_op_threads"),
    }


def record_base(job: Job, benchmark: Benchmark, run_path: Path, options: RunOptions, stamp: dict) -> dict:
    """The fields of a job's record known before it runs (the benchmark, its settings and references)."""
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
        **stamp,
        "judged_against": judged_against,
    }
