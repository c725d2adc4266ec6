"""The HTML report: built from records written the way the runner writes them, no training.

``write_demo_run`` makes a run with every kind of artefact of ``suite.artefacts``,
failed jobs and a hostile benchmark name; the browser test reuses it.
"""

from __future__ import annotations

import json
import math
import re
import time

import numpy as np
import pytest

from suite import Benchmark, Reference, Settings, Source
from suite.records import publish, reading, run_files
from suite.reference import SeedOutcome as RefOutcome
from suite.report import curves, digits, figures, page
from tests.conftest import run_suite

DOC_001 = "001_48965531ca7b644d.txt"
DOC_002 = "002_1cdcc223183fcc73.txt"
DOC_004 = "004_376a62fc22c4e898.txt"
HOSTILE = "evil<script>alert('x')"  # no '/': a record's file name is built from the name


def _benchmark(name, experiment, document, references=(), tags=("demo",), curves=None, title=""):
    """A throwaway benchmark class (not registered): the report only reads its declaration."""
    attributes = dict(name=name, title=title or f"demo {name}", source=Source(document, experiment, "In [1]"),
                      tags=tags, settings=Settings(steps=10), references=tuple(references),
                      source_curves=curves or {}, __doc__=f"Demo benchmark {name}.\n\nWhy: testing.")
    return type(f"Demo_{experiment.replace('-', '_')}_{abs(hash(name)) % 10_000}", (Benchmark,), attributes)()


def _environment(**changes):
    environment = {"python": "3.11.2", "tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.1.0",
                   "platform": "Linux-demo", "cpu": "AMD EPYC demo", "cpu_count": 2, "gpu": [],
                   "cuda_build": False, "deterministic": True, "git_commit": "abc123", "executable": "python"}
    environment.update(changes)
    return environment


def _record(benchmark, seed, *, status="ok", metrics=None, history=None, error="", duration_s=1.5,
            tier="full", environment=None):
    return {
        "run_id": "demo", "benchmark": benchmark.name, "experiment": benchmark.source.experiment,
        "source_document": benchmark.source.document, "title": benchmark.title, "tags": list(benchmark.tags),
        "tier": tier, "seed": seed, "status": status, "metrics": metrics or {}, "history": history or {},
        "device": "/CPU:0", "placement": "cpu", "requested_device": "auto", "deterministic": True,
        "settings": {"steps": 10, "note": "<b>not bold</b>"}, "environment": environment or _environment(),
        "duration_s": duration_s, "error": error, "notes": [], "placement_notes": [],
    }


def _toy_artefacts(rng):
    xs = np.linspace(-3, 3, 60)
    grid = np.add.outer(xs ** 2, xs ** 2) - 2.0
    angles = np.linspace(0, 2 * np.pi, 100)
    points = np.concatenate([np.c_[2 * np.cos(angles), 2 * np.sin(angles)],
                             np.c_[0.5 * np.cos(angles), 0.5 * np.sin(angles)]])
    return {"decision_grid": grid, "decision_extent": np.array([-3, 3, -3, 3.0]),
            "decision_threshold": np.array(0.0), "points": points + rng.normal(0, 0.1, points.shape),
            "point_labels": np.r_[np.ones(100), -np.ones(100)]}


def _mnist_artefacts(rng, prefix=""):
    confusion = rng.integers(0, 12, (10, 10))
    np.fill_diagonal(confusion, 950)
    arrays = {"weight_maps": rng.normal(size=(10, 28, 28)),
              "misclassified_images": rng.integers(0, 255, (30, 28, 28)).astype(np.uint8),
              "misclassified_true": rng.integers(0, 10, 30), "misclassified_pred": rng.integers(0, 10, 30),
              "confusion_matrix": confusion}
    return {f"{prefix}__{k}" if prefix else k: v for k, v in arrays.items()}


