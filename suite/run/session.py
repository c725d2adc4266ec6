"""A run from start to end: select benchmarks, check the options, make or reopen the run folder, execute it.

Why here and not in the command line: ``run``, ``calibrate`` and any second front end (a worker pool,
a cluster driver) start, resume and grow runs the same way; the command line only parses and prints.
Every check happens before anything is created or trained, and a bad option is a ``UsageError``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from suite import constants
from suite.errors import UsageError
from suite.text import short_duration


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


def check_run_arguments(args) -> int:
    """Validate tier, device, backend, seeds and timeout before anything is created; return the number of seeds."""
    tier = args.tier or constants.DEFAULT_TIER
    device = args.device or "auto"
    if tier not in constants.TIERS:
        raise UsageError(f"unknown tier {tier!r}; choose one of {', '.join(constants.TIERS)}")
    if device not in constants.DEVICES:
        raise UsageError(f"unknown device {device!r}; choose one of {', '.join(constants.DEVICES)}")
    check_backend(getattr(args, "backend", None))
    seeds = args.seeds if args.seeds is not None else (1 if tier == "smoke" else constants.DEFAULT_SEEDS)
    check_seeds(seeds)
    check_timeout(args.timeout)
    check_where(args)
    return seeds


def check_backend(backend: str | None) -> None:
    """``--backend``: a backend the suite has a training path for, and installed here."""
    from suite import backends

    problem = backends.problem(backend) if backend is not None else None
    if problem:
        raise UsageError(problem)


def check_where(args) -> None:
    """``--workers``, ``--gpus``, ``--shard`` and the executor's own needs, before anything is created."""
    from suite.run import sharding

    if not hasattr(args, "workers"):  # commands that run jobs without these options (calibrate)
        return
    if args.workers is not None and not 1 <= args.workers <= constants.MAX_WORKERS:
        raise UsageError(f"--workers must be between 1 and {constants.MAX_WORKERS}, got {args.workers}")
    if args.shard is not None:
        try:
            sharding.parse_shard(args.shard)
        except sharding.BadShard as error:
            raise UsageError(str(error)) from None
    if args.gpus is not None:
        parse_gpu_ids(args.gpus)
        if args.data_parallel:
            raise UsageError("--gpus gives each GPU its own worker; --data-parallel runs one worker over all "
                             "GPUs; choose one")
    if args.executor == "slurm":
        from suite.run.executors import slurm

        problem = slurm.unavailable()
        if problem:
            raise UsageError(problem)
        if args.workers is not None or args.gpus is not None:
            raise UsageError("--workers and --gpus are for the local executor; with --executor slurm each job is "
                             "a SLURM task (use --slurm-array-parallelism)")
    elif args.detach:
        raise UsageError("--detach is for --executor slurm (a local run ends when its jobs do)")


def parse_gpu_ids(text: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in text.split(","))
    if not ids or not all(part.isdigit() for part in ids):
        raise UsageError(f"--gpus takes GPU numbers separated by commas (for example 0,1), got {text!r}")
    if len(set(ids)) != len(ids):
        raise UsageError(f"--gpus names a GPU twice: {text}")
    return ids


def check_gpus_exist(ids: tuple[str, ...], backend: str = "tensorflow") -> tuple[str, ...]:
    """The CUDA device numbers of ``--gpus``; a number this machine does not have is a usage error.

    Numbers count the GPUs this process may use: under ``CUDA_VISIBLE_DEVICES=2,3``, ``--gpus 0``
    is physical GPU 2, and the worker is given ``CUDA_VISIBLE_DEVICES=2``.
    """
    import os

    from suite.run import placement

    count = placement.gpu_count(backend)
    missing = [gpu for gpu in ids if int(gpu) >= count]
    if missing:
        have = f"GPUs 0-{count - 1}" if count else f"no GPU {placement.BACKEND_LABELS.get(backend, backend)} can use"
        raise UsageError(f"--gpus {','.join(ids)}: this machine has {have}; GPU {', '.join(missing)} does not "
                         "exist (nvidia-smi lists them)")
    visible = [part.strip() for part in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if part.strip()]
    return tuple(visible[int(gpu)] if visible and int(gpu) < len(visible) else gpu for gpu in ids)


