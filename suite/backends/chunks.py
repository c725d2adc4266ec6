"""The Python side of every backend's full-batch loop: steps run in chunks, the loss history, held-out losses.

Each backend compiles a chunk of optimiser steps its own way (``tensorflow_loop``, ``jax_loop``,
``torch_loop``); between chunks the same thing happens on all of them, written once here: the losses of
the chunk's steps are appended to the history, the held-out sets are evaluated at exact steps, and
progress is reported. That is what makes ``history`` mean the same on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


def check_steps(steps: int) -> None:
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")


def run_in_chunks(run_chunk: Callable[[int], Iterable], loss_on: Callable, monitored: Mapping[str, tuple],
                  steps: int, *, monitor_every: int, chunk_steps: int,
                  progress: Callable[[int, int], None] | None) -> dict[str, list]:
    """Run ``steps`` steps as ``run_chunk(n)`` calls (each returns its n steps' losses); return the history.

    ``loss_on(x, y)`` is the loss of the model as trained so far on a held-out pair of ``monitored``
    (already converted to the backend's tensors), taken every ``monitor_every`` steps and after the last.
    """
    history: dict[str, list] = {"step": [], "loss": []}
    for name in monitored:
        history[f"{name}_loss"] = []
        history[f"{name}_step"] = []
    # Chunks end at every monitoring point so held-out losses are taken at exact steps.
    stride = min(chunk_steps, monitor_every) if monitor_every and monitored else chunk_steps
    done = 0
    while done < steps:
        n = min(stride, steps - done)
        history["loss"].extend(float(v) for v in run_chunk(n))
        history["step"].extend(range(done + 1, done + n + 1))
        done += n
        if monitored and (done % max(monitor_every, 1) == 0 or done == steps):
            for name, (mx, my) in monitored.items():
                history[f"{name}_loss"].append(float(loss_on(mx, my)))
                history[f"{name}_step"].append(done)
        if progress is not None:
            progress(done, steps)
    return history
