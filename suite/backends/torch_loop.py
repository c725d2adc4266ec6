"""PyTorch's full-batch loop: each optimiser step as Keras' own torch training step, losses kept on the device.

On TensorFlow the n optimiser steps of ``Flux.train!`` run in one ``tf.function``, on JAX in one
``jax.lax.scan``. PyTorch runs eagerly, so a step here is what Keras' ``TorchTrainer.train_step`` does
with the benchmark's loss: the model called with ``training=True``, the loss's gradients with respect to
the trainable variables by autograd, and ``optimizer.apply`` under ``torch.no_grad()``. The Keras variables
are updated in place, so evaluation, ``model.predict`` and a second call see the trained model. What a
compiled loop saves elsewhere (a trip to Python per step) is kept small by not reading each step's loss
back: the losses stay on the device and are read once per chunk.

``torch.compile`` is not used: compiling the step fuses its kernels, which sums in another order and so
computes other bits than the same step run eagerly, and on the toy problems its compile time exceeds the
whole training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


def full_batch_steps(model, loss_fn: Callable, optimizer, x, y, steps: int, *,
                     monitor: Mapping[str, tuple] | None = None, monitor_every: int = 0,
                     chunk_steps: int = 1000, progress: Callable[[int, int], None] | None = None) -> dict[str, list]:
    """``suite.backends.training.full_batch_steps`` on PyTorch: the same arguments, history and step semantics."""
    import keras
    import torch

    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
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

    history: dict[str, list] = {"step": [], "loss": []}
    monitored = {name: (keras.ops.convert_to_tensor(mx), keras.ops.convert_to_tensor(my))
                 for name, (mx, my) in dict(monitor or {}).items()}
    for name in monitored:
        history[f"{name}_loss"] = []
        history[f"{name}_step"] = []
    # Chunks end at every monitoring point so held-out losses are taken at exact steps.
    stride = min(chunk_steps, monitor_every) if monitor_every and monitored else chunk_steps
    done = 0
    while done < steps:
        n = min(stride, steps - done)
        losses = torch.stack([step() for _ in range(n)]).cpu().numpy()
        history["loss"].extend(float(v) for v in losses)
        history["step"].extend(range(done + 1, done + n + 1))
        done += n
        if monitored and (done % max(monitor_every, 1) == 0 or done == steps):
            for name, (mx, my) in monitored.items():
                history[f"{name}_loss"].append(loss_on(mx, my))
                history[f"{name}_step"].append(done)
        if progress is not None:
            progress(done, steps)
    return history
