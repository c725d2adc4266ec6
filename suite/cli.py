"""Command line: ``python -m suite list | run | report | compare | export | calibrate | data``.

Exit codes of ``run``: 0 when every judged benchmark reproduces, 1 when any does
not (or errors, or times out), 2 on a usage error, 3 when the disk filled (the run
can be resumed), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from suite import constants

EXIT_OK, EXIT_NOT_REPRODUCED, EXIT_USAGE, EXIT_STORAGE_FULL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(ValueError):
    """Bad input from the user: printed as one clear line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m suite", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="benchmarks with experiment id, source, placement and cost")
    listing.add_argument("--tag", action="append", default=[], help="only benchmarks with this tag")
    listing.add_argument("--versions", action="store_true",
                         help="add each benchmark's code version (the hash a baseline is checked against)")
    listing.set_defaults(func=command_list)

    run = commands.add_parser("run", help="run benchmarks and write records and an HTML report")
    run.add_argument("names", nargs="*", help="benchmark names, or 'all'")
    run.add_argument("--tag", action="append", default=[], help="select benchmarks by tag (repeatable)")
    # Defaults of --tier, --device and --no-deterministic are applied after parsing, so that a resumed
    # run can tell an option the user gave (and refuse it if it contradicts the run) from a default.
    run.add_argument("--tier", default=None,
                     help=f"full (documented settings), quick, smoke (default {constants.DEFAULT_TIER})")
    run.add_argument("--seeds", type=int, default=None,
                     help=f"seeds per benchmark (default {constants.DEFAULT_SEEDS}; 1 for the smoke tier)")
    run.add_argument("--device", default=None, help="auto (each benchmark's placement; the default), cpu, gpu")
    run.add_argument("--resume", metavar="RUN",
                     help="continue RUN, skipping jobs whose records exist; with --seeds N, add seeds up to N")
    run.add_argument("--timeout", type=float, default=None, help="seconds per job (default: 10x its estimate)")
    run.add_argument("--no-deterministic", dest="deterministic", action="store_false", default=None,
                     help="do not enable TensorFlow op determinism")
    run.add_argument("--no-report", dest="report", action="store_false", help="skip the HTML report")
    run.add_argument("--yes", action="store_true", help="accepted for scripts; the run never asks questions")
    where = run.add_argument_group("where the jobs run")
    where.add_argument("--workers", type=int, default=None,
                       help="local worker processes at once, each with its share of the CPU cores (default 1)")
    where.add_argument("--gpus", default=None, metavar="0,1,...",
                       help="one worker per GPU (CUDA_VISIBLE_DEVICES=<i>) for gpu jobs; cpu jobs go to the "
                            "--workers CPU workers (the default on a machine with several GPUs)")
    where.add_argument("--data-parallel", action="store_true",
                       help="one worker over every GPU under MirroredStrategy instead of one worker per GPU")
    where.add_argument("--shard", default=None, metavar="i/n",
                       help="run only part i of n of the jobs (split on declared estimates, the same on every "
                            "machine); combine the parts with `suite merge`")
    where.add_argument("--executor", default=None, choices=executors_known(),
                       help="local (worker processes here; the default) or slurm (a SLURM job array, submitit)")
    slurm = run.add_argument_group("--executor slurm")
    slurm.add_argument("--slurm-partition", default=None)
    slurm.add_argument("--slurm-account", default=None)
    slurm.add_argument("--slurm-array-parallelism", type=int, default=None,
                       help="tasks of the array running at once (default 16)")
    slurm.add_argument("--slurm-cpus-per-task", type=int, default=None,
                       help="CPU cores per task, and the intra-op threads of its worker (default 1)")
    slurm.add_argument("--slurm-option", action="append", default=[], metavar="KEY=VALUE",
                       help="an extra sbatch option (repeatable), e.g. qos=short or mem=8G")
    slurm.add_argument("--slurm-config", default=None, metavar="FILE",
                       help="a JSON file of the same settings (partition, account, array_parallelism, cpus_per_task, "
                            "options: {sbatch option: value})")
    slurm.add_argument("--detach", action="store_true",
                       help="submit and return; `suite run --resume RUN` later collects what finished")
    run.set_defaults(func=command_run)

    report = commands.add_parser("report", help="re-render the HTML report of a run from its records")
    report.add_argument("run", nargs="?", default="latest")
    report.add_argument("--compare-with", metavar="RUN_B", help="add the deltas and flags against another run")
    report.add_argument("--rejudge", action="store_true",
                        help="judge the run against today's references (not the ones it stored) and list the "
                             "verdicts that moved")
    report.set_defaults(func=command_report)

    # Commands that live in their own modules; each module has ``add_parser(commands)``
    # and sets ``func`` on its sub-parsers.
    import importlib

    for module_name in PLUGIN_COMMANDS:
        importlib.import_module(module_name).add_parser(commands)
    return parser


