"""The convnet of the 003 assignment and its data and evaluation (private: not a benchmark module).

The network is the Keras ``mnist_cnn`` example as the source replicates it in Flux (cells of Question 1-3):

    Conv((3, 3), 1 => 32, pad=(1, 1), relu)
    Conv((3, 3), 32 => 64, pad=(1, 1), relu)
    MaxPool((2, 2))
    Dropout(0.25)
    flatten
    Dense(12544, 128, relu)
    Dropout(0.5)
    Dense(128, 10)
    softmax

``pad=(1, 1)`` keeps 28x28 ("same" padding), so the dense layer sees 14 * 14 * 64 = 12 544 inputs and the
net has 1 625 866 parameters (the Keras example itself uses "valid" padding: 1 199 882). Flux flattens
in column-major WHCN order and Keras in row-major HWC order; that only permutes the rows of the first
dense matrix, the function class is the same. Flux's ``Conv`` initialises with glorot-uniform and zero
bias, as Keras' ``Conv2D`` does.

Both 003 and 001-q use this module, and so do the tests of the helpers.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from benchmarks import _xla_cpu_layers

#: Dropout rates (after the pooling layer, after the dense layer) of the three nets of Question 3.
NO_DROPOUT = (0.0, 0.0)
OPTIMAL_DROPOUT = (0.25, 0.5)  # the Keras example's rates ("optimal" in the source)
HIGH_DROPOUT = (0.6, 0.8)

#: Parameters of the net with "same" padding (dropout has none).
PARAMETER_COUNT = (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (12544 * 128 + 128) + (128 * 10 + 10)


def conv_net(dropout_rates: tuple[float, float] = OPTIMAL_DROPOUT) -> keras.Sequential:
    """The source's ``Chain`` line by line; a zero rate leaves its Dropout layer out, as ``model_no_dropout``."""
    pool_dropout, dense_dropout = dropout_rates
    stack = [
        keras.Input(shape=(28, 28, 1)),
        # Keras' own Conv2D and MaxPooling2D, with gradients XLA computes fast on a CPU (``_xla_cpu_layers``).
        _xla_cpu_layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        _xla_cpu_layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        _xla_cpu_layers.MaxPooling2D((2, 2)),
    ]
    if pool_dropout:
        stack.append(layers.Dropout(pool_dropout))
    stack += [layers.Flatten(), layers.Dense(128, activation="relu")]
    if dense_dropout:
        stack.append(layers.Dropout(dense_dropout))
    stack.append(layers.Dense(10, activation="softmax"))
    return keras.Sequential(stack)


def images(x: np.ndarray) -> np.ndarray:
    """(n, 28, 28) uint8 -> (n, 28, 28, 1) float32 in [0, 1] (MLDatasets' ``traindata(Float32)``)."""
    return (np.asarray(x, dtype="float32") / 255.0)[..., np.newaxis]


def image_arrays(data: dict) -> dict:
    """The four arrays the convnets train on: (n, 28, 28, 1) images in [0, 1] and integer labels."""
    return {
        "x_train": images(data["x_train"]),
        "y_train": np.asarray(data["y_train"], dtype="int64"),
        "x_test": images(data["x_test"]),
        "y_test": np.asarray(data["y_test"], dtype="int64"),
    }


def predict_probabilities(model, x: np.ndarray, *, batch_size: int = 2000) -> np.ndarray:
    """Class probabilities of ``model`` in inference mode, batch by batch.

    Calls the model directly instead of ``model.predict`` so it also works from inside a ``fit``
    callback and under a ``MirroredStrategy`` scope (the variables are mirrored; the forward pass
    runs on the default device).
    """
    outputs = [np.asarray(model(x[start:start + batch_size], training=False))
               for start in range(0, len(x), batch_size)]
    return np.concatenate(outputs) if outputs else np.zeros((0, 10), dtype="float32")


def crossentropy_and_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Flux ``crossentropy`` (mean over the batch, eps(Float32) inside the log) and arg-max accuracy."""
    labels = np.asarray(labels)
    picked = probabilities[np.arange(len(labels)), labels].astype("float64")
    loss = float(np.mean(-np.log(picked + np.finfo(np.float32).eps)))
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels))
    return loss, accuracy
