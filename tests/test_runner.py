"""The runner survives misbehaving jobs, keeps every finished record, and resumes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from suite.records import layout, reading, run_files
from tests.conftest import CRASHING_BENCHMARKS, only_run, run_suite

WITH_TEST_BENCHMARKS = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS)}


def _records(run_path):
    return {record["benchmark"] + f"/{record['seed']}": record for record in reading.load_records(run_path)}


@pytest.mark.slow
def test_a_raising_a_killed_and_a_hanging_job_are_recorded_and_the_run_goes_on(tmp_path):
    completed = run_suite(
        "run", "test_raises", "test_kills_itself", "test_hangs", "test_well_behaved",
        "--tier", "smoke", "--timeout", "20", "--no-report", env=WITH_TEST_BENCHMARKS,
    )
    assert completed.returncode == 1, completed.stderr
    records = _records(only_run(tmp_path / "reports"))
    assert records["test_raises/1"]["status"] == "error"
    assert "deliberate failure inside the benchmark" in records["test_raises/1"]["error"]
    assert records["test_kills_itself/1"]["status"] == "error"
    assert "SIGKILL" in records["test_kills_itself/1"]["error"]
    assert records["test_hangs/1"]["status"] == "timeout"
    assert records["test_well_behaved/1"]["status"] == "ok"
    assert records["test_well_behaved/1"]["metrics"]["final_loss"] >= 0
    assert "ERROR" in completed.stdout and "TIMEOUT" in completed.stdout


@pytest.mark.slow
def test_a_diverging_job_is_a_result_not_an_error(tmp_path):
    completed = run_suite("run", "test_diverges", "--tier", "full", "--seeds", "1", "--no-report",
                          env=WITH_TEST_BENCHMARKS)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    record = next(iter(_records(only_run(tmp_path / "reports")).values()))
    assert record["status"] == "ok"
    assert record["metrics"]["final_loss"] == float("inf")
    assert "REPRODUCED" in completed.stdout


@pytest.mark.slow
def test_resume_runs_only_the_missing_jobs(tmp_path):
    first = run_suite("run", "test_well_behaved", "--tier", "full", "--seeds", "3", "--no-report",
                      env=WITH_TEST_BENCHMARKS)
    assert first.returncode == 0, first.stderr
    run_path = only_run(tmp_path / "reports")
    kept = layout.record_path(run_path, "test_well_behaved", "full", 1)
    removed = layout.record_path(run_path, "test_well_behaved", "full", 2)
    kept_before = (kept.read_bytes(), os.stat(kept).st_mtime_ns)
    removed.unlink()

    second = run_suite("run", "--resume", run_path.name, "--no-report", env=WITH_TEST_BENCHMARKS)
    assert second.returncode == 0, second.stderr
    assert removed.exists(), "the missing job was not re-run"
    assert (kept.read_bytes(), os.stat(kept).st_mtime_ns) == kept_before, "a finished record was rewritten"
    assert "kept (resume: its record exists)" in second.stderr
    assert "3 jobs (2 already recorded, 1 to run)" in second.stderr, "the estimate must count only the jobs to run"
    assert json.loads(removed.read_text())["seed"] == 2


@pytest.mark.slow
def test_resume_with_more_seeds_adds_only_the_new_seeds_to_the_same_run(tmp_path):
    first = run_suite("run", "test_well_behaved", "--tier", "full", "--seeds", "1", "--no-report",
                      env=WITH_TEST_BENCHMARKS)
    assert first.returncode == 0, first.stderr
    run_path = only_run(tmp_path / "reports")
    seed_one = layout.record_path(run_path, "test_well_behaved", "full", 1)
    seed_one_before = (seed_one.read_bytes(), os.stat(seed_one).st_mtime_ns)

    fewer = run_suite("run", "--resume", run_path.name, "--seeds", "0", "--no-report", env=WITH_TEST_BENCHMARKS)
    assert fewer.returncode == 2 and "at least 1" in fewer.stderr

    grown = run_suite("run", "--resume", run_path.name, "--seeds", "3", "--no-report", env=WITH_TEST_BENCHMARKS)
    assert grown.returncode == 0, grown.stderr
    assert "3 jobs (1 already recorded, 2 to run)" in grown.stderr
    assert sorted(_records(run_path)) == ["test_well_behaved/1", "test_well_behaved/2", "test_well_behaved/3"]
    assert (seed_one.read_bytes(), os.stat(seed_one).st_mtime_ns) == seed_one_before, "seed 1 was trained again"
    assert run_files.read_run_manifest(run_path)["seeds"] == 3

    shrunk = run_suite("run", "--resume", run_path.name, "--seeds", "2", "--no-report", env=WITH_TEST_BENCHMARKS)
    assert shrunk.returncode == 2
    assert "already asks for 3 seeds" in shrunk.stderr and "can only add seeds" in shrunk.stderr
    assert sorted(_records(run_path)) == ["test_well_behaved/1", "test_well_behaved/2", "test_well_behaved/3"]


@pytest.mark.slow
def test_sigterm_stops_the_run_keeps_finished_records_and_leaves_no_worker(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import PROJECT_ROOT

    environment = {**os.environ, **WITH_TEST_BENCHMARKS}
    process = subprocess.Popen(
        [sys.executable, "-m", "suite", "run", "test_well_behaved", "test_hangs", "--tier", "smoke", "--no-report"],
        cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    records_dir = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # wait until the first job's record exists
        runs = list((tmp_path / "reports" / "runs").glob("*/records/test_well_behaved__smoke__s1.json"))
        if runs:
            records_dir = runs[0].parent
            break
        time.sleep(0.5)
    assert records_dir is not None, "the first job never finished"
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert children, "the run has a worker process"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr
    assert [p.name for p in records_dir.glob("*.json")] == ["test_well_behaved__smoke__s1.json"]
    time.sleep(1)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]
    assert alive == [], f"worker processes left running: {alive}"
