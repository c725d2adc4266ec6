"""``python -m suite compare RUN_A RUN_B``: environment differences first, then metric and time deltas."""

from __future__ import annotations

import io
import json

import pytest

from suite.cli import compare_text
from suite.cli import main as cli
from suite.records import publish, run_files
from suite.report import compare
from tests.conftest import JUDGED_BENCHMARKS, run_suite
from tests.test_report import HOSTILE, _benchmark, _environment, _record, demo_benchmarks

DOC = "002_1cdcc223183fcc73.txt"


def _run(reports_dir, name, values, *, environment=None, seconds=2.0, tier="full", extra=None):
    run_path = reports_dir / "runs" / name
    (run_path / "records").mkdir(parents=True)
    run_files.write_run_manifest(run_path, {"run_id": name, "tier": tier, "seeds": len(values), "deterministic": True})
    for seed, value in enumerate(values, start=1):
        for benchmark in [BENCH] + list(extra or []):
            publish.write_record(run_path, _record(benchmark, seed, metrics={"test_accuracy": value, "test_loss": 0.07},
                                                   duration_s=seconds, tier=tier,
                                                   environment=environment or _environment()))
    return run_path


BENCH = _benchmark("mlp", "002-a", DOC, [demo_benchmarks()["dense512"].references[0]])  # bounds [0.9726, 0.9826]


@pytest.fixture
def reports(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(tmp_path))
    return tmp_path


def test_identical_runs_have_no_flags(reports):
    _run(reports, "a", [0.977, 0.978, 0.979])
    _run(reports, "b", [0.977, 0.978, 0.979])
    comparison = compare.compare_runs("a", "b", benchmarks={"mlp": BENCH})
    assert comparison.environment == []
    assert [(r.metric, r.flags) for r in comparison.metrics] == [("test_accuracy", []), ("test_loss", [])]
    assert comparison.metrics[0].delta == pytest.approx(0.0)
    assert comparison.times[0].ratio == pytest.approx(1.0)


def test_a_mean_leaving_the_bounds_and_a_large_change_are_flagged(reports):
    _run(reports, "a", [0.977, 0.978, 0.979])
    _run(reports, "b", [0.962, 0.963, 0.964], seconds=4.0)  # delta -0.015 > half-width 0.005
    row = compare.compare_runs("a", "b", benchmarks={"mlp": BENCH}).metrics[0]
    assert row.metric == "test_accuracy"
    assert row.delta == pytest.approx(-0.015)
    assert row.flags == ["OUT", "BIG"]


def test_a_small_change_inside_the_bounds_is_not_flagged(reports):
    _run(reports, "a", [0.977, 0.978, 0.979])
    _run(reports, "b", [0.979, 0.980, 0.981])
    row = compare.compare_runs("a", "b", benchmarks={"mlp": BENCH}).metrics[0]
    assert row.flags == []


def test_environment_differences_are_printed_above_the_metrics(reports):
    _run(reports, "a", [0.977, 0.978])
    _run(reports, "b", [0.960, 0.961], environment=_environment(tensorflow="2.22.0", gpu=["NVIDIA T4"]),
         seconds=1.0)
    stream = io.StringIO()
    compare_text.print_comparison(compare.compare_runs("a", "b", benchmarks={"mlp": BENCH}), stream=stream)
    text = stream.getvalue()
    assert "TensorFlow  A: 2.21.0" in text and "B: 2.22.0" in text
    assert "GPU" in text and "NVIDIA T4" in text and "none" in text
    assert text.index("Environment differences") < text.index("mean A")
    assert "OUT BIG" in text
    assert "0.50" in text  # time ratio 1.0 / 2.0


def test_benchmarks_in_one_run_only_are_listed(reports):
    other = _benchmark("other", "002-a", DOC)
    _run(reports, "a", [0.977], extra=[other])
    _run(reports, "b", [0.977])
    comparison = compare.compare_runs("a", "b", benchmarks={"mlp": BENCH})
    assert comparison.only_a == ["other"] and comparison.only_b == []


def test_cli_compare_and_unknown_run(reports, capsys):
    _run(reports, "a", [0.977])
    _run(reports, "b", [0.950])
    assert cli.main(["compare", "a", "b"]) == 0
    out = capsys.readouterr().out
    assert "mlp" in out and "test_accuracy" in out and "-0.027" in out
    assert cli.main(["compare", "a", "nope"]) == cli.EXIT_USAGE
    assert "not found" in capsys.readouterr().err


def test_report_compare_with_unknown_run_is_a_usage_error(reports, capsys):
    _run(reports, "a", [0.977])
    assert cli.main(["report", "a", "--compare-with", "nope"]) == cli.EXIT_USAGE


def test_hostile_name_survives_compare(reports):
    hostile = _benchmark(HOSTILE, "002-a", DOC)
    _run(reports, "a", [0.977], extra=[hostile])
    _run(reports, "b", [0.977], extra=[hostile])
    names = {row.benchmark for row in compare.compare_runs("a", "b", benchmarks={}).metrics}
    assert HOSTILE in names


