"""A matrix run: each ready stack built (or reused), then ``suite run`` inside it, one run folder per stack.

Why a child ``python -m suite run`` in the stack's interpreter rather than the workers alone: the
whole run then sees the stack, the run's package list (``packages.json``) and every worker's
fingerprint are read inside it, and the executors (``--workers``, ``--shard``, ``--executor slurm``)
work unchanged, since the run's workers start with the interpreter that runs the run. One stack
failing (a build that breaks, a run that stops) never stops the others; the manifest says what
became of each, and ``--resume`` continues each stack's run on the packages of its stored lock.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from suite.constants import DEFAULT_BACKEND
from suite.records import run_files
from suite.stacks import building, declared, manifest, planning, resolution, uv

#: A stack whose run is recorded in the manifest as over, whatever its verdicts.
RAN, BUILD_FAILED, RUN_FAILED = "ran", "build failed", "run failed"
#: How ``suite run`` names the run folder it made (its first line on stderr).
_RUN_LINE = re.compile(r"^Run (\S+?):")


@dataclass(frozen=True)
class Selection:
    """What every stack runs: the ``suite run`` arguments for a new run and for resuming one."""

    new_run: list[str]
    resume: list[str]


def entry_of(stack: planning.PlannedStack) -> dict:
    """The manifest's entry of a planned stack (before it is built)."""
    entry = {"label": stack.label, "axes": stack.axes, "state": stack.state, "reason": stack.reason}
    if stack.python:
        entry["python"] = {"path": stack.python.path, "version": stack.python.version}
    if stack.lock:
        entry["lock"] = stack.lock
    return entry


def start(planned: list[planning.PlannedStack], selection: Selection, details: dict) -> Path:
    """Make the matrix folder and its manifest (every stack, ready or not) before anything is built."""
    path = manifest.matrices_dir() / manifest.new_matrix_id(details.get("tier") or "full")
    manifest.write(path, {"matrix_id": path.name, "started_at": run_files.utc_now(), **details,
                          "run_arguments": selection.new_run, "resume_arguments": selection.resume,
                          "stacks": [entry_of(stack) for stack in planned]})
    return path


def execute(path: Path, say: Callable[[str], None], extra_resume: list[str] | None = None) -> dict[str, int]:
    """Build and run every ready stack of the matrix at ``path``; ``{state: count}`` of what became of them.

    A stack with a run continues it (``suite run --resume``), so resuming a matrix is calling this again.
    """
    state = manifest.read(path)
    outcome: dict[str, int] = {}
    for index, entry in enumerate(state["stacks"]):
        if entry["state"] in (planning.EXCLUDED, planning.IMPOSSIBLE):
            continue
        try:
            result = _run_stack(path, entry, state, say, extra_resume or [])
        finally:  # interrupted too: the stack's run is named, so that --resume continues it
            state["stacks"][index] = entry
            manifest.write(path, state)
        outcome[result] = outcome.get(result, 0) + 1
    state["finished_at"] = run_files.utc_now()
    manifest.write(path, state)
    return outcome


