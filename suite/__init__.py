"""keras-repro's public API for benchmark authors: Benchmark, Reference, Settings, Source, register.

The public surface is small on purpose: a benchmark author needs ``Benchmark``,
``register``, ``Source``, ``Reference``, ``Settings`` and ``Outcome``; everything
else (seeding, devices, data loading, timing, files) belongs to the runner.
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing on CPU machines, oneDNN notices)
# drowns the progress display; Python-level errors are unaffected. Set the variable
# yourself to see it again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from suite.reference import Reference  # noqa: E402
from suite.registry import (  # noqa: E402
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
