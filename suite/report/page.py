"""The HTML report of a run: built from the stored records only, one self-contained file.

Layout: counts by verdict, a forest plot of every judged reference (``suite.report.forest``),
run metadata (with a "data" link: the run's job table as CSV, a data URI) and
environment, a sortable and filterable summary table, then one section per source
document (in the order of ``sources/experiments.md``) with one card per benchmark (``suite.report.cards``): the claim quoted, our
numbers against the reference and bounds, and the figures of ``suite.report.figures`` and ``suite.report.curves``.

Everything a record, a benchmark or the environment says is escaped by Jinja2's
autoescape; figures are embedded as data URIs and the little sort/filter script is
inline, so the page makes no request and works offline, opened from a file.

The report must never fail because one record is odd: an unreadable record is
listed at the top, a card that cannot be built says why, a figure that cannot be
drawn is replaced by a message.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import jinja2

from suite import backends, files, sources
from suite.constants import reports_dir
from suite.judge import verdict
from suite.records import layout, run_files
from suite.report import cards, forest, recorded
from suite.text import finite_or_zero, spelled_duration

TEMPLATES = Path(__file__).parent / "templates"


def render(run: str | Path = "latest", *, benchmarks: dict | None = None, baseline: dict | None = None,
           compare_with: str | Path | None = None, rejudge: bool = False) -> Path:
    """Write ``report.html`` in the run folder and copy it to ``reports/latest.html``; return its path.

    By default the run is judged against the references its records stored when its jobs ran, and
    the page is built from the run folder alone (no benchmark code, no TensorFlow): an old run keeps
    its verdicts. ``rejudge`` judges it against today's benchmarks on purpose and lists what moved.
    ``benchmarks`` (tests, callers holding benchmark objects) judges against those objects instead;
    ``baseline`` is the quick tier's calibration when not the committed one; ``compare_with`` names
    another run whose means this run's are compared with (deltas and flags).
    """
    run_path = layout.find_run(run)
    if compare_with:
        compare_with = layout.find_run(compare_with)  # a misspelt run is the user's error, said at once
    html = build(run_path, benchmarks=benchmarks, baseline=baseline, compare_with=compare_with, rejudge=rejudge)
    output = run_path / layout.REPORT_FILE
    with files.locked(output):  # shards and resumes of one run may render it at the same moment
        files.atomic_write_bytes(output, html.encode("utf-8"))
        _readable(output)
    latest = reports_dir() / "latest.html"
    if not compare_with:  # latest.html is the plain report of the newest rendering
        with files.locked(latest):
            files.atomic_write_bytes(latest, html.encode("utf-8"))
            _readable(latest)
    return output


def _readable(path: Path) -> None:
    """The temp file behind the atomic write is private (0600); a report is for reading: 0644 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        path.chmod(0o644 & ~umask)
    except OSError:
        pass


def build(run_path: Path, *, benchmarks: dict | None = None, baseline: dict | None = None,
          compare_with: str | Path | None = None, rejudge: bool = False) -> str:
    """The page as a string (no file written)."""
    started = time.perf_counter()
    records, problems = recorded.load_records(run_path)
    manifest = run_files.read_run_manifest(run_path)
    tier = manifest.get("tier") or (records[0].get("tier") if records else "full")
    if benchmarks is None and not rejudge:
        known = recorded.recorded_benchmarks(records)
        verdicts = verdict.judge_recorded(records, order=list(known))
    else:
        known, verdicts, moved, discovery_problem = recorded.judge_today(records, tier, benchmarks, baseline)
        if discovery_problem:
            problems.append(discovery_problem)
        if rejudge:
            problems.insert(0, "Re-judged against today's references, not the ones stored with the run. "
                            + (f"Verdicts that moved: {' | '.join(moved)}" if moved else "No verdict moved."))
    comparison = None
    if compare_with:
        from suite.report import compare

        try:
            comparison = compare.compare_runs(compare_with, run_path,
                                              benchmarks=known if rejudge or benchmarks is not None else None)
        except Exception as error:  # the report stands without its comparison
            problems.append(f"comparison with {compare_with} failed: {type(error).__name__}: {error}")
    html = build_html(run_path, manifest, records, verdicts, known, problems=problems, comparison=comparison,
                      started=started)
    return html


