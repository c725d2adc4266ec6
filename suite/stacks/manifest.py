"""The matrix folder: ``reports/matrices/<id>/matrix.json`` naming each stack's run, and the stored locks.

Why a manifest of its own: a matrix is one run folder per stack (a run never mixes stacks), so
something must say which runs belong together, in which order, and what became of the stacks
that never ran (excluded, impossible, not built). The matrix report and ``--resume`` read it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from suite import constants
from suite.errors import UsageError

MATRIX_FILE = "matrix.json"
#: The lock of a stack stored in each of its run folders (every package==version as installed).
RUN_LOCK_FILE = "stack-lock.txt"
#: What the run folder's stack is (id, label, axes, Python, the matrix's name), beside its lock; the published
#: site reads it to name a run's stack and to draw a matrix's runs by stack.
RUN_STACK_FILE = "stack.json"


def matrices_dir() -> Path:
    return constants.reports_dir() / "matrices"


def new_matrix_id(tier: str) -> str:
    import secrets

    return datetime.now().strftime("%Y%m%d-%H%M%S") + f"-matrix-{tier}-{secrets.token_hex(2)}"


def find_matrix(name: str) -> Path:
    """A matrix folder by id, id prefix, path or ``latest``; an unknown one is a UsageError listing some."""
    path = Path(name)
    if (path / MATRIX_FILE).exists():
        return path
    known = sorted(p for p in matrices_dir().glob("*") if (p / MATRIX_FILE).exists()) if matrices_dir().exists() else []
    if name == "latest" and known:
        return known[-1]
    matching = [p for p in known if p.name.startswith(name)]
    if len(matching) == 1:
        return matching[0]
    shown = ", ".join(p.name for p in known[-5:]) or "none yet"
    raise UsageError(f"no matrix {name!r} in {matrices_dir()} (the newest: {shown}); "
                     "`python -m suite matrix run` makes one")


def read(path: Path) -> dict:
    try:
        return json.loads((path / MATRIX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"the matrix manifest {path / MATRIX_FILE} cannot be read ({error})") from None


def write(path: Path, manifest: dict) -> None:
    """Written whole to a temporary file and renamed: a reader never sees half a manifest."""
    path.mkdir(parents=True, exist_ok=True)
    partial = path / (MATRIX_FILE + ".partial")
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=False), encoding="utf-8")
    os.replace(partial, path / MATRIX_FILE)


def run_stack(run_folder: Path) -> dict:
    """What a matrix wrote beside a run it ran in a stack (``RUN_STACK_FILE``: the stack's label and id, its axes,
    the matrix's name), or ``{}`` for a run made outside a matrix (or an unreadable file)."""
    try:
        found = json.loads((Path(run_folder) / RUN_STACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def run_path(run_id: str) -> Path:
    return constants.reports_dir() / "runs" / run_id
