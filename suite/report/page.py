"""The HTML report of a run: built from the stored records only, one self-contained file.

Layout: counts by verdict, a forest plot of every judged reference (``suite.forest``),
run metadata (with a "data" link: the run's job table as CSV, a data URI) and
environment, a sortable and filterable summary table, then one section per source
document (in the order of ``sources/experiments.md``) with one card per benchmark: the claim quoted, our
numbers against the reference and bounds, and the figures of ``suite.report.figures`` and ``suite.report.curves``.

Everything a record, a benchmark or the environment says is escaped by Jinja2's
autoescape; figures are embedded as data URIs and the little sort/filter script is
inline, so the page makes no request and works offline, opened from a file.

The report must never fail because one record is odd: an unreadable record is
listed at the top, a card that cannot be built says why, a figure that cannot be
drawn is replaced by a message.
"""

from __future__ import annotations

import math
import os
import time
import traceback
from collections import defaultdict
from pathlib import Path

import jinja2

from suite import files, sources
from suite.constants import reports_dir
from suite.judge import verdict
from suite.report import curves, figures, forest, recorded
from suite.run import store
from suite.text import number, spelled_duration

TEMPLATES = Path(__file__).parent / "templates"
#: Metrics listed in an unjudged card before the rest fold into "more metrics".
MAX_METRIC_ROWS = 6


def render(run: str | Path = "latest", *, benchmarks: dict | None = None, baseline: dict | None = None,
           compare_with: str | Path | None = None, rejudge: bool = False) -> Path:
    """Write ``report.html`` in the run folder and copy it to ``reports/latest.html``; return its path.

    By default the run is judged against the references its records stored when its jobs ran, and
    the page is built from the run folder alone (no benchmark code, no TensorFlow): an old run keeps
    its verdicts. ``rejudge`` judges it against today's benchmarks on purpose and lists what moved.
    ``benchmarks`` (tests, callers holding benchmark objects) judges against those objects instead;
    ``baseline`` is the quick tier's calibration when not the committed one; ``compare_with`` names
    another run whose means this run's are compared with (deltas and flags).
    """
    run_path = store.find_run(run)
    if compare_with:
        compare_with = store.find_run(compare_with)  # a misspelt run is the user's error, said at once
    html = build(run_path, benchmarks=benchmarks, baseline=baseline, compare_with=compare_with, rejudge=rejudge)
    output = run_path / "report.html"
    with files.locked(output):  # shards and resumes of one run may render it at the same moment
        files.atomic_write_bytes(output, html.encode("utf-8"))
        _readable(output)
    latest = reports_dir() / "latest.html"
    if not compare_with:  # latest.html is the plain report of the newest rendering
        with files.locked(latest):
            files.atomic_write_bytes(latest, html.encode("utf-8"))
            _readable(latest)
    return output


