"""The Flux-faithful losses and optimisers of ``benchmarks/_flux.py`` and the small helpers of ``benchmarks/_mnist_mlp.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import _flux, _mnist_mlp


def test_flux_crossentropy_is_mean_over_batch_of_minus_log_true_probability():
    y = np.array([[0, 1, 0], [1, 0, 0]], dtype="float32")
    p = np.array([[0.2, 0.5, 0.3], [0.25, 0.25, 0.5]], dtype="float32")
    expected = -(math.log(0.5) + math.log(0.25)) / 2
    assert float(_flux.crossentropy(y, p)) == pytest.approx(expected, rel=1e-6)
    per_sample = _flux.crossentropy_per_sample(y, p).numpy()
    assert per_sample == pytest.approx([-math.log(0.5), -math.log(0.25)], rel=1e-6)


def test_flux_crossentropy_is_infinite_when_a_true_probability_underflows():
    # Old Flux has no epsilon: 001-o's "Loss is infinite" needs this.
    y = np.array([[0, 1, 0]], dtype="float32")
    p = np.array([[1.0, 0.0, 0.0]], dtype="float32")
    assert float(_flux.crossentropy(y, p)) == math.inf


def test_flux_crossentropy_ignores_underflow_of_wrong_classes_like_julia_bools():
    # false * -Inf == 0 in Julia: a zero probability of a wrong class must not give NaN.
    y = np.array([[0, 1, 0]], dtype="float32")
    p = np.array([[0.0, 1.0, 0.0]], dtype="float32")
    assert float(_flux.crossentropy(y, p)) == 0.0


def test_logit_crossentropy_matches_softmax_crossentropy():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]], dtype="float32")
    y = np.array([[1, 0, 0], [0, 1, 0]], dtype="float32")
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[[0, 1], [0, 1]]))
    assert float(_flux.logit_crossentropy(y, logits)) == pytest.approx(expected, rel=1e-5)


def test_flux_mse_is_mean_over_all_entries():
    y = np.zeros((2, 2), dtype="float32")
    p = np.array([[1.0, 0.0], [0.0, 3.0]], dtype="float32")
    assert float(_flux.mse(y, p)) == pytest.approx(10.0 / 4)


def test_flux_adam_has_fluxs_epsilon():
    optimizer = _flux.adam(0.005)
    assert optimizer.epsilon == 1e-8
    assert float(optimizer.learning_rate) == pytest.approx(0.005)


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


def test_flux_crossentropy_gradient_stays_finite_when_a_wrong_class_underflows():
    # The gradient of Julia's false * log(p) is false * (1/p) == 0; a NaN here poisoned 001-l.
    import tensorflow as tf

    y = tf.constant([[0.0, 1.0, 0.0]])
    p = tf.Variable([[0.0, 0.9, 0.1]])
    with tf.GradientTape() as tape:
        loss = _flux.crossentropy(y, p)
    gradient = tape.gradient(loss, p).numpy()
    assert np.all(np.isfinite(gradient))
    assert gradient[0, 1] == pytest.approx(-1 / 0.9)
