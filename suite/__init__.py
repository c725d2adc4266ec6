"""keras-repro: do documented Keras experiments still reproduce on this stack?

The public surface is small on purpose: a benchmark author needs ``Benchmark``,
``register``, ``Source``, ``Reference``, ``Settings`` and ``Outcome``; everything
else (seeding, devices, data loading, timing, files) belongs to the runner.
"""

from suite.reference import Reference
from suite.registry import (
    Benchmark,
    Outcome,
    Settings,
    Source,
    discover,
    get,
    register,
    registered,
)

__all__ = [
    "Benchmark",
    "Outcome",
    "Reference",
    "Settings",
    "Source",
    "discover",
    "get",
    "register",
    "registered",
]
