"""The Keras backends a run may use: their names, whether one is installed, and its versions.

Keras 3 runs the same model code on TensorFlow, JAX and PyTorch. A run uses one backend for
every job (``--backend``, stored in the run's manifest and in every record), because numbers
from two backends differ in their last bits and must never be mixed in one verdict. The
worker sets ``KERAS_BACKEND`` before it imports Keras; everything here works without
importing any backend, so the command line can check ``--backend`` before anything starts.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

#: The backends the suite's training code has a path for (``suite.training``, ``benchmarks._flux``).
BACKENDS = ("tensorflow", "jax")
#: What to install for a backend: (the module it needs, the command that installs it).
INSTALL = {
    "tensorflow": ("tensorflow", "pip install -e ."),
    "jax": ("jax", "pip install -e '.[jax]' (jax[cuda12] for NVIDIA GPUs)"),
    "torch": ("torch", "pip install torch"),
}
#: The distributions whose versions a record stores for each backend.
VERSIONED = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib")}


def problem(name: str) -> str | None:
    """Why ``--backend name`` cannot run here (one line naming the fix), or None when it can."""
    if name not in BACKENDS:
        known = ", ".join(BACKENDS)
        if name == "torch":
            installed = importlib.util.find_spec("torch") is not None
            why = "the suite has no PyTorch training path yet" if installed else (
                "PyTorch is not installed, and the suite has no PyTorch training path yet")
            return f"--backend torch: {why}; choose one of {known}"
        return f"unknown backend {name!r}; choose one of {known} (for example --backend jax)"
    module, command = INSTALL[name]
    if importlib.util.find_spec(module) is None:
        return f"--backend {name}: {module} is not installed; install it with {command}"
    return None


def versions(name: str) -> dict[str, str]:
    """The installed versions of what ``name`` runs on, e.g. ``{"jax": "0.10.2", "jaxlib": "0.10.2"}``."""
    found = {}
    for distribution in VERSIONED.get(name, (name,)):
        try:
            found[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            found[distribution] = ""
    return found


def describe(name: str, found: dict[str, str] | None = None) -> str:
    """``"jax (jax 0.10.2, jaxlib 0.10.2)"``: the backend and its versions, for summaries and reports."""
    found = versions(name) if found is None else found
    shown = ", ".join(f"{package} {version}" for package, version in found.items() if version)
    return f"{name} ({shown})" if shown else name


def recorded(record_or_environment: dict, default: str = "tensorflow") -> str:
    """The backend a record (or its environment) ran on, with its versions: ``"jax (jax 0.10.2, jaxlib 0.10.2)"``.

    Records written before the backend was stored ran on TensorFlow.
    """
    environment = record_or_environment.get("environment")
    environment = environment if isinstance(environment, dict) else record_or_environment
    name = record_or_environment.get("backend") or environment.get("backend") or default
    found = {package: str(environment.get(package) or "") for package in VERSIONED.get(name, (name,))}
    return describe(name, found)
