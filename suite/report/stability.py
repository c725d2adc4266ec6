"""Claim stability: which stacks and backends reproduce which claims, as one table built from judged runs.

One function, ``claim_stability(runs)``, turns any set of runs into the table: a row per claim
(benchmark and metric), a column per stack and backend, and in each cell how many of the runs
there reproduced it. The published site's stability page and the matrix report both call it, so
the two can never tell a claim's history differently.

A run is given as a ``JudgedRun``: plain data (its stack, backend, tier and one verdict per
claim), made from a run folder by ``judged_run`` (its records alone, judged against what they
stored) or from a summary kept elsewhere. A claim's verdict in a run, and the mean it measured, are
computed here once (``claims_of``): the matrix report's cells are a matrix run's claims as this module
reads them, so a matrix's page and the site's stability page show the same verdicts. Nothing here
imports a framework.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from suite import backends
from suite.judge import verdict
from suite.stacks import manifest as matrix_manifest

#: Verdicts that judged a claim; the others (errors, skips, unjudged tiers) say nothing about it.
JUDGED = (verdict.REPRODUCED, verdict.NOT_REPRODUCED)


def stack_packages() -> tuple[tuple[str, str], ...]:
    """``(field, label)`` of the packages that name a stack, in the order a label lists them: Keras, every
    backend's distributions (as the backends declare them), Python."""
    labels = {name: backends.get(name).label for name in backends.names()}
    return (("keras", "Keras"), *((field, labels.get(field, field)) for field in backends.every_versioned()),
            ("python", "Python"))


@dataclass(frozen=True)
class Claim:
    """One claim of one run: the benchmark, the metric, the verdict it got there and what was measured."""

    benchmark: str
    metric: str
    verdict: str
    mean: float = math.nan
    ci95: float = math.nan  # half the 95 % interval of the mean over the run's seeds
    n: int = 0
    error: str = ""  # an ERROR's (or TIMEOUT's) first line


@dataclass(frozen=True)
class JudgedRun:
    """What the table needs of a run: where it ran (stack, backend), its tier, and its claims' verdicts."""

    run_id: str
    stack: str
    backend: str
    tier: str
    claims: tuple[Claim, ...] = ()
    #: The environment its records hold (installed versions, the stack's id); {} where none was kept.
    environment: dict = field(default_factory=dict, compare=False)


@dataclass
class Cell:
    """One claim on one stack and backend: how many runs reproduced it out of those that judged it."""

    reproduced: int = 0
    judged: int = 0
    runs: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        """``reproduced`` (every run), ``not-reproduced`` (none), ``mixed``, or ``unjudged``."""
        if not self.judged:
            return "unjudged"
        if self.reproduced == self.judged:
            return "reproduced"
        return "not-reproduced" if self.reproduced == 0 else "mixed"


@dataclass
class StabilityTable:
    """Rows ``(benchmark, metric)``, columns ``(stack, backend)``, and a ``Cell`` where runs met."""

    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: dict[tuple[tuple[str, str], tuple[str, str]], Cell]

    def cell(self, row: tuple[str, str], column: tuple[str, str]) -> Cell:
        return self.cells.get((row, column)) or Cell()

    def stable(self, row: tuple[str, str]) -> bool:
        """A claim is stable when every stack and backend that judged it reproduced it in every run."""
        states = {self.cell(row, column).state for column in self.columns} - {"unjudged"}
        return states == {"reproduced"}


def claim_stability(runs: Iterable[JudgedRun], *, tiers: tuple[str, ...] | None = None) -> StabilityTable:
    """The table of every claim judged in ``runs`` (of ``tiers``, when given) by stack and backend."""
    cells: dict = {}
    rows, columns = set(), set()
    for run in runs:
        if tiers is not None and run.tier not in tiers:
            continue
        column = (run.stack, run.backend)
        for claim in run.claims:
            if claim.verdict not in JUDGED:
                continue
            row = (claim.benchmark, claim.metric)
            rows.add(row)
            columns.add(column)
            cell = cells.setdefault((row, column), Cell())
            cell.judged += 1
            cell.reproduced += claim.verdict == verdict.REPRODUCED
            cell.runs.append(run.run_id)
    return StabilityTable(sorted(rows), sorted(columns), cells)