def _readable(path: Path) -> None:
    """The temp file behind the atomic write is private (0600); a report is for reading: 0644 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        path.chmod(0o644 & ~umask)
    except OSError:
        pass


def build(run_path: Path, *, benchmarks: dict | None = None, baseline: dict | None = None,
          compare_with: str | Path | None = None, rejudge: bool = False) -> str:
    """The page as a string (no file written)."""
    started = time.perf_counter()
    records, problems = recorded.load_records(run_path)
    manifest = store.read_run_manifest(run_path)
    tier = manifest.get("tier") or (records[0].get("tier") if records else "full")
    if benchmarks is None and not rejudge:
        known = recorded.recorded_benchmarks(records)
        verdicts = verdict.judge_recorded(records, order=list(known))
    else:
        known, verdicts, moved, discovery_problem = recorded.judge_today(records, tier, benchmarks, baseline)
        if discovery_problem:
            problems.append(discovery_problem)
        if rejudge:
            problems.insert(0, "Re-judged against today's references, not the ones stored with the run. "
                            + (f"Verdicts that moved: {' | '.join(moved)}" if moved else "No verdict moved."))
    comparison = None
    if compare_with:
        from suite.report import compare

        try:
            comparison = compare.compare_runs(compare_with, run_path,
                                              benchmarks=known if rejudge or benchmarks is not None else None)
        except Exception as error:  # the report stands without its comparison
            problems.append(f"comparison with {compare_with} failed: {type(error).__name__}: {error}")
    html = build_html(run_path, manifest, records, verdicts, known, problems=problems, comparison=comparison,
                      started=started)
    return html


def _environment(records: list[dict], manifest: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """The environment as label/value pairs, and a warning per field that differs between records."""
    environments = [r["environment"] for r in records if isinstance(r.get("environment"), dict) and r["environment"]]
    if not environments and isinstance(manifest.get("environment"), dict):
        environments = [manifest["environment"]]
    first = environments[0] if environments else {}
    fields = [("Python", "python"), ("TensorFlow", "tensorflow"), ("Keras", "keras"), ("NumPy", "numpy"),
              ("Keras backend", "backend"), ("Host", "hostname"), ("CPU", "cpu"), ("CPU cores", "cpu_count"),
              ("CPU flags", "cpu_flags"), ("Threads", "threads"), ("GPU", "gpu"), ("GPU driver", "gpu_driver"),
              ("CUDA build", "cuda_build"), ("Built with", "build_info"),
              ("TF/XLA/KERAS variables", "environment_variables"), ("Platform", "platform"),
              ("Git commit", "git_commit")]
    shown = []
    for label, key in fields:
        value = first.get(key)
        if key == "gpu":
            value = ", ".join(map(str, value)) if value else "none"
        elif key == "build_info" and isinstance(value, dict):
            value = ", ".join(f"{name} {value[name]}" for name in ("cuda_version", "cudnn_version") if value.get(name))
        elif isinstance(value, list):
            value = " ".join(map(str, value)) or "none"
        elif isinstance(value, dict):
            value = ", ".join(f"{name}={item}" for name, item in value.items()) or "none"
        if value in (None, "") and key not in first:
            continue  # a field records before this suite version do not have
        shown.append((label, "-" if value in (None, "") else str(value)))
    differing = []
    for label, key in fields:
        values = sorted({str(e.get(key)) for e in environments})
        if len(values) > 1:
            differing.append(f"{label} differs between records: {', '.join(values)}")
    return shown, differing


def _metadata(run_path: Path, manifest: dict, records: list[dict]) -> list[tuple[str, str]]:
    environments = [r.get("environment") or {} for r in records]
    commit = next((e.get("git_commit") for e in environments if e.get("git_commit")), "") or "-"
    deterministic = manifest.get("deterministic")
    if deterministic is None and records:
        deterministic = records[0].get("deterministic")
    wall = manifest.get("wall_s")
    job_time = sum(_float(r.get("duration_s")) for r in records)
    seeds = sorted({r.get("seed") for r in records if r.get("seed") is not None}, key=str)
    started = manifest.get("started_at") or min((str(r.get("finished_at")) for r in records), default="-")
    return [
        ("Run", run_path.name),
        ("Date", str(started).replace("T", " ")),
        ("Finished", str(manifest.get("finished_at", "-")).replace("T", " ")
         + (" (interrupted)" if manifest.get("interrupted") else "")),
        ("Duration", (spelled_duration(wall) + " wall, " if wall else "") + spelled_duration(job_time) + " in jobs"),
        ("Tier", str(manifest.get("tier") or (records[0].get("tier") if records else "-"))),
        ("Seeds", f"{manifest.get('seeds', len(seeds))} per benchmark ({', '.join(map(str, seeds)) or '-'})"),
        ("Deterministic ops", {True: "on", False: "off"}.get(deterministic, "-")),
        ("Device asked", str(manifest.get("device", "-"))),
        ("Git commit", commit),
        ("Command", str(manifest.get("command", "-"))),
    ]


def build_html(run_path: Path, manifest: dict, records: list[dict], verdicts, benchmarks: dict, *,
               problems: list[str] | None = None, comparison=None, started: float | None = None) -> str:
    started = started if started is not None else time.perf_counter()
    by_benchmark = defaultdict(list)
    for record in records:
        by_benchmark[record["benchmark"]].append(record)
    compared = _comparison_by_benchmark(comparison)
    for name in by_benchmark:
        by_benchmark[name].sort(key=lambda r: _seed_key(r.get("seed")))
    drawn = draw_figures([_figure_job(v, by_benchmark[v.benchmark], benchmarks[v.benchmark]) for v in verdicts])
    cards = []
    for v, images in zip(verdicts, drawn):
        benchmark = benchmarks[v.benchmark]
        try:
            card = _card(v, by_benchmark[v.benchmark], benchmark, compared.get(v.benchmark, {}), images)
        except Exception as error:  # one odd benchmark costs its card, not the report
            card = _broken_card(v, benchmark, error)
        cards.append(card)
    sections = defaultdict(list)
    for card in cards:
        sections[card["document"]].append(card)
    for cards_in_section in sections.values():
        cards_in_section.sort(key=lambda c: (c["experiment"], c["name"]))
    ordered = sorted(sections, key=lambda doc: (sources.order(doc), doc))
    counts = defaultdict(int)
    for v in verdicts:
        counts[v.verdict] += 1
    environment, differing = _environment(records, manifest)
    rows = [row for doc in ordered for card in sections[doc] for row in card["rows"] if row["in_summary"]]
    try:
        overview, overview_error = forest.draw(_forest_rows(verdicts, benchmarks)), ""
    except Exception as error:  # the picture on top must not cost the report
        overview, overview_error = None, f"{type(error).__name__}: {error}"
    download = _download(run_path.name, records, verdicts)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.ChainableUndefined)
    template = env.get_template("report.html.j2")
    return template.render(
        run_id=run_path.name,
        metadata=_metadata(run_path, manifest, records),
        environment=environment,
        warnings=differing + list(problems or []),
        counts=[(name, counts[name]) for name in verdict.VERDICTS if counts.get(name)],
        total=len(verdicts),
        rows=rows,
        filters={
            "source": sorted({(r["document"], r["source_label"]) for r in rows}, key=lambda d: sources.order(d[0])),
            "tag": sorted({tag for r in rows for tag in r["tags"].split()}),
            "verdict": [name for name in verdict.VERDICTS if counts.get(name)],
        },
        sections=[{"document": doc, "title": sources.title(doc), "cards": sections[doc]} for doc in ordered],
        comparison=comparison,
        overview=overview,
        overview_error=overview_error,
        download=download,
        built_s=time.perf_counter() - started,
        generated=store.utc_now().replace("T", " "),
    )


def _download(run: str, records: list[dict], verdicts) -> dict:
    """The run's job table (what ``python -m suite export RUN`` writes) as a CSV data URI: the page stays
    one file, and its numbers go straight into a spreadsheet or pandas."""
    import base64

    from suite.report import export

    try:
        text = export.to_csv(export.job_table_of(run, records, verdicts))
    except Exception as error:  # the page stands without its download
        return {"uri": "", "name": "", "error": f"{type(error).__name__}: {error}"}
    return {"uri": "data:text/csv;charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii"),
            "name": f"{run}.csv", "rows": len(records), "error": ""}


def _forest_rows(verdicts, benchmarks: dict) -> list:
    """One ``forest.Row`` per judged reference with a measured value, in catalogue order."""
    rows = []
    for benchmark_verdict in verdicts:
        if benchmark_verdict.verdict not in (verdict.REPRODUCED, verdict.NOT_REPRODUCED):
            continue
        benchmark = benchmarks[benchmark_verdict.benchmark]
        document, experiment = benchmark.source.document, benchmark.source.experiment
        for rv in benchmark_verdict.references:
            if not rv.values:
                continue
            reference = rv.reference
            rows.append(((sources.order(document), document, experiment, benchmark.name), forest.Row(
                group=f"{document.split('_')[0]} · {sources.title(document)}",
                label=f"{experiment} {benchmark.name} · {reference.metric}",
                verdict=rv.verdict, kind=reference.kind, per_seed=rv.per_seed,
                rule=rv.describe_count() if rv.per_seed else "",
                low=reference.low, high=reference.high, threshold=reference.threshold, reported=reference.value,
                mean=rv.stats.mean, ci95=rv.stats.ci95, values=list(rv.values))))
    return [row for _, row in sorted(rows, key=lambda item: item[0])]


def _seed_key(seed):
    return (0, seed) if isinstance(seed, int) else (1, str(seed))


def _comparison_by_benchmark(comparison) -> dict:
    if comparison is None:
        return {}
    by_name: dict = defaultdict(dict)
    for row in comparison.metrics:
        by_name[row.benchmark][row.metric] = row
    for row in comparison.times:
        by_name[row.benchmark]["__time__"] = row
    return by_name


def _card(benchmark_verdict, records: list[dict], benchmark, compared: dict, images: list[dict]) -> dict:
    ok = [r for r in records if r.get("status") == "ok"]
    durations = [_float(r.get("duration_s")) for r in records]
    devices = sorted({str(r.get("device") or "-") for r in records})
    unjudged = benchmark_verdict.verdict in (verdict.ERROR, verdict.TIMEOUT, verdict.SKIPPED, verdict.UNJUDGED)
    catalogued = sources.experiments().get(benchmark.source.experiment, {})
    common = {
        "benchmark": benchmark.name,
        "experiment": benchmark.source.experiment,
        "document": benchmark.source.document,
        "source_label": f"{benchmark.source.document.split('_')[0]} · {sources.title(benchmark.source.document)}",
        "tags": " ".join(benchmark.tags),
        "duration_s": sum(durations) / max(len(durations), 1),
        "device": ", ".join(devices),
    }
    rows = []
    for rv in benchmark_verdict.references:
        reference = rv.reference
        delta = compared.get(reference.metric)
        counted = rv.per_seed and bool(rv.values)
        rows.append({
            **common,
            "metric": reference.metric,
            "reference": number(reference.value),
            "reference_sort": _sortable(reference.value),
            "bounds": reference.describe_bounds(),
            # A per-seed rule is judged on how many seeds meet it: the count and the rule stand where the
            # mean would, so no mean sits beside bounds it is not judged against.
            "mean": rv.describe_count() if counted else (number(rv.stats.mean) if rv.stats.n else "-"),
            "mean_sort": "" if counted else _sortable(rv.stats.mean),
            "std": _spread(rv.stats.std) if rv.stats.n > 1 and not counted else "-",
            "measured": rv.describe_count() if counted else rv.stats.describe(),
            "seeds": len(rv.values),
            "per_seed": _per_seed(ok, reference.metric),
            "verdict": benchmark_verdict.verdict if unjudged else rv.verdict,
            "note": reference.note,
            "judged_on": _judged_on(reference),
            "outcomes": rv.outcome_counts,
            "detail": rv.detail,
            "delta": delta,
            "in_summary": True,
        })
    if not rows:
        # An unjudged tier (smoke) or no reference: still show what was measured, the metrics the
        # source documents first, with the documented number beside ours for orientation only.
        documented = {r.metric: r for r in getattr(benchmark, "references", ())}
        measured = sorted({key for r in ok for key in r["metrics"]}, key=lambda m: (m not in documented, m))
        for metric in measured:
            stats = verdict.Stats.of([r["metrics"].get(metric) for r in ok if metric in r["metrics"]])
            known = documented.get(metric)
            rows.append({
                **common, "metric": metric, "reference": number(known.value) if known else "-",
                "reference_sort": _sortable(known.value) if known else "", "bounds": "-",
                "mean": number(stats.mean) if stats.n else "-", "mean_sort": _sortable(stats.mean),
                "std": _spread(stats.std) if stats.n > 1 else "-", "measured": stats.describe(),
                "seeds": stats.n, "per_seed": _per_seed(ok, metric), "verdict": benchmark_verdict.verdict,
                "note": _orientation_note(known),
                "judged_on": "", "outcomes": {}, "detail": "", "delta": compared.get(metric),
                "in_summary": not rows,
            })
    if not rows:
        rows.append({**common, "metric": "-", "reference": "-", "reference_sort": "", "bounds": "-", "mean": "-",
                     "mean_sort": "", "std": "-", "measured": "-", "seeds": len(ok), "per_seed": "",
                     "verdict": benchmark_verdict.verdict, "note": "", "judged_on": "", "outcomes": {},
                     "detail": benchmark_verdict.detail, "delta": None, "in_summary": True})
    first_ok = ok[0] if ok else None
    shown_rows, more_rows = rows, []
    if len(rows) > MAX_METRIC_ROWS and not benchmark_verdict.references:
        shown_rows, more_rows = rows[:MAX_METRIC_ROWS], rows[MAX_METRIC_ROWS:]
    failed = [{"seed": r.get("seed"), "status": r.get("status"), "reason": str(r.get("error") or "no reason recorded")}
              for r in records if r.get("status") != "ok"]
    notes = []
    for record in records:
        for note in list(record.get("notes") or []) + list(record.get("placement_notes") or []):
            if str(note) not in notes:
                notes.append(str(note))
    return {
        "name": benchmark.name,
        "title": benchmark.title,
        "experiment": benchmark.source.experiment,
        "label": catalogued.get("label", ""),
        "setup": catalogued.get("setup", ""),
        "catalogue_reference": catalogued.get("reference", ""),
        "document": benchmark.source.document,
        "cells": benchmark.source.cells,
        "tags": list(benchmark.tags),
        "claims": list(dict.fromkeys(
            [rv.reference.claim for rv in benchmark_verdict.references if rv.reference.claim]
            + [r.claim for r in getattr(benchmark, "references", ()) if r.claim])),
        "doc": (getattr(benchmark, "description", "") or type(benchmark).__doc__ or "").strip(),
        "verdict": benchmark_verdict.verdict,
        "detail": benchmark_verdict.detail,
        "statuses": benchmark_verdict.statuses,
        "rows": rows,
        "shown_rows": shown_rows,
        "more_rows": more_rows,
        "images": images,
        "artefact_seed": first_ok.get("seed") if first_ok else None,
        "failed": failed,
        "notes": notes[:10],
        "seeds": [r.get("seed") for r in records],
        "duration_s": common["duration_s"],
        "total_duration_s": sum(durations),
        "device": common["device"],
        "settings": (first_ok or (records[0] if records else {})).get("settings") or {},
        "time_delta": compared.get("__time__"),
    }


def _figure_job(benchmark_verdict, records: list[dict], benchmark) -> tuple:
    """What drawing one card's figures needs, as plain picklable data (no benchmark object, no TensorFlow)."""
    ok = [r for r in records if r.get("status") == "ok"]
    source_curves = getattr(benchmark, "source_curves", {}) or {}
    return list(benchmark_verdict.references), ok, dict(source_curves)


