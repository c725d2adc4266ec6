"""'Learn2Classify', sections 2-3: two-class toy problems (source 001_48965531ca7b644d.txt, 001-a..j).

The notebook (Julia, Tracker-era Flux) trains tiny networks on two noisy circles
(``generatedata_circle(2, 0.5, 100)``, In [2]-[5]) and on two spiral arms
(``generatedata_spiral(±1, 1, 100)``, In [35]-[37]), always with the mean squared
error and ``ADAM()`` (lr 0.001) for n full-batch steps (``Iterators.repeated((X, Y), n)``).
It shows what fails (a linear unit, one relu or sigmoid unit, a relu output with ±1
labels) and what separates (one hidden sigmoid layer, 0/1 labels, deeper nets on the
spiral). Every experiment here reproduces one cell; the failures are claims too.

Port notes that hold for every class below:
* Flux ``ADAM()`` has ε = 1e-8, Keras' Adam 1e-7: ``_flux.FusedAdam`` uses 1e-8, as one fused
  ``ResourceApplyAdam`` kernel per variable (the Keras Adam update, ~1.5x faster here; see
  its docstring).
* Flux ``Dense`` initialises weights glorot-uniform and biases zero, as Keras does; the
  draws differ (another RNG), so a seed here is not the notebook's run.
* The notebook computed in Float64 (its data) with Float32 weights; the port is Float32.
* "Accuracy" is not printed by the notebook: it shows the boundary ``sign.(m(x) .- τ)``.
  ``train_accuracy`` is the fraction of training points on the right side of τ
  (τ = 0 for ±1 labels, 0.5 for 0/1 labels); "separates" means at most one point of
  200 on the wrong side (>= 0.995), "fails" means more than 20 (<= 0.9).
* Placement ``cpu``: a 200-point full-batch step is dominated by launch overhead on a GPU.

How the port's seeds landed on each one-sided claim below (seeds 1-5, with the stack and date) is data:
``observed`` in ``baselines/full.json``, quoted at the end of the claim's note.

Data facts that set the accuracy bounds: the circles (radii 2 and 0.5, σ = 0.1) are
always separable (the gap is 15 σ), so 1.0 is reachable; the two spiral arms both start
at θ = 0, i.e. one point of each class sits at the origin, so at most 199 of 200 points
(0.995) can be right, and with 0/1 labels the best MSE of that pair is
(0.5² + 0.5²)/200 = 0.00125: 001-i's printed 0.0025 is close to that floor.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from benchmarks import _flux, _toy_data, _toy_training
from suite import Benchmark, Outcome, Reference, Settings, Source, register
from suite.artefacts import prefixed
from suite.backends.training import final_loss, full_batch_steps
from suite.reference import SeedOutcome as OutcomeRange

DOCUMENT = "001_48965531ca7b644d.txt"
#: At most one of the 200 points on the wrong side of the threshold.
SEPARATES = 0.995
#: More than 20 of the 200 points on the wrong side: "does not learn".
FAILS = 0.9
#: A net that separates the circles ends near 0.01 (001-d: 0.0075); the failing cells end at
#: 0.83-1.19, and the notebook itself names 0.5 as the floor of the relu-output net (001-g).
FAILING_LOSS = 0.5
CIRCLE_EXTENT = (-3.0, 3.0, -3.0, 3.0)  # x1range = x2range = range(-3; stop=3, length=200)
SPIRAL_EXTENT = (-20.0, 20.0, -20.0, 20.0)  # range(-20; stop=20, length=100)


class _TwoClassToy(Benchmark):
    """Common frame: load one of the two data sets, train n full-batch Adam steps, judge the boundary."""

    tags = ("toy", "circles")
    dataset = None  # generated data
    placement = "cpu"  # a 200-point full-batch step is dominated by launch overhead on a GPU
    estimated_seconds = {"full": 5.0, "quick": 3.0, "smoke": 2.0}

    def load_data(self, settings, seed):
        if settings.data == "circles":
            rng = np.random.default_rng(seed)
            class_1, class_2 = _toy_data.generatedata_circle(2, 0.5, 100, 0.1, rng=rng)
        else:  # deterministic: every seed trains on the same spirals
            class_1 = _toy_data.generatedata_spiral(1, 1, 100)
            class_2 = _toy_data.generatedata_spiral(-1, 1, 100)
        x, y = _toy_data.two_class_set(class_1, class_2, *settings.labels)
        return {"x": x, "y": y}

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        model = self.build_model(settings)
        # Flux.train!(loss, params(m), Iterators.repeated((X, Y), n), ADAM()) with loss(x, y) = mse(m(x), y)
        history = full_batch_steps(model, _flux.mse, _flux.FusedAdam(), data["x"], data["y"], settings.steps,
                                   progress=self.report_progress)
        metrics = self.judge(model, data, settings)
        artefacts = _toy_training.decision_artefacts(model, data["x"], data["y"], settings.threshold,
                                                     settings.extent, settings.resolution)
        return Outcome(metrics, history, artefacts, model.get_weights())

    @staticmethod
    def judge(model, data, settings) -> dict[str, float]:
        accuracy = _toy_training.threshold_accuracy(model, data["x"], data["y"], settings.threshold)
        return {
            "final_loss": final_loss(model, _flux.mse, data["x"], data["y"]),
            "train_accuracy": accuracy,
            "separates": float(accuracy >= SEPARATES),
        }


#: Twenty steps and a 20 x 20 decision grid: enough to exercise the whole path of a toy cell.
TOY_SMOKE = dict(steps=20, resolution=20)


def _circles(steps: int, **extra) -> Settings:
    """Settings of a circle cell: labels +1 (radius 2) / -1 (radius 0.5), τ = 0, the [-3, 3]² grid."""
    values = dict(data="circles", labels=(1.0, -1.0), threshold=0.0, steps=steps, extent=CIRCLE_EXTENT,
                  resolution=200)
    values.update(extra)
    return Settings(**values)


def _toy_tiers(quick_steps: int | None = None) -> dict:
    """The reduced tiers of a toy cell: ``quick`` trains ``quick_steps``; ``smoke`` 20 steps on a coarse grid.

    Without ``quick_steps`` the quick tier trains the documented steps, so the number is written once.
    """
    return {"quick": {} if quick_steps is None else dict(steps=quick_steps), "smoke": TOY_SMOKE}


def _fails(reported_loss: float, *, claim: str) -> tuple[Reference, ...]:
    """The two one-sided claims of a cell whose network does not learn the circles.

    How the port's seeds landed is quoted at the end of each note, from ``observed`` in ``baselines/full.json``.
    """
    return (
        Reference.at_least(
            "final_loss", FAILING_LOSS, value=reported_loss, judged_on="every_seed", claim=claim,
            note=f"one-sided: the notebook only shows that it fails; {FAILING_LOSS} separates its failing "
                 "cells (0.83-1.19) from its learning ones (<= 0.008) and is the floor it names itself "
                 "in 001-g. Judged in every seed.",
        ),
        Reference.at_most(
            "train_accuracy", FAILS, value=None, judged_on="every_seed", claim=claim,
            note="one-sided: fails = more than 20 of 200 points on the wrong side of τ; judged in every seed.",
        ),
    )


def _separates(value: float = 1.0, *, claim: str) -> Reference:
    """The one-sided claim of a cell whose network separates; its note ends with the port's seeds (``observed``)."""
    return Reference.at_least(
        "train_accuracy", SEPARATES, value=value, claim=claim,
        note="one-sided: separates = at most one of 200 points on the wrong side of τ (the spirals' origin "
             "pair makes 0.995 the best possible there); judged on the mean over seeds, so every seed must "
             "(nearly) separate.",
    )