def executors_known() -> tuple[str, ...]:
    from suite.executors import EXECUTORS

    return EXECUTORS


#: Modules adding sub-commands: ``data fetch|verify``, ``compare``, ``calibrate``, ``export``, ``merge``.
PLUGIN_COMMANDS = [
    name
    for name in ("suite.data_cli", "suite.compare", "suite.calibrate", "suite.export", "suite.merge")
    if __import__("importlib.util").util.find_spec(name) is not None
]


def _stop_on_sigterm(signum, frame):
    # `kill` and CI time-outs send SIGTERM: stop like Ctrl-C, so the worker is stopped and records are kept.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# -- list -------------------------------------------------------------------------------------
def command_list(args) -> int:
    from suite import runner

    benchmarks = select(["all"], args.tag)
    width = max([len("benchmark")] + [len(b.name) for b in benchmarks])
    header = f"{'benchmark':{width}} {'exp.':6} {'placement':12} {'tags':30} {'full':>7} {'quick':>6}  source"
    print(header)
    print("-" * len(header))
    for benchmark in benchmarks:
        full, _ = runner.estimate_seconds(benchmark, "full")
        quick, _ = runner.estimate_seconds(benchmark, "quick")
        print(f"{benchmark.name:{width}} {benchmark.source.experiment:6} {benchmark.placement:12} "
              f"{','.join(benchmark.tags):30} {_duration(full):>7} {_duration(quick):>6}  "
              f"{benchmark.source.document} {benchmark.source.cells}"
              + (f"  {benchmark.code_version()}" if args.versions else ""))
    print(f"\n{len(benchmarks)} benchmarks; times are one seed on this machine (measured where earlier runs exist).")
    return EXIT_OK


def select(names: list[str], tags: list[str]):
    """Benchmarks named (or 'all') and carrying every tag asked for; unknown names are a usage error."""
    from suite import registry, sources, verdict

    try:
        known = registry.discover()
    except verdict.BaselineError as error:  # a damaged baselines/full.json: no full-tier bound can be derived
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
    if tags:
        all_tags = {tag for cls in known.values() for tag in cls.tags}
        missing = [tag for tag in tags if tag not in all_tags]
        if missing:
            raise UsageError(f"unknown tag(s) {', '.join(missing)}; known tags: {', '.join(sorted(all_tags))}")
        chosen = [name for name in chosen if all(tag in known[name].tags for tag in tags)]
    return [known[name]() for name in chosen]


# -- run -------------------------------------------------------------------------------------
def check_run_arguments(args) -> int:
    """Validate tier, device, seeds and timeout before anything is created; return the number of seeds."""
    tier = args.tier or constants.DEFAULT_TIER
    device = args.device or "auto"
    if tier not in constants.TIERS:
        raise UsageError(f"unknown tier {tier!r}; choose one of {', '.join(constants.TIERS)}")
    if device not in constants.DEVICES:
        raise UsageError(f"unknown device {device!r}; choose one of {', '.join(constants.DEVICES)}")
    seeds = args.seeds if args.seeds is not None else (1 if tier == "smoke" else constants.DEFAULT_SEEDS)
    check_seeds(seeds)
    check_timeout(args.timeout)
    check_where(args)
    return seeds


def check_where(args) -> None:
    """``--workers``, ``--gpus``, ``--shard`` and the executor's own needs, before anything is created."""
    from suite import sharding

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
        from suite.executors import slurm

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


