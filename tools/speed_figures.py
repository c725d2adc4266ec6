"""Speed figures behind the suite's design choices, measured side by side in one sitting.

Usage: ``python tools/speed_figures.py [--only-one-seed-run | --skip-one-seed-run] [--backend NAME]``

Timings on a shared machine drift by tens of percent between identical runs, so each
figure here is a ratio of two variants measured back to back, not an absolute target.
It prints three tables:

1. **Compiled full-batch loop vs ``train_on_batch``** on a toy problem (001-d: 200 points,
   2-3-1 sigmoid net, Adam): steps per second of ``suite.backends.training.full_batch_steps``
   against one ``model.train_on_batch`` call per step.
2. **Full-batch MNIST step vs the matmul roofline**: seconds per optimiser step of a
   60 000 x 784 full batch (the 784-32-10 net of 000-b/004-b) against the FLOPs of the
   step divided by this machine's measured 2048² float32 matmul throughput.
3. **A one-seed run against a plain Keras script**, per backend: ``python -m suite run
   dlwp_dense512 --seeds 1 --no-report`` (002-a at the full tier) and a script that trains the
   same model on the same data with the same seed, each timed as a whole process, in turns,
   three pairs; the two must land on the same metrics.
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


#: 002-a as a plain Keras script: the same data, seed, model and training as ``dlwp_dense512`` at the full
#: tier (``steps_per_execution=32`` included, and TensorFlow's op determinism, as the keras-io recipe and the
#: suite's default run set it), ending with the metrics the suite records, so the two can be checked equal.
PLAIN_KERAS_002A = textwrap.dedent("""
    import json, sys
    import keras
    from suite.data import datasets
    seed = int(sys.argv[1])
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
    data = datasets.load("mnist")
    x_train = data["x_train"].reshape(-1, 784).astype("float32") / 255
    x_test = data["x_test"].reshape(-1, 784).astype("float32") / 255
    y_train = keras.utils.to_categorical(data["y_train"], 10)
    y_test = keras.utils.to_categorical(data["y_test"], 10)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=32)
    history = model.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0).history
    test = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(json.dumps({"test_accuracy": test["accuracy"], "test_loss": test["loss"],
                      "train_accuracy": history["accuracy"][-1], "train_loss": history["loss"][-1]}))
""")
#: The metrics both print: equal to the last digit when the suite and the script train the same way.
COMPARED_METRICS = ("test_accuracy", "test_loss", "train_accuracy", "train_loss")


def _whole_process_seconds(command: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, completed


def one_seed_run_figures(backend: str, pairs: int = 3) -> dict[str, float]:
    """``python -m suite run dlwp_dense512 --seeds 1 --no-report`` against the plain script, whole processes.

    Taken in turns (suite, script, suite, script, ...) so that a drift of the machine's speed falls on both;
    the ratio is the median of the pairs' ratios. Both train seed 1, and their metrics must be equal: a speed
    figure of two programs that compute different things would mean nothing.
    """
    import json
    import os
    import statistics
    import tempfile

    from suite.records import reading

    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    suite_command = [sys.executable, "-m", "suite", "run", "dlwp_dense512", "--tier", "full", "--seeds", "1",
                     "--no-report", "--backend", backend]
    plain_command = [sys.executable, "-c", PLAIN_KERAS_002A, "1"]
    subprocess.run([sys.executable, "-m", "suite", "list"], cwd=ROOT, env=env, capture_output=True, check=True)
    suite_s, plain_s = [], []
    with tempfile.TemporaryDirectory() as reports:
        env["SUITE_REPORTS_DIR"] = reports
        for _ in range(pairs):
            seconds, completed = _whole_process_seconds(suite_command, env)
            if completed.returncode not in (0, 1):
                raise SystemExit(f"the suite's run failed: {completed.stderr[-2000:]}")
            suite_s.append(seconds)
            seconds, completed = _whole_process_seconds(plain_command, env)
            if completed.returncode != 0:
                raise SystemExit(f"the plain script failed: {completed.stderr[-2000:]}")
            plain_s.append(seconds)
            plain_metrics = json.loads(completed.stdout.strip().splitlines()[-1])
        runs = sorted((Path(reports) / "runs").iterdir())
        suite_metrics = reading.load_records(runs[-1])[0]["metrics"]
    different = {name: (suite_metrics.get(name), plain_metrics[name]) for name in COMPARED_METRICS
                 if suite_metrics.get(name) != plain_metrics[name]}
    if different:
        raise SystemExit(f"the suite and the plain script computed different numbers on {backend}: {different}")
    ratios = [a / b for a, b in zip(suite_s, plain_s)]
    return {"suite_seconds_median": statistics.median(suite_s), "plain_script_seconds_median": statistics.median(plain_s),
            "ratio_median_of_pairs": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "test_accuracy_both": suite_metrics["test_accuracy"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only-one-seed-run", action="store_true", help="only table 3 (the suite against a script)")
    parser.add_argument("--skip-one-seed-run", action="store_true", help="skip table 3 (minutes)")
    parser.add_argument("--backend", action="append", choices=("tensorflow", "jax"),
                        help="table 3 on this backend (repeat for both; default: both)")
    options = parser.parse_args(argv)
    tables = {}
    if not options.only_one_seed_run:
        tables["compiled loop vs train_on_batch (001-d)"] = toy_loop_figures
        tables["full-batch MNIST step vs matmul roofline"] = mnist_full_batch_figures
    if not options.skip_one_seed_run:
        for backend in options.backend or ("tensorflow", "jax"):
            tables[f"one-seed run of 002-a vs a plain Keras script, whole processes ({backend}, 3 pairs)"] = (
                lambda backend=backend: one_seed_run_figures(backend))
    for title, measure in tables.items():
        print(title)
        for key, value in measure().items():
            print(f"  {key:32s} {value:12.4g}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
