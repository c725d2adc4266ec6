"""Placement: which device a job runs on, and the data-parallel path under MirroredStrategy.

``resolve`` is tested without TensorFlow by passing ``gpus=[...]``. The MirroredStrategy path needs
logical CPU devices, which must be configured before TensorFlow initialises: those tests run in a fresh
subprocess with ``SUITE_LOGICAL_CPUS=2``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from suite.run import placement
from tests.conftest import PROJECT_ROOT, only_run, run_suite

TWO_GPUS = ["/device:GPU:0", "/device:GPU:1"]
ONE_GPU = ["/device:GPU:0"]


# -- resolve: the decision table ----------------------------------------------------------------
@pytest.mark.parametrize("gpus", [[], ONE_GPU, TWO_GPUS], ids=["no-gpu", "one-gpu", "two-gpus"])
def test_cpu_benchmarks_stay_on_the_cpu_whatever_the_machine(gpus):
    decision = placement.resolve("cpu", "auto", gpus=gpus)
    assert decision.device == "/CPU:0"
    assert not decision.skipped and decision.replicas == ()


def test_gpu_benchmark_falls_back_to_the_cpu_and_says_so():
    decision = placement.resolve("gpu", "auto", gpus=[])
    assert decision.device == "/CPU:0" and not decision.skipped
    assert any("no GPU" in note for note in decision.notes)


@pytest.mark.parametrize("kind", ["gpu", "gpu-required"])
def test_one_gpu_is_used_directly(kind):
    decision = placement.resolve(kind, "auto", gpus=ONE_GPU)
    assert decision.device == "/GPU:0"
    assert decision.replicas == () and not decision.skipped


@pytest.mark.parametrize("kind", ["gpu", "gpu-required"])
def test_several_gpus_go_data_parallel(kind):
    decision = placement.resolve(kind, "auto", gpus=TWO_GPUS)
    assert decision.replicas == tuple(TWO_GPUS)
    assert decision.device.startswith("mirrored:")
    assert any("MirroredStrategy" in note and "2 GPUs" in note for note in decision.notes)


def test_gpu_required_is_skipped_without_a_gpu_with_the_cpu_time():
    decision = placement.resolve("gpu-required", "auto", estimate_cpu_s=2700.0, gpus=[])
    assert decision.skipped
    assert "--device cpu" in decision.skip_reason
    assert "45 min" in decision.skip_reason  # not "0.8 h" rounded to nothing, not "0.0 h"


def test_gpu_required_estimate_in_hours_when_long():
    decision = placement.resolve("gpu-required", "auto", estimate_cpu_s=3 * 3600.0, gpus=[])
    assert "3.0 h" in decision.skip_reason


@pytest.mark.parametrize("kind", ["cpu", "gpu", "gpu-required"])
@pytest.mark.parametrize("gpus", [[], TWO_GPUS], ids=["no-gpu", "two-gpus"])
def test_device_cpu_forces_the_cpu(kind, gpus):
    decision = placement.resolve(kind, "cpu", estimate_cpu_s=2700.0, gpus=gpus)
    assert decision.device == "/CPU:0" and not decision.skipped and decision.replicas == ()
    assert bool(decision.notes) == (kind != "cpu")  # forcing is recorded for benchmarks that prefer a GPU


@pytest.mark.parametrize("kind", ["cpu", "gpu", "gpu-required"])
def test_device_gpu_without_a_gpu_is_skipped(kind):
    decision = placement.resolve(kind, "gpu", gpus=[])
    assert decision.skipped and "no GPU" in decision.skip_reason


# -- MirroredStrategy over two logical CPUs ----------------------------------------------------------
_STRATEGY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from suite import backends
    from suite.run import placement
    backends.get("tensorflow").configure_worker(deterministic=False, intra_op_threads=None, cpu_cores=None,
                                                logical_cpus=placement.logical_cpus())  # before TensorFlow initialises
    import keras
    import tensorflow as tf
    from suite import registry

    registry.discover()
    replicas = placement.replica_devices()
    results = {"replicas": replicas, "jobs": {}}
    original_fit = keras.Model.fit
    for name in sys.argv[2:]:
        benchmark = registry.get(name)
        decision = placement.resolve(benchmark.placement, "auto", gpus=replicas)
        keras.backend.clear_session()
        keras.utils.set_random_seed(1)
        seen = {}

        def watching_fit(model, *args, _fit=original_fit, _seen=seen, **kwargs):
            # Every model a benchmark trains must have been built in the strategy's scope.
            strategy = tf.distribute.get_strategy()
            _seen.setdefault("strategies", []).append(type(strategy).__name__)
            _seen.setdefault("replicas_in_sync", []).append(strategy.num_replicas_in_sync)
            _seen.setdefault("variables", []).append(type(model.weights[0].value).__name__)
            return _fit(model, *args, **kwargs)

        keras.Model.fit = watching_fit
        with decision.scope():
            outcome = benchmark.run(benchmark.settings_for("smoke"), 1)
        results["jobs"][name] = {
            "device": decision.device,
            "metrics": {key: float(value) for key, value in outcome.metrics.items()},
            "weights": len(outcome.weights),
            **seen,
        }
    print("RESULT " + json.dumps(results))
    """
)


def _run_under_two_logical_cpus(*names: str) -> dict:
    environment = {**os.environ, "SUITE_LOGICAL_CPUS": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
    completed = subprocess.run([sys.executable, "-c", _STRATEGY_SCRIPT, str(PROJECT_ROOT), *names],
                               env=environment, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-4000:]
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


@pytest.mark.slow
def test_convnets_and_deep_mlp_train_under_mirrored_strategy_on_two_logical_cpus():
    names = ("convnet_mnist", "convnet_dropout_study", "offcentre_tilted_digits", "deep_mlp_rotations")
    results = _run_under_two_logical_cpus(*names)
    assert len(results["replicas"]) == 2 and all("CPU" in device for device in results["replicas"])
    for name in names:
        job = results["jobs"][name]
        assert job["device"].startswith("mirrored:"), (name, job)
        # The models were built inside run, hence inside the strategy scope: mirrored variables.
        assert job["strategies"] and set(job["strategies"]) == {"MirroredStrategy"}, (name, job)
        assert set(job["replicas_in_sync"]) == {2}, (name, job)
        assert all("Mirrored" in variable for variable in job["variables"]), (name, job)
        assert job["weights"] > 0
        for metric, value in job["metrics"].items():
            assert value == value, f"{name}: {metric} is NaN under MirroredStrategy"
    # A smoke run learns something even when the batches are split over two replicas.
    assert results["jobs"]["convnet_mnist"]["metrics"]["test_accuracy"] > 0.2


@pytest.mark.slow
def test_the_runner_places_consecutive_jobs_on_two_logical_cpus(tmp_path):
    """Two jobs with different models in one worker: each job's all-reduce must not meet the previous one's."""
    completed = run_suite("run", "convnet_mnist", "offcentre_tilted_digits", "--tier", "smoke", "--seeds", "1",
                          "--no-report", env={"SUITE_LOGICAL_CPUS": "2"})
    assert completed.returncode == 0, completed.stderr[-4000:]
    records = [json.loads(path.read_text())
               for path in sorted((only_run(tmp_path / "reports") / "records").glob("*.json"))]
    assert len(records) == 2
    for record in records:
        assert record["status"] == "ok", record.get("error")
        assert record["device"].startswith("mirrored:")
        assert any("MirroredStrategy" in note for note in record["placement_notes"])
