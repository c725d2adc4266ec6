"""Records: written once and atomically, read back whole, loaded as a DataFrame."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from suite import results
from suite.constants import RECORD_SCHEMA_VERSION
from suite.records import layout, publish, reading


def make_record(seed=1, **overrides):
    record = {
        "benchmark": "b", "tier": "smoke", "seed": seed, "status": "ok",
        "metrics": {"test_accuracy": 0.97, "final_loss": math.inf},
        "history": {"epoch": [1, 2], "loss": [0.5, 0.25]},
        "environment": {"tensorflow": "2.x"}, "duration_s": 1.5,
    }
    record.update(overrides)
    return record


def test_round_trip_keeps_metrics_history_artefacts_and_non_finite_values(tmp_path):
    run_path = tmp_path / "run"
    grid = np.arange(12, dtype="float32").reshape(3, 4)
    path = publish.write_record(run_path, make_record(), {"decision_grid": grid})
    loaded = reading.read_record(path)
    assert loaded["schema_version"] == RECORD_SCHEMA_VERSION
    assert loaded["metrics"]["test_accuracy"] == 0.97
    assert loaded["metrics"]["final_loss"] == math.inf
    assert loaded["history"]["loss"] == [0.5, 0.25]
    np.testing.assert_array_equal(reading.read_artefacts(loaded)["decision_grid"], grid)


def test_a_record_is_never_rewritten(tmp_path):
    first = publish.write_record(tmp_path / "run", make_record())
    before = first.read_bytes()
    assert publish.write_record(tmp_path / "run", make_record(metrics={"test_accuracy": 0.1})) is None
    assert first.read_bytes() == before


def test_no_temporary_file_is_left_behind(tmp_path):
    publish.write_record(tmp_path / "run", make_record())
    leftovers = [p.name for p in (tmp_path / "run" / "records").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_load_returns_a_dataframe_with_metric_columns(tmp_path):
    run_path = layout.run_dir("20260101-000000-smoke-abcd")
    for seed in (1, 2, 3):
        publish.write_record(run_path, make_record(seed=seed, metrics={"test_accuracy": 0.9 + seed / 100}))
    frame = results.load(run_path.name)
    assert len(frame) == 3
    assert sorted(frame["seed"]) == [1, 2, 3]
    assert frame["metric.test_accuracy"].mean() == pytest.approx(0.92)


def test_a_record_of_another_schema_is_refused(tmp_path):
    path = publish.write_record(tmp_path / "run", make_record())
    data = json.loads(path.read_text())
    data["schema_version"] = 999
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="schema_version"):
        reading.read_record(path)


def test_unknown_run_names_the_runs_that_exist(tmp_path):
    publish.write_record(layout.run_dir("20260101-000000-smoke-abcd"), make_record())
    with pytest.raises(layout.RunNotFound, match="20260101-000000-smoke-abcd"):
        layout.find_run("no-such-run")
