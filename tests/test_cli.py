"""Usage errors exit with code 2 and one clear line, never a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import run_suite


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "no_such_benchmark", "--tier", "smoke"], "unknown benchmark(s) no_such_benchmark"),
        (["run", "dlwp_dense512", "--tier", "medium"], "unknown tier 'medium'"),
        (["run", "dlwp_dense512", "--seeds", "0"], "--seeds must be at least 1"),
        (["run", "--tag", "no-such-tag"], "unknown tag(s) no-such-tag"),
        (["run"], "name benchmarks to run"),
        (["run", "dlwp_dense512", "--device", "tpu"], "unknown device 'tpu'"),
        (["run", "--resume", "no-such-run"], "run 'no-such-run' not found"),
    ],
    ids=["benchmark", "tier", "seeds", "tag", "empty", "device", "resume"],
)
def test_usage_errors(arguments, message):
    completed = run_suite(*arguments)
    assert completed.returncode == 2, completed.stderr
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_list_shows_experiment_source_and_placement():
    completed = run_suite("list")
    assert completed.returncode == 0, completed.stderr
    line = next(line for line in completed.stdout.splitlines() if line.startswith("dlwp_dense512"))
    assert "002-a" in line and "gpu" in line and "002_1cdcc223183fcc73.txt" in line


def test_progress_in_a_log_file_is_a_plain_line_at_most_once_a_minute():
    """Without a terminal (CI, ``> log``), a long job still says how far it has come, without flooding."""
    import io

    from suite.cli.progress import Progress
    from suite.run.planning import Job

    log = io.StringIO()
    progress = Progress(estimated_total_s=60.0, stream=log)
    job = Job("convnet_mnist", "full", 2)
    progress.job_progress(job, 1, 10, "epoch")
    assert log.getvalue() == "", "a line within the first minute would flood logs of short jobs"
    progress.last_logged_progress -= Progress.LOG_PROGRESS_EVERY_S
    progress.job_progress(job, 3, 10, "epoch")
    progress.job_progress(job, 4, 10, "epoch")
    lines = log.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in log.getvalue()
    assert lines[0].strip().startswith("convnet_mnist seed 2: epoch 3/10, elapsed")
