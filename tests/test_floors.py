"""The floor tables: each kind of metric gets its floor, and the two rules differ only where they say so."""

from __future__ import annotations

import pytest

from suite.judge.floors import FULL_TIER, QUICK_GATE


@pytest.mark.parametrize(("metric", "value", "quick", "full"), [
    ("test_accuracy", 0.97, 0.005, 0.005),
    ("val_acc", 0.97, 0.005, 0.005),
    ("test_errors", 540, 50, 50.0),
    ("no_dropout_batches_to_target", 120.0, 10, 12.0),
    ("final_loss", 0.5, 0.015, 0.05),
    ("mse_gap", -0.2, 0.006, 0.02),
])
def test_each_kind_of_metric_gets_its_floor(metric, value, quick, full):
    assert QUICK_GATE.floor_for(metric, value) == pytest.approx(quick)
    assert FULL_TIER.floor_for(metric, value) == pytest.approx(full)


def test_a_relative_floor_of_zero_is_kept_from_zero_only_where_the_gate_needs_it():
    assert QUICK_GATE.floor_for("final_loss", 0.0) == 1e-6
    assert FULL_TIER.floor_for("final_loss", 0.0) == 0.0