def local_gpus(args, backend: str | None = None) -> tuple[str, ...]:
    """The GPU workers of a local run: ``--gpus``, or every GPU when there are several (unless --data-parallel)."""
    if args.executor == "slurm" or args.data_parallel:
        return ()
    from suite.run import placement

    backend = backend or constants.DEFAULT_BACKEND
    if args.gpus is not None:
        return check_gpus_exist(parse_gpu_ids(args.gpus), backend)
    count = placement.gpu_count(backend)
    return check_gpus_exist(tuple(str(i) for i in range(count)), backend) if count > 1 else ()


def check_seeds(seeds: int | None) -> None:
    if seeds is None:
        return
    if seeds < 1:
        raise UsageError(f"--seeds must be at least 1, got {seeds}")
    if seeds > constants.MAX_SEEDS:
        raise UsageError(f"--seeds {seeds} is more than the suite allows ({constants.MAX_SEEDS}: each seed is a "
                         "training run); ask for fewer")


def check_timeout(timeout_s: float | None) -> None:
    if timeout_s is None:
        return
    if not math.isfinite(timeout_s) or timeout_s <= 0:
        raise UsageError(f"--timeout must be a positive, finite number of seconds, got {timeout_s}")
    if timeout_s > constants.MAX_TIMEOUT_S:
        raise UsageError(f"--timeout {timeout_s:g} s is longer than {constants.MAX_TIMEOUT_S // 86400:.0f} days; "
                         "leave it out to use 10x each job's estimate")


def check_reports_folder() -> None:
    """The reports folder must be a writable folder, checked before any training (never after an hour)."""
    from suite import files

    problem = files.unusable_folder(constants.reports_dir())
    if problem:
        raise UsageError(f"the reports folder {constants.reports_dir()} cannot be used: {problem}; "
                         "make it writable or point SUITE_REPORTS_DIR at a writable folder")


def check_baseline(tier: str, backend: str = constants.DEFAULT_BACKEND) -> None:
    """A quick-tier run is judged against its backend's baseline: a bad file is said now, not after training."""
    from suite.judge import baselines

    if tier in ("full", "smoke"):
        return
    try:
        baselines.load_baseline(tier, backend=backend)
    except baselines.BaselineError as error:
        raise UsageError(str(error)) from None


def check_calibration(benchmarks, tier: str) -> None:
    """A full-tier run judges two-sided claims by baselines/full.json: a missing entry is said before training."""
    from suite.judge import baselines

    if tier != "full":
        return
    for benchmark in benchmarks:
        try:
            baselines.references_for(benchmark, tier)
        except baselines.BaselineError as error:
            raise UsageError(str(error)) from None


def new_run(benchmarks, tier: str, seeds: int, device: str, deterministic: bool, extra: dict | None = None,
            backend: str = constants.DEFAULT_BACKEND):
    """Create the run folder and its manifest (what was asked), before any job starts."""
    from suite.records import layout, run_files

    run_path = layout.run_dir(layout.new_run_id(tier))
    try:
        run_path.mkdir(parents=True, exist_ok=False)
        layout.records_dir(run_path).mkdir()
        run_files.write_run_manifest(run_path, {
            "run_id": run_path.name, "tier": tier, "seeds": seeds, "device": device,
            "deterministic": deterministic, "backend": backend, "benchmarks": [b.name for b in benchmarks],
            "started_at": run_files.utc_now(), "command": " ".join(["python -m suite", *sys.argv[1:]]),
            **(extra or {}),
        })
    except OSError as error:  # nothing has run yet: leave no half-made run folder behind
        import shutil

        shutil.rmtree(run_path, ignore_errors=True)
        raise UsageError(f"cannot create the run folder {run_path}: {error.strerror or error}; free some space "
                         "or point SUITE_REPORTS_DIR at another folder") from None
    return run_path


