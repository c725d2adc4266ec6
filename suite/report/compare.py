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

As a gate (``--fail-on changed-verdict,out-of-bounds,slower:1.5``) it exits 1 when
any listed condition holds: a benchmark's verdict differs between A and B, a metric
is flagged OUT, or a benchmark is slower in B by more than the factor. ``--json``
prints the comparison (and the gate's findings) for other programs.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from suite import backends, text
from suite.judge import baselines, verdict
from suite.reference import Reference
from suite.run import store
from suite.text import number

#: Environment fields compared, with their labels, in the order they are printed.
ENVIRONMENT_FIELDS = (("python", "Python"), ("tensorflow", "TensorFlow"), ("keras", "Keras"), ("numpy", "NumPy"),
                      ("backend", "Keras backend"), ("deterministic", "deterministic"), ("cpu", "CPU"),
                      ("cpu_id", "CPU generation"),
                      ("cpu_count", "CPU cores"), ("cpu_flags", "CPU flags"), ("gpu", "GPU"),
                      ("gpu_driver", "GPU driver"), ("cuda_version", "CUDA (build)"),
                      ("cudnn_version", "cuDNN (build)"), ("threads", "threads"),
                      ("environment_variables", "TF/XLA/KERAS variables"), ("hostname", "host"),
                      ("git_commit", "git commit"), ("tier", "tier"), ("platform", "platform"))
#: Conditions ``--fail-on`` understands; ``slower`` takes a factor (``slower:1.5``).
FAIL_CONDITIONS = ("changed-verdict", "out-of-bounds", "slower")


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

    def failures(self, conditions: dict[str, float | None]) -> list[str]:
        """One line per way the comparison meets a ``--fail-on`` condition (see ``parse_fail_on``)."""
        found = []
        if "changed-verdict" in conditions:
            found += [f"changed-verdict: {name} {a} -> {b}" for name, a, b in self.verdicts if a != b]
        if "out-of-bounds" in conditions:
            found += [f"out-of-bounds: {row.benchmark} {row.metric} mean {number(row.mean_b)} outside {row.bounds}"
                      for row in self.metrics if "OUT" in row.flags]
        if "slower" in conditions:
            factor = conditions["slower"]
            found += [f"slower:{factor:g}: {row.benchmark} {row.seconds_a:.2f} s -> {row.seconds_b:.2f} s "
                      f"per job (x{row.ratio:.2f})" for row in self.times if row.ratio > factor]
        return found

    def to_dict(self) -> dict:
        """The comparison as plain JSON types; a non-finite number is written as the string "inf", "-inf" or "nan"."""
        return _finite({
            "run_a": self.run_a, "run_b": self.run_b, "backend_a": self.backend_a, "backend_b": self.backend_b,
            "packages_recorded": self.packages_recorded,
            "packages": [{"package": name, "a": a, "b": b} for name, a, b in self.packages],
            "environment": [{"field": label, "a": a, "b": b} for label, a, b in self.environment],
            "verdicts": [{"benchmark": name, "a": a, "b": b} for name, a, b in self.verdicts],
            "metrics": [{"benchmark": row.benchmark, "metric": row.metric, "mean_a": row.mean_a,
                         "mean_b": row.mean_b, "delta": row.delta, "n_a": row.n_a, "n_b": row.n_b,
                         "bounds": row.bounds, "half_width": row.half_width, "flags": row.flags}
                        for row in self.metrics],
            "times": [{"benchmark": row.benchmark, "seconds_a": row.seconds_a, "seconds_b": row.seconds_b,
                       "ratio": row.ratio} for row in self.times],
            "only_a": self.only_a, "only_b": self.only_b,
            "warnings": self.warnings,
        })


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def parse_fail_on(spec: str | None) -> dict[str, float | None]:
    """``"changed-verdict,slower:1.5"`` -> ``{"changed-verdict": None, "slower": 1.5}``; ValueError when malformed."""
    conditions: dict[str, float | None] = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, argument = part.partition(":")
        if name not in FAIL_CONDITIONS:
            raise ValueError(f"--fail-on: unknown condition {name!r}; use any of changed-verdict, out-of-bounds, "
                             f"slower:FACTOR, separated by commas")
        if name == "slower":
            try:
                factor = float(argument)
            except ValueError:
                factor = math.nan
            if not math.isfinite(factor) or factor <= 0:
                raise ValueError(f"--fail-on: slower needs a positive factor, e.g. slower:1.5 (got {part!r})")
            conditions[name] = factor
        elif argument:
            raise ValueError(f"--fail-on: {name} takes no argument (got {part!r})")
        else:
            conditions[name] = None
    if spec is not None and not conditions:
        raise ValueError("--fail-on: name at least one condition: changed-verdict, out-of-bounds, slower:FACTOR")
    return conditions


def _environment(run_path: Path, records: list[dict]) -> dict:
    manifest = store.read_run_manifest(run_path)
    environment = next((r["environment"] for r in records if isinstance(r.get("environment"), dict)
                        and r["environment"]), None) or manifest.get("environment") or {}
    environment = dict(environment)
    # The header names the backend with its versions; the row compared carries JAX's versions (jax, jaxlib),
    # while TensorFlow's version has a row of its own.
    environment["backend_described"] = backends.recorded(environment or {"backend": manifest.get("backend")})
    if environment["backend_described"].split(" ")[0] != "tensorflow":
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

    run_path = store.find_run(run)
    records, problems = recorded.load_records(run_path)
    return run_path, records, problems


def _packages(path_a: Path, path_b: Path) -> tuple[list[tuple[str, str, str]], bool]:
    packages_a, packages_b = store.read_packages(path_a), store.read_packages(path_b)
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
    baseline = baselines.load_baseline(tier_a) if benchmarks is not None and tier_a not in ("full", "smoke") else None
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
    baseline_b = baselines.load_baseline(tier_b) if benchmarks is not None and tier_b not in ("full", "smoke") else None
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


def _delta(row: MetricDelta) -> str:
    if row.mean_a == row.mean_b:  # also inf == inf: no change
        return "0"
    if math.isnan(row.mean_a) or math.isnan(row.mean_b):
        return "-"
    return number(row.delta, signed=True)


def print_comparison(comparison: Comparison, *, show_all: bool = False, stream=None) -> None:
    stream = stream or sys.stdout

    def out(line: str = "") -> None:
        print(line, file=stream)

    out(f"A = {comparison.run_a}" + (f"  (backend {comparison.backend_a})" if comparison.backend_a else ""))
    out(f"B = {comparison.run_b}" + (f"  (backend {comparison.backend_b})" if comparison.backend_b else ""))
    out()
    if not comparison.packages_recorded:
        out("Python packages: not recorded in one or both runs (recorded before packages.json existed)")
    elif comparison.packages:
        out(f"Python package differences ({len(comparison.packages)}):")
        width = max(len(name) for name, _, _ in comparison.packages)
        for name, a, b in comparison.packages:
            out(f"  {name:{width}}  A: {a:14} B: {b}")
    else:
        out("Python packages: identical")
    out()
    if comparison.environment:
        out("Environment differences:")
        width = max(len(label) for label, _, _ in comparison.environment)
        for label, a, b in comparison.environment:
            out(f"  {label:{width}}  A: {a}")
            out(f"  {'':{width}}  B: {b}")
    else:
        out("Environment: identical (Python, TensorFlow, Keras, NumPy, deterministic, CPU, GPU, git commit, tier)")
    out()
    rows = comparison.metrics if show_all or len(comparison.metrics) < 60 else comparison.flagged
    name_w = max([len("benchmark")] + [len(r.benchmark) for r in rows])
    metric_w = max([len("metric")] + [len(r.metric) for r in rows])
    bounds_w = max([len("bounds (A)")] + [len(r.bounds) for r in rows])
    header = (f"{'benchmark':{name_w}} {'metric':{metric_w}} {'mean A':>10} {'mean B':>10} {'delta':>10} "
              f"{'bounds (A)':{bounds_w}} flags")
    out(header)
    out("-" * len(header))
    previous = None
    for row in rows:
        shown = row.benchmark if row.benchmark != previous else ""
        previous = row.benchmark
        out(f"{shown:{name_w}} {row.metric:{metric_w}} {number(row.mean_a):>10} {number(row.mean_b):>10} "
            f"{_delta(row):>10} {row.bounds:{bounds_w}} {' '.join(row.flags)}")
    if len(rows) < len(comparison.metrics):
        out(f"({len(comparison.metrics) - len(rows)} unflagged lines hidden; --all shows them)")
    out()
    out("OUT: B's mean leaves the bounds A is judged against; BIG: |delta| exceeds the bounds' half-width; "
        "NAN: a seed gave NaN, the mean is undefined; MISSING: measured in one run only.")
    out(f"{len(comparison.flagged)} of {len(comparison.metrics)} metric lines flagged.")
    if comparison.times:
        out()
        name_w = max([len("benchmark")] + [len(r.benchmark) for r in comparison.times])
        header = f"{'benchmark':{name_w}} {'s/job A':>9} {'s/job B':>9} {'B / A':>7}"
        out(header)
        out("-" * len(header))
        for row in comparison.times:
            out(f"{row.benchmark:{name_w}} {row.seconds_a:9.2f} {row.seconds_b:9.2f} {row.ratio:>7.2f}")
        out("(times on a shared machine are noisy; a ratio near 1 says little)")
    if comparison.only_a:
        out(f"\nOnly in A: {', '.join(comparison.only_a)}")
    if comparison.only_b:
        out(f"Only in B: {', '.join(comparison.only_b)}")
    changed = [(name, a, b) for name, a, b in comparison.verdicts if a != b]
    if changed:
        out("\nVerdicts that changed:")
        for name, a, b in changed:
            out(f"  {name}: {a} -> {b}")


def print_markdown_table(comparison: Comparison, *, stream=None) -> None:
    """One Markdown row per benchmark in both runs: each run's verdict and seconds per seed, and B / A.

    Why a second form: this is the table a README or an issue quotes (for example TensorFlow against
    JAX at the full tier), written from the runs rather than copied by hand. The columns are named
    by backend when the runs differ in backend, else A and B.
    """
    stream = stream or sys.stdout
    name_a, name_b = _column_names(comparison)
    times = {row.benchmark: row for row in comparison.times}
    print(f"| benchmark | {name_a} verdict | {name_b} verdict | s/seed {name_a} | s/seed {name_b} | "
          f"{name_b} / {name_a} |", file=stream)
    print("|---|---|---|---:|---:|---:|", file=stream)
    for name, verdict_a, verdict_b in comparison.verdicts:
        row = times.get(name)
        cells = (f"{text.seconds(row.seconds_a)} | {text.seconds(row.seconds_b)} | {row.ratio:.2f}" if row
                 else "- | - | -")
        print(f"| {name} | {verdict_a} | {verdict_b} | {cells} |", file=stream)


def _column_names(comparison: Comparison) -> tuple[str, str]:
    backend_a = comparison.backend_a.split(" ")[0]
    backend_b = comparison.backend_b.split(" ")[0]
    if backend_a and backend_b and backend_a != backend_b:
        return backend_a, backend_b
    return "A", "B"

