"""Verdicts: whether a benchmark reproduced its references, judged from its recorded numbers.

The rule (also in docs/verdicts.md): a reference is judged on the mean of its metric over
the seeds that finished (or per seed, when the claim says so); the benchmark is
REPRODUCED when every reference is. The spread (std and a Student-t 95 % interval)
is shown beside the mean but does not change the verdict.

``full`` runs are judged against the documented references (their two-sided bounds derived from
the port's calibration in ``baselines/full.json``, see ``suite.judge.full_calibration``); ``quick`` runs against
the committed baseline ``baselines/quick.json`` (the reduced setting has no
documented number); ``smoke`` runs are not judged, only checked to finish.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from suite.judge import baselines
from suite.reference import Reference

REPRODUCED = "REPRODUCED"
NOT_REPRODUCED = "NOT REPRODUCED"
ERROR = "ERROR"
TIMEOUT = "TIMEOUT"
SKIPPED = "SKIPPED"
UNJUDGED = "NOT JUDGED"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, ERROR, TIMEOUT, SKIPPED, UNJUDGED)
FAILING = (NOT_REPRODUCED, ERROR, TIMEOUT)


@dataclass
class Stats:
    n: int
    mean: float
    std: float
    ci95: float  # half width of the Student-t 95 % interval; nan for n < 2

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        finite = [v for v in values if v is not None and math.isfinite(v)]
        n_all = len([v for v in values if v is not None])
        if n_all and len(finite) < n_all:
            # A non-finite seed makes the mean non-finite: that is what happened.
            return cls(n_all, math.inf if any(v == math.inf for v in values if v is not None) else math.nan,
                       math.nan, math.nan)
        n = len(finite)
        if n == 0:
            return cls(0, math.nan, math.nan, math.nan)
        mean = sum(finite) / n
        if n < 2:
            return cls(1, mean, math.nan, math.nan)
        std = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1))
        return cls(n, mean, std, student_t_975(n - 1) * std / math.sqrt(n))

    def describe(self, digits: int = 4) -> str:
        if self.n == 0:
            return "no value"
        if not math.isfinite(self.mean):
            return f"{self.mean} (n={self.n})"
        if self.n == 1:
            return f"{self.mean:.{digits}f} (single seed: no spread)"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f} (95% CI ± {self.ci95:.{digits}f}, n={self.n})"


def t_quantile(probability: float, degrees_of_freedom: int) -> float:
    """Student's t quantile: 0.975 for a two-sided 95 % interval, 1 - alpha/2 for a baseline's bound."""
    from scipy import stats

    return float(stats.t.ppf(probability, degrees_of_freedom))


def student_t_975(degrees_of_freedom: int) -> float:
    return t_quantile(0.975, degrees_of_freedom)


@dataclass
class ReferenceVerdict:
    reference: Reference
    verdict: str
    values: list[float]
    stats: Stats
    detail: str = ""
    outcome_counts: dict[str, int] = field(default_factory=dict)
    seeds_holding: int = 0

    @property
    def per_seed(self) -> bool:
        """Judged seed by seed (every seed, or a fraction of them): the mean is not what is judged."""
        return self.reference.judged_on != "mean" or self.reference.kind == "diverges"

    def describe_count(self) -> str:
        """The per-seed rule and how many seeds meet it: "1 of 3 seeds in [0.62, 0.75], needs ≥ 20 %"."""
        reference = self.reference
        region = {"between": f"in {reference.describe_bounds()}", "diverges": "diverge (inf / NaN)"}.get(
            reference.kind, reference.describe_bounds())
        needs = f"needs ≥ {reference.min_fraction * 100:.0f} %" if reference.judged_on == "fraction" else "needs all"
        return f"{self.seeds_holding} of {len(self.values)} seeds {region}, {needs}"


@dataclass
class BenchmarkVerdict:
    benchmark: str
    verdict: str
    references: list[ReferenceVerdict]
    statuses: dict[str, int]
    detail: str = ""

    @property
    def failing(self) -> bool:
        return self.verdict in FAILING


def judge_reference(reference: Reference, values: list[float | None]) -> ReferenceVerdict:
    present = [v for v in values if v is not None]
    stats = Stats.of(present)
    holding = sum(reference.holds_for(v) for v in present)
    counts = {}
    for outcome in reference.outcomes:
        counts[outcome.label] = sum(1 for v in present if math.isfinite(v) and outcome.contains(v))
    if reference.outcomes:
        counts["other"] = len(present) - sum(counts.values())
    if not present:
        return ReferenceVerdict(reference, NOT_REPRODUCED, [], stats, "metric not measured", counts, 0)
    if reference.judged_on == "mean" and reference.kind != "diverges":
        ok = reference.holds_for(stats.mean)
        detail = f"mean {stats.describe()} vs {reference.describe_bounds()}"
    elif reference.judged_on == "fraction":
        ok = holding / len(present) >= reference.min_fraction
        detail = f"{holding} of {len(present)} seeds hold (needed {reference.min_fraction:.0%})"
    else:
        ok = holding == len(present)
        detail = f"{holding} of {len(present)} seeds hold (needed all)"
    if len(present) == 1:
        detail += "; single seed"
    return ReferenceVerdict(reference, REPRODUCED if ok else NOT_REPRODUCED, list(present), stats, detail,
                            counts, holding)


def judge_benchmark(name: str, references: tuple[Reference, ...], records: list[dict], *,
                    judged: bool = True) -> BenchmarkVerdict:
    statuses: dict[str, int] = {}
    for record in records:
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    finished = [r for r in records if r["status"] == "ok"]
    reference_verdicts = [
        judge_reference(reference, [r["metrics"].get(reference.metric) for r in finished]) for reference in references
    ]
    if statuses.get("error"):
        first = next(r for r in records if r["status"] == "error")
        return BenchmarkVerdict(name, ERROR, reference_verdicts, statuses, _first_line(first.get("error", "")))
    if statuses.get("timeout"):
        first = next(r for r in records if r["status"] == "timeout")
        return BenchmarkVerdict(name, TIMEOUT, reference_verdicts, statuses, first.get("error", ""))
    if not finished:
        reason = next((r.get("error", "") for r in records if r["status"] == "skipped"), "")
        return BenchmarkVerdict(name, SKIPPED, reference_verdicts, statuses, reason)
    if not judged or not references:
        why = "this tier is not judged" if not judged else "no reference or baseline for this tier"
        return BenchmarkVerdict(name, UNJUDGED, reference_verdicts, statuses, why)
    failed = [rv for rv in reference_verdicts if rv.verdict != REPRODUCED]
    if failed:
        return BenchmarkVerdict(name, NOT_REPRODUCED, reference_verdicts, statuses,
                                "; ".join(f"{rv.reference.metric}: {rv.detail}" for rv in failed))
    return BenchmarkVerdict(name, REPRODUCED, reference_verdicts, statuses)


def references_of_record(record: dict) -> tuple[tuple[Reference, ...], bool] | None:
    """The references a job was judged against when it ran, or None for a record made before they were stored."""
    stored = record.get("judged_against")
    if not isinstance(stored, dict):
        return None
    return tuple(Reference.from_dict(data) for data in stored.get("references", ())), bool(stored.get("judged"))


def judge_recorded(records: list[dict], order: list[str] | None = None) -> list[BenchmarkVerdict]:
    """Verdicts from what the records say they were judged against: an old run keeps its verdicts.

    Needs no benchmark code (and so no TensorFlow). All seeds of a benchmark are judged against the
    references of its newest record; where a resumed run's records disagree (a bound changed between
    sittings), the verdict says so. Records from before references were stored are not judged here:
    ``report --rejudge`` judges them against today's references, on purpose.
    """
    by_name: dict[str, list[dict]] = {}
    for record in records:
        by_name.setdefault(record["benchmark"], []).append(record)
    names = [n for n in (order or []) if n in by_name] + sorted(n for n in by_name if n not in (order or []))
    verdicts = []
    for name in names:
        group = by_name[name]
        stored = [(r.get("finished_at") or "", references_of_record(r)) for r in group]
        known = [(when, refs) for when, refs in stored if refs is not None]
        if not known:
            verdict = judge_benchmark(name, (), group, judged=False)
            if verdict.verdict == UNJUDGED:
                verdict.detail = ("recorded before runs stored their references; "
                                  "`python -m suite report RUN --rejudge` judges it against today's")
            verdicts.append(verdict)
            continue
        references, judged = max(known, key=lambda item: item[0])[1]
        verdict = judge_benchmark(name, references, group, judged=judged)
        if len({json.dumps([r.to_dict() for r in refs[0]], sort_keys=True) for _, refs in known}) > 1:
            verdict.detail = (verdict.detail + "; " if verdict.detail else "") + (
                "its seeds were recorded against different references; judged against the newest")
        verdicts.append(verdict)
    return verdicts


def moved_verdicts(stored: list[BenchmarkVerdict], today: list[BenchmarkVerdict]) -> list[str]:
    """One line per verdict that differs between the stored judgement and today's, with why."""
    before = {v.benchmark: v for v in stored}
    lines = []
    for now in today:
        then = before.get(now.benchmark)
        if then is None:
            continue
        old_refs = {rv.reference.metric: rv for rv in then.references}
        new_refs = {rv.reference.metric: rv for rv in now.references}
        reasons = []
        for metric in sorted(set(old_refs) | set(new_refs)):
            old, new = old_refs.get(metric), new_refs.get(metric)
            if old is None:
                reasons.append(f"{metric}: new reference {new.reference.describe_bounds()} ({new.verdict})")
            elif new is None:
                reasons.append(f"{metric}: reference removed (was {old.verdict})")
            elif old.verdict != new.verdict or old.reference.differences(new.reference):
                change = "; ".join(old.reference.differences(new.reference)) or "same reference"
                reasons.append(f"{metric}: {old.verdict} -> {new.verdict} ({change})")
        if then.verdict != now.verdict or reasons:
            lines.append(f"{now.benchmark}: {then.verdict} -> {now.verdict}"
                         + (f"; {'; '.join(reasons)}" if reasons else ""))
    return lines


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def judge_run(benchmarks: dict, records: list[dict], tier: str, baseline: dict | None = None) -> list[BenchmarkVerdict]:
    """One verdict per benchmark that has records, in the order of ``benchmarks``."""
    by_name: dict[str, list[dict]] = {}
    for record in records:
        by_name.setdefault(record["benchmark"], []).append(record)
    if baseline is None and tier != "full":
        baseline = baselines.load_for_records(tier, records)
    verdicts = []
    for name, benchmark in benchmarks.items():
        if name not in by_name:
            continue
        references, judged = baselines.references_for(benchmark, tier, baseline)
        verdicts.append(judge_benchmark(name, references, by_name[name], judged=judged))
    return verdicts