# --------------------------------------------------------------------------- 2.2 - 2.3: one unit
@register
class LinearOnCircles(_TwoClassToy):
    """001-a: a single linear unit, Dense(2→1), 500 steps (In [6]-[12]): loss 1.1934, a line, fails.

    A linear output cannot separate a ring from a disc; the best it can do on these
    symmetric circles is w ≈ 0, b ≈ mean(Y) = 0, i.e. loss ≈ 1. After 500 steps the
    notebook is still on the way down (2.07 → 1.19), so the loss stays above 1 here too.
    """

    name = "l2c_linear_circles"
    estimated_seconds = {"full": 1.0, "quick": 1.0, "smoke": 1.0}  # measured, 2 shared cores
    title = "Linear unit on the circles (fails)"
    source = Source(DOCUMENT, "001-a", cells="In [6]-[12]")
    settings = _circles(steps=500)
    tiers = _toy_tiers()  # the documented 500 steps
    # The gate judges whether it starts to learn (its accuracy); its loss is still falling after 500 steps
    # and ends 1.0-2.5 by seed (sd 0.39 over seeds 1-30), too wide to catch a 10 % rise.
    gate_metrics = ("train_accuracy",)
    references = _fails(1.1934, claim="Does the network learn to classify the two categories? No!")

    def build_model(self, settings):
        return keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])  # Chain(Dense(2, 1))


