"""A run from request to records: select the benchmarks, make or reopen the run folder, plan and execute its jobs.

Why here and not in the command line: ``run``, ``calibrate`` and any other front end start, resume
and grow runs the same way; a front end makes a ``RunRequest`` (``suite.run.request``, whose values
are checked when it is made) and hears what happens through a reporter (``suite.run.events``).
This module never prints. What needs the catalogue, the machine or the earlier run (a benchmark's
name, a GPU's number, a writable reports folder, a readable baseline) is checked here, all of it
before anything is created or trained, and a bad option is a ``UsageError``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from suite import constants
from suite.errors import UsageError
from suite.run import events, planning
from suite.run.events import Reporter
from suite.run.executors.slurm_settings import SlurmSettings
from suite.run.planning import RunOptions
from suite.run.request import RunRequest

#: How a run's execution ended (``RunOutcome.ended``).
FINISHED, INTERRUPTED, DETACHED, STORAGE_FULL = "finished", "interrupted", "detached", "storage full"


def select(names: list[str], tags: list[str], skip_tags: list[str] = ()):
    """Benchmarks named (or 'all'), carrying every tag asked for and none of ``skip_tags``; unknown names and
    tags are a usage error."""
    from suite import catalogue, sources
    from suite.judge import baselines

    try:
        known = catalogue.benchmarks()  # read without Keras: the worker imports the code
    except baselines.BaselineError as error:  # a damaged baselines/full.json: no full-tier bound can be derived
        raise UsageError(str(error)) from None
    if not names and not tags:
        raise UsageError("name benchmarks to run, or 'all', or --tag TAG (see `python -m suite list`)")
    if not names or "all" in names:
        # Catalogue order (as `list` and the report show them): the cheap toys finish first.
        chosen = sorted(known, key=lambda name: (sources.order(known[name].source.document),
                                                 known[name].source.experiment, name))
    else:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise UsageError(f"unknown benchmark(s) {', '.join(unknown)}; `python -m suite list` shows the known ones")
        chosen = list(dict.fromkeys(names))
    all_tags = {tag for cls in known.values() for tag in cls.tags}
    missing = [tag for tag in [*tags, *skip_tags] if tag not in all_tags]
    if missing:
        raise UsageError(f"unknown tag(s) {', '.join(missing)}; known tags: {', '.join(sorted(all_tags))}")
    chosen = [name for name in chosen if all(tag in known[name].tags for tag in tags)
              and not any(tag in known[name].tags for tag in skip_tags)]
    if not chosen:
        raise UsageError("no benchmark is left to run: the names and tags asked for select none "
                         "(`python -m suite list` shows each one's tags)")
    return [known[name] for name in chosen]


@dataclass(frozen=True)
class PreparedRun:
    """A run folder ready to execute: what ``prepare`` made or reopened, with the settings it runs with."""

    path: Path
    benchmarks: list
    tier: str
    seeds: int
    options: RunOptions  # device, determinism, backend, timeout, executor and its settings
    shard: tuple[int, int] | None = None


@dataclass(frozen=True)
class RunOutcome:
    """What ``start`` leaves the front end: the run as prepared and how its execution ended."""

    run: PreparedRun
    ended: str = FINISHED

    @property
    def path(self) -> Path:
        return self.run.path


def start(request: RunRequest, reporter: Reporter) -> RunOutcome:
    """Prepare the run the request asks for, then execute every job of it that has no record yet."""
    run = prepare(request, reporter)
    return execute(run, reporter)


def prepare(request: RunRequest, reporter: Reporter) -> PreparedRun:
    """Make the run folder (or reopen it with ``resume``); nothing trains yet.

    Every check comes first, so a bad option or a damaged baseline is a ``UsageError`` before any
    folder exists or changes. A resumed run keeps its own tier, device, determinism, backend and
    executor, may grow its seeds, and sets its damaged records aside so their jobs run again.
    """
    if request.resume:
        return _reopen(request, reporter)
    tier, backend = request.new_run_tier, request.backend or constants.DEFAULT_BACKEND
    check_reports_folder()
    benchmarks = select(list(request.names), list(request.tags), list(request.skip_tags))
    if not request.calibrating:
        check_judgeable(benchmarks, tier, backend)
    options = run_options(request, request.executor or "local", backend, device=request.device or "auto",
                          deterministic=True if request.deterministic is None else request.deterministic)
    seeds = request.new_run_seeds
    run_path = new_run(benchmarks, tier, seeds, options, request.shard, request.command)
    return PreparedRun(run_path, benchmarks, tier, seeds, options, request.shard)


def _reopen(request: RunRequest, reporter: Reporter) -> PreparedRun:
    from suite.records import reading, run_files

    run_path, manifest, benchmarks = open_run(request.resume)
    request.check_resumes(run_path.name, manifest)
    tier = manifest.get("tier", constants.DEFAULT_TIER)
    backend = manifest.get("backend", constants.DEFAULT_BACKEND)
    check_reports_folder()
    if not request.calibrating:
        check_judgeable(benchmarks, tier, backend)
    options = run_options(request, request.executor or manifest.get("executor") or "local", backend,
                          device=manifest.get("device", "auto"), deterministic=manifest.get("deterministic", True),
                          stored_slurm=manifest.get("slurm"))
    # ``seeds`` above the run's own count adds seeds to it (``check_resumes`` refused fewer). Why: a long
    # full-tier benchmark is often measured one seed per sitting; growing the run keeps every seed in one
    # folder, so the report and the verdict judge them together, and no finished seed is trained again.
    recorded = int(manifest.get("seeds", constants.DEFAULT_SEEDS))
    seeds = max(request.seeds or recorded, recorded)
    if seeds > recorded:
        def grow(run_manifest: dict) -> None:
            run_manifest["seeds"] = max(seeds, int(run_manifest.get("seeds", recorded)))
            run_manifest.setdefault("seeds_grown", []).append({"from": recorded, "to": seeds,
                                                               "at": run_files.utc_now()})

        run_files.update_run_manifest(run_path, grow)
    # Damaged records are moved aside (never deleted), so that their jobs run again.
    for problem, target in reading.set_aside_damaged(run_path):
        reporter.report(events.DamagedRecordSetAside(problem.path.name, problem.reason,
                                                     str(target.relative_to(run_path))))
    return PreparedRun(run_path, benchmarks, tier, seeds, options, request.shard)


def run_options(request: RunRequest, executor: str, backend: str, *, device: str, deterministic: bool,
                stored_slurm: dict | None = None) -> RunOptions:
    """How the run's jobs train and where; a resumed SLURM run keeps the settings it was started with unless told."""
    if executor == "local":
        # --data-parallel needs nothing here: it leaves ``gpus`` empty, so the one worker sees every GPU.
        return RunOptions(device=device, deterministic=deterministic, timeout_s=request.timeout_s, executor=executor,
                          workers=request.workers or 1, gpus=local_gpus(request, backend), backend=backend)
    slurm = request.slurm.over(SlurmSettings.from_manifest(stored_slurm))
    return RunOptions(device=device, deterministic=deterministic, timeout_s=request.timeout_s, executor=executor,
                      slurm=slurm, backend=backend)


