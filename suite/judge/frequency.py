"""The gate of an outcome that happens in some seeds and not in others: how often it happens, a binomial bound.

Some claims are lotteries at their documented settings: a net on the two spirals separates them in about
half of its initialisations, and no bound around the mean of a few seeds can tell a regression from a bad
draw. What is stable there is the outcome's frequency. A benchmark names such a metric in
``Benchmark.gate_frequencies``: it is 1.0 in a seed where the outcome happened and 0.0 where it did not.

Calibration counts the ``k`` successes of ``n`` seeds. A gate run trains ``m`` seeds (``gate_seeds``) and
counts ``X``; it fails when ``X < c``. ``c`` is the largest count whose false-alarm probability, under the
beta-binomial predictive of a clean run (the success rate drawn from its Jeffreys posterior
Beta(k + 1/2, n - k + 1/2), then ``X`` ~ Binomial(m, rate)), stays within the metric's share of the gate's
false-alarm budget, ``alpha`` = 1 % / M (the Bonferroni share every calibrated metric gets). The bound is
written as the gate judges every metric, on the mean of its seeds: ``low`` = c / m, ``high`` = 1.

Its power is stated as a rate: the highest success rate that a gate run still fails with probability
``POWER`` (90 %). The gate exists to catch the outcome becoming half as frequent; ``seeds_to_catch``
gives the ``m`` that does, which a benchmark declares as its ``gate_seeds``.
"""

from __future__ import annotations

import math

#: Flagged by ``calibrate --power`` when a gate run cannot catch the success rate falling to this share of
#: its calibrated value.
RATE_FALL = 0.5


def _predictive(successes: int, n: int, gate_seeds: int):
    from scipy import stats

    return stats.betabinom(gate_seeds, successes + 0.5, n - successes + 0.5)


def fail_below(successes: int, n: int, gate_seeds: int, alpha: float) -> tuple[int, float]:
    """``(c, false alarm)``: a gate run of ``gate_seeds`` seeds fails when fewer than ``c`` succeed."""
    predictive = _predictive(successes, n, gate_seeds)
    count = 0
    while count < gate_seeds and predictive.cdf(count) <= alpha:
        count += 1
    return count, float(predictive.cdf(count - 1)) if count else 0.0


def rate_caught(count: int, gate_seeds: int, power: float) -> float:
    """The highest success rate at which fewer than ``count`` of ``gate_seeds`` seeds succeed with ``power``."""
    from scipy import stats

    if count <= 0:
        return 0.0
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if stats.binom.cdf(count - 1, gate_seeds, middle) >= power else (low, middle)
    return low


def frequency_bounds(values: list[float], metrics_in_gate: int, gate_seeds: int, family_false_alarm: float) -> dict:
    """A baseline entry for a 0/1 metric (its ``values`` per calibration seed): bounds on the mean of a gate run."""
    n, successes = len(values), int(sum(1 for value in values if value >= 0.5))
    alpha = family_false_alarm / max(metrics_in_gate, 1)
    count, false_alarm = fail_below(successes, n, gate_seeds, alpha)
    rate = successes / n if n else math.nan
    std = math.sqrt(rate * (1 - rate) * n / (n - 1)) if n > 1 else math.nan
    return {
        "kind": "frequency", "values": values, "n": n, "successes": successes, "mean": rate, "std": std,
        "gate_seeds": gate_seeds, "fail_below": count, "low": count / gate_seeds, "high": 1.0,
        "half_width": rate - count / gate_seeds,
        "rule": (f"binomial: fails when fewer than {count} of m={gate_seeds} seeds succeed ({successes} of {n} did "
                 f"at calibration); P(false alarm) <= {alpha:.2g} under the beta-binomial predictive"),
        "false_alarm": false_alarm,
    }


def seeds_to_catch(successes: int, n: int, alpha: float, power: float, fall: float = RATE_FALL,
                   most: int = 400) -> int | None:
    """The fewest gate seeds whose run catches the success rate falling to ``fall`` of ``successes / n``."""
    target = fall * successes / n
    for gate_seeds in range(1, most + 1):
        count, _ = fail_below(successes, n, gate_seeds, alpha)
        if rate_caught(count, gate_seeds, power) >= target:
            return gate_seeds
    return None
