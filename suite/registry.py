"""The registry: a benchmark is a class in ``benchmarks/`` decorated with ``@register``.

Adding an experiment means adding one file (or one class) in ``benchmarks/``;
``discover()`` imports every module there whose name does not start with ``_``,
so there is no hand-kept list to forget.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suite.constants import BENCHMARKS_DIR, PLACEMENTS, PROJECT_ROOT, TIERS
from suite.reference import Reference

_REGISTRY: dict[str, type[Benchmark]] = {}
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Source:
    """Where an experiment is documented: the file in ``sources/``, its id in the catalogue, the cells."""

    document: str  # e.g. "002_1cdcc223183fcc73.txt"
    experiment: str  # e.g. "002-a", as in sources/experiments.md
    cells: str = ""  # e.g. "In [10]-[18]"


class Settings(Mapping):
    """Training settings of a benchmark: an immutable mapping with attribute access.

    ``settings.epochs`` reads like the source's setup; ``settings.replace(epochs=1)``
    gives the reduced settings of a tier.
    """

    def __init__(self, **values: Any):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"setting {name!r} is not defined (known: {sorted(self._values)})") from None

    def __setattr__(self, name, value):
        raise AttributeError("Settings are immutable; use replace(**changes)")

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Settings({inner})"

    def replace(self, **changes: Any) -> Settings:
        return Settings(**{**self._values, **changes})

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)


@dataclass
class Outcome:
    """What one job of a benchmark produced.

    ``metrics`` are scalars judged against the references; ``history`` holds
    per-epoch or per-step series (equal-length lists keyed by name, plus an
    optional ``"step"`` or ``"epoch"`` axis); ``artefacts`` are arrays the report
    draws (decision grids, misclassified digits, weight maps); ``weights`` are the
    trained weight arrays, fingerprinted so reruns can be compared bit for bit.
    """

    metrics: dict[str, float]
    history: dict[str, list] = field(default_factory=dict)
    artefacts: dict[str, Any] = field(default_factory=dict)
    weights: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Benchmark:
    """Base class of every experiment. Subclasses declare attributes and override hooks.

    Declarative attributes (read by the registry tests and the CLI):
      name, title, source, tags, dataset, placement, settings, tiers, references,
      estimated_seconds (per tier, measured on a 2-core CPU), parameter_count.

    Hooks, in the order the runner's default ``run`` calls them:
      ``load_data(settings, seed)`` -> dict of arrays
      ``build_model(settings)`` -> a compiled ``keras.Model`` (required)
      ``train(model, data, settings)`` -> history dict
      ``evaluate(model, data, settings)`` -> metrics dict
      ``artefacts(model, data, settings, history)`` -> dict of arrays for the report

    A benchmark never opens files, seeds, or picks devices: the runner does that
    before ``run`` is called, so every experiment is seeded and placed the same way.
    """

    name: str = ""
    title: str = ""
    source: Source | None = None
    tags: tuple[str, ...] = ()
    dataset: str | None = "mnist"  # "mnist", "tfds:NAME", or None for generated data
    placement: str = "gpu"  # "cpu" | "gpu" | "gpu-required", see suite.run.placement
    settings: Settings = Settings()
    tiers: dict[str, dict[str, Any]] = {}
    references: tuple[Reference, ...] = ()
    #: Wall time of one job per tier on the 2-core reference CPU; the runner's estimate
    #: uses it until records of earlier runs on this machine give a better figure.
    estimated_seconds: dict[str, float] = {"full": 60.0, "quick": 20.0, "smoke": 5.0}
    #: Documented parameter count, asserted by the registry tests where the source gives one.
    parameter_count: int | None = None
    #: The source's logged values per epoch or step, drawn beside ours: {"accuracy": [...], ...}.
    source_curves: dict[str, list[float]] = {}
    #: Seeds the quick tier runs at the least, so that the regression gate judges the mean of this many:
    #: a benchmark whose jobs take seconds but whose seeds spread widely runs several, and its bounds
    #: (set for the mean of ``gate_seeds`` fresh seeds) become tight enough to catch a regression.
    gate_seeds: int = 1
    #: The metrics the regression gate calibrates and judges, where they are not the claimed ones: a claim
    #: about a lottery over outcomes (dead units, a net that separates in some seeds) is gated on what is
    #: stable, the outcome's frequency or the metric given the outcome. None: the claimed metrics.
    gate_metrics: tuple[str, ...] | None = None
    #: Documented claims the regression gate judges as documented rather than against a calibrated bound:
    #: a one-sided claim that holds in every seed however short the training ("the loss never falls below
    #: 0.5"), where the seeds land in distinct outcomes and a bound around their mean could catch nothing.
    gate_as_documented: tuple[str, ...] = ()
    #: Gated metrics that are an outcome per seed (1.0: it happened, 0.0: it did not), judged on how often it
    #: happens over the ``gate_seeds`` seeds by a binomial bound (``suite.judge.frequency``): the statistic that
    #: stays stable where the outcome itself is a lottery (a net that separates the spirals in half its seeds).
    gate_frequencies: tuple[str, ...] = ()
    #: Bump when a change the code hash cannot see (a data file, say) changes what the benchmark computes.
    version: str = ""

    # -- settings -------------------------------------------------------------------------
    def settings_for(self, tier: str) -> Settings:
        """The documented settings (``full``) with the tier's reductions applied."""
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
        if tier == "full":
            return self.settings
        return self.settings.replace(**self.tiers.get(tier, {}))

    # -- hooks ------------------------------------------------------------------------------
    def load_data(self, settings: Settings, seed: int) -> dict[str, Any]:
        """Default: the named dataset from ``suite.data.datasets`` (uint8, canonical order)."""
        from suite.data import datasets

        if self.dataset is None:
            raise NotImplementedError(f"{type(self).__name__} has dataset=None and must override load_data")
        return datasets.load(self.dataset)

    def build_model(self, settings: Settings):
        raise NotImplementedError(f"{type(self).__name__} must define build_model(settings)")

    def train(self, model, data: dict[str, Any], settings: Settings) -> dict[str, list]:
        """Default: ``model.fit`` on ``x_train``/``y_train`` with the settings' epochs and batch size."""
        fit = model.fit(
            data["x_train"],
            data["y_train"],
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            verbose=0,
            shuffle=settings.get("shuffle", True),
            callbacks=list(self.callbacks),
        )
        history = {key: [float(v) for v in values] for key, values in fit.history.items()}
        history["epoch"] = list(range(1, len(next(iter(history.values()), [])) + 1))
        return history

    def evaluate(self, model, data: dict[str, Any], settings: Settings) -> dict[str, float]:
        """Default: loss and accuracy on ``x_test``/``y_test``."""
        values = model.evaluate(data["x_test"], data["y_test"], verbose=0, return_dict=True)
        return {f"test_{key}": float(v) for key, v in values.items()}

    def artefacts(self, model, data, settings: Settings, history) -> dict[str, Any]:
        return {}

    def run(self, settings: Settings, seed: int) -> Outcome:
        """One job. Override for experiments that are a family of trainings (sweeps)."""
        data = self.load_data(settings, seed)
        model = self.build_model(settings)
        history = self.train(model, data, settings)
        metrics = self.evaluate(model, data, settings)
        return Outcome(
            metrics=metrics,
            history=history,
            artefacts=self.artefacts(model, data, settings, history),
            weights=model.get_weights(),
        )

    #: Keras callbacks the runner adds (progress reporting); benchmarks pass them to fit.
    callbacks: tuple = ()

    def report_progress(self, done: int, total: int, unit: str = "step") -> None:
        """Called by long loops (``progress=self.report_progress``); the runner shows it."""

    # -- identity -----------------------------------------------------------------------------
    @property
    def description(self) -> str:
        """The class's docstring: what a record stores about the experiment beside the source's cells."""
        return (type(self).__doc__ or "").strip()

    @classmethod
    def code_version(cls) -> str:
        """Hash of the code that computes this benchmark's numbers, prose left out (``suite.judge.code_version``)."""
        from suite.judge.code_version import code_version

        return code_version(cls)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"