# -- the gate and the JSON, on real runs ----------------------------------------------------------
@pytest.mark.slow
def test_a_run_against_itself_passes_every_gate(real_runs):
    completed = run_suite("compare", real_runs.full.name, real_runs.full.name,
                          "--fail-on", "changed-verdict,out-of-bounds,slower:1.5", env=real_runs.env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "--fail-on changed-verdict,out-of-bounds,slower:1.5: passed" in completed.stdout
    assert "Python packages: identical" in completed.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("condition", "expected"),
    [("changed-verdict", "changed-verdict: l2c_hidden_sigmoid_circles REPRODUCED -> NOT JUDGED"),
     ("out-of-bounds", "out-of-bounds: l2c_hidden_sigmoid_circles final_loss mean")],
)
def test_the_gate_fails_on_what_changed_from_full_to_smoke(real_runs, condition, expected):
    """Smoke trains 20 steps instead of 500: its losses leave the full tier's bounds and it is not judged."""
    completed = run_suite("compare", real_runs.full.name, real_runs.smoke.name, "--fail-on", condition,
                          env=real_runs.env)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"--fail-on {condition}: FAILED" in completed.stdout
    assert expected in completed.stdout


@pytest.mark.slow
def test_slower_compares_seconds_per_job_against_the_factor(real_runs, tmp_path):
    """The same run as if measured on a machine twice as slow: every job's duration doubled."""
    import shutil

    slow = tmp_path / "slow-machine"
    shutil.copytree(real_runs.full, slow)
    for path in (slow / "records").glob("*.json"):
        record = json.loads(path.read_text())
        record["duration_s"] *= 2
        path.write_text(json.dumps(record))
    failed = run_suite("compare", str(real_runs.full), str(slow), "--fail-on", "slower:1.5", env=real_runs.env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    slower = [line.strip() for line in failed.stdout.splitlines() if line.strip().startswith("slower:1.5: ")]
    assert sorted(line.split()[1] for line in slower) == sorted(JUDGED_BENCHMARKS)
    assert all(line.endswith("per job (x2.00)") for line in slower)
    passed = run_suite("compare", str(real_runs.full), str(slow), "--fail-on", "slower:2.5", env=real_runs.env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "--fail-on slower:2.5: passed" in passed.stdout


@pytest.mark.slow
def test_json_output_is_the_comparison_for_programs(real_runs):
    completed = run_suite("compare", real_runs.full.name, real_runs.smoke.name, "--json",
                          "--fail-on", "changed-verdict", env=real_runs.env)
    assert completed.returncode == 1
    document = json.loads(completed.stdout)
    assert (document["run_a"], document["run_b"]) == (real_runs.full.name, real_runs.smoke.name)
    assert {"benchmark": "l2c_linear_circles", "a": "REPRODUCED", "b": "NOT JUDGED"} in document["verdicts"]
    rows = {(row["benchmark"], row["metric"]): row for row in document["metrics"]}
    loss = rows[("l2c_hidden_sigmoid_circles", "final_loss")]
    assert "OUT" in loss["flags"] and loss["delta"] == pytest.approx(loss["mean_b"] - loss["mean_a"])
    assert document["environment"] == [{"field": "tier", "a": "full", "b": "smoke"}]
    assert document["packages_recorded"] is True and document["packages"] == []
    assert document["fail_on"]["failed"] is True
    assert document["fail_on"]["failures"] == ["changed-verdict: l2c_hidden_sigmoid_circles REPRODUCED -> NOT JUDGED",
                                               "changed-verdict: l2c_linear_circles REPRODUCED -> NOT JUDGED"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [("faster", "unknown condition 'faster'"), ("slower", "slower needs a positive factor"),
     ("slower:0", "slower needs a positive factor"), ("out-of-bounds:2", "out-of-bounds takes no argument"),
     (",", "name at least one condition")],
)
def test_a_bad_fail_on_spec_is_one_line_and_exit_2(reports, spec, message):
    _run(reports, "a", [0.977])
    completed = run_suite("compare", "a", "a", "--fail-on", spec, env={"SUITE_REPORTS_DIR": str(reports)})
    assert completed.returncode == 2, completed.stdout
    assert len(completed.stderr.strip().splitlines()) == 1 and message in completed.stderr


def test_package_differences_are_listed_first(reports, capsys):
    for name, numpy_version in (("a", "2.1.0"), ("b", "2.2.0")):
        run_path = _run(reports, name, [0.977])
        run_files.write_run_manifest(run_path, {"packages": {"numpy": numpy_version, "keras": "3.15.1",
                                                             **({"pyarrow": "26.0.1"} if name == "b" else {})}},
                                     name="packages.json")
    comparison = compare.compare_runs("a", "b", benchmarks={"mlp": BENCH})
    assert comparison.packages == [("numpy", "2.1.0", "2.2.0"), ("pyarrow", "-", "26.0.1")]
    stream = io.StringIO()
    compare_text.print_comparison(comparison, stream=stream)
    text = stream.getvalue()
    assert "Python package differences (2):" in text
    assert text.index("numpy") < text.index("Environment") < text.index("mean A")


def test_measured_seconds_read_without_exponents_from_a_fifth_of_a_second_to_an_hour():
    from suite import text

    assert [text.seconds(value) for value in (0.1934, 27.73, 96.5, 999.4, 2056.4, 4199.8)] == \
        ["0.193", "27.7", "96.5", "999", "2056", "4200"]