def check_gpus_exist(ids: tuple[str, ...]) -> tuple[str, ...]:
    """The CUDA device numbers of ``--gpus``; a number this machine does not have is a usage error.

    Numbers count the GPUs this process may use: under ``CUDA_VISIBLE_DEVICES=2,3``, ``--gpus 0``
    is physical GPU 2, and the worker is given ``CUDA_VISIBLE_DEVICES=2``.
    """
    import os

    import tensorflow as tf

    count = len(tf.config.list_physical_devices("GPU"))
    missing = [gpu for gpu in ids if int(gpu) >= count]
    if missing:
        have = f"GPUs 0-{count - 1}" if count else "no GPU TensorFlow can use"
        raise UsageError(f"--gpus {','.join(ids)}: this machine has {have}; GPU {', '.join(missing)} does not "
                         "exist (nvidia-smi lists them)")
    visible = [part.strip() for part in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if part.strip()]
    return tuple(visible[int(gpu)] if visible and int(gpu) < len(visible) else gpu for gpu in ids)


def local_gpus(args) -> tuple[str, ...]:
    """The GPU workers of a local run: ``--gpus``, or every GPU when there are several (unless --data-parallel)."""
    if args.executor == "slurm" or args.data_parallel:
        return ()
    if args.gpus is not None:
        return check_gpus_exist(parse_gpu_ids(args.gpus))
    import tensorflow as tf

    count = len(tf.config.list_physical_devices("GPU"))
    return check_gpus_exist(tuple(str(i) for i in range(count))) if count > 1 else ()


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
    from suite import results

    problem = results.unusable_folder(constants.reports_dir())
    if problem:
        raise UsageError(f"the reports folder {constants.reports_dir()} cannot be used: {problem}; "
                         "make it writable or point SUITE_REPORTS_DIR at a writable folder")


def check_baseline(tier: str) -> None:
    """A quick-tier run is judged against its baseline: a bad file is said now, not after training."""
    from suite import verdict

    if tier in ("full", "smoke"):
        return
    try:
        verdict.load_baseline(tier)
    except verdict.BaselineError as error:
        raise UsageError(str(error)) from None


def check_calibration(benchmarks, tier: str) -> None:
    """A full-tier run judges two-sided claims by baselines/full.json: a missing entry is said before training."""
    from suite import verdict

    if tier != "full":
        return
    for benchmark in benchmarks:
        try:
            verdict.references_for(benchmark, tier)
        except verdict.BaselineError as error:
            raise UsageError(str(error)) from None


def new_run(benchmarks, tier: str, seeds: int, device: str, deterministic: bool, extra: dict | None = None):
    """Create the run folder and its manifest (what was asked), before any job starts."""
    from suite import results

    run_path = results.run_dir(results.new_run_id(tier))
    try:
        run_path.mkdir(parents=True, exist_ok=False)
        (run_path / "records").mkdir()
        results.write_run_manifest(run_path, {
            "run_id": run_path.name, "tier": tier, "seeds": seeds, "device": device,
            "deterministic": deterministic, "benchmarks": [b.name for b in benchmarks],
            "started_at": results.utc_now(), "command": " ".join(["python -m suite", *sys.argv[1:]]),
            **(extra or {}),
        })
    except OSError as error:  # nothing has run yet: leave no half-made run folder behind
        import shutil

        shutil.rmtree(run_path, ignore_errors=True)
        raise UsageError(f"cannot create the run folder {run_path}: {error.strerror or error}; free some space "
                         "or point SUITE_REPORTS_DIR at another folder") from None
    return run_path


