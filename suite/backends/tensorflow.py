"""Keras on TensorFlow: op determinism, intra-op threads, ``MirroredStrategy``, a ``tf.function`` loop.

The default backend: the suite depends on TensorFlow, and the first baselines were measured on it.
Every method imports TensorFlow when called, in the worker; reading this module imports nothing.
"""

from __future__ import annotations

import os

from suite.backends.base import Backend, cpu_count


class TensorFlow(Backend):
    name = "tensorflow"
    label = "TensorFlow"
    module = "tensorflow"
    install = "pip install -e ."  # a dependency of the suite itself
    versioned = ("tensorflow",)
    data_parallel = "MirroredStrategy"
    takes_tensorflow_ops = True  # Keras' tensors here are tf.Tensors
    stack_label_prefix = "tf"
    stack_examples = "2.18,2.21"

    def loaded_versions(self) -> dict[str, str]:
        import tensorflow as tf

        return {"tensorflow": tf.__version__}

    def configure_worker(self, *, deterministic: bool, intra_op_threads: int | None, cpu_cores: list[int] | None,
                         logical_cpus: int) -> None:
        """Logical CPUs, the intra-op pool and op determinism: all must be set before TensorFlow initialises.

        ``cpu_cores`` is not needed: ``intra_op_threads`` sizes TensorFlow's pool directly.
        """
        import tensorflow as tf

        if logical_cpus > 1:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus)
        if intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(int(intra_op_threads))
        if deterministic:
            tf.config.experimental.enable_op_determinism()

    def gpu_count(self) -> int:
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))

    def gpus(self) -> list[str]:
        import tensorflow as tf

        return [device.name for device in tf.config.list_logical_devices("GPU")]

    def cpus(self) -> list[str]:
        import tensorflow as tf

        return [device.name for device in tf.config.list_logical_devices("CPU")]

    def device_scope(self, device: str):
        import tensorflow as tf

        return tf.device(device)

    def data_parallel_scope(self, replicas: tuple[str, ...]):
        return mirrored_strategy(replicas).scope()

    def under_data_parallel(self) -> bool:
        import tensorflow as tf

        return tf.distribute.has_strategy()

    def gpu_models(self) -> list[str]:
        import tensorflow as tf

        names = []
        for device in tf.config.list_physical_devices("GPU"):
            try:
                details = tf.config.experimental.get_device_details(device)
                names.append(details.get("device_name", device.name))
            except Exception:  # details are best effort; the device name still identifies it
                names.append(device.name)
        return names

    def devices_seen(self) -> dict:
        import tensorflow as tf

        threads = tf.config.threading.get_intra_op_parallelism_threads()
        return {
            "tensorflow_gpus": [device.name for device in tf.config.list_physical_devices("GPU")],
            # 0 means TensorFlow's default: one thread per core this process may use.
            "intra_op_threads": threads or cpu_count(),
        }

    def thread_counts(self) -> dict[str, int]:
        """TensorFlow's intra- and inter-op pools (0 means TensorFlow's own default) and the CPUs visible."""
        import tensorflow as tf

        return {"tf_intra_op": int(tf.config.threading.get_intra_op_parallelism_threads()),
                "tf_inter_op": int(tf.config.threading.get_inter_op_parallelism_threads()),
                "os_cpu_count": int(os.cpu_count() or 0),
                "cpus_available": cpu_count()}

    def cuda_build(self) -> bool:
        import tensorflow as tf

        return bool(tf.test.is_built_with_cuda())

    def build_info(self) -> dict:
        """TensorFlow's build information (CUDA and cuDNN versions, compute capabilities), as strings."""
        import tensorflow as tf

        try:
            info = tf.sysconfig.get_build_info()
        except Exception:  # older or unusual builds: the rest of the fingerprint still stands
            return {}
        return {str(key): value if isinstance(value, (bool, int, float, str)) else str(value)
                for key, value in sorted(info.items())}

    def full_batch_steps(self, model, loss_fn, optimizer, x, y, steps, **options):
        from suite.backends import tensorflow_loop

        return tensorflow_loop.full_batch_steps(model, loss_fn, optimizer, x, y, steps, **options)

    def final_loss(self, model, loss_fn, x, y) -> float:
        import tensorflow as tf

        return float(loss_fn(tf.convert_to_tensor(y), model(tf.convert_to_tensor(x), training=False)).numpy())


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


BACKEND = TensorFlow()