@register
class ReluUnitOnCircles(_TwoClassToy):
    """001-b: one relu unit, Dense(2→1, relu), 5000 steps (In [14]-[16]): loss 0.8323, fails.

    A relu unit is positive on one half-plane and zero elsewhere: still a straight boundary.
    """

    name = "l2c_relu_unit_circles"
    estimated_seconds = {"full": 1.5, "quick": 0.7, "smoke": 1.0}  # measured, 2 shared cores
    title = "One relu unit on the circles (fails)"
    source = Source(DOCUMENT, "001-b", cells="In [14]-[16]")
    # The activation is a setting, so that 001-c can change it alone (and it counts in the code version).
    settings = _circles(steps=5000, activation="relu")
    tiers = _toy_tiers(quick_steps=1000)
    references = _fails(0.8323, claim="Does the network learn the boundaries? No.")

    def build_model(self, settings):
        # Chain(Dense(2, 1, relu))
        return keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1, activation=settings.activation)])


@register
class SigmoidUnitOnCircles(ReluUnitOnCircles):
    """001-c: one sigmoid unit, Dense(2→1, σ), 5000 steps (In [17]-[19]): loss 0.8652, fails.

    The notebook's next cell is 001-b's with σ for relu, and so is this class: its settings, tiers and
    model are 001-b's but for the activation.

    The output lies in (0, 1), so with τ = 0 every point is called class +1 (accuracy 0.5),
    and the best attainable MSE against ±1 is above 0.5.
    """

    name = "l2c_sigmoid_unit_circles"
    estimated_seconds = {"full": 1.5, "quick": 0.6, "smoke": 1.0}  # measured, 2 shared cores
    title = "One sigmoid unit on the circles (fails)"
    source = Source(DOCUMENT, "001-c", cells="In [17]-[19]")
    settings = ReluUnitOnCircles.settings.replace(activation="sigmoid")
    references = _fails(0.8652, claim="Does the network learn? No (sigh)")


# --------------------------------------------------------------------------- 2.4: one hidden layer
def hidden_sigmoid_layer(width: int) -> keras.Model:
    """``Chain(Dense(2, n, σ), Dense(n, 1))`` (In [20] and the sweep In [23])."""
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(width, activation="sigmoid"),
        layers.Dense(1),
    ])


@register
class HiddenSigmoidLayer(_TwoClassToy):
    """001-d: Dense(2→4, σ) → Dense(4→1), 8000 steps (In [20]-[22]): loss 0.0075, separates.

    Four sigmoid half-planes summed by a linear output can enclose the inner circle.
    """

    name = "l2c_hidden_sigmoid_circles"
    estimated_seconds = {"full": 4.0, "quick": 1.0, "smoke": 1.0}  # measured, 2 shared cores
    title = "Hidden sigmoid layer (4 units) on the circles (separates)"
    source = Source(DOCUMENT, "001-d", cells="In [20]-[22]")
    settings = _circles(steps=8000, width=4)
    # The quick tier trains the documented 8000 steps (4 s): after 2000 only 19 of seeds 1-30 had separated,
    # a lottery no bound can judge; after 8000 all 30 have, and the gate judges that every point is right.
    # The loss (sd 14 % of its mean over those seeds) cannot catch a 10 % rise: not gated.
    tiers = _toy_tiers()
    gate_metrics = ("train_accuracy",)
    references = (
        _separates(claim="Does the network learn decision boundaries that separate the red points from the "
                         "blue points? Yes :-) Stop asking!"),
        Reference.calibrated("final_loss", 0.0075, claim="Training loss is 0.007520979867181552"),
    )

    def build_model(self, settings):
        return hidden_sigmoid_layer(settings.width)


