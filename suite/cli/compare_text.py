"""How a comparison of two runs reads: the terminal table, the Markdown table and the JSON document.

Why apart from ``suite.report.compare``: that module computes a ``Comparison`` and is also read
by the HTML report; the forms a person or a program reads on standard output are the command
line's to decide.
"""

from __future__ import annotations

import math
import sys

from suite import text
from suite.report.compare import Comparison, MetricDelta
from suite.text import number


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


def _delta(row: MetricDelta) -> str:
    if row.mean_a == row.mean_b:  # also inf == inf: no change
        return "0"
    if math.isnan(row.mean_a) or math.isnan(row.mean_b):
        return "-"
    return number(row.delta, signed=True)


def print_markdown_table(*comparisons: Comparison, stream=None) -> None:
    """One Markdown row per benchmark of A and B: each run's verdict and seconds per seed, and each run / A.

    Why a second form: this is the table a README or an issue quotes (for example TensorFlow against
    JAX at the full tier), written from the runs rather than copied by hand. Each comparison is A against
    one more run (``compare A B C --markdown`` passes A-B and A-C), so a third backend adds a column set:
    its verdict, its seconds per seed and its ratio to A. The columns are named by backend when every
    run has another backend, else A, B, C...
    """
    stream = stream or sys.stdout
    names = _column_names(comparisons)
    others = names[1:]
    times = [{row.benchmark: row for row in comparison.times} for comparison in comparisons]
    verdicts = [{name: verdict_b for name, _, verdict_b in comparison.verdicts} for comparison in comparisons]
    print("| benchmark | " + " | ".join(f"{name} verdict" for name in names) + " | "
          + " | ".join(f"s/seed {name}" for name in names) + " | "
          + " | ".join(f"{name} / {names[0]}" for name in others) + " |", file=stream)
    print("|---|" + "---|" * len(names) + "---:|" * (len(names) + len(others)), file=stream)
    for name, verdict_a, _ in comparisons[0].verdicts:
        rows = [table.get(name) for table in times]
        seconds_a = next((row.seconds_a for row in rows if row), None)
        seconds = [text.seconds(seconds_a) if seconds_a is not None else "-"]
        seconds += [text.seconds(row.seconds_b) if row else "-" for row in rows]
        ratios = [f"{row.ratio:.2f}" if row else "-" for row in rows]
        cells = [verdict_a, *(table.get(name, "-") for table in verdicts), *seconds, *ratios]
        print(f"| {name} | " + " | ".join(cells) + " |", file=stream)


def _column_names(comparisons: tuple[Comparison, ...]) -> list[str]:
    backends = [comparisons[0].backend_a.split(" ")[0]] + [c.backend_b.split(" ")[0] for c in comparisons]
    if all(backends) and len(set(backends)) == len(backends):
        return backends
    return [chr(ord("A") + index) for index in range(len(backends))]


def comparison_document(comparison: Comparison) -> dict:
    """The comparison as plain JSON types; a non-finite number is written as the string "inf", "-inf" or "nan"."""
    return _finite({
        "run_a": comparison.run_a, "run_b": comparison.run_b,
        "backend_a": comparison.backend_a, "backend_b": comparison.backend_b,
        "packages_recorded": comparison.packages_recorded,
        "packages": [{"package": name, "a": a, "b": b} for name, a, b in comparison.packages],
        "environment": [{"field": label, "a": a, "b": b} for label, a, b in comparison.environment],
        "verdicts": [{"benchmark": name, "a": a, "b": b} for name, a, b in comparison.verdicts],
        "metrics": [{"benchmark": row.benchmark, "metric": row.metric, "mean_a": row.mean_a,
                     "mean_b": row.mean_b, "delta": row.delta, "n_a": row.n_a, "n_b": row.n_b,
                     "bounds": row.bounds, "half_width": row.half_width, "flags": row.flags}
                    for row in comparison.metrics],
        "times": [{"benchmark": row.benchmark, "seconds_a": row.seconds_a, "seconds_b": row.seconds_b,
                   "ratio": row.ratio} for row in comparison.times],
        "only_a": comparison.only_a, "only_b": comparison.only_b,
        "warnings": comparison.warnings,
    })


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
