"""'Learn2Classify' notebook, MNIST part (Flux; source 001_48965531ca7b644d.txt, sections 4-5): 001-k to 001-p.

* 001-k softmax regression, ADAM, batch 32, 4 shuffled epochs: test accuracy 0.9247, 753 errors (target > 0.85).
* 001-l 784 -> 16 relu -> 10 softmax, ADAM, batch 100, 100 epochs: 540 errors (target > 0.92).
* 001-m 784 -> 10 relu -> 10 relu -> softmax with *MSE*, 100 full-batch steps: test accuracy 0.708 (loss 0.042).
* 001-n 784 -> 32 relu -> 160 relu -> 10 relu -> softmax, ADAM(0.01), 100 full-batch steps: ≈ 0.87.
* 001-o softmax regression, ADAM(1), 50 full-batch steps: "Loss is infinite".
* 001-p 784 -> 30 relu -> 20 -> 10 relu -> softmax, ADAM(0.01), 80 full-batch steps: 0.946 vs the 0.95 target.

Flux-vs-Keras differences that matter for all of them (encoded in ``benchmarks/_mnist_mlp.py``):

* ``crossentropy`` of this Tracker-era Flux has no clipping (``-Σ y·log ŷ / batch``); Keras' clips at 1e-7.
  It matters for 001-o, whose divergence *is* the loss reaching log(0); we use the Flux form everywhere.
* ``ADAM(η)``: ε = 1e-8 (Keras 1e-7), ``ADAM()`` = η 0.001.
* The notebook's ``X`` is Float64 (``float.(reshape.(imgs, :))``), but Flux's ``Dense`` converts its input
  to the Float32 of its weights, so the networks ran in Float32, as ours: the "Loss is infinite" stack
  trace shows ``losscheck(::Tracker.TrackedReal{Float32})``. It matters for 001-o: float32's softmax
  gives exactly 0 at a logit gap of ~104 (Float64 would need ~745). A port with a float64 softmax (our
  second attempt) did not diverge in 50 steps in any of 3 seeds (peak loss ~21).
* Our first port wrote the loss as ``tf.where(y > 0, y * log(p), 0)``: right values, but its gradient
  0 * (1/p) is NaN once a *wrong* class's p underflows, and 001-l went NaN at epoch 26 in every seed.
  Julia's Bool strong zero gives 0 there; ``_flux.crossentropy`` now does too (tested).
* ``evalcb`` prints ``loss(X, Y)`` on all 60 000 training images and ``accuracy(test_X, test_Y)``,
  throttled to one print per 1-10 s: only the first print (after step 1) has a known step.
* Several networks put a relu *before* the softmax. A relu output unit that dies never wins the
  arg-max, so its digit is lost and the accuracy drops by about a tenth: the runs fall into distinct
  outcomes, counted per seed (``digits_never_predicted``, ``dead_output_units``), not averaged.
"""

from __future__ import annotations

import numpy as np

from benchmarks import _flux, _mnist, _mnist_mlp
from suite import Benchmark, Outcome, Reference, Settings, Source, register
from suite.artefacts import prefixed
from suite.backends.training import accuracy, final_loss, full_batch_steps, predict_labels
from suite.reference import SeedOutcome

#: 001-m's runs by accuracy level. Seeds 1-10 fall at ~0.79 (one digit never predicted) or in a lower band
#: of 0.63-0.72 where one to three digits are never or almost never predicted; the source's 0.708 is in it.
MSE_OUTCOMES = (
    SeedOutcome("all ten digits predicted", 0.85, 1.0),
    SeedOutcome("one digit lost (~0.79)", 0.75, 0.85),
    SeedOutcome("one to three digits (almost) lost: the source's 0.708", 0.62, 0.75),
    SeedOutcome("worse", 0.0, 0.62),
)
#: 001-n's runs by how many relu output units die (each dead unit loses its digit, about 0.1 accuracy);
#: seeds 1-10 had 1 4 3 6 2 0 3 4 5 1 dead units.
LR_0P01_OUTCOMES = (
    SeedOutcome("no digit lost", 0.92, 1.0),
    SeedOutcome("one digit lost (the source's 0.8708)", 0.82, 0.92),
    SeedOutcome("two digits lost", 0.72, 0.82),
    SeedOutcome("three or more digits lost", 0.0, 0.72),
)
#: 001-p's runs: all ten digits learnt (the source's 0.946) or one lost behind the relu output layer.
DESIGN_OUTCOMES = (
    SeedOutcome("all ten digits (the source's 0.946)", 0.92, 1.0),
    SeedOutcome("one digit lost", 0.82, 0.92),
    SeedOutcome("two or more digits lost", 0.0, 0.82),
)
#: The smoke tier of the full-batch lottery nets (001-m, 001-n, 001-p): five steps on a small slice.
FULL_BATCH_SMOKE = dict(steps=5, train_size=1000, test_size=500, monitor_every=5)