def demo_benchmarks():
    loss_ref = Reference("final_loss", 0.0075, bounds=(0.005, 0.01), claim="loss 0.0075; separates",
                         note="centred on reported 0.0075, half-width 10 % ... (demo)")
    relu_ref = Reference("final_loss", 1.0, bounds=(0.4, 1.2), claim="loss 1.0", note="demo outcomes",
                         outcomes=(RefOutcome("separates, loss ~0.5", 0.4, 0.6), RefOutcome("fails, loss ~1", 0.9, 1.1)))
    accuracy_ref = Reference("test_accuracy", 0.9776, bounds=(0.9726, 0.9826), claim="test_acc: 0.9776",
                             note="centred on reported 0.9776, half-width max(3σ, 0.005)=0.005 (demo)")
    return {
        "toy_hidden": _benchmark("toy_hidden", "001-d", DOC_001, [loss_ref], tags=("toy", "circles")),
        "toy_relu": _benchmark("toy_relu", "001-g", DOC_001, [relu_ref], tags=("toy", "relu")),
        "toy_sweep": _benchmark("toy_sweep", "001-e", DOC_001, [Reference.at_least("min_loss", 0.5, value=1.9464,
                                                                                     note="one-sided demo")]),
        "softmax_k": _benchmark("softmax_k", "001-k", DOC_001, [Reference.at_least("test_accuracy", 0.85,
                                                                                      value=0.9247)], tags=("mnist",)),
        "robust_q": _benchmark("robust_q", "001-q", DOC_001, [], tags=("mnist", "convnet")),
        "diverge_o": _benchmark("diverge_o", "001-o", DOC_001, [Reference.diverges("final_loss", note="demo")]),
        "dense512": _benchmark("dense512", "002-a", DOC_002, [accuracy_ref], tags=("mnist", "mlp"),
                               curves={"accuracy": [0.9244, 0.9682, 0.9795, 0.9843, 0.9883]}),
        "regress_a": _benchmark("regress_a", "004-a", DOC_004, [Reference("mse_wide", 0.2517, bounds=(0.2265, 0.2769),
                                                                          note="demo")], tags=("regression",)),
        "broken_e": _benchmark("broken_e", "004-b", DOC_004, [accuracy_ref], tags=("mnist",)),
        "slow_c": _benchmark("slow_c", "004-c", DOC_004, [accuracy_ref], tags=("mnist",)),
        "gpu_d": _benchmark("gpu_d", "004-d", DOC_004, [accuracy_ref], tags=("mnist", "gpu")),
        HOSTILE: _benchmark(HOSTILE, "003-a", "003_94a913a946da2cc8.txt", [accuracy_ref], tags=("x<y>",),
                            title="<img src=x onerror=alert(1)>"),
    }


