"""Two runs side by side (``python -m suite compare``): what changed between them, and whether it is more than noise.

The environment comes first (a different TensorFlow explains more than any table),
then one line per benchmark and metric: mean over seeds in A and in B, the change
B - A, and flags:

* ``OUT``  B's mean falls outside the bounds A is judged against (A's tier's references);
* ``BIG``  the change exceeds the half-width of those bounds (for a one-sided or
  unjudged tier, the documented two-sided reference's half-width) — a shift as large
  as the tolerance of the claim itself; a mean that turns infinite (divergence) is BIG;
* ``NAN``  a seed gave NaN, so that run's mean is undefined and no change can be measured.

Times: mean seconds per job in A and B and their ratio B / A (the machine is shared,
so a ratio near 1 says little; a factor of 2 says something).

This module computes and returns a ``Comparison``, which the HTML report shows too; how it
reads on standard output (terminal table, Markdown, JSON) and the ``--fail-on`` gate belong to
the command line (``suite.cli.compare``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from suite import backends
from suite.judge import baselines, verdict
from suite.records import layout, run_files
from suite.reference import Reference

#: Environment fields compared, with their labels, in the order they are listed.
ENVIRONMENT_FIELDS = (("python", "Python"), *backends.always_recorded(), ("keras", "Keras"), ("numpy", "NumPy"),
                      ("backend", "Keras backend"), ("deterministic", "deterministic"), ("cpu", "CPU"),
                      ("cpu_id", "CPU generation"),
                      ("cpu_count", "CPU cores"), ("cpu_flags", "CPU flags"), ("gpu", "GPU"),
                      ("gpu_driver", "GPU driver"), ("cuda_version", "CUDA (build)"),
                      ("cudnn_version", "cuDNN (build)"), ("threads", "threads"),
                      ("environment_variables", "TF/XLA/KERAS variables"), ("hostname", "host"),
                      ("git_commit", "git commit"), ("tier", "tier"), ("platform", "platform"))


@dataclass
class MetricDelta:
    benchmark: str
    metric: str
    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    bounds: str = "-"
    half_width: float | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return self.mean_b - self.mean_a


@dataclass
class TimeDelta:
    benchmark: str
    seconds_a: float
    seconds_b: float

    @property
    def ratio(self) -> float:
        return self.seconds_b / self.seconds_a if self.seconds_a > 0 else math.nan


@dataclass
class Comparison:
    run_a: str
    run_b: str
    environment: list[tuple[str, str, str]]  # (label, value in A, value in B) for fields that differ
    metrics: list[MetricDelta]
    times: list[TimeDelta]
    only_a: list[str]
    only_b: list[str]
    #: (package, version in A, version in B) for every installed package that differs; "-" when absent.
    packages: list[tuple[str, str, str]] = field(default_factory=list)
    #: False when a run has no packages.json (recorded before the suite stored it).
    packages_recorded: bool = True
    #: (benchmark, verdict in A, verdict in B) for every benchmark in both runs.
    verdicts: list[tuple[str, str, str]] = field(default_factory=list)
    #: Damaged record files left out of the comparison, one line each.
    warnings: list[str] = field(default_factory=list)
    #: Each run's Keras backend with its versions ("jax (jax 0.10.2, jaxlib 0.10.2)").
    backend_a: str = ""
    backend_b: str = ""

    @property
    def flagged(self) -> list[MetricDelta]:
        return [row for row in self.metrics if row.flags]


def _environment(run_path: Path, records: list[dict]) -> dict:
    manifest = run_files.read_run_manifest(run_path)
    environment = next((r["environment"] for r in records if isinstance(r.get("environment"), dict)
                        and r["environment"]), None) or manifest.get("environment") or {}
    environment = dict(environment)
    # The header names the backend with its versions; the row compared carries them too (jax, jaxlib) unless
    # they have rows of their own (TensorFlow's).
    ran_on = environment or {"backend": manifest.get("backend")}
    environment["backend_described"] = backends.recorded(ran_on)
    if not backends.has_own_fields(backends.recorded_name(ran_on)):
        environment["backend"] = environment["backend_described"]
    if manifest.get("deterministic") is not None:
        environment["deterministic"] = manifest["deterministic"]
    environment["tier"] = manifest.get("tier") or (records[0].get("tier") if records else "")
    gpu = environment.get("gpu")
    environment["gpu"] = ", ".join(map(str, gpu)) if isinstance(gpu, list) and gpu else (gpu or "none")
    build = environment.get("build_info") if isinstance(environment.get("build_info"), dict) else {}
    environment["cuda_version"] = build.get("cuda_version", "")
    environment["cudnn_version"] = build.get("cudnn_version", "")
    for key in ("cpu_flags", "environment_variables", "threads"):
        value = environment.get(key)
        if isinstance(value, list):
            environment[key] = " ".join(map(str, value)) or "none"
        elif isinstance(value, dict):
            environment[key] = ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    return environment


def _load(run) -> tuple[Path, list[dict], list[str]]:
    from suite.report import recorded

    run_path = layout.find_run(run)
    records, problems = recorded.load_records(run_path)
    return run_path, records, problems


def _packages(path_a: Path, path_b: Path) -> tuple[list[tuple[str, str, str]], bool]:
    packages_a, packages_b = run_files.read_packages(path_a), run_files.read_packages(path_b)
    if not packages_a or not packages_b:
        return [], False
    return [(name, packages_a.get(name, "-"), packages_b.get(name, "-"))
            for name in sorted(set(packages_a) | set(packages_b))
            if packages_a.get(name) != packages_b.get(name)], True


def compare_runs(run_a, run_b, *, benchmarks: dict | None = None) -> Comparison:
    """The differences between two runs (B relative to A)."""
    path_a, records_a, problems_a = _load(run_a)
    path_b, records_b, problems_b = _load(run_b)
    env_a, env_b = _environment(path_a, records_a), _environment(path_b, records_b)
    environment = [(label, _show(env_a.get(key)), _show(env_b.get(key))) for key, label in ENVIRONMENT_FIELDS
                   if _show(env_a.get(key)) != _show(env_b.get(key))]
    tier_a = env_a.get("tier") or "full"
    baseline = baselines.load_for_records(tier_a, records_a) if benchmarks is not None and tier_a not in ("full", "smoke") else None
    grouped_a, grouped_b = _group(records_a), _group(records_b)
    names = [n for n in grouped_a if n in grouped_b]
    metrics, times = [], []
    # catalogue order (experiment ids), as in the report
    for name in sorted(names, key=lambda n: (str(grouped_a[n][0].get("experiment") or "~"), n)):
        ok_a = [r for r in grouped_a[name] if r.get("status") == "ok"]
        ok_b = [r for r in grouped_b[name] if r.get("status") == "ok"]
        references = (_references(benchmarks.get(name), tier_a, baseline) if benchmarks is not None
                      else _recorded_references(grouped_a[name]))
        for metric in sorted({m for r in ok_a + ok_b for m in (r.get("metrics") or {})}):
            stats_a = verdict.Stats.of([r["metrics"][metric] for r in ok_a if _is_number(r["metrics"].get(metric))])
            stats_b = verdict.Stats.of([r["metrics"][metric] for r in ok_b if _is_number(r["metrics"].get(metric))])
            if stats_a.n == 0 and stats_b.n == 0:
                continue
            row = MetricDelta(name, metric, stats_a.mean, stats_b.mean, stats_a.n, stats_b.n)
            judged, documented = references.get(metric, (None, None))
            if judged is not None:
                row.bounds = judged.describe_bounds()
                if stats_b.n and not judged.holds_for(stats_b.mean):
                    row.flags.append("OUT")
            width_from = judged if judged is not None and judged.kind == "between" else documented
            if width_from is not None and width_from.kind == "between":
                row.half_width = (width_from.bounds[1] - width_from.bounds[0]) / 2
                if row.bounds == "-":
                    row.bounds = width_from.describe_bounds() + " (documented)"
            if stats_a.n and stats_b.n:
                if math.isnan(stats_a.mean) or math.isnan(stats_b.mean):
                    row.flags.append("NAN")
                elif math.isfinite(stats_a.mean) != math.isfinite(stats_b.mean):
                    row.flags.append("BIG")
                elif row.half_width is not None and math.isfinite(row.delta) and abs(row.delta) > row.half_width:
                    row.flags.append("BIG")
            else:
                row.flags.append("MISSING")
            metrics.append(row)
        seconds_a = [float(r["duration_s"]) for r in ok_a if _is_number(r.get("duration_s"))]
        seconds_b = [float(r["duration_s"]) for r in ok_b if _is_number(r.get("duration_s"))]
        if seconds_a and seconds_b:
            times.append(TimeDelta(name, sum(seconds_a) / len(seconds_a), sum(seconds_b) / len(seconds_b)))
    packages, packages_recorded = _packages(path_a, path_b)
    tier_b = env_b.get("tier") or "full"
    verdicts_a = _verdicts(records_a, benchmarks, tier_a, baseline)
    baseline_b = baselines.load_for_records(tier_b, records_b) if benchmarks is not None and tier_b not in ("full", "smoke") else None
    verdicts_b = _verdicts(records_b, benchmarks, tier_b, baseline_b)
    verdicts = [(name, verdicts_a[name], verdicts_b[name]) for name in sorted(set(verdicts_a) & set(verdicts_b))]
    return Comparison(path_a.name, path_b.name, environment, metrics, times,
                      sorted(set(grouped_a) - set(grouped_b)), sorted(set(grouped_b) - set(grouped_a)),
                      packages=packages, packages_recorded=packages_recorded, verdicts=verdicts,
                      warnings=[f"A: {line}" for line in problems_a] + [f"B: {line}" for line in problems_b],
                      backend_a=env_a["backend_described"], backend_b=env_b["backend_described"])


def _verdicts(records: list[dict], benchmarks: dict | None, tier: str, baseline) -> dict[str, str]:
    """``{benchmark: verdict}`` as the report gives it: from what the records stored, or against
    ``benchmarks`` when the caller holds them (a stand-in for any benchmark they do not include)."""
    from suite.report import recorded

    if benchmarks is None:
        return {v.benchmark: v.verdict for v in verdict.judge_recorded(records)}
    known = dict(benchmarks)
    for record in records:
        known.setdefault(record["benchmark"], recorded.RecordedBenchmark(record))
    return {v.benchmark: v.verdict for v in verdict.judge_run(known, records, tier, baseline)}


def _recorded_references(records: list[dict]) -> dict:
    """``{metric: (reference A was judged against or None, documented reference or None)}`` from A's records.

    Why from the records: a comparison must say what A was held to when it ran, and must work
    without today's benchmark code (or TensorFlow).
    """
    newest = max(records, key=lambda r: str(r.get("finished_at") or ""))
    stored = verdict.references_of_record(newest)
    judged = {r.metric: r for r in stored[0]} if stored and stored[1] else {}
    documented = {data["metric"]: Reference.from_dict(data) for data in newest.get("documented_references") or ()}
    return {metric: (judged.get(metric), documented.get(metric)) for metric in set(judged) | set(documented)}


def _references(benchmark, tier: str, baseline) -> dict:
    """``{metric: (reference A is judged against or None, documented reference or None)}``."""
    if benchmark is None:
        return {}
    documented = {r.metric: r for r in getattr(benchmark, "references", ())}
    try:
        judged_refs, judged = baselines.references_for(benchmark, tier, baseline)
    except Exception:
        judged_refs, judged = (), False
    judged_by_metric = {r.metric: r for r in judged_refs} if judged else {}
    return {metric: (judged_by_metric.get(metric), documented.get(metric))
            for metric in set(documented) | set(judged_by_metric)}


def _group(records: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for record in records:
        grouped.setdefault(record["benchmark"], []).append(record)
    return grouped


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value) -> str:
    if value is None or value == "":
        return "-"
    return str(value)
