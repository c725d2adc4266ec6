"""``python -m suite run``: the flags as a ``RunRequest``, the run started or resumed, its verdicts printed, its page.

Exit codes: 0 when every judged benchmark reproduces, 1 when any does not (or errors, or times out),
2 on a usage error, 3 when the disk filled (the run can be resumed), 130 when interrupted.
"""

from __future__ import annotations

import math
import sys

from suite import backends, constants
from suite.cli.exits import EXIT_INTERRUPTED, EXIT_NOT_REPRODUCED, EXIT_OK, EXIT_STORAGE_FULL
from suite.cli.terminal import TerminalReporter
from suite.judge import baselines, calibrate, numerics, verdict
from suite.records import reading
from suite.run import request, session
from suite.run.executors import EXECUTORS, local, slurm_settings
from suite.run.executors.slurm_settings import SlurmSettings
from suite.run.request import RunRequest

#: Where the jobs run: ``(flag, add_argument settings)``, in ``--help`` order.
WHERE_OPTIONS = (
    ("--workers", dict(type=int, default=None, help="local worker processes at once, each with its share of the "
                                                    "CPU cores (default 1)")),
    ("--gpus", dict(default=None, metavar="0,1,...", help="one worker per GPU (CUDA_VISIBLE_DEVICES=<i>) for gpu "
                    "jobs; cpu jobs go to the --workers CPU workers (the default on a machine with several GPUs)")),
    ("--data-parallel", dict(action="store_true", help="one worker over every GPU under MirroredStrategy instead of "
                                                       "one worker per GPU")),
    ("--shard", dict(default=None, metavar="i/n", help="run only part i of n of the jobs (split on declared "
                     "estimates, the same on every machine); combine the parts with `suite merge`")),
    ("--executor", dict(default=None, choices=EXECUTORS, help="local (worker processes here; the default) or slurm "
                                                              "(a SLURM job array, submitit)")),
)
#: The options of ``--executor slurm`` (``request_from`` makes them a ``SlurmSettings``).
SLURM_OPTIONS = (
    ("--slurm-partition", dict(default=None)),
    ("--slurm-account", dict(default=None)),
    ("--slurm-array-parallelism", dict(type=int, default=None, help="tasks of the array running at once (default 16)")),
    ("--slurm-cpus-per-task", dict(type=int, default=None, help="CPU cores per task, and the intra-op threads of its worker (default 1)")),
    ("--slurm-option", dict(action="append", default=[], metavar="KEY=VALUE", help="an extra sbatch option (repeatable), e.g. qos=short or mem=8G")),
    ("--slurm-config", dict(default=None, metavar="FILE", help="a JSON file of the same settings (partition, account, "
                            "array_parallelism, cpus_per_task, options: {sbatch option: value})")),
    ("--detach", dict(action="store_true", help="submit and return; `suite run --resume RUN` later collects what finished")),
)


def add_parser(commands) -> None:
    run = commands.add_parser("run", help="run benchmarks and write records and an HTML report")
    run.add_argument("names", nargs="*", help="benchmark names, or 'all'")
    run.add_argument("--tag", action="append", default=[], help="select benchmarks by tag (repeatable)")
    run.add_argument("--skip-tag", action="append", default=[], metavar="TAG",
                     help="leave out the benchmarks with this tag (repeatable), e.g. --skip-tag convnet")
    # Defaults of --tier, --device and --no-deterministic are applied after parsing, so that a resumed
    # run can tell an option the user gave (and refuse it if it contradicts the run) from a default.
    run.add_argument("--tier", default=None,
                     help=f"full (documented settings), quick, smoke (default {constants.DEFAULT_TIER})")
    run.add_argument("--seeds", type=int, default=None,
                     help=f"seeds per benchmark (default {constants.DEFAULT_SEEDS}; 1 for the smoke tier)")
    run.add_argument("--device", default=None, help="auto (each benchmark's placement; the default), cpu, gpu")
    run.add_argument("--backend", default=None, metavar="NAME",
                     help=f"the Keras backend of every job: {', '.join(backends.names())} (default {constants.DEFAULT_BACKEND}; "
                          "jax needs pip install -e '.[jax]'); a run never mixes backends")
    run.add_argument("--resume", metavar="RUN",
                     help="continue RUN, skipping jobs whose records exist; with --seeds N, add seeds up to N")
    run.add_argument("--timeout", type=float, default=None, help="seconds per job (default: 10x its estimate)")
    run.add_argument("--no-deterministic", dest="deterministic", action="store_false", default=None,
                     help="do not enable TensorFlow op determinism (on JAX: XLA's deterministic GPU "
                          "ops)")
    run.add_argument("--no-report", dest="report", action="store_false", help="skip the HTML report")
    run.add_argument("--yes", action="store_true", help="accepted for scripts; the run never asks questions")
    for title, options in (("where the jobs run", WHERE_OPTIONS), ("--executor slurm", SLURM_OPTIONS)):
        group = run.add_argument_group(title)
        for flag, settings in options:
            group.add_argument(flag, **settings)
    run.set_defaults(func=command)


