"""Publishing one job's record (and its artefacts) into a run folder: once, whole, never rewritten.

A record is written atomically (temp file + rename) and never replaced: a crash or Ctrl-C
leaves either a whole record or none, and ``--resume`` trusts what is there. Every record
carries ``schema_version`` so a reader can tell which layout it holds.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from suite.constants import RECORD_SCHEMA_VERSION
from suite.files import publish_once
from suite.records.layout import record_path


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


def to_jsonable(value: Any) -> Any:
    """Plain JSON types; non-finite floats stay floats (Python's json writes Infinity/NaN and reads them back)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    numpy = sys.modules.get("numpy")  # a value can only be a NumPy array or scalar where NumPy is loaded
    if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
        return to_jsonable(value.tolist())
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
            import numpy as np  # only for a job's arrays: the driver publishes records without loading it

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