def write_demo_run(reports_dir, seeds=(1, 2, 3), *, benchmarks=None, shift=0.0, environment=None,
                   name="20261122-020000-full-demo"):
    """A run folder with records of every kind; returns (run path, benchmarks)."""
    benchmarks = benchmarks or demo_benchmarks()
    run_path = reports_dir / "runs" / name
    (run_path / "records").mkdir(parents=True, exist_ok=True)
    run_files.write_run_manifest(run_path, {"run_id": name, "tier": "full", "seeds": len(seeds), "device": "auto",
                                            "deterministic": True, "benchmarks": list(benchmarks),
                                            "started_at": "2026-11-22T02:00:00+00:00", "command": "demo"})
    rng = np.random.default_rng(0)
    environment = environment or _environment()
    for seed in seeds:
        steps = list(range(0, 1001, 10))
        loss = list(np.exp(-np.array(steps) / 300.0) + rng.uniform(0, 0.01, len(steps)))
        history = {"step": steps, "loss": loss, "heldout_loss": loss[::10], "heldout_step": steps[::10]}
        epochs = {"epoch": [1, 2, 3, 4, 5], "accuracy": list(0.92 + 0.014 * np.arange(5) + rng.normal(0, 0.002, 5)),
                  "loss": [0.26, 0.11, 0.07, 0.05, 0.04]}

        def write(name, artefacts=None, seed=seed, **kw):
            if name not in benchmarks:
                return
            b = benchmarks[name]
            kw.setdefault("environment", environment)
            publish.write_record(run_path, _record(b, seed, **kw), artefacts)

        write("toy_hidden", _toy_artefacts(rng), metrics={"final_loss": 0.0075 + shift + rng.normal(0, 5e-4)},
              history=history)
        write("toy_relu", _toy_artefacts(rng), metrics={"final_loss": [0.5, 1.0, 1.0, 0.5, 1.0][seed % 5]},
              history=history)
        sweep = {"sweep_values": np.array([[1.9, 0.8, 0.01, 0.005], [1.7, 0.5, 0.004, 0.002]]),
                 "sweep_rows": np.array([4, 8]), "sweep_cols": np.array([10, 100, 5000, 10000]),
                 "sweep_row_name": np.array("hidden units n"), "sweep_col_name": np.array("steps"),
                 "sweep_value_name": np.array("final loss")}
        write("toy_sweep", sweep, metrics={"min_loss": 1.9})
        write("softmax_k", _mnist_artefacts(rng), metrics={"test_accuracy": 0.92 + rng.normal(0, 0.002)},
              history=epochs)
        robust = {"shift_pixels": np.arange(0, 9), "rotation_degrees": np.arange(0, 50, 5),
                  "shift_accuracy__mlp": np.linspace(0.97, 0.2, 9), "shift_accuracy__convnet": np.linspace(0.99, 0.6, 9),
                  "rotation_accuracy__mlp": np.linspace(0.97, 0.4, 10),
                  "rotation_accuracy__convnet": np.linspace(0.99, 0.7, 10),
                  **_mnist_artefacts(rng, "mse"), **_mnist_artefacts(rng, "crossentropy")}
        write("robust_q", robust, metrics={"mlp_shift4_accuracy": 0.5, "convnet_shift4_accuracy": 0.9})
        write("diverge_o", metrics={"final_loss": math.inf}, history={"step": [0, 1, 2], "loss": [2.3, 1e30, math.inf]})
        write("dense512", {"confusion_matrix": rng.integers(0, 20, (10, 10))},
              metrics={"test_accuracy": 0.978 + shift + rng.normal(0, 0.001)}, history=epochs)
        regression = {"data_x": rng.uniform(0, np.pi, 1000), "data_y": rng.normal(0, 0.5, 1000),
                      "curve_x": np.linspace(0, np.pi, 200), "curve_true": np.sin(np.linspace(0, np.pi, 200)),
                      "curve_wide": np.sin(np.linspace(0, np.pi, 200)) * 0.9,
                      "curve_deep": np.sin(np.linspace(0, np.pi, 200)) * 0.8}
        write("regress_a", regression, metrics={"mse_wide": 0.25 + rng.normal(0, 0.002)})
        # a broken artefact: the figure fails, the card stays
        write("broken_e", {"decision_grid": np.arange(5.0)}, metrics={"test_accuracy": 0.97})
        if seed == seeds[0]:
            write("slow_c", status="timeout", error="stopped after 60 s (timeout); raise it with --timeout")
            write("gpu_d", status="skipped", error="needs a GPU and none is visible")
        else:
            write("slow_c", status="error", error="RuntimeError: boom <b>\n\nTraceback ...\n  line 3")
        write(HOSTILE, metrics={"test_accuracy": 0.98}, history=epochs)
    return run_path, benchmarks


