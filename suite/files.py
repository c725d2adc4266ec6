"""Writing files so that a crash never leaves half of one (records, reports, the dataset cache)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, payload: bytes | memoryview) -> None:
    """Temp file in the same folder, then ``os.replace``: readers see the old file or the whole new one.

    The temp file lives beside the target so the rename never crosses a file system; it is fsynced
    first so a power cut after the rename cannot leave an empty file under the final name. Ctrl-C or
    an error while writing removes the temp file and leaves the old file in place.
    """
    temporary = _whole_temp_file_beside(path, payload)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def publish_once(path: Path, payload: bytes | memoryview) -> bool:
    """Create ``path`` with ``payload`` unless it exists; True when this call created it.

    The payload is written whole to a temp file first and then hard-linked to its name: ``link`` fails
    when the name exists, so of several processes publishing the same file exactly one wins and no
    reader ever sees a partial file. The temp file is removed either way.
    """
    temporary = _whole_temp_file_beside(path, payload)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _whole_temp_file_beside(path: Path, payload: bytes | memoryview) -> Path:
    """``payload`` in a fsynced, world-readable temp file in ``path``'s folder; nothing left on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; records and the cache are shared like any file
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)
