"""The quick gate's calibration: bounds from the spread of many seeds, the baseline ``python -m suite calibrate`` writes.

``--tier full`` writes the port's calibration behind the full tier's two-sided bounds instead
(``baselines/full.json``, see ``suite.judge.full_calibration``); the rest of this docstring is the quick gate's.

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
always separates): half a point for accuracies, 3 % for losses (``suite.judge.floors``). An accuracy cannot leave [0, 1]
nor a loss or a count go below 0, so a bound beyond is cut back to what the metric can be.
"""

from __future__ import annotations

import math

from suite.judge import frequency, numerics
from suite.judge.floors import QUICK_GATE
from suite.judge.verdict import Stats, t_quantile

#: The rule as every quick baseline stores it (``"rule"``): data, so an edit of the docstring above, which
#: explains it, changes no baseline file. The text is the one the committed files hold, its opening sentence
#: included (it was read from this docstring once); a change of it is a change of the files the next
#: calibration writes.
RULE = (
    "The reduced tiers have no documented numbers, so the regression gate judges them against what this suite "
    "measured before: ``baselines/<tier>.json``. For every benchmark and every metric it has a claim about, the "
    "baseline stores the per-seed values, their mean and standard deviation, and bounds made by one rule: "
    "half-width = max(k * s * sqrt(1/m + 1/n), floor), clipped to the metric's possible range; a 0/1 outcome "
    "(``kind: frequency``) is bounded instead by the count of m seeds below which a clean run falls with "
    "probability at most alpha (suite.judge.frequency)"
)
FAMILY_FALSE_ALARM = 0.01
MIN_SEEDS = 3
QUICK_SEEDS = 8


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
    floor = QUICK_GATE.floor_for(metric, mean)
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


def bounds_of(metric: str, calibration: dict, metrics_in_gate: int, gate_seeds: int) -> dict:
    """The bounds of one calibrated metric by its kind: a 0/1 outcome's frequency (``suite.judge.frequency``)
    or a measurement's Student-t prediction interval (``entry_bounds``)."""
    if calibration.get("kind") == "frequency":
        return frequency.frequency_bounds(calibration["values"], metrics_in_gate, gate_seeds, FAMILY_FALSE_ALARM)
    return entry_bounds(metric, calibration["values"], metrics_in_gate, gate_seeds)


def calibrated_metrics(benchmark) -> list[str]:
    """The metrics the gate calibrates: ``gate_metrics``, else those the benchmark makes claims about (a
    divergence claim, and those in ``gate_as_documented``, are judged as documented)."""
    if benchmark.gate_metrics is not None:
        return list(benchmark.gate_metrics)
    return [r.metric for r in benchmark.references
            if r.kind != "diverges" and r.metric not in benchmark.gate_as_documented]


def build_baseline(tier: str, benchmarks: dict, records: list[dict], previous: dict, run_id: str, *,
                   now: str, git_commit: str) -> dict:
    """Merge the new measurements into the previous baseline and recompute every bound with the current M.

    ``now`` (UTC, ISO 8601) and ``git_commit`` stamp the entries calibrated here and the file.
    """
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
            if metric in benchmark.gate_frequencies:
                metrics[metric]["kind"] = "frequency"
        entries[name] = {
            "metrics": metrics,
            "gate_seeds": benchmark.gate_seeds,
            "seeds": sorted(r["seed"] for r in mine),
            "weights_sha256": {str(r["seed"]): r.get("weights_sha256") for r in sorted(mine, key=lambda r: r["seed"])},
            "code_version": version,
            "calibrated_at": now,
            "run_id": run_id,
            # The calibration's environment, and its hashes as the first bit reference (``suite.judge.numerics``):
            # what a later gate run must share for its weights to be compared bit for bit with these.
            "environment": numerics.environment_of(mine),
            "bits": [bit_reference(mine, run_id, now)],
        }
    total = sum(len(entry["metrics"]) for entry in entries.values())
    alarm = 0.0
    for entry in entries.values():
        for metric, calibration in entry["metrics"].items():
            calibration.update(bounds_of(metric, calibration, total, entry.get("gate_seeds", 1)))
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
        "updated_at": now,
        "git_commit": git_commit,
        "benchmarks": dict(sorted(entries.items())),
        "problems": problems,
    }


def bit_reference(records: list[dict], run_id: str, now: str) -> dict:
    """The hashes of ``records`` with the environment they were computed in: one entry of a baseline's ``bits``."""
    ordered = sorted(records, key=lambda r: r["seed"])
    return {"environment": numerics.environment_of(ordered), "run_id": run_id, "recorded_at": now,
            "weights_sha256": {str(r["seed"]): r.get("weights_sha256") for r in ordered}}


def add_bit_reference(entry: dict, reference: dict) -> None:
    """Put ``reference`` beside the entry's others, replacing one of the very same environment."""
    kept = [other for other in numerics.bit_references(entry) if other.get("environment") != reference["environment"]]
    entry["bits"] = kept + [reference]


def restamp_differences(entry: dict, record: dict | None) -> list[str]:
    """What seed 1 of a fresh run changed against a baseline entry: empty when its weights match the hash recorded
    for this environment (and, in the calibration's own environment, every calibrated metric is identical)."""
    if record is None or record.get("status") != "ok":
        status = "no record" if record is None else f"{record.get('status')}: {record.get('error', '')[:200]}"
        return [f"the run did not finish ({status})"]
    expected_hash, why_not = numerics.comparable(record, numerics.bit_references(entry))
    if why_not:
        return [f"seed 1 ran where its bits cannot be compared with the baseline's ({why_not}), so a refactor "
                "cannot be told from a change of the numerics; restamp on a machine whose hashes the entry "
                "records, or calibrate the benchmark again"]
    moved = [] if record.get("weights_sha256") == expected_hash else ["the weights of seed 1 differ from its recorded hash"]
    if numerics.differences(record, entry.get("environment") or {}):
        return moved  # hashes recorded on another machine than the calibration's: its values were other bits'
    position = entry["seeds"].index(1)
    for metric, calibration in entry["metrics"].items():
        if len(calibration["values"]) != len(entry["seeds"]):
            moved.append(f"{metric}: some seeds were not finite at calibration, so seed 1's value is unknown")
            continue
        expected = calibration["values"][position]
        measured = record["metrics"].get(metric)
        if measured is None or float(measured) != float(expected):
            moved.append(f"{metric} {expected!r} -> {measured!r}")
    return moved


def restamp(entry: dict, code_version: str, *, run_id: str, now: str) -> None:
    """Carry ``entry`` over to ``code_version``, recording the evidence (seed 1 of ``run_id``, identical)."""
    entry["restamped"] = {
        "at": now, "run_id": run_id, "seed": 1,
        "previous_code_version": entry.get("code_version"),
        "evidence": "seed 1 reproduced every calibrated metric bit for bit under the new code",
    }
    entry["code_version"] = code_version