@pytest.fixture
def demo_run(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(tmp_path))
    run_path, benchmarks = write_demo_run(tmp_path)
    return run_path, benchmarks


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The demo run rendered once for the tests that only read the page (drawing is the slow part)."""
    reports_dir = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SUITE_REPORTS_DIR", str(reports_dir))
        run_path, benchmarks = write_demo_run(reports_dir)
        path = page.render(run_path, benchmarks=benchmarks)
    return path, path.read_text(encoding="utf-8"), benchmarks


def _summary_rows(html):
    body = html.split('<table id="summary">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-source=", body)


def test_report_is_written_and_copied_to_latest(rendered):
    path, html, _ = rendered
    assert path.name == "report.html"
    assert (path.parents[2] / "latest.html").read_text(encoding="utf-8") == html


def test_summary_has_a_row_per_reference_and_a_card_per_benchmark(rendered):
    _, html, benchmarks = rendered
    expected_rows = sum(max(len(b.references), 1) for b in benchmarks.values())
    # robust_q has no reference: one summary row, both measured metrics in its card
    assert len(_summary_rows(html)) == expected_rows
    card = html.split('id="b-robust_q"', 1)[1].split("</article>", 1)[0]
    assert "mlp_shift4_accuracy" in card and "convnet_shift4_accuracy" in card
    assert html.count('<article class="card') == len(benchmarks)


def test_sections_follow_the_catalogue_and_carry_its_titles(rendered):
    _, html, _ = rendered
    positions = [html.index(f'id="doc-{doc}"') for doc in (DOC_001, DOC_002, "003_94a913a946da2cc8.txt", DOC_004)]
    assert positions == sorted(positions)
    assert "Learn2Classify" in html and "MNIST Example" in html
    # the one-line setup comes from the catalogue
    assert "Dense(2→4, σ) → Dense(4→1), 8000 steps" in html


def test_every_artefact_kind_is_drawn(rendered):
    _, html, _ = rendered
    for caption in ("Decision boundary and training points", "Sweep", "Regression fits", "Weight maps W1..W10",
                    "Misclassified test digits", "columns: predicted) — mse", "columns: predicted) — crossentropy",
                    "Accuracy on shifted and rotated test digits", "Learning curves", "Per-seed values"):
        assert caption in html, caption
    assert "(seed 1)" in html
    assert "dots: the source&#39;s logged values" in html


def test_hostile_strings_are_escaped(rendered):
    _, html, _ = rendered
    assert "<script>alert" not in html
    assert "evil&lt;script&gt;alert(&#39;x&#39;)" in html
    assert "<img src=x" not in html
    assert "<b>not bold</b>" not in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert html.count("<script>") == 1  # the page's own sort/filter script only


def test_failed_jobs_show_their_reason_and_broken_figures_a_message(rendered):
    _, html, _ = rendered
    assert "stopped after 60 s (timeout)" in html
    assert "needs a GPU and none is visible" in html
    assert "RuntimeError: boom &lt;b&gt;" in html
    assert "This figure could not be drawn: ValueError: decision_grid must be 2-d" in html


def test_only_the_broken_artefact_costs_a_figure(rendered):
    """Every other figure of the demo is drawn: a figure module the page cannot reach shows up here."""
    _, html, _ = rendered
    assert html.count("This figure could not be drawn") == 1, [
        line[:200] for line in html.splitlines() if "could not be drawn" in line]
    assert "could not be drawn" not in html.replace("This figure could not be drawn: ValueError: decision_grid", "")


def test_statistics_say_how_many_seeds(rendered):
    _, html, _ = rendered
    assert "95% CI ±" in html and "n=3" in html
    assert "s1: 0.0" in html and "built-in method" not in html
    assert "separates, loss ~0.5: <b>1</b>" in html  # outcome counts (seed 1 -> 1.0, 2 -> 1.0, 3 -> 0.5)


def test_a_single_seed_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(tmp_path))
    benchmarks = {k: v for k, v in demo_benchmarks().items() if k == "dense512"}
    run_path, _ = write_demo_run(tmp_path, seeds=(7,), benchmarks=benchmarks)
    html = page.render(run_path, benchmarks=benchmarks).read_text()
    assert "single seed: no spread" in html
    assert "(seed 7)" in html


def test_unreadable_and_unregistered_records_do_not_stop_the_report(demo_run):
    run_path, _ = demo_run
    benchmarks = {"dense512": demo_benchmarks()["dense512"]}  # the others appear from their records alone
    (run_path / "records" / "garbage__full__s1.json").write_text("{not json")
    (run_path / "records" / "old__full__s1.json").write_text(json.dumps({"schema_version": 999}))
    ghost = _benchmark("ghost", "000-a", "000_ea932331d6ef0ef3.txt", [])
    publish.write_record(run_path, _record(ghost, 1, metrics={"accuracy": 0.9}), {"weight_maps": np.ones((3, 5))})
    html = page.render(run_path, benchmarks=benchmarks).read_text()
    assert "garbage__full__s1.json is damaged" in html and "old__full__s1.json is damaged" in html
    assert 'id="b-ghost"' in html  # shown from its record although not registered
    assert "could not be drawn: ValueError: weight_maps" in html


def test_no_external_reference_in_the_page(rendered):
    _, html, _ = rendered
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    sources = re.findall(r'<img src="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/") for s in sources)


def test_split_models_keeps_robustness_series_together():
    parts = figures.split_models({"mse__confusion_matrix": 1, "points": 2, "shift_accuracy__mlp": 3,
                                  "shift_pixels": 4})
    assert parts == {"": {"points": 2, "shift_accuracy__mlp": 3, "shift_pixels": 4}, "mse": {"confusion_matrix": 1}}


def test_figures_are_compact():
    rng = np.random.default_rng(0)
    uri = digits.misclassified(_mnist_artefacts(rng))
    assert uri.startswith("data:image/png;base64,")
    assert len(uri) < 150_000
    few = curves.learning_curves([{"history": {"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.2]}}])
    assert few.startswith("data:image/svg+xml") or len(few) < 40_000


def test_compare_with_adds_deltas(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(tmp_path))
    run_a, benchmarks = write_demo_run(tmp_path, name="20261122-010000-full-a")
    run_b, _ = write_demo_run(tmp_path, benchmarks=benchmarks, shift=0.01, name="20261122-020000-full-b",
                              environment=_environment(tensorflow="2.22.0"))
    html = page.render(run_b, benchmarks=benchmarks, compare_with=run_a).read_text()
    assert "Compared with run 20261122-010000-full-a" in html
    assert "TensorFlow</td><td>2.21.0</td><td>2.22.0" in html
    assert "OUT" in html and "BIG" in html


@pytest.mark.slow
def test_full_size_report_builds_fast_and_stays_small(tmp_path, monkeypatch):
    """~22 benchmarks x 4 seeds with every kind of artefact: under 60 s and 15 MB."""
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(tmp_path))
    everything = {}
    for copy in range(2):
        clones = {name: _benchmark(f"{name}_{copy}", b.source.experiment, b.source.document, b.references,
                                   tags=b.tags, curves=b.source_curves)
                  for name, b in demo_benchmarks().items() if name != HOSTILE}
        clones[HOSTILE] = _benchmark(f"hostile_{copy}", "003-a", "003_94a913a946da2cc8.txt")
        run_path, _ = write_demo_run(tmp_path, seeds=(1, 2, 3, 4), benchmarks=clones, name="20261122-000000-full-big")
        everything.update({b.name: b for b in clones.values()})
    started = time.perf_counter()
    path = page.render(run_path, benchmarks=everything)
    seconds = time.perf_counter() - started
    html = path.read_text()
    size = path.stat().st_size
    print(f"full-size report: {seconds:.1f} s, {size / 1e6:.2f} MB, {len(everything)} benchmarks")
    assert html.count('<article class="card') == len(everything) == 24
    assert seconds < 60
    assert size < 15e6


def _data_link(html):
    """The CSV behind the page's "data" link, decoded."""
    import base64

    match = re.search(r'<a id="data-link" class="data" href="data:text/csv;charset=utf-8;base64,([^"]+)" '
                      r'download="([^"]+)"', html)
    assert match, "no data link in the page"
    return match.group(2), base64.b64decode(match.group(1)).decode("utf-8")


