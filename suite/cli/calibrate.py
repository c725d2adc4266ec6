"""``python -m suite calibrate``: parse, run what is asked, write the baseline the computation makes, print it.

The rule and the computation are ``suite.judge.calibrate`` (quick gate), ``suite.judge.full_calibration``
(``--tier full``) and ``suite.judge.gate_power`` (``--power``).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from suite import backends, catalogue, files
from suite.cli.exits import EXIT_INTERRUPTED, EXIT_STORAGE_FULL
from suite.cli.run import typed_command
from suite.cli.terminal import TerminalReporter
from suite.constants import DEFAULT_BACKEND, DEFAULT_SEEDS, baselines_dir
from suite.errors import UsageError
from suite.judge import baselines, calibrate, full_calibration, gate_power
from suite.records import reading, run_files
from suite.run import environment, session
from suite.run.request import RunRequest


def add_parser(commands) -> None:
    parser = commands.add_parser("calibrate", help="measure a tier over several seeds and write baselines/<tier>.json")
    parser.add_argument("names", nargs="*", default=["all"], help="benchmarks to (re)calibrate (default: all)")
    parser.add_argument("--tag", action="append", default=[])
    parser.add_argument("--tier", default="quick",
                        help="the tier to calibrate (default quick); full writes baselines/full.json, the port's "
                             "spread behind the documented bounds")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"seeds per benchmark (default {calibrate.QUICK_SEEDS}, at least {calibrate.MIN_SEEDS}; full tier: default "
                             f"{DEFAULT_SEEDS}, at least 1)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--backend", default=None, metavar="NAME",
                        help=f"the Keras backend: {', '.join(backends.names())} (default {DEFAULT_BACKEND}); another backend "
                             "than TensorFlow writes baselines/<tier>-<backend>.json")
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--from-run", metavar="RUN", help="use the records of RUN instead of running again")
    parser.add_argument("--restamp", action="store_true",
                        help="after a change that must not move the numbers (docstring, note, refactor): rerun "
                             "seed 1 of each named benchmark and, when every calibrated metric comes out bit for "
                             "bit as calibrated, in the calibration's environment (stack, CPU, threads), record "
                             "the new code version; otherwise refuse")
    parser.add_argument("--hashes", action="store_true",
                        help="record this machine's weights hashes (its CPU generation, stack and threads) beside "
                             "the others of each named benchmark's entry: run the gate's seeds (or read --from-run "
                             "RUN) and keep them where every verdict is REPRODUCED; no spread is measured again")
    parser.add_argument("--output", default=None, help="baseline file (default baselines/<tier>.json)")
    parser.add_argument("--power", action="store_true",
                        help="run nothing: print, for every metric of the baseline, the smallest shift one gate run "
                             "catches, flag the metrics that cannot catch the regression the gate exists for "
                             "(exit 1 when any is flagged)")
    parser.set_defaults(func=command, deterministic=True)


def _default_output(args) -> Path:
    """``baselines/<tier>.json`` for TensorFlow; another backend's numbers go to ``baselines/<tier>-<backend>.json``."""
    return baselines_dir() / baselines.baseline_file(args.tier, args.backend or DEFAULT_BACKEND)


def command(args) -> int:
    if args.tier != "full" and args.seeds is None:
        args.seeds = calibrate.QUICK_SEEDS
    request = _request(args)  # every value checked before anything is read or run
    if args.backend not in (None, DEFAULT_BACKEND) and args.tier == "full":
        raise UsageError(f"--backend {args.backend} calibrates the quick tier only (into baselines/quick-{args.backend}"
                         ".json); the full tier is judged against the documented numbers on every backend")
    if args.tier == "full":
        return _calibrate_full(args, request)
    if args.restamp:
        return _restamp(args, request)
    if args.hashes:
        return _record_hashes(args, request)
    if args.power:
        return _power(args)
    seeds = request.new_run_seeds
    if seeds < calibrate.MIN_SEEDS:
        raise UsageError(f"calibrating needs at least {calibrate.MIN_SEEDS} seeds to estimate a spread; got {seeds}")
    if args.from_run:
        run_path, manifest, benchmarks = session.open_run(args.from_run)
        if manifest.get("tier") != args.tier:
            raise UsageError(f"run {run_path.name} is tier {manifest.get('tier')}, not {args.tier}")
        ran_on = manifest.get("backend", DEFAULT_BACKEND)
        if ran_on != (args.backend or DEFAULT_BACKEND):
            raise UsageError(f"run {run_path.name} ran on {ran_on}; calibrate from it with --backend {ran_on}")
        named = [name for name in args.names if name != "all"]
        if named:  # calibrate only the named benchmarks of the run
            benchmarks = [b for b in benchmarks if b.name in named]
    else:
        outcome = session.start(request, TerminalReporter())
        if outcome.ended != session.FINISHED:
            return _stopped(outcome)
        run_path, benchmarks = outcome.path, outcome.run.benchmarks
    output = _default_output(args) if args.output is None else Path(args.output)
    previous = json.loads(output.read_text()) if output.exists() else {}
    baseline = calibrate.build_baseline(args.tier, {b.name: b for b in benchmarks}, reading.load_records(run_path),
                                        previous, run_path.name, now=run_files.utc_now(),
                                        git_commit=environment.git_commit())
    output.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write_bytes(output, (json.dumps(baseline, indent=1) + "\n").encode())
    print_baseline(baseline)
    print()
    print_power(baseline)
    print(f"\nwrote {output}", file=sys.stderr)
    for problem in baseline["problems"]:
        print(f"not calibrated: {problem}", file=sys.stderr)
    return 1 if baseline["problems"] else 0