def stack_of(environment: dict, named: dict | None = None) -> str:
    """A run's stack in one label: the one its matrix gave it, else its packages' versions as recorded."""
    environment = environment if isinstance(environment, dict) else {}
    label = (named or {}).get("label") or environment.get("stack")
    if isinstance(label, str) and label:
        return label
    shown = [f"{name} {environment[key]}" for key, name in stack_packages() if environment.get(key)]
    return " · ".join(shown) or "unknown stack"


def backend_of(environment: dict, manifest: dict | None = None) -> str:
    """The Keras backend a run used (runs from before ``--backend``: TensorFlow)."""
    return str((environment or {}).get("backend") or (manifest or {}).get("backend") or backends.default().name)


def claim_verdict(benchmark_verdict: verdict.BenchmarkVerdict, reference_verdict: verdict.ReferenceVerdict) -> str:
    """A claim's verdict in a run: its reference's where the benchmark was judged, else the benchmark's (an ERROR
    judged no reference)."""
    return reference_verdict.verdict if benchmark_verdict.verdict in JUDGED else benchmark_verdict.verdict


def claims_of(verdicts: Iterable[verdict.BenchmarkVerdict], records: Iterable[dict] = ()) -> tuple[Claim, ...]:
    """One ``Claim`` per reference of each benchmark verdict, with the mean measured; a benchmark judged against no
    reference (a smoke run, or one that errored there) is one claim of the first metric its ``records`` measured
    (metric "" when none finished), so that a table still shows that it ran, or why not."""
    records = list(records)
    claims = []
    for benchmark_verdict in verdicts:
        name = benchmark_verdict.benchmark
        failed = benchmark_verdict.verdict in (verdict.ERROR, verdict.TIMEOUT) and benchmark_verdict.detail.strip()
        error = benchmark_verdict.detail.strip().splitlines()[0] if failed else ""
        for reference_verdict in benchmark_verdict.references:
            stats = reference_verdict.stats
            claims.append(Claim(name, reference_verdict.reference.metric,
                                claim_verdict(benchmark_verdict, reference_verdict), stats.mean, stats.ci95, stats.n,
                                error))
        if not benchmark_verdict.references:
            metric, values = first_metric(record for record in records if record["benchmark"] == name)
            stats = verdict.Stats.of(values)
            claims.append(Claim(name, metric, benchmark_verdict.verdict, stats.mean, stats.ci95, stats.n, error))
    return tuple(claims)


def first_metric(records: Iterable[dict]) -> tuple[str, list[float]]:
    """The first metric the finished records measured, and its value in each of them."""
    finished = [r for r in records if r.get("status") == "ok" and r.get("metrics")]
    if not finished:
        return "", []
    metric = next(iter(finished[0]["metrics"]))
    return metric, [r["metrics"].get(metric) for r in finished if isinstance(r["metrics"].get(metric), (int, float))]


def judged_run(run_path: Path) -> JudgedRun:
    """A run folder as the table reads it: its records judged against the references they stored."""
    from suite.records import run_files
    from suite.report import recorded

    records, _ = recorded.load_records(run_path)
    manifest = run_files.read_run_manifest(run_path)
    environment = next((r["environment"] for r in records if isinstance(r.get("environment"), dict)),
                       manifest.get("environment") or {})
    tier = str(manifest.get("tier") or (records[0]["tier"] if records else "full"))
    verdicts = verdict.judge_recorded(records, order=manifest.get("benchmarks") or
                                      list(recorded.recorded_benchmarks(records)))
    return JudgedRun(run_path.name, stack_of(environment, matrix_manifest.run_stack(run_path)),
                     backend_of(environment, manifest), tier, claims_of(verdicts, records), environment)