def test_data_link_holds_the_job_table(rendered):
    import io

    import pandas as pd

    path, html, benchmarks = rendered
    name, text = _data_link(html)
    assert name == f"{path.parent.name}.csv"
    frame = pd.read_csv(io.StringIO(text))
    records = reading.load_records(path.parent)
    assert len(frame) == len(records)
    dense = frame[frame["benchmark"] == "dense512"].sort_values("seed")
    assert list(dense["metric.test_accuracy"]) == pytest.approx(
        [r["metrics"]["test_accuracy"] for r in sorted(records, key=lambda r: r["seed"]) if r["benchmark"] == "dense512"])
    assert set(dense["verdict"]) == {"REPRODUCED"} and set(dense["verdict.test_accuracy"]) == {"REPRODUCED"}
    assert set(frame.loc[frame["benchmark"] == "slow_c", "status"]) == {"timeout", "error"}


def test_a_per_seed_rule_shows_its_count_not_a_mean(rendered):
    _, html, _ = rendered
    row = next(r for r in html.split('<tr data-source=')[1:] if 'href="#b-diverge_o"' in r)
    assert "3 of 3 seeds diverge (inf / NaN), needs all" in row
    card = html.split('id="b-diverge_o"', 1)[1].split("</article>", 1)[0]
    assert "3 of 3 seeds diverge (inf / NaN), needs all" in card and "inf (n=3)" not in card


