"""uv, the installer that resolves and builds stacks: where it is, how it is called, which Pythons it may use.

Why one module: every call shares one cache on the file system the stacks live on (so that a wheel
is linked into each stack, not copied), never downloads a Python (the ``python`` axis takes the
interpreters installed here), and a missing uv is one line naming the ``matrix`` extra.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from suite import constants
from suite.errors import UsageError


def stacks_dir() -> Path:
    """Built stacks and the resolutions cache; ``SUITE_STACKS_DIR`` moves them (beside the uv cache)."""
    return Path(os.environ.get("SUITE_STACKS_DIR", constants.cache_dir() / "stacks"))


def uv_cache_dir() -> Path:
    """One uv cache for every stack, on the stacks' file system so that wheels are hard-linked."""
    return Path(os.environ.get("SUITE_UV_CACHE_DIR", stacks_dir().parent / "uv"))


@functools.lru_cache(maxsize=1)
def executable() -> str:
    """The uv program: ``SUITE_UV``, else beside this interpreter (``pip install -e '.[matrix]'``), else on PATH."""
    if "SUITE_UV" in os.environ:
        chosen = os.environ["SUITE_UV"]
        found = chosen if Path(chosen).is_file() else None
    else:
        beside = Path(sys.executable).parent / "uv"
        found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise UsageError("uv is not installed: suite matrix builds stacks with it; "
                         "pip install -e '.[matrix]' installs it")
    return found


def environment() -> dict[str, str]:
    env = {**os.environ, "UV_CACHE_DIR": str(uv_cache_dir()), "UV_PYTHON_DOWNLOADS": "never",
           "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # never the driver's own environment
    return env


def call(arguments: list[str], *, stdin: str | None = None, timeout_s: float = 3600) -> subprocess.CompletedProcess:
    """Run ``uv ARGUMENTS``; the output is returned, never printed."""
    return subprocess.run([executable(), *arguments], input=stdin, capture_output=True, text=True,
                          env=environment(), timeout=timeout_s)


@functools.lru_cache(maxsize=1)
def version() -> str:
    return call(["--version"]).stdout.strip()


@dataclass(frozen=True)
class Interpreter:
    """A Python installed on this machine: the one a stack's environment is made from."""

    path: str
    version: str  # full, e.g. 3.11.7


@functools.cache
def find_python(spec: str) -> Interpreter:
    """The interpreter the ``python`` axis names (``3.11``, ``3.11.7`` or a path); a missing one is a UsageError."""
    candidates = []
    if os.sep in spec:
        candidates.append(spec)
    else:
        found = call(["python", "find", "--system", spec])
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(found.stdout.strip())
        # pyenv's shims stop uv's search at the first missing version: look in pyenv's versions too.
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        candidates += [str(p / "bin" / "python") for p in sorted(pyenv.glob(f"{spec}*"), reverse=True)
                       if (p / "bin" / "python").exists()]
    for path in candidates:
        try:
            full = subprocess.run([path, "-c", "import platform; print(platform.python_version())"],
                                  capture_output=True, text=True, timeout=60).stdout.strip()
        except OSError:
            continue
        if full == spec or full.startswith(spec + ".") or os.sep in spec:
            return Interpreter(path, full)
    raise UsageError(f"Python {spec} is not installed on this machine; the python axis takes installed "
                     "interpreters (a version such as 3.11, or a path)")
