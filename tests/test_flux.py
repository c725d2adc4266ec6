"""The Flux optimisers and losses of ``benchmarks/_flux.py``: Flux's numbers, not Keras' defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import _flux


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


def test_flux_optimisers_have_flux_defaults():
    adadelta = _flux.adadelta()
    assert float(adadelta.learning_rate) == 1.0 and adadelta.rho == 0.9 and adadelta.epsilon == 1e-8
    adam = _flux.adam()
    assert float(adam.learning_rate) == pytest.approx(0.001) and adam.epsilon == 1e-8


def test_fused_adam_takes_the_same_steps_as_keras_adam():
    # The toys train with the fused kernel; it must be Flux's ADAM() as _flux.adam() is.
    import keras

    from suite.training import full_batch_steps

    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    y = (x[:, :1] * x[:, 1:]).astype("float32")
    weights = []
    for optimizer in (_flux.FusedAdam(), _flux.adam()):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="sigmoid"),
                                  keras.layers.Dense(1)])
        full_batch_steps(model, _flux.mse, optimizer, x, y, 20)
        weights.append(np.concatenate([w.reshape(-1) for w in model.get_weights()]))
    assert weights[0] == pytest.approx(weights[1], rel=1e-4, abs=1e-6)


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