@register
class WidthStepsSweep(_TwoClassToy):
    """001-e: Dense(2→n, σ) → Dense(n→1) for n ∈ {4, 8, 16, 32} × steps ∈ {10, 100, 5000, 10000} (In [23]).

    The notebook's ``@manipulate`` retrains a fresh network for every (n, steps). Here each
    width is trained once for 10 000 steps and judged after 10, 100, 5000 and 10 000 steps:
    that is the same thing, because a fresh training to k steps from the same initial
    weights is exactly the first k steps of the longer one (same full batch every step,
    same Adam state); only the initial draw per (n, steps) cell is shared instead of fresh.
    The training is run in segments (10, 90, 4900, 5000 steps) with one optimiser so the
    boundary can be judged at each checkpoint, not only read from the loss history.

    Claims (the notebook's quiz options marked correct in sources/experiments.md):
    "usually not when n = 4 and iters = 10" (its picture: n = 4, loss 1.9464);
    "n = 4, iters = 100 does not produce a nice boundary, but n = 4 and iters = 10000 does";
    "n = 8, iters = 5000 always generates a good boundary";
    "as the number of neurons increases, and we train it for large enough iterations, the
    network eventually always learns" (judged on n ∈ {8, 16, 32} at 10 000 steps).
    """

    name = "l2c_width_steps_sweep"
    estimated_seconds = {"full": 28.0, "quick": 7.0, "smoke": 3.0}  # measured, 2 shared cores
    title = "Width × steps sweep of the hidden sigmoid layer on the circles"
    source = Source(DOCUMENT, "001-e", cells="In [23]")
    # ``checkpoints`` name the documented step counts (and the metrics); ``checkpoint_steps`` are the
    # steps actually taken, reduced in the quick and smoke tiers so that their metrics keep their names.
    settings = _circles(steps=10000, widths=(4, 8, 16, 32), checkpoints=(10, 100, 5000, 10000),
                        checkpoint_steps=(10, 100, 5000, 10000))
    tiers = {
        "quick": dict(widths=(4, 8, 16), checkpoint_steps=(10, 100, 1000, 2000)),
        "smoke": dict(widths=(4, 8), checkpoint_steps=(2, 4, 6, 8), resolution=20),
    }
    # The quick tier takes the documented 10 and 100 steps, so the claims that those fail hold there as
    # documented and the gate judges them in every seed. Whether a net has separated after the quick
    # tier's 1000 or 2000 steps (standing in for 5000 and 10 000) is a lottery by seed: not gated.
    gate_as_documented = ("loss_n4_10steps", "accuracy_n4_10steps", "accuracy_n4_100steps")
    gate_metrics = ()
    references = (
        Reference.at_least(
            "loss_n4_10steps", FAILING_LOSS, value=1.9464, judged_on="fraction", min_fraction=0.5,
            claim="Usually not when n = 4 and iters = 10, regardless of active_fun.",
            note="one-sided, the failing-loss line of this module; 'usually' = in at least half of the seeds.",
        ),
        Reference.at_most(
            "accuracy_n4_10steps", FAILS, judged_on="fraction", min_fraction=0.5,
            claim="Usually not when n = 4 and iters = 10, regardless of active_fun.",
            note="one-sided: more than 20 of 200 points wrong; 'usually' = in at least half of the seeds.",
        ),
        Reference.at_most(
            "accuracy_n4_100steps", FAILS,
            claim="n = 4, iters = 100 does not produce a nice boundary, but n = 4 and iters = 10000 does.",
            note="one-sided, judged on the mean over seeds.",
        ),
        Reference.at_least(
            "accuracy_n4_10000steps", SEPARATES, value=1.0,
            claim="n = 4, iters = 100 does not produce a nice boundary, but n = 4 and iters = 10000 does.",
            note="one-sided: at most one of 200 points wrong, judged on the mean over seeds.",
        ),
        Reference.at_least(
            "accuracy_n8_5000steps", SEPARATES, value=1.0, judged_on="every_seed",
            claim="n = 8, iters = 5000 always generates a good boundary.",
            note="one-sided: at most one of 200 points wrong; 'always' = in every seed.",
        ),
        Reference.at_least(
            "min_accuracy_wide_10000steps", SEPARATES, value=1.0, judged_on="every_seed",
            claim="As the number of neurons increases, and we train it for large enough iterations, "
                  "the network eventually always learns.",
            note="one-sided: the worst of n = 8, 16, 32 after 10 000 steps, at most one point wrong, every seed.",
        ),
    )

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        x, y = data["x"], data["y"]
        widths, checkpoints = tuple(settings.widths), tuple(settings.checkpoints)
        checkpoint_steps = tuple(settings.checkpoint_steps)
        total_steps = len(widths) * checkpoint_steps[-1]
        metrics, history, artefacts, weights = {}, {"step": list(range(1, checkpoint_steps[-1] + 1))}, {}, []
        losses = np.zeros((len(widths), len(checkpoints)))
        for row, width in enumerate(widths):
            model = hidden_sigmoid_layer(width)
            optimizer = _flux.FusedAdam()
            trained, curve = 0, []
            for column, (checkpoint, steps) in enumerate(zip(checkpoints, checkpoint_steps, strict=True)):
                done_before = row * checkpoint_steps[-1] + trained

                def progress(done, _total, offset=done_before):
                    self.report_progress(offset + done, total_steps)

                segment = full_batch_steps(model, _flux.mse, optimizer, x, y, steps - trained, progress=progress)
                curve.extend(segment["loss"])
                trained = steps
                losses[row, column] = final_loss(model, _flux.mse, x, y)
                metrics[f"loss_n{width}_{checkpoint}steps"] = losses[row, column]
                metrics[f"accuracy_n{width}_{checkpoint}steps"] = _toy_training.threshold_accuracy(
                    model, x, y, settings.threshold)
            history[f"loss__n{width}"] = curve
            artefacts.update(prefixed(f"n{width}", _toy_training.decision_artefacts(
                model, x, y, settings.threshold, settings.extent, settings.resolution)))
            weights.extend(model.get_weights())
        wide = [metrics[f"accuracy_n{width}_{checkpoints[-1]}steps"] for width in widths if width >= 8]
        if wide:
            metrics[f"min_accuracy_wide_{checkpoints[-1]}steps"] = min(wide)
        artefacts.update(
            sweep_values=losses.astype("float32"),
            sweep_rows=np.asarray(widths, dtype="float32"),
            sweep_cols=np.asarray(checkpoints, dtype="float32"),
            sweep_row_name=np.asarray("hidden units n"),
            sweep_col_name=np.asarray("full-batch steps"),
            sweep_value_name=np.asarray("final MSE loss"),
        )
        return Outcome(metrics, history, artefacts, weights)


