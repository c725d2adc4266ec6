"""The environment fingerprint stamped on every record: what a result depends on besides the code.

Beyond the versions, it holds what explains a difference between two machines: the
Keras backend and its versions (``jax`` and ``jaxlib`` on JAX), the host, the CPU's generation and vector
extensions (AVX-512 and AMX change which oneDNN kernels run), how TensorFlow was built (CUDA and
cuDNN versions), the GPU model and driver, the ``TF_*``/``XLA_*``/``KERAS_*`` variables in force
and the thread counts. The backend supplies its own part (``suite.backends``: versions, GPUs, threads,
build); on JAX nothing here imports TensorFlow: its version is read from the installed package. The full list
of installed Python packages is long and the same for every job, so it is stored
once per run (``packages.json``, see ``installed_packages``), not in each record.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import socket
import subprocess
import sys

from suite.backends.base import cpu_count  # noqa: F401  (the cores a worker may use, read from here too)
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


#: The /proc/cpuinfo fields that name a CPU's generation: a virtual machine's model name is often only the
#: brand ("AMD EPYC"), shared by generations that run other kernels (Zen 2 without AVX-512, Zen 4 with it).
CPU_IDENTITY_FIELDS = ("vendor_id", "cpu family", "model", "stepping")


def cpu_identity() -> str:
    """Vendor, family, model and stepping of the first CPU ("AuthenticAMD family 25 model 17 stepping 1");
    "" where /proc/cpuinfo does not say (macOS, Windows)."""
    found: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in CPU_IDENTITY_FIELDS and key not in found:
                    found[key] = value.strip()
                if not line.strip() and found:
                    break  # the end of the first CPU's block
    except OSError:
        return ""
    if "vendor_id" not in found:
        return ""
    return " ".join([found["vendor_id"]] + [f"{key.split()[-1]} {found[key]}" for key in CPU_IDENTITY_FIELDS[1:]
                                            if key in found])


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


#: CPU flag prefixes that change the kernels TensorFlow picks (oneDNN dispatches on them).
CPU_FLAG_PREFIXES = ("avx512", "amx", "avx_vnni", "avx2", "fma")
#: Environment variable prefixes that change what TensorFlow, XLA or Keras do.
ENVIRONMENT_PREFIXES = ("TF_", "XLA_", "KERAS_")


def cpu_flags() -> list[str]:
    """The vector-extension flags of /proc/cpuinfo that matter for kernel choice (sorted); [] elsewhere."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return sorted({flag for flag in line.split(":", 1)[1].split()
                                   if flag.startswith(CPU_FLAG_PREFIXES)})
    except OSError:
        pass
    return []


def environment_variables() -> dict[str, str]:
    """``TF_*``, ``XLA_*`` and ``KERAS_*`` variables in force (values as set)."""
    return {key: value for key, value in sorted(os.environ.items()) if key.startswith(ENVIRONMENT_PREFIXES)}


def nvidia_driver() -> str:
    """The NVIDIA driver version from ``nvidia-smi``, or "" when there is no such tool or GPU."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return ""
    try:
        output = subprocess.run([tool, "--query-gpu=driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return ", ".join(dict.fromkeys(line.strip() for line in output.splitlines() if line.strip()))


def installed_packages() -> dict[str, str]:
    """Every installed Python distribution and its version, by lower-case name (stored once per run)."""
    from importlib import metadata

    packages = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            packages[name.lower()] = distribution.version
    return dict(sorted(packages.items()))


def fingerprint(*, deterministic: bool) -> dict:
    """Versions and hardware; computed once per worker process (Keras and its backend are imported there)."""
    import keras
    import numpy

    from suite import backends

    backend = backends.current()
    loaded = backend.loaded_versions()
    # The default backend's versions are in every record (the suite installs it beside any backend); a backend's
    # own versions follow its name.
    always = {field: loaded.get(field, backends.default().versions()[field]) for field, _ in backends.always_recorded()}
    return {
        "python": platform.python_version(),
        **always,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "backend": backend.name,
        "backend_version": loaded.get(backend.name, ""),
        **{name: version for name, version in loaded.items() if name not in always},
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "cpu": cpu_model(),
        "cpu_id": cpu_identity(),
        "cpu_count": cpu_count(),
        "cpu_flags": cpu_flags(),
        "gpu": backend.gpu_models(),
        "gpu_driver": nvidia_driver(),
        "cuda_build": backend.cuda_build(),
        "build_info": backend.build_info(),
        "environment_variables": environment_variables(),
        "threads": backend.thread_counts(),
        "deterministic": deterministic,
        "git_commit": git_commit(),
        "executable": sys.executable,
        "prefix": sys.prefix,  # the environment the worker ran in: a matrix's stack folder, or the suite's own
        **({"stack": os.environ["SUITE_STACK"]} if os.environ.get("SUITE_STACK") else {}),  # set by suite matrix
    }
