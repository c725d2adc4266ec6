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

    from suite.backends.training import full_batch_steps

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


# -- the JAX forms: the same formulas as the TensorFlow ones --------------------------------------
_LOSS_INPUTS = {
    "y": [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
    # Row 2 has a wrong class underflowed to 0 (a Julia strong zero); row 3 a true class at 0 (inf).
    "p": [[0.2, 0.7, 0.1], [0.9, 0.0, 0.1], [0.5, 0.5, 0.0]],
    "logits": [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0], [0.1, 0.2, 0.3]],
}

_BOTH_BACKENDS_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import keras
import numpy as np
from benchmarks import _flux
from suite.backends.training import full_batch_steps

inputs = json.loads(sys.argv[2])
y, p, logits = (np.asarray(inputs[key], dtype="float32") for key in ("y", "p", "logits"))
finite = slice(0, 2)  # rows without an infinite loss, for the gradient
result = {
    "backend": keras.backend.backend(),
    "crossentropy": float(_flux.crossentropy(y, p)),
    "crossentropy_finite": float(_flux.crossentropy(y[finite], p[finite])),
    "per_sample": [float(v) for v in keras.ops.convert_to_numpy(_flux.crossentropy_per_sample(y, p))],
    "logit_crossentropy": float(_flux.logit_crossentropy(y, logits)),
    "mse": float(_flux.mse(y, p)),
}
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 2)).astype("float32")
target = (x[:, :1] * x[:, 1:]).astype("float32")
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="sigmoid"), keras.layers.Dense(1)])
model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
optimizer = _flux.FusedAdam()
history = full_batch_steps(model, _flux.mse, optimizer, x, target, 20)
history_more = full_batch_steps(model, _flux.mse, optimizer, x, target, 5)  # continues: moments carry over
result["losses"] = history["loss"] + history_more["loss"]
result["weights"] = [float(v) for w in model.get_weights() for v in np.ravel(w)]
print("RESULT " + json.dumps(result))
"""


def _losses_and_training_on(backend: str) -> dict:
    import json
    import os
    import subprocess
    import sys

    from suite.constants import PROJECT_ROOT

    completed = subprocess.run([sys.executable, "-c", _BOTH_BACKENDS_SCRIPT, str(PROJECT_ROOT), json.dumps(_LOSS_INPUTS)],
                               env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr[-4000:]
    result = json.loads(next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))[7:])
    assert result["backend"] == backend
    return result


def test_the_jax_forms_compute_what_the_tensorflow_ones_do():
    """Losses, infinities, strong zeros and 25 Adam steps (FusedAdam on TF, its Keras Adam on JAX) agree."""
    pytest.importorskip("jax")
    tensorflow, jax = _losses_and_training_on("tensorflow"), _losses_and_training_on("jax")
    assert tensorflow["crossentropy"] == jax["crossentropy"] == math.inf
    assert tensorflow["per_sample"][2] == jax["per_sample"][2] == math.inf
    assert jax["per_sample"][1] == pytest.approx(-math.log(0.9), rel=1e-6)  # the underflowed wrong class adds 0
    for key in ("crossentropy_finite", "logit_crossentropy", "mse"):
        assert jax[key] == pytest.approx(tensorflow[key], rel=1e-6), key
    assert jax["per_sample"][:2] == pytest.approx(tensorflow["per_sample"][:2], rel=1e-6)
    assert len(jax["losses"]) == 25
    assert jax["losses"] == pytest.approx(tensorflow["losses"], rel=1e-5)
    assert jax["weights"] == pytest.approx(tensorflow["weights"], rel=1e-4, abs=1e-6)
