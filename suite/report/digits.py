"""Figures of the MNIST benchmarks' artefacts: weight maps, misclassified digits, the confusion matrix."""

from __future__ import annotations

import math

import numpy as np

from suite.report.drawing import pyplot, tick_label, to_data_uri

#: Misclassified digits shown per grid (two rows of eight).
MAX_DIGITS = 16


def mosaic(tiles: np.ndarray, columns: int, pad: int = 2, fill: float = np.nan) -> np.ndarray:
    """(k, h, w) tiles -> one (rows*(h+pad)-pad, columns*(w+pad)-pad) image, padding filled with ``fill``."""
    count, height, width = tiles.shape
    rows = math.ceil(count / columns)
    image = np.full((rows * (height + pad) - pad, columns * (width + pad) - pad), fill, dtype=float)
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + pad), column * (width + pad)
        image[top:top + height, left:left + width] = tiles[index]
    return image


def _tiles(array, name: str) -> np.ndarray:
    tiles = np.asarray(array, dtype=float)
    if tiles.ndim == 2 and tiles.shape[-1] == 784:
        tiles = tiles.reshape(-1, 28, 28)
    if tiles.ndim != 3:
        raise ValueError(f"{name} must be (k, 28, 28), got shape {tiles.shape}")
    return tiles


def _label_tiles(axis, count: int, columns: int, size: tuple[int, int], pad: int, labels: list[str], colour: str):
    height, width = size
    for index in range(count):
        row, column = divmod(index, columns)
        axis.text(column * (width + pad) + width / 2, row * (height + pad) - 0.8, labels[index], ha="center",
                  va="bottom", fontsize=7, color=colour)


def weight_maps(arrays: dict, model: str = "") -> str:
    """The ten softmax-regression weight vectors as 28x28 maps, each on its own symmetric scale
    (red positive, blue negative), like the notebook's ``heatmap(W[i, :])``."""
    plt = pyplot()
    maps = _tiles(arrays["weight_maps"], "weight_maps")
    limits = np.nanmax(np.abs(maps.reshape(len(maps), -1)), axis=1)
    scaled = maps / np.where(limits > 0, limits, 1.0)[:, None, None]
    columns, pad = min(len(maps), 5), 6
    image = mosaic(scaled, columns, pad=pad)
    rows = math.ceil(len(maps) / columns)
    figure, axis = plt.subplots(figsize=(1.25 * columns, 1.4 * rows))
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("white")
    axis.imshow(image, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    _label_tiles(axis, len(maps), columns, maps.shape[1:], pad,
                 [f"W{i + 1} · digit {i}" for i in range(len(maps))], "#333")
    axis.set_ylim(image.shape[0] - 0.5, -pad)
    axis.axis("off")
    return to_data_uri(figure)


def misclassified(arrays: dict, model: str = "") -> str | None:
    """A grid of misclassified test digits, each titled true -> predicted."""
    plt = pyplot()
    images = _tiles(arrays["misclassified_images"], "misclassified_images")
    true = np.ravel(arrays.get("misclassified_true", np.full(len(images), -1)))
    predicted = np.ravel(arrays.get("misclassified_pred", np.full(len(images), -1)))
    shown = min(len(images), MAX_DIGITS)
    if shown == 0:
        return None
    tiles = images[:shown]
    tiles = tiles / (tiles.max() or 1.0)
    columns, pad = min(shown, 8), 9
    image = mosaic(tiles, columns, pad=pad)
    rows = math.ceil(shown / columns)
    figure, axis = plt.subplots(figsize=(0.85 * columns, 0.95 * rows + 0.3))
    cmap = plt.get_cmap("gray_r").copy()
    cmap.set_bad("white")
    axis.imshow(image, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    _label_tiles(axis, shown, columns, tiles.shape[1:], pad,
                 [f"{tick_label(true[i])} → {tick_label(predicted[i])}" for i in range(shown)], "#c62828")
    axis.set_ylim(image.shape[0] - 0.5, -pad)
    axis.set_title(f"first {shown} of {len(images)} misclassified (true → predicted)", fontsize=8)
    axis.axis("off")
    return to_data_uri(figure)


def confusion_table(arrays: dict, model: str = "") -> dict:
    """The confusion matrix as an HTML table (rows = true, columns = predicted), cells shaded by count.

    A table and not a picture: a hundred numbers read better as text, stay sharp, weigh a
    few kilobytes and cost nothing to draw. Off-diagonal cells are shaded red by their
    share of the largest error count, the diagonal green.
    """
    matrix = np.asarray(arrays["confusion_matrix"], dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"confusion_matrix must be square, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("confusion_matrix holds non-finite counts")
    errors = matrix.copy()
    np.fill_diagonal(errors, 0)
    worst = errors.max() or 1.0
    rows = []
    for i in range(matrix.shape[0]):
        cells = []
        for j in range(matrix.shape[1]):
            count = int(matrix[i, j])
            if i == j:
                style = "background:#e8f5e9;color:#1b5e20;font-weight:600"
            elif count:
                alpha = 0.12 + 0.78 * matrix[i, j] / worst
                style = f"background:rgba(198,40,40,{alpha:.2f});color:{'#fff' if alpha > 0.55 else '#222'}"
            else:
                style = "color:#bbb"
            cells.append((count, style))
        rows.append({"label": str(i), "cells": cells, "errors": int(errors[i].sum())})
    total, correct = matrix.sum(), np.trace(matrix)
    return {"columns": [str(j) for j in range(matrix.shape[1])], "rows": rows,
            "summary": f"{int(total - correct)} errors of {int(total)} (accuracy {correct / max(total, 1):.4f})"}