def register(cls: type[Benchmark]) -> type[Benchmark]:
    """Class decorator: add a benchmark to the registry, checking its declaration first.

    Calibrated references (``Reference.calibrated``) get their bounds and notes here, from
    ``baselines/full.json``; one without an entry is left unresolved until it is calibrated.
    """
    if not (isinstance(cls, type) and issubclass(cls, Benchmark)):
        raise TypeError(f"@register expects a Benchmark subclass, got {cls!r}")
    _validate(cls)
    existing = _REGISTRY.get(cls.name)
    # Re-importing the same module re-registers the same class: that is not a clash.
    if existing is not None and _qualified(existing) != _qualified(cls):
        raise ValueError(
            f"benchmark name {cls.name!r} is registered twice: by {_qualified(existing)} and by "
            f"{_qualified(cls)}; give one of them another name"
        )
    # Two-sided full-tier bounds are derived from the port's calibration (baselines/full.json).
    from suite.judge import full_calibration

    cls.references = full_calibration.resolve(cls.name, tuple(cls.references))
    _REGISTRY[cls.name] = cls
    return cls


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _validate(cls: type[Benchmark]) -> None:
    where = _qualified(cls)
    if not isinstance(cls.name, str) or not _NAME.fullmatch(cls.name):
        raise ValueError(f"{where}: name {cls.name!r} must be lower-case letters, digits and underscores "
                         f"(it names record files and HTML anchors)")
    if cls.placement not in PLACEMENTS:
        raise ValueError(f"{where}: placement {cls.placement!r} is not one of {PLACEMENTS}")
    if not isinstance(cls.source, Source):
        raise ValueError(f"{where}: set `source = Source(document, experiment, cells)`")
    unknown = set(cls.tiers) - set(TIERS)
    if unknown:
        raise ValueError(f"{where}: unknown tiers {sorted(unknown)}; tiers are {TIERS}")
    for reference in cls.references:
        if not isinstance(reference, Reference):
            raise ValueError(f"{where}: references must be Reference objects, got {reference!r}")


