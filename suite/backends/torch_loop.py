"""PyTorch's full-batch loop: each optimiser step as Keras' own torch training step, losses kept on the device.

On TensorFlow the n optimiser steps of ``Flux.train!`` run in one ``tf.function``, on JAX in one
``jax.lax.scan``. PyTorch runs eagerly, so a step here is what Keras' ``TorchTrainer.train_step`` does
with the benchmark's loss: the model called with ``training=True``, the loss's gradients with respect to
the trainable variables by autograd, and ``optimizer.apply`` under ``torch.no_grad()``. The Keras variables
are updated in place, so evaluation, ``model.predict`` and a second call see the trained model. What a
compiled loop saves elsewhere (a trip to Python per step) is kept small by not reading each step's loss
back: the losses stay on the device and are read once per chunk.

``torch.compile`` is not used: it changes numbers and does not pay. Measured on a 200-point toy (2-8-1
sigmoid MLP, Flux mse, Adam, 2 000 steps, one thread; torch 2.14.1, 2026-12-06): eager 1.4 s; the forward
pass and loss under ``torch.compile`` 23.4 s with its compilation, and the fused kernels sum in another
order, so the final loss differed in its last bits (0.0082967868 against 0.0082967831) and so did the weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from suite.backends import chunks


def full_batch_steps(model, loss_fn: Callable, optimizer, x, y, steps: int, *,
                     monitor: Mapping[str, tuple] | None = None, monitor_every: int = 0,
                     chunk_steps: int = 1000, progress: Callable[[int, int], None] | None = None) -> dict[str, list]:
    """``suite.backends.training.full_batch_steps`` on PyTorch: the same arguments, history and step semantics."""
    import keras
    import torch

    chunks.check_steps(steps)
    # An optimiser written for TensorFlow alone (``benchmarks._flux.FusedAdam``) names its Keras equivalent.
    optimizer = optimizer.keras_optimizer() if hasattr(optimizer, "keras_optimizer") else optimizer
    variables = list(model.trainable_variables)
    optimizer.build(variables)
    x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)

    def step():
        loss = loss_fn(y, model(x, training=True))
        gradients = torch.autograd.grad(loss, [variable.value for variable in variables], allow_unused=True)
        with torch.no_grad():
            optimizer.apply(list(gradients), variables)
        return loss.detach().to(torch.float32)

    def loss_on(x_eval, y_eval) -> float:
        with torch.no_grad():
            return float(loss_fn(y_eval, model(x_eval, training=False)).to(torch.float32).cpu())

    monitored = {name: (keras.ops.convert_to_tensor(mx), keras.ops.convert_to_tensor(my))
                 for name, (mx, my) in dict(monitor or {}).items()}
    return chunks.run_in_chunks(lambda n: torch.stack([step() for _ in range(n)]).cpu().numpy(), loss_on, monitored,
                                steps, monitor_every=monitor_every, chunk_steps=chunk_steps, progress=progress)