def _environment(records: list[dict], manifest: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """The environment as label/value pairs, and a warning per field that differs between records."""
    environments = [r["environment"] for r in records if isinstance(r.get("environment"), dict) and r["environment"]]
    if not environments and isinstance(manifest.get("environment"), dict):
        environments = [manifest["environment"]]
    first = environments[0] if environments else {}
    fields = [("Python", "python"), *((label, key) for key, label in backends.always_recorded()), ("Keras", "keras"),
              ("NumPy", "numpy"),
              ("Keras backend", "backend"), ("Host", "hostname"), ("CPU", "cpu"), ("CPU generation", "cpu_id"),
              ("CPU cores", "cpu_count"),
              ("CPU flags", "cpu_flags"), ("Threads", "threads"), ("GPU", "gpu"), ("GPU driver", "gpu_driver"),
              ("CUDA build", "cuda_build"), ("Built with", "build_info"),
              ("TF/XLA/KERAS variables", "environment_variables"), ("Platform", "platform"),
              ("Git commit", "git_commit")]
    shown = []
    for label, key in fields:
        value = first.get(key)
        if key == "gpu":
            value = ", ".join(map(str, value)) if value else "none"
        elif key == "build_info" and isinstance(value, dict):
            value = ", ".join(f"{name} {value[name]}" for name in ("cuda_version", "cudnn_version") if value.get(name))
        elif isinstance(value, list):
            value = " ".join(map(str, value)) or "none"
        elif isinstance(value, dict):
            value = ", ".join(f"{name}={item}" for name, item in value.items()) or "none"
        if value in (None, "") and key not in first:
            continue  # a field records before this suite version do not have
        shown.append((label, "-" if value in (None, "") else str(value)))
    differing = []
    for label, key in fields:
        values = sorted({str(e.get(key)) for e in environments})
        if len(values) > 1:
            differing.append(f"{label} differs between records: {', '.join(values)}")
    return shown, differing


def _backend(manifest: dict, records: list[dict]) -> str:
    """The run's Keras backend and its versions, as the records say (runs before ``--backend``: TensorFlow)."""
    ran = next((r for r in records if isinstance(r.get("environment"), dict) and r["environment"]), None)
    return backends.recorded(ran or {"backend": manifest.get("backend")})


def _metadata(run_path: Path, manifest: dict, records: list[dict]) -> list[tuple[str, str]]:
    environments = [r.get("environment") or {} for r in records]
    commit = next((e.get("git_commit") for e in environments if e.get("git_commit")), "") or "-"
    deterministic = manifest.get("deterministic")
    if deterministic is None and records:
        deterministic = records[0].get("deterministic")
    wall = manifest.get("wall_s")
    job_time = sum(finite_or_zero(r.get("duration_s")) for r in records)
    seeds = sorted({r.get("seed") for r in records if r.get("seed") is not None}, key=str)
    started = manifest.get("started_at") or min((str(r.get("finished_at")) for r in records), default="-")
    return [
        ("Run", run_path.name),
        ("Date", str(started).replace("T", " ")),
        ("Finished", str(manifest.get("finished_at", "-")).replace("T", " ")
         + (" (interrupted)" if manifest.get("interrupted") else "")),
        ("Duration", (spelled_duration(wall) + " wall, " if wall else "") + spelled_duration(job_time) + " in jobs"),
        ("Tier", str(manifest.get("tier") or (records[0].get("tier") if records else "-"))),
        ("Backend", _backend(manifest, records)),
        ("Seeds", f"{manifest.get('seeds', len(seeds))} per benchmark ({', '.join(map(str, seeds)) or '-'})"),
        ("Deterministic ops", {True: "on", False: "off"}.get(deterministic, "-")),
        ("Device asked", str(manifest.get("device", "-"))),
        ("Git commit", commit),
        ("Command", str(manifest.get("command", "-"))),
    ]


def build_html(run_path: Path, manifest: dict, records: list[dict], verdicts, benchmarks: dict, *,
               problems: list[str] | None = None, comparison=None, started: float | None = None) -> str:
    started = started if started is not None else time.perf_counter()
    by_benchmark = defaultdict(list)
    for record in records:
        by_benchmark[record["benchmark"]].append(record)
    compared = cards.by_benchmark_compared(comparison)
    for name in by_benchmark:
        by_benchmark[name].sort(key=lambda r: cards.seed_key(r.get("seed")))
    drawn = cards.draw_figures([cards.figure_job(v, by_benchmark[v.benchmark], benchmarks[v.benchmark]) for v in verdicts])
    built = []
    for v, images in zip(verdicts, drawn):
        benchmark = benchmarks[v.benchmark]
        try:
            card = cards.card(v, by_benchmark[v.benchmark], benchmark, compared.get(v.benchmark, {}), images)
        except Exception as error:  # one odd benchmark costs its card, not the report
            card = cards.broken_card(v, benchmark, error)
        built.append(card)
    sections = defaultdict(list)
    for card in built:
        sections[card["document"]].append(card)
    for cards_in_section in sections.values():
        cards_in_section.sort(key=lambda c: (c["experiment"], c["name"]))
    ordered = sorted(sections, key=lambda doc: (sources.order(doc), doc))
    counts = defaultdict(int)
    for v in verdicts:
        counts[v.verdict] += 1
    environment, differing = _environment(records, manifest)
    rows = [row for doc in ordered for card in sections[doc] for row in card["rows"] if row["in_summary"]]
    try:
        overview, overview_error = forest.draw(_forest_rows(verdicts, benchmarks)), ""
    except Exception as error:  # the picture on top must not cost the report
        overview, overview_error = None, f"{type(error).__name__}: {error}"
    download = _download(run_path.name, records, verdicts)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.ChainableUndefined)
    template = env.get_template("report.html.j2")
    return template.render(
        run_id=run_path.name,
        metadata=_metadata(run_path, manifest, records),
        environment=environment,
        warnings=differing + list(problems or []),
        counts=[(name, counts[name]) for name in verdict.VERDICTS if counts.get(name)],
        total=len(verdicts),
        rows=rows,
        filters={
            "source": sorted({(r["document"], r["source_label"]) for r in rows}, key=lambda d: sources.order(d[0])),
            "tag": sorted({tag for r in rows for tag in r["tags"].split()}),
            "verdict": [name for name in verdict.VERDICTS if counts.get(name)],
        },
        sections=[{"document": doc, "title": sources.title(doc), "cards": sections[doc]} for doc in ordered],
        comparison=comparison,
        overview=overview,
        overview_error=overview_error,
        download=download,
        built_s=time.perf_counter() - started,
        generated=run_files.utc_now().replace("T", " "),
    )


