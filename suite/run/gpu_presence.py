"""Whether this machine can have a GPU at all, asked of the operating system rather than of a framework.

Why: the driver plans a run (how many GPU workers, which jobs a CPU-only machine skips) before any
worker starts, and counting GPUs through TensorFlow or JAX would import the framework into the
driver: seconds before the first job, and a driver tied to one framework. A GPU any backend can use
has a device node on Linux: ``/dev/nvidia0`` and on (CUDA), ``/dev/kfd`` (ROCm), ``/dev/dxg`` (a GPU
passed into WSL). Without one the count is 0, known without asking a framework; with one, or on
another operating system, the framework is asked as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Device nodes of a GPU a Keras backend can use, as globs under ``/dev``.
GPU_DEVICE_NODES = ("nvidia[0-9]*", "kfd", "dxg")


def gpu_impossible(devices: Path = Path("/dev")) -> bool:
    """True when no backend can see a GPU here: Linux, and no GPU device node under ``devices``."""
    if not sys.platform.startswith("linux"):
        return False
    return not any(next(devices.glob(pattern), None) for pattern in GPU_DEVICE_NODES)
