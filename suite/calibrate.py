"""``python -m suite calibrate``: measure a tier over many seeds and write its regression baseline.

``--tier full`` writes the port's calibration behind the full tier's two-sided bounds instead
(``baselines/full.json``, see ``suite.full_calibration``); the rest of this docstring is the quick gate's.

The reduced tiers have no documented numbers, so the regression gate judges them
against what this suite measured before: ``baselines/<tier>.json``. For every
benchmark and every metric it has a claim about, the baseline stores the per-seed
values, their mean and standard deviation, and bounds made by one rule:

    half-width = max(k * s * sqrt(1/m + 1/n), floor), clipped to the metric's possible range

where ``s`` is the sample std over ``n`` seeds, ``m`` the seeds one gate run measures of the benchmark
(``Benchmark.gate_seeds``: 1, or several for a cheap benchmark whose seeds spread widely) and ``k`` is
the Student-t quantile (n-1 degrees of freedom) at 1 - alpha/2 with alpha = 1 % / M, M the number of
calibrated metrics: the prediction interval of the mean of m fresh seeds, Bonferroni-corrected
so that the whole gate raises a false alarm in under 1 % of clean runs (if a new
environment perturbs a metric no more than a change of seed does). The floor keeps
a bound from collapsing where every seed gives the same value (a toy net that
always separates): half a point for accuracies, 3 % for losses. An accuracy cannot leave [0, 1]
nor a loss or a count go below 0, so a bound beyond is cut back to what the metric can be.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from suite import files, results
from suite.constants import DEFAULT_SEEDS, baselines_dir
from suite.verdict import Stats, t_quantile

# The module docstring's rule (its formula included), stored in every baseline it produces.
RULE = " ".join(" ".join(__doc__.split("\n\n")[1:4]).split())
FAMILY_FALSE_ALARM = 0.01
MIN_SEEDS = 3
QUICK_SEEDS = 8
ACCURACY_FLOOR = 0.005
RELATIVE_FLOOR = 0.03
ERRORS_FLOOR = 50  # test errors out of 10 000: half a point, as for accuracies
BATCHES_FLOOR = 10  # batch counts are measured at evaluations every 10 batches (003-c): one evaluation


def floor_for(metric: str, mean: float) -> float:
    """The smallest half-width a bound may have, by the kind of metric its name says it is."""
    if "accuracy" in metric or metric.endswith("_acc"):
        return ACCURACY_FLOOR
    if metric.endswith("errors"):
        return ERRORS_FLOOR
    if "batches" in metric:
        return BATCHES_FLOOR
    return max(RELATIVE_FLOOR * abs(mean), 1e-6)


def possible_range(metric: str) -> tuple[float, float]:
    """Where a metric can land at all, by the kind its name says it is (a gap or a difference: anywhere)."""
    if "accuracy" in metric or metric.endswith("_acc") or metric in ("separates",):
        return 0.0, 1.0
    if "gap" in metric or "lead" in metric:
        return -math.inf, math.inf
    counts = ("errors", "batches", "never_predicted", "dead", "units", "width")
    if "loss" in metric or "mse" in metric or any(word in metric for word in counts):
        return 0.0, math.inf
    return -math.inf, math.inf


def predictive_scale(std: float, n: int, gate_seeds: int = 1) -> float:
    """The std of (mean of ``gate_seeds`` fresh seeds - mean of the ``n`` calibration seeds)."""
    return std * math.sqrt(1 / gate_seeds + 1 / n)


def false_alarm_probability(half_width: float, std: float, n: int, gate_seeds: int = 1) -> float:
    """P(the mean of gate_seeds fresh seeds lands outside mean ± half_width), Student-t predictive."""
    from scipy import stats

    if std == 0 or not math.isfinite(std):
        return 0.0
    return float(2 * stats.t.sf(half_width / predictive_scale(std, n, gate_seeds), n - 1))


def entry_bounds(metric: str, values: list[float], metrics_in_gate: int, gate_seeds: int = 1) -> dict:
    stats = Stats.of(values)
    n, mean, std = stats.n, stats.mean, stats.std
    alpha = FAMILY_FALSE_ALARM / max(metrics_in_gate, 1)
    k = t_quantile(1 - alpha / 2, n - 1)
    statistical = k * predictive_scale(std, n, gate_seeds)
    floor = floor_for(metric, mean)
    half_width = max(statistical, floor)
    lowest, highest = possible_range(metric)
    rule = (f"mean ± max(t({n - 1}, 1-{alpha:.2g}/2)={k:.2f} x s x sqrt(1/m+1/n) = {statistical:.4g}, "
            f"floor {floor:.4g}), m={gate_seeds}")
    return {
        "mean": mean, "std": std, "n": n, "values": values, "gate_seeds": gate_seeds,
        "low": max(mean - half_width, lowest), "high": min(mean + half_width, highest),
        "half_width": half_width, "rule": rule,
        "false_alarm": false_alarm_probability(half_width, std, n, gate_seeds),
    }


def calibrated_metrics(benchmark) -> list[str]:
    """The metrics the gate calibrates: ``gate_metrics``, else those the benchmark makes claims about (a
    divergence claim, and those in ``gate_as_documented``, are judged as documented)."""
    if benchmark.gate_metrics is not None:
        return list(benchmark.gate_metrics)
    return [r.metric for r in benchmark.references
            if r.kind != "diverges" and r.metric not in benchmark.gate_as_documented]


def build_baseline(tier: str, benchmarks: dict, records: list[dict], previous: dict, run_id: str) -> dict:
    """Merge the new measurements into the previous baseline and recompute every bound with the current M."""
    from suite import environment as environment_module

    entries = dict(previous.get("benchmarks", {}))
    environment = next((r.get("environment") for r in records if r.get("environment")), {})
    problems = []
    for name, benchmark in benchmarks.items():
        mine = [r for r in records if r["benchmark"] == name]
        if not mine:
            continue
        version = benchmark.code_version()
        other_code = [r for r in mine if r.get("code_version") not in (None, version)]
        if other_code:  # a baseline must describe the code it is stamped with
            problems.append(f"{name}: {len(other_code)} record(s) made by other code (version "
                            f"{other_code[0].get('code_version')}, today {version}); run it again to calibrate")
            continue
        failed = [r for r in mine if r["status"] != "ok"]
        if failed:
            problems.append(f"{name}: {len(failed)} job(s) {failed[0]['status']}: {failed[0].get('error', '')[:200]}")
            continue
        metrics = {}
        for metric in calibrated_metrics(benchmark):
            values = [float(r["metrics"][metric]) for r in sorted(mine, key=lambda r: r["seed"])
                      if metric in r["metrics"] and math.isfinite(float(r["metrics"][metric]))]
            if len(values) < MIN_SEEDS:
                problems.append(f"{name}.{metric}: only {len(values)} finite values; need {MIN_SEEDS}")
                continue
            metrics[metric] = {"values": values}
        entries[name] = {
            "metrics": metrics,
            "gate_seeds": benchmark.gate_seeds,
            "seeds": sorted(r["seed"] for r in mine),
            "weights_sha256": {str(r["seed"]): r.get("weights_sha256") for r in sorted(mine, key=lambda r: r["seed"])},
            "code_version": version,
            "calibrated_at": results.utc_now(),
            "run_id": run_id,
            "environment": {key: environment.get(key) for key in
                            ("python", "tensorflow", "keras", "numpy", "cpu", "cpu_count", "gpu", "deterministic")},
        }
    total = sum(len(entry["metrics"]) for entry in entries.values())
    alarm = 0.0
    for entry in entries.values():
        for metric, calibration in entry["metrics"].items():
            calibration.update(entry_bounds(metric, calibration["values"], total, entry.get("gate_seeds", 1)))
            alarm += calibration["false_alarm"]
    return {
        "tier": tier,
        "rule": RULE,
        "family_false_alarm_target": FAMILY_FALSE_ALARM,
        "metrics_in_gate": total,
        "estimated_false_alarm_rate": alarm,
        "false_alarm_method": "union bound over the metrics of the Student-t predictive probability that the "
                              "mean of a gate run's fresh seeds falls outside its bounds",
        "machine": {"cpu": environment.get("cpu"), "cpu_count": environment.get("cpu_count"),
                    "gpu": environment.get("gpu")},
        "updated_at": results.utc_now(),
        "git_commit": environment_module.git_commit(),
        "benchmarks": dict(sorted(entries.items())),
        "problems": problems,
    }


def add_parser(commands) -> None:
    parser = commands.add_parser("calibrate", help="measure a tier over several seeds and write baselines/<tier>.json")
    parser.add_argument("names", nargs="*", default=["all"], help="benchmarks to (re)calibrate (default: all)")
    parser.add_argument("--tag", action="append", default=[])
    parser.add_argument("--tier", default="quick",
                        help="the tier to calibrate (default quick); full writes baselines/full.json, the port's "
                             "spread behind the documented bounds")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"seeds per benchmark (default {QUICK_SEEDS}, at least {MIN_SEEDS}; full tier: default "
                             f"{DEFAULT_SEEDS}, at least 1)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--from-run", metavar="RUN", help="use the records of RUN instead of running again")
    parser.add_argument("--restamp", action="store_true",
                        help="after a change that must not move the numbers (docstring, note, refactor): rerun "
                             "seed 1 of each named benchmark and, when every calibrated metric comes out bit for "
                             "bit as calibrated, record the new code version; otherwise refuse")
    parser.add_argument("--output", default=None, help="baseline file (default baselines/<tier>.json)")
    parser.add_argument("--power", action="store_true",
                        help="run nothing: print, for every metric of the baseline, the smallest shift one gate run "
                             "catches, flag the metrics that cannot catch the regression the gate exists for "
                             "(exit 1 when any is flagged)")
    parser.set_defaults(func=command_calibrate, deterministic=True)


def command_calibrate(args) -> int:
    from suite.cli import UsageError, check_run_arguments, execute_run, new_run, open_run, select

    if args.tier == "full":
        return command_calibrate_full(args)
    if args.seeds is None:
        args.seeds = QUICK_SEEDS
    if args.restamp:
        return command_restamp(args)
    if args.power:
        return command_power(args)
    seeds = check_run_arguments(args)
    if seeds < MIN_SEEDS:
        raise UsageError(f"calibrating needs at least {MIN_SEEDS} seeds to estimate a spread; got {seeds}")
    if args.from_run:
        run_path, manifest, benchmarks = open_run(args.from_run)
        if manifest.get("tier") != args.tier:
            raise UsageError(f"run {run_path.name} is tier {manifest.get('tier')}, not {args.tier}")
        named = [name for name in args.names if name != "all"]
        if named:  # calibrate only the named benchmarks of the run
            benchmarks = [b for b in benchmarks if b.name in named]
    else:
        benchmarks = select(args.names, args.tag)
        run_path = new_run(benchmarks, args.tier, seeds, args.device, True)
        if execute_run(run_path, benchmarks, args.tier, seeds, args.device, True, args.timeout):
            return 130
    output = baselines_dir() / f"{args.tier}.json" if args.output is None else Path(args.output)
    previous = json.loads(output.read_text()) if output.exists() else {}
    baseline = build_baseline(args.tier, {b.name: b for b in benchmarks}, results.load_records(run_path), previous,
                              run_path.name)
    output.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write_bytes(output, (json.dumps(baseline, indent=1) + "\n").encode())
    print_baseline(baseline)
    print()
    print_power(baseline)
    print(f"\nwrote {output}", file=sys.stderr)
    for problem in baseline["problems"]:
        print(f"not calibrated: {problem}", file=sys.stderr)
    return 1 if baseline["problems"] else 0


def command_calibrate_full(args) -> int:
    """Measure the full tier (or read a full-tier run) and write the port's calibration into baselines/full.json.

    Only the port's measurement is written: the reported values, claims and rules stay in the
    benchmarks. A metric calibrated again replaces its entry; every other entry is kept.
    """
    from suite import full_calibration
    from suite.cli import UsageError, check_run_arguments, execute_run, new_run, open_run, select

    if args.restamp or args.power:
        raise UsageError("--restamp and --power are for the quick gate; the full tier is recalibrated from a run "
                         "(--seeds N, or --from-run RUN)")
    seeds = check_run_arguments(args)
    output = full_calibration.path() if args.output is None else Path(args.output)
    try:
        previous = full_calibration.load(output)
    except full_calibration.CalibrationError as error:
        raise UsageError(str(error)) from None
    if args.from_run:
        run_path, manifest, benchmarks = open_run(args.from_run)
        if manifest.get("tier") != "full":
            raise UsageError(f"run {run_path.name} is tier {manifest.get('tier')}, not full")
        named = [name for name in args.names if name != "all"]
        if named or args.tag:
            wanted = {b.name for b in select(named or ["all"], args.tag)}
            benchmarks = [b for b in benchmarks if b.name in wanted]
    else:
        benchmarks = select(args.names, args.tag)
    benchmarks = [b for b in benchmarks if full_calibration.calibrated_references(b)]
    if not benchmarks:
        raise UsageError("none of these benchmarks has a two-sided claim whose bound comes from baselines/full.json")
    if not args.from_run:
        run_path = new_run(benchmarks, "full", seeds, args.device, True)
        if execute_run(run_path, benchmarks, "full", seeds, args.device, True, args.timeout):
            return 130
    records = results.load_records(run_path)
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


def command_restamp(args) -> int:
    """Carry a baseline over a change of benchmark code that cannot change what it measures.

    A change of the code that computes a benchmark (a refactor of its training loop, a renamed
    helper) changes its code version, and the gate then warns that the baseline was measured on
    other code. Prose (docstrings, comments, notes) does not count. Recalibrating costs the whole
    spread again (hours for the convnets); but when the change is meant to be neutral, one seed
    settles it: seed 1 is deterministic, so if it reproduces every calibrated metric bit for bit,
    the calibration still describes the code. The bounds are left as they are; the entry records
    the evidence.
    """
    from suite.cli import UsageError, check_run_arguments, execute_run, new_run, select

    check_run_arguments(args)
    output = baselines_dir() / f"{args.tier}.json" if args.output is None else Path(args.output)
    if not output.exists():
        raise UsageError(f"{output} does not exist: calibrate first (python -m suite calibrate --tier {args.tier})")
    baseline = json.loads(output.read_text())
    entries = baseline.get("benchmarks", {})
    chosen = select(args.names, args.tag)
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

    run_path = new_run(stale, args.tier, 1, args.device, True)
    if execute_run(run_path, stale, args.tier, 1, args.device, True, args.timeout):
        return 130
    fresh = {r["benchmark"]: r for r in results.load_records(run_path)}
    refused = []
    for benchmark in stale:
        entry = entries[benchmark.name]
        moved = restamp_differences(entry, fresh.get(benchmark.name))
        if moved:
            refused.append(benchmark.name)
            print(f"{benchmark.name}: not restamped, seed 1 differs from its calibration: {'; '.join(moved)}. "
                  f"Recalibrate: python -m suite calibrate --tier {args.tier} {benchmark.name}", file=sys.stderr)
            continue
        entry["restamped"] = {
            "at": results.utc_now(), "run_id": run_path.name, "seed": 1,
            "previous_code_version": entry.get("code_version"),
            "evidence": "seed 1 reproduced every calibrated metric bit for bit under the new code",
        }
        entry["code_version"] = benchmark.code_version()
        print(f"{benchmark.name}: restamped (seed 1 reproduced {len(entry['metrics'])} metric(s) exactly)",
              file=sys.stderr)
    if len(refused) < len(stale):
        baseline["updated_at"] = results.utc_now()
        files.atomic_write_bytes(output, (json.dumps(baseline, indent=1) + "\n").encode())
        print(f"wrote {output}", file=sys.stderr)
    return 1 if refused else 0


def restamp_differences(entry: dict, record: dict | None) -> list[str]:
    """What seed 1 of a fresh run changed against a baseline entry: empty when every metric is identical."""
    if record is None or record.get("status") != "ok":
        status = "no record" if record is None else f"{record.get('status')}: {record.get('error', '')[:200]}"
        return [f"the run did not finish ({status})"]
    position = entry["seeds"].index(1)
    moved = []
    for metric, calibration in entry["metrics"].items():
        if len(calibration["values"]) != len(entry["seeds"]):
            moved.append(f"{metric}: some seeds were not finite at calibration, so seed 1's value is unknown")
            continue
        expected = calibration["values"][position]
        measured = record["metrics"].get(metric)
        if measured is None or float(measured) != float(expected):
            moved.append(f"{metric} {expected!r} -> {measured!r}")
    return moved


def command_power(args) -> int:
    """The gate's power over the committed baseline (suite.gate_power), without running anything."""
    from suite import verdict
    from suite.cli import UsageError

    output = baselines_dir() / f"{args.tier}.json" if args.output is None else Path(args.output)
    try:
        baseline = verdict.load_baseline(args.tier, output.parent) if output.exists() else None
    except verdict.BaselineError as error:
        raise UsageError(str(error)) from None
    if not baseline:
        raise UsageError(f"{output} does not exist: calibrate first (python -m suite calibrate --tier {args.tier})")
    return 1 if print_power(baseline) else 0