def outcome_in_one_seed_of_five(value: float, outcomes, *, band: tuple[float, float] | None = None, claim: str,
                                note: str) -> Reference:
    """The claim of a net whose seeds land in distinct outcomes: judged per seed, on the source's outcome.

    The mean of such a net averages different outcomes and describes no run, so the claim is that the
    source's outcome (``band``) occurs in at least 1 seed in 5; ``outcomes`` count how often each occurs.
    Without ``band`` the source's outcome is the one of ``outcomes`` its ``value`` falls in, so that its
    range is written once.
    """
    if band is None:
        containing = [outcome for outcome in outcomes if outcome.contains(value)]
        if not containing:
            raise ValueError(f"the source's value {value} is in none of the outcomes {outcomes}")
        band = (containing[0].low, containing[0].high)
    return Reference.calibrated("test_accuracy", value, band=band, judged_on="fraction", min_fraction=0.2,
                                outcomes=outcomes, claim=claim, note=note)


class _Learn2ClassifyMnist(Benchmark):
    """Data of the notebook: all 60 000 training images as ``X``, the 10 000 test images as ``test_X``."""

    tags = ("mnist", "mlp", "flux")
    dataset = "mnist"

    def load_data(self, settings, seed):
        mnist = _mnist.subset(super().load_data(settings, seed), settings)
        return {
            **_mnist.flat_one_hot(mnist),
            "labels_test": np.asarray(mnist["y_test"]),
            "images_test": np.asarray(mnist["x_test"]),
        }

    def test_metrics(self, model, data, loss_fn) -> dict:
        predicted = predict_labels(model, data["x_test"])
        return {
            "test_accuracy": float(np.mean(predicted == data["labels_test"])),
            "test_errors": float(np.sum(predicted != data["labels_test"])),
            # The outcome behind the accuracy: digits the net never predicts (see the module docstring).
            "digits_never_predicted": float(10 - len(np.unique(predicted))),
            "train_loss": final_loss(model, loss_fn, data["x_train"], data["y_train"]),
        }

    def picture_artefacts(self, model, data) -> dict:
        predicted = predict_labels(model, data["x_test"])
        return {
            **_mnist_mlp.misclassified(data["images_test"], data["labels_test"], predicted),
            "confusion_matrix": _mnist_mlp.confusion_matrix(data["labels_test"], predicted),
        }


# -- mini-batch epochs (001-k, 001-l) --------------------------------------------------------------------
class _MiniBatchEpochs(_Learn2ClassifyMnist):
    """``for epoch in 1:epochs; dataset = partition(shuffle(1:60000), batch_size); Flux.train!(...)``.

    That is exactly ``model.fit(shuffle=True)``: a fresh permutation per epoch, consecutive batches,
    the last one smaller when the size does not divide 60 000. ``steps_per_execution`` runs several
    batches per call into TensorFlow; it changes no number.
    """

    def train_and_evaluate(self, model, settings, seed):
        data = self.load_data(settings, seed)
        model.compile(optimizer=_flux.adam(settings.learning_rate),
                      loss=_flux.crossentropy_per_sample, metrics=["accuracy"],
                      steps_per_execution=settings.steps_per_execution)
        fit = model.fit(data["x_train"], data["y_train"], epochs=settings.epochs, batch_size=settings.batch_size,
                        shuffle=True, validation_data=(data["x_test"], data["y_test"]), verbose=0,
                        callbacks=list(self.callbacks))
        names = {"loss": "loss", "accuracy": "accuracy", "val_loss": "test_loss", "val_accuracy": "test_accuracy"}
        history = {names[key]: [float(v) for v in values] for key, values in fit.history.items() if key in names}
        history["epoch"] = list(range(1, settings.epochs + 1))
        metrics = self.test_metrics(model, data, _flux.crossentropy)
        return data, metrics, history


