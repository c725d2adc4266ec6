"""Make sure the tests' tox environment holds the suite, so that the gate can run in it.

Why: ``tox -e regression`` (and ``regression-jax``, ``regression-torch``, ``report``) run the suite with the interpreter of the tests'
environment (``.tox/suite``, built by ``tox``) instead of building their own, because building TensorFlow and
JAX into a second environment costs a minute or more, and tox recreates an environment that a differently named
one last used. After ``tox`` this finds everything in place and does nothing; run before it, it builds that
environment the way ``tox`` would (a virtual environment with the project and its ``test``, ``jax`` and ``torch``
extras).

Usage: ``python tools/ensure_suite_installed.py ENV_DIR``
"""

import subprocess
import sys
from pathlib import Path

WANTED = ("suite", "tensorflow", "keras", "jax", "torch")


def has_the_suite(python: Path) -> bool:
    check = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(n) is None for n in sys.argv[1:]))"
    return python.exists() and subprocess.run([str(python), "-c", check, *WANTED]).returncode == 0


if __name__ == "__main__":
    env_dir = Path(sys.argv[1])
    python = env_dir / "bin" / "python"
    if not has_the_suite(python):
        root = Path(__file__).resolve().parent.parent
        print(f"building the tests' environment in {env_dir} (the project with its test, jax and torch extras)", file=sys.stderr)
        if not python.exists():
            subprocess.check_call([sys.executable, "-m", "venv", str(env_dir)])
        subprocess.check_call([str(python), "-m", "pip", "install", "-q", "-e", f"{root}[test,jax,torch]"])
