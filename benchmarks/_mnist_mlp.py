"""Pieces shared by the Flux MNIST multilayer-perceptron ports (000, 001 sections 4-5, 004-b/c).

Private (leading underscore): the registry does not import it as a benchmark module. The Flux
optimisers and losses these ports train with are in ``_flux``; this module holds their networks'
common form (``softmax_chain``, ``dense_parameter_count``), what they measure afterwards (confusion
matrix, misclassified digits, dead output units, divergence) and the sparse source curves the report draws.
"""

from __future__ import annotations

import math

import numpy as np

#: How many misclassified test digits the report's grid shows (the source scrolls through all of them).
MISCLASSIFIED_SHOWN = 40


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


def softmax_chain(hidden_layers=(), *, output_activation: str | None = None):
    """``Chain(Dense(784, w₁, σ₁), …, Dense(wₖ, 10, σ_out), softmax)``, the form of every Flux MNIST net here.

    ``hidden_layers`` lists (width, activation) of the Dense layers between the input and the 10-unit
    output layer (none for softmax regression); ``output_activation`` is that layer's (some sources put
    a relu before the softmax). Layers are created in the Chain's order, so the initial weights a seed
    draws are those of the same net written out layer by layer.
    """
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28 * 28,)),
        *[layers.Dense(width, activation=activation) for width, activation in hidden_layers],
        layers.Dense(10, activation=output_activation),
        layers.Softmax(),
    ])


def dense_parameter_count(*widths: int) -> int:
    """Weights and biases of a chain of Dense layers whose widths, input first, are ``widths``."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(widths, widths[1:]))


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
