"""The full tier's calibration as data: ``baselines/full.json``, the bounds derived from it, their notes.

The full tier is judged against the numbers the sources report. How far from a reported number a
measurement may land is set by how much our port's own seeds spread, so that spread is data: for each
benchmark and metric, ``baselines/full.json`` keeps the port's calibration (seeds, per-seed values
where they were kept, mean, std, n, the floor, versions, machine, date and where the numbers come
from). A benchmark declares only the reported value, its claim and the rule
(``Reference.calibrated``); its two-sided bound is derived here by one formula:

    centred on the reported value, half-width = max(3 * std, floor)

with the floor half a point for accuracies, 50 for error counts (half a point of 10 000 test images)
and 10 % of the reported value for every other metric (losses, batch counts; ``suite.judge.floors``).
One seed has no std: the half-width is then the floor. None of these metrics can be negative, so a lower end below zero is
clipped to zero. A claim judged per seed ("reproduced when that outcome occurs in 1 seed in 5")
declares its band instead; its calibration then only describes the port in the note.

The note the report shows beside a bound is generated from the same entry, so a note and its
numbers cannot disagree. ``python -m suite calibrate --tier full`` writes the entries. The file's
``observed`` section holds what the port measured behind the claims that take no bound from it
(one-sided and divergence claims); ``resolve`` ends their notes with it (``suite.judge.observations``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from suite import backends
from suite.constants import DEFAULT_SEEDS, baselines_dir
from suite.judge import observations
from suite.judge.baselines import BaselineError, is_finite_number, metric_entries, seeds_problem
from suite.judge.floors import FULL_TIER
from suite.judge.provenance import seed_list, stack
from suite.judge.verdict import Stats
from suite.reference import Reference
from suite.text import number

FILE_NAME = "full.json"
SPREAD_MULTIPLIER = 3
#: The formula as ``baselines/full.json`` stores it (``"rule"``), so that the file explains itself: data, so an
#: edit of the docstring above, which explains it, changes no file.
RULE = (
    "centred on the reported value, half-width = max(3 * std, floor) with the floor half a point for accuracies, 50 "
    "for error counts (half a point of 10 000 test images) and 10 % of the reported value for every other metric "
    "(losses, batch counts). One seed has no std: the half-width is then the floor. None of these metrics can be "
    'negative, so a lower end below zero is clipped to zero. A claim judged per seed ("reproduced when that outcome '
    'occurs in 1 seed in 5") declares its band instead; its calibration then only describes the port in the note.'
)
#: Fields every metric entry must have for a bound to be derived from it.
REQUIRED_FIELDS = ("seeds", "n", "mean", "std", "floor", "environment", "date", "provenance")


class CalibrationError(BaselineError):
    """``baselines/full.json`` cannot give a bound: the message names the file, the entry and the fix."""


def path() -> Path:
    return baselines_dir() / FILE_NAME


def derive_bounds(metric: str, reported: float, entry: dict) -> tuple[float, float]:
    """The documented formula: reported ± max(3 std, floor), the lower end clipped at zero."""
    std = entry.get("std")
    spread = SPREAD_MULTIPLIER * std if std is not None and entry["n"] > 1 else 0.0
    half_width = max(spread, FULL_TIER.floor_for(metric, reported))
    return max(reported - half_width, 0.0), reported + half_width


# -- the file ----------------------------------------------------------------------------------------
_cache: dict[tuple[str, float], dict] = {}


def load(file: Path | None = None) -> dict:
    """The calibration file (``{}`` when there is none), checked entry by entry; read once per change."""
    file = file or path()
    try:
        stamp = file.stat().st_mtime
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CalibrationError(f"calibration {file} cannot be read ({error.strerror or error})") from None
    key = (str(file), stamp)
    if key not in _cache:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CalibrationError(f"calibration {file} is not valid JSON ({error}); restore it "
                                   f"(git checkout baselines/{FILE_NAME})") from None
        for where, problem in problems(data):
            raise CalibrationError(f"calibration {file}: {where} {problem}; restore it (git checkout "
                                   f"baselines/{FILE_NAME}) or recalibrate (python -m suite calibrate --tier full)")
        _cache.clear()
        _cache[key] = data
    return _cache[key]


def problems(data) -> list[tuple[str, str]]:
    """(field, problem) for every field a bound or a quoted observation needs that is missing or unusable."""
    entries, found = metric_entries(data)
    found += observations.problems(data)
    for where, entry in entries:
        problem = seeds_problem(where, entry, REQUIRED_FIELDS)
        if problem:
            found.append(problem)
            continue
        n = entry["n"]
        if not is_finite_number(entry["mean"]) or not is_finite_number(entry["floor"]):
            found.append((where, "has a mean or floor that is not a finite number"))
        elif n > 1 and not (is_finite_number(entry["std"]) and entry["std"] >= 0):
            found.append((f"{where}.std", "is missing or negative with more than one seed"))
        elif entry.get("values") is not None and len(entry["values"]) != n:
            found.append((f"{where}.values", f"holds {len(entry['values'])} values for {n} seeds"))
    return found


def entry_for(data: dict, name: str, metric: str) -> dict | None:
    return data.get("benchmarks", {}).get(name, {}).get("metrics", {}).get(metric)


# -- references --------------------------------------------------------------------------------------
def resolve(name: str, references: tuple[Reference, ...], data: dict | None = None) -> tuple[Reference, ...]:
    """Each calibrated reference with its calibration, bound and generated note; each other claim with the
    port's observation quoted in its note (``suite.judge.observations``) where the file has one.

    A calibrated reference without an entry stays unresolved (no bounds): listing and calibrating
    still work, and judging it stops with the command that calibrates it.
    """
    if not references:
        return references
    data = load() if data is None else data
    return tuple(resolved(name, reference, data) for reference in references)


def resolved(name: str, reference: Reference, data: dict) -> Reference:
    """One reference as the file completes it (see ``resolve``)."""
    if not reference.uses_calibration:
        return observations.quoted(reference, observations.entry_for(data, name, reference.metric))
    entry = entry_for(data, name, reference.metric)
    if entry is None or reference.calibration is not None:
        return reference
    check_floor(name, reference, entry)
    bounds = reference.bounds if reference.bounds is not None else derive_bounds(
        reference.metric, reference.value, entry)
    note = describe(reference, entry, bounds)
    if reference.note:  # what the calibration cannot say (why a claim is judged per seed, say)
        note += ". " + reference.note.rstrip(".") + "."
    return dataclasses.replace(reference, bounds=bounds, calibration=dict(entry), note=note)


def check_floor(name: str, reference: Reference, entry: dict) -> None:
    """The floor stored with a calibration is the rule's for the documented value, or the file is stale."""
    expected = FULL_TIER.floor_for(reference.metric, reference.value)
    if not math.isclose(entry["floor"], expected, rel_tol=1e-9, abs_tol=1e-12):
        raise CalibrationError(
            f"calibration {path()}: benchmarks.{name}.metrics.{reference.metric}.floor is {entry['floor']!r}, but "
            f"the rule gives {expected!r} for the reported {reference.value!r}; recalibrate "
            f"(python -m suite calibrate --tier full {name})")