@register
class Learn2ClassifySoftmaxRegression(_MiniBatchEpochs):
    """001-k: ``m = Chain(Dense(28^2, 10), softmax)``, crossentropy, ADAM(), batch 32, 4 shuffled epochs.

    The exercise asks for > 85 %; the run printed 0.9247 and 753 misclassified test digits. The
    source's throttled log prints ``[loss(X, Y), test accuracy]`` about once a second (12 prints in
    4 epochs), so its points cannot be placed on our epoch axis; they are in the docstring only:
    2.497/0.119 (after batch 1), 0.506/0.884, ..., 0.267/0.924.
    """

    name = "learn2classify_softmax_regression"
    title = "Softmax regression on MNIST (ADAM, batch 32, 4 epochs), weight maps and misclassified digits"
    source = Source("001_48965531ca7b644d.txt", "001-k", cells="In [50]-[55]")
    placement = "cpu"  # batches of 32 through a 7 850-parameter model: dispatch-bound, a GPU would not help
    settings = Settings(epochs=4, batch_size=32, learning_rate=0.001, steps_per_execution=32)
    tiers = {
        "quick": dict(epochs=1),
        "smoke": dict(epochs=1, train_size=2048, test_size=1000),
    }
    estimated_seconds = {"full": 17.0, "quick": 6.0, "smoke": 3.0}
    parameter_count = 784 * 10 + 10
    references = (
        Reference.calibrated("test_accuracy", 0.9247, claim="Test accuracy is 0.9247"),
        Reference.calibrated("test_errors", 753, claim="Number of incorrect examples = 753"),
        Reference.at_least("test_accuracy", 0.85, value=0.9247,
                           claim="Train the single layer network until it attains an accuracy greater 85%.",
                           note="the exercise's own threshold, judged on the mean"),
    )

    def build_model(self, settings):
        # m = Chain(Dense(28^2, size(Y,1)), softmax)
        return _mnist_mlp.softmax_chain()

    def run(self, settings, seed) -> Outcome:
        model = self.build_model(settings)
        data, metrics, history = self.train_and_evaluate(model, settings, seed)
        kernel = model.layers[0].get_weights()[0]  # (784, 10): column k holds W_k of Flux's 10 x 784 W
        artefacts = {"weight_maps": kernel.T.reshape(10, 28, 28), **self.picture_artefacts(model, data)}
        return Outcome(metrics=metrics, history=history, artefacts=artefacts, weights=model.get_weights())


@register
class Learn2ClassifyTwoLayers(_MiniBatchEpochs):
    """001-l: ``m2 = Chain(Dense(784, 16, relu), Dense(16, 10), softmax)``, ADAM(), batch 100, 100 epochs.

    The source's discrepancy: the cell prints "Test accuracy is 0.9247", the number of 001-k, because
    ``accuracy(x, y)`` (In [48]) is defined on ``m`` and ``evalcb`` calls it, so every line of the
    100-epoch log shows 0.9247 too while ``loss`` (rebound to ``m2``) falls to 0.083. The count of
    misclassified digits is the number that belongs to ``m2``: 540 (accuracy 0.946), and the student's
    remark "earlier ... 753 and now it is 540" confirms it. We evaluate ``m2`` and judge the 540 and the
    exercise's "> 92 %" on it. (The printed In [85] computes ``onecold(m_input)``, the arg-max of the
    *pixels*, which would misclassify nearly every digit; the cell was evidently edited after the run
    that printed 540, since the same scroll widget then indexes ``m2``.) ``n = 16`` comes from In [42].

    Result (seeds 1-3): 493, 466, 510 errors (mean 489.7), inside the bound around 540 but on the low
    side, and every seed passes 92 %; our train loss (0.070) also ends below the source's last print
    (0.083), the direction 000-b shows too. The test accuracy peaks at 0.955-0.957 (epochs 17-45) and
    drifts down as the 16-unit net overfits.
    """

    name = "learn2classify_two_layers"
    title = "MLP 784-16-10 on MNIST (ADAM, batch 100, 100 epochs): 540 test errors"
    source = Source("001_48965531ca7b644d.txt", "001-l", cells="In [56]-[61], In [85]")
    placement = "cpu"  # 100-image batches through 12 730 parameters: dispatch-bound
    settings = Settings(epochs=100, batch_size=100, learning_rate=0.001, hidden_units=16, steps_per_execution=60)
    tiers = {
        "quick": dict(epochs=5),
        "smoke": dict(epochs=1, train_size=2000, test_size=1000),
    }
    estimated_seconds = {"full": 115.0, "quick": 10.0, "smoke": 3.0}
    parameter_count = 784 * 16 + 16 + 16 * 10 + 10
    references = (
        Reference.calibrated("test_errors", 540, claim="Number of incorrect examples = 540"),
        Reference.at_least("test_accuracy", 0.92, value=0.946,
                           claim="Train the two layer network till it attains an accuracy greater 92%",
                           note="the exercise's own threshold, judged on the mean; 0.946 = 1 - 540/10000 "
                                "(the printed 0.9247 is 001-k's model)"),
    )

    def build_model(self, settings):
        # m2 = Chain(Dense(size(X,1), n, relu), Dense(n, size(Y,1)), softmax), n = 16
        return _mnist_mlp.softmax_chain([(settings.hidden_units, "relu")])

    def run(self, settings, seed) -> Outcome:
        model = self.build_model(settings)
        data, metrics, history = self.train_and_evaluate(model, settings, seed)
        return Outcome(metrics=metrics, history=history, artefacts=self.picture_artefacts(model, data),
                       weights=model.get_weights())


