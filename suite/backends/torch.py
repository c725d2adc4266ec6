"""Keras on PyTorch: deterministic algorithms, torch's thread pools, ``torch.cuda`` devices, an eager step loop.

Device names stay TensorFlow's (``/CPU:0``, ``/device:GPU:1``) so records of every backend compare; here they
name ``cpu`` and ``cuda:<n>``. Keras 3 has no data parallelism on PyTorch (``keras.distribution`` is
implemented for JAX and TensorFlow only; on PyTorch a user wraps the model in ``DistributedDataParallel``
by hand), so ``--data-parallel`` is refused on this backend and a worker uses one GPU. Every method imports
torch when called, in the worker (or, to count GPUs, in the driver); reading this module imports nothing.
"""

from __future__ import annotations

import os

from suite.backends.base import Backend, cpu_count

#: cuBLAS is deterministic only with a fixed workspace; it reads this once, when CUDA initialises.
CUBLAS_DETERMINISTIC_WORKSPACE = ":4096:8"


class Torch(Backend):
    name = "torch"
    label = "PyTorch"
    module = "torch"
    install = "pip install -e '.[torch]' (PyPI's Linux wheel brings its CUDA libraries, about 3 GB)"
    versioned = ("torch",)
    data_parallel = ""  # none: keras.distribution has no PyTorch implementation
    stack_examples = "2.14"

    def configure_worker(self, *, deterministic: bool, intra_op_threads: int | None, cpu_cores: list[int] | None,
                         logical_cpus: int) -> None:
        """Deterministic algorithms (and cuBLAS' fixed workspace) and this worker's threads, before Keras starts.

        torch sizes its intra-op pool from the cores it may use, like XLA, but also takes a count: the worker's
        share (``intra_op_threads``, else one per core in ``cpu_cores``) sets both pools, and the process is
        pinned to its cores as on JAX. ``logical_cpus`` has no torch equivalent (there is no data parallelism
        to exercise with it).
        """
        if deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_DETERMINISTIC_WORKSPACE)
        if cpu_cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cpu_cores)
        import warnings

        import torch

        # A CUDA build on a machine without a driver warns that it found none, from every device query: that is
        # the answer, and the records say which devices the worker saw.
        warnings.filterwarnings("ignore", message="CUDA initialization", category=UserWarning)
        threads = intra_op_threads or (len(cpu_cores) if cpu_cores else None)
        if threads:
            torch.set_num_threads(int(threads))
            torch.set_num_interop_threads(int(threads))  # only possible before torch runs any parallel work
        if deterministic:
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.benchmark = False

    def seed_job(self, seed: int) -> None:
        """As on every backend, after making Keras on torch run the benchmarks' code as it runs elsewhere."""
        run_keras_code_as_elsewhere()
        super().seed_job(seed)

    def gpu_count(self) -> int:
        import warnings

        import torch

        with warnings.catch_warnings():  # a CUDA build without a driver warns that it found none: that is the answer
            warnings.simplefilter("ignore", UserWarning)
            return torch.cuda.device_count() if torch.cuda.is_available() else 0

    def gpus(self) -> list[str]:
        return [f"/device:GPU:{number}" for number in range(self.gpu_count())]

    def cpus(self) -> list[str]:
        return ["/device:CPU:0"]

    def device_scope(self, device: str):
        """The named device as Keras' device on torch: ``cpu``, or ``gpu:1`` which Keras maps to ``cuda:1``.

        Not ``cpu:0``: Keras moves each new variable ``.to()`` the scope's device, and torch's tensors live on
        ``cpu``, not ``cpu:0``, so that would copy them and leave the model's variables outside autograd's
        leaves (every gradient None).
        """
        import keras

        platform, _, number = device.replace("/device:", "/").strip("/").lower().partition(":")
        return keras.device("cpu" if platform == "cpu" else f"{platform}:{number or 0}")

    def data_parallel_scope(self, replicas: tuple[str, ...]):
        raise RuntimeError(f"Keras has no data parallelism on PyTorch; this worker sees {len(replicas)} devices: "
                           "give each GPU its own worker (leave out --data-parallel)")

    def under_data_parallel(self) -> bool:
        return False

    def gpu_models(self) -> list[str]:
        import torch

        return [torch.cuda.get_device_name(number) for number in range(self.gpu_count())]

    def devices_seen(self) -> dict:
        import torch

        return {"tensorflow_gpus": [], "torch_devices": ["cpu", *(f"cuda:{n}" for n in range(self.gpu_count()))],
                "intra_op_threads": torch.get_num_threads()}

    def thread_counts(self) -> dict[str, int]:
        """torch's intra- and inter-op pools and the CPUs visible."""
        import torch

        return {"torch_intra_op": int(torch.get_num_threads()), "torch_inter_op": int(torch.get_num_interop_threads()),
                "os_cpu_count": int(os.cpu_count() or 0), "cpus_available": cpu_count()}

    def cuda_build(self) -> bool:
        import torch

        return torch.version.cuda is not None

    def build_info(self) -> dict:
        """The CUDA and cuDNN versions torch was built with ("" for a CPU-only build)."""
        import torch

        cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        return {"cuda_version": torch.version.cuda or "", "cudnn_version": str(cudnn or ""),
                "is_cuda_build": torch.version.cuda is not None}

    def full_batch_steps(self, model, loss_fn, optimizer, x, y, steps, **options):
        from suite.backends import torch_loop

        return torch_loop.full_batch_steps(model, loss_fn, optimizer, x, y, steps, **options)

    def final_loss(self, model, loss_fn, x, y) -> float:
        import torch

        with torch.no_grad():
            return super().final_loss(model, loss_fn, x, y)


def run_keras_code_as_elsewhere() -> None:
    """Two things Keras code does on TensorFlow and JAX that Keras on torch refuses, made to work as they mean.

    * ``np.asarray(model(x, training=False))``: torch will not turn a tensor that autograd tracks into an
      array (``Can't call numpy() on Tensor that requires grad``); the benchmarks read predictions this way.
      Here such a tensor is detached first: the array holds the same numbers, and no gradient flows
      through NumPy anyway.
    * ``compile(steps_per_execution=N)``: a dispatch optimisation (N batches per call into the framework,
      the same steps and numbers) that Keras' torch trainer refuses above 1. Here it is 1: torch runs
      eagerly, so there is no call to save.

    Applied once per worker (a worker runs one backend), in the worker only.
    """
    import torch
    from keras.src.backend.torch.trainer import TorchTrainer

    if getattr(torch.Tensor.__array__, "_detaches", False):
        return
    to_array = torch.Tensor.__array__

    def detached_array(tensor, *args, **kwargs):
        return to_array(tensor.detach() if tensor.requires_grad else tensor, *args, **kwargs)

    detached_array._detaches = True
    torch.Tensor.__array__ = detached_array

    compile_model = TorchTrainer.compile

    def compile_one_step_per_call(model, *args, **kwargs):
        compile_model(model, *args, **kwargs)
        model.steps_per_execution = 1

    TorchTrainer.compile = compile_one_step_per_call


BACKEND = Torch()