def _download(run: str, records: list[dict], verdicts) -> dict:
    """The run's job table (what ``python -m suite export RUN`` writes) as a CSV data URI: the page stays
    one file, and its numbers go straight into a spreadsheet or pandas."""
    import base64

    from suite.report import export

    try:
        text = export.to_csv(export.job_table_of(run, records, verdicts))
    except Exception as error:  # the page stands without its download
        return {"uri": "", "name": "", "error": f"{type(error).__name__}: {error}"}
    return {"uri": "data:text/csv;charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii"),
            "name": f"{run}.csv", "rows": len(records), "error": ""}


def _forest_rows(verdicts, benchmarks: dict) -> list:
    """One ``forest.Row`` per judged reference with a measured value, in catalogue order."""
    rows = []
    for benchmark_verdict in verdicts:
        if benchmark_verdict.verdict not in (verdict.REPRODUCED, verdict.NOT_REPRODUCED):
            continue
        benchmark = benchmarks[benchmark_verdict.benchmark]
        document, experiment = benchmark.source.document, benchmark.source.experiment
        for rv in benchmark_verdict.references:
            if not rv.values:
                continue
            reference = rv.reference
            rows.append(((sources.order(document), document, experiment, benchmark.name), forest.Row(
                group=f"{document.split('_')[0]} · {sources.title(document)}",
                label=f"{experiment} {benchmark.name} · {reference.metric}",
                verdict=rv.verdict, kind=reference.kind, per_seed=rv.per_seed,
                rule=rv.describe_count() if rv.per_seed else "",
                low=reference.low, high=reference.high, threshold=reference.threshold, reported=reference.value,
                mean=rv.stats.mean, ci95=rv.stats.ci95, values=list(rv.values))))
    return [row for _, row in sorted(rows, key=lambda item: item[0])]
