"""``--backend torch``: Keras 3 on PyTorch through the backend interface, its determinism, records and refusals.

The runs are real (``python -m suite`` in a subprocess, real worker processes, real PyTorch on the CPU).
Every test that trains is skipped when torch is not installed; the missing-torch refusal hides torch from
a real process instead (``sys.modules["torch"] = None``: Python then finds no such module).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from suite import backends
from suite.records import reading
from tests.conftest import PROJECT_ROOT, only_run, run_suite
from tests.test_backends import assert_every_benchmark_ran
from tests.test_faults import _one_line_error

needs_torch = pytest.mark.skipif(not backends.get("torch").installed(),
                                 reason="torch is not installed (pip install -e '.[torch]')")

#: A compiled full-batch loop (FusedAdam's Keras equivalent, a Flux loss) and a ``model.fit`` (Flux crossentropy).
SAME_SEED_BENCHMARKS = ("l2c_hidden_sigmoid_circles", "learn2classify_softmax_regression")


def _suite_without_torch(*arguments: str, env: dict) -> subprocess.CompletedProcess:
    """``python -m suite ...`` in a process where ``import torch`` fails as if it were not installed."""
    script = ("import runpy, sys; sys.modules['torch'] = None; "
              f"sys.argv = ['suite', *{list(arguments)!r}]; runpy.run_module('suite', run_name='__main__')")
    return subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_backend_torch_without_torch_is_one_line_naming_the_extra_and_exit_2(tmp_path):
    reports = tmp_path / "reports"
    for command in ("run", "calibrate"):
        completed = _suite_without_torch(command, "l2c_linear_circles", "--tier", "smoke", "--backend", "torch",
                                         env={"SUITE_REPORTS_DIR": str(reports)})
        assert completed.returncode == 2, completed.stderr[-2000:]
        line = _one_line_error(completed)
        assert line.startswith("error: --backend torch: torch is not installed; install it with "
                               "pip install -e '.[torch]'"), line
    assert not (reports / "runs").exists(), "nothing is created when the backend is missing"


@needs_torch
def test_data_parallel_is_refused_on_torch_in_one_line_naming_the_alternatives():
    """Keras has no data parallelism on PyTorch (``keras.distribution`` is JAX's and TensorFlow's)."""
    assert backends.get("torch").data_parallel == ""
    assert backends.problem("torch") is None
    assert backends.problem("torch", data_parallel=True) == (
        "--data-parallel: Keras has no data parallelism on PyTorch; leave it out (each GPU gets a worker of its own) "
        "or choose --backend tensorflow or jax")
    assert backends.problem("tensorflow", data_parallel=True) is None


@needs_torch
def test_data_parallel_with_backend_torch_is_one_line_and_exit_2_before_a_run_folder(tmp_path):
    reports = tmp_path / "reports"
    completed = run_suite("run", "l2c_linear_circles", "--tier", "smoke", "--backend", "torch", "--data-parallel",
                          env={"SUITE_REPORTS_DIR": str(reports)}, timeout_s=120)
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert "--data-parallel: Keras has no data parallelism on PyTorch" in _one_line_error(completed)
    assert not (reports / "runs").exists()


# -- determinism and records -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch_runs(tmp_path_factory):
    """The same two seeds of a compiled-loop benchmark and a fit benchmark, trained twice on torch."""
    if not backends.get("torch").installed():
        pytest.skip("torch is not installed (pip install -e '.[torch]')")
    runs = []
    for attempt in ("first", "second"):
        reports = tmp_path_factory.mktemp(f"torch-{attempt}") / "reports"
        completed = run_suite("run", *SAME_SEED_BENCHMARKS, "--tier", "smoke", "--seeds", "2", "--backend", "torch",
                              "--no-report", env={"SUITE_REPORTS_DIR": str(reports)}, timeout_s=600)
        assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
        runs.append(reading.load_records(only_run(reports)))
    return runs


@pytest.mark.slow
def test_torch_gives_the_same_weights_for_the_same_seed(torch_runs):
    first, second = ({(r["benchmark"], r["seed"]): r["weights_sha256"] for r in records} for records in torch_runs)
    for name in SAME_SEED_BENCHMARKS:
        assert first[(name, 1)] and second[(name, 1)] == first[(name, 1)], f"{name}: seed 1 trained twice differs"
        assert second[(name, 2)] == first[(name, 2)], f"{name}: seed 2 trained twice differs"
        assert first[(name, 2)] != first[(name, 1)], f"{name}: seed 2 gave seed 1's weights"


@pytest.mark.slow
def test_torch_records_carry_its_version_and_cuda_build(torch_runs):
    import torch

    for record in torch_runs[0]:
        assert record["status"] == "ok", record["error"]
        environment = record["environment"]
        assert record["backend"] == environment["backend"] == "torch"
        assert environment["torch"] == environment["backend_version"] == backends.versions("torch")["torch"]
        assert environment["cuda_build"] is (torch.version.cuda is not None)
        assert environment["build_info"]["cuda_version"] == (torch.version.cuda or "")
        assert environment["deterministic"] is True
        assert environment["threads"]["torch_intra_op"] >= 1


# -- a plain Keras script lands on the suite's numbers ----------------------------------------------
PLAIN_DENSE512 = textwrap.dedent("""
    # 002-a at the smoke tier, as a Keras user writes it: nothing of the suite but the MNIST files.
    import json, os, sys
    os.environ["KERAS_BACKEND"] = "torch"
    sys.path.insert(0, sys.argv[1])
    import numpy as np, torch
    torch.use_deterministic_algorithms(True)
    import keras
    from suite.data import datasets

    keras.utils.set_random_seed(1)
    mnist = datasets.load("mnist")
    x_train = mnist["x_train"][:2048].reshape(2048, -1).astype("float32") / 255.0
    x_test = mnist["x_test"][:1000].reshape(1000, -1).astype("float32") / 255.0
    y_train, y_test = np.eye(10, dtype="float32")[mnist["y_train"][:2048]], np.eye(10, dtype="float32")[mnist["y_test"][:1000]]
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=1, batch_size=128, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("RESULT " + json.dumps({"test_loss": float(loss), "test_accuracy": float(accuracy)}))
""")


@pytest.mark.slow
@needs_torch
def test_a_plain_keras_script_on_torch_lands_on_the_suites_numbers_for_002a(tmp_path):
    reports = tmp_path / "reports"
    completed = run_suite("run", "dlwp_dense512", "--tier", "smoke", "--seeds", "1", "--backend", "torch",
                          "--device", "cpu", "--no-report", env={"SUITE_REPORTS_DIR": str(reports)}, timeout_s=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    [record] = reading.load_records(only_run(reports))
    plain = subprocess.run([sys.executable, "-c", PLAIN_DENSE512, str(PROJECT_ROOT)], capture_output=True, text=True,
                           timeout=600, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert plain.returncode == 0, plain.stderr[-3000:]
    line = next(line for line in plain.stdout.splitlines() if line.startswith("RESULT "))
    ours = json.loads(line[len("RESULT "):])
    assert {name: record["metrics"][name] for name in ours} == ours


# -- placement ---------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("cuda_visible_devices", [None, ""])
def test_gpu_and_gpu_required_follow_torch_cuda_as_a_worker_routed_to_no_gpu_sees_it(cuda_visible_devices):
    """Without a GPU (or in a CPU worker of the one-job-per-GPU pool, ``CUDA_VISIBLE_DEVICES=""``), ``gpu`` falls
    back to the CPU and ``gpu-required`` is skipped, as on TensorFlow and JAX; models train on the CPU."""
    script = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from suite import backends
        from suite.run import placement
        backends.get("torch").configure_worker(deterministic=True, intra_op_threads=1, cpu_cores=None,
                                               logical_cpus=0)
        import keras, numpy as np, torch
        gpus = placement.available_gpus()
        required = placement.resolve("gpu-required", "auto", estimate_cpu_s=60.0)
        asked = placement.resolve("gpu", "gpu")
        preferred = placement.resolve("gpu", "auto")
        with preferred.scope():
            model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
            model.compile(optimizer="sgd", loss="mse")
            model.fit(np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"), epochs=1, verbose=0)
        print("RESULT " + json.dumps({"backend": keras.backend.backend(), "gpus": gpus,
                                      "cuda": torch.cuda.is_available(), "threads": torch.get_num_threads(),
                                      "required": required.skip_reason, "asked": asked.skip_reason,
                                      "preferred": [preferred.device, preferred.notes],
                                      "weights_on": str(model.weights[0].value.device)}))
    """)
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    if cuda_visible_devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = cuda_visible_devices
    completed = subprocess.run([sys.executable, "-c", script, str(PROJECT_ROOT)], env=env, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads(next(line for line in completed.stdout.splitlines()
                             if line.startswith("RESULT "))[len("RESULT "):])
    assert result["backend"] == "torch" and result["threads"] == 1
    if result["cuda"]:
        pytest.skip("torch sees a GPU here")
    assert result["gpus"] == []
    assert "needs a GPU; none found. Run with --device cpu" in result["required"]
    assert result["asked"] == "--device gpu was asked for but PyTorch sees no GPU"
    assert result["preferred"] == ["/CPU:0", ["no GPU found: fell back to the CPU"]]
    assert result["weights_on"] == "cpu"


# -- every benchmark on torch ----------------------------------------------------------------------
@pytest.mark.slow
@needs_torch
def test_every_benchmark_runs_end_to_end_on_torch_at_the_smoke_tier(tmp_path):
    """``--device cpu``: the gpu-required deep MLPs too. No benchmark's code has a torch form of its own."""
    reports = tmp_path / "reports"
    completed = run_suite("run", "all", "--tier", "smoke", "--backend", "torch", "--device", "cpu", "--no-report",
                          env={"SUITE_REPORTS_DIR": str(reports)}, timeout_s=1800)
    assert_every_benchmark_ran(completed, only_run(reports), "torch")