# -- full-batch steps (001-m, 001-n, 001-o, 001-p) -------------------------------------------------------
def accuracy_on_predicted_digits(model, data) -> float:
    """Test accuracy over the images of the digits the net predicts at all: the accuracy given the outcome.

    Where relu output units die, each dead unit loses its digit, and the test accuracy is a lottery over
    how many die; on the digits that are left the accuracy is a stable number the regression gate can judge.
    """
    predicted = predict_labels(model, data["x_test"])
    kept = np.isin(data["labels_test"], np.unique(predicted))
    return float(np.mean(predicted[kept] == data["labels_test"][kept])) if kept.any() else 0.0


class _FullBatch(_Learn2ClassifyMnist):
    """``Flux.train!(loss, params(m), Iterators.repeated((X, Y), batches), opt)`` on all 60 000 images.

    The quick tier trains the documented steps on the first 20 000 images (001-m, 001-n, 001-p).
    """

    tags = ("mnist", "mlp", "flux", "full-batch")
    placement = "gpu"  # 60 000 x 784 full-batch matmuls: the part a GPU speeds up
    tiers = {"quick": dict(train_size=20_000), "smoke": FULL_BATCH_SMOKE}

    def train_full_batch(self, model, loss_fn, data, settings) -> dict:
        return full_batch_steps(
            model, loss_fn, _flux.adam(settings.learning_rate), data["x_train"], data["y_train"],
            settings.steps, monitor={"test": (data["x_test"], data["y_test"])},
            monitor_every=settings.monitor_every, progress=self.report_progress,
        )

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        model = self.build_model(settings)
        history = self.train_full_batch(model, _flux.crossentropy, data, settings)
        metrics = self.test_metrics(model, data, _flux.crossentropy)
        metrics["dead_output_units"] = float(_mnist_mlp.dead_output_units(model, data["x_test"]))
        metrics["test_accuracy_on_predicted_digits"] = accuracy_on_predicted_digits(model, data)
        return Outcome(metrics=metrics, history=history, artefacts=self.picture_artefacts(model, data),
                       weights=model.get_weights())


