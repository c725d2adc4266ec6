"""Any tensorflow-datasets dataset (``tfds:NAME``) as whole arrays, with ``tfds:mnist`` prepared from our verified files."""

from __future__ import annotations

import numpy as np

from suite.constants import cache_dir
from suite.data import mnist
from suite.data.cache import DatasetUnavailable, say


def load(tfds_name: str) -> dict[str, np.ndarray]:
    """Any TFDS dataset with ``train`` and ``test`` splits; ``mnist`` is prepared from our IDX files.

    For ``mnist`` the four files are verified *before* TFDS sees them: with a file missing TFDS retries
    the network and hangs for minutes; with a wrong one it raises ``NonMatchingChecksumError``.
    """
    import tensorflow_datasets as tfds  # slow to import, and only this path needs it

    load_kwargs = {}
    if tfds_name == "mnist":
        idx_dir = mnist.ensure_idx_files()
        still_missing = mnist.missing_idx_files(idx_dir)
        if still_missing:
            raise DatasetUnavailable(f"MNIST IDX files not verified in {idx_dir}: "
                                     f"{', '.join(idx.file_name for idx in still_missing)}")
        download_config = tfds.download.DownloadConfig(manual_dir=str(idx_dir))
        load_kwargs["download_and_prepare_kwargs"] = {"download_config": download_config}
    say(f"loading {tfds_name} through tensorflow-datasets (the first time prepares it)...")
    splits = tfds.load(tfds_name, split=["train", "test"], batch_size=-1, as_supervised=True,
                       data_dir=str(cache_dir() / "tfds"), **load_kwargs)
    train, test = tfds.as_numpy(splits)
    return {"x_train": train[0], "y_train": train[1], "x_test": test[0], "y_test": test[1]}
