"""A stored run is evidence: it keeps the references it was judged against, and its code version.

* Re-rendering an old run after a bound changed shows its original verdicts; ``--rejudge`` shows
  today's and what moved.
* ``report`` and ``compare`` need the run folder only: they work where TensorFlow cannot be imported.
* A run folder written before the record layout moved on (``schema_version`` 1) still reads, judges,
  renders, exports and compares.
* A benchmark's version hashes the code that computes, not its prose: a docstring edit keeps the
  quick gate quiet, a changed model makes it say the baseline is from other code.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from suite.records import reading
from tests.conftest import CRASHING_BENCHMARKS, only_run, run_suite

WITH_TEST_BENCHMARKS = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS)}
#: A run folder as the suite wrote it at record schema_version 1 (one smoke job of 001-a, environment
#: variables and the interpreter's path left out), kept to hold the reader to older runs.
SCHEMA_V1_RUN = Path(__file__).parent / "fixtures" / "runs_schema_v1" / "20261206-192141-smoke-bff1"
STALE_NOTE = "changed since baselines/quick.json was calibrated"


def _edited_benchmarks(tmp_path: Path, old: str, new: str) -> dict:
    """A copy of the test benchmarks with one edit, as a developer would make it."""
    folder = tmp_path / f"edited-{abs(hash((old, new)))}"
    shutil.copytree(CRASHING_BENCHMARKS, folder)
    module = folder / "crashing.py"
    text = module.read_text()
    assert text.count(old) == 1, old
    module.write_text(text.replace(old, new))
    return {"SUITE_BENCHMARK_PATH": str(folder)}


@pytest.fixture(scope="module")
def judged_run(tmp_path_factory) -> tuple[Path, Path]:
    """A real full-tier run of a test benchmark judged against ``final_loss <= 100``: REPRODUCED."""
    reports = tmp_path_factory.mktemp("judged-run")
    completed = run_suite("run", "test_well_behaved", "--tier", "full", "--seeds", "2", "--no-report",
                          env={**WITH_TEST_BENCHMARKS, "SUITE_REPORTS_DIR": str(reports)})
    assert completed.returncode == 0, completed.stderr
    return reports, only_run(reports)


def test_every_record_stores_what_it_was_judged_against(judged_run):
    _, run_path = judged_run
    for record in reading.load_records(run_path):
        stored = record["judged_against"]
        assert stored["judged"] is True
        assert stored["references"][0]["metric"] == "final_loss"
        assert stored["references"][0]["kind"] == "at_most" and stored["references"][0]["threshold"] == 100.0
        assert len(record["code_version"]) == 16
        assert "source_hash" not in record, "code_version replaced it (record schema_version 2)"


@pytest.mark.slow
def test_an_old_run_keeps_its_verdicts_and_rejudge_says_what_moved(tmp_path, judged_run):
    reports, run_path = judged_run
    # Today's code demands a loss no real run reaches: the stored verdict must not change.
    tightened = _edited_benchmarks(tmp_path, 'references = (Reference.at_most("final_loss", 100.0, note="test-only: '
                                             'any finite loss"),)\n\n\n@register\nclass Raises',
                                   'references = (Reference.at_most("final_loss", 1e-9, note="test-only: '
                                   'any finite loss"),)\n\n\n@register\nclass Raises')
    environment = {**tightened, "SUITE_REPORTS_DIR": str(reports)}

    plain = run_suite("report", run_path.name, env=environment)
    assert plain.returncode == 0, plain.stderr
    html = (run_path / "report.html").read_text()
    assert "REPRODUCED" in html and "NOT REPRODUCED" not in html

    rejudged = run_suite("report", run_path.name, "--rejudge", env=environment)
    assert rejudged.returncode == 0, rejudged.stderr
    assert "test_well_behaved: REPRODUCED -> NOT REPRODUCED" in rejudged.stdout
    assert "<= 100 -> <= 1e-09" in rejudged.stdout
    html = (run_path / "report.html").read_text()
    assert "NOT REPRODUCED" in html and "REPRODUCED -&gt; NOT REPRODUCED" in html


@pytest.mark.slow
def test_report_and_compare_work_where_tensorflow_cannot_be_imported(tmp_path, judged_run):
    reports, run_path = judged_run
    broken = tmp_path / "broken-site"
    for package in ("tensorflow", "keras"):
        (broken / package).mkdir(parents=True)
        (broken / package / "__init__.py").write_text(f"raise ImportError('{package} is not importable here')\n")
    environment = {"PYTHONPATH": str(broken), "SUITE_REPORTS_DIR": str(reports), **WITH_TEST_BENCHMARKS}

    report = run_suite("report", run_path.name, env=environment)
    assert report.returncode == 0, report.stderr
    assert "REPRODUCED" in (run_path / "report.html").read_text()
    compare = run_suite("compare", run_path.name, run_path.name, env=environment)
    assert compare.returncode == 0, compare.stderr
    assert "final_loss" in compare.stdout


def test_a_run_of_the_previous_record_version_reads_judges_renders_exports_and_compares(tmp_path):
    from suite.judge import verdict

    runs = tmp_path / "reports" / "runs"
    old = shutil.copytree(SCHEMA_V1_RUN, runs / SCHEMA_V1_RUN.name)
    [record] = reading.load_records(old)
    assert record["schema_version"] == 1 and "source_hash" in record
    [judged] = verdict.judge_recorded([record])
    assert (judged.verdict, judged.detail) == (verdict.UNJUDGED, "this tier is not judged"), "as when it ran"

    report = run_suite("report", old.name)
    assert report.returncode == 0 and "damaged" not in report.stderr, report.stderr
    html = (old / "report.html").read_text()
    assert "Linear unit on the circles" in html and "NOT JUDGED" in html

    # The same job as this suite writes it now, beside the old one: both versions in one table.
    new = shutil.copytree(old, runs / "20261206-192142-smoke-c0de")
    path = new / "records" / "l2c_linear_circles__smoke__s1.json"
    now = {key: value for key, value in json.loads(path.read_text()).items() if key != "source_hash"}
    path.write_text(json.dumps({**now, "schema_version": 2}))
    table = tmp_path / "jobs.csv"
    exported = run_suite("export", old.name, new.name, "-o", str(table))
    assert exported.returncode == 0, exported.stderr
    rows = table.read_text().splitlines()
    assert len(rows) == 3 and all("l2c_linear_circles" in row for row in rows[1:])
    compared = run_suite("compare", old.name, new.name)
    assert compared.returncode == 0 and "damaged" not in compared.stderr, compared.stderr
    assert "final_loss" in compared.stdout


# -- the benchmark version -----------------------------------------------------------------------
TOY_MODULE = '''
"""A toy benchmark module."""
import keras

from suite import Benchmark, Settings


def hidden_layer(width):
    """A helper the benchmark calls: part of its version."""
    return keras.layers.Dense(width, activation="relu")  # a comment


class Toy(Benchmark):
    """The toy's docstring."""

    name = "toy"
    settings = Settings(epochs=2, batch_size=8)

    def build_model(self, settings):
        """Build it."""
        return keras.Sequential([keras.Input(shape=(2,)), hidden_layer(16), keras.layers.Dense(1)])
