"""The IDX format of the original MNIST files: decode it, encode it, and gzip it byte for byte as the originals were.

Why byte for byte: the offline route rebuilds the four original ``.gz`` files from another copy of
the data, and they must match the registered sha256 (which TFDS checks too).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass

import numpy as np

from suite.data.cache import CacheCorrupt, DatasetUnavailable

IMAGE_SIDE_PX = 28
IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049


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


def idx_payload(array: np.ndarray, idx: IdxFile) -> bytes:
    """The raw IDX bytes: big-endian u32 magic, the dimensions, then the uint8 values."""
    magic = IDX_IMAGES_MAGIC if idx.is_images else IDX_LABELS_MAGIC
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def parse_idx(payload: bytes, idx: IdxFile) -> np.ndarray:
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


def gzip_like_original(payload: bytes, idx: IdxFile) -> bytes:
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


def gzip_version() -> str:
    try:
        return subprocess.run(["gzip", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown version"