def execute_run(run_path, benchmarks, tier: str, seeds: int, device: str, deterministic: bool,
                timeout_s: float | None, where: dict | None = None,
                backend: str = constants.DEFAULT_BACKEND) -> bool:
    """Run every job of the run folder that has no record yet; return True when interrupted by Ctrl-C.

    ``where`` holds the executor's options (``planning.RunOptions`` fields: executor, workers, gpus,
    slurm) and ``shard`` ``(i, n)`` when only part of the jobs is this process's.
    """
    from suite import backends
    from suite.records import layout, publish, run_files
    from suite.run import environment, executors, planning, sharding
    from suite.run.progress import Progress

    where = dict(where or {})
    shard = where.pop("shard", None)
    jobs = planning.plan(benchmarks, tier, seeds)
    if shard:
        by_name = {b.name: b for b in benchmarks}
        jobs = sharding.shard(jobs, sharding.declared_estimate(by_name), *shard)
    will_skip = planning.skipped_for_want_of_a_gpu(benchmarks, device, backend)
    if will_skip:
        print(f"{len(will_skip)} benchmark(s) need a GPU and will be skipped ({', '.join(will_skip)}); "
              f"--device cpu runs them on the CPU.", file=sys.stderr)
    estimates = {b.name: planning.estimate_seconds(b, tier, backend) if b.name not in will_skip else (0.0, "declared")
                 for b in benchmarks}
    # Only the jobs still to run cost time: on a resumed run the recorded ones are kept, not retrained.
    pending = [job for job in jobs if not layout.record_path(run_path, job.benchmark, job.tier, job.seed).exists()]
    workers = len(where.get("gpus") or ()) + where.get("workers", 1)
    if where.get("executor") == "slurm":
        workers = (where.get("slurm") or {}).get("array_parallelism") or 1
    # With several workers the wall time is the busiest worker's share (LPT, as the pool hands jobs out).
    parallel = max(1, min(workers, len(pending) or 1))
    split = sharding.assign(pending, lambda job: estimates[job.benchmark][0], parallel)
    total_s = max(sharding.loads(split, lambda job: estimates[job.benchmark][0]) or [0.0])
    if pending:
        total_s += planning.WORKER_START_ESTIMATE_S
    measured = sum(1 for _, how in estimates.values() if how == "measured")
    recorded = len(jobs) - len(pending)
    already = f" ({recorded} already recorded, {len(pending)} to run)" if recorded else ""
    part = f" (shard {shard[0]}/{shard[1]})" if shard else ""
    more = [f"{b.name} {planning.seeds_for(b, tier, seeds)}" for b in benchmarks
            if planning.seeds_for(b, tier, seeds) > seeds]
    if more:  # the quick tier's cheap benchmarks run the seeds the gate needs (Benchmark.gate_seeds)
        part += f" (more seeds where the gate needs them: {', '.join(more)})"
    print(f"Run {run_path.name}: {len(benchmarks)} benchmarks x {seeds} seed(s) = {len(jobs)} jobs{part}{already}, "
          f"tier {tier}, backend {backends.describe(backend)}, device {device}, "
          f"deterministic {'on' if deterministic else 'off'}"
          f"{_describe_where(where)}.", file=sys.stderr)
    print(f"Estimated time on this machine: {short_duration(total_s)} "
          f"({measured} of {len(benchmarks)} estimates from earlier runs here, the rest declared). "
          f"Records: {run_path}", file=sys.stderr)
    run_files.write_packages(run_path, environment.installed_packages)
    options = planning.RunOptions(device=device, deterministic=deterministic, timeout_s=timeout_s, backend=backend,
                                  **where)
    progress = Progress(len(jobs), total_s, parallel=parallel)
    started = time.monotonic()
    interrupted = False
    try:
        summary = executors.execute(jobs, {b.name: b for b in benchmarks}, run_path, options, progress)
    except KeyboardInterrupt:
        interrupted = True
        summary = {}
    except publish.StorageFull:
        try:  # say in the run folder why it stopped, if even that fits
            run_files.write_run_manifest(run_path, {"finished_at": run_files.utc_now(), "stopped": "disk full",
                                                    "wall_s": time.monotonic() - started},
                                         name=layout.FINISHED_FILE)
        except OSError:
            pass
        raise
    if summary.get("detached"):
        return interrupted
    run_files.write_run_manifest(run_path, {
        "finished_at": run_files.utc_now(), "wall_s": time.monotonic() - started,
        "interrupted": interrupted, "environment": summary.get("environment", {}),
        "workers": summary.get("workers", []),
    }, name=layout.FINISHED_FILE)
    if interrupted:
        print(f"\nInterrupted; finished records are kept. Continue with: python -m suite run --resume {run_path.name}",
              file=sys.stderr)
    return interrupted


