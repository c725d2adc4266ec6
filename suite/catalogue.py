"""The catalogue: every benchmark's declaration as plain data, read without importing Keras.

Why: the driver (``list``, planning, judging, calibration) reads only what a benchmark declares:
its name, source, tags, settings per tier, references with their bounds, estimates, gate
settings and code version. Importing the benchmark modules to read that imports Keras and a
backend, seconds before anything can be said, and ties the driver to one framework. So a
subprocess imports them once (``python -m suite.catalogue``), writes the declarations as JSON
into the data cache, and every later command reads that file. Its name is a hash of every file
the declarations come from (``benchmarks/``, ``baselines/full.json`` where the bounds are resolved
from, the suite's own code, the folders of ``SUITE_BENCHMARK_PATH``), so an edit of any of them
makes a new catalogue; a damaged file is rebuilt, never trusted. Workers still import the real
classes: each entry names the module that defines its benchmark, so a worker imports that one
module rather than all of them.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from suite import registry
from suite.constants import BENCHMARKS_DIR, PROJECT_ROOT, baselines_dir, cache_dir
from suite.errors import UsageError
from suite.reference import Reference
from suite.registry import Benchmark, Settings, Source

#: Bumped when the file's layout changes: a catalogue of another format is rebuilt, not read.
FORMAT = 1
#: Catalogues kept in the cache (one per state of the files it is made from); older ones are removed.
KEPT_CATALOGUES = 16
#: Seconds the building subprocess may take (it imports every benchmark module, hence Keras).
BUILD_TIMEOUT_S = 600.0
#: Declared attributes stored as they are (tuples kept); source, settings, tiers and references have forms of their own.
PLAIN_ATTRIBUTES = ("name", "title", "tags", "dataset", "placement", "estimated_seconds", "parameter_count",
                    "source_curves", "gate_seeds", "gate_metrics", "gate_as_documented", "gate_frequencies",
                    "version")


class CatalogueError(UsageError):
    """The benchmarks cannot be read: the message names the file and the error, one line each."""


class Entry(Benchmark):
    """A benchmark as the catalogue holds it: what the driver reads of a ``Benchmark``, without its code.

    The attributes and ``settings_for`` are a benchmark's own (inherited); ``code_version`` returns the
    version the catalogue computed from the real class. Training needs the code: the worker imports
    ``module`` (``load``), never an entry.
    """

    def __init__(self, data: dict[str, Any]):
        for attribute in PLAIN_ATTRIBUTES:
            setattr(self, attribute, _from_plain(data[attribute]))
        self.source = Source(**data["source"])
        self.settings = Settings(**_from_plain(data["settings"]))
        self.tiers = _from_plain(data["tiers"])
        self.references = tuple(Reference.from_dict(reference) for reference in data["references"])
        self.module = data["module"]
        self.file = data["file"]
        self._description = data["description"]
        self._code_version = data["code_version"]

    @property
    def description(self) -> str:
        return self._description

    def code_version(self) -> str:
        return self._code_version

    def run(self, settings, seed):
        raise TypeError(f"{self.name} is a catalogue entry, not the benchmark's code: a worker trains it "
                        f"after importing {self.module}")


# -- reading -------------------------------------------------------------------------------------------
_read: dict[str, dict[str, Entry]] = {}


def benchmarks() -> dict[str, Entry]:
    """Every registered benchmark by name, in discovery order: from the cache, built first when it is missing."""
    key = catalogue_key()
    if key not in _read:
        path = cache_path(key)
        data = _load(path, key)
        if data is None:
            print("reading the benchmarks (once, cached) ...", file=sys.stderr, flush=True)
            data = _build(path, key)
        _read[key] = {entry["name"]: Entry(entry) for entry in data["benchmarks"]}
    return dict(_read[key])


def cache_path(key: str) -> Path:
    return cache_dir() / "catalogue" / f"{key}.json"


def _load(path: Path, key: str) -> dict | None:
    """The cached catalogue, or None when it is missing, damaged or of another state of the files."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != key or data.get("sha256") != _digest(data["benchmarks"]):
            return None
        for entry in data["benchmarks"]:
            Entry(entry)  # every field present and of its kind
        return data
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _build(path: Path, key: str) -> dict:
    """Run the builder in a subprocess (it imports Keras; this process must not), then read what it wrote."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                             os.environ.get("PYTHONPATH")]))}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
    try:
        completed = subprocess.run([sys.executable, "-m", "suite.catalogue", str(partial), key], cwd=PROJECT_ROOT,
                                   env=environment, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CatalogueError(f"reading the benchmarks took more than {BUILD_TIMEOUT_S:.0f} s; "
                             "`python -m suite.catalogue` shows where it stops") from None
    try:
        data = json.loads(partial.read_text(encoding="utf-8")) if partial.exists() else None
    finally:
        partial.unlink(missing_ok=True)
    if data is None:
        tail = (completed.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise CatalogueError(f"reading the benchmarks failed (exit {completed.returncode}): {tail}")
    if data["problems"]:
        raise CatalogueError("\n".join(data["problems"]))
    _publish(path, data)
    return data


def _publish(path: Path, data: dict) -> None:
    """Write the catalogue whole (a reader never sees half a file) and drop the oldest beyond ``KEPT_CATALOGUES``."""
    partial = path.with_name(f".{path.stem}.{os.getpid()}.publish")
    try:
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, path)
    except OSError:  # a read-only cache still lists: the catalogue is rebuilt next time
        partial.unlink(missing_ok=True)
        return
    kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEPT_CATALOGUES:]:
        old.unlink(missing_ok=True)


# -- what the catalogue depends on ---------------------------------------------------------------------
def catalogue_key() -> str:
    """A hash of every file the declarations come from, and of the Python that reads them.

    ``benchmarks/`` (every file: a module may read a data file at import), the suite's own code (the
    registry, the references and their notes, the code version's walk), ``baselines/full.json`` (the
    two-sided bounds and the observed notes are resolved from it), and each ``SUITE_BENCHMARK_PATH``
    folder. Reading them takes milliseconds; importing the modules takes seconds.
    """
    digest = hashlib.sha256(f"format {FORMAT}; python {sys.version}; root {PROJECT_ROOT}\n".encode())
    folders = [BENCHMARKS_DIR, PROJECT_ROOT / "suite", *registry.extra_folders()]
    for folder in folders:
        digest.update(f"folder {folder}\n".encode())
        for file in sorted(folder.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                _hash_file(digest, file)
    _hash_file(digest, baselines_dir() / "full.json")
    return digest.hexdigest()[:24]


def _hash_file(digest, file: Path) -> None:
    try:
        content = file.read_bytes()
    except OSError:
        content = b"(missing)"
    digest.update(f"{file} {len(content)}\n".encode())
    digest.update(content)


def _digest(benchmarks: list) -> str:
    """A checksum of the entries; the file keeps the order they were declared in (settings' order shows)."""
    return hashlib.sha256(json.dumps(benchmarks, sort_keys=True).encode()).hexdigest()


# -- plain data with tuples kept -----------------------------------------------------------------------
def _to_plain(value):
    """JSON data that gives back the same value: a tuple is tagged, since JSON would make it a list."""
    if isinstance(value, tuple):
        return {"__tuple__": [_to_plain(item) for item in value]}
    if isinstance(value, list):
        return [_to_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _to_plain(item) for key, item in value.items()}
    return value


def _from_plain(value):
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_from_plain(item) for item in value["__tuple__"])
        return {key: _from_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_plain(item) for item in value]
    return value