@register
class Learn2ClassifyMseLoss(_FullBatch):
    """001-m: MSE instead of cross-entropy: 100 full-batch ADAM steps reach only 0.708 (loss 0.042).

    ``m = Chain(Dense(28^2, 10, relu), Dense(10, 10, relu), softmax)``, ``loss_fn = mse``, ADAM().
    The same job trains the same network with Flux's cross-entropy (same seed, so the same initial
    weights) and reports it as ``crossentropy__*``: the notebook's question is how the two losses
    compare. Its log: loss(X, Y) 0.0904 after step 1, then 0.0879 ... 0.0420, test accuracy
    0.087 -> 0.708 (throttled to one print per 5 s).

    Result, seeds 1-10 (2026-11-22; the accuracy of each is in ``baselines/full.json`` and the note): four
    seeds land at 0.79 with one digit never predicted; six in the band 0.63-0.72 where
    one to three digits are never (or almost never) predicted: the relu before the softmax lets an
    output unit stay near 0 and its digit is lost. The accuracies are outcomes, not noise around one
    value, so the claim is judged per seed (see the note); the source's 0.708 is the lower band, which
    6 seeds in 10 reach. Train loss 0.0406 ± 0.0056 against the printed 0.0420.

    MSE against cross-entropy, same initial weights, seeds 1-10: cross-entropy 0.7519 ± 0.0477 against
    MSE's 0.7211 ± 0.0660, but per seed each loss wins 5 times in 10: cross-entropy wins by a lot when
    it does (seeds 2 and 10: +0.16, +0.06), MSE by a little (at most 0.011). 100 steps of ADAM(0.001)
    are too few for either loss to learn every digit in this architecture.
    """

    name = "learn2classify_mse_loss"
    title = "MNIST 784-10-10 relu net trained with MSE vs cross-entropy (100 full-batch steps)"
    source = Source("001_48965531ca7b644d.txt", "001-m", cells="In [62]-[63]")
    settings = Settings(steps=100, learning_rate=0.001, monitor_every=10)
    estimated_seconds = {"full": 60.0, "quick": 12.0, "smoke": 3.0}
    # Its seeds lose one to three digits, some only almost (seeds 1-30: 0-3 digits never predicted, test accuracy
    # 0.54-0.85, train loss 0.043 ± 14 %), so no statistic of the end of training is stable enough to catch a
    # regression. The start is: until output units die, every seed descends alike (seeds 1-30 on 2026-12-06: loss
    # 0.0866 ± 1.4 % after 10 steps, 0.0806 ± 3 % after 20, 0.0615 ± 8 % after 50). The gate judges the loss
    # after 20 steps, the mean of 4 seeds: what the optimiser, the loss and the data do before the lottery.
    gate_metrics = ("loss_after_20_steps",)
    gate_seeds = 4
    parameter_count = 784 * 10 + 10 + 10 * 10 + 10
    source_curves = {"loss": _mnist_mlp.sparse_source_curve({2: 0.0903597, 100: 0.0420066}, 100)}
    references = (
        outcome_in_one_seed_of_five(
            0.708, MSE_OUTCOMES,
            claim="[loss(X, Y), accuracy(test_X, test_Y)] = [0.0420066, 0.708] (last print)",
            note="Judged per seed, not on the mean, which would average different outcomes: the band holds the "
                 "source's 0.708, one to three digits (almost) never predicted (the other outcome is 0.79, one "
                 "digit never predicted), and was fixed from seeds 1-3. Reproduced when that outcome occurs in at "
                 "least 1 seed in 5: the source's single run is then a plausible draw from our port",
        ),
        Reference.calibrated("train_loss", 0.042, claim="loss(X, Y) = 0.0420066 (last print)"),
    )

    def build_model(self, settings):
        # m = Chain(Dense(28^2, 10, relu), Dense(10, size(Y,1), relu), softmax)
        return _mnist_mlp.softmax_chain([(10, "relu")], output_activation="relu")

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        mse_model = self.build_model(settings)
        crossentropy_model = self.build_model(settings)
        crossentropy_model.set_weights(mse_model.get_weights())  # same start: only the loss differs

        history = self.train_full_batch(mse_model, _flux.mse, data, settings)
        metrics = self.test_metrics(mse_model, data, _flux.mse)
        metrics["dead_output_units"] = float(_mnist_mlp.dead_output_units(mse_model, data["x_test"]))
        metrics["test_accuracy_on_predicted_digits"] = accuracy_on_predicted_digits(mse_model, data)
        metrics["loss_after_20_steps"] = history["loss"][min(20, len(history["loss"])) - 1]

        ce_history = self.train_full_batch(crossentropy_model, _flux.crossentropy, data, settings)
        ce_metrics = self.test_metrics(crossentropy_model, data, _flux.crossentropy)
        ce_metrics["dead_output_units"] = float(_mnist_mlp.dead_output_units(crossentropy_model, data["x_test"]))
        metrics.update({f"crossentropy__{key}": value for key, value in ce_metrics.items()})
        history.update({f"crossentropy_{key}": value for key, value in ce_history.items() if key != "step"})

        artefacts = {**prefixed("mse", self.picture_artefacts(mse_model, data)),
                     **prefixed("crossentropy", self.picture_artefacts(crossentropy_model, data))}
        return Outcome(metrics=metrics, history=history, artefacts=artefacts,
                       weights=mse_model.get_weights() + crossentropy_model.get_weights())