def execute_run(run_path, benchmarks, tier: str, seeds: int, device: str, deterministic: bool,
                timeout_s: float | None, where: dict | None = None) -> bool:
    """Run every job of the run folder that has no record yet; return True when interrupted by Ctrl-C.

    ``where`` holds the executor's options (``runner.RunOptions`` fields: executor, workers, gpus,
    data_parallel, slurm) and ``shard`` ``(i, n)`` when only part of the jobs is this process's.
    """
    from suite import results, runner, sharding

    where = dict(where or {})
    shard = where.pop("shard", None)
    jobs = runner.plan(benchmarks, tier, seeds)
    if shard:
        by_name = {b.name: b for b in benchmarks}
        jobs = sharding.shard(jobs, sharding.declared_estimate(by_name), *shard)
    will_skip = runner.skipped_for_want_of_a_gpu(benchmarks, device)
    if will_skip:
        print(f"{len(will_skip)} benchmark(s) need a GPU and will be skipped ({', '.join(will_skip)}); "
              f"--device cpu runs them on the CPU.", file=sys.stderr)
    estimates = {b.name: runner.estimate_seconds(b, tier) if b.name not in will_skip else (0.0, "declared")
                 for b in benchmarks}
    # Only the jobs still to run cost time: on a resumed run the recorded ones are kept, not retrained.
    pending = [job for job in jobs if not results.record_path(run_path, job.benchmark, job.tier, job.seed).exists()]
    workers = len(where.get("gpus") or ()) + where.get("workers", 1)
    if where.get("executor") == "slurm":
        workers = (where.get("slurm") or {}).get("array_parallelism") or 1
    # With several workers the wall time is the busiest worker's share (LPT, as the pool hands jobs out).
    split = sharding.assign(pending, lambda job: estimates[job.benchmark][0], max(1, min(workers, len(pending) or 1)))
    total_s = max(sharding.loads(split, lambda job: estimates[job.benchmark][0]) or [0.0])
    if pending:
        total_s += runner.WORKER_START_ESTIMATE_S
    measured = sum(1 for _, how in estimates.values() if how == "measured")
    recorded = len(jobs) - len(pending)
    already = f" ({recorded} already recorded, {len(pending)} to run)" if recorded else ""
    part = f" (shard {shard[0]}/{shard[1]})" if shard else ""
    more = [f"{b.name} {runner.seeds_for(b, tier, seeds)}" for b in benchmarks
            if runner.seeds_for(b, tier, seeds) > seeds]
    if more:  # the quick tier's cheap benchmarks run the seeds the gate needs (Benchmark.gate_seeds)
        part += f" (more seeds where the gate needs them: {', '.join(more)})"
    print(f"Run {run_path.name}: {len(benchmarks)} benchmarks x {seeds} seed(s) = {len(jobs)} jobs{part}{already}, "
          f"tier {tier}, device {device}, deterministic {'on' if deterministic else 'off'}"
          f"{_describe_where(where)}.", file=sys.stderr)
    print(f"Estimated time on this machine: {_duration(total_s)} "
          f"({measured} of {len(benchmarks)} estimates from earlier runs here, the rest declared). "
          f"Records: {run_path}", file=sys.stderr)
    results.write_packages(run_path)
    options = runner.RunOptions(tier=tier, seeds=seeds, device=device, deterministic=deterministic,
                                timeout_s=timeout_s, **where)
    progress = runner.Progress(len(jobs), total_s)
    started = time.monotonic()
    interrupted = False
    try:
        summary = runner.execute(jobs, {b.name: b for b in benchmarks}, run_path, options, progress)
    except KeyboardInterrupt:
        interrupted = True
        summary = {}
    except results.StorageFull:
        try:  # say in the run folder why it stopped, if even that fits
            results.write_run_manifest(run_path, {"finished_at": results.utc_now(), "stopped": "disk full",
                                                  "wall_s": time.monotonic() - started}, name="finished.json")
        except OSError:
            pass
        raise
    if summary.get("detached"):
        return interrupted
    results.write_run_manifest(run_path, {
        "finished_at": results.utc_now(), "wall_s": time.monotonic() - started,
        "interrupted": interrupted, "environment": summary.get("environment", {}),
        "workers": summary.get("workers", []),
    }, name="finished.json")
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


def where_from(args, manifest: dict | None = None) -> dict:
    """The executor options of this invocation (a resumed run keeps its executor unless told otherwise)."""
    from suite import sharding

    manifest = manifest or {}
    executor = args.executor or manifest.get("executor") or "local"
    where = {"executor": executor}
    if executor == "local":
        where.update(workers=args.workers or 1, gpus=local_gpus(args), data_parallel=bool(args.data_parallel))
    else:
        from suite.executors import slurm

        try:
            where["slurm"] = slurm.settings_from(args, manifest.get("slurm"))
        except ValueError as error:
            raise UsageError(str(error)) from None
    if args.shard:
        where["shard"] = sharding.parse_shard(args.shard)
    return where


def open_run(name: str):
    """An earlier run folder by id (or prefix): its path, its manifest and the benchmarks it selected."""
    from suite import results

    try:
        run_path = results.find_run(name)
    except results.RunNotFound as error:
        raise UsageError(str(error)) from None
    manifest = results.read_run_manifest(run_path)
    return run_path, manifest, select(manifest.get("benchmarks") or ["all"], [])