def _describe_where(where: dict) -> str:
    if where.get("executor") == "slurm":
        return ", executor slurm"
    gpus = where.get("gpus") or ()
    workers = where.get("workers", 1)
    if gpus:
        return f", {len(gpus)} GPU worker(s) ({','.join(gpus)}) and {workers} CPU worker(s)"
    return f", {workers} workers" if workers > 1 else ""


def where_from(args, manifest: dict | None = None, backend: str | None = None) -> dict:
    """The executor options of this invocation (a resumed run keeps its executor unless told otherwise)."""
    from suite.run import sharding

    manifest = manifest or {}
    executor = args.executor or manifest.get("executor") or "local"
    where = {"executor": executor}
    if executor == "local":
        # --data-parallel needs nothing here: it leaves ``gpus`` empty, so the one worker sees every GPU.
        where.update(workers=args.workers or 1, gpus=local_gpus(args, backend))
    else:
        from suite.run.executors import slurm

        try:
            where["slurm"] = slurm.settings_from(args, manifest.get("slurm"))
        except ValueError as error:
            raise UsageError(str(error)) from None
    if args.shard:
        where["shard"] = sharding.parse_shard(args.shard)
    return where


def open_run(name: str):
    """An earlier run folder by id (or prefix): its path, its manifest and the benchmarks it selected."""
    from suite.records import layout, run_files

    try:
        run_path = layout.find_run(name)
    except layout.RunNotFound as error:
        raise UsageError(str(error)) from None
    manifest = run_files.read_run_manifest(run_path)
    return run_path, manifest, select(manifest.get("benchmarks") or ["all"], [])


def more_seeds(run_path, manifest: dict, asked: int | None) -> int:
    """The seed count of a resumed run; ``--seeds N`` above the run's own count adds seeds 1..N to it.

    Why: a long full-tier benchmark is often measured one seed per sitting. Growing the run keeps
    every seed in one folder, so the report and the verdict judge them together, and no finished
    seed is trained again.
    """
    from suite.records import run_files

    recorded = int(manifest.get("seeds", constants.DEFAULT_SEEDS))
    if asked is None or asked == recorded:
        return recorded
    if asked < recorded:
        raise UsageError(f"run {run_path.name} already asks for {recorded} seeds; --seeds with --resume can only "
                         f"add seeds (give a number above {recorded}, or leave --seeds out)")
    def grow(run_manifest: dict) -> None:
        run_manifest["seeds"] = max(asked, int(run_manifest.get("seeds", recorded)))
        run_manifest.setdefault("seeds_grown", []).append({"from": recorded, "to": asked, "at": run_files.utc_now()})

    run_files.update_run_manifest(run_path, grow)
    return asked


