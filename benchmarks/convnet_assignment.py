"""'Bonus ConvNet MNIST training exploration' — a Flux replica of the Keras mnist_cnn example
(source 003_94a913a946da2cc8.txt, Questions 1-3).

* 003-a: the convnet, AdaDelta, batch 50, 10 epochs: test accuracy 0.9877 ("the difference of less
  than .3% in accuracy [to the TensorFlow example] is negligible").
* 003-b: the same net on images whose pixels are all shuffled by one fixed random permutation:
  test accuracy 0.9719, "only marginally less accurate than the model trained on the original images".
* 003-c: no dropout / (0.25, 0.5) / (0.6, 0.8), Adam, batch 50, at most one epoch, stopped when the
  test accuracy passes 0.95: "the model with no dropout at all was the fastest to reach 95% accuracy
  after just about 120 batches (of 50)".

The network is in ``benchmarks/_convnet.py``, the Flux optimisers in ``benchmarks/_flux.py``.
"""

from __future__ import annotations

import keras
import numpy as np

from benchmarks import _convnet, _flux, _mnist
from suite import Benchmark, Outcome, Reference, Settings, Source, register


def permute_pixels(images: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """Every image's pixels rearranged by the same permutation of the 784 positions (003-b).

    The source: ``pix_perm = reshape(CartesianIndices((28,28))[randperm(28*28)], 28, 28)`` and
    ``train_x_[:, :, i] .= train_x_org_[:, :, i][pix_perm]``: new pixel k is old pixel ``perm[k]``.
    """
    permutation = np.asarray(permutation)
    if sorted(permutation.tolist()) != list(range(28 * 28)):
        raise ValueError("permutation must be a permutation of 0..783")
    flat = np.asarray(images).reshape(len(images), 28 * 28)
    return flat[:, permutation].reshape(len(images), 28, 28)


def misclassified(model, x_images, y_labels, raw_images, *, count=16) -> dict:
    """The report's misclassified-digit grid and confusion matrix."""
    predicted = np.argmax(_convnet.predict_probabilities(model, x_images), axis=1)
    wrong = np.flatnonzero(predicted != y_labels)[:count]
    confusion = np.zeros((10, 10), dtype="int64")
    np.add.at(confusion, (y_labels, predicted), 1)
    return {
        "misclassified_images": np.asarray(raw_images[wrong]),
        "misclassified_true": np.asarray(y_labels[wrong]),
        "misclassified_pred": predicted[wrong],
        "confusion_matrix": confusion,
    }


class _AssignmentConvnet(Benchmark):
    """What Questions 1-3 share: the MNIST digits as the convnet takes them, on the tier's slice.

    One loader for all three, so that 003-a, 003-b and 003-c cannot drift apart in how they slice,
    scale or permute the images they compare.
    """

    tags = ("mnist", "convnet")
    dataset = "mnist"

    def load_data(self, settings, seed):
        data = _mnist.subset(super().load_data(settings, seed), settings)
        raw_test = data["x_test"]
        if settings.get("permute_pixels"):  # 003-b only; 003-c declares no such setting
            # One fixed permutation per job, drawn from the job's seed: the source notes that some
            # permutations are "more forgiving" than others, so the spread over seeds includes that.
            permutation = np.random.default_rng(seed).permutation(28 * 28)
            data = dict(data, x_train=permute_pixels(data["x_train"], permutation),
                        x_test=permute_pixels(data["x_test"], permutation))
        return {
            **_convnet.image_arrays(data),
            "raw_test": raw_test,  # the unpermuted digits, for the misclassified grid
        }


@register
class ConvnetMnist(_AssignmentConvnet):
    """003-a: the Keras mnist_cnn convnet, replicated in Flux (Question 1).

    Port notes (Flux -> Keras):
    * ``Flux.Optimise.ADADelta()`` has rho 0.9, epsilon 1e-8 and no learning rate; Keras 3's
      ``Adadelta`` defaults to learning rate 0.001, so it is set to 1.0 (``_flux.adadelta``).
    * Flux's ``crossentropy`` on the softmax output adds eps(Float32) inside the log; Keras clips the
      probabilities at 1e-7. Both only matter for probabilities that underflow.
    * ``DataLoader(..., batchsize=50, shuffle=true)`` iterated 10 times with ``ncycle`` reshuffles every
      pass: Keras' ``fit(shuffle=True)``. The last batch is complete (60 000 / 50 = 1200 steps).
    * The source evaluates the test set every 10 s of wall time (``throttle``); we evaluate it after
      every epoch (``test_loss``/``test_accuracy`` in the history).
    * Under several GPUs the runner enters a MirroredStrategy scope around ``run``: the model and its
      optimiser are built inside ``run``, so they land in it, and the batch of 50 becomes the global
      batch split over the replicas.

    Cost here: one epoch of 1200 batches takes 48-83 s on the shared 2-core CPU (timings noisy).

    Full tier, 2026-11-23, three seeds through the runner (``run convnet_mnist --tier full --seeds 3
    --device cpu``): 0.9874, 0.9890, 0.9884 (126, 110, 116 errors), mean 0.9883 ± 0.0008 against the
    source's 0.9877. Seed 1 repeated, epoch for epoch, the 0.9874 of a script run the day before
    (per-epoch test accuracy 0.9760 0.9834 0.9863 0.9875 0.9889 0.9877 0.9883 0.9888 0.9885 0.9874).
    Every seed is past 0.98 after 2 epochs and within 0.002 of its final value after 7. Seeds took
    1336, 1179 and 1302 s (epochs of 95-160 s; TensorFlow's matmul ran at ~100 GFLOP/s that day, a
    third of the 310 GFLOP/s it reaches on an idle machine, so the declared 750 s estimate is an
    idle-machine one).
    """

    name = "convnet_mnist"
    title = "Convnet (mnist_cnn replica) on MNIST, AdaDelta, 10 epochs"
    source = Source("003_94a913a946da2cc8.txt", "003-a", cells="Question 1")
    placement = "gpu"  # 1.6 M parameters but ~30 MFLOP of convolution per image: a GPU is ~50x faster
    settings = Settings(epochs=10, batch_size=50, permute_pixels=False)
    tiers = {
        # Two fifths of the data (480 batches of 50) and the whole test set. 240 batches and 2 000 test
        # images gave test accuracy 0.907 ± 0.0044 over 4 seeds: still on the steep part of the curve,
        # where the seed sets the speed, too spread for a gate to catch a 2-point drop.
        "quick": dict(epochs=1, train_size=24_000),
        "smoke": dict(epochs=1, train_size=500, test_size=500),
    }
    # Full: 10 epochs of 48-83 s on an idle machine. Quick: 71-180 s a seed over seeds 1-12 with a second
    # job on the cores (2026-12-01). Smoke: 10 s with the machine shared by four engineers (load ~9).
    estimated_seconds = {"full": 750.0, "quick": 120.0, "smoke": 10.0}
    parameter_count = _convnet.PARAMETER_COUNT  # 1 625 866 with pad=(1, 1)
    references = (
        Reference.calibrated(
            "test_accuracy", 0.9877,
            claim="accuracy(test_x_org, test_y) = 0.9877; the difference of less than .3% in accuracy "
                  "[to the TensorFlow example] is negligible",
        ),
    )

    def build_model(self, settings):
        model = _convnet.conv_net(_convnet.OPTIMAL_DROPOUT)
        model.compile(optimizer=_flux.adadelta(), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        model = self.build_model(settings)  # inside run: lands in the runner's strategy scope
        fit = model.fit(
            data["x_train"], data["y_train"],
            epochs=settings.epochs, batch_size=settings.batch_size, shuffle=True, verbose=0,
            validation_data=(data["x_test"], data["y_test"]), callbacks=list(self.callbacks),
        )
        history = {
            "epoch": list(range(1, len(fit.history["loss"]) + 1)),
            "loss": [float(v) for v in fit.history["loss"]],
            "accuracy": [float(v) for v in fit.history["accuracy"]],
            "test_loss": [float(v) for v in fit.history["val_loss"]],
            "test_accuracy": [float(v) for v in fit.history["val_accuracy"]],
        }
        probabilities = _convnet.predict_probabilities(model, data["x_test"])
        test_loss, test_accuracy = _convnet.crossentropy_and_accuracy(probabilities, data["y_test"])
        metrics = {
            "test_accuracy": test_accuracy,
            "test_loss": test_loss,
            "test_errors": float(np.sum(np.argmax(probabilities, axis=1) != data["y_test"])),
            "train_loss": history["loss"][-1],
        }
        artefacts = misclassified(model, data["x_test"], data["y_test"], data["raw_test"])
        return Outcome(metrics=metrics, history=history, artefacts=artefacts, weights=model.get_weights())


@register
class ConvnetPermutedPixels(ConvnetMnist):
    """003-b: the 003-a convnet trained and tested on pixel-permuted digits (Question 2).

    One random permutation of the 784 pixel positions, drawn once per job from the job's seed, is
    applied to every training and test image alike, so every class keeps a stable (if non-local)
    pattern. Everything else is 003-a.

    The claim "only marginally less accurate than the model trained on the original images" is a
    comparison with 003-a: the report shows both benchmarks side by side over the same seeds, and the
    gap is 003-a's mean test accuracy minus this one's (source: 0.9877 - 0.9719 = 0.0158). We do not
    train the unpermuted net a second time inside this job: that would double a 10-minute-per-epoch
    CPU job for a number 003-a already measures with the same seeds.

    Full tier, seeds 1-3 (2026-11-23, through the runner, CPU forced, each seed drawing its own
    permutation): test accuracy 0.9732, 0.9718, 0.9716, mean 0.9722 ± 0.0009 against the source's
    0.9719: reproduced, and the three permutations differ by less than a seed of 003-a does, so the
    source's "some permutations are more forgiving" is not visible at this scale. Per epoch (seed 1):
    0.9430 0.9599 0.9653 0.9692 0.9701 0.9707 0.9723 0.9718 0.9725 0.9732, i.e. a slower start than
    003-a (0.9760 after one epoch) that keeps closing. Gap to 003-a (seed 1 only, 0.9874): 0.0152,
    the source's 0.0158. Seeds took 23-31 min each on a 2-core machine whose TensorFlow matmul ran at
    ~100 GFLOP/s that day (a third of the 310 measured before), with a second job sharing the cores.
    """

    name = "convnet_permuted_pixels"
    title = "Convnet on pixel-permuted MNIST (one fixed permutation), AdaDelta, 10 epochs"
    source = Source("003_94a913a946da2cc8.txt", "003-b", cells="Question 2")
    settings = ConvnetMnist.settings.replace(permute_pixels=True)
    # Each seed draws its own permutation, so the quick tier spreads more than 003-a's: 0.9196 ± 0.0033
    # over seeds 1-10 against 0.9557 ± 0.0027 over 1-12. One seed a gate run could then catch a drop of
    # 0.025 at the least; the mean of 2 catches 0.018, so the gate runs 2.
    gate_seeds = 2
    references = (
        Reference.calibrated(
            "test_accuracy", 0.9719,
            claim="accuracyShuf(test_x, test_y) = 0.9719; only marginally less accurate than the model "
                  "trained on the original images",
        ),
    )


class _EvaluateEvery(keras.callbacks.Callback):
    """Test loss and accuracy every ``every`` batches; stops training once the accuracy passes ``target``.

    The source's ``customTrainingLoop`` evaluates the whole test set after *every* batch and breaks at
    ``accuracies[end] > 0.95``. On this CPU one evaluation of 10 000 test images costs as much as ~60
    training batches, so we evaluate every ``every`` batches: the crossing step is then known to within
    ``every`` batches (we report the first evaluated step past the target).
    """

    def __init__(self, x_test, y_test, every: int, target: float, progress=None):
        super().__init__()
        self.x_test, self.y_test = x_test, y_test
        self.every, self.target, self.progress = every, target, progress
        self.steps, self.losses, self.accuracies = [], [], []
        self.reached_at = None
        self.last_step = 0

    def _evaluate(self, step):
        loss, accuracy = _convnet.crossentropy_and_accuracy(
            _convnet.predict_probabilities(self.model, self.x_test), self.y_test)
        self.steps.append(step)
        self.losses.append(loss)
        self.accuracies.append(accuracy)
        if accuracy > self.target and self.reached_at is None:
            self.reached_at = step
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        self.last_step = batch + 1
        if self.last_step % self.every == 0:
            self._evaluate(self.last_step)
            if self.progress is not None:
                self.progress(self.last_step, self.params.get("steps") or 0, "batch")

    def on_train_end(self, logs=None):
        if self.last_step and (not self.steps or self.steps[-1] != self.last_step):
            self._evaluate(self.last_step)


@register
class ConvnetDropoutStudy(_AssignmentConvnet):
    """003-c: does the convnet learn faster without dropout? (Question 3)

    Three nets: no dropout, the Keras example's (0.25, 0.5) and "high" (0.6, 0.8); each trained with
    Flux ``ADAM()`` (lr 0.001, epsilon 1e-8 where Keras defaults to 1e-7), batch 50, for at most one
    epoch, evaluating test loss and accuracy as it goes and stopping at > 0.95. Source: the net without
    dropout reaches 0.95 first, "after just about 120 batches (of 50)". Its first logged test losses
    per batch: no dropout 2.16151 2.01287 1.83101 1.65656 1.50071 1.36136 1.13703 0.945228 0.93651;
    (0.25, 0.5) 2.26851 2.20679 2.13904 2.06445 1.97705 1.87709 1.75624 1.61533 1.48362;
    (0.6, 0.8) 2.28677 2.27866 2.25622 2.23074 2.2038 2.17881 2.16029 2.14272 2.12386.

    The source's "high dropout" cell is wrong: its ``accuracy_high_dropout``, ``loss_high_dropout`` and
    ``parameters_high_dropout`` all use ``model_dropout``. Those helpers are never called (the training
    loop builds its own loss and optimiser from the model it is given, and it is given
    ``model_high_dropout``), but a reader cannot be sure which net the curve shows; we train the real
    (0.6, 0.8) net, which is what the experiment means.

    Each net's curve goes in the history as ``<net>_step``, ``<net>_test_loss``,
    ``<net>_test_accuracy`` with net in no_dropout, optimal_dropout, high_dropout.

    Full tier, seeds 1-3 (2026-11-22, about 10 min a seed with the CPU shared by a second job; the
    batches each net took to pass 0.95 test accuracy, per seed, are in ``baselines/full.json`` and the
    lead claim's note). The "about 120 batches" reproduces (mean 116.7). The high-dropout
    net is clearly the slowest, at about twice the batches. "No dropout was the fastest" holds in
    seeds 2 and 3 (by 30 and 20 batches) but seed 1 is a tie: both nets first pass 0.95 at the
    evaluation after batch 110, so which crossed first is below our 10-batch resolution. The claim
    is judged strictly (earlier in every seed), so the tie makes it NOT REPRODUCED; the honest
    reading is "faster or level with the (0.25, 0.5) net, never slower, in 3 of 3 seeds". Resolving
    ties needs the per-batch evaluation the source does near the crossing (about 60 training batches'
    worth of compute per evaluation here): replay the last interval from a checkpoint, batch by batch.
    """

    name = "convnet_dropout_study"
    title = "Convnet with no / (0.25, 0.5) / (0.6, 0.8) dropout: batches to 95 % test accuracy (Adam)"
    source = Source("003_94a913a946da2cc8.txt", "003-c", cells="Question 3")
    placement = "gpu"  # three convnet trainings plus a test-set evaluation every 10 batches
    settings = Settings(batch_size=50, target_accuracy=0.95, evaluate_every_batches=10)
    tiers = {
        # At most 100 batches per net and a 500-image test set: the curves' start, rarely the target.
        "quick": dict(train_size=5_000, test_size=500),
        "smoke": dict(train_size=500, test_size=200, evaluate_every_batches=5),
    }
    # Quick measured 309 s under load ~9 with 160 batches per net and 1000 test images (now 100 and 500);
    # smoke 28 s under load. Full: ~500 training batches and ~50 evaluations of 10 000 images over the
    # three nets; measured 602-623 s a seed with a second job on the other core (2026-11-22).
    estimated_seconds = {"full": 610.0, "quick": 150.0, "smoke": 25.0}
    parameter_count = _convnet.PARAMETER_COUNT  # of each of the three nets
    NETS = {
        "no_dropout": _convnet.NO_DROPOUT,
        "optimal_dropout": _convnet.OPTIMAL_DROPOUT,
        "high_dropout": _convnet.HIGH_DROPOUT,
    }
    references = (
        Reference.calibrated(
            "no_dropout_batches_to_target", 120.0,
            claim="the model with no dropout at all was the fastest to reach 95% accuracy after just about "
                  "120 batches (of 50) of the pictures",
            note="Batches are counted on our 10-batch evaluation grid",
        ),
        Reference.at_least(
            "no_dropout_lead_batches", 1.0, value=None, judged_on="every_seed",
            claim="the model with no dropout at all was the fastest to reach 95% accuracy",
            note="batches the fastest dropout net needed minus the no-dropout net's; >= 1 means the "
                 "no-dropout net passed 0.95 at an earlier evaluation, in every seed; a lead of 0 is a tie "
                 "within one 10-batch interval",
        ),
    )

    def build_model(self, settings, dropout_rates=_convnet.OPTIMAL_DROPOUT):
        model = _convnet.conv_net(dropout_rates)
        model.compile(optimizer=_flux.adam(), loss="sparse_categorical_crossentropy")
        return model

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        batches_per_epoch = -(-len(data["x_train"]) // settings.batch_size)
        metrics, history, weights = {}, {}, []
        for net, rates in self.NETS.items():
            model = self.build_model(settings, rates)
            monitor = _EvaluateEvery(data["x_test"], data["y_test"], settings.evaluate_every_batches,
                                     settings.target_accuracy, progress=self.report_progress)
            model.fit(data["x_train"], data["y_train"], epochs=1, batch_size=settings.batch_size,
                      shuffle=True, verbose=0, callbacks=[monitor])
            reached = monitor.reached_at is not None
            # A net that never passes the target within the epoch is counted at the epoch's length.
            metrics[f"{net}_batches_to_target"] = float(monitor.reached_at if reached else batches_per_epoch)
            metrics[f"{net}_reached_target"] = float(reached)
            metrics[f"{net}_final_test_accuracy"] = monitor.accuracies[-1]
            history[f"{net}_step"] = monitor.steps
            history[f"{net}_test_loss"] = monitor.losses
            history[f"{net}_test_accuracy"] = monitor.accuracies
            weights += model.get_weights()
        metrics["no_dropout_lead_batches"] = (
            min(metrics["optimal_dropout_batches_to_target"], metrics["high_dropout_batches_to_target"])
            - metrics["no_dropout_batches_to_target"]
        )
        return Outcome(metrics=metrics, history=history, weights=weights)
