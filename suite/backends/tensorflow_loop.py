"""TensorFlow's compiled full-batch loop: the optimiser steps in one ``tf.function`` over a ``tf.while_loop``.

The steps of a chunk run inside one ``tf.function`` with a ``GradientTape``, recording the loss of
every step in a ``TensorArray``, and return to Python only every ``chunk_steps`` steps (to report
progress and to evaluate extra sets when asked): one Python->TensorFlow dispatch per chunk, not per
step, which is what dominates a 200-point problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from suite.backends import chunks


def full_batch_steps(model, loss_fn: Callable, optimizer, x, y, steps: int, *,
                     monitor: Mapping[str, tuple] | None = None, monitor_every: int = 0,
                     chunk_steps: int = 1000, progress: Callable[[int, int], None] | None = None) -> dict[str, list]:
    """``suite.backends.training.full_batch_steps`` on TensorFlow: the same arguments, history and step semantics."""
    import tensorflow as tf

    chunks.check_steps(steps)
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

    monitored = {name: (tf.convert_to_tensor(mx), tf.convert_to_tensor(my)) for name, (mx, my) in
                 dict(monitor or {}).items()}
    return chunks.run_in_chunks(lambda n: run_chunk(tf.constant(n)).numpy(), lambda mx, my: loss_on(mx, my).numpy(),
                                monitored, steps, monitor_every=monitor_every, chunk_steps=chunk_steps,
                                progress=progress)
