"""Pieces shared by the Flux MNIST multilayer-perceptron ports (000, 001 sections 4-5, 004-b/c).

Private (leading underscore): the registry does not import it as a benchmark module.

Flux-vs-Keras facts these helpers encode (see the porting notes of ``sources/experiments.md``):

* ``flux_crossentropy``: old (Tracker-era) Flux ``crossentropy(ŷ, y) = -sum(y .* log.(ŷ)) / size(y, 2)``
  on probabilities, with *no* clipping. Keras' categorical cross-entropy clips at 1e-7, so it can never
  become infinite; this one does as soon as the probability of a true class underflows to 0 (001-o).
  The labels are a Flux ``OneHotMatrix`` of ``Bool``, and in Julia ``false * -Inf == 0``: an underflowed
  probability of a *wrong* class contributes 0 to the loss and to the gradient, never NaN.
* ``flux_adam``: Flux ``ADAM(η)`` has ε = 1e-8 (Keras' default is 1e-7).
* ``flux_mse``: ``mse`` is the mean over all entries, as Keras' ``MeanSquaredError`` on (n, 10).
* ``logit_crossentropy``: newer Flux ``logitcrossentropy`` = Keras ``from_logits=True`` mean over the batch.
"""

from __future__ import annotations

import math

import numpy as np

#: How many misclassified test digits the report's grid shows (the source scrolls through all of them).
MISCLASSIFIED_SHOWN = 40


def flux_crossentropy(y_true, probabilities):
    """Old Flux ``crossentropy``: ``-Σ y·log(p) / batch`` with no epsilon (inf when a true p is 0)."""
    import tensorflow as tf

    return tf.reduce_sum(flux_crossentropy_per_sample(y_true, probabilities)) / tf.cast(
        tf.shape(probabilities)[0], probabilities.dtype)


def flux_crossentropy_per_sample(y_true, probabilities):
    """Per-sample form of ``flux_crossentropy`` for ``model.compile`` (Keras averages over the batch)."""
    import tensorflow as tf

    y_true = tf.cast(y_true, probabilities.dtype)
    # Julia's Bool one-hot is a strong zero: false * log(0) == 0 and so is its derivative false * (1/0).
    # Taking the log of 1 instead of p at the wrong classes gives both; ``tf.where(y > 0, y * log(p), 0)``
    # would not: its gradient is 0 * (1/p), NaN as soon as a wrong class's probability underflows.
    log_p = tf.math.log(tf.where(y_true > 0, probabilities, tf.ones_like(probabilities)))
    return -tf.reduce_sum(y_true * log_p, axis=-1)


def logit_crossentropy(y_true, logits):
    """Newer Flux ``logitcrossentropy(ŷ, y)`` = mean over the batch of ``-Σ y·logsoftmax(ŷ)``."""
    import tensorflow as tf

    return -tf.reduce_mean(tf.reduce_sum(tf.cast(y_true, logits.dtype) * tf.nn.log_softmax(logits), axis=-1))


def flux_mse(y_true, predictions):
    """Flux ``mse``: mean of the squared error over all entries."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(predictions - tf.cast(y_true, predictions.dtype)))


def flux_adam(learning_rate: float = 0.001):
    """Flux ``ADAM(η)``: β = (0.9, 0.999) as Keras, but ε = 1e-8 (Keras' default is 1e-7)."""
    import keras

    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8)


def confusion_matrix(true_labels, predicted_labels, classes: int = 10) -> np.ndarray:
    """(classes, classes) counts, rows = true label, columns = predicted label."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(true_labels, dtype=np.int64), np.asarray(predicted_labels, dtype=np.int64)), 1)
    return counts


def misclassified(images, true_labels, predicted_labels, shown: int = MISCLASSIFIED_SHOWN) -> dict:
    """The first ``shown`` wrong predictions in data order, as the report's artefact keys."""
    true_labels = np.asarray(true_labels)
    predicted_labels = np.asarray(predicted_labels)
    wrong = np.flatnonzero(true_labels != predicted_labels)[:shown]
    return {
        "misclassified_images": np.asarray(images)[wrong],
        "misclassified_true": true_labels[wrong],
        "misclassified_pred": predicted_labels[wrong],
    }


def dead_output_units(model, x, batch_size: int = 10_000) -> int:
    """Units of the last Dense layer whose relu output is 0 on every row of ``x``.

    The 001 networks put a relu *before* the softmax; a unit that dies there can only win the
    arg-max when every other unit is 0 too, so its digit is (nearly) never predicted and the
    accuracy drops by about a tenth per dead unit: the distinct outcomes the references count.
    """
    import keras

    dense_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    last = dense_layers[-1]
    probe = keras.Model(model.inputs, last.output)
    activations = probe.predict(x, batch_size=batch_size, verbose=0)
    return int(np.sum(np.all(activations <= 0.0, axis=0)))


def peak_loss(losses) -> float:
    """The largest loss of a history, ``inf`` when any step was non-finite (Flux stops: "Loss is infinite")."""
    values = [float(v) for v in losses]
    if any(not math.isfinite(v) for v in values):
        return math.inf
    return max(values) if values else math.nan


def first_nonfinite_step(losses) -> int:
    """1-based step whose loss was first inf/NaN; 0 when every loss stayed finite."""
    for step, value in enumerate(losses, start=1):
        if not math.isfinite(float(value)):
            return step
    return 0


def sparse_source_curve(points: dict[int, float], length: int) -> list[float]:
    """A source curve known only at some steps, as a per-step list with NaN elsewhere.

    The report draws ``source_curves[name][i]`` at x = i + 1; the Flux callbacks are throttled
    (printed once a second), so only the first and last printed values have a known step.
    """
    curve = [math.nan] * length
    for step, value in points.items():
        curve[step - 1] = value
    return curve
