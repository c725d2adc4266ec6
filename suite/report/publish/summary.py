"""One run folder read into the plain summary the site is drawn from, and kept beside the site by content hash.

A summary holds what any page shows of a run: its date, tier, backend, stack, host, seeds, counts
of verdicts, time, state (readable, damaged, of another schema version, without a report), and per
benchmark the verdict and each judged metric's mean, bounds and per-seed values, as the records
stored them (``suite.judge.verdict.judge_recorded``: no benchmark code, no framework).

Reading and checking every record of fifty runs costs far more than hashing their bytes, so a
summary is kept in the site's state folder under the hash of the run's files (``input_hash``) and
read again only when a file of the run changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from suite import sources
from suite.judge import verdict
from suite.records import layout, run_files
from suite.report import recorded, stability
from suite.report.publish.output import CODE_HASH
from suite.stacks import manifest as matrix_manifest
from suite.text import finite_or_zero

#: Run states as the index names them.
READABLE = "readable"
DAMAGED = "damaged"
OTHER_SCHEMA = "other schema version"
#: A reason of ``reading.DamagedRecord`` that means the record is of another schema version, not broken.
SCHEMA_REASON = "schema_version"


def input_hash(run_path: Path) -> str:
    """A hash of everything of the run a page shows: run files, records and report by content, artefacts by size.

    Artefacts only feed a report rendered for a run that has none; their names, sizes and times stand
    in for their bytes (they are the bulk of a run folder, and records are written once, never rewritten).
    """
    digest = hashlib.sha256()
    paths = [run_path / name for name in (layout.MANIFEST_FILE, layout.FINISHED_FILE, layout.REPORT_FILE,
                                          matrix_manifest.RUN_STACK_FILE)]
    records_dir = layout.records_dir(run_path)
    listed = sorted(records_dir.iterdir()) if records_dir.is_dir() else []
    for path in paths + listed:
        digest.update(path.name.encode() + b"\0")
        try:
            if path.suffix == ".npz":
                status = path.stat()
                digest.update(f"{status.st_size}:{status.st_mtime_ns}".encode())
            elif path.is_file():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            else:
                digest.update(b"absent")
        except OSError as error:
            digest.update(f"unreadable {error.errno}".encode())
    return digest.hexdigest()[:32]


def summarise(run_path: Path) -> dict:
    """The run as plain JSON data; a run that cannot be read becomes a summary saying why, never an exception."""
    summary = {"run_id": run_path.name, "state": READABLE, "problems": [], "has_report": False,
               "date": "", "tier": "-", "backend": "-", "stack": "-", "host": "-", "matrix": "", "seeds": 0,
               "counts": {}, "time_s": 0.0, "benchmarks": {}}
    summary["has_report"] = (run_path / layout.REPORT_FILE).is_file()
    try:
        _fill(summary, run_path)
    except Exception as error:  # one odd run is listed as such, never the end of the site
        summary["state"] = DAMAGED
        summary["problems"].append(f"could not be read: {type(error).__name__}: {error}")
    return summary


def _fill(summary: dict, run_path: Path) -> None:
    try:
        manifest = run_files.read_run_manifest(run_path)
    except (ValueError, OSError) as error:
        manifest = {}
        summary["state"] = DAMAGED
        summary["problems"].append(f"run.json or finished.json unreadable ({type(error).__name__}: {error})")
    records, damaged = recorded.load_records(run_path)
    reasons = list(damaged)
    other_schema = [line for line in reasons if f"({SCHEMA_REASON}" in line]
    if other_schema and not records:
        summary["state"] = OTHER_SCHEMA
    elif reasons or not records:
        summary["state"] = DAMAGED
    summary["problems"].extend(reasons if reasons or records else ["no readable record"])
    environment = next((r["environment"] for r in records if isinstance(r.get("environment"), dict)),
                       manifest.get("environment") if isinstance(manifest.get("environment"), dict) else {})
    named = matrix_manifest.run_stack(run_path)
    summary.update({
        "date": str(manifest.get("started_at") or min((str(r.get("finished_at") or "") for r in records),
                                                      default="")),
        "tier": str(manifest.get("tier") or (records[0]["tier"] if records else "-")),
        "backend": stability.backend_of(environment, manifest),
        "stack": stability.stack_of(environment, named),
        "host": str(environment.get("hostname") or (records[0].get("hostname") if records else "") or "-"),
        "matrix": str(named.get("matrix") or ""),
        "seeds": len({r["seed"] for r in records}),
        "time_s": float(manifest.get("wall_s") or sum(finite_or_zero(r.get("duration_s")) for r in records)),
    })
    benchmarks = recorded.recorded_benchmarks(records)
    verdicts = verdict.judge_recorded(records, order=list(benchmarks))
    counts: dict[str, int] = {}
    for benchmark_verdict in verdicts:
        counts[benchmark_verdict.verdict] = counts.get(benchmark_verdict.verdict, 0) + 1
    summary["counts"] = {name: counts[name] for name in verdict.VERDICTS if counts.get(name)}
    files_of: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: r["seed"]):
        files_of.setdefault(record["benchmark"], []).append(Path(record["record_path"]).name)
    for benchmark_verdict in verdicts:
        summary["benchmarks"][benchmark_verdict.benchmark] = _benchmark(
            benchmark_verdict, benchmarks[benchmark_verdict.benchmark], files_of[benchmark_verdict.benchmark])


def _benchmark(benchmark_verdict, benchmark, record_files: list[str]) -> dict:
    documented = {reference.metric: reference for reference in benchmark.references}
    metrics = []
    for reference_verdict in benchmark_verdict.references:
        reference = reference_verdict.reference
        claim = reference.claim or (documented[reference.metric].claim if reference.metric in documented else "")
        metrics.append({
            "metric": reference.metric,
            "mean": _plain(reference_verdict.stats.mean) if reference_verdict.stats.n else None,
            "n": reference_verdict.stats.n,
            "values": [_plain(value) for value in reference_verdict.values],
            "kind": reference.kind,
            "low": reference.low,
            "high": reference.high,
            "bounds": reference.describe_bounds(),
            "reported": reference.value,
            "judged_on": reference.judged_on,
            "verdict": stability.claim_verdict(benchmark_verdict, reference_verdict),
            "claim": claim,
        })
    source = benchmark.source
    return {
        "verdict": benchmark_verdict.verdict,
        "detail": benchmark_verdict.detail,
        "title": benchmark.title,
        "experiment": source.experiment,
        "document": source.document,
        "document_title": sources.title(source.document),
        "cells": source.cells,
        "catalogue_claim": sources.experiments().get(source.experiment, {}).get("reference", ""),
        "metrics": metrics,
        "claims": [[reference.metric, reference.claim] for reference in benchmark.references if reference.claim],
        "records": record_files,
    }


def _plain(value: float) -> float | str:
    """A number JSON can hold: infinities and NaN as their names (a diverging loss is a result)."""
    return value if math.isfinite(value) else str(value)


def cached_summary(run_path: Path, state_dir: Path) -> tuple[dict, bool]:
    """The run's summary, from the state folder when neither its files nor this code changed; (summary, read afresh)."""
    key = f"{input_hash(run_path)}-{CODE_HASH}"
    cache = state_dir / "runs" / f"{safe_name(run_path.name)}.json"
    try:
        kept = json.loads(cache.read_text(encoding="utf-8"))
        if kept.get("input_hash") == key and kept.get("path") == str(run_path.resolve()):
            return kept["summary"], False
    except (OSError, ValueError, AttributeError):
        pass
    summary = summarise(run_path)
    summary["input_hash"] = key
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"input_hash": key, "path": str(run_path.resolve()), "summary": summary}),
                     encoding="utf-8")
    return summary, True


def safe_name(name: str) -> str:
    """A file name for any run or benchmark name: its safe characters, plus a hash when some were not."""
    kept = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "_"
    return kept if kept == name else f"{kept[:60]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"

