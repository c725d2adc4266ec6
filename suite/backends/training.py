"""Training loops shared by the benchmarks, on whichever backend Keras was loaded with.

The Julia notebooks train with ``Flux.train!(loss, params, Iterators.repeated((X, Y), n), opt)``:
n optimiser steps on the same full batch. Ported as n Keras epochs this would pay
Keras' per-epoch overhead n times; ported as n calls of ``train_on_batch`` it pays
one Python->framework dispatch per step, which dominates a 200-point problem.
``full_batch_steps`` instead runs the steps in one compiled loop of the backend (a
``tf.while_loop`` in a ``tf.function`` on TensorFlow, a ``jax.lax.scan`` under ``jax.jit`` on
JAX: ``Backend.full_batch_steps``), returning to Python only every ``chunk_steps`` steps (to
report progress and to evaluate extra sets when asked). A benchmark calls the same function
whatever the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from suite import backends


def full_batch_steps(
    model,
    loss_fn: Callable,
    optimizer,
    x,
    y,
    steps: int,
    *,
    monitor: Mapping[str, tuple] | None = None,
    monitor_every: int = 0,
    chunk_steps: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list]:
    """Take ``steps`` optimiser steps on the full batch ``(x, y)``; return the loss history.

    ``history["loss"][i]`` is the training loss *before* step i+1 is applied (as Flux's
    callback-free loop would compute it), ``history["step"]`` counts from 1.
    ``monitor`` maps a name to ``(x, y)`` pairs whose loss is evaluated every
    ``monitor_every`` steps (and after the last step): the held-out curves the
    sources plot. A non-finite loss does not stop the loop: divergence is a result.
    """
    return backends.current().full_batch_steps(model, loss_fn, optimizer, x, y, steps, monitor=monitor,
                                               monitor_every=monitor_every, chunk_steps=chunk_steps,
                                               progress=progress)


def final_loss(model, loss_fn: Callable, x, y) -> float:
    """The loss after training (the number the notebooks print with ``loss(X, Y)``)."""
    return backends.current().final_loss(model, loss_fn, x, y)


def under_data_parallel() -> bool:
    """Whether the job runs data parallel (``MirroredStrategy`` on TensorFlow, ``DataParallel`` on JAX)."""
    return backends.current().under_data_parallel()


def accuracy(model, x, y_labels, *, batch_size: int = 10_000) -> float:
    """Fraction of rows whose arg-max prediction equals the integer label."""
    import numpy as np  # here, not at the top: the driver lists the backends without an array library

    predictions = predict_labels(model, x, batch_size=batch_size)
    return float(np.mean(predictions == np.asarray(y_labels)))


def predict_labels(model, x, *, batch_size: int = 10_000):
    """The arg-max class of every row (a NumPy array)."""
    import numpy as np

    scores = model.predict(x, batch_size=batch_size, verbose=0)
    return np.argmax(scores, axis=1)
