"""The Keras backends a run may use, found by name: one module of this package per backend.

Keras 3 runs the same model code on TensorFlow, JAX and PyTorch. A run uses one backend for
every job (``--backend``, stored in the run's manifest and in every record), because numbers
from two backends differ in their last bits and must never be mixed in one verdict. The
worker sets ``KERAS_BACKEND`` before it imports Keras and asks its backend (``current()``) for
everything that differs between backends; the rest of the engine never compares a backend's name.

Every module here that defines ``BACKEND`` (an instance of ``suite.backends.base.Backend``) is a
backend, registered under its ``name``: adding one is adding a module (and its compiled loop).
Nothing here imports a framework, so the command line checks ``--backend`` before anything starts.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil

from suite.backends.base import Backend
from suite.constants import DEFAULT_BACKEND

#: Keras backends the suite knows of but has no training path for yet, with their labels: ``--backend``
#: names them in its error rather than calling them unknown (none: TensorFlow, JAX and PyTorch all have one).
WITHOUT_A_PATH: dict[str, str] = {}


@functools.cache
def _registered() -> dict[str, Backend]:
    """Every ``BACKEND`` of this package's modules, by name; the default first, then by module name."""
    found: dict[str, Backend] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        backend = getattr(importlib.import_module(f"{__name__}.{module_info.name}"), "BACKEND", None)
        if not isinstance(backend, Backend):
            continue
        if backend.name in found:
            raise ValueError(f"two backends are named {backend.name!r}: {type(found[backend.name]).__qualname__} "
                             f"and {type(backend).__qualname__}")
        found[backend.name] = backend
    default = found.pop(DEFAULT_BACKEND)
    return {DEFAULT_BACKEND: default, **found}


def names() -> tuple[str, ...]:
    """The backends the suite has a training path for, the default first (``("tensorflow", "jax", "torch")``)."""
    return tuple(_registered())


def get(name: str) -> Backend:
    """The backend called ``name``; ``problem(name)`` says why when there is none."""
    try:
        return _registered()[name]
    except KeyError:
        raise ValueError(problem(name)) from None


def default() -> Backend:
    """The backend of a run that does not say, and of every record written before runs said."""
    return get(DEFAULT_BACKEND)


def current() -> Backend:
    """The backend Keras was loaded with in this process (imports Keras: call it in the worker)."""
    import keras

    return get(keras.backend.backend())


def problem(name: str, *, data_parallel: bool = False) -> str | None:
    """Why ``--backend name`` cannot run here (one line naming the fix), or None when it can.

    ``data_parallel``: the run asks for one worker over every GPU (``--data-parallel``), which a backend
    without data parallelism in Keras (an empty ``Backend.data_parallel``) cannot do.
    """
    known = ", ".join(names())
    if name in WITHOUT_A_PATH:
        installed = importlib.util.find_spec(name) is not None
        label = WITHOUT_A_PATH[name]
        why = (f"the suite has no {label} training path yet" if installed
               else f"{label} is not installed, and the suite has no {label} training path yet")
        return f"--backend {name}: {why}; choose one of {known}"
    if name not in _registered():
        return f"unknown backend {name!r}; choose one of {known} (for example --backend {names()[-1]})"
    backend = _registered()[name]
    if not backend.installed():
        return f"--backend {name}: {backend.module} is not installed; install it with {backend.install}"
    if data_parallel and not backend.data_parallel:
        return (f"--data-parallel: Keras has no data parallelism on {backend.label}; leave it out (each GPU gets "
                f"a worker of its own) or choose --backend {' or '.join(n for n in names() if get(n).data_parallel)}")
    return None


def versioned(name: str) -> tuple[str, ...]:
    """The distributions whose versions a record of ``name`` stores (its own name for a backend not registered)."""
    backend = _registered().get(name)
    return backend.versioned if backend is not None else (name,)


def every_versioned() -> tuple[str, ...]:
    """The distributions of every backend, each once: the stack's versions a record may hold."""
    return tuple(dict.fromkeys(distribution for backend in _registered().values()
                               for distribution in backend.versioned))


def stack_axes() -> tuple[str, ...]:
    """The matrix axes that pin a backend's release (``("tensorflow", "jax")``), the default backend's first."""
    return tuple(backend.stack_axis for backend in _registered().values())


def of_stack_axis(axis: str) -> Backend | None:
    """The backend whose release ``axis`` pins, or None for an axis of no backend (``keras``, ``numpy``)."""
    return next((backend for backend in _registered().values() if backend.stack_axis == axis), None)


def always_recorded() -> tuple[tuple[str, str], ...]:
    """``(field, label)`` of the versions every record holds whatever its backend: the default backend's.

    The suite depends on TensorFlow, so it is installed beside any backend and its version describes
    every stack; a backend's own versions are named with it (``describe``).
    """
    backend = default()
    return tuple((distribution, backend.label if distribution == backend.name else distribution)
                 for distribution in backend.versioned)


def versions(name: str) -> dict[str, str]:
    """The installed versions of what ``name`` runs on, e.g. ``{"jax": "0.10.2", "jaxlib": "0.10.2"}``."""
    return get(name).versions()


def describe(name: str, found: dict[str, str] | None = None) -> str:
    """``"jax (jax 0.10.2, jaxlib 0.10.2)"``: the backend and its versions, for summaries and reports."""
    found = versions(name) if found is None else found
    shown = ", ".join(f"{package} {version}" for package, version in found.items() if version)
    return f"{name} ({shown})" if shown else name


def recorded_name(record_or_environment: dict) -> str:
    """The backend a record (or its environment, or a manifest) ran on; records written before the backend
    was stored ran on the default backend."""
    environment = record_or_environment.get("environment")
    environment = environment if isinstance(environment, dict) else record_or_environment
    return record_or_environment.get("backend") or environment.get("backend") or DEFAULT_BACKEND


def recorded(record_or_environment: dict) -> str:
    """The backend a record (or its environment) ran on, with its versions: ``"jax (jax 0.10.2, jaxlib 0.10.2)"``."""
    environment = record_or_environment.get("environment")
    environment = environment if isinstance(environment, dict) else record_or_environment
    name = recorded_name(record_or_environment)
    return describe(name, {package: str(environment.get(package) or "") for package in versioned(name)})


def has_own_fields(name: str) -> bool:
    """Whether every version of ``name`` has a field of its own in every record (``always_recorded``), so that a
    table need not repeat them beside the backend's name."""
    return set(versioned(name)) <= {field for field, _ in always_recorded()}
