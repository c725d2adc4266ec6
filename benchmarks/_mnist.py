"""MNIST preprocessing shared by the MNIST benchmarks (private: not a benchmark module)."""

from __future__ import annotations

import numpy as np


def flat_scaled(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n, 784) float32 in [0, 1], as every source does."""
    return images.reshape(len(images), -1).astype("float32") / 255.0


def one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    encoded = np.zeros((len(labels), classes), dtype="float32")
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def subset(data: dict, settings) -> dict:
    """The first ``train_size`` / ``test_size`` images (canonical order) when a tier reduces them."""
    train_size = settings.get("train_size")
    test_size = settings.get("test_size")
    return {
        "x_train": data["x_train"][:train_size] if train_size else data["x_train"],
        "y_train": data["y_train"][:train_size] if train_size else data["y_train"],
        "x_test": data["x_test"][:test_size] if test_size else data["x_test"],
        "y_test": data["y_test"][:test_size] if test_size else data["y_test"],
    }


def flat_one_hot(data: dict) -> dict:
    """The four arrays every MLP source trains on: flattened [0, 1] images and one-hot labels."""
    return {
        "x_train": flat_scaled(data["x_train"]),
        "y_train": one_hot(data["y_train"]),
        "x_test": flat_scaled(data["x_test"]),
        "y_test": one_hot(data["y_test"]),
    }