def refuse_conflicting_resume_options(args, run_path, manifest: dict) -> None:
    """``--resume`` continues a run as it was started: an option that contradicts it is refused, not ignored."""
    own_backend = manifest.get("backend", constants.DEFAULT_BACKEND)
    if getattr(args, "backend", None) not in (None, own_backend):
        raise UsageError(f"--backend {args.backend} cannot resume run {run_path.name}, which runs on {own_backend}: "
                         f"a run never mixes backends; resume it without --backend, or start a new run for "
                         f"{args.backend}")
    own = {"tier": manifest.get("tier"), "device": manifest.get("device", "auto"),
           "deterministic": manifest.get("deterministic", True)}
    given = {"tier": args.tier, "device": args.device, "deterministic": args.deterministic}
    conflicts = [f"--{key} {value}" if key != "deterministic" else "--no-deterministic"
                 for key, value in given.items() if value is not None and value != own[key]]
    names = [name for name in args.names if name != "all"]
    if names and sorted(set(names)) != sorted(manifest.get("benchmarks") or []):
        conflicts.append(" ".join(names))
    if args.tag:
        conflicts.append(" ".join(f"--tag {tag}" for tag in args.tag))
    if conflicts:
        settings = (f"tier {own['tier']}, device {own['device']}, deterministic "
                    f"{'on' if own['deterministic'] else 'off'}, {len(manifest.get('benchmarks') or [])} benchmarks")
        raise UsageError(f"{' '.join(conflicts)} cannot change run {run_path.name}, which has its own settings "
                         f"({settings}); --resume takes only --seeds, --timeout and --no-report (start a new run "
                         "for other settings)")


def set_aside_damaged_records(run_path) -> None:
    """Before resuming: damaged records are moved aside (never deleted) and their jobs run again."""
    from suite.records import reading

    for problem, target in reading.set_aside_damaged(run_path):
        print(f"warning: record {problem.path.name} is damaged ({problem.reason}); moved to "
              f"{target.relative_to(run_path)} and its job will run again", file=sys.stderr)


@dataclass(frozen=True)
class PreparedRun:
    """A run folder ready to execute: what ``prepare`` made or reopened, with the settings it runs with."""

    path: Path
    benchmarks: list
    tier: str
    seeds: int
    device: str
    deterministic: bool
    where: dict
    backend: str = constants.DEFAULT_BACKEND


def prepare(args) -> PreparedRun:
    """Check ``run``'s options, then make the run folder (or reopen it with ``--resume``); nothing trains yet.

    Every check comes first, so a bad option or a damaged baseline is a ``UsageError`` before any
    folder exists. A resumed run keeps its own tier, device and determinism, may grow its seeds, and
    sets its damaged records aside so their jobs run again.
    """
    seeds = check_run_arguments(args)
    if args.resume:
        run_path, manifest, benchmarks = open_run(args.resume)
        refuse_conflicting_resume_options(args, run_path, manifest)
        tier = manifest.get("tier", constants.DEFAULT_TIER)
        backend = manifest.get("backend", constants.DEFAULT_BACKEND)
        check_backend(backend)
        check_reports_folder()
        check_baseline(tier, backend)
        check_calibration(benchmarks, tier)
        seeds = more_seeds(run_path, manifest, args.seeds)
        deterministic = manifest.get("deterministic", True)
        device = manifest.get("device", "auto")
        set_aside_damaged_records(run_path)
        if args.executor == "slurm" or (args.executor is None and manifest.get("executor") == "slurm"):
            check_where(argparse.Namespace(**{**vars(args), "executor": "slurm"}))
        where = where_from(args, manifest, backend)
    else:
        tier = args.tier or constants.DEFAULT_TIER
        deterministic = True if args.deterministic is None else args.deterministic
        device = args.device or "auto"
        backend = getattr(args, "backend", None) or constants.DEFAULT_BACKEND
        check_reports_folder()
        check_baseline(tier, backend)
        benchmarks = select(args.names, args.tag, getattr(args, "skip_tag", []))
        check_calibration(benchmarks, tier)
        where = where_from(args, backend=backend)
        extra = {"executor": where["executor"]}
        if "shard" in where:
            extra["shard"] = "/".join(map(str, where["shard"]))
        if "slurm" in where:
            extra["slurm"] = where["slurm"]
        run_path = new_run(benchmarks, tier, seeds, device, deterministic, extra, backend)
    return PreparedRun(run_path, benchmarks, tier, seeds, device, deterministic, where, backend)
