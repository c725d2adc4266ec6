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

import errno
import io
import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from suite import schema
from suite.constants import RECORD_SCHEMA_VERSION, reports_dir
from suite.files import atomic_write_bytes, locked, publish_once

#: Fields every record has whatever its status; a file without them is not a record of this suite.
REQUIRED_FIELDS = {"benchmark": str, "tier": str, "seed": int, "status": str}
#: Damaged records are moved here (inside the run folder), never deleted: they may be evidence.
DAMAGED_FOLDER = "damaged"


class RunNotFound(ValueError):
    pass


class DamagedRecord(ValueError):
    """A record file that cannot be trusted: not JSON, another schema, or lacking a required field."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


class StorageFull(OSError):
    """The disk (or quota) holding the run folder is full: the run stops and can be resumed later."""

    def __init__(self, path: Path, error: OSError):
        free = _free_bytes(path)
        free_text = f", {free / 1e6:.1f} MB free" if free is not None else ""
        super().__init__(error.errno, f"no space left on the disk holding {path}{free_text}")
        self.path = path


def is_storage_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def _free_bytes(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        try:
            stats = os.statvfs(candidate)
        except OSError:
            continue
        return stats.f_bavail * stats.f_frsize
    return None


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


def write_record(run_path: Path, record: dict, artefacts: dict[str, Any] | None = None) -> Path | None:
    """Publish one job's record (and its artefacts) once: its path, or None when another writer was first.

    Why publish-once rather than refuse-if-exists: two processes may finish the same job (two
    ``--resume`` of one run, a retried cluster task). The first record stays as it is, whole; the
    second is dropped and the caller says so. A full disk raises ``StorageFull`` and leaves no file.
    """
    path = record_path(run_path, record["benchmark"], record["tier"], record["seed"])
    if path.exists():
        return None
    record = {"schema_version": RECORD_SCHEMA_VERSION, **record}
    try:
        if artefacts:
            buffer = io.BytesIO()
            arrays = {key: np.asarray(value) for key, value in artefacts.items()}
            np.savez_compressed(buffer, **arrays)
            artefact_path = path.with_suffix(".npz")
            if not publish_once(artefact_path, buffer.getvalue()):
                # Left by a writer that never published its record (a crash, a full disk) or by a
                # concurrent writer of the same job: never touch it, use a name of our own.
                import secrets

                artefact_path = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.npz")
                publish_once(artefact_path, buffer.getvalue())
            record["artefacts_file"] = artefact_path.name
        payload = json.dumps(to_jsonable(record), indent=1, sort_keys=False).encode()
        return path if publish_once(path, payload) else None
    except OSError as error:
        if is_storage_full(error):
            raise StorageFull(run_path, error) from error
        raise


def read_record(path: Path) -> dict:
    """One record, checked: raises ``DamagedRecord`` (naming the file and the problem) when unusable."""
    try:
        with open(path, encoding="utf-8") as stream:
            record = json.load(stream)
    except UnicodeDecodeError:
        raise DamagedRecord(path, "not text (random or binary bytes)") from None
    except json.JSONDecodeError as error:
        reason = "empty file" if error.pos == 0 and not error.doc.strip() else f"not valid JSON ({error})"
        raise DamagedRecord(path, reason) from None
    if not isinstance(record, dict):
        raise DamagedRecord(path, f"holds a JSON {type(record).__name__}, not an object")
    version = record.get("schema_version")
    if version != RECORD_SCHEMA_VERSION:
        raise DamagedRecord(path, f"schema_version {version!r}; this suite reads {RECORD_SCHEMA_VERSION}")
    for field_name, kind in REQUIRED_FIELDS.items():
        if not isinstance(record.get(field_name), kind) or isinstance(record.get(field_name), bool):
            raise DamagedRecord(path, f"field {field_name!r} missing or not a {kind.__name__}")
    try:
        schema.validate_record(record, path)
    except schema.RecordSchemaError as error:
        raise DamagedRecord(path, f"does not conform to {schema.RECORD_SCHEMA_PATH.name}: "
                                  f"field {error.field!r}: {error.problem}") from None
    if path.name != record_stem(record["benchmark"], record["tier"], record["seed"]) + ".json":
        raise DamagedRecord(path, f"holds {record['benchmark']} {record['tier']} seed {record['seed']}, "
                                  "not the job its name says")
    record["record_path"] = str(path)
    return record


def read_artefacts(record: dict) -> dict[str, np.ndarray]:
    name = record.get("artefacts_file")
    if not name:
        return {}
    with np.load(Path(record["record_path"]).parent / name, allow_pickle=False) as arrays:
        return {key: arrays[key] for key in arrays.files}


@dataclass(frozen=True)
class RecordScan:
    """The records of a run folder that can be trusted, and the files that cannot."""

    records: list[dict]
    damaged: list[DamagedRecord]

    def warnings(self) -> list[str]:
        return [f"record {problem.path} is damaged ({problem.reason}) and was left out" for problem in self.damaged]


def scan_records(run: str | os.PathLike) -> RecordScan:
    """Read every record file of a run; damaged ones are listed, not raised, so one bad file hides nothing."""
    records, damaged = [], []
    for path in sorted((find_run(run) / "records").glob("*.json")):
        try:
            records.append(read_record(path))
        except DamagedRecord as problem:
            damaged.append(problem)
        except OSError as error:
            damaged.append(DamagedRecord(path, f"cannot be read ({error.strerror or error})"))
    return RecordScan(records, damaged)


def load_records(run: str | os.PathLike) -> list[dict]:
    """The trustworthy records of a run (damaged files are left out: ``scan_records`` names them)."""
    return scan_records(run).records


def set_aside_damaged(run_path: Path) -> list[tuple[DamagedRecord, Path]]:
    """Move every damaged record (and its artefacts) into ``damaged/``, so that ``--resume`` reruns its job.

    Moved, never deleted: a damaged file may still say what happened. The new name carries the time,
    so a job damaged twice keeps both files.
    """
    moved = []
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for problem in scan_records(run_path).damaged:
        target_dir = run_path / DAMAGED_FOLDER
        target_dir.mkdir(exist_ok=True)
        target = target_dir / f"{problem.path.stem}.{stamp}{problem.path.suffix}"
        os.replace(problem.path, target)
        artefacts = problem.path.with_suffix(".npz")
        if artefacts.exists():
            os.replace(artefacts, target_dir / f"{artefacts.stem}.{stamp}.npz")
        moved.append((problem, target))
    return moved


def write_run_manifest(run_path: Path, manifest: dict, name: str = "run.json") -> None:
    """Replace a run-level file whole, under its lock: several processes (workers' drivers, shards) write it."""
    with locked(run_path / name):
        atomic_write_bytes(run_path / name, json.dumps(to_jsonable(manifest), indent=1).encode())


def update_run_manifest(run_path: Path, change, name: str = "run.json") -> dict:
    """Read, change (``change(manifest)`` edits it in place) and rewrite a run-level file as one locked step."""
    path = run_path / name
    with locked(path):
        manifest = json.loads(path.read_text()) if path.exists() else {}
        change(manifest)
        atomic_write_bytes(path, json.dumps(to_jsonable(manifest), indent=1).encode())
    return manifest


PACKAGES_FILE = "packages.json"


def write_packages(run_path: Path) -> None:
    """The installed Python packages, once per run (the same for every job, and too long for each record).

    A resumed run keeps the list of its first sitting; ``compare`` shows how two runs' lists differ.
    """
    from suite.run import environment

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


class JobClaim:
    """An exclusive claim on one job of a run, held while a process trains it.

    Why: two processes resuming the same run (or shards sharing a folder) must not train the same
    job at once. The claim is an ``flock`` on ``locks/<job>.lock``: the kernel releases it when the
    holder exits for any reason, kill -9 included, so a dead claimant never blocks a job forever.
    """

    def __init__(self, run_path: Path, benchmark: str, tier: str, seed: int):
        import fcntl

        self._fcntl = fcntl
        locks = run_path / "locks"
        locks.mkdir(exist_ok=True)
        self.path = locks / (record_stem(benchmark, tier, seed) + ".lock")
        self._handle = open(self.path, "a")  # noqa: SIM115 (held open for as long as the claim lasts)

    def try_acquire(self) -> bool:
        try:
            self._fcntl.flock(self._handle, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def wait(self) -> None:
        """Block until the process holding the claim has finished (or died)."""
        self._fcntl.flock(self._handle, self._fcntl.LOCK_EX)

    def release(self) -> None:
        if not self._handle.closed:
            self._handle.close()  # closing drops the flock