'''


def _version_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / f"suite_extra_toy_{abs(hash(text))}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
        return module.Toy.code_version()
    finally:
        del sys.modules[path.stem]


@pytest.mark.parametrize("edit", [
    ('"""The toy\'s docstring."""', '"""A rewritten docstring, several words longer."""'),
    ("# a comment", "# another comment entirely"),
    ('"""A helper the benchmark calls: part of its version."""', '"""Edited."""'),
], ids=["class docstring", "comment", "helper docstring"])
def test_prose_edits_keep_the_version(tmp_path, edit):
    assert _version_of(tmp_path, TOY_MODULE.replace(*edit)) == _version_of(tmp_path, TOY_MODULE)


@pytest.mark.parametrize("edit", [
    ("hidden_layer(16)", "hidden_layer(32)"),
    ('activation="relu"', 'activation="tanh"'),
    ("epochs=2", "epochs=3"),
], ids=["layer width", "helper's activation", "setting"])
def test_code_edits_change_the_version(tmp_path, edit):
    assert _version_of(tmp_path, TOY_MODULE.replace(*edit)) != _version_of(tmp_path, TOY_MODULE)


def _code_version(environment: dict) -> str:
    completed = run_suite("list", "--versions", env=environment)
    assert completed.returncode == 0, completed.stderr
    line = next(line for line in completed.stdout.splitlines() if line.startswith("test_well_behaved "))
    return line.split()[-1]


@pytest.mark.slow
def test_the_quick_gate_is_quiet_after_a_docstring_edit_and_speaks_after_a_model_change(tmp_path):
    baselines = tmp_path / "baselines"
    baselines.mkdir()
    entry = {"code_version": _code_version(WITH_TEST_BENCHMARKS), "seeds": [1, 2, 3],
             "metrics": {"final_loss": {"mean": 1.0, "low": 0.0, "high": 100.0, "n": 3}}}
    (baselines / "quick.json").write_text(json.dumps({"benchmarks": {"test_well_behaved": entry}}))

    docstring = _edited_benchmarks(tmp_path, '"""A one-unit linear model on 64 random points: trains in well '
                                             'under a second."""',
                                   '"""One linear unit, 64 random points (a reworded docstring)."""')
    model = _edited_benchmarks(tmp_path, "keras.layers.Dense(1)])", "keras.layers.Dense(4), keras.layers.Dense(1)])")
    for environment, warned in ((docstring, False), (model, True)):
        completed = run_suite("run", "test_well_behaved", "--tier", "quick", "--seeds", "1", "--no-report",
                              env={**environment, "SUITE_BASELINES_DIR": str(baselines)})
        assert (STALE_NOTE in completed.stderr) is warned, completed.stderr
