"""``--backend``: one Keras backend per run, stored in the manifest and every record, shown wherever a run is read.

The runs here are real (``python -m suite`` in a subprocess, real worker processes, real JAX);
the benchmark is the one-unit test model of ``tests/fixtures``, so each run takes seconds.
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
from tests.conftest import CRASHING_BENCHMARKS, PROJECT_ROOT, only_run, run_suite
from tests.test_faults import _one_line_error

WITH_TEST_BENCHMARKS = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS)}


def test_a_backend_the_suite_cannot_use_is_one_line_and_exit_2(tmp_path):
    """(A backend that is registered but not installed: tests/test_torch.py, with torch hidden from the process.)"""
    for command in ("run", "calibrate"):
        completed = run_suite(command, "test_well_behaved", "--tier", "smoke", "--backend", "nonsense",
                              env=WITH_TEST_BENCHMARKS, timeout_s=120)
        assert completed.returncode == 2, completed.stderr
        line = _one_line_error(completed)
        assert "unknown backend 'nonsense'; choose one of tensorflow, jax, torch" in line, line
    assert not (tmp_path / "reports" / "runs").exists(), "nothing is created for a bad --backend"


def test_problem_names_the_install_command_when_the_backend_is_missing(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    assert backends.problem("jax") == ("--backend jax: jax is not installed; install it with pip install -e "
                                       "'.[jax]' (jax[cuda12] for NVIDIA GPUs)")
    assert backends.problem("tensorflow") is None


def test_the_registry_finds_each_backend_module_by_name_default_first():
    assert backends.names()[0] == backends.default().name == "tensorflow"
    assert set(backends.names()) == {"tensorflow", "jax", "torch"}
    assert [backends.get(name).label for name in backends.names()] == ["TensorFlow", "JAX", "PyTorch"]
    assert backends.get("jax").data_parallel == "DataParallel" and backends.get("jax").versioned == ("jax", "jaxlib")
    with pytest.raises(ValueError, match="unknown backend 'nonsense'; choose one of tensorflow, jax, torch"):
        backends.get("nonsense")


def test_reading_the_backends_imports_no_framework():
    """The driver checks --backend, plans and lists without Keras: every backend module imports its framework
    inside its methods only."""
    script = ("import sys; from suite import backends; from suite.backends import training; "
              "[backends.get(name).installed() for name in backends.names()]; backends.problem('torch'); "
              "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=60, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "[]"


def test_recorded_backend_of_an_old_record_is_tensorflow():
    assert backends.recorded({"environment": {"tensorflow": "2.21.0"}}) == "tensorflow (tensorflow 2.21.0)"
    assert backends.recorded({"backend": "jax", "environment": {"backend": "jax", "jax": "0.10.2",
                                                                "jaxlib": "0.10.2"}}) == \
        "jax (jax 0.10.2, jaxlib 0.10.2)"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_run_on_another_backend_stores_it_shows_it_and_cannot_be_resumed_or_merged_with_tensorflow(tmp_path,
                                                                                                      backend):
    pytest.importorskip(backends.get(backend).module)
    reports = tmp_path / "reports"
    other_run = run_suite("run", "test_well_behaved", "--tier", "smoke", "--backend", backend,
                        env=WITH_TEST_BENCHMARKS, timeout_s=300)
    assert other_run.returncode == 0, other_run.stderr[-3000:]
    run_path = only_run(reports)
    manifest = json.loads((run_path / "run.json").read_text())
    assert manifest["backend"] == backend
    [record] = reading.load_records(run_path)
    versions = backends.versions(backend)
    assert record["backend"] == backend and record["status"] == "ok"
    environment = record["environment"]
    assert environment["backend"] == backend and environment["backend_version"] == versions[backend]
    assert {name: environment[name] for name in versions} == versions and all(versions.values())
    if backend == "jax":
        assert record["devices_seen"]["jax_devices"], record["devices_seen"]
    described = backends.describe(backend)
    assert described == (f"jax (jax {versions['jax']}, jaxlib {versions['jaxlib']})" if backend == "jax"
                         else f"torch (torch {versions['torch']})")
    assert f"Backend: {described}" in other_run.stdout
    assert f"backend {described}" in other_run.stderr
    assert described in (reports / "latest.html").read_text()

    refused = run_suite("run", "--resume", run_path.name, "--backend", "tensorflow", env=WITH_TEST_BENCHMARKS,
                        timeout_s=120)
    assert refused.returncode == 2
    line = _one_line_error(refused)
    assert f"cannot resume run {run_path.name}, which runs on {backend}" in line and "never mixes backends" in line

    tf_run = run_suite("run", "test_well_behaved", "--tier", "smoke", "--no-report", env=WITH_TEST_BENCHMARKS,
                       timeout_s=300)
    assert tf_run.returncode == 0, tf_run.stderr[-3000:]
    assert "Backend: tensorflow (tensorflow " in tf_run.stdout
    tf_path = next(path for path in (reports / "runs").iterdir() if path != run_path)
    assert reading.load_records(tf_path)[0]["backend"] == "tensorflow"
    compared = run_suite("compare", tf_path.name, run_path.name, env=WITH_TEST_BENCHMARKS, timeout_s=120)
    assert f"B = {run_path.name}  (backend {described})" in compared.stdout, compared.stdout
    assert f"A = {tf_path.name}  (backend tensorflow (tensorflow " in compared.stdout
    table = run_suite("compare", tf_path.name, run_path.name, "--markdown", env=WITH_TEST_BENCHMARKS, timeout_s=120)
    header, rule, row = table.stdout.splitlines()
    assert header.startswith(f"| benchmark | tensorflow verdict | {backend} verdict | s/seed tensorflow | "
                             f"s/seed {backend} | ")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:3] == ["test_well_behaved", "NOT JUDGED", "NOT JUDGED"], row  # the smoke tier judges nothing
    # The ratio is printed with two decimals, from the seconds before they are rounded to three significant
    # digits: so it may differ from the printed seconds' ratio by 0.005 plus that rounding (up to 0.4 % each).
    expected = float(cells[4]) / float(cells[3])
    assert abs(float(cells[5]) - expected) <= 0.005 + 0.01 * expected, row
    # A third run adds a column set; with a backend twice the columns are lettered, and A / A is 1.
    three = run_suite("compare", tf_path.name, run_path.name, tf_path.name, "--markdown", env=WITH_TEST_BENCHMARKS,
                      timeout_s=120)
    header, rule, row = three.stdout.splitlines()
    assert header == ("| benchmark | A verdict | B verdict | C verdict | s/seed A | s/seed B | s/seed C | "
                      "B / A | C / A |") and rule.count("|") == header.count("|")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1:4] == ["NOT JUDGED"] * 3 and cells[4] == cells[6] and cells[8] == "1.00", row
    refused = run_suite("compare", tf_path.name, run_path.name, tf_path.name, env=WITH_TEST_BENCHMARKS, timeout_s=120)
    assert refused.returncode == 2 and "only with --markdown" in _one_line_error(refused)
    merged = run_suite("merge", tf_path.name, run_path.name, "--into", "both", env=WITH_TEST_BENCHMARKS,
                       timeout_s=120)
    assert merged.returncode == 2 and "different backends" in _one_line_error(merged)


def test_jax_workers_each_use_their_own_share_of_the_cores(tmp_path):
    """``--workers 2`` on JAX: each worker is pinned to its own core, so XLA's pool is one thread each."""
    pytest.importorskip("jax")
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores to give two workers one each")
    completed = run_suite("run", "test_well_behaved", "--tier", "smoke", "--seeds", "2", "--workers", "2",
                          "--backend", "jax", "--no-report", env=WITH_TEST_BENCHMARKS, timeout_s=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    run_path = only_run(tmp_path / "reports")
    records = reading.load_records(run_path)
    assert [record["status"] for record in records] == ["ok", "ok"]
    assert {record["intra_op_threads"] for record in records} == {1}, "XLA's pool is sized by the pinned cores"


# -- every benchmark on JAX, and JAX's determinism --------------------------------------------------
@pytest.fixture(scope="module")
def jax_smoke_run(tmp_path_factory):
    """One smoke-tier run of every registered benchmark on JAX (``--device cpu``: the gpu-required ones too)."""
    pytest.importorskip("jax")
    reports = tmp_path_factory.mktemp("jax-smoke") / "reports"
    completed = run_suite("run", "all", "--tier", "smoke", "--backend", "jax", "--device", "cpu", "--no-report",
                          env={"SUITE_REPORTS_DIR": str(reports)}, timeout_s=1800)
    return completed, only_run(reports)


@pytest.mark.slow
def test_every_benchmark_runs_end_to_end_on_jax_at_the_smoke_tier(jax_smoke_run):
    assert_every_benchmark_ran(*jax_smoke_run, "jax")


def assert_every_benchmark_ran(completed: subprocess.CompletedProcess, run_path, backend: str) -> None:
    """A run of every registered benchmark on ``backend`` ended well, each with weights and metrics."""
    from suite import registry

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    records = {record["benchmark"]: record for record in reading.load_records(run_path)}
    assert sorted(records) == sorted(registry.discover())
    failed = {name: record["error"][:300] for name, record in records.items() if record["status"] != "ok"}
    assert not failed, failed
    for name, record in records.items():
        assert record["backend"] == backend and record["environment"]["backend"] == backend, name
        assert record["weights_sha256"] and record["metrics"], name


@pytest.mark.slow
def test_jax_gives_the_same_weights_for_the_same_seed(jax_smoke_run, tmp_path):
    """Same seed, same machine, same versions: XLA on the CPU computes the same bits (docs/backends.md says so)."""
    _, first_run = jax_smoke_run
    # A compiled full-batch loop with FusedAdam's Keras equivalent, a Flux crossentropy model.fit, an rmsprop fit.
    names = ("l2c_hidden_sigmoid_circles", "learn2classify_softmax_regression", "dlwp_dense512")
    again = run_suite("run", *names, "--tier", "smoke", "--seeds", "2", "--backend", "jax", "--device", "cpu",
                      "--no-report", timeout_s=900)
    assert again.returncode == 0, again.stderr[-3000:]
    second_run = only_run(tmp_path / "reports")
    second = {(r["benchmark"], r["seed"]): r["weights_sha256"] for r in reading.load_records(second_run)}
    first = {(r["benchmark"], r["seed"]): r["weights_sha256"] for r in reading.load_records(first_run)}
    for name in names:
        assert second[(name, 1)] == first[(name, 1)], f"{name}: seed 1 trained twice gave other weights"
        assert second[(name, 2)] != second[(name, 1)], f"{name}: seed 2 gave seed 1's weights"


# -- placement and data parallelism on JAX ---------------------------------------------------------
def test_gpu_and_gpu_required_follow_jax_devices_without_a_gpu():
    pytest.importorskip("jax")
    script = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from suite.run import placement
        import jax, keras
        gpus = placement.available_gpus()
        required = placement.resolve("gpu-required", "auto", estimate_cpu_s=60.0)
        asked = placement.resolve("gpu", "gpu")
        preferred = placement.resolve("gpu", "auto")
        print("RESULT " + json.dumps({"backend": keras.backend.backend(), "gpus": gpus,
                                      "platforms": sorted({d.platform for d in jax.devices()}),
                                      "required": required.skip_reason, "asked": asked.skip_reason,
                                      "preferred": [preferred.device, preferred.notes]}))
    """)
    result = _run_script(script, {"KERAS_BACKEND": "jax"})
    assert result["backend"] == "jax"
    if result["platforms"] != ["cpu"]:
        pytest.skip("JAX sees a GPU here")
    assert result["gpus"] == []
    assert "needs a GPU; none found. Run with --device cpu" in result["required"]
    assert result["asked"] == "--device gpu was asked for but JAX sees no GPU"
    assert result["preferred"] == ["/CPU:0", ["no GPU found: fell back to the CPU"]]


def test_counting_jax_gpus_in_the_driver_leaves_the_workers_environment_as_it_was(monkeypatch):
    pytest.importorskip("jax")
    from suite.backends import jax as jax_backend
    from suite.run import placement

    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    assert placement.gpu_count("jax") == len(jax_backend.devices("gpu"))
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ
    monkeypatch.setenv("XLA_PYTHON_CLIENT_PREALLOCATE", "true")  # the user's own setting is kept
    placement.gpu_count("jax")
    assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "true"


@pytest.mark.slow
def test_data_parallel_on_jax_runs_over_two_logical_cpus(tmp_path):
    """``SUITE_LOGICAL_CPUS=2`` gives the JAX worker two XLA CPU devices: a gpu job runs under ``DataParallel``."""
    pytest.importorskip("jax")
    completed = run_suite("run", "dlwp_dense512", "--tier", "smoke", "--backend", "jax", "--no-report",
                          env={"SUITE_LOGICAL_CPUS": "2"}, timeout_s=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    [record] = reading.load_records(only_run(tmp_path / "reports"))
    assert record["status"] == "ok", record["error"]
    assert record["device"] == "mirrored:/device:CPU:0,/device:CPU:1"
    assert record["placement_notes"] == ["data parallel over 2 devices (DataParallel)"]
    assert len(record["devices_seen"]["jax_devices"]) == 2
    assert "--xla_force_host_platform_device_count=2" in record["environment"]["environment_variables"]["XLA_FLAGS"]


def test_data_parallel_scope_distributes_the_variables_over_both_devices():
    pytest.importorskip("jax")
    script = textwrap.dedent("""
        import json, os, sys
        sys.path.insert(0, sys.argv[1])
        from suite import backends
        from suite.run import placement
        backends.get("jax").configure_worker(deterministic=False, intra_op_threads=None, cpu_cores=None,
                                             logical_cpus=placement.logical_cpus())  # before JAX initialises
        import keras
        replicas = placement.replica_devices()
        decision = placement.resolve("gpu", "auto", gpus=replicas)
        with decision.scope():
            distribution = type(keras.distribution.distribution()).__name__
            model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
            model.compile(optimizer="sgd", loss="mse")
            model.fit(keras.ops.ones((8, 4)), keras.ops.zeros((8, 2)), batch_size=8, epochs=1, verbose=0)
        devices = sorted(str(device) for device in model.weights[0].value.sharding.device_set)
        print("RESULT " + json.dumps({"replicas": replicas, "distribution": distribution, "devices": devices}))
    """)
    result = _run_script(script, {"KERAS_BACKEND": "jax", "SUITE_LOGICAL_CPUS": "2"})
    assert result["replicas"] == ["/device:CPU:0", "/device:CPU:1"]
    assert result["distribution"] == "DataParallel"
    assert len(result["devices"]) == 2, result


def _run_script(script: str, env: dict) -> dict:
    completed = subprocess.run([sys.executable, "-c", script, str(PROJECT_ROOT)], env={**os.environ, **env},
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


@pytest.mark.slow
def test_each_backend_is_gated_on_its_own_baseline_file(tmp_path):
    """``calibrate --backend jax`` writes quick-jax.json; a JAX run is judged against it, bit for bit, and a
    TensorFlow run never sees it."""
    pytest.importorskip("jax")
    environment = {"SUITE_BASELINES_DIR": str(tmp_path / "baselines")}
    calibrated = run_suite("calibrate", "l2c_relu_unit_circles", "--tier", "quick", "--seeds", "3", "--backend", "jax",
                           env=environment)
    assert calibrated.returncode == 0, calibrated.stderr[-2000:]
    assert sorted(path.name for path in (tmp_path / "baselines").iterdir()) == ["quick-jax.json"]
    entry = json.loads((tmp_path / "baselines" / "quick-jax.json").read_text())["benchmarks"]["l2c_relu_unit_circles"]
    assert entry["environment"]["backend"] == "jax" and entry["environment"]["jaxlib"]

    on_jax = run_suite("run", "l2c_relu_unit_circles", "--tier", "quick", "--seeds", "1", "--backend", "jax",
                       "--no-report", env=environment)
    assert on_jax.returncode == 0, on_jax.stderr[-2000:]
    assert "Numerics: 1 of 1 benchmarks bit-identical to the baseline" in on_jax.stdout
    newest_run = max((tmp_path / "reports" / "runs").iterdir())  # after the calibration's own run
    record = reading.load_records(newest_run)[0]
    assert record["judged_against"]["baseline"]["file"] == "baselines/quick-jax.json"
    assert record["judged_against"]["judged"] is True

    on_tensorflow = run_suite("run", "l2c_relu_unit_circles", "--tier", "quick", "--seeds", "1", "--no-report",
                              env=environment)
    assert "has no entry in baselines/quick.json; it is not judged" in on_tensorflow.stderr
    assert "Numerics:" not in on_tensorflow.stdout
