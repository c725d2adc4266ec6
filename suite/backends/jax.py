"""Keras on JAX: XLA's flags and core affinity, ``keras.distribution.DataParallel``, a ``jax.jit`` loop.

Device names stay TensorFlow's (``/CPU:0``, ``/device:GPU:1``) so records of both backends compare; here
they name ``jax.devices()`` entries of that platform and number. Every method imports JAX when called,
in the worker (or, to count GPUs, in the driver); reading this module imports nothing.
"""

from __future__ import annotations

import os

from suite.backends.base import Backend, cpu_count


class Jax(Backend):
    name = "jax"
    label = "JAX"
    module = "jax"
    install = "pip install -e '.[jax]' (jax[cuda12] for NVIDIA GPUs)"
    versioned = ("jax", "jaxlib")
    data_parallel = "DataParallel"
    stack_label_prefix = "jax"
    stack_examples = "0.4.38,0.10.2"
    stack_requirement = "jax[cpu]"  # the CPU wheels: jaxlib of the same release comes with them

    def configure_worker(self, *, deterministic: bool, intra_op_threads: int | None, cpu_cores: list[int] | None,
                         logical_cpus: int) -> None:
        """XLA's flags and this worker's cores: XLA reads both once, when JAX initialises its clients.

        Why affinity and not a thread count: XLA on JAX has no intra-op setting and sizes its CPU pool from
        the cores the process may run on (``sched_getaffinity``), so pinning is how ``--workers N`` keeps N JAX
        workers from each starting a thread per core; ``intra_op_threads`` has no JAX equivalent.
        """
        if logical_cpus > 1:
            _add_xla_flag("xla_force_host_platform_device_count", logical_cpus)
        if cpu_cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cpu_cores)
        if deterministic:
            # XLA on a CPU computes the same bits for the same program and inputs; on a GPU some
            # reductions use atomics unless this flag asks for deterministic kernels.
            _add_xla_flag("xla_gpu_deterministic_ops", "true")

    def gpu_count(self) -> int:
        # The driver only counts: without this, JAX would reserve most of each GPU's memory in the driver
        # for the whole run. Unset again afterwards, so the workers it spawns allocate as JAX does by default.
        ours = "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ
        if ours:
            os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        try:
            return len(devices("gpu"))
        finally:
            if ours:
                del os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"]

    def gpus(self) -> list[str]:
        return [f"/device:GPU:{number}" for number, _ in enumerate(devices("gpu"))]

    def cpus(self) -> list[str]:
        return [f"/device:CPU:{number}" for number, _ in enumerate(devices("cpu"))]

    def device_scope(self, device: str):
        """The named device as JAX's default device."""
        import jax

        platform, _, number = device.replace("/device:", "/").strip("/").partition(":")
        return jax.default_device(jax.devices(platform.lower())[int(number or 0)])

    def data_parallel_scope(self, replicas: tuple[str, ...]):
        import keras

        return keras.distribution.DataParallel(devices=[keras_name(device) for device in replicas]).scope()

    def under_data_parallel(self) -> bool:
        import keras

        return keras.distribution.distribution() is not None

    def gpu_models(self) -> list[str]:
        return [device.device_kind for device in devices("gpu")]

    def devices_seen(self) -> dict:
        """``jax.devices()``; XLA's CPU thread pool uses every core this process may use (its share under
        ``--workers N``, see ``configure_worker``)."""
        import jax

        return {"tensorflow_gpus": [], "jax_devices": [str(device) for device in jax.devices()],
                "intra_op_threads": cpu_count()}

    def thread_counts(self) -> dict[str, int]:
        """Only the CPUs: XLA's CPU client sizes its thread pool to them."""
        return {"os_cpu_count": int(os.cpu_count() or 0), "cpus_available": cpu_count()}

    def cuda_build(self) -> bool:
        import importlib.metadata

        return any((distribution.metadata["Name"] or "").lower().startswith("jax-cuda")
                   for distribution in importlib.metadata.distributions())

    def full_batch_steps(self, model, loss_fn, optimizer, x, y, steps, **options):
        from suite.backends import jax_loop

        return jax_loop.full_batch_steps(model, loss_fn, optimizer, x, y, steps, **options)


def _add_xla_flag(flag: str, value) -> None:
    """Append ``--flag=value`` to ``XLA_FLAGS`` unless the user set that flag already."""
    flags = os.environ.get("XLA_FLAGS", "")
    if flag not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --{flag}={value}".strip()


def devices(platform: str) -> list:
    """``jax.devices(platform)``, or [] when JAX has no such platform (no GPU)."""
    import jax

    try:
        return jax.devices(platform)
    except RuntimeError:
        return []


def keras_name(device: str) -> str:
    """``/CPU:1`` or ``/device:GPU:0`` -> ``cpu:1`` or ``gpu:0`` (Keras' device names on JAX)."""
    return device.replace("/device:", "/").strip("/").lower()


BACKEND = Jax()
