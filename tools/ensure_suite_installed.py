"""Install the suite into the current interpreter's environment when it is not there yet.

Why: ``tox -e regression`` runs in the tests' environment (``env_dir = {work_dir}/suite``) without installing
anything itself, because tox recreates an environment that a differently named one with a package install last
used (a minute of reinstalling TensorFlow on every CI run). After ``tox`` it finds everything in place and does
nothing; run on its own first, it installs what the tests' environment holds.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    wanted = ("suite", "tensorflow", "keras", "jax")
    missing = [name for name in wanted if importlib.util.find_spec(name) is None]
    if missing:
        print(f"installing the suite into {sys.prefix} ({', '.join(missing)} missing)", file=sys.stderr)
        root = Path(__file__).resolve().parent.parent
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", f"{root}[test,jax]"])