def draw_figures(jobs: list[tuple]) -> list[list[dict]]:
    """Every card's figures. Drawing is nearly all of a report's build time; a pool of spawned
    processes was measured here and lost (each worker pays the matplotlib/seaborn import, and the
    2-core machine is shared), so the figures are drawn in this process."""
    return [_figures_of(job) for job in jobs]


def _figures_of(job: tuple) -> list[dict]:
    references, ok, source_curves = job
    try:
        return _figures(references, ok, source_curves)
    except Exception as error:  # never lose the card for its pictures
        return [{"caption": "Figures", "uri": None, "error": f"{type(error).__name__}: {error}", "table": None}]


def _figures(references: list, ok: list[dict], source_curves: dict) -> list[dict]:
    images = []

    def attempt(caption, make):
        try:
            uri = make()
        except Exception as error:  # a figure that cannot be drawn must not cost the report
            images.append({"caption": caption, "uri": None, "error": f"{type(error).__name__}: {error}",
                           "table": None})
            return
        if uri:
            images.append({"caption": caption, "uri": uri, "error": "", "table": None})

    seeds = [r.get("seed") for r in ok]
    attempt("Per-seed values against the reported number and the bounds",
            lambda: curves.per_seed_values(references, seeds))
    attempt("Learning curves, every seed" + (" (dots: the source's logged values)" if source_curves else ""),
            lambda: curves.learning_curves(ok, source_curves))
    first_ok = ok[0] if ok else None
    if first_ok is not None:
        try:
            artefacts = store.read_artefacts(first_ok)
        except Exception as error:
            images.append({"caption": "Artefacts", "uri": None, "table": None,
                           "error": f"could not read {first_ok.get('artefacts_file')}: {type(error).__name__}: {error}"})
            artefacts = {}
        seed = first_ok.get("seed")
        for figure in figures.artefact_figures(artefacts):
            images.append({"caption": f"{figure.caption} (seed {seed})", "uri": figure.uri, "error": figure.error,
                           "table": figure.table})
    return images


