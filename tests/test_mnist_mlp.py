"""The evaluation helpers of ``benchmarks/_mnist_mlp.py``."""

from __future__ import annotations

import math

import numpy as np

from benchmarks import _mnist_mlp


def test_confusion_matrix_rows_are_true_labels():
    matrix = _mnist_mlp.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 0], classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_misclassified_keeps_data_order_and_the_limit():
    images = np.arange(5 * 2 * 2).reshape(5, 2, 2)
    shown = _mnist_mlp.misclassified(images, [1, 2, 3, 4, 5], [1, 0, 3, 0, 0], shown=2)
    assert shown["misclassified_true"].tolist() == [2, 4]
    assert shown["misclassified_pred"].tolist() == [0, 0]
    assert np.array_equal(shown["misclassified_images"], images[[1, 3]])


def test_peak_loss_and_first_nonfinite_step():
    assert _mnist_mlp.peak_loss([2.0, 3.0, 1.0]) == 3.0
    assert _mnist_mlp.peak_loss([2.0, math.nan, 1.0]) == math.inf
    assert _mnist_mlp.first_nonfinite_step([2.0, 3.0]) == 0
    assert _mnist_mlp.first_nonfinite_step([2.0, math.inf, math.nan]) == 2


def test_sparse_source_curve_places_points_at_their_steps():
    curve = _mnist_mlp.sparse_source_curve({2: 2.35, 4: 0.34}, 4)
    assert math.isnan(curve[0]) and curve[1] == 2.35 and math.isnan(curve[2]) and curve[3] == 0.34


def test_dead_output_units_counts_units_that_are_zero_everywhere():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="relu"), keras.layers.Softmax()])
    # Unit 0 follows x0, unit 1 is always negative, unit 2 follows x1.
    model.layers[0].set_weights([np.array([[1.0, -1.0, 0.0], [0.0, -1.0, 1.0]]), np.array([0.0, -0.5, 0.0])])
    x = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    assert _mnist_mlp.dead_output_units(model, x) == 1
