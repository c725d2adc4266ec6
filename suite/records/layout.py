"""Where everything of a run lives under the reports directory, and finding a run by id, path or ``latest``.

Layout under the reports directory::

    runs/<run_id>/run.json                      what was asked (selection, tier, seeds, device)
    runs/<run_id>/finished.json                 how it ended (time, environment, workers)
    runs/<run_id>/records/<bench>__<tier>__s<seed>.json
    runs/<run_id>/records/<bench>__<tier>__s<seed>.npz   artefacts for the report
    runs/<run_id>/packages.json                 installed Python packages, once per run
    runs/<run_id>/locks/<bench>__<tier>__s<seed>.lock    a job claimed by the process training it
    runs/<run_id>/damaged/                      damaged records, set aside by ``--resume``
    runs/<run_id>/report.html

Why one module: every path is spelt here once, so the writers (``suite.run``) and the readers
(``suite.report``, the command line) cannot disagree about where a file is.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from suite.constants import reports_dir

#: The folder of a run that holds its records and their artefacts; a folder with one is a run.
RECORDS_FOLDER = "records"
#: What was asked, written when the run starts (and grown by ``--resume``, ``merge``).
MANIFEST_FILE = "run.json"
#: How the run ended, written when it stops; read together with ``MANIFEST_FILE``.
FINISHED_FILE = "finished.json"
#: The installed Python packages, once per run (the same for every job, and too long for each record).
PACKAGES_FILE = "packages.json"
#: Damaged records are moved here (inside the run folder), never deleted: they may be evidence.
DAMAGED_FOLDER = "damaged"
#: One lock file per job claimed by a process training it.
LOCKS_FOLDER = "locks"
#: The run's HTML page, written by ``python -m suite report`` (and at the end of ``run``).
REPORT_FILE = "report.html"


class RunNotFound(ValueError):
    pass


def runs_dir() -> Path:
    return reports_dir() / "runs"


def new_run_id(tier: str) -> str:
    """Sortable by start time; the random suffix keeps two runs started in the same second apart."""
    import secrets

    return datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{tier}-{secrets.token_hex(2)}"


def run_dir(run_id: str) -> Path:
    return runs_dir() / run_id


def records_dir(run_path: Path) -> Path:
    return run_path / RECORDS_FOLDER


def find_run(run: str | os.PathLike) -> Path:
    """A run named by id, by path, or ``latest``; a clear error lists the runs that exist."""
    path = Path(run)
    if path.is_dir() and records_dir(path).is_dir():
        return path
    if str(run) == "latest":
        runs = list_runs()
        if not runs:
            raise RunNotFound(f"no runs under {runs_dir()}; start one with `python -m suite run all --tier quick`")
        return runs[-1]
    candidate = run_dir(str(run))
    if candidate.is_dir():
        return candidate
    known = ", ".join(p.name for p in list_runs()[-5:]) or "none"
    raise RunNotFound(f"run {run!r} not found under {runs_dir()} (latest runs: {known})")


def list_runs() -> list[Path]:
    if not runs_dir().is_dir():
        return []
    return sorted((p for p in runs_dir().iterdir() if records_dir(p).is_dir()), key=lambda p: p.name)


def record_stem(benchmark: str, tier: str, seed: int) -> str:
    return f"{benchmark}__{tier}__s{seed}"


def record_path(run_path: Path, benchmark: str, tier: str, seed: int) -> Path:
    return records_dir(run_path) / (record_stem(benchmark, tier, seed) + ".json")


def claim_path(run_path: Path, benchmark: str, tier: str, seed: int) -> Path:
    return run_path / LOCKS_FOLDER / (record_stem(benchmark, tier, seed) + ".lock")