def more_seeds(run_path, manifest: dict, asked: int | None) -> int:
    """The seed count of a resumed run; ``--seeds N`` above the run's own count adds seeds 1..N to it.

    Why: a long full-tier benchmark is often measured one seed per sitting. Growing the run keeps
    every seed in one folder, so the report and the verdict judge them together, and no finished
    seed is trained again.
    """
    from suite import results

    recorded = int(manifest.get("seeds", constants.DEFAULT_SEEDS))
    if asked is None or asked == recorded:
        return recorded
    if asked < recorded:
        raise UsageError(f"run {run_path.name} already asks for {recorded} seeds; --seeds with --resume can only "
                         f"add seeds (give a number above {recorded}, or leave --seeds out)")
    def grow(run_manifest: dict) -> None:
        run_manifest["seeds"] = max(asked, int(run_manifest.get("seeds", recorded)))
        run_manifest.setdefault("seeds_grown", []).append({"from": recorded, "to": asked, "at": results.utc_now()})

    results.update_run_manifest(run_path, grow)
    return asked


def refuse_conflicting_resume_options(args, run_path, manifest: dict) -> None:
    """``--resume`` continues a run as it was started: an option that contradicts it is refused, not ignored."""
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
    from suite import results

    for problem, target in results.set_aside_damaged(run_path):
        print(f"warning: record {problem.path.name} is damaged ({problem.reason}); moved to "
              f"{target.relative_to(run_path)} and its job will run again", file=sys.stderr)


