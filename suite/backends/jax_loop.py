"""JAX's compiled full-batch loop: the optimiser steps as ``stateless_call`` in one ``jax.lax.scan`` under ``jax.jit``.

On TensorFlow the n optimiser steps of ``Flux.train!`` run inside one ``tf.function`` with a
``GradientTape``. JAX has no tape and no variables to mutate inside a compiled function, so the same
loop is written the way Keras 3 documents for JAX: the model's and the optimiser's variables are
passed in as arrays (``model.stateless_call``, ``optimizer.stateless_apply``), the steps of a chunk run
in one ``jax.lax.scan`` compiled by ``jax.jit``, and the new values are written back into the Keras
variables after each chunk, so that evaluation, ``model.predict`` and a second call that continues the
training see the trained model. The data are arguments of the compiled function, never constants
baked into it (60 000 MNIST images would be copied into the program).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from suite.backends import chunks


def full_batch_steps(model, loss_fn: Callable, optimizer, x, y, steps: int, *,
                     monitor: Mapping[str, tuple] | None = None, monitor_every: int = 0,
                     chunk_steps: int = 1000, progress: Callable[[int, int], None] | None = None) -> dict[str, list]:
    """``suite.backends.training.full_batch_steps`` on JAX: the same arguments, history and step semantics."""
    import jax
    import jax.numpy as jnp

    chunks.check_steps(steps)
    # An optimiser written for TensorFlow alone (``benchmarks._flux.FusedAdam``) names its Keras equivalent.
    optimizer = optimizer.keras_optimizer() if hasattr(optimizer, "keras_optimizer") else optimizer
    optimizer.build(model.trainable_variables)
    x, y = jnp.asarray(x), jnp.asarray(y)

    def loss_and_state(trainable, non_trainable, x, y):
        predictions, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_fn(y, predictions), non_trainable

    gradient_of = jax.value_and_grad(loss_and_state, has_aux=True)

    def run_chunk(state, x, y, n_steps):
        def step(state, _):
            trainable, non_trainable, optimizer_state = state
            (loss, non_trainable), gradients = gradient_of(trainable, non_trainable, x, y)
            trainable, optimizer_state = optimizer.stateless_apply(optimizer_state, gradients, trainable)
            return (trainable, non_trainable, optimizer_state), loss.astype(jnp.float32)

        return jax.lax.scan(step, state, None, length=n_steps)

    run_chunk = jax.jit(run_chunk, static_argnums=3)

    @jax.jit
    def loss_on(trainable, non_trainable, x_eval, y_eval):
        predictions, _ = model.stateless_call(trainable, non_trainable, x_eval, training=False)
        return loss_fn(y_eval, predictions).astype(jnp.float32)

    def current():
        return ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                [v.value for v in optimizer.variables])

    def write_back(state):
        for variables, values in zip((model.trainable_variables, model.non_trainable_variables,
                                      optimizer.variables), state, strict=True):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(value)

    monitored = {name: (jnp.asarray(mx), jnp.asarray(my)) for name, (mx, my) in dict(monitor or {}).items()}
    state = current()

    def chunk(n):
        nonlocal state
        state, losses = run_chunk(state, x, y, n)
        return jax.device_get(losses)

    history = chunks.run_in_chunks(chunk, lambda mx, my: loss_on(state[0], state[1], mx, my), monitored, steps,
                                   monitor_every=monitor_every, chunk_steps=chunk_steps, progress=progress)
    write_back(state)
    return history
