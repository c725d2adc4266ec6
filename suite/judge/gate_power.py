"""The power of the regression gate: which regression each gated metric can catch, and which it cannot.

A bound that no plausible regression can cross is a check that cannot fail. For every metric in a
baseline this module computes the smallest shift of the metric's true mean that one gate run (the
mean of the ``m`` seeds ``tox -e regression`` runs of the benchmark, ``gate_seeds``) catches with
probability ``POWER``, under the same Student-t predictive model the bounds were made with:

    detectable shift = distance from the mean to the bound + t(POWER, n-1) * s * sqrt(1/m + 1/n)

(the lower bound for a drop, the upper one for a rise)

and flags the metrics whose detectable shift is larger than the regression the gate exists for:

* an accuracy that cannot catch a drop of ``ACCURACY_DROP`` (2 points), or whose bounds leave [0, 1];
* for a claim that a net fails (a documented upper bound on an accuracy), an upper bound above
  ``FAILING_NET_CEILING``: the gate would not notice the net starting to learn;
* a loss that cannot catch a rise of ``LOSS_RISE`` (10 %);
* an outcome's frequency (``suite.judge.frequency``) that cannot catch its success rate falling by half:
  there the detectable shift is the smallest fall of the rate one gate run catches with probability POWER.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

POWER = 0.9
ACCURACY_DROP = 0.02
FAILING_NET_CEILING = 0.9
LOSS_RISE = 0.10


@dataclass(frozen=True)
class MetricPower:
    benchmark: str
    metric: str
    n: int
    gate_seeds: int
    low: float
    high: float
    detectable_shift: float
    problems: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.problems)


def detectable_shift(distance: float, std: float, n: int, gate_seeds: int = 1) -> float:
    """Smallest shift of the true mean that a gate run's mean carries past a bound ``distance`` away,
    with probability POWER."""
    from suite.judge.calibrate import predictive_scale
    from suite.judge.verdict import t_quantile

    if n < 2 or not math.isfinite(std):
        return math.inf
    return distance + t_quantile(POWER, n - 1) * predictive_scale(std, n, gate_seeds)


def kind_of(metric: str) -> str:
    if "accuracy" in metric or metric.endswith("_acc"):
        return "accuracy"
    if "loss" in metric:
        return "loss"
    return "other"


def assess(baseline: dict, failing_claims: set[tuple[str, str]] = frozenset()) -> list[MetricPower]:
    """One row per gated metric; ``failing_claims`` holds (benchmark, metric) whose claim is that a net fails."""
    rows = []
    for name, entry in baseline.get("benchmarks", {}).items():
        for metric, calibration in entry.get("metrics", {}).items():
            if calibration.get("kind") == "frequency":
                rows.append(_frequency_power(name, metric, calibration))
                continue
            low, high, mean = calibration["low"], calibration["high"], calibration.get("mean", math.nan)
            kind = kind_of(metric)
            # A regression lowers an accuracy and raises a loss: the bound it must cross is on that side.
            distance = high - mean if kind == "loss" else mean - low
            gate_seeds = int(calibration.get("gate_seeds", entry.get("gate_seeds", 1)))
            shift = detectable_shift(distance, calibration.get("std", math.nan), int(calibration.get("n", 0)),
                                     gate_seeds)
            problems = []
            if kind == "accuracy":
                if low < 0 or high > 1:
                    problems.append(f"bounds [{low:.3g}, {high:.3g}] leave [0, 1]")
                if (name, metric) in failing_claims:
                    if high > FAILING_NET_CEILING:
                        problems.append(f"upper bound {high:.3g} > {FAILING_NET_CEILING}: a net starting to learn "
                                        "would pass")
                elif shift > ACCURACY_DROP:
                    problems.append(f"catches a drop of {shift:.3g} at the least, not {ACCURACY_DROP}")
            elif kind == "loss":
                if not shift <= LOSS_RISE * abs(mean):
                    problems.append(f"catches a rise of {shift:.3g} at the least, more than "
                                    f"{LOSS_RISE:.0%} of {abs(mean):.3g}")
            rows.append(MetricPower(name, metric, int(calibration.get("n", 0)), gate_seeds, low, high, shift, tuple(problems)))
    return rows


def _frequency_power(name: str, metric: str, calibration: dict) -> MetricPower:
    """A 0/1 outcome gated on its frequency: the fall of the success rate one gate run catches."""
    from suite.judge import frequency

    gate_seeds, rate = int(calibration["gate_seeds"]), calibration["mean"]
    caught = frequency.rate_caught(int(calibration["fail_below"]), gate_seeds, POWER)
    problems = ()
    if caught < frequency.RATE_FALL * rate:
        problems = (f"catches the success rate falling from {rate:.2f} to {caught:.2f} at the least, not to "
                    f"{frequency.RATE_FALL * rate:.2f} (half)",)
    return MetricPower(name, metric, int(calibration["n"]), gate_seeds, calibration["low"], calibration["high"],
                       rate - caught, problems)


def failing_claims_of(benchmarks: dict) -> set[tuple[str, str]]:
    """(benchmark, metric) pairs whose documented claim bounds an accuracy from above: "the net fails"."""
    return {(name, reference.metric) for name, benchmark in benchmarks.items()
            for reference in getattr(benchmark, "references", ())
            if kind_of(reference.metric) == "accuracy" and reference.kind == "at_most"}


def judged_as_documented(benchmarks: dict) -> list[tuple[str, str, str]]:
    """(benchmark, metric, rule) of the claims the gate judges as documented: any seed that breaks one fails."""
    def over_seeds(reference) -> str:
        if reference.judged_on == "fraction":
            return f"in at least {reference.min_fraction:.0%} of the seeds"
        return "in every seed" if reference.judged_on == "every_seed" or reference.kind == "diverges" else "on the mean"

    return [(name, reference.metric, f"judged as documented: {reference.describe_bounds()} {over_seeds(reference)}")
            for name, benchmark in sorted(benchmarks.items()) for reference in benchmark.references
            if reference.kind == "diverges" or reference.metric in benchmark.gate_as_documented]


def ungated(benchmarks: dict, rows: list[MetricPower], documented: list[tuple[str, str, str]]) -> list[str]:
    """Registered benchmarks that nothing of the gate judges: no calibrated metric, no claim judged as documented."""
    judged = {row.benchmark for row in rows} | {name for name, _, _ in documented}
    return sorted(name for name in benchmarks if name not in judged)


def print_power(rows: list[MetricPower], stream=None, documented: list[tuple[str, str, str]] = (),
                ungated: list[str] = ()) -> None:
    import sys

    stream = stream or sys.stdout
    print(f"{'benchmark':34} {'metric':24} {'n':>3} {'m':>3} {'bounds':>22} {'detects':>9}  problem", file=stream)
    for row in rows:
        bounds = f"[{row.low:.4g}, {row.high:.4g}]"
        print(f"{row.benchmark:34} {row.metric:24} {row.n:>3} {row.gate_seeds:>3} {bounds:>22} {row.detectable_shift:>9.3g}  "
              f"{'; '.join(row.problems) or 'ok'}", file=stream)
    for name, metric, rule in documented:
        print(f"{name:34} {metric:24} {'':>3} {'':>3} {'':>22} {'':>9}  {rule}", file=stream)
    for name in ungated:
        print(f"{name:34} {'-':24} {'':>3} {'':>3} {'':>22} {'':>9}  NOT GATED: nothing of the gate judges it on "
              "any machine; give it a statistic (Benchmark.gate_metrics, gate_frequencies) and calibrate it", file=stream)
    flagged = [row for row in rows if row.flagged]
    if ungated:
        print(f"\n{len(ungated)} benchmark(s) not gated at all.", file=stream)
    print(f"\n{len(flagged)} of {len(rows)} gated metrics cannot catch the regression the gate exists for "
          f"(n: calibration seeds; m: seeds per gate run; detects: the smallest shift of the mean one gate "
          f"run catches with probability {POWER:.0%}).",
          file=stream)
