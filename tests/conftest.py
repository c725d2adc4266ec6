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