def _calibrate_full(args, request: RunRequest) -> int:
    """Measure the full tier (or read a full-tier run) and write the port's calibration into baselines/full.json.

    Only the port's measurement is written: the reported values, claims and rules stay in the
    benchmarks. A metric calibrated again replaces its entry; every other entry is kept.
    """
    if args.restamp or args.power:
        raise UsageError("--restamp and --power are for the quick gate; the full tier is recalibrated from a run "
                         "(--seeds N, or --from-run RUN)")
    output = full_calibration.path() if args.output is None else Path(args.output)
    try:
        previous = full_calibration.load(output)
    except full_calibration.CalibrationError as error:
        raise UsageError(str(error)) from None
    if args.from_run:
        run_path, manifest, benchmarks = session.open_run(args.from_run)
        if manifest.get("tier") != "full":
            raise UsageError(f"run {run_path.name} is tier {manifest.get('tier')}, not full")
        named = [name for name in args.names if name != "all"]
        if named or args.tag:
            wanted = {b.name for b in session.select(named or ["all"], args.tag)}
            benchmarks = [b for b in benchmarks if b.name in wanted]
    else:
        benchmarks = session.select(args.names, args.tag)
    benchmarks = [b for b in benchmarks if full_calibration.calibrated_references(b)]
    if not benchmarks:
        raise UsageError("none of these benchmarks has a two-sided claim whose bound comes from baselines/full.json")
    if not args.from_run:
        outcome = _start(request, benchmarks)
        if outcome.ended != session.FINISHED:
            return _stopped(outcome)
        run_path = outcome.path
    records = reading.load_records(run_path)
    measured, problems = {}, []
    for benchmark in benchmarks:
        entries, found = full_calibration.build_entries(benchmark, records, run_path.name)
        problems += found
        if entries:
            measured[benchmark.name] = entries
    data = full_calibration.merge(previous, measured)
    output.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write_bytes(output, (json.dumps(data, indent=1) + "\n").encode())
    print(f"{'benchmark':34} {'metric':28} {'n':>3} {'mean':>10} {'std':>9} {'reported':>9} {'bounds':>22}")
    for benchmark in benchmarks:
        for reference in full_calibration.calibrated_references(benchmark):
            entry = measured.get(benchmark.name, {}).get(reference.metric)
            if entry is None:
                continue
            bounds = reference.bounds if reference.judged_on != "mean" else full_calibration.derive_bounds(
                reference.metric, reference.value, entry)
            std = f"{entry['std']:.3g}" if entry["std"] is not None else "-"
            print(f"{benchmark.name:34} {reference.metric:28} {entry['n']:>3} {entry['mean']:>10.4g} {std:>9} "
                  f"{reference.value:>9.4g} {f'[{bounds[0]:.4g}, {bounds[1]:.4g}]':>22}")
    print(f"\nwrote {output}", file=sys.stderr)
    for problem in problems:
        print(f"not calibrated: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _request(args) -> RunRequest:
    """The calibration run the flags ask for (deterministic; its tier's bounds are what it measures)."""
    return RunRequest(names=tuple(args.names), tags=tuple(args.tag), tier=args.tier, seeds=args.seeds,
                      device=args.device, backend=args.backend, deterministic=True, timeout_s=args.timeout,
                      calibrating=True, command=typed_command())


def _start(request: RunRequest, benchmarks, seeds: int | None = None) -> session.RunOutcome:
    """Run ``benchmarks`` (chosen from the request's selection) as the request asks, ``seeds`` seeds if given."""
    chosen = dataclasses.replace(request, names=tuple(b.name for b in benchmarks), tags=(),
                                 seeds=request.seeds if seeds is None else seeds)
    return session.start(chosen, TerminalReporter())


def _stopped(outcome: session.RunOutcome) -> int:
    """The exit code of a calibration run that did not finish (the reporter has said why)."""
    return EXIT_STORAGE_FULL if outcome.ended == session.STORAGE_FULL else EXIT_INTERRUPTED


def _existing_baseline(args) -> tuple[Path, dict]:
    """The baseline file ``--restamp`` and ``--hashes`` add to, and its content: both need one calibrated first."""
    output = _default_output(args) if args.output is None else Path(args.output)
    if not output.exists():
        raise UsageError(f"{output} does not exist: calibrate first (python -m suite calibrate --tier {args.tier})")
    return output, json.loads(output.read_text())


def _restamp(args, request: RunRequest) -> int:
    """Carry a baseline over a change of benchmark code that cannot change what it measures.

    A change of the code that computes a benchmark (a refactor of its training loop, a renamed
    helper) changes its code version, and the gate then warns that the baseline was measured on
    other code. Prose (docstrings, comments, notes) does not count. Recalibrating costs the whole
    spread again (hours for the convnets); but when the change is meant to be neutral, one seed
    settles it: seed 1 is deterministic, so if it reproduces every calibrated metric bit for bit,
    the calibration still describes the code. The bounds are left as they are; the entry records
    the evidence.
    """
    output, baseline = _existing_baseline(args)
    entries = baseline.get("benchmarks", {})
    chosen = session.select(args.names, args.tag)
    missing = [b.name for b in chosen if b.name not in entries]
    if missing:
        raise UsageError(f"no baseline entry for {', '.join(missing)}: calibrate instead of restamping "
                         f"(python -m suite calibrate --tier {args.tier} {' '.join(missing)})")
    stale = [b for b in chosen if entries[b.name].get("code_version") != b.code_version()]
    for benchmark in chosen:
        if benchmark not in stale:
            print(f"{benchmark.name}: baseline already made from this code", file=sys.stderr)
    if not stale:
        return 0
    without_seed_1 = [b.name for b in stale if 1 not in entries[b.name].get("seeds", [])]
    if without_seed_1:
        raise UsageError(f"{', '.join(without_seed_1)}: seed 1 is not among the calibrated seeds; recalibrate")

    outcome = _start(request, stale, seeds=1)
    if outcome.ended != session.FINISHED:
        return _stopped(outcome)
    run_path = outcome.path
    # Seed 1 only: a benchmark whose gate needs several seeds (gate_seeds) runs them all in the quick tier.
    fresh = {r["benchmark"]: r for r in reading.load_records(run_path) if r.get("seed") == 1}
    refused = []
    for benchmark in stale:
        entry = entries[benchmark.name]
        moved = calibrate.restamp_differences(entry, fresh.get(benchmark.name))
        if moved:
            refused.append(benchmark.name)
            print(f"{benchmark.name}: not restamped, seed 1 differs from its calibration: {'; '.join(moved)}. "
                  f"Recalibrate: python -m suite calibrate --tier {args.tier} {benchmark.name}", file=sys.stderr)
            continue
        calibrate.restamp(entry, benchmark.code_version(), run_id=run_path.name, now=run_files.utc_now())
        print(f"{benchmark.name}: restamped (seed 1 reproduced {len(entry['metrics'])} metric(s) exactly)",
              file=sys.stderr)
    if len(refused) < len(stale):
        baseline["updated_at"] = run_files.utc_now()
        files.atomic_write_bytes(output, (json.dumps(baseline, indent=1) + "\n").encode())
        print(f"wrote {output}", file=sys.stderr)
    return 1 if refused else 0


def _record_hashes(args, request: RunRequest) -> int:
    """Record this machine's bits beside the baseline's others (``suite.judge.numerics``), spreads untouched.

    The bounds are sized for other machines already; only the hashes belong to one CPU generation, stack and
    thread count. A gate run here (or the run named by ``--from-run``) whose every verdict is REPRODUCED and
    whose code is the calibrated code gives this environment's hashes, so later gate runs here compare bits.
    """
    from suite.judge import verdict

    backend = args.backend or DEFAULT_BACKEND
    output, baseline = _existing_baseline(args)
    entries = baseline.get("benchmarks", {})
    if args.from_run:
        run_path, manifest, chosen = session.open_run(args.from_run)
        if manifest.get("tier") != args.tier or manifest.get("backend", DEFAULT_BACKEND) != backend:
            raise UsageError(f"run {run_path.name} is the {manifest.get('tier')} tier on "
                             f"{manifest.get('backend', DEFAULT_BACKEND)}, not the {args.tier} tier on {backend}")
        named = [name for name in args.names if name != "all"]
        chosen = [b for b in chosen if b.name in entries and (not named or b.name in named)]
    else:
        chosen = [b for b in session.select(args.names, args.tag) if b.name in entries]
        if not chosen:
            raise UsageError(f"none of these benchmarks has an entry in {output}: calibrate them first")
        outcome = _start(request, chosen, seeds=1)
        if outcome.ended != session.FINISHED:
            return _stopped(outcome)
        run_path = outcome.path
    records = reading.load_records(run_path)
    verdicts = {v.benchmark: v for v in verdict.judge_run({b.name: b for b in chosen}, records, args.tier, baseline)}
    refused, now = [], run_files.utc_now()
    for benchmark in chosen:
        entry, mine = entries[benchmark.name], [r for r in records if r["benchmark"] == benchmark.name]
        problem = _why_no_hashes(benchmark, entry, mine, verdicts.get(benchmark.name))
        if problem:
            refused.append(benchmark.name)
            print(f"{benchmark.name}: no hashes recorded: {problem}", file=sys.stderr)
            continue
        reference = calibrate.bit_reference(mine, run_path.name, now)
        calibrate.add_bit_reference(entry, reference)
        print(f"{benchmark.name}: hashes of seed(s) {', '.join(reference['weights_sha256'])} recorded for "
              f"{reference['environment'].get('cpu_id')}, {reference['environment'].get('intra_op_threads')} "
              f"thread(s) ({len(entry['bits'])} environment(s) in all)", file=sys.stderr)
    if len(refused) < len(chosen):
        baseline["updated_at"] = now
        files.atomic_write_bytes(output, (json.dumps(baseline, indent=1) + "\n").encode())
        print(f"wrote {output}", file=sys.stderr)
    return 1 if refused else 0


def _why_no_hashes(benchmark, entry: dict, records: list[dict], judged) -> str:
    """Why a benchmark's records cannot stand for its hashes here ("": they can)."""
    from suite.judge import verdict

    if not records:
        return "no record in the run"
    failed = [r for r in records if r.get("status") != "ok" or not r.get("weights_sha256")]
    if failed:
        return f"seed {failed[0]['seed']} {failed[0].get('status')}: {(failed[0].get('error') or '')[:200]}"
    if any(r.get("code_version") != entry.get("code_version") for r in records):
        return (f"its code changed since it was calibrated (code version {records[0].get('code_version')}, the "
                f"entry's {entry.get('code_version')}); calibrate it again")
    if judged is not None and judged.verdict not in (verdict.REPRODUCED, verdict.UNJUDGED):
        return f"{judged.verdict} against its bounds ({judged.detail or 'see the run'}): bits of a failing run are no reference"
    return ""


def _power(args) -> int:
    """The gate's power over the committed baseline (suite.judge.gate_power), without running anything."""
    output = _default_output(args) if args.output is None else Path(args.output)
    try:
        baseline = (baselines.load_baseline(args.tier, output.parent, args.backend or DEFAULT_BACKEND)
                    if output.exists() else None)
    except baselines.BaselineError as error:
        raise UsageError(str(error)) from None
    if not baseline:
        raise UsageError(f"{output} does not exist: calibrate first (python -m suite calibrate --tier {args.tier})")
    return 1 if print_power(baseline) else 0


def print_power(baseline: dict) -> bool:
    """Print what each gated metric of ``baseline`` can catch (suite.judge.gate_power); True when any is flagged."""
    benchmarks = catalogue.benchmarks()
    rows = gate_power.assess(baseline, gate_power.failing_claims_of(benchmarks))
    documented = gate_power.judged_as_documented(benchmarks)
    ungated = gate_power.ungated(benchmarks, rows, documented)
    gate_power.print_power(rows, documented=documented, ungated=ungated)
    return any(row.flagged for row in rows) or bool(ungated)


def print_baseline(baseline: dict) -> None:
    print(f"{'benchmark':28} {'metric':22} {'n':>3} {'m':>3} {'mean':>10} {'std':>9} {'bounds':>24} "
          f"{'P(false alarm)':>15}")
    for name, entry in baseline["benchmarks"].items():
        for metric, c in entry["metrics"].items():
            bounds = f"[{c['low']:.4g}, {c['high']:.4g}]"
            print(f"{name:28} {metric:22} {c['n']:>3} {c.get('gate_seeds', 1):>3} {c['mean']:>10.4g} "
                  f"{c['std']:>9.3g} {bounds:>24} {c['false_alarm']:>15.2e}")
    print(f"\n{baseline['metrics_in_gate']} metrics; estimated false-alarm rate of the gate "
          f"{baseline['estimated_false_alarm_rate']:.2%} (target < {calibrate.FAMILY_FALSE_ALARM:.0%}).")
