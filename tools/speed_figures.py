"""Speed figures behind the suite's design choices, measured side by side in one sitting.

Usage: ``python tools/speed_figures.py [--skip-job-overhead]``

Timings on a shared machine drift by tens of percent between identical runs, so each
figure here is a ratio of two variants measured back to back, not an absolute target.
It prints three tables:

1. **Compiled full-batch loop vs ``train_on_batch``** on a toy problem (001-d: 200 points,
   2-3-1 sigmoid net, Adam): steps per second of ``suite.backends.training.full_batch_steps``
   against one ``model.train_on_batch`` call per step.
2. **Full-batch MNIST step vs the matmul roofline**: seconds per optimiser step of a
   60 000 x 784 full batch (the 784-32-10 net of 000-b/004-b) against the FLOPs of the
   step divided by this machine's measured 2048² float32 matmul throughput.
3. **Per-job overhead of the runner** on 002-a (``python -m suite run dlwp_dense512``,
   three seeds, one worker process) against a plain Keras script doing the same
   training in a fresh process per seed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def matmul_gflops(size: int = 2048, repeats: int = 20) -> float:
    """TensorFlow's float32 matmul throughput on this machine, in GFLOP/s."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))

    @tf.function
    def chain(a, b):
        c = a
        for _ in range(repeats):
            c = tf.matmul(c, b) * 1e-3
        return c

    chain(a, b).numpy()
    start = time.perf_counter()
    chain(a, b).numpy()
    seconds = time.perf_counter() - start
    return 2 * size**3 * repeats / seconds / 1e9


def toy_loop_figures(steps: int = 2000) -> dict[str, float]:
    """Steps per second of the compiled loop and of ``train_on_batch`` on 001-d's problem."""
    import keras
    import numpy as np

    from benchmarks import _toy_data
    from benchmarks._flux import FusedAdam
    from suite.backends.training import full_batch_steps

    rng = np.random.default_rng(1)
    inner, outer = _toy_data.generatedata_circle(1, 2, 100, rng=rng)
    x, y = _toy_data.two_class_set(inner, outer, 1.0, -1.0)
    x, y = x.astype("float32"), y.astype("float32")

    def net():
        keras.utils.set_random_seed(1)
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="sigmoid"),
                                 keras.layers.Dense(1)])

    model = net()
    full_batch_steps(model, keras.losses.MeanSquaredError(), FusedAdam(), x, y, 10)  # trace once
    start = time.perf_counter()
    full_batch_steps(model, keras.losses.MeanSquaredError(), FusedAdam(), x, y, steps)
    compiled = steps / (time.perf_counter() - start)

    model = net()
    model.compile(optimizer=keras.optimizers.Adam(0.001, epsilon=1e-8), loss="mse")
    model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps // 4):
        model.train_on_batch(x, y)
    per_call = (steps // 4) / (time.perf_counter() - start)
    return {"compiled_steps_per_s": compiled, "train_on_batch_steps_per_s": per_call,
            "speedup": compiled / per_call}


def mnist_full_batch_figures(steps: int = 20) -> dict[str, float]:
    """Seconds per full-batch step (60 000 x 784, 784-32-10) against the matmul roofline."""
    import keras

    from benchmarks import _flux
    from suite.backends.training import full_batch_steps
    from suite.data import datasets

    data = datasets.load("mnist")
    x = data["x_train"].reshape(-1, 784).astype("float32") / 255
    y = keras.utils.to_categorical(data["y_train"], 10).astype("float32")
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10)])
    full_batch_steps(model, _flux.logit_crossentropy, _flux.adam(0.005), x, y, 2)
    start = time.perf_counter()
    full_batch_steps(model, _flux.logit_crossentropy, _flux.adam(0.005), x, y, steps)
    seconds_per_step = (time.perf_counter() - start) / steps
    # Forward x·W1 and h·W2, backward the two weight gradients and the input gradient of layer 2.
    flops = 2 * 60_000 * (784 * 32 * 2 + 32 * 10 * 3)
    gflops = matmul_gflops()
    return {"seconds_per_step": seconds_per_step, "step_gflop": flops / 1e9, "matmul_gflops": gflops,
            "roofline_seconds": flops / gflops / 1e9,
            "fraction_of_roofline": flops / gflops / 1e9 / seconds_per_step}


PLAIN_KERAS_002A = textwrap.dedent("""
    import sys, time
    start = time.perf_counter()
    import keras, numpy as np
    from suite.data import datasets
    seed = int(sys.argv[1])
    data = datasets.load("mnist")
    x = data["x_train"].reshape(-1, 784).astype("float32") / 255
    y = keras.utils.to_categorical(data["y_train"], 10)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=128, verbose=0)
    print(time.perf_counter() - start)
""")


def job_overhead_figures(seeds: int = 3) -> dict[str, float]:
    """Wall time per seed: the suite's runner (one worker for all jobs) vs a fresh plain script per seed."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "suite", "run", "dlwp_dense512", "--seeds", str(seeds),
                    "--no-report"], cwd=ROOT, check=False, capture_output=True)
    suite_per_seed = (time.perf_counter() - start) / seeds
    start = time.perf_counter()
    for seed in range(1, seeds + 1):
        subprocess.run([sys.executable, "-c", PLAIN_KERAS_002A, str(seed)], cwd=ROOT, check=True,
                       capture_output=True)
    plain_per_seed = (time.perf_counter() - start) / seeds
    return {"suite_seconds_per_seed": suite_per_seed, "plain_script_seconds_per_seed": plain_per_seed,
            "suite_minus_plain": suite_per_seed - plain_per_seed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-job-overhead", action="store_true", help="skip the minute-long table 3")
    options = parser.parse_args(argv)
    tables = {"compiled loop vs train_on_batch (001-d)": toy_loop_figures,
              "full-batch MNIST step vs matmul roofline": mnist_full_batch_figures}
    if not options.skip_job_overhead:
        tables["runner per-job overhead (002-a, 3 seeds)"] = job_overhead_figures
    for title, measure in tables.items():
        print(title)
        for key, value in measure().items():
            print(f"  {key:32s} {value:12.4g}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
