"""The HTML report of a run: built from the stored records only, one self-contained file.

Everything a record, a benchmark or the environment says is escaped by Jinja2's
autoescape; figures are embedded as data URIs, so the page makes no request.
"""

from __future__ import annotations

import math
import shutil
from collections import defaultdict
from pathlib import Path

import jinja2

from suite import figures, results, sources, verdict
from suite.constants import reports_dir

TEMPLATES = Path(__file__).parent / "templates"


def render(run: str | Path = "latest", *, benchmarks: dict | None = None, baseline: dict | None = None) -> Path:
    """Write ``report.html`` in the run folder and copy it to ``reports/latest.html``; return its path."""
    from suite import registry

    run_path = results.find_run(run)
    records = results.load_records(run_path)
    manifest = results.read_run_manifest(run_path)
    benchmarks = benchmarks or {name: cls() for name, cls in registry.discover().items()}
    tier = manifest.get("tier") or (records[0]["tier"] if records else "full")
    known = {name: b for name, b in benchmarks.items()}
    verdicts = verdict.judge_run(known, records, tier, baseline)
    html = build_html(run_path, manifest, records, verdicts, known)
    output = run_path / "report.html"
    results.atomic_write_bytes(output, html.encode("utf-8"))
    latest = reports_dir() / "latest.html"
    shutil.copyfile(output, latest)
    return output


def build_html(run_path: Path, manifest: dict, records: list[dict], verdicts, benchmarks: dict) -> str:
    by_benchmark = defaultdict(list)
    for record in records:
        by_benchmark[record["benchmark"]].append(record)
    cards = [_card(v, by_benchmark[v.benchmark], benchmarks[v.benchmark]) for v in verdicts]
    sections = defaultdict(list)
    for card in cards:
        sections[card["document"]].append(card)
    ordered = sorted(sections, key=sources.order)
    counts = defaultdict(int)
    for v in verdicts:
        counts[v.verdict] += 1
    environment = next((r.get("environment") for r in records if r.get("environment")), {}) or {}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.get_template("report.html.j2")
    return template.render(
        run_id=run_path.name,
        manifest=manifest,
        environment=environment,
        counts=[(name, counts[name]) for name in verdict.VERDICTS if counts.get(name)],
        rows=[row for card in cards for row in card["rows"]],
        sections=[{"document": doc, "title": sources.title(doc), "cards": sections[doc]} for doc in ordered],
        total_duration_s=sum(float(r.get("duration_s") or 0) for r in records),
    )


def _card(benchmark_verdict, records: list[dict], benchmark) -> dict:
    rows = []
    durations = [float(r.get("duration_s") or 0) for r in records]
    devices = sorted({r.get("device") or "-" for r in records})
    for rv in benchmark_verdict.references:
        reference = rv.reference
        rows.append({
            "benchmark": benchmark.name,
            "experiment": benchmark.source.experiment,
            "document": benchmark.source.document,
            "tags": " ".join(benchmark.tags),
            "metric": reference.metric,
            "reference": _number(reference.value),
            "bounds": reference.describe_bounds(),
            "measured": rv.stats.describe(),
            "seeds": len(rv.values),
            "verdict": rv.verdict if benchmark_verdict.verdict not in (verdict.ERROR, verdict.TIMEOUT,
                                                                       verdict.SKIPPED, verdict.UNJUDGED)
            else benchmark_verdict.verdict,
            "duration_s": sum(durations) / max(len(durations), 1),
            "device": ", ".join(devices),
            "note": reference.note,
            "outcomes": rv.outcome_counts,
            "detail": rv.detail,
        })
    if not rows:
        rows.append({
            "benchmark": benchmark.name, "experiment": benchmark.source.experiment,
            "document": benchmark.source.document, "tags": " ".join(benchmark.tags), "metric": "-",
            "reference": "-", "bounds": "-", "measured": "-", "seeds": len(records),
            "verdict": benchmark_verdict.verdict, "duration_s": sum(durations) / max(len(durations), 1),
            "device": ", ".join(devices), "note": "", "outcomes": {}, "detail": benchmark_verdict.detail,
        })
    images = []
    for caption, make in (
        ("Per-seed values against the reported number and the bounds",
         lambda: figures.per_seed_values(benchmark_verdict.references)),
        ("Learning curves (every seed; source's logged values as dots)",
         lambda: figures.learning_curves([r for r in records if r["status"] == "ok"], benchmark.source_curves)),
    ):
        try:
            uri = make()
        except Exception as error:  # a figure that cannot be drawn must not cost the report
            images.append({"caption": f"{caption}: could not be drawn ({error})", "uri": None})
            continue
        if uri:
            images.append({"caption": caption, "uri": uri})
    errors = [r.get("error") for r in records if r.get("error")]
    return {
        "name": benchmark.name,
        "title": benchmark.title,
        "experiment": benchmark.source.experiment,
        "document": benchmark.source.document,
        "cells": benchmark.source.cells,
        "claims": [rv.reference.claim for rv in benchmark_verdict.references if rv.reference.claim],
        "doc": (type(benchmark).__doc__ or "").strip(),
        "verdict": benchmark_verdict.verdict,
        "detail": benchmark_verdict.detail,
        "rows": rows,
        "images": images,
        "errors": errors[:3],
        "settings": records[0].get("settings", {}) if records else {},
    }


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return "inf"
    return f"{value:.4g}"
