"""``python -m suite compare RUN_A RUN_B``: environment differences first, then metric and time deltas."""

from __future__ import annotations

import io

import pytest

from suite import cli, compare, results
from tests.test_report import HOSTILE, _benchmark, _environment, _record, demo_benchmarks

DOC = "002_1cdcc223183fcc73.txt"


def _run(reports_dir, name, values, *, environment=None, seconds=2.0, tier="full", extra=None):
    run_path = reports_dir / "runs" / name
    (run_path / "records").mkdir(parents=True)
    results.write_run_manifest(run_path, {"run_id": name, "tier": tier, "seeds": len(values), "deterministic": True})
    for seed, value in enumerate(values, start=1):
        for benchmark in [BENCH] + list(extra or []):
            results.write_record(run_path, _record(benchmark, seed, metrics={"test_accuracy": value, "test_loss": 0.07},
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
    compare.print_comparison(compare.compare_runs("a", "b", benchmarks={"mlp": BENCH}), stream=stream)
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