def local_gpus(request: RunRequest, backend: str) -> tuple[str, ...]:
    """The GPU workers of a local run: ``--gpus``, or every GPU when there are several (unless --data-parallel)."""
    if request.data_parallel:
        return ()
    from suite.run import placement

    if request.gpus is not None:
        return check_gpus_exist(request.gpus, backend)
    count = placement.gpu_count(backend)
    return check_gpus_exist(tuple(str(i) for i in range(count)), backend) if count > 1 else ()


def check_gpus_exist(ids: tuple[str, ...], backend: str = constants.DEFAULT_BACKEND) -> tuple[str, ...]:
    """The CUDA device numbers of ``--gpus``; a number this machine does not have is a usage error.

    Numbers count the GPUs this process may use: under ``CUDA_VISIBLE_DEVICES=2,3``, ``--gpus 0``
    is physical GPU 2, and the worker is given ``CUDA_VISIBLE_DEVICES=2``.
    """
    import os

    from suite import backends
    from suite.run import placement

    count = placement.gpu_count(backend)
    missing = [gpu for gpu in ids if int(gpu) >= count]
    if missing:
        have = f"GPUs 0-{count - 1}" if count else f"no GPU {backends.get(backend).label} can use"
        raise UsageError(f"--gpus {','.join(ids)}: this machine has {have}; GPU {', '.join(missing)} does not "
                         "exist (nvidia-smi lists them)")
    visible = [part.strip() for part in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if part.strip()]
    return tuple(visible[int(gpu)] if visible and int(gpu) < len(visible) else gpu for gpu in ids)


def check_reports_folder() -> None:
    """The reports folder must be a writable folder, checked before any training (never after an hour)."""
    from suite import files

    problem = files.unusable_folder(constants.reports_dir())
    if problem:
        raise UsageError(f"the reports folder {constants.reports_dir()} cannot be used: {problem}; "
                         "make it writable or point SUITE_REPORTS_DIR at a writable folder")


def check_judgeable(benchmarks, tier: str, backend: str = constants.DEFAULT_BACKEND) -> None:
    """What judges the run must be readable before training: the quick tier's baseline of its backend, the
    full tier's calibration in baselines/full.json (for two-sided claims); a bad or missing one is said now."""
    from suite.judge import baselines

    try:
        if tier == "full":
            for benchmark in benchmarks:
                baselines.references_for(benchmark, tier)
        elif tier != "smoke":
            baselines.load_baseline(tier, backend=backend)
    except baselines.BaselineError as error:
        raise UsageError(str(error)) from None


