"""One benchmark's card on the report page: its rows of numbers against the references, its figures, its notes.

Built from plain data (verdicts, records, the benchmark's declaration), so a card that cannot be
built costs only itself (``broken_card``), and a figure that cannot be drawn only its caption.
"""

from __future__ import annotations

import math
import traceback
from collections import defaultdict

from suite import sources
from suite.judge import verdict
from suite.records import reading
from suite.report import curves, figures
from suite.text import finite_or_zero, number

#: Metrics listed in an unjudged card before the rest fold into "more metrics".
MAX_METRIC_ROWS = 6


def seed_key(seed):
    return (0, seed) if isinstance(seed, int) else (1, str(seed))


def by_benchmark_compared(comparison) -> dict:
    if comparison is None:
        return {}
    by_name: dict = defaultdict(dict)
    for row in comparison.metrics:
        by_name[row.benchmark][row.metric] = row
    for row in comparison.times:
        by_name[row.benchmark]["__time__"] = row
    return by_name


def card(benchmark_verdict, records: list[dict], benchmark, compared: dict, images: list[dict]) -> dict:
    ok = [r for r in records if r.get("status") == "ok"]
    durations = [finite_or_zero(r.get("duration_s")) for r in records]
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


def figure_job(benchmark_verdict, records: list[dict], benchmark) -> tuple:
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
            artefacts = reading.read_artefacts(first_ok)
        except Exception as error:
            images.append({"caption": "Artefacts", "uri": None, "table": None,
                           "error": f"could not read {first_ok.get('artefacts_file')}: {type(error).__name__}: {error}"})
            artefacts = {}
        seed = first_ok.get("seed")
        for figure in figures.artefact_figures(artefacts):
            images.append({"caption": f"{figure.caption} (seed {seed})", "uri": figure.uri, "error": figure.error,
                           "table": figure.table})
    return images


def broken_card(benchmark_verdict, benchmark, error: Exception) -> dict:
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
