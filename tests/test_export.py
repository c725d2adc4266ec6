"""``python -m suite export``: real runs out as CSV, Parquet, JSONL and TensorBoard events, read back."""

from __future__ import annotations

import io
import json
import math
import socket

import pandas as pd
import pytest

from suite import results
from suite.records import reading
from tests.conftest import JUDGED_BENCHMARKS, run_suite

pytestmark = pytest.mark.slow


def _records(run_path) -> dict:
    return {(r["benchmark"], r["seed"]): r for r in reading.load_records(run_path)}


def _export(real_runs, *arguments):
    completed = run_suite("export", *arguments, env=real_runs.env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def test_csv_has_one_row_per_job_with_metrics_verdicts_and_versions(real_runs, tmp_path):
    output = tmp_path / "jobs.csv"
    _export(real_runs, real_runs.full.name, real_runs.smoke.name, "-o", str(output))
    frame = pd.read_csv(output)
    full, smoke = _records(real_runs.full), _records(real_runs.smoke)
    assert len(frame) == len(full) + len(smoke) == 10
    assert set(frame["run"]) == {real_runs.full.name, real_runs.smoke.name}
    assert set(frame["backend"]) == {"tensorflow"}
    assert set(frame["status"]) == {"ok"}
    assert set(frame["hostname"]) == {socket.gethostname()}
    for _, row in frame.iterrows():
        record = (full if row["run"] == real_runs.full.name else smoke)[(row["benchmark"], row["seed"])]
        assert row["experiment"] == record["experiment"] and row["tier"] == record["tier"]
        assert row["duration_s"] == pytest.approx(record["duration_s"])
        assert row["tensorflow"] == record["environment"]["tensorflow"]
        assert row["weights_sha256"] == record["weights_sha256"]
        for name, value in record["metrics"].items():
            assert row[f"metric.{name}"] == pytest.approx(value), name
    judged = frame[frame["run"] == real_runs.full.name]
    assert set(judged["verdict"]) == {"REPRODUCED"}
    # every_seed rules and a mean rule each get their own column, per reference
    assert set(judged["verdict.final_loss"]) == {"REPRODUCED"}
    assert set(judged["verdict.train_accuracy"]) == {"REPRODUCED"}
    assert set(frame[frame["run"] == real_runs.smoke.name]["verdict"]) == {"NOT JUDGED"}


def test_long_table_holds_every_history_point(real_runs, tmp_path):
    output = tmp_path / "long.csv"
    _export(real_runs, real_runs.smoke.name, "--long", "-o", str(output))
    frame = pd.read_csv(output)
    assert list(frame.columns) == ["run", "benchmark", "experiment", "tier", "seed", "series", "axis", "step",
                                   "value"]
    records = _records(real_runs.smoke)
    expected = sum(len(values) for r in records.values() for key, values in r["history"].items()
                   if key not in ("epoch", "step") and not key.endswith("_step"))
    assert len(frame) == expected > 0
    dense = frame[(frame["benchmark"] == "dlwp_dense512") & (frame["seed"] == 2) & (frame["series"] == "loss")]
    assert list(dense["axis"]) == ["epoch"] * len(dense)
    assert list(dense["step"]) == records[("dlwp_dense512", 2)]["history"]["epoch"]
    assert list(dense["value"]) == pytest.approx(records[("dlwp_dense512", 2)]["history"]["loss"])
    toy = frame[(frame["benchmark"] == "l2c_linear_circles") & (frame["seed"] == 1) & (frame["series"] == "loss")]
    history = records[("l2c_linear_circles", 1)]["history"]
    assert list(toy["step"]) == history["step"] and list(toy["value"]) == pytest.approx(history["loss"])


def test_parquet_and_jsonl_hold_the_same_table_as_csv(real_runs, tmp_path):
    pytest.importorskip("pyarrow", reason="the parquet extra: pip install 'keras-repro[parquet]'")
    _export(real_runs, real_runs.full.name, "-o", str(tmp_path / "jobs.csv"))
    _export(real_runs, real_runs.full.name, "--format", "parquet", "-o", str(tmp_path / "jobs.parquet"))
    jsonl = _export(real_runs, real_runs.full.name, "--format", "jsonl").stdout
    csv = pd.read_csv(tmp_path / "jobs.csv")
    parquet = pd.read_parquet(tmp_path / "jobs.parquet")
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert len(csv) == len(parquet) == len(lines) == 4
    assert list(parquet.columns) == list(csv.columns) == list(lines[0])
    for column in ("benchmark", "seed", "verdict", "verdict.final_loss", "metric.final_loss", "duration_s"):
        # CSV writes floats in their shortest round-tripping form, so every format holds the same numbers
        assert list(parquet[column]) == list(csv[column]), column
        assert [line[column] for line in lines] == list(csv[column]), column


def test_results_load_returns_the_exported_tables(real_runs, tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(real_runs.reports))
    _export(real_runs, real_runs.full.name, real_runs.smoke.name, "-o", str(tmp_path / "jobs.csv"))
    _export(real_runs, real_runs.full.name, real_runs.smoke.name, "--long", "-o", str(tmp_path / "long.csv"))
    jobs = results.load(real_runs.full.name, real_runs.smoke.name)
    exported = pd.read_csv(tmp_path / "jobs.csv")
    assert list(jobs.columns) == list(exported.columns)
    assert list(jobs["benchmark"]) == list(exported["benchmark"])
    assert jobs["metric.final_loss"].tolist() == pytest.approx(exported["metric.final_loss"].tolist(), nan_ok=True)
    long = results.load(real_runs.smoke.name, long=True)
    assert len(long) == len(pd.read_csv(tmp_path / "long.csv").query(f"run == '{real_runs.smoke.name}'"))
    # one argument, as before: the latest run
    assert set(results.load()["run"]) == {max(real_runs.full.name, real_runs.smoke.name)}


def test_tensorboard_events_hold_every_seed_history(real_runs, tmp_path):
    import tensorflow as tf

    output = tmp_path / "tb"
    completed = _export(real_runs, real_runs.smoke.name, "--format", "tensorboard", "-o", str(output))
    assert "tensorboard --logdir" in completed.stderr
    records = _records(real_runs.smoke)
    folders = sorted(p.relative_to(output / real_runs.smoke.name).as_posix()
                     for p in (output / real_runs.smoke.name).glob("*/*"))
    assert folders == sorted(f"{name}/seed{seed}" for name, seed in records)
    for (name, seed), record in records.items():
        scalars: dict[str, dict[int, float]] = {}
        for path in (output / real_runs.smoke.name / name / f"seed{seed}").glob("events.out.tfevents.*"):
            for event in tf.compat.v1.train.summary_iterator(str(path)):
                for value in event.summary.value:
                    assert value.metadata.plugin_data.plugin_name == "scalars"
                    scalars.setdefault(value.tag, {})[event.step] = float(tf.make_ndarray(value.tensor))
        history = record["history"]
        axis = history.get("epoch") or history.get("step")
        assert list(scalars["loss"]) == axis
        assert list(scalars["loss"].values()) == pytest.approx(history["loss"], rel=1e-6)
        for metric, value in record["metrics"].items():
            logged = scalars[f"metrics/{metric}"][max(axis)]
            assert logged == pytest.approx(value, rel=1e-6) or (math.isinf(value) and math.isinf(logged))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "xml"], "unknown format 'xml'; choose one of csv, parquet, jsonl, tensorboard"),
        (["--format", "parquet"], "Parquet is binary: name the file with -o FILE"),
        (["--format", "tensorboard"], "name it with -o DIR"),
        (["no-such-run"], "run 'no-such-run' not found"),
    ],
    ids=["format", "parquet-stdout", "tensorboard-stdout", "run"],
)
def test_export_usage_errors(arguments, message):
    completed = run_suite("export", *arguments)
    assert completed.returncode == 2, completed.stderr
    assert message in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1 and "Traceback" not in completed.stderr


