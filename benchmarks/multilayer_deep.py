"""'Multiple layer networks' lecture notes, sections "Deep Classification" and "Data Augmentation"
(source 004_376a62fc22c4e898.txt).

* 004-d: the layer sizes of Ciresan et al. (2010), 784-2500-2000-1500-1000-500-10 with relu instead of
  their tanh, 11 972 510 parameters, Flux ``ADAM()``, logit cross-entropy, batches of 10 000, 15
  "epochs" of 10 passes over the data: test accuracy 0.9842 (158 errors). Context, not judged:
  Ciresan et al. reach 0.9965 with deformed (rotated, stretched, elastically distorted) training images.
* 004-e: the same net trained on images randomly rotated by up to ±π/8, 10 epochs of 10 passes:
  best test accuracy 0.9878 over the epochs, final 0.9858 (142 errors).

Both need a GPU in practice: 004-d is ~650 TFLOP of training. On the 2-core CPU here one pass over
the 60 000 images (6 steps of 10 000) took 12-19 s on a day TensorFlow's 2048² matmul ran at ~310
GFLOP/s, and ~40 s on 2026-11-23, when it ran at ~105 GFLOP/s: 004-d's 150 passes took 1 h 41 min
that day. 004-e's 100 passes take about two thirds of that.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers

from benchmarks import _flux, _mnist
from suite import Benchmark, Outcome, Reference, Settings, Source, register

#: Layer widths of Ciresan et al. (2010), as ``cmgsnet_cpu`` in the source.
LAYER_WIDTHS = (2500, 2000, 1500, 1000, 500)


def rotate_image(image: np.ndarray, theta: float) -> np.ndarray:
    """The source's ``rotateimage(img, θ)``, line by line (forward mapping, nearest pixel).

    Every source pixel (i, j) is written to ``(round((i-i0)cosθ + (j-j0)sinθ + i0),
    round(-(i-i0)sinθ + (j-j0)cosθ + j0))`` when that lands inside the image; the rest keeps the
    corner value ``img[1,1]``. Being a forward map it leaves a few holes in rotated strokes; that is
    part of the augmentation the source trained on, so we keep it. Indices are Julia's 1-based ones
    (centre 14.5) so that ``round`` (half to even in both languages) sees the same numbers; when two
    source pixels land on one target the later one in Julia's loop order (i outer, j inner) wins,
    as in the source.
    """
    image = np.asarray(image)
    size_i, size_j = image.shape
    i0, j0 = (size_i + 1) / 2, (size_j + 1) / 2
    i, j = np.meshgrid(np.arange(1, size_i + 1), np.arange(1, size_j + 1), indexing="ij")  # i outer
    cos, sin = math.cos(theta), math.sin(theta)
    ri = np.round((i - i0) * cos + (j - j0) * sin + i0).astype(np.int64)
    rj = np.round(-(i - i0) * sin + (j - j0) * cos + j0).astype(np.int64)
    inside = (ri >= 1) & (ri <= size_i) & (rj >= 1) & (rj <= size_j)
    rotated = np.full(image.shape, image[0, 0], dtype=image.dtype)  # C order: reshape is a view
    # Assigning through a flat index in loop order: for repeated targets NumPy keeps the last write.
    targets = ((ri - 1) * size_j + (rj - 1))[inside]
    flat = rotated.reshape(-1)
    flat[targets] = image[inside]
    return rotated


def rotate_batch(images: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """``rotate_image`` for every image of a (n, 28, 28) batch with its own angle, vectorised.

    MLDatasets stores MNIST transposed (``train_x[:, :, k]'`` is the upright digit), so the source
    rotates the transposed image; we do the same (transpose, rotate, transpose back), which keeps
    the loop order and the direction of rotation of the source. Equal to calling ``rotate_image``
    image by image (tested), ~20x faster.
    """
    images = np.asarray(images)
    transposed = np.swapaxes(images, 1, 2)
    count, size_i, size_j = transposed.shape
    i0, j0 = (size_i + 1) / 2, (size_j + 1) / 2
    i, j = np.meshgrid(np.arange(1, size_i + 1), np.arange(1, size_j + 1), indexing="ij")
    cos = np.cos(np.asarray(thetas, dtype="float64"))[:, None, None]
    sin = np.sin(np.asarray(thetas, dtype="float64"))[:, None, None]
    ri = np.round((i - i0) * cos + (j - j0) * sin + i0).astype(np.int64)
    rj = np.round(-(i - i0) * sin + (j - j0) * cos + j0).astype(np.int64)
    inside = (ri >= 1) & (ri <= size_i) & (rj >= 1) & (rj <= size_j)
    rotated = np.broadcast_to(transposed[:, :1, :1], transposed.shape).copy()
    offsets = (np.arange(count) * size_i * size_j)[:, None, None]
    targets = (offsets + (ri - 1) * size_j + (rj - 1))[inside]
    rotated.reshape(-1)[targets] = transposed[inside]
    return np.swapaxes(rotated, 1, 2)


def logit_loss_and_accuracy(logits: np.ndarray, one_hot: np.ndarray) -> tuple[float, float]:
    """Flux ``logitcrossentropy`` (mean over images of -sum y log softmax) and arg-max accuracy."""
    logits = np.asarray(logits, dtype="float64")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(np.mean(-(np.asarray(one_hot) * log_softmax).sum(axis=1)))
    accuracy = float(np.mean(np.argmax(logits, axis=1) == np.argmax(one_hot, axis=1)))
    return loss, accuracy


class RotatedPasses(keras.utils.PyDataset):
    """004-e's training list: ``[(randrotate.(X[:, p]), Y[:, p]) for p in parts for i = 1:10]``.

    Batch p of 10 000 images comes 10 times in a row, each time with fresh angles drawn uniformly in
    [-max_angle, max_angle] per image (``rand()*2maxθ - maxθ``), then batch p+1. The source builds
    this list once, before its epoch loop, so every epoch trains on the same rotated images in the
    same order. We draw the angles of item k from a generator seeded by (job seed, k), which gives
    the same fixed list without holding 600 000 rotated images in memory.
    """

    def __init__(self, x, y, *, batch_size, repeats, max_angle, seed, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size, self.repeats, self.max_angle, self.seed = batch_size, repeats, max_angle, seed
        self.batches = -(-len(x) // batch_size)

    def __len__(self):
        return self.batches * self.repeats

    def __getitem__(self, index):
        part, repeat = divmod(index, self.repeats)
        rows = slice(part * self.batch_size, (part + 1) * self.batch_size)
        images = self.x[rows]
        rng = np.random.default_rng([self.seed, part, repeat])
        thetas = rng.uniform(0.0, 1.0, len(images)) * 2 * self.max_angle - self.max_angle
        return _mnist.flat_scaled(rotate_batch(images, thetas)), self.y[rows]


@register
class DeepMlpCiresan(Benchmark):
    """004-d: the 6-layer MLP with the widths of Ciresan et al. (2010), relu, Adam, batches of 10 000.

    The source's training list is ``repeat([(X[:, p], Y[:, p]) for p in parts], 10)`` with parts the
    six consecutive blocks of 10 000 images: one "epoch" is 10 passes over the data in the canonical
    order (no shuffling), 60 Adam steps; 15 epochs make 900 steps. After every epoch it logs the loss
    on all training images, the accuracy on training images 1-2000, and test loss and accuracy: that
    is our per-epoch history. The text says "two batches" per pass, but 60 000 / 10 000 is six.

    Port notes: Flux ``ADAM()`` has epsilon 1e-8 (Keras 1e-7): set. ``logitcrossentropy`` on the
    linear last layer is Keras' ``from_logits=True``. Dense init glorot-uniform / zero bias on both
    sides. MLDatasets' ``MNIST(split=:train)`` features are Float32 in [0, 1], as ours.

    Literature context (not judged): Ciresan et al. reach 0.9965 with deformed training images and
    tanh; the source attributes most of the gap to their data deformations (tried in 004-e).

    What we measured. Full tier, seed 1, forced onto this CPU (2026-11-23, run
    20261123-183744-full-339b, 1 h 41 min): 0.9853 (147 errors) against the reported 0.9842 (158).
    Test accuracy was 0.9765 after epoch 1, 0.9835 after 3 and 0.9847-0.9853 from epoch 4 on, while
    training accuracy (images 1-2000) hit 1.0 at epoch 3 and test loss rose from 0.073 to 0.111: the
    net memorises the training set and test accuracy plateaus, as the source's curves show.
    """

    name = "deep_mlp_ciresan"
    title = "Deep MLP 784-2500-2000-1500-1000-500-10 (Ciresan et al. widths), Adam, batch 10 000"
    source = Source("004_376a62fc22c4e898.txt", "004-d", cells="Deep Classification")
    tags = ("mnist", "deep-mlp", "heavy")
    dataset = "mnist"
    placement = "gpu-required"  # ~650 TFLOP: 1-2 h on the 2-core CPU, about a minute on one GPU
    settings = Settings(epochs=15, passes_per_epoch=10, batch_size=10_000, train_accuracy_images=2000)
    tiers = {
        # A sixth of the data in batches of 1 000, 6 passes (60 Adam steps, ~0.4 % of the full tier's work),
        # tested on all 10 000 images: past the steep part of the curve (0.92-0.93 after 3 passes, 0.945-0.948
        # after 6 in seeds 1-3), where the seed moves the accuracy by ~0.002. Earlier quick tiers: 3 passes
        # tested on 2 000 images gave 0.909 ± 0.0082 over 8 seeds, too wide to catch a 2-point drop; batches
        # of 10 000 gave 3 steps and 0.40 ± 0.055, a bound of [-1.06, 1.86] that judged nothing.
        "quick": dict(epochs=6, passes_per_epoch=1, batch_size=1_000, train_size=10_000),
        "smoke": dict(epochs=1, passes_per_epoch=1, batch_size=1_000, train_size=2_000, test_size=500,
                      train_accuracy_images=500),
    }
    # Full: measured 6082 s for seed 1 on 2026-11-23 (idle machine, TF matmul ~105 GFLOP/s; 30-50 min
    # when it ran at ~310 GFLOP/s). The larger figure, so that the skip message does not promise too little.
    # Quick: 84-151 s a seed on the CPU (2026-12-02, with a second job on the cores part of the time).
    # Smoke: 25 s with the machine shared by four engineers (load ~9 on 2 cores).
    estimated_seconds = {"full": 6100.0, "quick": 120.0, "smoke": 25.0}
    # The gate judges the mean of 3 seeds a run: 004-d's best accuracy spreads 0.0041 by seed on JAX (seeds 1-12,
    # 0.0027 on TensorFlow), where 2 seeds could catch only a 2.1-point drop. On a GPU a quick seed takes
    # seconds; a gate on a CPU skips these gpu-required benchmarks.
    gate_seeds = 3
    # Judged on its best accuracy over the passes, as 004-e is: on JAX one of seeds 1-12 ended its last quick pass
    # at 0.9272 (its spread twice TensorFlow's), while the best over the passes does not swing with the last step.
    gate_metrics = ("best_test_accuracy",)
    parameter_count = 11_972_510  # "cmgsnet has 11972510 parameters!!!"
    references = (
        Reference.calibrated(
            "test_accuracy", 0.9842,
            claim="mean(mlabels .== tlabels) = 0.9842; sum(mlabels .!= tlabels) = 158. (Context, not "
                  "judged: Ciresan et al. 2010 achieve 99.65% accuracy, with deformed training images.)",
        ),
    )

    def load_data(self, settings, seed):
        data = _mnist.subset(super().load_data(settings, seed), settings)
        return {
            **_mnist.flat_one_hot(data),
            "raw_train": data["x_train"],
            "raw_test": data["x_test"],
            "test_labels": np.asarray(data["y_test"]),
        }

    def build_model(self, settings):
        stack = [keras.Input(shape=(28 * 28,))]
        stack += [layers.Dense(width, activation="relu") for width in LAYER_WIDTHS]
        stack.append(layers.Dense(10))  # logits: the source's softmax is commented out
        model = keras.Sequential(stack)
        model.compile(
            optimizer=_flux.adam(),  # Flux ADAM()
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),  # logitcrossentropy
            metrics=["accuracy"],
        )
        return model

    def train_one_epoch(self, model, data, settings, seed):
        """One source "epoch": 10 ordered passes over the six blocks of 10 000."""
        model.fit(data["x_train"], data["y_train"], batch_size=settings.batch_size,
                  epochs=settings.passes_per_epoch, shuffle=False, verbose=0)

    @staticmethod
    def logits(model, x, settings):
        """The model's outputs in inference mode, in blocks of the training batch size."""
        return np.concatenate([np.asarray(model(x[start:start + settings.batch_size], training=False))
                               for start in range(0, len(x), settings.batch_size)])

    def run(self, settings, seed) -> Outcome:
        data = self.load_data(settings, seed)
        model = self.build_model(settings)  # inside run: lands in the runner's strategy scope
        head = settings.train_accuracy_images
        history = {key: [] for key in ("epoch", "loss", "train_accuracy", "test_loss", "test_accuracy")}
        for epoch in range(1, settings.epochs + 1):
            self.train_one_epoch(model, data, settings, seed)
            # The source's per-epoch log: loss(X, Y) on all training images (unrotated also in 004-e),
            # accuracy on images 1-2000, loss and accuracy on the test set. One forward pass each over
            # train and test; the numbers are computed from the logits in NumPy.
            train_logits = self.logits(model, data["x_train"], settings)
            train_loss, _ = logit_loss_and_accuracy(train_logits, data["y_train"])
            _, train_accuracy = logit_loss_and_accuracy(train_logits[:head], data["y_train"][:head])
            test_logits = self.logits(model, data["x_test"], settings)
            test_loss, test_accuracy = logit_loss_and_accuracy(test_logits, data["y_test"])
            history["epoch"].append(epoch)
            history["loss"].append(float(train_loss))
            history["train_accuracy"].append(float(train_accuracy))
            history["test_loss"].append(test_loss)
            history["test_accuracy"].append(test_accuracy)
            self.report_progress(epoch, settings.epochs, "epoch")
        predicted = np.argmax(test_logits, axis=1)
        wrong = np.flatnonzero(predicted != data["test_labels"])
        metrics = {
            "test_accuracy": float(np.mean(predicted == data["test_labels"])),
            "test_errors": float(len(wrong)),
            "best_test_accuracy": max(history["test_accuracy"]),
            "test_loss": history["test_loss"][-1],
            "train_loss": history["loss"][-1],
            "train_accuracy": history["train_accuracy"][-1],
        }
        confusion = np.zeros((10, 10), dtype="int64")
        np.add.at(confusion, (data["test_labels"], predicted), 1)
        artefacts = {
            # The source plots the first 16 misclassified test digits, "true as predicted".
            "misclassified_images": data["raw_test"][wrong[:16]],
            "misclassified_true": data["test_labels"][wrong[:16]],
            "misclassified_pred": predicted[wrong[:16]],
            "confusion_matrix": confusion,
        }
        return Outcome(metrics=metrics, history=history, artefacts=artefacts, weights=model.get_weights())


@register
class DeepMlpRotations(DeepMlpCiresan):
    """004-e: 004-d trained on randomly rotated images (section "Data Augmentation").

    How the source draws the rotations (and we match): ``randrotate(x; maxθ = π/8)`` rotates one image
    by ``rand()*2maxθ - maxθ``, uniform in [-π/8, π/8], with its own forward-mapping nearest-pixel
    ``rotateimage`` (ported as ``rotate_image``). The training list is
    ``[(rotated X[:, p], Y[:, p]) for p in parts for i = 1:10]``: each block of 10 000 ten times in a
    row, each time with new angles, built once before the epoch loop, so all 10 epochs reuse the same
    600 000 rotated images in the same order (``RotatedPasses``). Evaluation is on unrotated images.
    Reported: best test accuracy over the 10 epochs 0.9878, final 0.9858 (142 errors).

    What we measured. Full tier, seed 1, forced onto this CPU (2026-11-23, run
    20261123-215528-full-4607, 1 h 07 min): best 0.9878 (epoch 7), final 0.9877 (123 errors). Test
    accuracy was 0.9718 after epoch 1, 0.9850 after 3 and 0.9841-0.9878 from then on. Against
    004-d's seed 1 the rotations lift final test accuracy by 0.0024 (the source: 0.0016) and end with
    a lower test loss (0.072 against 0.111), while training accuracy on images 1-2000 stays below 1.0
    (0.9945): the augmented net overfits less, as the source argues.

    ``cmgsnet = gpu(cmgsnet_cpu)`` copies the untrained CPU net to the GPU, so 004-e starts from a
    fresh initialisation, not from 004-d's trained weights; so do we.
    """

    name = "deep_mlp_rotations"
    title = "Deep MLP (Ciresan widths) trained on images rotated by up to ±π/8"
    source = Source("004_376a62fc22c4e898.txt", "004-e", cells="Data Augmentation")
    settings = DeepMlpCiresan.settings.replace(epochs=10, max_angle_rad=math.pi / 8)
    # tiers: 004-d's (the same slices; only the rotations differ)
    # Full: measured 4039 s for seed 1 on 2026-11-23 (idle machine, 6-7 min per 10-pass epoch), as
    # predicted pro rata from 004-d (100 of its 150 passes, plus rotating 600 000 images per epoch).
    # Quick and smoke measured on the loaded machine, as 004-d's.
    estimated_seconds = {"full": 4200.0, "quick": 130.0, "smoke": 35.0}
    gate_seeds = 2  # 0.0033 by seed (TensorFlow, seeds 1-12) and 0.0029 (JAX): 2 seeds catch a 1.7-point drop
    # At the quick tier the last pass can swing the test accuracy by 2 points (seed 11: 0.951 after pass 5,
    # 0.928 after pass 6; sd 0.0064 over seeds 1-12, too wide to catch a 2-point drop even over 2 seeds),
    # while the best over the passes is stable (sd 0.0028): the gate judges the best. The final accuracy
    # is judged at the full tier against the source.
    gate_metrics = ("best_test_accuracy",)
    references = (
        Reference.calibrated("best_test_accuracy", 0.9878, claim="maximum(acctest) = 0.9878"),
        Reference.calibrated(
            "test_accuracy", 0.9858, claim="mean(mlabels .== tlabels) = 0.9858; sum(mlabels .!= tlabels) = 142",
        ),
    )

    def train_one_epoch(self, model, data, settings, seed):
        """One source "epoch" over the fixed list of rotated blocks (the same list every epoch)."""
        passes = RotatedPasses(data["raw_train"], data["y_train"], batch_size=settings.batch_size,
                               repeats=settings.passes_per_epoch, max_angle=settings.max_angle_rad, seed=seed)
        model.fit(passes, epochs=1, shuffle=False, verbose=0)
