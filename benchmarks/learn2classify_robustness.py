"""'Learn2Classify' notebook, section 5.6 (source 001_48965531ca7b644d.txt): off-centre and tilted digits.

Sections 5.4-5.5 observe that the trained MLPs misclassify digits "written at the boundaries" and
"tilted"; 5.6 says "Convolutional neural networks overcome the obstacles above. Train and show that
such a network does this." and leaves the cell empty. There is no number to reproduce: we measure
test accuracy against a shift of the digit (0-6 pixels) and a rotation (0-30 degrees) for the
notebook's MLP and for the 003-a convnet, and judge the claim "the convnet degrades less".
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

from benchmarks import _convnet, _flux, _mnist
from suite import Benchmark, Outcome, Reference, Settings, Source, register
from suite.backends.training import under_data_parallel

#: The four directions of a shift, as (rows down, columns right) per pixel.
SHIFT_DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def shift_images(images: np.ndarray, down_px: int, right_px: int) -> np.ndarray:
    """Move every (n, 28, 28) image by whole pixels, filling with background (0); nothing wraps around."""
    images = np.asarray(images)
    height, width = images.shape[1:]
    if abs(down_px) >= height or abs(right_px) >= width:
        raise ValueError(f"shift ({down_px}, {right_px}) moves the digit out of a {height}x{width} image")
    shifted = np.zeros_like(images)
    rows_to = slice(max(down_px, 0), height + min(down_px, 0))
    rows_from = slice(max(-down_px, 0), height + min(-down_px, 0))
    cols_to = slice(max(right_px, 0), width + min(right_px, 0))
    cols_from = slice(max(-right_px, 0), width + min(-right_px, 0))
    shifted[:, rows_to, cols_to] = images[:, rows_from, cols_from]
    return shifted


def rotate_images(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate every (n, 28, 28) image about its centre (clockwise as displayed, for positive degrees).

    Inverse mapping with bilinear interpolation and zero background, so a rotated stroke has no holes
    (unlike 004-e's forward-mapping ``rotateimage``, which is a training augmentation, not a test).
    Returns float32 in the input's value range.
    """
    images = np.asarray(images, dtype="float32")
    height, width = images.shape[1:]
    centre_r, centre_c = (height - 1) / 2, (width - 1) / 2
    theta = math.radians(degrees)
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    # Where each output pixel comes from: rotate the output grid back by -theta (rows point down).
    dr, dc = rows - centre_r, cols - centre_c
    source_r = math.cos(theta) * dr - math.sin(theta) * dc + centre_r
    source_c = math.sin(theta) * dr + math.cos(theta) * dc + centre_c
    r0, c0 = np.floor(source_r).astype(int), np.floor(source_c).astype(int)
    fr, fc = source_r - r0, source_c - c0
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))  # a zero border makes off-image samples 0

    def sample(r, c):
        inside = (r >= -1) & (r <= height) & (c >= -1) & (c <= width)
        values = padded[:, np.clip(r + 1, 0, height + 1), np.clip(c + 1, 0, width + 1)]
        return values * inside

    return (sample(r0, c0) * (1 - fr) * (1 - fc) + sample(r0, c0 + 1) * (1 - fr) * fc
            + sample(r0 + 1, c0) * fr * (1 - fc) + sample(r0 + 1, c0 + 1) * fr * fc).astype("float32")


