"""What the port measured behind a claim that takes no bound from it, and the sentence its note quotes it in.

A one-sided claim ("> 0.85", "the loss stays >= 0.5") or a divergence claim ("Loss is infinite") is
judged against its own threshold: how the port's seeds landed does not set it. A reader still wants
those numbers beside the claim, to see how close to the line the port runs and on which stack. They
are data, as the two-sided bounds' calibration is: ``observed`` in ``baselines/full.json`` holds, per
benchmark and claim metric, the seeds, the statistics that were kept (per-seed values, or mean and
std, and the extremes), the metrics measured alongside that the claim's note quotes, the stack, the
date and where the numbers come from. The benchmark's note keeps the why; ``quoted`` ends it with the
sentence made from the entry, so the two cannot disagree. A note's text is prose: no benchmark's
code version and no verdict depends on it.
"""

from __future__ import annotations

import dataclasses

from suite.judge.baselines import is_finite_number, metric_entries, seeds_problem
from suite.judge.provenance import seed_list, stack
from suite.reference import Reference
from suite.text import number

SECTION = "observed"
#: Fields every observed entry must have.
REQUIRED_FIELDS = ("seeds", "n", "environment", "date", "provenance")
#: The statistics an entry, or a metric measured alongside, may state; a note quotes them in this order.
STATISTICS = ("values", "mean", "std", "min", "max")


def entry_for(data: dict, name: str, metric: str) -> dict | None:
    """The observation behind the claim of benchmark ``name`` about ``metric``, or None."""
    return (data.get(SECTION) or {}).get("benchmarks", {}).get(name, {}).get("metrics", {}).get(metric)


def problems(data) -> list[tuple[str, str]]:
    """(field, problem) for every observed entry that cannot be quoted: missing fields, counts that disagree."""
    section = data.get(SECTION) if isinstance(data, dict) else None
    if section is None:
        return []
    if not isinstance(section, dict):
        return [(f"'{SECTION}'", "is not an object")]
    entries, found = metric_entries(section)
    found = [(f"{SECTION}.{where}", problem) for where, problem in found]
    for where, entry in entries:
        where = f"{SECTION}.{where}"
        problem = seeds_problem(where, entry, REQUIRED_FIELDS)
        if problem:
            found.append(problem)
            continue
        n = entry["n"]
        alongside = entry.get("alongside") or {}
        if not (_stated(entry) or alongside or entry.get("remark")):
            found.append((where, "states no statistic, no metric alongside and no remark"))
        found += [(where, problem) for problem in _statistics_problems(entry, n)]
        for metric, statistics in alongside.items():
            label = f"{where}.alongside.{metric}"
            if not isinstance(statistics, dict) or not _stated(statistics):
                found.append((label, "states no statistic"))
                continue
            found += [(label, problem) for problem in _statistics_problems(statistics, n)]
    return found


def _stated(statistics: dict) -> list[str]:
    return [key for key in STATISTICS if statistics.get(key) is not None]


def _statistics_problems(statistics: dict, n: int) -> list[str]:
    values = statistics.get("values")
    found = []
    if values is not None and (len(values) != n or not all(is_finite_number(v) for v in values)):
        found.append(f"holds values {values!r}, not {n} finite numbers")
    found += [f"has a {key} that is not a finite number" for key in STATISTICS[1:]
              if statistics.get(key) is not None and not is_finite_number(statistics[key])]
    if is_finite_number(statistics.get("std")) and statistics["std"] < 0:
        found.append("has a negative std")
    return found


# -- the note ---------------------------------------------------------------------------------------------
def quote(entry: dict) -> str:
    """The entry in one sentence: 'Port seeds 1-5: mean 1.467, std 0.411, min 1.008 (TF 2.21.0, ..., 2026-11-22)'."""
    said = [statistics_text(entry)] if _stated(entry) else []
    said += [f"{metric} {statistics_text(statistics)}" for metric, statistics in (entry.get("alongside") or {}).items()]
    if entry.get("remark"):
        said.append(entry["remark"])
    seeds = entry["seeds"]
    return f"Port seed{'s' if len(seeds) > 1 else ''} {seed_list(seeds)}: {'; '.join(said)} ({stack(entry)})"


def statistics_text(statistics: dict) -> str:
    """'0.935, 0.995, 0.88; mean 0.937, std 0.0577', '1 in every seed', 'mean 0.5, std 0', 'min 0.885, max 0.9'."""
    values = statistics.get("values")
    listed = ""
    if values is not None:
        listed = (f"{number(values[0])} in every seed" if len(values) > 1 and len(set(values)) == 1
                  else ", ".join(number(value) for value in values))
    summary = ", ".join(f"{key} {number(statistics[key])}" for key in _stated(statistics) if key != "values")
    return "; ".join(part for part in (listed, summary) if part)


def quoted(reference: Reference, entry: dict | None) -> Reference:
    """``reference`` with its note ended by the sentence of ``entry`` (as declared when there is none)."""
    if entry is None:
        return reference
    sentence = quote(entry)
    if sentence in reference.note:  # resolved before: the class was registered again
        return reference
    why = reference.note.rstrip(". ")
    return dataclasses.replace(reference, note=f"{why}. {sentence}." if why else f"{sentence}.")