def missing(name: str, references: tuple[Reference, ...]) -> list[str]:
    """The calibrated metrics of a benchmark that have no entry in the calibration file."""
    return [f"{name}.{r.metric}" for r in references if r.uses_calibration and r.calibration is None]


# -- the note ---------------------------------------------------------------------------------------------
def describe(reference: Reference, entry: dict, bounds: tuple[float, float]) -> str:
    """How the bound was chosen, in words, from the calibration alone: seeds, values, mean, std, stack, date."""
    n, mean, std, floor = entry["n"], entry["mean"], entry.get("std"), entry["floor"]
    if reference.judged_on == "mean":
        half_width = bounds[1] - reference.value
        how = f"centred on the reported {number(reference.value)}, half-width max(3 std, floor {number(floor)}) = "
        if n == 1:
            how += f"the floor {number(half_width)} (one seed gives no std)"
        elif SPREAD_MULTIPLIER * std > floor:
            how += f"3 std = {number(half_width)}"
        else:
            how += f"the floor {number(half_width)} (3 std = {number(SPREAD_MULTIPLIER * std)})"
        if bounds[0] == 0.0 and reference.value - half_width < 0:
            how += "; the lower end clipped at 0"
    else:
        how = f"the band [{number(bounds[0])}, {number(bounds[1])}] of the claim's outcome, judged per seed"
        if entry.get("values") is not None:
            inside = sum(bounds[0] <= v <= bounds[1] for v in entry["values"])
            how += (f"; {inside} of {n} port seeds land in it, so a {DEFAULT_SEEDS}-seed run meets the rule with "
                    f"probability {number(chance_of_meeting(reference, inside / n))}")
    seeds = entry["seeds"]
    port = f"port seed{'s' if n > 1 else ''} {seed_list(seeds)}: "
    if entry.get("values") is not None:
        port += ", ".join(number(v) for v in entry["values"]) + "; "
    port += f"mean {number(mean)}, " + (f"std {number(std)}" if n > 1 else "std undefined (one seed)")
    if entry.get("values") is None:
        port += " (per-seed values not kept)"
    return f"{how}; {port} ({stack(entry)})"


