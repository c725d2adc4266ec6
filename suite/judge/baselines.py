"""Baselines: the committed files a tier's bounds come from, checked before anything trusts them.

``baselines/quick.json`` holds the quick gate's calibrated bounds (``suite.judge.calibrate``) for
TensorFlow, ``baselines/quick-<backend>.json`` another backend's (its numbers differ in their last bits);
``references_for`` turns a benchmark and a tier into the references a run of it is judged against.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from suite import backends
from suite.constants import DEFAULT_BACKEND, baselines_dir
from suite.judge import numerics
from suite.reference import Reference


class BaselineError(ValueError):
    """A baseline file that cannot be used: its message names the file, the field and the fix."""


#: Fields each calibrated metric of a baseline entry must have to judge a run.
BASELINE_METRIC_FIELDS = ("mean", "low", "high")


def baseline_file(tier: str, backend: str = DEFAULT_BACKEND) -> str:
    """``quick.json`` for TensorFlow, ``quick-jax.json`` for JAX: each backend is gated on its own measurements."""
    return f"{tier}.json" if backend == DEFAULT_BACKEND else f"{tier}-{backend}.json"


def load_for_records(tier: str, records: list[dict]) -> dict:
    """The baseline that judges ``records`` of ``tier``: the one of the backend they ran on (a run never mixes
    backends), so that a PyTorch run read again (``report --rejudge``, ``compare``) meets PyTorch's bounds."""
    return load_baseline(tier, backend=backends.recorded_name(records[0]) if records else DEFAULT_BACKEND)


def load_baseline(tier: str, directory: Path | None = None, backend: str = DEFAULT_BACKEND) -> dict:
    """The tier's baseline (``{}`` when there is none), checked field by field before anything trusts it."""
    path = (directory or baselines_dir()) / baseline_file(tier, backend)
    if not path.exists():
        return {}
    recalibrate = f"python -m suite calibrate --tier {tier}" + ("" if backend == DEFAULT_BACKEND else f" --backend {backend}")
    fix = f"restore it (git checkout {path.name}) or recalibrate ({recalibrate})"
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"baseline {path} is not valid JSON ({error}); {fix}") from None
    except OSError as error:
        raise BaselineError(f"baseline {path} cannot be read ({error.strerror or error}); {fix}") from None
    for field_path, problem in baseline_problems(baseline):
        raise BaselineError(f"baseline {path}: {field_path} {problem}; {fix}")
    return baseline


def metric_entries(data) -> tuple[list[tuple[str, dict]], list[tuple[str, str]]]:
    """Every ``(field path, entry)`` under ``benchmarks.<name>.metrics.<metric>`` of a baseline-shaped
    file (quick.json, full.json), and ``(field path, problem)`` for what is not shaped like one."""
    if not isinstance(data, dict):
        return [], [("the file", f"holds a JSON {type(data).__name__}, not an object")]
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, dict):
        return [], [("'benchmarks'", "is missing or not an object")]
    entries, problems = [], []
    for name, benchmark in benchmarks.items():
        metrics = benchmark.get("metrics") if isinstance(benchmark, dict) else None
        if not isinstance(metrics, dict):
            problems.append((f"benchmarks.{name}.metrics", "is missing or not an object"))
            continue
        for metric, entry in metrics.items():
            where = f"benchmarks.{name}.metrics.{metric}"
            if isinstance(entry, dict):
                entries.append((where, entry))
            else:
                problems.append((where, "is not an object"))
    return entries, problems


def is_finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def seeds_problem(where: str, entry: dict, required: tuple[str, ...]) -> tuple[str, str] | None:
    """The first ``(field path, problem)`` of an entry measured over seeds: a ``required`` field missing, or
    ``n`` not the number of its seeds; None when it has both. What else it needs depends on what reads it."""
    missing = [key for key in required if key not in entry]
    if missing:
        return where, f"lacks {', '.join(missing)}"
    n = entry["n"]
    if not isinstance(n, int) or n < 1 or len(entry["seeds"]) != n:
        return f"{where}.n", f"is {n!r}, not the number of seeds ({len(entry['seeds'])})"
    return None


def baseline_problems(baseline) -> list[tuple[str, str]]:
    """(field, problem) for every field a verdict needs that is missing or unusable."""
    entries, problems = metric_entries(baseline)
    for where, calibration in entries:
        bad = [key for key in BASELINE_METRIC_FIELDS if not is_finite_number(calibration.get(key))]
        problems += [(f"{where}.{key}", "is missing or not a finite number") for key in bad]
        if not bad and calibration["low"] > calibration["high"]:
            problems.append((where, f"has low {calibration['low']} above high {calibration['high']}"))
    return problems


def references_for(benchmark, tier: str, baseline: dict | None = None) -> tuple[tuple[Reference, ...], bool]:
    """The references a run of ``tier`` is judged against, and whether the tier is judged at all."""
    if tier == "full":
        uncalibrated = [r.metric for r in benchmark.references if r.uses_calibration and r.bounds is None]
        if uncalibrated:
            raise BaselineError(
                f"{baselines_dir() / 'full.json'} has no calibration for {benchmark.name} "
                f"({', '.join(uncalibrated)}), so its full-tier bounds cannot be derived; calibrate it: "
                f"python -m suite calibrate --tier full {benchmark.name} --seeds 3")
        return tuple(benchmark.references), True
    if tier == "smoke":
        return (), False
    entry = (baseline or {}).get("benchmarks", {}).get(benchmark.name) or {}
    # A divergence claim holds at every tier (the loss blows up within the first steps), and so does a claim
    # the benchmark names in ``gate_as_documented``: judged as documented.
    judged = [reference for reference in benchmark.references
              if reference.kind == "diverges" or reference.metric in benchmark.gate_as_documented]
    if not entry and not judged:
        return (), True
    for metric, calibration in entry.get("metrics", {}).items():
        documented = next((r for r in benchmark.references if r.metric == metric), None)
        if documented is not None and documented in judged:
            continue
        note = calibration.get("rule", "") + f" (baseline n={calibration.get('n')}, {entry.get('calibrated_at', '')})"
        judged.append(Reference(metric, calibration.get("mean"),
                                bounds=(calibration["low"], calibration["high"]), note=note,
                                claim=documented.claim if documented else ""))
    return tuple(judged), True


def baseline_provenance(tier: str, baseline: dict | None, name: str, backend: str = DEFAULT_BACKEND) -> dict | None:
    """Where a quick-tier bound came from: the file, its calibration date and the code it measured."""
    entry = (baseline or {}).get("benchmarks", {}).get(name)
    if not entry:
        return None
    return {"file": f"baselines/{baseline_file(tier, backend)}", "calibrated_at": entry.get("calibrated_at"),
            "run_id": entry.get("run_id"), "code_version": entry.get("code_version"), "seeds": entry.get("seeds"),
            "environment": entry.get("environment"), "bits": numerics.bit_references(entry)}