def _run_stack(path: Path, entry: dict, state: dict, say: Callable[[str], None], extra_resume: list[str]) -> str:
    python = uv.Interpreter(entry["python"]["path"], entry["python"]["version"])
    backend = entry["axes"].get("backend", DEFAULT_BACKEND)
    say(f"\n== Stack {entry['label']}: building from its lock ({len(resolution.lock_packages(entry['lock']))} packages)")
    try:
        built = building.build(entry["label"], entry["lock"], python, backend)
    except building.BuildFailed as failure:
        entry.update(state=BUILD_FAILED, reason=failure.reason, log_tail=failure.log_tail)
        say(f"   could not be built: {failure.reason}")
        return BUILD_FAILED
    say(f"   {built.how} in {built.build_s:.1f} s: {built.path}")
    entry.update(stack_id=built.stack_id, build=built.how, build_s=round(built.build_s, 2), folder=str(built.path))
    installed = built.lock  # every package==version as uv resolved and installed it: rebuilding it gives this stack
    (path / "locks").mkdir(exist_ok=True)
    (path / "locks" / f"{built.stack_id}.txt").write_text(installed, encoding="utf-8")
    if entry.get("run"):
        # The options of this invocation, else those the matrix started with (never both: a repeated option adds up).
        arguments = ["--resume", entry["run"], *(extra_resume or state.get("resume_arguments", []))]
    else:
        arguments = [*state["run_arguments"], "--backend", backend]
    code = _suite_run(built, arguments, say, entry)
    if entry.get("run"):
        run_folder = manifest.run_path(entry["run"])
        if run_folder.exists():
            (run_folder / manifest.RUN_LOCK_FILE).write_text(installed, encoding="utf-8")
            (run_folder / manifest.RUN_STACK_FILE).write_text(json.dumps(
                {"stack_id": built.stack_id, "label": entry["label"], "axes": entry["axes"],
                 "python": entry["python"], "matrix": path.name}, indent=1), encoding="utf-8")
    entry["exit_code"] = code
    if code not in (0, 1) or not entry.get("run"):
        entry.update(state=RUN_FAILED, reason=f"suite run exited with code {code}")
        return RUN_FAILED
    entry.update(state=RAN, reason="")
    return RAN


def _suite_run(built: building.BuiltStack, arguments: list[str], say: Callable[[str], None], entry: dict) -> int:
    """``python -m suite run ARGUMENTS`` in the stack, its output passed on; the run it makes is named in
    ``entry["run"]`` as soon as it says so. Returns its exit code."""
    command = [built.python, "-m", "suite", "run", *arguments]
    say("   $ " + " ".join(["python -m suite run", *arguments]))
    process = subprocess.Popen(command, stdout=sys.stdout, stderr=subprocess.PIPE, text=True,
                               env=building.run_environment(built.stack_id))
    try:
        for line in process.stderr:
            found = _RUN_LINE.match(line)
            if found and not entry.get("run"):
                entry["run"] = found.group(1)
            say(line.rstrip("\n"))
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()  # Ctrl-C reached it too; it keeps its records and stops its workers
        process.wait()
        raise


def stack_from_lock(source: str, python_spec: str | None, backend: str | None) -> planning.PlannedStack:
    """A ready stack from a stored lock: a run folder (id or path) of an earlier matrix, or a lock file."""
    path = Path(source)
    stored: dict = {}
    if not path.is_file():
        folder = path if path.is_dir() else manifest.run_path(source)
        lock_file = folder / manifest.RUN_LOCK_FILE
        if not lock_file.exists():
            from suite.errors import UsageError

            raise UsageError(f"--from-lock {source}: neither a lock file nor a run folder holding "
                             f"{manifest.RUN_LOCK_FILE} (a run of suite matrix stores one)")
        path = lock_file
        stored = json.loads((folder / manifest.RUN_STACK_FILE).read_text(encoding="utf-8"))
    lock = path.read_text(encoding="utf-8")
    packages = resolution.lock_packages(lock)
    axes = dict(stored.get("axes") or {})
    axes["backend"] = backend or axes.get("backend") or DEFAULT_BACKEND
    interpreter = (stored.get("python") or {}).get("version") or f"{sys.version_info.major}.{sys.version_info.minor}"
    python = uv.find_python(python_spec or interpreter)
    if not stored:  # a bare lock file: the stack is named by the versions it holds
        axes["python"] = f"{sys.version_info.major}.{sys.version_info.minor}" if not python_spec else python_spec
        axes.update({name: packages[name] for name in (*declared.BACKEND_AXES, "keras") if name in packages})
    # The stored label keeps the stack's folder name: rebuilt from its lock, a stack is the very same one.
    label = stored.get("label") or declared.stack_label(axes)
    return planning.PlannedStack(label, axes, planning.READY, "", [], lock, python)
