"""The interface a Keras backend implements for the suite: everything the engine asks of one.

The engine never asks which backend it runs on; it asks the backend. A backend is a small object
with declarative attributes (its name, its label, what to install, which distributions version it,
how it spreads a job over several devices, what it can compute) and methods that import the
framework only when called, in the worker: reading this module, or listing the backends, imports no
framework, so the command line checks ``--backend`` and plans a run before any worker starts.
"""

from __future__ import annotations

import abc
import contextlib
import importlib.metadata
import importlib.util
import os
from collections.abc import Callable, Mapping


def cpu_count() -> int:
    """The cores this process may run on (its affinity), which is what a worker's thread pools size to."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def pin(requirement: str, version: str) -> str:
    """``keras==3.8.*`` for ``("keras", "3.8")``, ``keras==3.8.0`` for a full version, ``keras`` for none."""
    if not version:
        return requirement
    return f"{requirement}=={version}" + (".*" if version.count(".") < 2 else "")


class Backend(abc.ABC):
    """One Keras 3 backend: what it needs, how a worker prepares it, its devices and its compiled loop."""

    #: The value of ``KERAS_BACKEND`` and of ``--backend``, stored in every record.
    name: str
    #: How messages and pages name it ("TensorFlow").
    label: str
    #: The module whose presence says the backend is installed.
    module: str
    #: One line naming what installs it (the package extra), quoted by the error that it is missing.
    install: str
    #: The distributions whose versions a record stores (another release computes other bits).
    versioned: tuple[str, ...]
    #: How a job runs data parallel over several devices (named in the record's placement notes); "" when
    #: Keras offers no data parallelism on this backend, so ``--data-parallel`` is refused before a run starts.
    data_parallel: str
    #: True when the model's tensors are TensorFlow tensors, so ``tf`` ops and fused TensorFlow kernels apply
    #: to them (``benchmarks._flux`` writes its losses in those ops there, in ``keras.ops`` elsewhere).
    takes_tensorflow_ops: bool = False

    # -- in a matrix's stack (``suite matrix``: nothing imported) ---------------------------------------
    #: Releases its axis flag takes, as its help shows them (``--jax 0.4.38,0.10.2``).
    stack_examples: str = ""

    @property
    def stack_axis(self) -> str:
        """The matrix axis that pins this backend's release: its first versioned distribution (``jax``), whose
        release decides the others' (jaxlib follows jax)."""
        return self.versioned[0]

    @property
    def stack_label_prefix(self) -> str:
        """Short name of its axis in a stack's label (``tf`` in ``tf2.18.1``)."""
        return self.stack_axis

    @property
    def stack_requirement(self) -> str:
        """What a stack installs it by, extras included (``jax[cpu]``); ``stack_pin`` adds the version."""
        return self.stack_axis

    def stack_pin(self, version: str) -> str:
        """The requirement of a stack whose axis is ``version`` (``jax[cpu]==0.4.38``); a version with fewer parts
        takes any release under it (``2.18`` is ``==2.18.*``), an empty one any release at all."""
        return pin(self.stack_requirement, version)

    # -- installation and versions (the driver: nothing imported) ------------------------------------
    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def versions(self) -> dict[str, str]:
        """The installed versions of ``versioned`` ("" for one that is missing), read without importing them."""
        found = {}
        for distribution in self.versioned:
            try:
                found[distribution] = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                found[distribution] = ""
        return found

    def loaded_versions(self) -> dict[str, str]:
        """The versions of ``versioned`` as the worker has them loaded (the fingerprint's)."""
        return self.versions()

    # -- the worker, before Keras is imported ---------------------------------------------------------
    @abc.abstractmethod
    def configure_worker(self, *, deterministic: bool, intra_op_threads: int | None, cpu_cores: list[int] | None,
                         logical_cpus: int) -> None:
        """Prepare this process before the backend initialises: determinism, its share of threads or cores, and
        ``logical_cpus`` logical CPU devices when above 1 (tests exercise data parallelism with them)."""

    def seed_job(self, seed: int) -> None:
        """Start a job from a clean Keras session, every random generator seeded with ``seed``."""
        import keras

        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)

    # -- devices ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    def gpu_count(self) -> int:
        """The GPUs this backend can use here, counted in the driver before any worker starts."""

    @abc.abstractmethod
    def gpus(self) -> list[str]:
        """The GPUs the worker sees, as TensorFlow names them (``/device:GPU:0``) so records compare."""

    @abc.abstractmethod
    def cpus(self) -> list[str]:
        """The CPU devices the worker sees (``/device:CPU:0``, more than one when split into logical CPUs)."""

    @abc.abstractmethod
    def device_scope(self, device: str):
        """Context manager placing the computation on ``device`` (``/CPU:0``, ``/GPU:1``)."""

    @abc.abstractmethod
    def data_parallel_scope(self, replicas: tuple[str, ...]):
        """Context manager under which a model is built and trained data parallel over ``replicas``."""

    def scope(self, device: str, replicas: tuple[str, ...] = ()):
        """Where a job runs: data parallel over ``replicas`` when there are several, else on ``device``."""
        if len(replicas) > 1:
            return self.data_parallel_scope(replicas)
        if device:
            return self.device_scope(device)
        return contextlib.nullcontext()

    @abc.abstractmethod
    def under_data_parallel(self) -> bool:
        """Whether the code runs inside ``data_parallel_scope``."""

    @abc.abstractmethod
    def gpu_models(self) -> list[str]:
        """The GPUs' model names, as the backend sees them."""

    @abc.abstractmethod
    def devices_seen(self) -> dict:
        """What the worker was given, for every record: the devices it sees and its intra-op thread count."""

    @abc.abstractmethod
    def thread_counts(self) -> dict[str, int]:
        """The thread pools that decide how sums are split, and the CPUs visible."""

    def cuda_build(self) -> bool:
        """Whether the installed backend is built for CUDA."""
        return False

    def build_info(self) -> dict:
        """How the backend was built (CUDA and cuDNN versions), as strings; {} when it does not say."""
        return {}

    # -- training --------------------------------------------------------------------------------------
    @abc.abstractmethod
    def full_batch_steps(self, model, loss_fn: Callable, optimizer, x, y, steps: int, *,
                         monitor: Mapping[str, tuple] | None, monitor_every: int, chunk_steps: int,
                         progress: Callable[[int, int], None] | None) -> dict[str, list]:
        """``suite.backends.training.full_batch_steps`` compiled for this backend."""

    def final_loss(self, model, loss_fn: Callable, x, y) -> float:
        """The loss of the trained model on ``(x, y)``, without training (in ``keras.ops``, any backend's tensors)."""
        import keras

        loss = loss_fn(keras.ops.convert_to_tensor(y), model(keras.ops.convert_to_tensor(x), training=False))
        return float(keras.ops.convert_to_numpy(loss))