def command_run(args) -> int:
    from suite import report, results, verdict

    seeds = check_run_arguments(args)
    if args.resume:
        run_path, manifest, benchmarks = open_run(args.resume)
        refuse_conflicting_resume_options(args, run_path, manifest)
        tier = manifest.get("tier", constants.DEFAULT_TIER)
        check_reports_folder()
        check_baseline(tier)
        check_calibration(benchmarks, tier)
        seeds = more_seeds(run_path, manifest, args.seeds)
        deterministic = manifest.get("deterministic", True)
        device = manifest.get("device", "auto")
        set_aside_damaged_records(run_path)
        if args.executor == "slurm" or (args.executor is None and manifest.get("executor") == "slurm"):
            check_where(argparse.Namespace(**{**vars(args), "executor": "slurm"}))
        where = where_from(args, manifest)
    else:
        tier = args.tier or constants.DEFAULT_TIER
        deterministic = True if args.deterministic is None else args.deterministic
        device = args.device or "auto"
        check_reports_folder()
        check_baseline(tier)
        benchmarks = select(args.names, args.tag)
        if not benchmarks:
            raise UsageError("the selection is empty: no benchmark carries all of those tags")
        check_calibration(benchmarks, tier)
        where = where_from(args)
        extra = {"executor": where["executor"]}
        if "shard" in where:
            extra["shard"] = "/".join(map(str, where["shard"]))
        if "slurm" in where:
            extra["slurm"] = where["slurm"]
        run_path = new_run(benchmarks, tier, seeds, device, deterministic, extra)

    try:
        interrupted = execute_run(run_path, benchmarks, tier, seeds, device, deterministic, args.timeout, where)
    except results.StorageFull as full:
        print(f"\nerror: {full.strerror}. Every record written before is kept. Free some space there, then "
              f"continue with: python -m suite run --resume {run_path.name}", file=sys.stderr)
        return EXIT_STORAGE_FULL
    if (where.get("slurm") or {}).get("detach"):
        return EXIT_OK  # the tasks run on; `run --resume` collects them and renders the report
    by_name = {b.name: b for b in benchmarks}
    scan = results.scan_records(run_path)
    for warning in scan.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    records = scan.records
    verdicts = verdict.judge_recorded(records, order=list(by_name))
    print_summary(verdicts, verdict.numerics_against_baseline(records))
    if tier != "full" and tier != "smoke":
        _warn_about_stale_baseline(benchmarks, tier)
    if args.report and records:
        try:
            path = report.render(run_path)
        except OSError as error:  # the records are safe; only the page is missing
            print(f"\nerror: the report could not be written ({error.strerror or error}); the records are kept: "
                  f"python -m suite report {run_path.name} renders it later", file=sys.stderr)
        else:
            print(f"\nReport: {path}\n        {constants.reports_dir() / 'latest.html'}", file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_NOT_REPRODUCED if any(v.failing for v in verdicts) else EXIT_OK


def _warn_about_stale_baseline(benchmarks, tier: str) -> None:
    """A baseline measured on other benchmark code may no longer describe it: say so, do not hide it."""
    from suite import verdict

    baseline = verdict.load_baseline(tier).get("benchmarks", {})
    for benchmark in benchmarks:
        entry = baseline.get(benchmark.name)
        if entry is None:
            print(f"note: {benchmark.name} has no entry in baselines/{tier}.json; it is not judged "
                  f"(python -m suite calibrate --tier {tier} {benchmark.name})", file=sys.stderr)
        elif entry.get("code_version") != benchmark.code_version():
            print(f"note: {benchmark.name} changed since baselines/{tier}.json was calibrated (its code version "
                  f"is {benchmark.code_version()}, the baseline's {entry.get('code_version') or 'unknown'}); "
                  f"recalibrate if the change was intended", file=sys.stderr)


def print_summary(verdicts, numerics: dict | None = None) -> None:
    if not verdicts:
        print("\nNo job finished, so there is nothing to judge yet.")
        return
    width = max([len("benchmark")] + [len(v.benchmark) for v in verdicts])
    print(f"\n{'benchmark':{width}} {'metric':24} {'measured':44} {'bounds':22} verdict")
    for bench in verdicts:
        if not bench.references:
            print(f"{bench.benchmark:{width}} {'-':24} {'-':44} {'-':22} {bench.verdict}  {bench.detail}")
            continue
        for rv in bench.references:
            shown = rv.verdict if bench.verdict in ("REPRODUCED", "NOT REPRODUCED") else bench.verdict
            moved = ""
            if rv.reference.value is not None and rv.values and shown == "NOT REPRODUCED":
                if math.isnan(rv.stats.mean):
                    moved = "  (the mean is NaN: a seed gave NaN)"
                else:
                    moved = f"  (moved {rv.stats.mean - rv.reference.value:+.4g} from {rv.reference.value:.4g})"
            if rv.per_seed and rv.values:
                # A per-seed rule is judged on the count of seeds, not on the mean: show the count and the rule.
                print(f"{bench.benchmark:{width}} {rv.reference.metric:24} {rv.describe_count():67} {shown}")
                continue
            print(f"{bench.benchmark:{width}} {rv.reference.metric:24} {rv.stats.describe():44} "
                  f"{rv.reference.describe_bounds():22} {shown}{moved}")
    counts = {}
    for bench in verdicts:
        counts[bench.verdict] = counts.get(bench.verdict, 0) + 1
    print("\n" + ", ".join(f"{n} {name}" for name, n in counts.items()))
    print_numerics(numerics or {})


def print_numerics(numerics: dict[str, tuple[int, list[int]]]) -> None:
    """Where the run's environment is the baseline's: which benchmarks gave the same bits, which did not."""
    if not numerics:
        return
    identical = sorted(name for name, (_, changed) in numerics.items() if not changed)
    print(f"Numerics: {len(identical)} of {len(numerics)} benchmarks bit-identical to the baseline "
          "(same environment, same seeds).")
    for name, (count, changed) in sorted(numerics.items()):
        if changed:
            print(f"  numerics changed: {name}: the weights of seed(s) {', '.join(map(str, changed))} differ "
                  f"from the baseline's ({len(changed)} of {count} compared), in the environment it was "
                  "calibrated in")


# -- report ----------------------------------------------------------------------------------
def command_report(args) -> int:
    from suite import report, results, verdict

    check_reports_folder()
    try:
        path = report.render(args.run, compare_with=args.compare_with, rejudge=args.rejudge)
        if args.rejudge:
            run_path = results.find_run(args.run)
            manifest = results.read_run_manifest(run_path)
            records, _ = report.load_records(run_path)
            _, _, moved, _ = report.judge_today(records, manifest.get("tier") or "full")
            print("Re-judged against today's references.")
            print("\n".join(f"  {line}" for line in moved) if moved else "  No verdict moved.")
    except (results.RunNotFound, verdict.BaselineError) as error:
        raise UsageError(str(error)) from None
    # The page lists them too; a record left out must not go unnoticed by whoever runs the command.
    for warning in results.scan_records(path.parent).warnings():
        print(f"warning: {warning}", file=sys.stderr)
    print(path)
    return EXIT_OK


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