# --------------------------------------------------------------------------- 2.5: more layers
def linear_middle_layer(width: int) -> keras.Model:
    """``Chain(Dense(2, n, σ), Dense(n, n), Dense(n, 1))`` (In [24])."""
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(width, activation="sigmoid"),
        layers.Dense(width),
        layers.Dense(1),
    ])


@register
class LinearMiddleLayer(_TwoClassToy):
    """001-f: Dense(2→n, σ) → Dense(n→n) → Dense(n→1), n = 7, 10 000 steps (In [24]-[27]): loss 0.0079.

    The exercise also asks for "the smallest value of n that makes the network learn"
    (options 2, 3, 4). The linear middle layer composes with the linear output into one
    linear map, so the net is as expressive as 001-d's: n sigmoid half-planes, summed.
    Two half-planes cannot enclose the inner circle; three (a triangle with in-radius
    ≈ 0.7 has its corners at ≈ 1.4, inside the outer ring) can. Each job trains n = 2..7
    for 10 000 steps and reports ``separates_n<k>`` and ``smallest_separating_width``
    (8 = none of 2..7 separated); the run judged on loss and boundary is n = 7, as printed.
    """

    name = "l2c_linear_middle_layer"
    estimated_seconds = {"full": 29.0, "quick": 4.0, "smoke": 3.0}  # measured, 2 shared cores
    title = "Sigmoid layer + linear middle layer on the circles (separates; smallest n)"
    source = Source(DOCUMENT, "001-f", cells="In [24]-[27]")
    settings = _circles(steps=10000, width=7, sweep_widths=(2, 3, 4, 5, 6, 7))
    tiers = {
        "quick": dict(steps=2000, sweep_widths=(2, 3, 7)),
        "smoke": dict(steps=10, sweep_widths=(2, 7), resolution=20),
    }
    # The gate judges that the width-7 net separates: every seed of 1-30 does, so its accuracy sits at 1.0
    # and one point more on the wrong side is caught. Its loss (sd 57 % of its mean, a few seeds end at
    # 0.03-0.05) and the smallest separating width (3 or 7 by seed) are lotteries the gate leaves out.
    gate_metrics = ("train_accuracy",)
    references = (
        _separates(claim="Loss = 0.0079 (its boundary picture, In [26])"),
        Reference.calibrated("final_loss", 0.0079, claim="Training loss is 0.007911623492409614"),
        Reference.at_most(
            "smallest_separating_width", 4, judged_on="every_seed",
            claim="What is the smallest n for which the network learns? 2 / 3 / 4",
            note="one-sided: the quiz's options say the answer is at most 4; our analysis says 3. Every seed.",
        ),
    )

    def build_model(self, settings):
        return linear_middle_layer(settings.width)

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        x, y = data["x"], data["y"]
        widths = sorted(set(settings.sweep_widths) | {settings.width})
        total_steps = len(widths) * settings.steps
        metrics, history, artefacts, weights = {}, {"step": list(range(1, settings.steps + 1))}, {}, []
        for index, width in enumerate(widths):
            model = linear_middle_layer(width)

            def progress(done, _total, offset=index * settings.steps):
                self.report_progress(offset + done, total_steps)

            curve = full_batch_steps(model, _flux.mse, _flux.FusedAdam(), x, y, settings.steps, progress=progress)
            judged = self.judge(model, data, settings)
            metrics.update({f"loss_n{width}": judged["final_loss"], f"accuracy_n{width}": judged["train_accuracy"],
                            f"separates_n{width}": judged["separates"]})
            history[f"loss__n{width}"] = curve["loss"]
            weights.extend(model.get_weights())
            if width == settings.width:  # the notebook's printed run
                metrics.update(judged)
                history["loss"] = curve["loss"]
                artefacts = _toy_training.decision_artefacts(model, x, y, settings.threshold, settings.extent,
                                                             settings.resolution)
        separating = [width for width in widths if metrics[f"separates_n{width}"]]
        metrics["smallest_separating_width"] = float(min(separating)) if separating else float(max(widths) + 1)
        return Outcome(metrics, history, artefacts, weights)


