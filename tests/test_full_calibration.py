"""Every two-sided full-tier bound is recomputed from baselines/full.json, and its note says how it was made."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from suite import Reference, registry
from suite.constants import PROJECT_ROOT
from suite.judge import baselines, full_calibration
from suite.records import reading
from tests.conftest import CRASHING_BENCHMARKS, only_run, run_suite

FULL_JSON = PROJECT_ROOT / "baselines" / "full.json"
FILE = json.loads(FULL_JSON.read_text(encoding="utf-8"))
BENCHMARKS = registry.discover()
TWO_SIDED = sorted(((name, reference) for name, cls in BENCHMARKS.items() for reference in cls.references
                    if reference.kind == "between"), key=lambda pair: (pair[0], pair[1].metric))
IDS = [f"{name}.{reference.metric}" for name, reference in TWO_SIDED]


def documented_floor(metric: str, reported: float) -> float:
    """docs/verdicts.md, 'Verdicts: the rule': half a point for accuracies and error counts, 10 % of the value otherwise."""
    if "accuracy" in metric:
        return 0.005
    if metric.endswith("errors"):
        return 50.0  # half a point of 10 000 test images
    return 0.10 * abs(reported)


def entry(name: str, metric: str) -> dict:
    return FILE["benchmarks"][name]["metrics"][metric]


def test_the_file_states_the_rule_its_bounds_are_derived_by():
    assert FILE["rule"] == full_calibration.RULE


def test_the_file_holds_every_two_sided_bound_and_nothing_else():
    in_file = {f"{name}.{metric}" for name, bench in FILE["benchmarks"].items() for metric in bench["metrics"]}
    assert in_file == set(IDS)
    assert len(IDS) >= 36


@pytest.mark.parametrize(("name", "reference"), TWO_SIDED, ids=IDS)
def test_the_bound_is_recomputed_from_the_file_by_the_documented_formula(name, reference):
    calibration = entry(name, reference.metric)
    assert reference.calibration == calibration, "the reference carries the entry it was derived from"
    if reference.judged_on != "mean":
        # A per-seed claim declares the band of its outcome; the calibration only describes the port.
        assert reference.bounds[0] <= reference.value <= reference.bounds[1]
        return
    spread = 3 * calibration["std"] if calibration["n"] > 1 else 0.0
    half_width = max(spread, documented_floor(reference.metric, reference.value))
    low, high = max(reference.value - half_width, 0.0), reference.value + half_width
    assert reference.bounds == pytest.approx((low, high), rel=0, abs=1e-12)


@pytest.mark.parametrize(("name", "reference"), TWO_SIDED, ids=IDS)
def test_each_calibration_is_consistent_and_says_where_it_comes_from(name, reference):
    calibration = entry(name, reference.metric)
    assert calibration["n"] == len(calibration["seeds"]) >= 1
    assert calibration["floor"] == pytest.approx(documented_floor(reference.metric, reference.value))
    if calibration["values"] is not None:
        assert len(calibration["values"]) == calibration["n"]
        assert calibration["mean"] == pytest.approx(statistics.fmean(calibration["values"]), abs=1e-12)
        if calibration["n"] > 1:
            assert calibration["std"] == pytest.approx(statistics.stdev(calibration["values"]), abs=1e-12)
    else:
        assert "not kept" in calibration["provenance"] or "too coarse" in calibration["provenance"]
    if calibration["n"] == 1:
        assert calibration["std"] is None
    environment = calibration["environment"]
    assert environment["tensorflow"] and environment["keras"] and environment["python"] and environment["cpu"]
    assert calibration["date"] and calibration["provenance"]
    assert calibration["run_id"] or calibration["commit"], "a run or a commit to find the measurement by"


@pytest.mark.parametrize(("name", "reference"), TWO_SIDED, ids=IDS)
def test_each_generated_note_states_seeds_mean_std_versions_and_date(name, reference):
    calibration, note = entry(name, reference.metric), reference.note
    seeds = calibration["seeds"]
    assert f"seed{'s' if len(seeds) > 1 else ''} {seeds[0]}" in note
    assert f"mean {calibration['mean']:.4g}" in note
    assert (f"std {calibration['std']:.4g}" if calibration["n"] > 1 else "std undefined") in note
    environment = calibration["environment"]
    for text in (f"TF {environment['tensorflow']}", f"Keras {environment['keras']}",
                 f"Python {environment['python']}", environment["cpu"], calibration["date"]):
        assert text in note, f"{text!r} missing from {note!r}"
    if reference.judged_on == "mean":
        assert f"centred on the reported {reference.value:.4g}" in note


def _resolved(reference: Reference, calibration: dict, name: str = "demo") -> Reference:
    (resolved,) = full_calibration.resolve(name, (reference,), {"benchmarks": {name: {"metrics": {
        reference.metric: calibration}}}})
    return resolved


def _calibration(**changes) -> dict:
    base = {"seeds": [1, 2, 3], "values": [0.01, 0.05, 0.09], "n": 3, "mean": 0.05, "std": 0.04, "floor": 0.002,
            "environment": {"tensorflow": "2.21.0", "keras": "3.15.1", "python": "3.11", "cpu": "Some CPU"},
            "date": "2026-12-01", "run_id": "RUN", "commit": None, "provenance": "test"}
    return {**base, **changes}


def test_a_lower_end_below_zero_is_clipped_and_the_note_says_so():
    resolved = _resolved(Reference.calibrated("final_loss", 0.02), _calibration())
    assert resolved.bounds == pytest.approx((0.0, 0.02 + 3 * 0.04))
    assert "clipped at 0" in resolved.note


def test_one_seed_takes_the_floor_and_says_the_std_is_undefined():
    one = _calibration(seeds=[1], values=[0.9853], n=1, mean=0.9853, std=None, floor=0.005)
    resolved = _resolved(Reference.calibrated("test_accuracy", 0.9842, note="Why this claim."), one)
    assert resolved.bounds == pytest.approx((0.9792, 0.9892))
    assert "std undefined" in resolved.note and "port seed 1: 0.9853" in resolved.note
    assert resolved.note.endswith("Why this claim.")


def test_a_band_is_kept_and_the_note_counts_the_seeds_in_it():
    reference = Reference.calibrated("test_accuracy", 0.7, band=(0.6, 0.75), judged_on="fraction", min_fraction=0.2)
    resolved = _resolved(reference, _calibration(values=[0.5, 0.7, 0.72], mean=0.64, std=0.12, floor=0.005))
    assert resolved.bounds == (0.6, 0.75)
    assert "2 of 3 port seeds land in it" in resolved.note
    assert f"probability {1 - (1 / 3) ** 3:.4g}" in resolved.note


def test_a_band_and_a_mean_claim_are_not_mixed_up():
    with pytest.raises(ValueError, match="judged per seed"):
        Reference.calibrated("acc", 0.7, band=(0.6, 0.8))
    with pytest.raises(ValueError, match="band"):
        Reference.calibrated("acc", 0.7, judged_on="fraction", min_fraction=0.2)


def test_a_stored_floor_that_the_rule_does_not_give_is_refused():
    with pytest.raises(baselines.BaselineError, match=r"demo\.metrics\.final_loss\.floor"):
        _resolved(Reference.calibrated("final_loss", 0.02), _calibration(floor=0.5))


def test_a_benchmark_without_its_calibration_cannot_be_judged_and_says_what_to_run():
    class Uncalibrated(registry.Benchmark):
        """Test-only."""

        name = "test_uncalibrated_demo"
        source = registry.Source("002_1cdcc223183fcc73.txt", "test")
        references = (Reference.calibrated("test_accuracy", 0.9),)

    registry.register(Uncalibrated)
    try:
        (reference,) = Uncalibrated.references
        assert reference.bounds is None and reference.describe_bounds() == "not calibrated"
        with pytest.raises(baselines.BaselineError) as raised:
            baselines.references_for(Uncalibrated(), "full")
        message = str(raised.value)
        assert "full.json" in message and "test_uncalibrated_demo" in message and "test_accuracy" in message
        assert "python -m suite calibrate --tier full test_uncalibrated_demo" in message
        assert baselines.references_for(Uncalibrated(), "smoke") == ((), False)
    finally:
        registry.unregister("test_uncalibrated_demo")


def test_a_damaged_file_is_named_with_its_field(tmp_path):
    damaged = json.loads(FULL_JSON.read_text())
    del damaged["benchmarks"]["dlwp_dense512"]["metrics"]["test_accuracy"]["std"]
    path = tmp_path / "full.json"
    path.write_text(json.dumps(damaged))
    with pytest.raises(full_calibration.CalibrationError,
                       match=r"benchmarks\.dlwp_dense512\.metrics\.test_accuracy lacks std"):
        full_calibration.load(path)
    path.write_text("{not json")
    with pytest.raises(full_calibration.CalibrationError, match="not valid JSON"):
        full_calibration.load(path)


@pytest.mark.slow
def test_calibrate_full_writes_and_extends_the_file_and_the_run_judges_by_it(tmp_path):
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    kept = {"dlwp_dense512": FILE["benchmarks"]["dlwp_dense512"]}
    (baselines / "full.json").write_text(json.dumps({"benchmarks": kept}))
    environment = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS), "SUITE_BASELINES_DIR": str(baselines)}

    refused = run_suite("run", "test_calibrated", "--tier", "full", "--seeds", "1", "--no-report", env=environment)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "has no calibration for test_calibrated (final_loss)" in refused.stderr
    assert "python -m suite calibrate --tier full test_calibrated" in refused.stderr
    assert not (tmp_path / "reports" / "runs").exists(), "refused before a run folder was made"

    calibrated = run_suite("calibrate", "test_calibrated", "--tier", "full", "--seeds", "2", env=environment)
    assert calibrated.returncode == 0, calibrated.stderr[-2000:]
    written = json.loads((baselines / "full.json").read_text())
    assert written["benchmarks"]["dlwp_dense512"] == kept["dlwp_dense512"], "other entries are kept"
    made = written["benchmarks"]["test_calibrated"]["metrics"]["final_loss"]
    calibration_run = only_run(tmp_path / "reports")
    measured = {r["seed"]: r["metrics"]["final_loss"] for r in reading.load_records(calibration_run)}
    assert made["seeds"] == [1, 2] and made["values"] == [measured[1], measured[2]]
    assert made["mean"] == pytest.approx(statistics.fmean(measured.values()))
    assert made["std"] == pytest.approx(statistics.stdev(measured.values()))
    assert made["floor"] == pytest.approx(0.1) and made["run_id"] == calibration_run.name
    assert made["environment"]["tensorflow"] and made["date"] and made["code_version"]
    assert "value" not in made and "bounds" not in made, "the reported value stays in the benchmark"

    judged = run_suite("run", "test_calibrated", "--tier", "full", "--seeds", "2", "--no-report", env=environment)
    assert judged.returncode in (0, 1), judged.stderr[-2000:]
    run = next(path for path in (tmp_path / "reports" / "runs").iterdir() if path != calibration_run)
    (stored,) = reading.load_records(run)[0]["judged_against"]["references"]
    half_width = max(3 * made["std"], 0.1)
    assert stored["value"] == 1.0
    assert stored["bounds"] == pytest.approx([max(1.0 - half_width, 0.0), 1.0 + half_width])
    assert stored["calibration"]["run_id"] == calibration_run.name and "port seeds 1, 2" in stored["note"]

    again = run_suite("calibrate", "test_calibrated", "--tier", "full", "--from-run", run.name, env=environment)
    assert again.returncode == 0, again.stderr[-2000:]
    remade = json.loads((baselines / "full.json").read_text())["benchmarks"]["test_calibrated"]["metrics"]
    assert remade["final_loss"]["run_id"] == run.name
    assert remade["final_loss"]["values"] == made["values"], "same seeds, deterministic: the same values"
    assert math.isfinite(remade["final_loss"]["mean"])