def _broken_card(benchmark_verdict, benchmark, error: Exception) -> dict:
    source = getattr(benchmark, "source", None)
    document = getattr(source, "document", "unknown")
    experiment = getattr(source, "experiment", "?")
    row = {"benchmark": benchmark_verdict.benchmark, "experiment": experiment, "document": document,
           "source_label": document, "tags": "", "duration_s": 0.0, "device": "-", "metric": "-",
           "reference": "-", "reference_sort": "", "bounds": "-", "mean": "-", "mean_sort": "", "std": "-",
           "measured": "-", "seeds": 0, "per_seed": "", "verdict": benchmark_verdict.verdict, "note": "",
           "judged_on": "", "outcomes": {}, "detail": "", "delta": None, "in_summary": True}
    return {"name": benchmark_verdict.benchmark, "title": "", "experiment": experiment, "label": "", "setup": "",
            "catalogue_reference": "", "document": document, "cells": "", "tags": [], "claims": [], "doc": "",
            "verdict": benchmark_verdict.verdict, "detail": benchmark_verdict.detail, "statuses": {},
            "rows": [row], "shown_rows": [row], "more_rows": [], "images": [], "artefact_seed": None, "seeds": [], "notes": [],
            "failed": [{"seed": "-", "status": "report",
                        "reason": "this card could not be built: " + "".join(
                            traceback.format_exception_only(type(error), error)).strip()}],
            "duration_s": 0.0, "total_duration_s": 0.0, "device": "-", "settings": {}, "time_delta": None}


