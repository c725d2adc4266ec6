"""Verdict logic: two-sided, one-sided, divergence, per-seed judging, outcomes, job statuses."""

from __future__ import annotations

import math

import pytest

from suite import Reference
from suite.judge.verdict import (
    ERROR,
    NOT_REPRODUCED,
    REPRODUCED,
    SKIPPED,
    TIMEOUT,
    UNJUDGED,
    Stats,
    judge_benchmark,
    judge_reference,
)
from suite.reference import SeedOutcome as Outcome


def record(value=None, status="ok", metric="acc", error=""):
    return {"status": status, "metrics": {} if value is None else {metric: value}, "error": error}


def test_two_sided_is_judged_on_the_mean_not_on_each_seed():
    reference = Reference("acc", 0.98, bounds=(0.975, 0.985), note="test")
    # One seed falls outside, the mean is inside: reproduced on the mean.
    assert judge_reference(reference, [0.972, 0.981, 0.984]).verdict == REPRODUCED
    assert judge_reference(reference, [0.970, 0.971, 0.972]).verdict == NOT_REPRODUCED
    assert judge_reference(reference, [0.986, 0.99]).verdict == NOT_REPRODUCED


def test_bounds_are_inclusive():
    reference = Reference("acc", 0.98, bounds=(0.975, 0.985), note="test")
    assert judge_reference(reference, [0.975]).verdict == REPRODUCED
    assert judge_reference(reference, [0.985]).verdict == REPRODUCED


def test_one_sided_claims():
    at_least = Reference.at_least("acc", 0.85, value=0.9247, note="source: target > 0.85")
    at_most = Reference.at_most("loss", 0.5, note="test")
    assert judge_reference(at_least, [0.90, 0.91]).verdict == REPRODUCED
    assert judge_reference(at_least, [0.80, 0.84]).verdict == NOT_REPRODUCED
    assert judge_reference(at_most, [0.4]).verdict == REPRODUCED
    assert judge_reference(at_most, [0.6]).verdict == NOT_REPRODUCED


def test_a_non_finite_value_never_satisfies_a_numeric_claim():
    assert judge_reference(Reference.at_most("loss", 0.5, note="t"), [math.nan]).verdict == NOT_REPRODUCED
    assert judge_reference(Reference.at_least("acc", 0.5, note="t"), [math.inf]).verdict == NOT_REPRODUCED


def test_divergence_reproduces_when_every_seed_diverges():
    reference = Reference.diverges("final_loss", note="source: Loss is infinite")
    assert judge_reference(reference, [math.inf, math.nan]).verdict == REPRODUCED
    assert judge_reference(reference, [math.inf, 2.3]).verdict == NOT_REPRODUCED


def test_every_seed_and_fraction_judging():
    every = Reference.at_least("acc", 0.9, note="t", judged_on="every_seed")
    assert judge_reference(every, [0.95, 0.91, 0.92]).verdict == REPRODUCED
    assert judge_reference(every, [0.99, 0.99, 0.85]).verdict == NOT_REPRODUCED
    most = Reference.at_least("acc", 0.9, note="t", judged_on="fraction", min_fraction=0.6)
    assert judge_reference(most, [0.99, 0.99, 0.85]).verdict == REPRODUCED
    assert judge_reference(most, [0.99, 0.85, 0.85]).verdict == NOT_REPRODUCED


def test_outcomes_are_counted_per_seed():
    reference = Reference.at_least(
        "loss", 0.4, note="t", judged_on="every_seed",
        outcomes=(Outcome("separates, loss near 0.5", 0.4, 0.7), Outcome("fails, loss near 1", 0.7, 1.3)),
    )
    verdict = judge_reference(reference, [0.5, 0.52, 1.0, 0.98, 2.0])
    assert verdict.outcome_counts == {"separates, loss near 0.5": 2, "fails, loss near 1": 2, "other": 1}


def test_stats_mean_std_and_student_t_interval():
    stats = Stats.of([1.0, 2.0, 3.0])
    assert stats.mean == pytest.approx(2.0)
    assert stats.std == pytest.approx(1.0)
    assert stats.ci95 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) = 4.3027
    single = Stats.of([0.5])
    assert single.n == 1 and math.isnan(single.std)
    assert "single seed" in single.describe()


def test_reference_rejects_bad_declarations():
    with pytest.raises(ValueError, match="not ordered"):
        Reference("acc", 0.9, bounds=(0.95, 0.85))
    with pytest.raises(ValueError, match="needs bounds"):
        Reference("acc", 0.9)
    with pytest.raises(ValueError, match="threshold"):
        Reference("acc", 0.9, kind="at_least")


def test_benchmark_verdict_precedence():
    reference = Reference("acc", 0.98, bounds=(0.97, 0.99), note="t")
    assert judge_benchmark("b", (reference,), [record(0.98), record(0.98)]).verdict == REPRODUCED
    assert judge_benchmark("b", (reference,), [record(0.98), record(0.5)]).verdict == NOT_REPRODUCED
    errored = judge_benchmark("b", (reference,), [record(0.98), record(status="error", error="Boom\ntrace")])
    assert errored.verdict == ERROR and errored.detail == "Boom"
    assert judge_benchmark("b", (reference,), [record(status="timeout")]).verdict == TIMEOUT
    skipped = judge_benchmark("b", (reference,), [record(status="skipped", error="needs a GPU")])
    assert skipped.verdict == SKIPPED and "GPU" in skipped.detail
    assert judge_benchmark("b", (reference,), [record(0.98)], judged=False).verdict == UNJUDGED


def test_a_missing_metric_is_not_reproduced():
    reference = Reference("acc", 0.98, bounds=(0.97, 0.99), note="t")
    verdict = judge_benchmark("b", (reference,), [record(0.5, metric="other")])
    assert verdict.verdict == NOT_REPRODUCED
    assert "not measured" in verdict.detail


def test_a_per_seed_rule_is_described_by_its_count():
    from suite.judge.verdict import judge_reference

    fraction = Reference("test_accuracy", 0.708, bounds=(0.62, 0.75), judged_on="fraction", min_fraction=0.2)
    judged = judge_reference(fraction, [0.79, 0.79, 0.70])
    assert judged.per_seed and judged.verdict == "REPRODUCED"
    assert judged.describe_count() == "1 of 3 seeds in [0.62, 0.75], needs ≥ 20 %"
    every = judge_reference(Reference.at_least("final_loss", 0.5, judged_on="every_seed"), [1.0, 0.4])
    assert every.describe_count() == "1 of 2 seeds >= 0.5, needs all" and every.verdict == "NOT REPRODUCED"
    diverged = judge_reference(Reference.diverges("final_loss"), [float("inf")] * 3)
    assert diverged.describe_count() == "3 of 3 seeds diverge (inf / NaN), needs all"
    assert not judge_reference(Reference("a", 1.0, bounds=(0.9, 1.1)), [1.0]).per_seed
