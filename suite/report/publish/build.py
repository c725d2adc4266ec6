"""Publishing: run folders in, the static site out, re-rendering only what changed since the last publication.

The order of work: each run read into its summary (kept by content hash), each run's report and
records copied in (a report rendered first, with the run report's own renderer, where the run has
none), then the pictures (named by the hash of what they show, so an unchanged one is never drawn
again), the benchmark pages, the claim stability page and the index. ``SiteOutput`` decides what
is rendered and written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from suite import files
from suite.records import layout
from suite.report.publish import chart, pages
from suite.report.publish.output import SiteOutput, key_of
from suite.report.publish.summary import DAMAGED, OTHER_SCHEMA, cached_summary, safe_name


class SiteFolderError(ValueError):
    """The output folder cannot hold the site (a file, or not writable)."""


@dataclass
class Publication:
    """What one publication did: the site, its runs, what was rendered, written and removed, and how long it took."""

    site: Path
    runs: int
    benchmarks: int
    rendered: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    runs_read: int = 0
    unreadable: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def publish(run_paths: list[Path], site: Path) -> Publication:
    """Build (or bring up to date) the site in ``site`` from ``run_paths``; returns what was done."""
    started = time.perf_counter()
    problem = files.unusable_folder(site)
    if problem:
        raise SiteFolderError(f"cannot publish into {site}: {problem}; give -o a writable folder")
    output = SiteOutput(site)
    summaries, runs_read = [], 0
    for run_path in run_paths:
        summary, fresh = cached_summary(run_path, output.state_dir)
        runs_read += fresh
        summaries.append((run_path, summary))
    summaries.sort(key=lambda item: (item[1]["date"], item[1]["run_id"]))
    for run_path, summary in summaries:
        _run_files(output, run_path, summary)
    plain = [summary for _, summary in summaries]
    for name in ("site.css", "site.js"):
        output.produce(f"assets/{name}", key_of(name), lambda name=name: pages.asset(name))
    about = _benchmark_pages(output, plain)
    _page(output, "benchmarks/index.html", "benchmarks.html.j2", pages.benchmarks_index_page(about))
    _page(output, "stability.html", "stability.html.j2", pages.stability_page(plain))
    _page(output, "index.html", "index.html.j2", pages.index_page(plain))
    removed = output.finish()
    return Publication(site, len(plain), len(about), output.rendered, output.written, removed, runs_read,
                       [s["run_id"] for s in plain if s["state"] in (DAMAGED, OTHER_SCHEMA)],
                       time.perf_counter() - started)


def _page(output: SiteOutput, relative: str, template: str, data: dict) -> None:
    output.produce(relative, key_of([template, data]), lambda: pages.html(template, data))


def _run_files(output: SiteOutput, run_path: Path, summary: dict) -> None:
    """The run's report (copied, or rendered where it has none) and its record files, under ``runs/<run>/``."""
    folder = f"runs/{safe_name(summary['run_id'])}"
    key = summary["input_hash"]
    if summary["has_report"]:
        output.copy(f"{folder}/report.html", key, run_path / layout.REPORT_FILE)
        summary["report_in_site"] = True
    elif summary["benchmarks"]:
        output.produce(f"{folder}/report.html", key, lambda: _rendered_report(run_path))
        summary["report_in_site"] = True
    else:
        summary["report_in_site"] = False
    for name in sorted({file for entry in summary["benchmarks"].values() for file in entry["records"]}):
        output.copy(f"{folder}/records/{name}", key, layout.records_dir(run_path) / name)


def _rendered_report(run_path: Path) -> bytes:
    """The run's report, as ``python -m suite report`` would write it (into the site, not the run folder)."""
    from suite.report import page

    try:
        return page.build(run_path).encode("utf-8")
    except Exception as error:  # the site stands without this one report; its page says why
        from html import escape

        return (f"<!doctype html><meta charset='utf-8'><title>{escape(run_path.name)}</title>"
                f"<p>The report of {escape(run_path.name)} could not be rendered: "
                f"{escape(type(error).__name__)}: {escape(str(error))}</p>").encode()


def _benchmark_pages(output: SiteOutput, summaries: list[dict]) -> dict[str, dict]:
    """One page per benchmark with a record, its pictures first; returns what each page says of its benchmark."""
    names = sorted({name for summary in summaries for name in summary["benchmarks"]})
    about = {}
    for name in names:
        page, pictures = pages.benchmark_data(name, summaries)
        for tier, picture in zip(page["tiers"], pictures):
            if not picture["panels"]:
                tier["figure"] = ""
                continue
            figure = f"figures/{key_of(picture)}.svg"
            output.produce(figure, figure, lambda picture=picture: chart.picture(**picture).encode("utf-8"))
            tier["figure"] = figure
        _page(output, pages.benchmark_page(name), "benchmark.html.j2", page)
        about[name] = page["about"]
    return dict(sorted(about.items(), key=lambda item: (item[1]["experiment"], item[0])))
