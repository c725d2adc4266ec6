"""Writing files so that a crash never leaves half of one (records, reports, the dataset cache), into folders checked first."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

#: Seconds to wait for another process's lock on a shared file before giving up loudly.
LOCK_TIMEOUT_S = 120.0


@contextmanager
def locked(path: Path):
    """Hold ``<path>.lock`` (a ``filelock``) while a file shared by several processes is read and rewritten.

    Why on top of the atomic rename: the rename keeps a reader from seeing half a file, but two
    writers doing read-modify-write (a manifest grown by one resume while a shard finishes) would
    lose one update. The lock file sits beside the file, so it works wherever the run folder is
    shared (two local processes, SLURM tasks on one node); the kernel frees it if its holder dies.
    """
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path.with_name(f".{path.name}.lock")), timeout=LOCK_TIMEOUT_S):
        yield


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


def unusable_folder(folder: Path) -> str:
    """Why ``folder`` cannot hold output (not a folder, cannot be created, read-only), or "" when it can.

    Tested by doing: create it, write and remove a small file. Permission bits alone would lie for
    root and for read-only mounts.
    """
    if folder.exists() and not folder.is_dir():
        return "it is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check."):
            pass
    except FileExistsError:
        return "a file stands where a folder of its path should be"
    except OSError as error:
        return error.strerror or str(error)
    return ""
