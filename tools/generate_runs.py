"""Generate many run folders of the real shape from one real run, to measure how fast ``publish`` is.

Why: a site of fifty runs is what ``publish`` is for, and nobody trains fifty runs to time it. Each
generated run holds, for every benchmark of the source run, ``--seeds`` records copied from the
source's (their histories and artefacts as they are), with the metrics a reference judges moved
around its band (some land outside: the site has NOT REPRODUCED to draw), the tier alternating
between full (judged against the documented references the records carry) and quick (against the
references the source stored), the backend, stack and host varied, one day apart. With ``--report``
the source's ``report.html`` is copied into each run (a run without one costs a rendering).

Usage: ``python tools/generate_runs.py SOURCE_RUN REPORTS_DIR --runs 50 [--seeds 3] [--report] [--start N]``
(the runs land in ``REPORTS_DIR/runs/``; ``--start`` numbers them on from an earlier generation).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

STACKS = (("3.15.1", "2.21.0"), ("3.14.0", "2.20.0"), ("3.13.2", "2.19.0"))
HOSTS = ("vm", "vm", "gpu-node-2")


def _first_records(source: Path, seeds: int) -> dict[str, list[dict]]:
    """Up to ``seeds`` records of each benchmark of the source run, seed order."""
    found: dict[str, list[dict]] = {}
    for path in sorted((source / "records").glob("*.json"), key=lambda p: p.name):
        record = json.loads(path.read_text())
        found.setdefault(record["benchmark"], []).append(record)
    return {name: sorted(records, key=lambda r: r["seed"])[:seeds] for name, records in found.items()}


def _moved(value: float, reference: dict, rng: random.Random) -> float:
    """A value near the reference's band: inside mostly, outside now and then."""
    low = reference.get("bounds", [None, None])[0] if reference.get("bounds") else reference.get("threshold")
    high = reference.get("bounds", [None, None])[1] if reference.get("bounds") else reference.get("threshold")
    if low is None or high is None:
        return value
    width = (high - low) or abs(high) * 0.05 or 0.05
    centre = (low + high) / 2
    if reference.get("kind") == "at_least":
        centre += width
    elif reference.get("kind") == "at_most":
        centre -= width
    return centre + rng.gauss(0, width * 0.4)


def generate(source: Path, reports: Path, runs: int, seeds: int, report: bool, start: int) -> list[Path]:
    records = _first_records(source, seeds)
    first_day = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    made = []
    for index in range(start, start + runs):
        rng = random.Random(index)
        tier = "full" if index % 2 == 0 else "quick"
        backend = "jax" if index % 5 == 4 else "tensorflow"
        keras, tensorflow = STACKS[index % len(STACKS)]
        host = HOSTS[index % len(HOSTS)]
        when = first_day + timedelta(days=index)
        run_id = f"{when:%Y%m%d-%H%M%S}-{tier}-g{index:03d}"
        run_path = reports / "runs" / run_id
        (run_path / "records").mkdir(parents=True, exist_ok=True)
        for name, group in records.items():
            for seed in range(1, seeds + 1):
                record = json.loads(json.dumps(group[(seed - 1) % len(group)]))
                stem = f"{name}__{tier}__s{seed}"
                references = (record.get("documented_references") if tier == "full"
                              else (record.get("judged_against") or {}).get("references")) or []
                record.update(run_id=run_id, tier=tier, seed=seed, backend=backend,
                              finished_at=(when + timedelta(minutes=seed)).isoformat(timespec="seconds"),
                              judged_against={"judged": True, "references": references})
                record["environment"] = {**record.get("environment", {}), "backend": backend, "keras": keras,
                                         "tensorflow": tensorflow, "hostname": host}
                record["hostname"] = host
                for reference in references:
                    value = record["metrics"].get(reference["metric"])
                    if isinstance(value, (int, float)) and reference.get("kind") != "diverges":
                        record["metrics"][reference["metric"]] = _moved(value, reference, rng)
                if record.get("artefacts_file"):
                    shutil.copyfile(source / "records" / record["artefacts_file"], run_path / "records" / f"{stem}.npz")
                    record["artefacts_file"] = f"{stem}.npz"
                (run_path / "records" / f"{stem}.json").write_text(json.dumps(record, indent=1))
        manifest = {"run_id": run_id, "tier": tier, "seeds": seeds, "device": "auto", "deterministic": True,
                    "backend": backend, "benchmarks": sorted(records), "started_at": when.isoformat(timespec="seconds"),
                    "command": f"python tools/generate_runs.py (run {index})", "executor": "local"}
        (run_path / "run.json").write_text(json.dumps(manifest, indent=1))
        (run_path / "finished.json").write_text(json.dumps({
            "finished_at": (when + timedelta(hours=1)).isoformat(timespec="seconds"), "wall_s": 3600.0 + index,
            "interrupted": False}, indent=1))
        if report and (source / "report.html").exists():
            shutil.copyfile(source / "report.html", run_path / "report.html")
        made.append(run_path)
    return made


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("reports", type=Path)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--report", action="store_true")
    options = parser.parse_args()
    for path in generate(options.source, options.reports, options.runs, options.seeds, options.report, options.start):
        print(path)