def new_run(benchmarks, tier: str, seeds: int, options: RunOptions, shard: tuple[int, int] | None = None,
            command: str = "") -> Path:
    """Create the run folder and its manifest (what was asked), before any job starts; returns its path."""
    from suite.records import layout, run_files

    run_path = layout.run_dir(layout.new_run_id(tier))
    manifest = {"run_id": run_path.name, "tier": tier, "seeds": seeds, "device": options.device,
                "deterministic": options.deterministic, "backend": options.backend,
                "benchmarks": [b.name for b in benchmarks], "started_at": run_files.utc_now(), "command": command,
                "executor": options.executor}
    if shard:
        manifest["shard"] = "/".join(map(str, shard))
    if options.slurm:
        manifest["slurm"] = options.slurm.to_manifest()
    try:
        run_path.mkdir(parents=True, exist_ok=False)
        layout.records_dir(run_path).mkdir()
        run_files.write_run_manifest(run_path, manifest)
    except OSError as error:  # nothing has run yet: leave no half-made run folder behind
        import shutil

        shutil.rmtree(run_path, ignore_errors=True)
        raise UsageError(f"cannot create the run folder {run_path}: {error.strerror or error}; free some space "
                         "or point SUITE_REPORTS_DIR at another folder") from None
    return run_path


def execute(run: PreparedRun, reporter: Reporter) -> RunOutcome:
    """Run every job of the run folder that has no record yet, telling ``reporter`` the plan, the estimate and each job.

    Ctrl-C ends it as ``INTERRUPTED`` and a full disk as ``STORAGE_FULL``, each with every finished
    record kept and the run resumable.
    """
    from suite import backends
    from suite.records import layout, publish, run_files
    from suite.run import environment, executors, sharding

    options, by_name = run.options, {b.name: b for b in run.benchmarks}
    jobs = planning.plan(run.benchmarks, run.tier, run.seeds)
    if run.shard:
        jobs = sharding.shard(jobs, sharding.declared_estimate(by_name), *run.shard)
    skipped = planning.skipped_for_want_of_a_gpu(run.benchmarks, options.device, options.backend)
    estimates = {b.name: planning.estimate_seconds(b, run.tier, options.backend) if b.name not in skipped
                 else (0.0, "declared") for b in run.benchmarks}
    # Only the jobs still to run cost time: on a resumed run the recorded ones are kept, not retrained.
    pending = [job for job in jobs if not layout.record_path(run.path, job.benchmark, job.tier, job.seed).exists()]
    # With several workers the wall time is the busiest worker's share (LPT, as the pool hands jobs out).
    parallel = max(1, min(options.at_once, len(pending) or 1))
    split = sharding.assign(pending, lambda job: estimates[job.benchmark][0], parallel)
    wall_s = max(sharding.loads(split, lambda job: estimates[job.benchmark][0]) or [0.0])
    if pending:
        wall_s += planning.WORKER_START_ESTIMATE_S
    # The quick tier's cheap benchmarks run the seeds the gate needs (Benchmark.gate_seeds).
    more = tuple((b.name, planning.seeds_for(b, run.tier, run.seeds)) for b in run.benchmarks
                 if planning.seeds_for(b, run.tier, run.seeds) > run.seeds)
    reporter.report(events.Planned(
        run.path.name, len(run.benchmarks), run.seeds, len(jobs), len(jobs) - len(pending), run.tier,
        backends.describe(options.backend), options.device, options.deterministic, options.executor, options.workers,
        options.gpus, run.shard, more, tuple(skipped)))
    reporter.report(events.Estimated(wall_s, sum(1 for _, how in estimates.values() if how == "measured"),
                                     len(run.benchmarks), run.path, parallel))
    run_files.write_packages(run.path, environment.installed_packages)
    started = time.monotonic()
    ended, summary, full_disk = FINISHED, {}, None
    try:
        summary = executors.execute(jobs, by_name, run.path, options, reporter)
    except KeyboardInterrupt:
        ended = INTERRUPTED
    except publish.StorageFull as full:
        ended, full_disk = STORAGE_FULL, full
    if summary.get("detached"):
        return RunOutcome(run, DETACHED)
    finished = {"finished_at": run_files.utc_now(), "wall_s": time.monotonic() - started}
    if full_disk:
        finished["stopped"] = "disk full"
    else:
        finished.update(interrupted=ended == INTERRUPTED, environment=summary.get("environment", {}),
                        workers=summary.get("workers", []))
    try:
        run_files.write_run_manifest(run.path, finished, name=layout.FINISHED_FILE)
    except OSError:
        if not full_disk:  # on a full disk the run folder says why it stopped only if even that fits
            raise
    if full_disk:
        reporter.report(events.StorageFilled(run.path.name, full_disk.strerror))
    elif ended == INTERRUPTED:
        reporter.report(events.Interrupted(run.path.name))
    return RunOutcome(run, ended)


def open_run(name: str):
    """An earlier run folder by id (or prefix): its path, its manifest and the benchmarks it selected."""
    from suite.records import layout, run_files

    try:
        run_path = layout.find_run(name)
    except layout.RunNotFound as error:
        raise UsageError(str(error)) from None
    manifest = run_files.read_run_manifest(run_path)
    return run_path, manifest, select(manifest.get("benchmarks") or ["all"], [])