# -- the worker's side: the real class -----------------------------------------------------------------
def load(name: str) -> Benchmark:
    """An instance of the real benchmark class, importing only the module that defines it.

    A worker trains one benchmark after another and needs their code, not all of ``benchmarks/``.
    Without a catalogue for the files as they are (a fresh cache on another node), every module is
    imported, as before.
    """
    if name not in registry.registered():
        key = catalogue_key()
        data = _load(cache_path(key), key)
        entry = next((entry for entry in (data or {}).get("benchmarks", ()) if entry["name"] == name), None)
        if entry is not None:
            _import_defining_module(entry["module"], Path(entry["file"]))
    if name not in registry.registered():
        registry.discover()
    return registry.get(name)


def _import_defining_module(module: str, file: Path) -> None:
    with _quiet_imports():
        if module.startswith("benchmarks."):
            root = str(PROJECT_ROOT)
            if root not in sys.path:
                sys.path.insert(0, root)
            importlib.import_module(module)
        else:
            registry.import_file(file)


def _quiet_imports():
    from suite import native_log

    return native_log.quiet_imports()


# -- the builder (run as ``python -m suite.catalogue OUTPUT KEY``) ------------------------------------
def declarations() -> tuple[list[dict], list[str]]:
    """Import every benchmark module, one at a time: the declarations, and one line per module that fails."""
    from suite.judge.baselines import BaselineError

    problems: list[str] = []
    root = str(PROJECT_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    files = [(f"benchmarks.{path.stem}", path) for path in registry.modules_in(BENCHMARKS_DIR)]
    files += [(None, path) for folder in registry.extra_folders() for path in registry.modules_in(folder)]
    with _quiet_imports():
        for module, path in files:
            try:
                if module:
                    importlib.import_module(module)
                else:
                    registry.import_file(path)
            except BaselineError as error:  # baselines/full.json is damaged: one line says so for all modules
                problems.append(str(error))
                break
            except Exception as error:
                problems.append(f"{_shown(path)} cannot be imported: {type(error).__name__}: {error}")
    entries = [declaration(cls()) for cls in registry.registered().values()]
    return entries, problems


def declaration(benchmark: Benchmark) -> dict[str, Any]:
    """One benchmark's declaration as JSON data (read from an instance: some attributes are properties)."""
    cls = type(benchmark)
    module = sys.modules[cls.__module__]
    data = {attribute: _to_plain(getattr(benchmark, attribute)) for attribute in PLAIN_ATTRIBUTES}
    return {
        **data,
        "source": {"document": benchmark.source.document, "experiment": benchmark.source.experiment,
                   "cells": benchmark.source.cells},
        "settings": _to_plain(benchmark.settings.to_dict()),
        "tiers": _to_plain(dict(benchmark.tiers)),
        "references": [reference.to_dict() for reference in benchmark.references],
        "description": benchmark.description,
        "code_version": cls.code_version(),
        "module": cls.__module__,
        "file": str(Path(module.__file__).resolve()),
    }


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    """Write the catalogue of the files as they are to ``argv[0]``, tagged with the key ``argv[1]``."""
    output, key = Path(argv[0]), argv[1]
    started = time.monotonic()
    entries, problems = declarations()
    data = {"format": FORMAT, "key": key, "benchmarks": entries, "sha256": _digest(entries), "problems": problems,
            "built_in_s": round(time.monotonic() - started, 3)}
    output.write_text(json.dumps(data), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
