"""Faults and bad input, one test per class, through the real CLI and real worker processes.

Each test states the fault, what the user must see (one clear line, the right exit code) and that
no record is lost. The test-only benchmarks in ``tests/fixtures/crashing_benchmarks`` misbehave on
purpose; the rest are real smoke-tier benchmarks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from suite.cli.progress import Progress
from suite.records import layout, publish, reading
from suite.run.planning import Job
from tests.conftest import CRASHING_BENCHMARKS, PROJECT_ROOT, only_run, run_suite

WITH_TEST_BENCHMARKS = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS)}


def _one_line_error(completed: subprocess.CompletedProcess) -> str:
    """The error the user sees: exactly one line starting with 'error:', and no traceback."""
    assert "Traceback" not in completed.stderr, completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, completed.stderr
    return errors[0]


def _records(run_path: Path) -> dict[str, dict]:
    return {f"{r['benchmark']}/{r['seed']}": r for r in reading.load_records(run_path)}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """One real finished run of three seeds, copied by the tests that damage or resume it."""
    reports = tmp_path_factory.mktemp("finished-run")
    completed = run_suite("run", "test_well_behaved", "--tier", "full", "--seeds", "3", "--no-report",
                          env={**WITH_TEST_BENCHMARKS, "SUITE_REPORTS_DIR": str(reports)})
    assert completed.returncode == 0, completed.stderr
    return only_run(reports)


def _copy_of(run_path: Path, reports_dir: Path) -> Path:
    target = reports_dir / "runs" / run_path.name
    shutil.copytree(run_path, target)
    return target


# -- 1. a job's timeout measures the job, not the worker's start-up ------------------------------
@pytest.mark.slow
def test_the_timeout_counts_the_job_not_the_worker_start_up(tmp_path):
    # Importing TensorFlow in a fresh worker takes longer than 4 s here; the jobs take well under 1 s.
    # test_hangs times out, so the next job pays a second worker start, which must not count either.
    completed = run_suite("run", "l2c_linear_circles", "test_hangs", "test_well_behaved", "--tier", "smoke",
                          "--timeout", "4", "--no-report", env=WITH_TEST_BENCHMARKS)
    records = _records(only_run(tmp_path / "reports"))
    assert records["l2c_linear_circles/1"]["status"] == "ok", completed.stderr
    assert records["test_hangs/1"]["status"] == "timeout"
    assert records["test_well_behaved/1"]["status"] == "ok", completed.stderr


# -- 2. damaged records: named, moved aside, rerun; compare warns --------------------------------
@pytest.mark.slow
def test_damaged_records_are_named_moved_aside_and_rerun(tmp_path, finished_run):
    run_path = _copy_of(finished_run, tmp_path / "reports")
    seed = {n: layout.record_path(run_path, "test_well_behaved", "full", n) for n in (1, 2, 3)}
    seed[1].write_bytes(seed[1].read_bytes()[:40])                                # truncated
    seed[2].write_bytes(os.urandom(300))                                          # random bytes
    record = json.loads(seed[3].read_text())
    seed[3].write_text(json.dumps({**record, "schema_version": 99}))              # another schema

    compared = run_suite("compare", run_path.name, run_path.name, env=WITH_TEST_BENCHMARKS)
    assert compared.returncode == 0, compared.stderr
    for n in (1, 2, 3):
        assert f"{seed[n].name} is damaged" in compared.stderr, compared.stderr
    assert "schema_version 99" in compared.stderr

    resumed = run_suite("run", "--resume", run_path.name, "--no-report", env=WITH_TEST_BENCHMARKS)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    for n in (1, 2, 3):
        assert f"record {seed[n].name} is damaged" in resumed.stderr
        assert reading.read_record(seed[n])["status"] == "ok", "the damaged job was not recomputed"
    set_aside = sorted(path.name for path in (run_path / "damaged").iterdir())
    assert len(set_aside) == 3 and all(name.startswith("test_well_behaved__full__s") for name in set_aside)


def test_an_empty_record_is_damaged_not_a_crash(tmp_path, finished_run):
    run_path = _copy_of(finished_run, tmp_path / "reports")
    layout.record_path(run_path, "test_well_behaved", "full", 2).write_bytes(b"")
    scan = reading.scan_records(run_path)
    assert [problem.reason for problem in scan.damaged] == ["empty file"]
    assert len(scan.records) == 2


# -- 3. two --resume of one run at once ----------------------------------------------------------
@pytest.mark.slow
def test_two_resumes_of_one_run_share_the_jobs_and_both_end_cleanly(tmp_path):
    created = run_suite("run", "test_slow", "--tier", "full", "--seeds", "4", "--no-report",
                        env=WITH_TEST_BENCHMARKS)
    assert created.returncode == 0, created.stderr
    run_path = only_run(tmp_path / "reports")
    for path in (run_path / "records").iterdir():
        path.unlink()

    environment = {**os.environ, **WITH_TEST_BENCHMARKS}
    command = [sys.executable, "-m", "suite", "run", "--resume", run_path.name, "--no-report"]
    both = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in both]
    for process, (_, stderr) in zip(both, outputs):
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr and "FileExistsError" not in stderr
    records = _records(run_path)
    assert sorted(records) == [f"test_slow/{n}" for n in (1, 2, 3, 4)]
    assert all(record["status"] == "ok" for record in records.values())
    assert len(list((run_path / "records").glob("*.json"))) == 4
    # The two processes split the work: at least one job was left to the other process.
    assert any("another process is running it" in stderr for _, stderr in outputs), outputs


def test_a_record_is_published_once_and_the_first_one_is_kept(tmp_path):
    run_path = tmp_path / "run"
    first = {"benchmark": "b", "tier": "full", "seed": 1, "status": "ok", "metrics": {"m": 1.0}}
    second = {**first, "metrics": {"m": 2.0}}
    assert publish.write_record(run_path, first) == layout.record_path(run_path, "b", "full", 1)
    assert publish.write_record(run_path, second) is None
    assert reading.read_record(layout.record_path(run_path, "b", "full", 1))["metrics"] == {"m": 1.0}
    assert [p.name for p in (run_path / "records").iterdir()] == ["b__full__s1.json"], "no temp file left"


# -- 4. a bad baseline file ----------------------------------------------------------------------
@pytest.mark.slow
def test_a_bad_baseline_is_refused_before_training_by_run_report_and_compare(tmp_path):
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    environment = {**WITH_TEST_BENCHMARKS, "SUITE_BASELINES_DIR": str(baselines)}
    made = run_suite("run", "test_well_behaved", "--tier", "quick", "--seeds", "1", "--no-report", env=environment)
    assert made.returncode == 0, made.stderr  # no baseline at all: not judged, and said so
    run_id = only_run(tmp_path / "reports").name

    (baselines / "quick.json").write_text("{ not json")
    run = run_suite("run", "test_well_behaved", "--tier", "quick", "--seeds", "1", env=environment)
    assert run.returncode == 2
    line = _one_line_error(run)
    assert str(baselines / "quick.json") in line and "not valid JSON" in line
    assert len(list((tmp_path / "reports" / "runs").iterdir())) == 1, "a run folder was made before refusing"
    assert "[1/1]" not in run.stderr, "it trained before checking the baseline"

    entry = {"benchmarks": {"test_well_behaved": {"metrics": {"final_loss": {"mean": 0.1, "low": 0.0}}}}}
    (baselines / "quick.json").write_text(json.dumps(entry))
    for arguments in (("run", "test_well_behaved", "--tier", "quick", "--seeds", "1"),
                      ("report", run_id, "--rejudge")):
        completed = run_suite(*arguments, env=environment)
        assert completed.returncode == 2, (arguments, completed.stderr)
        assert "benchmarks.test_well_behaved.metrics.final_loss.high" in _one_line_error(completed)
    # A stored run is rendered and compared from what it stored: today's bad baseline does not matter.
    for arguments in (("report", run_id), ("compare", run_id, run_id)):
        completed = run_suite(*arguments, env=environment)
        assert completed.returncode == 0, (arguments, completed.stderr)


# -- 5. an unusable reports folder ---------------------------------------------------------------
@pytest.mark.parametrize("make_unusable", ["a file", "under a file"])
def test_an_unusable_reports_folder_is_one_line_before_any_training(tmp_path, make_unusable):
    blocker = tmp_path / "blocker"
    blocker.write_text("I am a file")
    reports = blocker if make_unusable == "a file" else blocker / "reports"
    completed = run_suite("run", "l2c_linear_circles", "--tier", "smoke", env={"SUITE_REPORTS_DIR": str(reports)})
    assert completed.returncode == 2
    line = _one_line_error(completed)
    assert str(reports) in line and "SUITE_REPORTS_DIR" in line
    assert "[1/1]" not in completed.stderr


def test_a_read_only_reports_folder_is_one_line_before_any_training(tmp_path):
    mount_point = tmp_path / "read-only"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        completed = run_suite("run", "l2c_linear_circles", "--tier", "smoke",
                              env={"SUITE_REPORTS_DIR": str(mount_point / "reports")})
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
    assert completed.returncode == 2
    line = _one_line_error(completed)
    assert "Read-only file system" in line and "SUITE_REPORTS_DIR" in line


# -- 6. a full disk --------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 160 KiB tmpfs as the reports folder (root only), grown later to let the run finish."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.slow
def test_a_full_disk_stops_the_run_keeps_every_record_and_resume_finishes_it(tmp_path, small_disk):
    reports = small_disk / "reports"
    environment = {**WITH_TEST_BENCHMARKS, "SUITE_REPORTS_DIR": str(reports)}
    stopped = run_suite("run", "test_well_behaved", "--tier", "full", "--seeds", "60", env=environment)
    assert stopped.returncode == 3, stopped.stderr
    line = _one_line_error(stopped)
    assert "no space left" in line and str(reports) in line and "--resume" in line
    run_path = only_run(reports)
    written = list((run_path / "records").glob("*.json"))
    assert 0 < len(written) < 60
    assert all(reading.read_record(path)["status"] == "ok" for path in written), "a record was damaged"
    assert not list((run_path / "records").glob(".*.part")), "a temp file was left behind"

    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    resumed = run_suite("run", "--resume", run_path.name, "--no-report", env=environment)
    assert resumed.returncode == 0, resumed.stderr
    assert len(reading.load_records(run_path)) == 60


# -- 7. non-finite and huge numeric options ------------------------------------------------------
@pytest.mark.parametrize("option", [("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "-3"),
                                    ("--timeout", "1e12"), ("--seeds", "1000000000"), ("--seeds", "0")])
def test_bad_numbers_in_options_are_refused_before_the_run_folder_exists(tmp_path, option):
    started = time.monotonic()
    completed = run_suite("run", "l2c_linear_circles", "--tier", "smoke", *option)
    assert completed.returncode == 2
    assert option[0] in _one_line_error(completed)
    assert not (tmp_path / "reports" / "runs").exists()
    assert time.monotonic() - started < 60, "it did work before refusing"


# -- 8. options given with --resume ----------------------------------------------------------------
@pytest.mark.parametrize("option", [("--tier", "quick"), ("--device", "cpu"), ("--no-deterministic",),
                                    ("l2c_spiral_relu",), ("--tag", "toy")])
def test_resume_refuses_an_option_that_contradicts_the_run(tmp_path, finished_run, option):
    run_path = _copy_of(finished_run, tmp_path / "reports")
    completed = run_suite("run", "--resume", run_path.name, *option, env=WITH_TEST_BENCHMARKS)
    assert completed.returncode == 2
    line = _one_line_error(completed)
    assert run_path.name in line and "tier full, device auto, deterministic on" in line


@pytest.mark.slow
def test_resume_accepts_options_that_repeat_the_run(tmp_path, finished_run):
    run_path = _copy_of(finished_run, tmp_path / "reports")
    completed = run_suite("run", "--resume", run_path.name, "test_well_behaved", "--tier", "full",
                          "--device", "auto", "--no-report", env=WITH_TEST_BENCHMARKS)
    assert completed.returncode == 0, completed.stderr


# -- 9. kill -9 of the main process --------------------------------------------------------------
def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
def test_kill_9_of_the_main_process_takes_the_worker_with_it(tmp_path):
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("this kernel does not list a process's children in /proc")
    environment = {**os.environ, **WITH_TEST_BENCHMARKS}
    main = subprocess.Popen([sys.executable, "-m", "suite", "run", "test_hangs", "--tier", "smoke", "--timeout",
                             "600", "--no-report"], cwd=PROJECT_ROOT, env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in main.stderr:
            if "test_hangs (smoke, seed 1)" in line:
                break
        time.sleep(2)  # the job is in the worker now
        workers = [pid for pid in _children(main.pid) if "suite" in Path(f"/proc/{pid}/cmdline").read_text()
                   or "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert workers, "no worker process found"
        main.send_signal(signal.SIGKILL)
        main.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers), "a worker outlived the killed main process"
    finally:
        if main.poll() is None:
            main.kill()


# -- 10. a worker result that is not numeric or cannot be sent -----------------------------------
@pytest.mark.slow
def test_a_non_numeric_metric_and_an_unpicklable_artefact_keep_the_reason_and_the_metrics(tmp_path):
    completed = run_suite("run", "test_string_metric", "test_unpicklable_artefact", "test_well_behaved",
                          "--tier", "smoke", "--no-report", env=WITH_TEST_BENCHMARKS)
    records = _records(only_run(tmp_path / "reports"))
    bad_metric = records["test_string_metric/1"]
    assert bad_metric["status"] == "error"
    assert "metric 'final_loss'" in bad_metric["error"] and "'not a number'" in bad_metric["error"]
    assert "crashing.py" in bad_metric["error"], "the record must say where in the benchmark it came from"
    assert "exited with code" not in bad_metric["error"]
    lambda_artefact = records["test_unpicklable_artefact/1"]
    assert lambda_artefact["status"] == "ok", lambda_artefact.get("error")
    assert lambda_artefact["metrics"]["final_loss"] >= 0
    assert any("artefact 'callback' not saved" in note for note in lambda_artefact["notes"])
    assert records["test_well_behaved/1"]["status"] == "ok", "the worker must go on after a bad result"
    assert completed.returncode == 1


# -- 11. data commands ----------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["fetch", "verify"])
def test_an_unknown_dataset_is_a_usage_error(command):
    completed = run_suite("data", command, "no_such_dataset")
    assert completed.returncode == 2
    assert "unknown dataset 'no_such_dataset'" in _one_line_error(completed)


def test_an_unusable_cache_folder_is_one_line(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("I am a file")
    completed = run_suite("data", "fetch", "mnist", env={"SUITE_CACHE_DIR": str(blocker / "cache")})
    assert completed.returncode == 2
    line = _one_line_error(completed)
    assert str(blocker / "cache") in line and "SUITE_CACHE_DIR" in line


# -- 12. small ones: the time left, and NaN means --------------------------------------------------
def test_the_time_left_is_not_inflated_by_a_few_fast_jobs(tmp_path):
    """Toys estimated at 2 s that take 0.5 s, after a slow worker start: what is left stays near the estimate."""
    log = tmp_path / "progress.log"
    with open(log, "w") as stream:
        progress = Progress(estimated_total_s=10 + 10 * 2.0, stream=stream)
        progress.worker_ready()
        for index in range(1, 5):
            progress.job_finished(index, 10, Job("toy", "smoke", index), "ok", 0.5, 2.0)
        assert progress.remaining() <= 6 * 2.0
        progress.job_finished(5, 10, Job("toy", "smoke", 5), "ok", 60.0, 2.0)  # a slow one does count
        assert progress.remaining() > 5 * 2.0


def test_the_time_left_of_a_run_on_two_workers_counts_each_job_as_half_of_the_wall_time(tmp_path):
    """8 jobs of 100 s on 2 workers: 400 s of wall time (+ start-up). After 4 jobs on time, half is left,
    not nothing (each job's 100 s ran beside another's)."""
    with open(tmp_path / "progress.log", "w") as stream:
        progress = Progress(estimated_total_s=10 + 400.0, stream=stream, parallel=2)
        progress.worker_ready()
        for index in range(1, 5):
            progress.job_finished(index, 8, Job("convnet", "quick", index), "ok", 100.0, 100.0)
        assert progress.remaining() == pytest.approx(200.0)
        for index in range(5, 7):  # two more, twice as slow as estimated: the rest will be slow too
            progress.job_finished(index, 8, Job("convnet", "quick", index), "ok", 200.0, 100.0)
        assert 100.0 < progress.remaining() < 200.0


@pytest.mark.slow
def test_a_nan_mean_is_said_as_nan_not_as_a_move(tmp_path):
    first = run_suite("run", "test_nan_metric", "--tier", "full", "--seeds", "1", "--no-report",
                      env=WITH_TEST_BENCHMARKS)
    assert first.returncode == 1
    assert "the mean is NaN" in first.stdout and "moved +nan" not in first.stdout
    run_id = only_run(tmp_path / "reports").name
    compared = run_suite("compare", run_id, run_id, env=WITH_TEST_BENCHMARKS)
    assert compared.returncode == 0, compared.stderr
    row = next(line for line in compared.stdout.splitlines() if "final_loss" in line)
    assert "NAN" in row.split() and "BIG" not in row.split()
