"""The smallest half-width a bound may have, by the kind of metric its name says it is: one table per rule.

A floor keeps a bound from collapsing where every seed gives the same value (a toy net that always
separates): a bound of zero width would fail on the last bit. The two rules that make bounds share
the kinds and differ in one number. The quick gate compares a fresh run with the port's own seeds, so
3 % of a loss is room enough; the full tier compares the port with a number a source printed once, on
another stack, so a loss or a batch count gets 10 % of the reported value. Accuracies and error counts
get half a point in both: 0.005, or 50 test errors out of 10 000.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FloorTable:
    """The floor of each kind of metric under one rule; a metric of no named kind takes ``relative`` of its value."""

    accuracy: float
    errors: float  # test errors out of 10 000: half a point, as for accuracies
    relative: float  # a fraction of the value: losses, and whatever has no floor of its own
    batches: float | None = None  # None: batch counts take the relative floor
    smallest: float = 0.0  # a relative floor never falls below this, so a value of 0 still gets a bound

    def floor_for(self, metric: str, value: float) -> float:
        """The smallest half-width of a bound of ``metric`` around ``value`` (a mean or a reported number)."""
        if "accuracy" in metric or metric.endswith("_acc"):
            return self.accuracy
        if metric.endswith("errors"):
            return self.errors
        if self.batches is not None and "batches" in metric:
            return self.batches
        return max(self.relative * abs(value), self.smallest)


#: The quick gate's (``suite.judge.calibrate``). Batch counts are measured at evaluations every 10 batches
#: (003-c): their floor is one evaluation.
QUICK_GATE = FloorTable(accuracy=0.005, errors=50, relative=0.03, batches=10, smallest=1e-6)
#: The full tier's (``suite.judge.full_calibration``), stored with every entry of ``baselines/full.json``.
FULL_TIER = FloorTable(accuracy=0.005, errors=50.0, relative=0.10)
