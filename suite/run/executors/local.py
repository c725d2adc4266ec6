"""The local executor: worker processes on this machine, one job at a time each.

One worker is the sequential run the suite always had (it runs in the calling thread, so Ctrl-C
and a full disk behave as before). ``--workers N`` starts N workers, each with ``cores // N``
intra-op threads so that they share the CPU instead of fighting over it, and its own cores (JAX's
XLA sizes its thread pool from the cores a process may run on, so on JAX those are what limit it).
``--gpus 0,1`` starts one
worker per GPU, each with ``CUDA_VISIBLE_DEVICES`` set to its GPU alone, for the ``gpu`` and
``gpu-required`` jobs, and ``--workers`` CPU workers (GPUs hidden) for the ``cpu`` jobs.

Why a thread per worker in the parent: the threads only wait on pipes; the training happens in
the worker processes. Each job is claimed (``suite.run.claims.JobClaim``) before it runs, so these
workers, another ``--resume`` of the same run and shards sharing the folder never train a job twice.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from suite.records import publish
from suite.run import claims, events, job_record, planning, sharding, stamps, workers
from suite.run.planning import Job, RunOptions


@dataclass(frozen=True)
class WorkerSpec:
    """One worker: its name in records, the environment it starts with, and the jobs it takes."""

    worker_id: str
    env: dict = field(default_factory=dict)
    intra_op_threads: int | None = None  # None: the backend's default (every core)
    takes: tuple[str, ...] = ("cpu", "gpu")  # job kinds: "cpu" jobs, "gpu" jobs (gpu and gpu-required)
    cpu_cores: tuple[int, ...] | None = None  # None: every core; what a backend without a thread count pins (JAX)

    @property
    def setup(self) -> dict:
        return {"env": dict(self.env), "intra_op_threads": self.intra_op_threads,
                "cpu_cores": list(self.cpu_cores) if self.cpu_cores else None}


def cores_of(worker: int, share: int, core_ids: list[int]) -> tuple[int, ...]:
    """The ``share`` cores of CPU worker ``worker``: consecutive slices, wrapping when workers outnumber cores."""
    start = (worker * share) % len(core_ids)
    return tuple(core_ids[(start + offset) % len(core_ids)] for offset in range(min(share, len(core_ids))))


def worker_specs(workers: int, cores: int, gpu_ids: list[str] | None = None,
                 core_ids: list[int] | None = None) -> list[WorkerSpec]:
    """The workers of a local run.

    ``workers`` CPU workers share ``cores``; with one worker nothing is set, so a sequential run is
    exactly what it always was. With ``gpu_ids``, each GPU gets a worker that sees that GPU alone
    (``CUDA_VISIBLE_DEVICES=<id>``, two threads: it feeds the GPU, it does not compute) and takes
    the GPU jobs; the CPU workers see no GPU (``CUDA_VISIBLE_DEVICES=""``) and take the CPU jobs.
    With several CPU workers each also gets its own ``cores // workers`` of ``core_ids`` (the cores
    this process may use), which is what bounds XLA's threads on JAX.
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    if core_ids is None:
        core_ids = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(cores))
    share = max(1, cores // workers) if workers > 1 else None
    if not gpu_ids:
        return [WorkerSpec(f"cpu{i}", intra_op_threads=share,
                           cpu_cores=cores_of(i, share, core_ids) if share else None) for i in range(workers)]
    specs = [WorkerSpec(f"gpu{gpu}", env={"CUDA_VISIBLE_DEVICES": str(gpu)}, intra_op_threads=min(2, cores),
                        takes=("gpu",)) for gpu in gpu_ids]
    cpu_share = max(1, cores // workers)
    specs += [WorkerSpec(f"cpu{i}", env={"CUDA_VISIBLE_DEVICES": ""}, intra_op_threads=cpu_share, takes=("cpu",),
                         cpu_cores=cores_of(i, cpu_share, core_ids) if workers > 1 else None)
              for i in range(workers)]
    return specs


def prestart(request) -> None:
    """Start the one worker of a plain local run (one CPU worker, no GPU here) before the run is planned.

    Only where the run's worker is known from the request (``suite.run.request.RunRequest``) alone: a new
    run on the local executor with one worker, no GPU ids and no data parallelism, on a machine without
    a GPU device node, has exactly ``worker_specs(1, ...)``'s worker. A backend that is not installed
    starts nothing; the run's own check then says why.
    """
    from suite import backends, constants
    from suite.run import environment, gpu_presence

    backend = request.backend or constants.DEFAULT_BACKEND
    if (request.resume or request.executor not in (None, "local") or (request.workers or 1) != 1 or request.gpus
            or request.data_parallel or backends.problem(backend) or not gpu_presence.gpu_impossible()):
        return
    (spec,) = worker_specs(1, environment.cpu_count())
    workers.prestart(RunOptions(deterministic=request.deterministic is not False, backend=backend), spec.setup)


def job_kind(placement: str, device: str, specs: list[WorkerSpec]) -> str:
    """"gpu" when the job should go to a GPU worker, else "cpu".

    ``--device cpu`` makes every job a CPU job; without GPU workers there is nowhere else to go.
    """
    if device == "cpu" or placement == "cpu" or not any("gpu" in s.takes and "cpu" not in s.takes for s in specs):
        return "cpu"
    return "gpu"


def assign_order(jobs: list[Job], benchmarks: dict, options: RunOptions,
                 specs: list[WorkerSpec]) -> dict[str, list[Job]]:
    """Which worker may take which jobs (the queue is shared; this is what each worker may draw from)."""
    by_worker: dict[str, list[Job]] = {spec.worker_id: [] for spec in specs}
    for job in jobs:
        kind = job_kind(benchmarks[job.benchmark].placement, options.device, specs)
        for spec in specs:
            if kind in spec.takes:
                by_worker[spec.worker_id].append(job)
    return by_worker


class _SharedQueue:
    """The jobs not yet taken, in plan order; each worker takes the first one of a kind it runs."""

    def __init__(self, items: list[tuple[int, Job, str]]):
        self._items = list(items)
        self._deferred: list[tuple[int, Job, str, claims.JobClaim]] = []
        self._lock = threading.Lock()

    def take(self, spec: WorkerSpec):
        return self._first_for(self._items, spec)

    def defer(self, item) -> None:
        with self._lock:
            self._deferred.append(item)

    def take_deferred(self, spec: WorkerSpec):
        return self._first_for(self._deferred, spec)

    def _first_for(self, items: list, spec: WorkerSpec):
        """Remove and return the first item of a kind ``spec`` runs (None when there is none)."""
        with self._lock:
            for position, item in enumerate(items):
                if item[2] in spec.takes:
                    return items.pop(position)
        return None

    def release_deferred(self) -> None:
        with self._lock:
            for item in self._deferred:
                item[3].release()
            self._deferred.clear()


def execute(jobs, benchmarks, run_path, options, reporter) -> dict:
    from suite.run import environment

    gpu_ids = list(options.gpus) if options.gpus else None
    specs = worker_specs(options.workers, environment.cpu_count(), gpu_ids)
    kinds = {job: job_kind(benchmarks[job.benchmark].placement, options.device, specs) for job in jobs}
    items = [(index, job, kinds[job]) for index, job in enumerate(jobs, start=1)]
    if len(specs) > 1:
        # Longest first, on declared estimates: the order the time table (tools/time_to_verdict.py) and
        # --shard assume, and the one that keeps a long job from starting last while the others idle.
        order = {job: rank for rank, job in
                 enumerate(sharding.longest_first(jobs, sharding.declared_estimate(benchmarks)))}
        items.sort(key=lambda item: order[item[1]])
    queue = _SharedQueue(items)
    # Fixed at the start: records this run writes must not move the yardstick it is measured against.
    estimates = {(job.benchmark, job.tier): planning.estimate_seconds(benchmarks[job.benchmark], job.tier, options.backend)[0]
                 for job in jobs}
    stamped = stamps.stamps(benchmarks, {job.tier for job in jobs}, options.backend)
    summary = {"completed": 0, "resumed": 0, "recorded_elsewhere": 0}
    cancel = threading.Event()
    lock = threading.Lock()
    slots = [workers.WorkerSlot(options, spec.setup, spec.worker_id, cancel) for spec in specs
             if any(kinds[job] in spec.takes for job in jobs) or spec is specs[0]]
    used_specs = {spec.worker_id: spec for spec in specs}

    def base(job: Job) -> dict:
        return job_record.record_base(job, benchmarks[job.benchmark], run_path, options,
                                      stamped[(job.benchmark, job.tier)])

    def count(key: str) -> None:
        with lock:
            summary[key] += 1

    def drain(slot: workers.WorkerSlot) -> None:
        spec = used_specs[slot.worker_id]
        try:
            while not cancel.is_set():
                item = queue.take(spec)
                if item is None:
                    break
                index, job, _ = item
                if job_record.recorded(run_path, job):
                    count("resumed")
                    reporter.report(events.JobKept(index, len(jobs), job))
                    continue
                claim = claims.JobClaim(run_path, job.benchmark, job.tier, job.seed)
                if not claim.try_acquire():
                    reporter.report(events.JobDeferred(index, len(jobs), job))
                    queue.defer((*item, claim))
                    continue
                try:
                    job_record.run_claimed_job(index, len(jobs), job, base(job), run_path, options, slot, reporter,
                                               estimates[(job.benchmark, job.tier)])
                    count("completed")
                finally:
                    claim.release()
            while not cancel.is_set():
                item = queue.take_deferred(spec)
                if item is None:
                    break
                index, job, _, claim = item
                reporter.report(events.JobWaiting(index, len(jobs), job))
                claim.wait()
                try:
                    if job_record.recorded(run_path, job):
                        count("recorded_elsewhere")
                        reporter.report(events.JobKept(index, len(jobs), job, by_other_process=True))
                        continue
                    job_record.run_claimed_job(index, len(jobs), job, base(job), run_path, options, slot, reporter,
                                               estimates[(job.benchmark, job.tier)])
                    count("completed")
                finally:
                    claim.release()
        finally:
            slot.stop()

    try:
        if len(slots) == 1:
            drain(slots[0])
        else:
            _drain_in_threads(slots, drain, cancel)
    except OSError as error:  # a lock file or folder that cannot be made for want of space stops the run the same way
        if publish.is_storage_full(error) and not isinstance(error, publish.StorageFull):
            raise publish.StorageFull(run_path, error) from error
        raise
    finally:
        queue.release_deferred()
    summary["environment"] = next((slot.environment for slot in slots if slot.environment), {})
    summary["workers"] = [{"worker_id": slot.worker_id, **used_specs[slot.worker_id].setup} for slot in slots]
    return summary


def _drain_in_threads(slots, drain, cancel: threading.Event) -> None:
    """Each worker in its own thread; Ctrl-C (in this thread) or a thread's failure stops them all.

    A failure (a full disk) is re-raised here after every worker has stopped; jobs cut short by
    the stop get no record, so ``--resume`` runs them again.
    """
    failures: list[BaseException] = []

    def guarded(slot):
        try:
            drain(slot)
        except workers.Cancelled:
            pass
        except BaseException as error:  # handed to the main thread, which re-raises it
            failures.append(error)
            cancel.set()

    threads = [threading.Thread(target=guarded, args=(slot,), name=f"worker-{slot.worker_id}", daemon=True)
               for slot in slots]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        cancel.set()
        for thread in threads:
            thread.join(30)
        raise
    if failures:
        raise failures[0]