def command(args) -> int:
    from suite.report import page  # jinja2 and the figures: only when a page is drawn

    run_request = request_from(args)
    local.prestart(run_request)  # a plain local run's worker imports Keras while the run is selected and planned
    outcome = session.start(run_request, TerminalReporter())
    if outcome.ended == session.STORAGE_FULL:
        return EXIT_STORAGE_FULL
    if outcome.ended == session.DETACHED:
        return EXIT_OK  # the tasks run on; `run --resume` collects them and renders the report
    run = outcome.run
    scan = reading.scan_records(run.path)
    for warning in scan.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    records = scan.records
    verdicts = verdict.judge_recorded(records, order=[b.name for b in run.benchmarks])
    print_summary(verdicts, numerics.compare_run(records), backend=_backend_of(records, run.options.backend))
    if run.tier != "full" and run.tier != "smoke":
        _warn_about_stale_baseline(run.benchmarks, run.tier, run.options.backend)
    if args.report and records:
        try:
            path = page.render(run.path)
        except OSError as error:  # the records are safe; only the page is missing
            print(f"\nerror: the report could not be written ({error.strerror or error}); the records are kept: "
                  f"python -m suite report {run.path.name} renders it later", file=sys.stderr)
        else:
            print(f"\nReport: {path}\n        {constants.reports_dir() / 'latest.html'}", file=sys.stderr)
    if outcome.ended == session.INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_NOT_REPRODUCED if any(v.failing for v in verdicts) else EXIT_OK


def request_from(args) -> RunRequest:
    """The run the flags ask for; a bad value is a ``UsageError`` here, before anything is selected or created."""
    slurm = SlurmSettings(args.slurm_partition, args.slurm_account, args.slurm_array_parallelism,
                          args.slurm_cpus_per_task, tuple(map(slurm_settings.sbatch_option, args.slurm_option)),
                          args.detach)
    if args.slurm_config:
        slurm = slurm.over(SlurmSettings.from_config(args.slurm_config))
    return RunRequest(
        names=tuple(args.names), tags=tuple(args.tag), skip_tags=tuple(args.skip_tag), tier=args.tier,
        seeds=args.seeds, device=args.device, backend=args.backend, deterministic=args.deterministic,
        timeout_s=args.timeout, executor=args.executor, workers=args.workers,
        gpus=request.gpu_ids(args.gpus) if args.gpus is not None else None, data_parallel=args.data_parallel,
        shard=request.shard(args.shard) if args.shard is not None else None, slurm=slurm, resume=args.resume,
        command=typed_command())


def typed_command() -> str:
    """The command as the user typed it, for the run's manifest."""
    return " ".join(["python -m suite", *sys.argv[1:]])


def _warn_about_stale_baseline(benchmarks, tier: str, backend: str) -> None:
    """A baseline measured on other benchmark code may no longer describe it: say so, do not hide it."""
    baseline = baselines.load_baseline(tier, backend=backend).get("benchmarks", {})
    file = baselines.baseline_file(tier, backend)
    calibrate_command = f"python -m suite calibrate --tier {tier}" + ("" if backend == constants.DEFAULT_BACKEND else f" --backend {backend}")
    for benchmark in benchmarks:
        entry = baseline.get(benchmark.name)
        if entry is None and not calibrate.calibrated_metrics(benchmark):
            continue  # every claim it has is judged as documented: an entry would hold nothing
        if entry is None:
            print(f"note: {benchmark.name} has no entry in baselines/{file}; it is not judged "
                  f"({calibrate_command} {benchmark.name})", file=sys.stderr)
        elif entry.get("code_version") != benchmark.code_version():
            print(f"note: {benchmark.name} changed since baselines/{file} was calibrated (its code version "
                  f"is {benchmark.code_version()}, the baseline's {entry.get('code_version') or 'unknown'}); "
                  f"recalibrate if the change was intended", file=sys.stderr)


def _backend_of(records: list[dict], asked: str) -> str:
    """The backend the run's jobs ran on, as its records say (with versions); the asked one before any ran."""
    from suite import backends

    ran = next((r for r in records if isinstance(r.get("environment"), dict) and r["environment"]), None)
    return backends.recorded(ran) if ran else backends.describe(asked)


def print_summary(verdicts, run_numerics: numerics.RunNumerics | None = None, backend: str = "") -> None:
    if not verdicts:
        print("\nNo job finished, so there is nothing to judge yet.")
        return
    if backend:
        print(f"\nBackend: {backend}")
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
    print_numerics(run_numerics or numerics.RunNumerics())


def print_numerics(run_numerics: numerics.RunNumerics) -> None:
    """One line on bits (compared where they can match, else why not), and a line per benchmark whose changed."""
    line = numerics.summary_line(run_numerics)
    if line:
        print(line)
    for name, comparison in sorted(run_numerics.changed.items()):
        print(f"  numerics changed: {name}: the weights of seed(s) {', '.join(map(str, comparison.changed))} differ "
              f"from the hashes recorded in this environment ({len(comparison.changed)} of {comparison.compared} "
              "compared): the code or the stack computes other bits, though the metrics are inside their bounds")
