"""The run-level files beside the records: the manifest (``run.json``, ``finished.json``) and ``packages.json``.

Several processes (workers' drivers, shards, ``merge``) write these files, so each write replaces
the file whole under its lock; readers take ``run.json`` and ``finished.json`` together as one
manifest. Times in them, as in the records, are ``utc_now``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from suite.files import atomic_write_bytes, locked
from suite.records.layout import FINISHED_FILE, MANIFEST_FILE, PACKAGES_FILE
from suite.records.publish import to_jsonable


def utc_now() -> str:
    """The time as records and run files stamp it: UTC, ISO 8601 to the second (it sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_run_manifest(run_path: Path, manifest: dict, name: str = MANIFEST_FILE) -> None:
    """Replace a run-level file whole, under its lock: several processes (workers' drivers, shards) write it."""
    with locked(run_path / name):
        atomic_write_bytes(run_path / name, json.dumps(to_jsonable(manifest), indent=1).encode())


def update_run_manifest(run_path: Path, change, name: str = MANIFEST_FILE) -> dict:
    """Read, change (``change(manifest)`` edits it in place) and rewrite a run-level file as one locked step."""
    path = run_path / name
    with locked(path):
        manifest = json.loads(path.read_text()) if path.exists() else {}
        change(manifest)
        atomic_write_bytes(path, json.dumps(to_jsonable(manifest), indent=1).encode())
    return manifest


def read_run_manifest(run_path: Path) -> dict:
    manifest = {}
    for name in (MANIFEST_FILE, FINISHED_FILE):
        path = run_path / name
        if path.exists():
            manifest.update(json.loads(path.read_text()))
    return manifest


def write_packages(run_path: Path, installed_packages: Callable[[], dict[str, str]]) -> None:
    """The installed Python packages (``installed_packages()``), once per run: asked only when none are stored.

    A resumed run keeps the list of its first sitting; ``compare`` shows how two runs' lists differ.
    """
    if not (run_path / PACKAGES_FILE).exists():
        write_run_manifest(run_path, {"recorded_at": utc_now(), "packages": installed_packages()},
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
