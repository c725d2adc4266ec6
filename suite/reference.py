"""What a source document claims, and how far from it a measurement may land.

A ``Reference`` is one claim about one metric. Four kinds cover the sources:

* two-sided bounds around a reported number ("test accuracy 0.9776"): declared with
  ``Reference.calibrated``, their bounds and note come from the port's calibration in
  ``baselines/full.json`` (``suite.judge.full_calibration``);
* ``at_least`` / ``at_most`` for one-sided claims ("> 0.85", "the loss stays >= 0.5");
* ``diverges`` for "Loss is infinite".

Every bound carries a ``note`` saying how it was chosen (seeds, mean, std, versions,
date): a bound nobody can explain is a bound nobody can trust. For a calibrated bound the
note is generated from the calibration it was derived from, never written by hand; a
one-sided or divergence claim's note says why its threshold is what it is, and ends with
how the port's seeds landed, from ``observed`` in the same file (``suite.judge.observations``).

How the claim is judged over seeds is part of the claim: on the mean (the default);
in every seed ("it always fails"); or in at least ``min_fraction`` of the seeds.
``outcomes`` name the distinct results a small network can land in (a relu unit
that dies or not), so the report can say how often each occurred instead of
quoting a mean that describes no real run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from suite.text import number

KINDS = ("between", "at_least", "at_most", "diverges")
JUDGED_ON = ("mean", "every_seed", "fraction")


@dataclass(frozen=True)
class SeedOutcome:
    """A named range of values one seed can land in, e.g. ("fails, loss near 1", 0.8, 1.2)."""

    label: str
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Reference:
    """One claim of a source about one metric.

    ``value`` is the number the source reports (shown beside ours; may be None when
    the source only states a threshold). ``bounds`` is ``(low, high)`` for the
    two-sided kind.
    """

    metric: str
    value: float | None = None
    bounds: tuple[float, float] | None = None
    note: str = ""
    kind: str = "between"
    threshold: float | None = None
    judged_on: str = "mean"
    min_fraction: float = 1.0
    outcomes: tuple[SeedOutcome, ...] = field(default_factory=tuple)
    claim: str = ""  # the source's words, quoted in the report
    uses_calibration: bool = False
    calibration: dict | None = field(default=None, hash=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Reference {self.metric!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.judged_on not in JUDGED_ON:
            raise ValueError(f"Reference {self.metric!r}: judged_on {self.judged_on!r} is not one of {JUDGED_ON}")
        if self.uses_calibration and self.kind != "between":
            raise ValueError(f"Reference {self.metric!r}: only a two-sided reference is calibrated")
        if self.uses_calibration and self.value is None:
            raise ValueError(f"Reference {self.metric!r}: a calibrated bound is centred on the reported value")
        if self.kind == "between" and self.uses_calibration and self.bounds is None:
            if self.judged_on != "mean":
                raise ValueError(f"Reference {self.metric!r}: a claim judged per seed declares its band=(low, high)")
        elif self.kind == "between":
            if self.bounds is None or len(self.bounds) != 2:
                raise ValueError(f"Reference {self.metric!r}: a two-sided reference needs bounds=(low, high)")
            low, high = self.bounds
            if not low <= high:
                raise ValueError(f"Reference {self.metric!r}: bounds {self.bounds} are not ordered (low <= high)")
        if self.kind in ("at_least", "at_most") and self.threshold is None:
            raise ValueError(f"Reference {self.metric!r}: a one-sided reference needs a threshold")
        if not 0.0 < self.min_fraction <= 1.0:
            raise ValueError(f"Reference {self.metric!r}: min_fraction must be in (0, 1]")

    # -- constructors that read like the claims -------------------------------------------
    @classmethod
    def at_least(cls, metric: str, threshold: float, *, value: float | None = None, note: str = "", **kw) -> Reference:
        """The claim holds when the metric is >= ``threshold`` ("target > 0.85")."""
        return cls(metric, value, kind="at_least", threshold=threshold, note=note, **kw)

    @classmethod
    def at_most(cls, metric: str, threshold: float, *, value: float | None = None, note: str = "", **kw) -> Reference:
        """The claim holds when the metric is <= ``threshold``."""
        return cls(metric, value, kind="at_most", threshold=threshold, note=note, **kw)

    @classmethod
    def diverges(cls, metric: str = "final_loss", *, note: str = "", **kw) -> Reference:
        """The claim holds when the metric is not finite (inf or NaN): training blew up."""
        kw.setdefault("judged_on", "every_seed")
        return cls(metric, math.inf, kind="diverges", note=note, **kw)

    @classmethod
    def calibrated(cls, metric: str, value: float, *, band: tuple[float, float] | None = None,
                         note: str = "", **kw) -> Reference:
        """A two-sided claim around the reported ``value``, its bound derived from ``baselines/full.json``.

        The bound is centred on ``value`` with a half-width of max(3 std of the port, floor), and its
        note is generated from the calibration (see ``suite.judge.full_calibration``). A claim judged per
        seed names the ``band`` of its outcome instead; the calibration then only fills the note.
        ``note`` adds what the calibration cannot say (why a claim is judged per seed, say).
        """
        if band is not None and kw.get("judged_on", "mean") == "mean":
            raise ValueError(f"Reference {metric!r}: a band is for a claim judged per seed; a claim judged on "
                             "the mean gets its bounds from baselines/full.json")
        return cls(metric, value, bounds=tuple(band) if band is not None else None, note=note, uses_calibration=True, **kw)

    # -- judging one value ------------------------------------------------------------------
    @property
    def low(self) -> float | None:
        if self.kind == "between":
            return self.bounds[0] if self.bounds else None
        return self.threshold if self.kind == "at_least" else None

    @property
    def high(self) -> float | None:
        if self.kind == "between":
            return self.bounds[1] if self.bounds else None
        return self.threshold if self.kind == "at_most" else None

    def holds_for(self, value: float | None) -> bool:
        """Does one measured value satisfy the claim? A missing value never does."""
        if value is None:
            return False
        if self.kind == "diverges":
            return not math.isfinite(value)
        if not math.isfinite(value):
            return False
        if self.kind == "at_least":
            return value >= self.threshold
        if self.kind == "at_most":
            return value <= self.threshold
        if self.bounds is None:
            raise ValueError(f"{self.metric}: no calibration in baselines/full.json, so no bounds to judge against "
                             "(python -m suite calibrate --tier full NAME)")
        low, high = self.bounds
        return low <= value <= high

    def describe_bounds(self) -> str:
        """The acceptance region in one short human string: "[0.975, 0.982]", ">= 0.85", "non-finite"."""
        if self.kind == "between" and self.bounds is None:
            return "not calibrated"
        if self.kind == "between":
            return f"[{number(self.bounds[0])}, {number(self.bounds[1])}]"
        if self.kind == "at_least":
            return f">= {number(self.threshold)}"
        if self.kind == "at_most":
            return f"<= {number(self.threshold)}"
        return "inf / NaN"

    # -- as stored in a record ------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON data: a run stores the references it was judged against, as they stood then."""
        return {"metric": self.metric, "value": self.value, "bounds": list(self.bounds) if self.bounds else None,
                "note": self.note, "kind": self.kind, "threshold": self.threshold, "judged_on": self.judged_on,
                "min_fraction": self.min_fraction, "claim": self.claim,
                "outcomes": [[o.label, o.low, o.high] for o in self.outcomes],
                "uses_calibration": self.uses_calibration, "calibration": self.calibration}

    @classmethod
    def from_dict(cls, data: dict) -> Reference:
        bounds = data.get("bounds")
        return cls(data["metric"], data.get("value"), bounds=tuple(bounds) if bounds else None,
                   note=data.get("note", ""), kind=data.get("kind", "between"), threshold=data.get("threshold"),
                   judged_on=data.get("judged_on", "mean"), min_fraction=data.get("min_fraction", 1.0),
                   claim=data.get("claim", ""), uses_calibration=bool(data.get("uses_calibration", False)),
                   calibration=data.get("calibration"),
                   outcomes=tuple(SeedOutcome(str(label), low, high) for label, low, high in data.get("outcomes", ())))

    def differences(self, other: Reference) -> list[str]:
        """What changed from this reference to ``other``, in words (for ``report --rejudge``)."""
        changed = []
        if (self.kind, self.bounds, self.threshold) != (other.kind, other.bounds, other.threshold):
            changed.append(f"bounds {self.describe_bounds()} -> {other.describe_bounds()}")
        if self.value != other.value:
            changed.append(f"reported value {self.value} -> {other.value}")
        if (self.judged_on, self.min_fraction) != (other.judged_on, other.min_fraction):
            changed.append(f"rule {self.judged_on} -> {other.judged_on}")
        return changed