def test_parquet_without_pyarrow_says_how_to_install_it(real_runs, tmp_path):
    hidden = tmp_path / "no-pyarrow"
    (hidden / "pyarrow").mkdir(parents=True)
    (hidden / "pyarrow" / "__init__.py").write_text("raise ImportError('pyarrow hidden for this test')\n")
    completed = run_suite("export", real_runs.full.name, "--format", "parquet", "-o", str(tmp_path / "x.parquet"),
                          env={**real_runs.env, "PYTHONPATH": str(hidden)})
    assert completed.returncode == 2
    assert completed.stderr.strip() == ("error: --format parquet needs pyarrow: pip install 'keras-repro[parquet]' "
                                        "(or use --format csv)")
    assert not (tmp_path / "x.parquet").exists()


@pytest.mark.damaged_records
def test_a_record_that_does_not_conform_is_named_with_its_field_and_left_out(real_runs, tmp_path):
    import shutil

    copy = tmp_path / "reports" / "runs" / real_runs.full.name
    shutil.copytree(real_runs.full, copy)
    path = copy / "records" / f"{JUDGED_BENCHMARKS[0]}__full__s1.json"
    record = json.loads(path.read_text())
    record["metrics"]["final_loss"] = "low"
    path.write_text(json.dumps(record))
    env = {**real_runs.env, "SUITE_REPORTS_DIR": str(tmp_path / "reports")}
    expected = (f"warning: record {path} is damaged (does not conform to record.schema.json: "
                "field 'metrics.final_loss': 'low' is not of type 'number') and was left out")
    exported = run_suite("export", copy.name, env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.strip() == expected
    assert len(pd.read_csv(io.StringIO(exported.stdout))) == 3  # the other three jobs
    compared = run_suite("compare", copy.name, copy.name, env=env)
    assert compared.returncode == 0, compared.stderr
    assert expected.replace("warning: ", "warning: A: ") in compared.stderr.splitlines()
    rendered = run_suite("report", copy.name, env=env)
    assert rendered.returncode == 0, rendered.stderr
    assert expected in rendered.stderr
    html = (copy / "report.html").read_text()
    assert "field &#39;metrics.final_loss&#39;" in html and "was left out" in html


def test_an_output_that_cannot_be_written_is_one_line(real_runs, tmp_path):
    target = tmp_path / "no-such-folder" / "jobs.csv"
    completed = run_suite("export", real_runs.full.name, "-o", str(target), env=real_runs.env)
    assert completed.returncode == 2
    assert completed.stderr.strip() == (f"error: cannot write {target}: No such file or directory; "
                                        "name a file in a folder that exists and is writable")
