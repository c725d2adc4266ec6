"""A run's records as something to judge: the trustworthy ones, stand-ins for their benchmarks, today's verdicts.

Why a module of its own: the report, ``compare`` and ``export`` all judge a run folder the same way,
from its records alone (no benchmark code, no TensorFlow) or against today's benchmarks.
"""

from __future__ import annotations

from pathlib import Path

from suite import sources
from suite.judge import verdict
from suite.records import reading
from suite.reference import Reference
from suite.registry import Source


def load_records(run_path: Path) -> tuple[list[dict], list[str]]:
    """Every trustworthy record of the run, and one line per damaged file (named, left out)."""
    scan = reading.scan_records(run_path)
    for record in scan.records:
        if not isinstance(record.get("metrics"), dict):
            record["metrics"] = {}
        record["metrics"] = {k: v for k, v in record["metrics"].items()
                             if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return scan.records, scan.warnings()


def recorded_benchmarks(records: list[dict]) -> dict:
    """One stand-in per benchmark, from what its newest record says, in catalogue order."""
    newest = {}
    for record in sorted(records, key=lambda r: str(r.get("finished_at") or "")):
        newest[record["benchmark"]] = record
    ordered = sorted(newest.values(), key=lambda r: (sources.order(str(r.get("source_document") or "")),
                                                     str(r.get("experiment") or "~"), r["benchmark"]))
    return {record["benchmark"]: RecordedBenchmark(record) for record in ordered}


def judge_today(records: list[dict], tier: str, benchmarks: dict | None = None, baseline: dict | None = None):
    """Judge the records against today's benchmark code: (benchmarks, verdicts, moved lines, problem).

    ``moved`` lists every verdict that differs from the one the records stored, and why.
    """
    known, discovery_problem = _benchmarks(benchmarks)
    for record in records:  # records of benchmarks no longer registered still get a card
        if record["benchmark"] not in known:
            known[record["benchmark"]] = RecordedBenchmark(record)
    verdicts = verdict.judge_run(known, records, tier, baseline)
    moved = verdict.moved_verdicts(verdict.judge_recorded(records, order=list(known)), verdicts)
    return known, verdicts, moved, discovery_problem


def _benchmarks(benchmarks: dict | None) -> tuple[dict, str]:
    if benchmarks is not None:
        return dict(benchmarks), ""
    from suite import catalogue

    try:
        return catalogue.benchmarks(), ""
    except Exception as error:  # a broken benchmark module must not hide the records of the others
        return {}, f"benchmark discovery failed ({type(error).__name__}: {error}); cards use what the records say"


class RecordedBenchmark:
    """A benchmark as its record describes it: what the report needs, without its code or TensorFlow."""

    def __init__(self, record: dict):
        self.name = record["benchmark"]
        self.title = str(record.get("title") or "")
        self.source = Source(str(record.get("source_document") or "unknown"), str(record.get("experiment") or "?"),
                             cells=str(record.get("source_cells") or ""))
        self.tags = tuple(str(t) for t in (record.get("tags") or ()))
        self.references = tuple(Reference.from_dict(data) for data in record.get("documented_references") or ())
        self.source_curves = dict(record.get("source_curves") or {})
        self.description = str(record.get("description") or "") or "Shown from its records only."
