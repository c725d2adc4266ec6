"""``--backend``: one Keras backend per run, stored in the manifest and every record, shown wherever a run is read.

The runs here are real (``python -m suite`` in a subprocess, real worker processes, real JAX);
the benchmark is the one-unit test model of ``tests/fixtures``, so each run takes seconds.
"""

from __future__ import annotations

import json

import pytest

from suite import backends
from suite.run import store
from tests.conftest import CRASHING_BENCHMARKS, only_run, run_suite
from tests.test_faults import _one_line_error

WITH_TEST_BENCHMARKS = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS)}


@pytest.mark.parametrize("backend, says", [
    ("nonsense", "unknown backend 'nonsense'; choose one of tensorflow, jax"),
    ("torch", "--backend torch: PyTorch is not installed"),
])
def test_a_backend_the_suite_cannot_use_is_one_line_and_exit_2(tmp_path, backend, says):
    pytest.importorskip("jax")  # "choose one of tensorflow, jax" is only the fix where jax is installed
    if backend == "torch" and backends.problem("torch") and "not installed" not in backends.problem("torch"):
        pytest.skip("PyTorch is installed here")
    for command in ("run", "calibrate"):
        completed = run_suite(command, "test_well_behaved", "--tier", "smoke", "--backend", backend,
                              env=WITH_TEST_BENCHMARKS, timeout_s=120)
        assert completed.returncode == 2, completed.stderr
        line = _one_line_error(completed)
        assert says in line and "tensorflow, jax" in line, line
    assert not (tmp_path / "reports" / "runs").exists(), "nothing is created for a bad --backend"


def test_problem_names_the_install_command_when_the_backend_is_missing(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    assert backends.problem("jax") == ("--backend jax: jax is not installed; install it with pip install -e "
                                       "'.[jax]' (jax[cuda12] for NVIDIA GPUs)")
    assert backends.problem("tensorflow") is None


def test_recorded_backend_of_an_old_record_is_tensorflow():
    assert backends.recorded({"environment": {"tensorflow": "2.21.0"}}) == "tensorflow (tensorflow 2.21.0)"
    assert backends.recorded({"backend": "jax", "environment": {"backend": "jax", "jax": "0.10.2",
                                                                "jaxlib": "0.10.2"}}) == \
        "jax (jax 0.10.2, jaxlib 0.10.2)"


@pytest.mark.slow
def test_a_jax_run_stores_its_backend_shows_it_and_cannot_be_resumed_on_another(tmp_path):
    pytest.importorskip("jax")
    reports = tmp_path / "reports"
    jax_run = run_suite("run", "test_well_behaved", "--tier", "smoke", "--backend", "jax",
                        env=WITH_TEST_BENCHMARKS, timeout_s=300)
    assert jax_run.returncode == 0, jax_run.stderr[-3000:]
    run_path = only_run(reports)
    manifest = json.loads((run_path / "run.json").read_text())
    assert manifest["backend"] == "jax"
    [record] = store.load_records(run_path)
    versions = backends.versions("jax")
    assert record["backend"] == "jax" and record["status"] == "ok"
    environment = record["environment"]
    assert environment["backend"] == "jax" and environment["backend_version"] == versions["jax"]
    assert (environment["jax"], environment["jaxlib"]) == (versions["jax"], versions["jaxlib"])
    assert record["devices_seen"]["jax_devices"], record["devices_seen"]
    described = f"jax (jax {versions['jax']}, jaxlib {versions['jaxlib']})"
    assert f"Backend: {described}" in jax_run.stdout
    assert f"backend {described}" in jax_run.stderr
    assert described in (reports / "latest.html").read_text()

    refused = run_suite("run", "--resume", run_path.name, "--backend", "tensorflow", env=WITH_TEST_BENCHMARKS,
                        timeout_s=120)
    assert refused.returncode == 2
    line = _one_line_error(refused)
    assert f"cannot resume run {run_path.name}, which runs on jax" in line and "never mixes backends" in line

    tf_run = run_suite("run", "test_well_behaved", "--tier", "smoke", "--no-report", env=WITH_TEST_BENCHMARKS,
                       timeout_s=300)
    assert tf_run.returncode == 0, tf_run.stderr[-3000:]
    assert "Backend: tensorflow (tensorflow " in tf_run.stdout
    tf_path = next(path for path in (reports / "runs").iterdir() if path != run_path)
    assert store.load_records(tf_path)[0]["backend"] == "tensorflow"
    compared = run_suite("compare", tf_path.name, run_path.name, env=WITH_TEST_BENCHMARKS, timeout_s=120)
    assert f"B = {run_path.name}  (backend {described})" in compared.stdout, compared.stdout
    assert f"A = {tf_path.name}  (backend tensorflow (tensorflow " in compared.stdout
    merged = run_suite("merge", tf_path.name, run_path.name, "--into", "both", env=WITH_TEST_BENCHMARKS,
                       timeout_s=120)
    assert merged.returncode == 2 and "different backends" in _one_line_error(merged)
