"""Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package, checked by its decoded arrays."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import numpy as np

from suite.data.cache import ARRAY_KEYS, CacheCorrupt, DatasetUnavailable, class_count_problems
from suite.data.idx import parse_idx
from suite.data.mnist import MNIST_IDX_FILES, MNIST_SHAPES

#: Fashion-MNIST is balanced.
FASHION_MNIST_CLASS_COUNTS = {"train": (6000,) * 10, "test": (1000,) * 10}
#: Where Debian's ``dataset-fashion-mnist`` puts the original IDX files.
FASHION_MNIST_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)


def _fashion_mnist_dir() -> Path:
    """The folder holding the four IDX files of Debian's ``dataset-fashion-mnist``."""
    candidates = list(FASHION_MNIST_DIRS)
    try:
        listed = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"],
                                capture_output=True, text=True, timeout=30, check=False)
        candidates += [Path(line).parent for line in listed.stdout.splitlines()
                       if line.endswith("train-images-idx3-ubyte.gz")]
    except (OSError, subprocess.TimeoutExpired):
        pass  # not a Debian system: only the usual folder is tried
    for folder in candidates:
        if all((folder / idx.file_name).is_file() for idx in MNIST_IDX_FILES):
            return folder
    raise DatasetUnavailable(
        "Fashion-MNIST is not installed: run `apt install dataset-fashion-mnist` "
        f"(it puts the IDX files in {FASHION_MNIST_DIRS[0]})"
    )


def load() -> dict[str, np.ndarray]:
    """Debian recompressed the files (no name in the gzip header), so their .gz hashes are not the
    upstream ones; we check the decoded arrays instead: shapes, dtypes and the balanced class counts."""
    folder = _fashion_mnist_dir()
    arrays = {}
    for idx in MNIST_IDX_FILES:  # Fashion-MNIST uses MNIST's file names and layout
        try:
            arrays[idx.array_key] = parse_idx(gzip.decompress((folder / idx.file_name).read_bytes()), idx)
        except (OSError, EOFError, gzip.BadGzipFile, CacheCorrupt) as error:
            raise DatasetUnavailable(
                f"cannot read {folder / idx.file_name}: {error}; "
                "reinstall with `apt install --reinstall dataset-fashion-mnist`"
            ) from error
    problems = _fashion_mnist_problems(arrays)
    if problems:
        raise DatasetUnavailable(f"Fashion-MNIST in {folder} is damaged: {'; '.join(problems)}; "
                                 "reinstall with `apt install --reinstall dataset-fashion-mnist`")
    return arrays


def _fashion_mnist_problems(arrays: dict[str, np.ndarray]) -> list[str]:
    problems = [f"{key} has shape {list(arrays[key].shape)}, expected {list(MNIST_SHAPES[key])}"
                for key in ARRAY_KEYS if arrays[key].shape != MNIST_SHAPES[key]]
    return problems + class_count_problems(arrays, FASHION_MNIST_CLASS_COUNTS)


def verify() -> list[str]:
    try:
        load()
    except DatasetUnavailable as error:
        return [str(error)]
    return []
