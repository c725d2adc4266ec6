"""Where a job runs: the benchmark's preferred placement, the user's --device, the machine.

* ``cpu``: tiny models pinned to the CPU; a GPU launch per 200-point step costs more than the maths.
* ``gpu``: prefer a GPU, fall back to the CPU and say so in the record.
* ``gpu-required``: hours on a CPU; skipped with a reason unless ``--device cpu`` forces it.

A worker that sees several GPUs runs the job data parallel: under ``tf.distribute.MirroredStrategy``
on TensorFlow, under ``keras.distribution.DataParallel`` on JAX. On a multi-GPU machine that is
only ``--data-parallel``: by default the local executor gives each GPU its own worker
(``CUDA_VISIBLE_DEVICES=<i>``), which then sees one GPU. Tests exercise that path with two
logical CPU devices (``SUITE_LOGICAL_CPUS=2``: TensorFlow's logical devices, or XLA's
``--xla_force_host_platform_device_count`` on JAX).

Device names are TensorFlow's (``/CPU:0``, ``/GPU:0``) on every backend, so records compare;
on JAX they name ``jax.devices()`` entries of that platform and number.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

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
        """Context manager under which the model is built and trained."""
        if _backend() == "jax":
            return self._jax_scope()
        import tensorflow as tf

        if len(self.replicas) > 1:
            return mirrored_strategy(self.replicas).scope()
        if self.device:
            return tf.device(self.device)
        return contextlib.nullcontext()

    def _jax_scope(self):
        """JAX: ``DataParallel`` over the replicas, or the named device as JAX's default device."""
        import jax
        import keras

        if len(self.replicas) > 1:
            return keras.distribution.DataParallel(devices=[_jax_name(device) for device in self.replicas]).scope()
        if self.device:
            platform, _, number = self.device.strip("/").partition(":")
            return jax.default_device(jax.devices(platform.lower())[int(number or 0)])
        return contextlib.nullcontext()


#: How the messages name each backend.
BACKEND_LABELS = {"tensorflow": "TensorFlow", "jax": "JAX"}


def _backend() -> str:
    import keras

    return keras.backend.backend()


def _jax_name(device: str) -> str:
    """``/CPU:1`` or ``/device:GPU:0`` -> ``cpu:1`` or ``gpu:0`` (Keras' device names on JAX)."""
    return device.replace("/device:", "/").strip("/").lower()


def _jax_devices(platform: str) -> list:
    """``jax.devices(platform)``, or [] when JAX has no such platform (no GPU)."""
    import jax

    try:
        return jax.devices(platform)
    except RuntimeError:
        return []


def gpu_count(backend: str) -> int:
    """The GPUs ``backend`` can use on this machine (in the driver, before any worker starts)."""
    from suite.run import gpu_presence

    if gpu_presence.gpu_impossible():  # no GPU device node: 0, without importing the framework
        return 0
    if backend == "jax":
        # The driver only counts: without this, JAX would reserve most of each GPU's memory in the driver
        # for the whole run. Unset again afterwards, so the workers it spawns allocate as JAX does by default.
        ours = "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ
        if ours:
            os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        try:
            return len(_jax_devices("gpu"))
        finally:
            if ours:
                del os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"]
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


_STRATEGIES: dict = {}


def mirrored_strategy(devices: tuple[str, ...]):
    """One ``MirroredStrategy`` per set of devices for the life of the process.

    A worker runs job after job. A fresh strategy per job restarts TensorFlow's collective instance
    keys, so the gradient all-reduce of the second job meets the first job's instance ("Shape
    mismatch in the collective instance 100 ... expected shape [12730] but another member in the group
    expected shape [1625866]", seen with two logical CPUs) and every later job fails. Reusing the
    strategy keeps the keys unique.
    """
    import tensorflow as tf

    devices = tuple(devices)
    if devices not in _STRATEGIES:
        _STRATEGIES[devices] = tf.distribute.MirroredStrategy(devices=list(devices))
    return _STRATEGIES[devices]


def configure_logical_cpus(backend: str = "tensorflow") -> None:
    """Split the CPU into ``SUITE_LOGICAL_CPUS`` logical devices; must run before the backend initialises."""
    count = int(os.environ.get("SUITE_LOGICAL_CPUS", "0") or 0)
    if count > 1 and backend == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_force_host_platform_device_count" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={count}".strip()
    elif count > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)


def available_gpus() -> list[str]:
    if _backend() == "jax":
        return [f"/device:GPU:{number}" for number, _ in enumerate(_jax_devices("gpu"))]
    import tensorflow as tf

    return [device.name for device in tf.config.list_logical_devices("GPU")]


def replica_devices() -> list[str]:
    """The devices a data-parallel job would use: the GPUs, or the logical CPUs in tests."""
    gpus = available_gpus()
    if gpus:
        return gpus
    if int(os.environ.get("SUITE_LOGICAL_CPUS", "0") or 0) > 1:
        if _backend() == "jax":
            return [f"/device:CPU:{number}" for number, _ in enumerate(_jax_devices("cpu"))]
        import tensorflow as tf

        return [device.name for device in tf.config.list_logical_devices("CPU")]
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
            how = "DataParallel" if _backend() == "jax" else "MirroredStrategy"
            return Placement("mirrored:" + ",".join(gpus), replicas=tuple(gpus),
                             notes=[f"data parallel over {len(gpus)} {kind} ({how})"])
        return Placement(gpus[0].replace("/device:", "/"))
    # No GPU on this machine.
    if requested == "gpu":
        return Placement("", skip_reason=f"--device gpu was asked for but {BACKEND_LABELS.get(_backend(), _backend())} "
                                         "sees no GPU")
    if placement == "gpu-required":
        cost = f" (about {rough_duration(estimate_cpu_s)} on a 2-core CPU)" if estimate_cpu_s else ""
        return Placement("", skip_reason=f"needs a GPU; none found. Run with --device cpu to force the CPU{cost}")
    if placement == "gpu":
        return Placement("/CPU:0", notes=["no GPU found: fell back to the CPU"])
    return Placement("/CPU:0")
