"""The site's pages as plain data and their HTML: the index of runs, a page per benchmark, claim stability.

Each ``*_page`` function returns the plain data one page shows (so its key can be hashed before
anything is rendered) and ``html`` turns that data into bytes through the templates beside this
module. Links are relative, so the site works from ``file://`` and from any static host.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import jinja2

from suite.judge import verdict
from suite.report import stability
from suite.report.publish import chart
from suite.report.publish.summary import READABLE, safe_name
from suite.text import number, spelled_duration

TEMPLATES = Path(__file__).parent / "templates"
#: What the band behind a point is, by tier (as the records stored it).
BAND_NOTES = {"full": "the documented band, as stored with the run",
              "quick": "the backend's baseline band, as stored with the run"}


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def html(template: str, data: dict) -> bytes:
    return _environment().get_template(template).render(**data).encode("utf-8")


def asset(name: str) -> bytes:
    return (TEMPLATES / name).read_bytes()


def run_report(summary: dict) -> str:
    """Where the run's report lies in the site ("" when it has none to show)."""
    return f"runs/{safe_name(summary['run_id'])}/report.html" if summary.get("report_in_site") else ""


def benchmark_page(name: str) -> str:
    return f"benchmarks/{safe_name(name)}.html"


def _date(summary: dict) -> str:
    return summary["date"][:16].replace("T", " ") if summary["date"] else "-"


def index_page(summaries: list[dict]) -> dict:
    runs = []
    for summary in summaries:
        state = summary["state"]
        if state == READABLE and not summary["has_report"]:
            state = ("no report in the run folder: rendered for the site" if summary.get("report_in_site")
                     else "no report")
        runs.append({
            "run_id": summary["run_id"], "page": safe_name(summary["run_id"]), "date_shown": _date(summary),
            "report": run_report(summary), "tier": summary["tier"], "backend": summary["backend"],
            "stack": summary["stack"], "host": summary["host"], "seeds": summary["seeds"],
            "counts": [[name, count] for name, count in summary["counts"].items()],
            "time": spelled_duration(summary["time_s"]) if summary["time_s"] else "-",
            "state": state, "state_key": summary["state"], "state_ok": state == READABLE,
            "problems": summary["problems"][:5] + ([f"... and {len(summary['problems']) - 5} more"]
                                                   if len(summary["problems"]) > 5 else []),
        })
    filters = [(key, label, sorted({run[key] for run in runs})) for key, label in
               (("tier", "Tier"), ("backend", "Backend"), ("stack", "Stack"), ("host", "Host"))]
    return {"title": "Published runs", "root": "", "runs": runs, "filters": filters}


def benchmarks_index_page(about: dict[str, dict]) -> dict:
    items = [{"name": name, "page": safe_name(name) + ".html", "experiment": data["experiment"],
              "title": data["title"]} for name, data in about.items()]
    return {"title": "Benchmarks", "root": "../", "benchmarks": items}


def _exact(value) -> str:
    """A number as the page stores it for readers and tests: ``repr`` of the float, or its stored name."""
    return "" if value is None else repr(float(value))


def benchmark_data(name: str, summaries: list[dict]) -> tuple[dict, list[dict]]:
    """The page of one benchmark (without its figures' file names) and the data of its pictures, one per tier."""
    tiers: dict[str, list[dict]] = {}
    newest = None
    for summary in summaries:
        entry = summary["benchmarks"].get(name)
        if entry is None:
            continue
        newest = entry
        report = run_report(summary)
        run_folder = f"../runs/{safe_name(summary['run_id'])}/records/"
        tiers.setdefault(summary["tier"], []).append({
            "run_id": summary["run_id"], "date": _date(summary), "backend": summary["backend"],
            "stack": summary["stack"], "matrix": summary["matrix"], "verdict": entry["verdict"],
            "detail": entry["detail"], "report": f"../{report}" if report else "",
            "records": [{"href": run_folder + file, "label": file.rsplit("__", 1)[-1].removesuffix(".json")}
                        for file in entry["records"]],
            "metrics": [{**metric, "mean_exact": _exact(chart.stored_number(metric["mean"])) if metric["mean"] is not None
                         else "", "low_exact": _exact(metric["low"]), "high_exact": _exact(metric["high"]),
                         "mean_shown": _shown(metric["mean"])}
                        for metric in entry["metrics"]],
        })
    about = {key: newest[key] for key in ("title", "experiment", "document", "document_title", "cells",
                                          "catalogue_claim")}
    about["claims"] = newest["claims"]
    page = {"title": f"{newest['experiment']} {name}", "root": "../", "name": name, "about": about, "tiers": []}
    pictures = []
    for tier in sorted(tiers, key=lambda t: ({"full": 0, "quick": 1}.get(t, 2), t)):
        points = tiers[tier]
        by_stack = all(point["matrix"] for point in points)
        x_labels = [point["stack"] if by_stack else point["date"] for point in points]
        backends = sorted({point["backend"] for point in points})
        metrics = sorted({metric["metric"] for point in points for metric in point["metrics"]})
        panels = [{"metric": metric, "points": [
            {"slot": slot, "backend": point["backend"], "mean": m["mean"], "low": m["low"], "high": m["high"],
             "verdict": m["verdict"]}
            for slot, point in enumerate(points) for m in point["metrics"] if m["metric"] == metric]}
            for metric in metrics]
        picture = {"x_labels": x_labels, "panels": panels, "backends": backends}
        pictures.append(picture)
        page["tiers"].append({"tier": tier, "points": points, "x_axis": "stack (a matrix)" if by_stack else "date",
                              "band_note": BAND_NOTES.get(tier, "as stored with the run"),
                              "width": chart.WIDTH, "height": chart.height_of(len(panels))})
    return page, pictures


def _shown(value) -> str:
    if value is None:
        return "-"
    parsed = chart.stored_number(value)
    return number(parsed) if parsed is not None and math.isfinite(parsed) else str(value)


def judged_runs(summaries: list[dict]) -> list[stability.JudgedRun]:
    """The readable runs as the stability table takes them, from their summaries (a damaged run's verdicts,
    judged on what was left of it, are evidence of nothing)."""
    return [stability.JudgedRun(summary["run_id"], summary["stack"], summary["backend"], summary["tier"],
                                tuple(stability.Claim(name, metric["metric"], metric["verdict"])
                                      for name, entry in summary["benchmarks"].items()
                                      for metric in entry["metrics"]))
            for summary in summaries if summary["benchmarks"] and summary["state"] == READABLE]


def stability_page(summaries: list[dict]) -> dict:
    runs = judged_runs(summaries)
    tables = []
    for tier in sorted({run.tier for run in runs}, key=lambda t: ({"full": 0, "quick": 1}.get(t, 2), t)):
        table = stability.claim_stability(runs, tiers=(tier,))
        if not table.rows:
            continue
        tables.append({"tier": tier, "columns": [list(column) for column in table.columns], "rows": [
            {"benchmark": benchmark, "metric": metric, "page": benchmark_page(benchmark),
             "stable": table.stable((benchmark, metric)),
             "cells": [{"judged": cell.judged, "reproduced": cell.reproduced, "state": cell.state}
                       for cell in (table.cell((benchmark, metric), column) for column in table.columns)]}
            for benchmark, metric in table.rows]})
    return {"title": "Claim stability", "root": "", "tables": tables, "verdicts": list(verdict.VERDICTS)}
