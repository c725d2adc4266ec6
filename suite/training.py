"""Training loops shared by the benchmarks.

The Julia notebooks train with ``Flux.train!(loss, params, Iterators.repeated((X, Y), n), opt)``:
n optimiser steps on the same full batch. Ported as n Keras epochs this would pay
Keras' per-epoch overhead n times; ported as n calls of ``train_on_batch`` it pays
one Python->TensorFlow dispatch per step, which dominates a 200-point problem.
``full_batch_steps`` instead runs the steps inside one ``tf.function`` with a
``tf.while_loop``, recording the loss of every step in a ``TensorArray``, and
returns to Python only every ``chunk_steps`` steps (to report progress and to
evaluate extra sets when asked).

That loop is TensorFlow's. On the JAX backend the same call runs ``suite.training_jax``'s loop
(``stateless_call`` under ``jax.jit``), with the same arguments and history; the backend Keras
was loaded with decides, so a benchmark calls ``full_batch_steps`` whatever the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


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
    if _backend() != "tensorflow":
        from suite import training_jax

        return training_jax.full_batch_steps(model, loss_fn, optimizer, x, y, steps, monitor=monitor,
                                             monitor_every=monitor_every, chunk_steps=chunk_steps,
                                             progress=progress)
    import tensorflow as tf

    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    x = tf.convert_to_tensor(x)
    y = tf.convert_to_tensor(y)
    variables = model.trainable_variables
    optimizer.build(variables)

    @tf.function(reduce_retracing=True)
    def run_chunk(n_steps):
        losses = tf.TensorArray(tf.float32, size=n_steps)

        def body(i, losses):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            gradients = tape.gradient(loss, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            return i + 1, losses.write(i, tf.cast(loss, tf.float32))

        _, losses = tf.while_loop(lambda i, _: i < n_steps, body, (tf.constant(0), losses))
        return losses.stack()

    @tf.function(reduce_retracing=True)
    def loss_on(x_eval, y_eval):
        return tf.cast(loss_fn(y_eval, model(x_eval, training=False)), tf.float32)

    history: dict[str, list] = {"step": [], "loss": []}
    monitor = dict(monitor or {})
    monitored = {name: (tf.convert_to_tensor(mx), tf.convert_to_tensor(my)) for name, (mx, my) in monitor.items()}
    for name in monitored:
        history[f"{name}_loss"] = []
        history[f"{name}_step"] = []
    # Chunks end at every monitoring point so held-out losses are taken at exact steps.
    stride = min(chunk_steps, monitor_every) if monitor_every and monitored else chunk_steps
    done = 0
    while done < steps:
        n = min(stride, steps - done)
        losses = run_chunk(tf.constant(n)).numpy()
        history["loss"].extend(float(v) for v in losses)
        history["step"].extend(range(done + 1, done + n + 1))
        done += n
        if monitored and (done % max(monitor_every, 1) == 0 or done == steps):
            for name, (mx, my) in monitored.items():
                history[f"{name}_loss"].append(float(loss_on(mx, my).numpy()))
                history[f"{name}_step"].append(done)
        if progress is not None:
            progress(done, steps)
    return history


def final_loss(model, loss_fn: Callable, x, y) -> float:
    """The loss after training (the number the notebooks print with ``loss(X, Y)``)."""
    if _backend() != "tensorflow":
        import keras

        loss = loss_fn(keras.ops.convert_to_tensor(y), model(keras.ops.convert_to_tensor(x), training=False))
        return float(keras.ops.convert_to_numpy(loss))
    import tensorflow as tf

    return float(loss_fn(tf.convert_to_tensor(y), model(tf.convert_to_tensor(x), training=False)).numpy())


def under_data_parallel() -> bool:
    """Whether the job runs data parallel: under a ``tf.distribute`` strategy, or a Keras ``DataParallel``."""
    if _backend() == "tensorflow":
        import tensorflow as tf

        return tf.distribute.has_strategy()
    import keras

    return keras.distribution.distribution() is not None


def _backend() -> str:
    import keras

    return keras.backend.backend()


def accuracy(model, x, y_labels, *, batch_size: int = 10_000) -> float:
    """Fraction of rows whose arg-max prediction equals the integer label."""
    predictions = predict_labels(model, x, batch_size=batch_size)
    return float(np.mean(predictions == np.asarray(y_labels)))


def predict_labels(model, x, *, batch_size: int = 10_000) -> np.ndarray:
    scores = model.predict(x, batch_size=batch_size, verbose=0)
    return np.argmax(scores, axis=1)
