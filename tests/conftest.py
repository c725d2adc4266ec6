"""Shared fixtures: every test gets its own reports folder and Keras home; MNIST comes from the real cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CRASHING_BENCHMARKS = Path(__file__).parent / "fixtures" / "crashing_benchmarks"


@pytest.fixture(autouse=True)
def hermetic_environment(tmp_path, monkeypatch):
    """Records go to a temp folder; ``import keras`` writes its config there, not in the user's home."""
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    yield


def run_suite(*arguments: str, env: dict | None = None, timeout_s: float = 900) -> subprocess.CompletedProcess:
    """``python -m suite ...`` in a real subprocess, as a user runs it."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "suite", *arguments], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout_s)


def only_run(reports_dir: Path) -> Path:
    runs = sorted((reports_dir / "runs").iterdir())
    assert len(runs) == 1, runs
    return runs[0]


@pytest.fixture(autouse=True)
def records_conform_to_the_schema(request, tmp_path):
    """Every record a test leaves behind (the runner's, or a test's own) conforms to the published schema.

    Files that are not JSON or carry a ``schema_version`` this suite does not read are damaged on purpose by
    the tests of the readers; a test that damages a record otherwise says so with ``@pytest.mark.damaged_records``.
    """
    yield
    if request.node.get_closest_marker("damaged_records"):
        return
    problems = schema_problems(tmp_path)
    assert not problems, "records that do not conform to suite/schema/record.schema.json:\n" + "\n".join(problems)


def schema_problems(folder: Path) -> list[str]:
    """``path: field: problem`` for every record under ``folder`` that parses, has a version this suite reads,
    and does not conform."""
    import json

    from suite import schema
    from suite.constants import READABLE_RECORD_SCHEMA_VERSIONS

    problems = []
    for path in sorted(folder.rglob("records/*.json")):
        try:
            record = json.loads(path.read_text())
        except ValueError:
            continue
        if not isinstance(record, dict) or record.get("schema_version") not in READABLE_RECORD_SCHEMA_VERSIONS:
            continue
        problems += [f"{path}: {field}: {problem}" for field, problem in schema.record_problems(record)]
    return problems


JUDGED_BENCHMARKS = ("l2c_linear_circles", "l2c_hidden_sigmoid_circles")


@pytest.fixture(scope="session")
def real_runs(tmp_path_factory):
    """Two real runs, made once per session: a judged full-tier run of two toy benchmarks (one judged on
    every seed, one on the mean), and a smoke run of the same two plus an epoch-based MNIST benchmark.
    Between them the verdicts differ (smoke is not judged), the smoke losses leave the full tier's
    bounds, and the full tier is slower: what ``compare --fail-on`` looks for."""
    import types

    reports = tmp_path_factory.mktemp("real-runs")
    env = {"SUITE_REPORTS_DIR": str(reports / "reports"), "KERAS_HOME": str(reports / "keras-home"),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    full = run_suite("run", *JUDGED_BENCHMARKS, "--tier", "full", "--seeds", "2", env=env)
    assert full.returncode == 0, full.stdout + full.stderr[-3000:]
    smoke = run_suite("run", *JUDGED_BENCHMARKS, "dlwp_dense512", "--tier", "smoke", "--seeds", "2", env=env)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr[-3000:]
    runs = {path.name.split("-")[2]: path for path in (reports / "reports" / "runs").iterdir()}
    problems = schema_problems(reports)
    assert not problems, problems
    return types.SimpleNamespace(env=env, reports=reports / "reports", full=runs["full"], smoke=runs["smoke"],
                                 full_stdout=full.stdout, smoke_stdout=smoke.stdout)


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A loopback SLURM cluster (``tests/slurm_cluster.py``) for the session: its env (``SLURM_CONF``) or a skip."""
    from tests.slurm_cluster import ClusterUnavailable, LoopbackCluster

    cluster = LoopbackCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
    except ClusterUnavailable as reason:
        pytest.skip(f"no SLURM cluster on loopback: {reason}")
    try:
        yield cluster.env
    finally:
        cluster.stop()
