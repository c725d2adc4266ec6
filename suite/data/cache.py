"""The datasets cache's common ground: its folder, its errors, file hashes and progress lines.

Every dataset module (MNIST, Fashion-MNIST, TFDS) stands on these; none of them knows another's files.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from suite.constants import cache_dir
from suite.files import unusable_folder

ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DatasetUnavailable(RuntimeError):
    """No source could provide the dataset; the message lists what was tried and how to fix it."""


class CacheCorrupt(ValueError):
    """A cache file exists but does not hold what it should."""


class UnknownDataset(ValueError):
    """A dataset name the suite does not know: the user's error, with the known names."""


class CacheUnusable(RuntimeError):
    """The cache folder cannot be created or written: names the folder and the fix."""


def check_cache_folder() -> None:
    problem = unusable_folder(cache_dir())
    if problem:
        raise CacheUnusable(f"the datasets cache {cache_dir()} cannot be used: {problem}; make it writable or "
                            "point SUITE_CACHE_DIR at a writable folder")


def say(message: str) -> None:
    """Progress for the slow steps goes to stderr, so stdout stays clean for the caller."""
    print(message, file=sys.stderr, flush=True)


def downloads_dir() -> Path:
    return cache_dir() / "downloads"


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def class_count_problems(arrays: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]]) -> list[str]:
    problems = []
    for split, expected_counts in expected.items():
        labels = arrays[f"y_{split}"]
        counts = tuple(np.bincount(labels.ravel(), minlength=len(expected_counts)).tolist())
        if counts != expected_counts:
            problems.append(f"{split} class counts are {counts}, expected {expected_counts}")
    return problems
