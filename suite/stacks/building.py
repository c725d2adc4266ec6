"""Building a stack's environment with uv from its lock, checking it imports, and reusing it when sound.

Why a folder per lock: a stack is named by a hash of its resolved packages and its Python, so two
matrices that resolve to the same packages share one environment, and a stack rebuilt from a lock
stored with an old run is the very same set of packages. A folder is trusted only after an import
check in it; one that fails the check (a package's files gone) is rebuilt, and a build that fails
is removed, its reason and the tail of its log kept for the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from suite import backends
from suite.constants import PROJECT_ROOT
from suite.stacks import uv

#: The file a built stack holds once it is complete (its absence marks a half-built folder).
STACK_FILE = "stack.json"
#: The lock a stack was built from, inside its folder.
LOCK_FILE = "lock.txt"
#: The modules the import check imports, besides the backend's: the suite's runtime needs them in a worker.
CHECKED_MODULES = ("jinja2", "jsonschema", "filelock", "numpy", "scipy", "pandas", "matplotlib", "seaborn", "keras",
                   "suite.registry")  # the quick ones first: a broken stack is found in a second
#: Lines of a failed build's log kept in the report.
LOG_TAIL_LINES = 12


class BuildFailed(Exception):
    """A stack that could not be built or does not import: ``reason`` in one line, ``log_tail`` for the report."""

    def __init__(self, reason: str, log_tail: str = ""):
        super().__init__(reason)
        self.reason, self.log_tail = reason, log_tail


@dataclass(frozen=True)
class BuiltStack:
    """A built, checked environment: its id (its folder's name), interpreter and lock."""

    stack_id: str
    path: Path
    lock: str
    how: str  # "built", "reused (import check passed)" or "rebuilt (<why>)"
    build_s: float

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")


def stack_id(label: str, lock: str, python: uv.Interpreter) -> str:
    digest = hashlib.sha256(json.dumps([lock, python.version, python.path]).encode()).hexdigest()[:12]
    return f"{label}-{digest}"


def run_environment(stack_id: str) -> dict[str, str]:
    """The environment variables of a process in the stack: the checkout's code first, and the stack's id."""
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["SUITE_STACK"] = stack_id
    return env


def import_problem(path: Path, backend: str, stack: str) -> str:
    """Why the stack's interpreter cannot import what a worker needs (one line), or "" when it can."""
    modules = (*CHECKED_MODULES, backends.get(backend).module)
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    env = {**run_environment(stack), "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        done = subprocess.run([str(path / "bin" / "python"), "-c", script, *modules], capture_output=True,
                              text=True, env=env, timeout=600)
    except (OSError, subprocess.SubprocessError) as error:
        return f"its interpreter does not start ({error})"
    if done.returncode == 0:
        return ""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"the import check exited with code {done.returncode}"


def build(label: str, lock: str, python: uv.Interpreter, backend: str) -> BuiltStack:
    """The stack of ``lock``: reused when its folder is complete and imports, else (re)built; BuildFailed if not."""
    identity = stack_id(label, lock, python)
    path = uv.stacks_dir() / identity
    why_rebuilt = ""
    started = time.monotonic()
    if (path / STACK_FILE).exists():
        problem = import_problem(path, backend, identity)
        if not problem:
            return BuiltStack(identity, path, lock, "reused (import check passed)", time.monotonic() - started)
        why_rebuilt = problem
    if path.exists():
        shutil.rmtree(path)
        why_rebuilt = why_rebuilt or "a build was left unfinished"
    log: list[str] = []
    try:
        _step(log, ["venv", "--python", python.path, str(path)])
        (path / LOCK_FILE).write_text(lock, encoding="utf-8")
        _step(log, ["pip", "sync", "--python", str(path / "bin" / "python"), str(path / LOCK_FILE)])
        problem = import_problem(path, backend, identity)
        if problem:
            log.append(problem)
            raise BuildFailed(f"the built stack does not import: {problem}", _tail(log))
    except BuildFailed as failure:
        shutil.rmtree(path, ignore_errors=True)
        failed_log = uv.stacks_dir() / "failed" / f"{identity}.log"
        failed_log.parent.mkdir(parents=True, exist_ok=True)
        failed_log.write_text("\n".join(log), encoding="utf-8")
        raise BuildFailed(failure.reason, failure.log_tail + f"\n(whole log: {failed_log})") from None
    build_s = time.monotonic() - started
    (path / STACK_FILE).write_text(json.dumps({"stack_id": identity, "label": label, "python": python.version,
                                               "interpreter": python.path, "backend": backend, "build_s": build_s,
                                               "uv": uv.version()}, indent=1), encoding="utf-8")
    return BuiltStack(identity, path, lock, f"rebuilt ({why_rebuilt})" if why_rebuilt else "built", build_s)


def _step(log: list[str], arguments: list[str]) -> None:
    done = uv.call(arguments)
    log.append(f"$ uv {' '.join(arguments)}")
    log.extend((done.stdout + done.stderr).splitlines())
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = next((line for line in lines if line.lower().startswith("error")), lines[-1] if lines else "")
        raise BuildFailed(f"uv {arguments[0]} failed: {reason}", _tail(log))


def _tail(log: list[str]) -> str:
    return "\n".join(log[-LOG_TAIL_LINES:])

