"""Run records: one immutable JSON file per job (benchmark x tier x seed), plus arrays in ``.npz``.

Layout under the reports directory::

    runs/<run_id>/run.json                      what was asked (selection, tier, seeds, device)
    runs/<run_id>/records/<bench>__<tier>__s<seed>.json
    runs/<run_id>/records/<bench>__<tier>__s<seed>.npz   artefacts for the report
    runs/<run_id>/packages.json                 installed Python packages, once per run
    runs/<run_id>/report.html

A record is written once, atomically (temp file + rename), and never rewritten:
a crash or Ctrl-C leaves either a whole record or none, and ``--resume`` trusts
what is there. Every record carries ``schema_version`` so a reader can tell
which layout it holds.
"""

from __future__ import annotations

import io
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from suite.constants import RECORD_SCHEMA_VERSION, reports_dir
from suite.files import atomic_write_bytes

STATUSES = ("ok", "error", "timeout", "skipped")


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


def find_run(run: str | os.PathLike) -> Path:
    """A run named by id, by path, or ``latest``; a clear error lists the runs that exist."""
    path = Path(run)
    if path.is_dir() and (path / "records").is_dir():
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
    return sorted((p for p in runs_dir().iterdir() if (p / "records").is_dir()), key=lambda p: p.name)


def record_stem(benchmark: str, tier: str, seed: int) -> str:
    return f"{benchmark}__{tier}__s{seed}"


def record_path(run_path: Path, benchmark: str, tier: str, seed: int) -> Path:
    return run_path / "records" / (record_stem(benchmark, tier, seed) + ".json")


def to_jsonable(value: Any) -> Any:
    """Plain JSON types; non-finite floats stay floats (Python's json writes Infinity/NaN and reads them back)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return value
    return value


def write_record(run_path: Path, record: dict, artefacts: dict[str, Any] | None = None) -> Path:
    """Write one job's record (and its artefacts) once; refuses to overwrite an existing record."""
    path = record_path(run_path, record["benchmark"], record["tier"], record["seed"])
    if path.exists():
        raise FileExistsError(f"record {path} exists; records are never rewritten (start a new run)")
    record = {"schema_version": RECORD_SCHEMA_VERSION, **record}
    if artefacts:
        buffer = io.BytesIO()
        arrays = {key: np.asarray(value) for key, value in artefacts.items()}
        np.savez_compressed(buffer, **arrays)
        artefact_path = path.with_suffix(".npz")
        atomic_write_bytes(artefact_path, buffer.getvalue())
        record["artefacts_file"] = artefact_path.name
    payload = json.dumps(to_jsonable(record), indent=1, sort_keys=False).encode()
    atomic_write_bytes(path, payload)
    return path


def read_record(path: Path) -> dict:
    with open(path) as stream:
        record = json.load(stream)
    version = record.get("schema_version")
    if version != RECORD_SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version {version!r}, this suite reads {RECORD_SCHEMA_VERSION}")
    record["record_path"] = str(path)
    return record


def read_artefacts(record: dict) -> dict[str, np.ndarray]:
    name = record.get("artefacts_file")
    if not name:
        return {}
    with np.load(Path(record["record_path"]).parent / name, allow_pickle=False) as arrays:
        return {key: arrays[key] for key in arrays.files}


def load_records(run: str | os.PathLike) -> list[dict]:
    records_dir = find_run(run) / "records"
    return [read_record(path) for path in sorted(records_dir.glob("*.json"))]


def load(*runs: str | os.PathLike, long: bool = False):
    """Runs as a pandas DataFrame, the table ``python -m suite export`` writes (default: the latest run).

    One row per job (run, benchmark, experiment, seed, tier, backend, status, ``metric.<name>``
    columns, verdicts, duration, device, host, versions); with ``long=True`` one row per point of
    every history series (run, benchmark, seed, series, axis, step, value).
    """
    from suite import export

    loaded = [(path.name, load_records(path)) for path in (find_run(run) for run in (runs or ("latest",)))]
    return export.history_table(loaded) if long else export.job_table(loaded)


def write_run_manifest(run_path: Path, manifest: dict, name: str = "run.json") -> None:
    atomic_write_bytes(run_path / name, json.dumps(to_jsonable(manifest), indent=1).encode())


PACKAGES_FILE = "packages.json"


def write_packages(run_path: Path) -> None:
    """The installed Python packages, once per run (the same for every job, and too long for each record).

    A resumed run keeps the list of its first sitting; ``compare`` shows how two runs' lists differ.
    """
    from suite import environment

    if not (run_path / PACKAGES_FILE).exists():
        write_run_manifest(run_path, {"recorded_at": utc_now(), "packages": environment.installed_packages()},
                           name=PACKAGES_FILE)


def read_packages(run_path: Path) -> dict[str, str]:
    """``{name: version}`` of the run's ``packages.json``; empty for runs recorded before it existed."""
    path = run_path / PACKAGES_FILE
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text()).get("packages") or {})
    except (ValueError, AttributeError):
        return {}


def read_run_manifest(run_path: Path) -> dict:
    manifest = {}
    for name in ("run.json", "finished.json"):
        path = run_path / name
        if path.exists():
            manifest.update(json.loads(path.read_text()))
    return manifest


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