def two_relu_layers(width: int, second_width: int, output_activation: str | None = None) -> keras.Model:
    """``Chain(Dense(2, n, relu), Dense(n, m, relu), Dense(m, 1, σ_out))``: the relu nets of 001-g, 001-h, 001-i.

    The three cells differ only in the second width and the output's activation (a relu in 001-g, the
    identity in 001-h and 001-i), so one builder serves them and they cannot drift apart.
    """
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(width, activation="relu"),
        layers.Dense(second_width, activation="relu"),
        layers.Dense(1, activation=output_activation),
    ])


@register
class ReluOutputPlusMinusOne(_TwoClassToy):
    """001-g: Dense(2→3, relu) → Dense(3→3, relu) → Dense(3→1, relu) with ±1 labels, 10 000 steps (In [28]-[30]).

    The notebook's run printed loss 1.0 (every output 0: a dead relu), and asks to "train
    the network at least 10 times": sometimes the boundary separates but the loss stays
    around 0.5, sometimes it does not and the loss is around 1.0. Its written answer:
    the relu output is never negative, so the 100 points labelled -1 each cost at least
    (0 - (-1))² = 1 and the loss can never fall below 100/200 = 0.5. That bound is
    analytic; the claim judged is that it holds in every seed, and the report counts how
    often each of the two named outcomes occurs (one training per seed: ``--seeds 10``
    is the notebook's "at least 10 times").

    Calibration (seeds 1-5): both outcomes occur, as the notebook says: seeds 2 and 3
    separate the circles (accuracy 0.995 and 1.0) with loss 0.5057 and 0.5024 — the
    +1 points fitted, every -1 point stuck at 0; seeds 1, 4 and 5 end with every output
    exactly 0 (all relu units of some layer dead), loss 1.0 and accuracy 0.5, like the
    notebook's own run.
    """

    name = "l2c_relu_output_pm1"
    estimated_seconds = {"full": 3.0, "quick": 1.6, "smoke": 1.0}  # measured, 2 shared cores
    title = "Relu output with ±1 labels on the circles (loss never below 0.5)"
    source = Source(DOCUMENT, "001-g", cells="In [28]-[30]")
    settings = _circles(steps=10000, width=3)
    tiers = _toy_tiers(quick_steps=2000)
    # Its seeds end at one of two losses (0.5 or 1.0): the gate judges the claim itself, in every seed.
    gate_as_documented = ("final_loss",)
    references = (
        Reference.at_least(
            "final_loss", 0.5, value=1.0, judged_on="every_seed",
            claim="the output will always be positive, hence it can not recognize class 2 properly. "
                  "So the loss error is always greater than 0.5.",
            note="one-sided at the notebook's own 0.5 (analytic floor for a non-negative output and ±1 labels), "
                 "every seed. Outcomes: the two the notebook lists.",
            outcomes=(
                # The two outcomes the notebook lists, split half-way between their loss levels.
                OutcomeRange("boundary separates, loss around 0.5", 0.5, 0.75),
                OutcomeRange("no separating boundary, loss around 1.0", 0.75, 1.25),
            ),
        ),
    )

    def build_model(self, settings):
        # Chain(Dense(2, n, relu), Dense(n, n, relu), Dense(n, 1, relu))
        return two_relu_layers(settings.width, settings.width, output_activation="relu")