def print_power(baseline: dict) -> bool:
    """Print what each gated metric of ``baseline`` can catch (suite.gate_power); True when any is flagged."""
    from suite import gate_power, registry

    benchmarks = {name: cls() for name, cls in registry.discover().items()}
    rows = gate_power.assess(baseline, gate_power.failing_claims_of(benchmarks))
    gate_power.print_power(rows, documented=gate_power.judged_as_documented(benchmarks))
    return any(row.flagged for row in rows)


def print_baseline(baseline: dict) -> None:
    print(f"{'benchmark':28} {'metric':22} {'n':>3} {'m':>3} {'mean':>10} {'std':>9} {'bounds':>24} "
          f"{'P(false alarm)':>15}")
    for name, entry in baseline["benchmarks"].items():
        for metric, c in entry["metrics"].items():
            bounds = f"[{c['low']:.4g}, {c['high']:.4g}]"
            print(f"{name:28} {metric:22} {c['n']:>3} {c.get('gate_seeds', 1):>3} {c['mean']:>10.4g} "
                  f"{c['std']:>9.3g} {bounds:>24} {c['false_alarm']:>15.2e}")
    print(f"\n{baseline['metrics_in_gate']} metrics; estimated false-alarm rate of the gate "
          f"{baseline['estimated_false_alarm_rate']:.2%} (target < {FAMILY_FALSE_ALARM:.0%}).")
