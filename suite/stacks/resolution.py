"""What a stack asks for and what uv resolves it to: the requirements, the lock, or the resolver's reason.

Why resolution alone decides whether a stack is possible: ``uv pip compile`` answers in a second
without downloading a wheel, so ``matrix plan`` can mark "TensorFlow 2.20 needs Keras 3.10 or later"
before anything is built. Resolutions are cached by a hash of their inputs (requirements, Python,
``--exclude-newer`` date, uv's version; and today's date when no date is given, since the index moves).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the matrix extra installs tomli
    import tomli as tomllib

from suite import backends
from suite.constants import DEFAULT_BACKEND, PROJECT_ROOT
from suite.errors import UsageError
from suite.stacks import uv
from suite.stacks.declared import PACKAGE_AXES, Candidate

#: The packages a requirement line names before its version or extras.
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def runtime_dependencies() -> list[str]:
    """The suite's own runtime dependencies, by name, from ``pyproject.toml`` (the one place they are declared).

    Their floors are left out on purpose: the resolver picks what fits each stack's pins, so the
    suite's floors never make a stack impossible by themselves.
    """
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [_NAME.match(line).group(1) for line in project["dependencies"]]


def pin(axis: str, version: str) -> str:
    """``tensorflow==2.18.1``; a version with fewer parts takes any release under it (``2.18`` is ``==2.18.*``).

    A backend's axis is pinned as the backend installs it (``jax[cpu]==0.4.38``): the backend says how.
    """
    backend = backends.of_stack_axis(axis)
    return backend.stack_pin(version) if backend else backends.base.pin(axis, version)


def requirements(candidate: Candidate, *, slurm: bool = False) -> list[str]:
    """The axis pins, the stack's backend when no axis pins it, then the suite's runtime dependencies the pins
    do not already name."""
    axes = candidate.axes
    pins = [pin(axis, axes[axis]) for axis in PACKAGE_AXES if axes.get(axis)]
    backend = backends.get(axes.get("backend") or DEFAULT_BACKEND)
    named = {_NAME.match(line).group(1).lower() for line in pins}
    rest = [name for name in runtime_dependencies() if name.lower() not in named]
    if backend.stack_axis not in named and backend.stack_axis not in {name.lower() for name in rest}:
        pins.append(backend.stack_pin(""))
    return pins + rest + (["submitit"] if slurm else [])


@dataclass(frozen=True)
class Resolution:
    """A stack's resolution: its lock (``name==version`` lines) or why none exists."""

    lock: str
    reason: str = ""

    @property
    def possible(self) -> bool:
        return not self.reason


def resolve(requires: list[str], python: uv.Interpreter, exclude_newer: str | None = None) -> Resolution:
    """``uv pip compile`` of ``requires`` for ``python``, cached by a hash of what decides its answer.

    A version that the index does not have is a ``UsageError`` (a typo in the matrix), not an
    impossible stack.
    """
    key = hashlib.sha256(json.dumps([requires, python.version, exclude_newer, uv.version(),
                                     exclude_newer or datetime.date.today().isoformat()]).encode()).hexdigest()[:20]
    cached = uv.stacks_dir() / "resolutions" / f"{key}.json"
    if cached.exists():
        stored = json.loads(cached.read_text(encoding="utf-8"))
        resolution = Resolution(stored["lock"], stored["reason"])
    else:
        arguments = ["pip", "compile", "-", "--python", python.path, "--no-header", "--no-annotate"]
        if exclude_newer:
            arguments += ["--exclude-newer", exclude_newer]
        done = uv.call(arguments, stdin="\n".join(requires) + "\n", timeout_s=600)
        resolution = Resolution(done.stdout) if done.returncode == 0 else Resolution("", key_line(done.stderr))
        if resolution.possible or "No solution found" in done.stderr:  # a network failure is not cached
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps({"lock": resolution.lock, "reason": resolution.reason}), encoding="utf-8")
    missing = _missing_pin(resolution.reason, requires)
    if missing:
        when = f" as it stood on {exclude_newer} (--exclude-newer)" if exclude_newer else ""
        raise UsageError(f"{missing} is not on the package index{when}; `pip index versions "
                         f"{_NAME.match(missing).group(1)}` lists the versions there")
    return resolution


def _missing_pin(reason: str, requires: list[str]) -> str | None:
    """The pin no release on the index satisfies, when that alone is the resolver's reason, else None.

    uv says so in two ways: "there is no version of keras==3.99.0" for an exact version, and "only
    tensorflow<=2.22.0rc0 is available" for a release series (``9.9`` pins ``==9.9.*``); the second names
    the package, so the pin is the requirement of that name.
    """
    exact = re.search(r"there is no version of (\S+?)(?: and|,|$)", reason)
    if exact:
        return exact.group(1)
    series = re.fullmatch(r"only ([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*[<>=!~]\S* is available", reason.strip())
    if series:
        name = series.group(1).lower()
        return next((pin for pin in requires if _NAME.match(pin).group(1).lower() == name), None)
    return None


def key_line(stderr: str) -> str:
    """The resolver's reason in one line: "tensorflow==2.20.0 depends on keras>=3.10.0"."""
    text = " ".join(line.strip() for line in stderr.splitlines())
    cause = re.search(r"Because (.+?), we can conclude", text)
    if cause:
        return re.sub(r" and you require .*$", "", cause.group(1))
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if line.lower().startswith(("error", "cause"))), lines[0] if lines else
                "uv failed without a message")


def lock_packages(lock: str) -> dict[str, str]:
    """``{name: version}`` of a lock's ``name==version`` lines."""
    packages = {}
    for line in lock.splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if name and version:
            packages[name.strip().lower()] = version.strip()
    return packages