@register
class ReluNetZeroOneLabels(_TwoClassToy):
    """001-h: the 001-g net with a linear output and 0/1 labels, 10 000 steps (In [31]-[34]): loss 0.0038.

    ``Yalt = [zeros(X1c) ones(X2c)]``: the outer circle is 0, the inner 1, τ = 0.5.
    The source draws this boundary on the doubled range [-6, 6]² (``2 * x1range``).
    "Encodings matter!"

    On JAX (2026-12-01, jax 0.10.2, Keras 3.15.1) seeds 1, 5, 6 and 8 end with a dead output and do not
    separate, so a 3-seed full-tier run on JAX is NOT REPRODUCED where TensorFlow's is REPRODUCED. Not a
    backend difference: the same seed draws other initial weights on JAX, and from the same initial
    weights both backends train to the same loss to 5 decimals (seeds 1-10). Trained from each backend's
    initial weights of seeds 1-30, 29 separate from TensorFlow's and 26 from JAX's (Fisher's exact test
    p ≈ 0.35): JAX's seeds 1-10 happen to hold four of its misses.
    """

    name = "l2c_relu_net_01_labels"
    estimated_seconds = {"full": 3.5, "quick": 1.6, "smoke": 1.0}  # measured, 2 shared cores
    title = "Relu net, linear output, 0/1 labels on the circles (learns)"
    source = Source(DOCUMENT, "001-h", cells="In [31]-[34]")
    settings = _circles(steps=10000, width=3, labels=(0.0, 1.0), threshold=0.5, extent=(-6.0, 6.0, -6.0, 6.0))
    # The quick tier trains the documented 10 000 steps (3.5 s): after 2000, 6 of seeds 1-30 had not
    # separated; after 10 000, 29 have, and seed 30 ends with its output dead (accuracy 0.5). That rare
    # miss makes the accuracy a lottery, so the gate judges how often the net separates over 5 seeds
    # (it fails when 3 or more of the 5 do not).
    tiers = _toy_tiers()
    gate_metrics = ("separates",)
    gate_seeds = 5
    references = (
        _separates(claim="Hallelujah? Amen! … Encodings matter!"),
        Reference.calibrated("final_loss", 0.0038, claim="Training loss is 0.0038198568255794776"),
    )

    def build_model(self, settings):
        # Chain(Dense(2, n, relu), Dense(n, 3, relu), Dense(3, 1))
        return two_relu_layers(settings.width, 3)


# --------------------------------------------------------------------------- 3: the spirals
def _spirals(**extra) -> Settings:
    """In [37]: X = [X1c X2c], Y = [0 … 1 …], τ = 0.5, the [-20, 20]² grid of 100 points; 10 000 steps."""
    values = dict(data="spiral", labels=(0.0, 1.0), threshold=0.5, steps=10000, extent=SPIRAL_EXTENT,
                  resolution=100)
    values.update(extra)
    return Settings(**values)


class _SpiralToy(_TwoClassToy):
    """A net on the two spirals; the quick tier trains the documented 10 000 steps (well under a second).

    Whether a seed separates the spirals is a lottery even at the documented steps (001-i: 42 of seeds
    1-100, accuracy 0.73-0.995 in the others; 001-j: 59 of 100), so no bound around the accuracy of a few
    seeds can tell a regression from a bad draw. The gate judges how often the net separates: a binomial
    bound over ``gate_seeds`` seeds (``suite.judge.frequency``), as many as it takes to catch the success
    rate falling by half with probability 90 % (``calibrate --power`` states what each catches).
    """

    tags = ("toy", "spiral")
    tiers = _toy_tiers()  # the documented 10 000 steps: fewer make separating rarer still (3000: 3 in 100)
    gate_metrics = ("separates",)
    gate_frequencies = ("separates",)