def discover() -> dict[str, type[Benchmark]]:
    """Import every ``benchmarks/*.py`` not starting with ``_`` and return the registry.

    Folders listed in ``SUITE_BENCHMARK_PATH`` (``os.pathsep``-separated) are imported
    too: the tests use it for benchmarks that crash on purpose, and a user can keep
    private benchmarks outside the checkout.
    """
    from suite import native_log

    root = str(PROJECT_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    with native_log.quiet_imports():  # the benchmark modules import keras, hence TensorFlow's C++ chatter
        for path in modules_in(BENCHMARKS_DIR):
            importlib.import_module(f"benchmarks.{path.stem}")
        for folder in extra_folders():
            for path in modules_in(folder):
                import_file(path)
    return dict(_REGISTRY)


def extra_folders() -> list[Path]:
    """The folders of ``SUITE_BENCHMARK_PATH`` (``os.pathsep``-separated), whose benchmarks join ``benchmarks/``."""
    return [Path(folder) for folder in filter(None, os.environ.get("SUITE_BENCHMARK_PATH", "").split(os.pathsep))]


def modules_in(directory: Path) -> list[Path]:
    return [path for path in sorted(directory.glob("*.py")) if not path.name.startswith("_")]


def import_file(path: Path) -> None:
    module_name = "suite_extra_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12] + "_" + path.stem
    if module_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)


def registered() -> dict[str, type[Benchmark]]:
    return dict(_REGISTRY)


def get(name: str) -> Benchmark:
    """An instance of the named benchmark; a misspelt name fails with the list of known names."""
    if not _REGISTRY:
        discover()
    try:
        return _REGISTRY[name]()
    except KeyError:
        close = [known for known in _REGISTRY if name.lower() in known.lower()]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"unknown benchmark {name!r}.{hint} `python -m suite list` shows the {len(_REGISTRY)} known ones."
        ) from None


def unregister(name: str) -> None:
    """Remove a benchmark (tests register throwaway classes)."""
    _REGISTRY.pop(name, None)
