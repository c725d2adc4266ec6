"""The environment fingerprint stamped on every record: what a result depends on besides the code."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys

from suite.constants import PROJECT_ROOT


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_count() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """The checkout's commit, with ``-dirty`` when files differ from it; "" outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        if not commit:
            return ""
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def gpu_models() -> list[str]:
    """GPU names as TensorFlow sees them (imports TensorFlow: call it in the worker)."""
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
            names.append(details.get("device_name", device.name))
        except Exception:  # details are best effort; the device name still identifies it
            names.append(device.name)
    return names


def fingerprint(*, deterministic: bool) -> dict:
    """Versions and hardware; computed once per worker process (TensorFlow is already imported there)."""
    import keras
    import numpy
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": cpu_count(),
        "gpu": gpu_models(),
        "cuda_build": bool(tf.test.is_built_with_cuda()),
        "deterministic": deterministic,
        "git_commit": git_commit(),
        "executable": sys.executable,
    }
