"""Judging helpers shared by the toy benchmarks (001-a..j, 004-a); private module.

The notebooks train with ``Flux.train!(loss, params(m), Iterators.repeated((X, Y), n), ADAM())``:
n full-batch steps of Adam on the mean squared error, which the benchmarks call directly as
``suite.backends.training.full_batch_steps`` with ``_flux``'s mse and Adam. What they share afterwards is
here: the model's outputs, the threshold accuracy and the decision-boundary picture.
"""

from __future__ import annotations

import numpy as np


def outputs(model, x) -> np.ndarray:
    """The model's output for every row of ``x`` in one call (no Keras batching), flattened."""
    return np.asarray(model(np.asarray(x, dtype="float32"), training=False)).reshape(-1)


def threshold_accuracy(model, x, y, threshold: float) -> float:
    """Fraction of points on the right side of the decision threshold τ.

    The notebooks draw ``sign.(m(x) .- τ)`` as a grey-scale heatmap: the class above τ
    is white, everything else dark. A point counts as right when its output is above τ
    exactly when its label is; an output equal to τ (a dead relu unit giving 0 with
    τ = 0) therefore counts as the lower class, as it is drawn.
    """
    predicted_upper = outputs(model, x) > threshold
    labelled_upper = np.asarray(y).reshape(-1) > threshold
    return float(np.mean(predicted_upper == labelled_upper))


def decision_artefacts(model, x, y, threshold: float, extent: tuple[float, float, float, float],
                       resolution: int) -> dict[str, np.ndarray]:
    """The source's ``display_decision_boundaries``: the model on a grid plus the training points.

    ``D = [m([x1; x2]) for x2 in x2range, x1 in x1range]``: rows follow x2, columns x1,
    both ``range(lo, stop=hi, length=resolution)``.
    """
    x_min, x_max, y_min, y_max = extent
    x1 = np.linspace(x_min, x_max, resolution)
    x2 = np.linspace(y_min, y_max, resolution)
    grid_x1, grid_x2 = np.meshgrid(x1, x2)  # (resolution, resolution), row index = x2
    grid = np.stack([grid_x1.ravel(), grid_x2.ravel()], axis=1)
    return {
        "decision_grid": outputs(model, grid).reshape(resolution, resolution).astype("float32"),
        "decision_extent": np.asarray(extent, dtype="float32"),
        "decision_threshold": np.asarray(threshold, dtype="float32"),
        "points": np.asarray(x, dtype="float32"),
        "point_labels": np.asarray(y, dtype="float32").reshape(-1),
    }