def chance_of_meeting(reference: Reference, rate: float, seeds: int = DEFAULT_SEEDS) -> float:
    """P(a run of ``seeds`` seeds has enough seeds in the band) when each lands there with ``rate``."""
    needed = seeds if reference.judged_on == "every_seed" else max(1, math.ceil(reference.min_fraction * seeds - 1e-9))
    return sum(math.comb(seeds, k) * rate ** k * (1 - rate) ** (seeds - k) for k in range(needed, seeds + 1))


# -- calibrating -----------------------------------------------------------------------------------------
def calibrated_references(benchmark) -> list[Reference]:
    """The references of a benchmark whose calibration lives in the file."""
    return [reference for reference in benchmark.references if reference.uses_calibration]


def build_entries(benchmark, records: list[dict], run_id: str) -> tuple[dict, list[str]]:
    """Metric entries measured by one run's records of one benchmark, and what could not be calibrated."""
    mine = sorted((r for r in records if r["benchmark"] == benchmark.name), key=lambda r: r["seed"])
    failed = [r for r in mine if r["status"] != "ok"]
    if not mine:
        return {}, [f"{benchmark.name}: the run has no record of it"]
    if failed:
        return {}, [f"{benchmark.name}: {len(failed)} job(s) {failed[0]['status']}: "
                    f"{(failed[0].get('error') or '')[:200]}"]
    environment = next((r.get("environment") for r in mine if r.get("environment")), {}) or {}
    finished = max((r.get("finished_at") or "" for r in mine), default="")
    entries, problems_found = {}, []
    for reference in calibrated_references(benchmark):
        pairs = [(r["seed"], float(r["metrics"][reference.metric])) for r in mine
                 if reference.metric in r["metrics"] and math.isfinite(float(r["metrics"][reference.metric]))]
        if not pairs:
            problems_found.append(f"{benchmark.name}.{reference.metric}: no finite value in the run")
            continue
        values = [value for _, value in pairs]
        stats = Stats.of(values)
        entries[reference.metric] = {
            "seeds": [seed for seed, _ in pairs], "values": values, "n": stats.n, "mean": stats.mean,
            "std": stats.std if stats.n > 1 else None,
            "floor": FULL_TIER.floor_for(reference.metric, reference.value),
            "environment": {key: environment.get(key) for key in
                            ("python", *(field for field, _ in backends.always_recorded()), "keras", "numpy", "cpu",
                             "cpu_count", "gpu", "deterministic")},
            "date": finished[:10] or None, "run_id": run_id, "commit": environment.get("git_commit"),
            "code_version": benchmark.code_version(),
            "provenance": f"python -m suite calibrate --tier full, from the records of run {run_id}",
        }
    return entries, problems_found


def merge(previous: dict, benchmark_entries: dict[str, dict]) -> dict:
    """The file with the new entries in: a metric calibrated again is replaced, every other entry kept."""
    benchmarks = {name: {"metrics": dict(entry.get("metrics", {}))}
                  for name, entry in previous.get("benchmarks", {}).items()}
    for name, metrics in benchmark_entries.items():
        benchmarks.setdefault(name, {"metrics": {}})["metrics"].update(metrics)
    return {"tier": "full", "rule": RULE, **{key: value for key, value in previous.items()
                                              if key not in ("tier", "rule", "benchmarks")},
            "benchmarks": dict(sorted(benchmarks.items()))}
