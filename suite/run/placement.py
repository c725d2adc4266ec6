"""Where a job runs: the benchmark's preferred placement, the user's --device, the machine.

* ``cpu``: tiny models pinned to the CPU; a GPU launch per 200-point step costs more than the maths.
* ``gpu``: prefer a GPU, fall back to the CPU and say so in the record.
* ``gpu-required``: hours on a CPU; skipped with a reason unless ``--device cpu`` forces it.

A worker that sees several GPUs runs the job data parallel, as its backend does it
(``Backend.data_parallel_scope``: ``tf.distribute.MirroredStrategy`` on TensorFlow,
``keras.distribution.DataParallel`` on JAX). On a multi-GPU machine that is
only ``--data-parallel``: by default the local executor gives each GPU its own worker
(``CUDA_VISIBLE_DEVICES=<i>``), which then sees one GPU. Tests exercise that path with two
logical CPU devices (``SUITE_LOGICAL_CPUS=2``: TensorFlow's logical devices, or XLA's
``--xla_force_host_platform_device_count`` on JAX).

Device names are TensorFlow's (``/CPU:0``, ``/GPU:0``) on every backend, so records compare;
on JAX they name ``jax.devices()`` entries of that platform and number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from suite import backends
from suite.text import rough_duration


@dataclass
class Placement:
    """The decision for one job: run or skip, on which device(s), and why."""

    device: str  # "/CPU:0", "/GPU:0", or "mirrored:/GPU:0,/GPU:1"
    skip_reason: str = ""
    notes: list[str] = field(default_factory=list)
    replicas: tuple[str, ...] = ()

    @property
    def skipped(self) -> bool:
        return bool(self.skip_reason)

    def scope(self):
        """Context manager under which the model is built and trained (the worker's backend decides how)."""
        return backends.current().scope(self.device, self.replicas)


def gpu_count(backend: str) -> int:
    """The GPUs ``backend`` can use on this machine (in the driver, before any worker starts)."""
    from suite.run import gpu_presence

    if gpu_presence.gpu_impossible():  # no GPU device node: 0, without importing the framework
        return 0
    return backends.get(backend).gpu_count()


def logical_cpus() -> int:
    """``SUITE_LOGICAL_CPUS``: how many logical CPU devices a worker splits its CPU into (tests, 0 = none)."""
    return int(os.environ.get("SUITE_LOGICAL_CPUS", "0") or 0)


def available_gpus() -> list[str]:
    return backends.current().gpus()


def replica_devices() -> list[str]:
    """The devices a data-parallel job would use: the GPUs, or the logical CPUs in tests."""
    gpus = available_gpus()
    if gpus:
        return gpus
    if logical_cpus() > 1:
        return backends.current().cpus()
    return []


def resolve(placement: str, requested: str, *, estimate_cpu_s: float | None = None, gpus=None) -> Placement:
    """Decide the device for a benchmark with ``placement`` when the user asked for ``requested``."""
    gpus = available_gpus() if gpus is None else list(gpus)
    if requested == "cpu":
        notes = [] if placement == "cpu" else [f"--device cpu forced the CPU (benchmark prefers {placement})"]
        return Placement("/CPU:0", notes=notes)
    if placement == "cpu" and requested == "auto":
        return Placement("/CPU:0")
    if gpus:
        if len(gpus) > 1 and placement != "cpu":
            kind = "GPUs" if all("GPU" in device.upper() for device in gpus) else "devices"
            how = backends.current().data_parallel
            return Placement("mirrored:" + ",".join(gpus), replicas=tuple(gpus),
                             notes=[f"data parallel over {len(gpus)} {kind} ({how})"])
        return Placement(gpus[0].replace("/device:", "/"))
    # No GPU on this machine.
    if requested == "gpu":
        return Placement("", skip_reason=f"--device gpu was asked for but {backends.current().label} sees no GPU")
    if placement == "gpu-required":
        cost = f" (about {rough_duration(estimate_cpu_s)} on a 2-core CPU)" if estimate_cpu_s else ""
        return Placement("", skip_reason=f"needs a GPU; none found. Run with --device cpu to force the CPU{cost}")
    if placement == "gpu":
        return Placement("/CPU:0", notes=["no GPU found: fell back to the CPU"])
    return Placement("/CPU:0")
