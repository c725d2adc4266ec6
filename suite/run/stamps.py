"""What every record of a run carries about its benchmark as it stood: code version, references, source.

Why in the record: a stored run is evidence. Its verdicts must come from the references it was
judged against then, and its report must render without today's benchmark code (or TensorFlow).
Computed once per run, before the first job: the baseline and the code do not change under a
running run.
"""

from __future__ import annotations

from suite.constants import DEFAULT_BACKEND
from suite.registry import Benchmark


def stamps(benchmarks: dict[str, Benchmark], tiers: set[str], backend: str = DEFAULT_BACKEND) -> dict[tuple[str, str], dict]:
    """The stamp of each ``(benchmark, tier)`` of a run: the fields its records share."""
    from suite.judge import baselines

    by_tier = {tier: baselines.load_baseline(tier, backend=backend) for tier in tiers if tier not in ("full", "smoke")}
    stamps = {}
    for tier in tiers:
        for name, benchmark in benchmarks.items():
            try:
                references, judged = baselines.references_for(benchmark, tier, by_tier.get(tier))
            except baselines.BaselineError:
                # Only a full-tier calibration run gets here (``run`` refuses an uncalibrated full tier
                # before it starts): its records are what the calibration is made from, not judged.
                references, judged = (), False
            stamps[(name, tier)] = {
                "code_version": benchmark.code_version(),
                "judged_against": {"judged": judged, "references": [r.to_dict() for r in references],
                                   "baseline": baselines.baseline_provenance(tier, by_tier.get(tier), name, backend)},
                "documented_references": [r.to_dict() for r in benchmark.references],
                "source_cells": benchmark.source.cells,
                "description": benchmark.description,
                "source_curves": dict(benchmark.source_curves or {}),
            }
    return stamps
