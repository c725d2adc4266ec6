"""The port's observations behind the claims that take no bound from them: each belongs to a claim, ends its note."""

from __future__ import annotations

import json
import re
import statistics

import pytest

from suite import Reference, registry
from suite.constants import PROJECT_ROOT
from suite.judge import full_calibration, observations

FULL_JSON = PROJECT_ROOT / "baselines" / "full.json"
FILE = json.loads(FULL_JSON.read_text(encoding="utf-8"))
BENCHMARKS = registry.discover()
OBSERVED = sorted((name, metric, entry) for name, benchmark in FILE["observed"]["benchmarks"].items()
                  for metric, entry in benchmark["metrics"].items())
IDS = [f"{name}.{metric}" for name, metric, _ in OBSERVED]


def claim(name: str, metric: str) -> Reference:
    (reference,) = [r for r in BENCHMARKS[name].references if r.metric == metric and not r.uses_calibration]
    return reference


@pytest.mark.parametrize(("name", "metric", "entry"), OBSERVED, ids=IDS)
def test_each_observation_belongs_to_one_claim_that_takes_no_bound_from_it(name, metric, entry):
    assert name in BENCHMARKS, f"observed.benchmarks.{name}: no such benchmark"
    assert claim(name, metric).kind in ("at_least", "at_most", "diverges")


@pytest.mark.parametrize(("name", "metric", "entry"), OBSERVED, ids=IDS)
def test_the_claims_note_ends_with_the_observation_and_its_stack(name, metric, entry):
    note = claim(name, metric).note
    assert note.endswith(observations.quote(entry) + ".")
    environment = entry["environment"]
    for text in (f"seeds {entry['seeds'][0]}-{entry['seeds'][-1]}", f"TF {environment['tensorflow']}",
                 f"Keras {environment['keras']}", f"Python {environment['python']}", environment["cpu"], entry["date"]):
        assert text in note, f"{text!r} missing from {note!r}"


@pytest.mark.parametrize(("name", "metric", "entry"), OBSERVED, ids=IDS)
def test_each_observation_is_consistent_and_says_where_it_comes_from(name, metric, entry):
    assert entry["n"] == len(entry["seeds"]) >= 1
    if entry["values"] is not None and "mean" in entry:
        # The values were printed with 3 or 4 decimals, the mean and std from the unrounded ones.
        assert entry["mean"] == pytest.approx(statistics.fmean(entry["values"]), abs=1e-3)
        assert entry["std"] == pytest.approx(statistics.stdev(entry["values"]), abs=1e-3)
    assert entry["date"] and entry["provenance"] and (entry["run_id"] or entry["commit"])


def test_no_benchmark_quotes_a_stack_by_hand():
    """The stack of a quoted number comes from its entry; a version string pasted into a module goes stale."""
    stack = re.compile(r"TF \d+\.\d+\.\d+, Keras \d")
    pasted = [path.name for path in sorted((PROJECT_ROOT / "benchmarks").glob("*.py"))
              if stack.search(path.read_text(encoding="utf-8"))]
    assert not pasted


def _entry(**changes) -> dict:
    base = {"seeds": [1, 2, 3], "n": 3, "values": None, "environment": {"tensorflow": "2.21.0", "keras": "3.15.1",
            "python": "3.11", "cpu": "Some CPU", "cpu_count": 2}, "date": "2026-12-01", "run_id": None,
            "commit": "abc", "provenance": "test"}
    return {**base, **changes}


@pytest.mark.parametrize(("statistics_given", "text"), [
    ({"values": [1.0, 1.0, 1.0]}, "1 in every seed"),
    ({"values": [0.5, 0.75, 1.0], "mean": 0.75, "std": 0.25}, "0.5, 0.75, 1; mean 0.75, std 0.25"),
    ({"mean": 1.4668, "std": 0.411, "min": 1.0078}, "mean 1.467, std 0.411, min 1.008"),
    ({"min": 0.885, "max": 0.9}, "min 0.885, max 0.9"),
])
def test_statistics_read_as_they_were_kept(statistics_given, text):
    assert observations.statistics_text(statistics_given) == text


def test_a_quote_names_the_metrics_alongside_the_remark_and_the_stack():
    entry = _entry(values=[0.0, 30.0, 20.0], alongside={"other_metric": {"values": [110.0, 110.0, 130.0]}},
                   remark="seed 1 is a tie")
    assert observations.quote(entry) == ("Port seeds 1-3: 0, 30, 20; other_metric 110, 110, 130; seed 1 is a tie "
                                         "(TF 2.21.0, Keras 3.15.1, Python 3.11, CPU Some CPU, 2 cores, 2026-12-01)")


def test_the_note_keeps_its_why_and_is_quoted_once():
    reference = Reference.at_least("train_accuracy", 0.995, note="one-sided: why.")
    quoted = observations.quoted(reference, _entry(mean=1.0, std=0.0))
    assert quoted.note.startswith("one-sided: why. Port seeds 1-3: mean 1, std 0 (TF 2.21.0")
    assert observations.quoted(quoted, _entry(mean=1.0, std=0.0)) == quoted, "registered again: quoted once"
    assert observations.quoted(reference, None) is reference
    assert (quoted.kind, quoted.threshold, quoted.judged_on) == (reference.kind, reference.threshold, reference.judged_on)


def test_a_calibrated_claim_does_not_take_an_observation_of_the_same_metric():
    data = {"observed": {"benchmarks": {"demo": {"metrics": {"final_loss": _entry(mean=0.5, std=0.1)}}}}}
    (resolved,) = full_calibration.resolve("demo", (Reference.calibrated("final_loss", 0.5),), data)
    assert resolved.bounds is None and "Port seeds" not in resolved.note


@pytest.mark.parametrize(("damage", "message"), [
    (lambda entry: entry.pop("provenance"), r"observed\.benchmarks\.l2c_spiral_relu\.metrics\.train_accuracy lacks "
                                            "provenance"),
    (lambda entry: entry.update(values=[0.9]), r"train_accuracy holds values \[0\.9\], not 5 finite numbers"),
    (lambda entry: entry.update(alongside={"loss": {}}), r"train_accuracy\.alongside\.loss states no statistic"),
])
def test_a_damaged_observation_is_named_with_its_field(tmp_path, damage, message):
    damaged = json.loads(FULL_JSON.read_text())
    damage(damaged["observed"]["benchmarks"]["l2c_spiral_relu"]["metrics"]["train_accuracy"])
    path = tmp_path / "full.json"
    path.write_text(json.dumps(damaged))
    with pytest.raises(full_calibration.CalibrationError, match=message):
        full_calibration.load(path)
