"""Reading a run's records back: each one checked, a whole run scanned, damaged files named and set aside.

A record is trusted only when it parses, carries a ``schema_version`` this suite reads and required
fields, conforms to the published schema (``suite.schema``, which stays with the schema file
other programs read) and holds the job its file name says. Anything else is a ``DamagedRecord``:
a reader names the file and the problem and goes on, so one bad file hides nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from suite import schema
from suite.constants import READABLE_RECORD_SCHEMA_VERSIONS
from suite.records.layout import DAMAGED_FOLDER, find_run, record_stem, records_dir

#: Fields every record has whatever its status; a file without them is not a record of this suite.
REQUIRED_FIELDS = {"benchmark": str, "tier": str, "seed": int, "status": str}


class DamagedRecord(ValueError):
    """A record file that cannot be trusted: not JSON, another schema, or lacking a required field."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path.name}: {reason}")
        self.path = path
        self.reason = reason


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
    if version not in READABLE_RECORD_SCHEMA_VERSIONS:
        readable = " and ".join(map(str, READABLE_RECORD_SCHEMA_VERSIONS))
        raise DamagedRecord(path, f"schema_version {version!r}; this suite reads {readable}")
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


def read_artefacts(record: dict) -> dict:
    name = record.get("artefacts_file")
    if not name:
        return {}
    import numpy as np  # only here: reading a run's records and planning from them need no array library

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
    for path in sorted(records_dir(find_run(run)).glob("*.json")):
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