class _ReluBeforeSoftmax(_FullBatch):
    """An MLP whose output layer is a relu in front of the softmax, ADAM(0.01) (001-n, 001-p).

    Its seeds fall into outcomes by how many of the ten relu output units die (each dead unit loses its
    digit, about 0.1 accuracy), so the accuracy is a lottery over seeds. The gate judges the accuracy on
    the digits the net predicts at all, which is stable given the outcome, and how many digits are lost,
    whose bound catches only a gross change. ``settings.hidden_layers`` lists (width, activation) of the
    Dense layers between the input and that output layer, as the source's ``Chain`` does.
    """

    gate_metrics = ("test_accuracy_on_predicted_digits", "digits_never_predicted")

    @property
    def parameter_count(self) -> int:
        """Computed from the widths of ``hidden_layers``, so the count cannot disagree with the model."""
        widths = [width for width, _activation in self.settings.hidden_layers]
        return _mnist_mlp.dense_parameter_count(28 * 28, *widths, 10)

    def build_model(self, settings):
        return _mnist_mlp.softmax_chain(settings.hidden_layers, output_activation="relu")


@register
class Learn2ClassifyLearningRate001(_ReluBeforeSoftmax):
    """001-n: ``Chain(Dense(784, 32, relu), Dense(32, 160, relu), Dense(160, 10, relu), softmax)``,
    ADAM(0.01), 100 full-batch steps: "The accuracy is 87%" (last print 0.8708, loss(X, Y) 0.316).

    The relu on the 10 output units is what decides the result: with lr 0.01 some of them die (stay 0
    on every image) and their digits are never predicted. Seeds 1-10 (2026-11-22): dead units
    1 4 3 6 2 0 3 4 5 1, test accuracy 0.8704 0.5731 0.7807 0.3899 0.7619 0.9638 0.6802 0.5704 0.4899
    0.8728: each dead unit costs about 0.1 and the accuracy follows the count almost exactly. The
    source's 0.8708 is the one-dead-unit outcome (seeds 1 and 10 land within 0.002 of it); the claim
    is judged per seed on that outcome, and ``outcomes`` count how often each number of lost digits
    occurs. With 0.01 the run is a lottery over dead units: 2 seeds in 10 give the source's number,
    1 in 10 loses no digit (0.9638), and the mean, 0.6953, matches no run.
    """

    name = "learn2classify_lr_0p01"
    title = "MNIST 784-32-160-10 relu net, ADAM(0.01), 100 full-batch steps"
    source = Source("001_48965531ca7b644d.txt", "001-n", cells="In [89]-[90]")
    settings = Settings(steps=100, learning_rate=0.01, monitor_every=10,
                        hidden_layers=((32, "relu"), (160, "relu")))
    estimated_seconds = {"full": 35.0, "quick": 6.0, "smoke": 3.0}
    # The accuracy on the digits the net predicts is 0.9587 ± 0.0037 over seeds 1-20, where the accuracy
    # itself spreads 0.39-0.87 with the number of dead units (1-6 by seed): 2 seeds a gate run.
    gate_seeds = 2
    source_curves = {"loss": _mnist_mlp.sparse_source_curve({2: 2.2113, 100: 0.315873}, 100)}
    references = (
        outcome_in_one_seed_of_five(
            0.8708, LR_0P01_OUTCOMES, claim="The accuracy is 87%. (last print: [0.315873, 0.8708])",
            note="Judged per seed: the runs fall by the number of dead relu output units, and their mean matches "
                 "no run. The band is the 'one digit lost' outcome of the source's 0.8708, fixed from seeds 1-3; "
                 "reproduced when it occurs in at least 1 seed in 5. On a stack whose seeds fall differently a "
                 "3-seed run may miss it: there a NOT REPRODUCED is weak evidence and the outcome counts say why",
        ),
    )