def test_forest_plot_on_top_has_a_row_per_judged_reference(rendered):
    _, html, benchmarks = rendered
    overview = html.split('id="overview"', 1)[1].split("</figure>", 1)[0]
    assert html.index('id="overview"') < html.index('id="summary"')
    import base64

    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', overview).group(1)).decode()
    judged = ["toy_hidden", "toy_relu", "toy_sweep", "softmax_k", "diverge_o", "dense512", "regress_a", "broken_e",
              HOSTILE.replace("<", "&lt;").replace(">", "&gt;")]
    for name in judged:
        assert name in svg, name
    for unjudged in ("slow_c", "gpu_d", "robust_q"):  # timeout/error, skipped, no reference: no row
        assert unjudged not in svg
    assert "one-sided ≥ 0.85" in svg and "3 of 3 seeds diverge" in svg
    assert "Learn2Classify" in svg  # grouped under the source's title


def test_forest_positions_put_the_bounds_at_minus_one_and_one():
    from suite.report import forest

    two_sided = forest.Row("g", "l", "REPRODUCED", "between", False, "", low=0.97, high=0.98, reported=0.975)
    assert [forest.position(two_sided, v) for v in (0.97, 0.975, 0.98, 0.99)] == pytest.approx([-1, 0, 1, 3])
    at_least = forest.Row("g", "l", "REPRODUCED", "at_least", False, "", threshold=0.85, reported=0.9247)
    assert [forest.position(at_least, v) for v in (0.85, 0.9247)] == pytest.approx([-1, 0])
    at_most = forest.Row("g", "l", "REPRODUCED", "at_most", False, "", threshold=0.9, reported=None)
    assert forest.position(at_most, 0.9) == pytest.approx(1) and forest.position(at_most, 0.8) == pytest.approx(0)
    assert math.isnan(forest.position(two_sided, math.inf))


@pytest.mark.slow
def test_a_real_judged_run_report_has_the_plot_the_data_and_the_seed_counts(real_runs):
    import io

    import pandas as pd

    html = (real_runs.full / "report.html").read_text(encoding="utf-8")
    assert 'id="overview"' in html
    _, text = _data_link(html)
    exported = run_suite("export", real_runs.full.name, env=real_runs.env)
    assert exported.returncode == 0, exported.stderr
    assert pd.read_csv(io.StringIO(text)).equals(pd.read_csv(io.StringIO(exported.stdout)))
    row = next(r for r in html.split('<tr data-source=')[1:] if "l2c_linear_circles" in r and "final_loss" in r)
    assert "2 of 2 seeds &gt;= 0.5, needs all" in row
    # the terminal summary says the same, with no mean beside the bound
    line = next(line for line in real_runs.full_stdout.splitlines()
                if line.startswith("l2c_linear_circles") and "final_loss" in line)
    assert "2 of 2 seeds >= 0.5, needs all" in line and "±" not in line and line.rstrip().endswith("REPRODUCED")