@register
class OffCentreTiltedDigits(Benchmark):
    """001-q: accuracy on shifted and rotated test digits, the notebook's MLP against the 003-a convnet.

    The MLP is the one the notebook trains and then tests by hand in 5.4-5.5 (``m2`` of 001-l):
    Dense(784->16, relu) -> Dense(16->10) -> softmax, cross-entropy, Flux ``ADAM()`` (epsilon 1e-8),
    batch 100, 100 shuffled epochs. The convnet is 003-a's (``benchmarks/_convnet.py``): AdaDelta at
    learning rate 1.0, batch 50, 10 epochs. Both train on the ordinary, centred training images.

    Tests: each test image shifted by s = 0..6 pixels left, right, up and down (the accuracy at s is
    the mean of the four directions; digits are centred by their centre of mass in a 20x20 box, so
    at 6 px strokes begin to leave the frame), and rotated by ±a for a = 0..30 degrees (mean of both
    signs). The claim is judged on the *drop* from each model's own clean accuracy, averaged over the
    non-zero shifts (rotations), so that the convnet's higher clean accuracy does not count as
    robustness: ``shift_degradation_gap`` = MLP drop - convnet drop; the convnet "degrades less" when
    it is > 0. We state the outcome whichever way it comes out; the absolute accuracies are metrics
    and curves too.

    What we measured. Full tier, seeds 1-3 (2026-11-23, CPU forced, 25-31 min a seed; run
    20261123-141628-full-05cf): clean accuracy MLP 0.9507, 0.9524, 0.9487, convnet 0.9887, 0.9878,
    0.9887. Averaged over 1-6 px the MLP dropped by 0.534 ± 0.003 and the convnet by 0.361 ± 0.006
    (gap +0.173 ± 0.009); at 6 px the MLP is at 0.12 (chance) and the convnet at 0.22. Over ±5-30
    degrees the MLP dropped by 0.145 ± 0.008 and the convnet by 0.064 ± 0.002 (gap +0.081 ± 0.011);
    at ±30 degrees 0.60 against 0.80. So the claim holds in every seed: the trained convnet degrades
    clearly less, on both. It does not "overcome" the
    problem, though: 003-a's convnet has a single 2x2 max-pool and then a dense layer over the 14x14
    feature positions, which is position-specific much like the MLP's first layer, so a 6-pixel shift
    still costs it three quarters of its accuracy. The notebook points to the Flux model-zoo convnet
    (three conv + pool stages), which would absorb more. The quick tier (one convnet epoch on 10 000
    images) shows a much smaller gap (+0.026 shift, +0.008 rotation in seed 1): the convnet's
    robustness grows with training.
    """

    name = "offcentre_tilted_digits"
    title = "Shifted and rotated test digits: MLP (784-16-10) vs convnet (003-a)"
    source = Source("001_48965531ca7b644d.txt", "001-q", cells="5.4-5.6")
    tags = ("mnist", "convnet", "robustness")
    dataset = "mnist"
    placement = "gpu"  # dominated by the convnet's training and its ~40 passes over the test set
    settings = Settings(
        mlp_hidden=16, mlp_epochs=100, mlp_batch_size=100,
        convnet_epochs=10, convnet_batch_size=50,
        shifts_px=(0, 1, 2, 3, 4, 5, 6), rotations_deg=(0, 5, 10, 15, 20, 25, 30),
    )
    tiers = {
        "quick": dict(mlp_epochs=3, convnet_epochs=1, train_size=10_000, test_size=500),
        "smoke": dict(mlp_epochs=1, convnet_epochs=1, train_size=500, test_size=200,
                      shifts_px=(0, 3, 6), rotations_deg=(0, 15, 30)),
    }
    # Full: measured 1837, 1515 and 1492 s for seeds 1-3 on 2026-11-23 (idle machine, CPU forced):
    # 003-a's 10 convnet epochs, 100 MLP epochs, ~80 test passes. The larger figure, rounded.
    # Quick measured 129 s under load ~9 (with 12 000 / 1 000 images, now 10 000 / 500), smoke 20 s.
    estimated_seconds = {"full": 1850.0, "quick": 100.0, "smoke": 20.0}
    references = (
        Reference.at_least(
            "shift_degradation_gap", 0.0,
            claim="Writing the digit at the boundaries [...] produces wrong predictions. Convolutional "
                  "neural networks overcome the obstacles above.",
            note="the source gives no number: the claim holds when the MLP's accuracy drop (clean minus "
                 "mean over shifts 1-6 px in 4 directions) exceeds the convnet's, judged on the mean",
        ),
        Reference.at_least(
            "rotation_degradation_gap", 0.0,
            claim="[...] writing tilted digits produces wrong predictions. Convolutional neural networks "
                  "overcome the obstacles above.",
            note="the source gives no number: the claim holds when the MLP's accuracy drop (clean minus "
                 "mean over ±5..30 degrees) exceeds the convnet's, judged on the mean",
        ),
    )

    def load_data(self, settings, seed):
        data = _mnist.subset(super().load_data(settings, seed), settings)
        return {key: np.asarray(value) for key, value in data.items()}

    def build_mlp(self, settings):
        model = keras.Sequential([
            keras.Input(shape=(28 * 28,)),
            layers.Dense(settings.mlp_hidden, activation="relu"),
            layers.Dense(10),
            layers.Softmax(),
        ])
        # 50 batches per call into TensorFlow: same numbers, a third of the epoch time here. Not under
        # MirroredStrategy: Keras 3.15's multi-step loop fails there ("You must feed a value for
        # placeholder tensor ... while/cond/Placeholder"), tested with two logical CPUs.
        steps_per_execution = 1 if under_data_parallel() else 50
        model.compile(optimizer=_flux.adam(), loss="sparse_categorical_crossentropy",
                      steps_per_execution=steps_per_execution)
        return model

    def build_convnet(self, settings):
        model = _convnet.conv_net(_convnet.OPTIMAL_DROPOUT)
        model.compile(optimizer=_flux.adadelta(), loss="sparse_categorical_crossentropy")
        return model

    def build_model(self, settings):
        return self.build_convnet(settings)

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        models = {"mlp": self.build_mlp(settings), "convnet": self.build_convnet(settings)}
        as_input = {
            "mlp": lambda images: _mnist.flat_scaled(images),
            "convnet": lambda images: (np.asarray(images, dtype="float32") / 255.0)[..., np.newaxis],
        }
        models["mlp"].fit(as_input["mlp"](data["x_train"]), data["y_train"], epochs=settings.mlp_epochs,
                          batch_size=settings.mlp_batch_size, shuffle=True, verbose=0)
        self.report_progress(1, 2, "model")
        models["convnet"].fit(as_input["convnet"](data["x_train"]), data["y_train"],
                              epochs=settings.convnet_epochs, batch_size=settings.convnet_batch_size,
                              shuffle=True, verbose=0)
        self.report_progress(2, 2, "model")

        def accuracy(model_name, images):
            probabilities = _convnet.predict_probabilities(models[model_name], as_input[model_name](images))
            return float(np.mean(np.argmax(probabilities, axis=1) == data["y_test"]))

        shifted = {s: [shift_images(data["x_test"], s * down, s * right) for down, right in SHIFT_DIRECTIONS]
                   for s in settings.shifts_px if s}
        rotated = {a: [rotate_images(data["x_test"], sign * a) for sign in (1, -1)]
                   for a in settings.rotations_deg if a}
        metrics, artefacts = {}, {
            "shift_pixels": np.asarray(settings.shifts_px, dtype="float64"),
            "rotation_degrees": np.asarray(settings.rotations_deg, dtype="float64"),
        }
        for name in models:
            clean = accuracy(name, data["x_test"])
            shift_curve = [float(np.mean([accuracy(name, x) for x in shifted[s]])) if s else clean
                           for s in settings.shifts_px]
            rotation_curve = [float(np.mean([accuracy(name, x) for x in rotated[a]])) if a else clean
                              for a in settings.rotations_deg]
            artefacts[f"shift_accuracy__{name}"] = np.asarray(shift_curve)
            artefacts[f"rotation_accuracy__{name}"] = np.asarray(rotation_curve)
            metrics[f"{name}_test_accuracy"] = clean
            metrics[f"{name}_shift_accuracy_mean"] = float(np.mean(
                [v for s, v in zip(settings.shifts_px, shift_curve, strict=True) if s]))
            metrics[f"{name}_rotation_accuracy_mean"] = float(np.mean(
                [v for a, v in zip(settings.rotations_deg, rotation_curve, strict=True) if a]))
            metrics[f"{name}_accuracy_at_max_shift"] = shift_curve[-1]
            metrics[f"{name}_accuracy_at_max_rotation"] = rotation_curve[-1]
        for kind in ("shift", "rotation"):
            drop = {name: metrics[f"{name}_test_accuracy"] - metrics[f"{name}_{kind}_accuracy_mean"]
                    for name in models}
            metrics[f"mlp_{kind}_drop"], metrics[f"convnet_{kind}_drop"] = drop["mlp"], drop["convnet"]
            metrics[f"{kind}_degradation_gap"] = drop["mlp"] - drop["convnet"]
        weights = models["mlp"].get_weights() + models["convnet"].get_weights()
        return Outcome(metrics=metrics, artefacts=artefacts, weights=weights)