@register
class Learn2ClassifyLearningRate1(_FullBatch):
    """001-o: softmax regression with ADAM(1), 50 full-batch steps: Flux stops with "Loss is infinite".

    The claim holds in a seed when any step's loss (Flux's crossentropy without clipping) is inf or NaN:
    ``peak_loss`` is then inf; ``first_nonfinite_step`` says when (0 = never). Flux raises at that
    step; we keep stepping (NaN weights stay NaN), which changes nothing about the verdict.

    Seeds 1-5: infinite at step 2. After one ADAM(1) step every weight with a gradient has moved by
    ±1, so logit gaps of hundreds appear and a true class's float32 probability underflows to 0. With
    the softmax in float64 (a port we tried, thinking Flux ran Float64) no seed diverged in 50 steps
    (peak loss ~21): the claim depends on Flux's Float32, which the source's trace confirms.
    """

    name = "learn2classify_lr_1"
    title = "MNIST softmax regression with ADAM(1): the loss becomes infinite"
    source = Source("001_48965531ca7b644d.txt", "001-o", cells="In [66]-[67]")
    placement = "cpu"  # 60 000 x 784 x 10: small enough that a GPU does not matter
    settings = Settings(steps=50, learning_rate=1.0, monitor_every=0)
    tiers = {
        "quick": dict(steps=50, train_size=20_000),
        "smoke": dict(steps=50, train_size=1000, test_size=500),
    }
    estimated_seconds = {"full": 8.0, "quick": 3.0, "smoke": 3.0}
    parameter_count = 784 * 10 + 10
    references = (
        Reference.diverges("peak_loss", claim="Loss is infinite",
                  note="judged in every seed: the loss must become inf/NaN within the 50 steps"),
    )

    def build_model(self, settings):
        # m = Chain(Dense(28^2, 10), softmax)
        return _mnist_mlp.softmax_chain()

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        model = self.build_model(settings)
        history = full_batch_steps(model, _flux.crossentropy, _flux.adam(settings.learning_rate),
                                   data["x_train"], data["y_train"], settings.steps, progress=self.report_progress)
        metrics = {
            "peak_loss": _mnist_mlp.peak_loss(history["loss"]),
            "first_nonfinite_step": float(_mnist_mlp.first_nonfinite_step(history["loss"])),
            "test_accuracy": accuracy(model, data["x_test"], data["labels_test"]),
        }
        # A non-finite history is a result; JSON keeps inf/NaN.
        return Outcome(metrics=metrics, history=history, weights=model.get_weights())


@register
class Learn2ClassifyDesignChallenge(_ReluBeforeSoftmax):
    """001-p: the design challenge, beat nearest neighbours' 0.95; the student's net got 0.946.

    ``m = Chain(Dense(28^2, 30, relu), Dense(30, 20), Dense(20, size(Y, 1), relu), softmax)`` (the
    printed cell is cut after ``relu),``; the softmax follows the notebook's pattern and the
    crossentropy needs probabilities), ADAM(0.01), 80 full-batch steps. The grader accepted it:
    "You needed to be within 0.5% of 0.95 (you got 0.946)".

    Seeds 1-10 (2026-11-22; the accuracy of each is in ``baselines/full.json`` and the note): seven
    seeds learn all ten digits, at 0.9456 ± 0.0032: the source's 0.946 is their mean, and 4 of
    the 7 pass the grader (|accuracy - 0.95| <= 0.005), the other 3 miss it by at most 0.0042. Two
    seeds lose one digit (0.8401, 0.8656) and one loses two (0.7540): the last Dense has a relu in
    front of the softmax, and an output unit that ends at 0 on most images loses its digit. The claim
    is judged per seed with the grader's criterion; ``outcomes`` count the digit losses.
    """

    name = "learn2classify_design_challenge"
    title = "MNIST design challenge 784-30-20-10, ADAM(0.01), 80 full-batch steps (target 0.95)"
    source = Source("001_48965531ca7b644d.txt", "001-p", cells="In [114]-[115], In [82]")
    settings = Settings(steps=80, learning_rate=0.01, monitor_every=10, hidden_layers=((30, "relu"), (20, None)))
    estimated_seconds = {"full": 20.0, "quick": 5.0, "smoke": 3.0}
    # The accuracy on the digits the net predicts is 0.9418 ± 0.0058 over seeds 1-20 (the accuracy itself
    # is 0.65-0.95 as 0 to 3 digits are lost): 4 seeds a gate run, fewer could not catch a 2-point drop.
    gate_seeds = 4
    source_curves = {"loss": _mnist_mlp.sparse_source_curve({2: 2.07603, 80: 0.175948}, 80)}
    references = (
        outcome_in_one_seed_of_five(
            0.946, DESIGN_OUTCOMES, band=(0.945, 0.955), claim="Success! You needed to be within 0.5% of 0.95 (you got 0.946).",
            note="The band is the grader's own criterion, |accuracy - 0.95| <= 0.005, judged per seed: reproduced "
                 "when a seed passes it in at least 1 seed in 5. Seeds that learn all ten digits pass it or miss "
                 "it narrowly; the others lose one or two digits behind the relu output layer",
        ),
    )