@register
class SpiralRelu(_SpiralToy):
    """001-i: Dense(2→15, relu) → Dense(15→15, relu) → Dense(15→1), 10 000 steps (In [38]-[41]): loss 0.0025.

    The spirals are deterministic (no noise): the seed only changes the initial weights.
    The printed loss 0.00254 is the coinciding origin pair's unavoidable 0.00125 plus a
    little: the notebook's net fits every other point.

    NOT REPRODUCED as a typical outcome (analysis): in 10 000 steps this net separates the
    spirals in only a minority of initialisations — seeds 1-5: 2 of 5 (accuracy 0.935,
    0.995, 0.88, 0.995, 0.965); seeds 6-15 (diagnostic run, same code): 2 of 10, with
    accuracies 0.725-0.99 in the others. In most failing seeds the loss is still falling at
    10 000 steps (e.g. seed 8: 0.114 at step 5000, 0.038 at 10 000), but more steps help
    little: with Keras' own Adam, seeds 1, 3, 6, 7, 8 (failing at 10 000) trained to
    30 000 steps separate in one case (seed 1) and end at accuracy 0.885-0.975 in the
    others. Nothing in the port explains a systematic gap: the initialiser (glorot-uniform,
    zero bias), Adam (η, β, ε = 1e-8) and the loss are Flux's. Precision is not it either,
    as far as 10 seeds can tell: Keras' Adam in Float32 separates in 5 of seeds 1-10, the
    same port run in Float64 (the notebook's data type) in 7 of 10.
    The notebook's run is a single, designed one ("n = 15 ## Keep smaller than 16"; the
    section itself says "I tried something, it didn't work, so I tried something else"),
    so its success says the architecture *can* separate the spirals, which our separating
    seeds confirm (loss 0.0032-0.0076, every point but the origin pair right), not that
    it usually does. The loss bound is the policy's, and wide because the loss is bimodal.
    """

    name = "l2c_spiral_relu"
    # Separates in 162 of seeds 1-300 on TensorFlow, 165 on JAX: 92 seeds a gate run catch the rate
    # falling to half with probability 90 % (``suite.judge.frequency.seeds_to_catch``); a seed takes ~0.6 s.
    gate_seeds = 92
    estimated_seconds = {"full": 6.0, "quick": 3.3, "smoke": 1.0}  # measured, 2 shared cores
    title = "Relu net on the spirals (separates)"
    source = Source(DOCUMENT, "001-i", cells="In [37]-[41]")
    settings = _spirals(width=15)
    references = (
        _separates(0.995, claim="Did your network eventually learn a decision boundary that separated the red "
                                "and blue points? Yes -- and it is quite a beautiful boundary indeed!"),
        Reference.calibrated(
            "final_loss", 0.0025, claim="Training loss is 0.0025375174764556054",
            note="The loss is bimodal (separating seeds end near 0.005, the others at 0.015-0.08), so 3 std is "
                 "wide and the bound says little: the accuracy claim above is the one that decides"),
    )

    def build_model(self, settings):
        # Chain(Dense(2, n, relu), Dense(n, n, relu), Dense(n, 1))
        return two_relu_layers(settings.width, settings.width)


@register
class SpiralSigmoid(_SpiralToy):
    """001-j: Dense(2→16, σ) → Dense(16→20, σ) → Dense(20→1, σ), 10 000 steps (In [42]-[44]): loss 0.0425.

    Same spirals and labels as 001-i (``iters`` and ``loss_fn`` carry over from the cells above).

    NOT REPRODUCED (analysis): the port fits *better* than the notebook. Seeds 1-5 end at
    0.0026-0.0030 (all points but the origin pair right, accuracy 0.995) except seed 3
    (0.0226, five points wrong, accuracy 0.975); seeds 6-15 (diagnostic run) give
    0.0026-0.0028 in nine and 0.0076 in one. The notebook's 0.0425 — 8.5 squared-error
    units over 200 points — lies above every one of our 15 runs, and its printed curve
    flattens there (0.04255 → 0.04252 over its last prints): a plateau like our seed 3's,
    in which a few points sit on or near the wrong side of 0.5. So the reported loss is
    one unlucky initialisation, or a difference we cannot see in the printout (its
    picture is not in the text). The accuracy claim fails on the mean because of seed 3
    alone; 13 of 15 seeds separate. No port setting was changed to chase the number.
    """

    name = "l2c_spiral_sigmoid"
    # Separates in 184 of seeds 1-300 on TensorFlow, 191 on JAX: 70 seeds a gate run catch the rate falling to half.
    gate_seeds = 70
    estimated_seconds = {"full": 4.0, "quick": 1.4, "smoke": 1.0}  # measured, 2 shared cores
    title = "Sigmoid net on the spirals (separates)"
    source = Source(DOCUMENT, "001-j", cells="In [42]-[44]")
    settings = SpiralRelu.settings.replace(width=16)  # 001-i's cells set X, Y and iters; only n is new
    references = (
        _separates(0.995, claim="Does the decision boundary nicely separate the blue and red points? "
                                "Yes! It is spirally in a way that separates the spirals..."),
        Reference.calibrated("final_loss", 0.0425, claim="Training loss is 0.04252073973239017"),
    )

    def build_model(self, settings):
        return keras.Sequential([
            keras.Input(shape=(2,)),
            layers.Dense(settings.width, activation="sigmoid"),
            layers.Dense(20, activation="sigmoid"),
            layers.Dense(1, activation="sigmoid"),
        ])