def _per_seed(ok: list[dict], metric: str) -> str:
    return ", ".join(f"s{r.get('seed')}: {number(r['metrics'][metric])}" for r in ok if metric in r["metrics"])


def _judged_on(reference) -> str:
    if reference.kind == "diverges":
        return "every seed must diverge" if reference.judged_on == "every_seed" else "judged on divergence"
    if reference.judged_on == "every_seed":
        return "judged on every seed"
    if reference.judged_on == "fraction":
        return f"judged on ≥ {reference.min_fraction:.0%} of the seeds"
    return "judged on the mean"


def _float(value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _sortable(value) -> str:
    if value is None:
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(x):
        return ""
    return repr(x) if math.isfinite(x) else ("1e308" if x > 0 else "-1e308")


def _spread(value) -> str:
    """A standard deviation: rounding noise of identical seeds shows as 0."""
    try:
        if math.isfinite(value) and abs(value) < 1e-12:
            return "0"
    except TypeError:
        return "-"
    return number(value)


def _orientation_note(reference) -> str:
    """What the documented reference means on a tier that is not judged against it."""
    if reference is None:
        return ""
    if reference.value is None:
        return "the source's claim, shown for orientation; this tier is not judged against it"
    return "documented value shown for orientation; this tier is not judged against it"
