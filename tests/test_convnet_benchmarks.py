"""The pure helpers of the convnet (003, 001-q) and deep-MLP (004-d/e) benchmarks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import _convnet
from benchmarks.convnet_assignment import permute_pixels
from benchmarks.learn2classify_robustness import rotate_images, shift_images
from benchmarks.multilayer_deep import RotatedPasses, logit_loss_and_accuracy, rotate_batch, rotate_image


@pytest.fixture
def digits():
    from suite.data import datasets

    data = datasets.load("mnist")
    return np.asarray(data["x_test"][:64]), np.asarray(data["y_test"][:64])


# -- the convnet's layers on JAX on a CPU -------------------------------------------------------------
_XLA_CPU_LAYERS_CHECK = """
import json, sys
import jax, jax.numpy as jnp, keras, numpy as np
from jax import lax
from benchmarks import _xla_cpu_layers

rng = np.random.default_rng(0)
found = {"on_xla_cpu": _xla_cpu_layers.runs_on_xla_cpu(), "conv": {}}
for padding, kernel_shape in (("same", (3, 3, 4, 6)), ("same", (5, 2, 4, 6)), ("valid", (3, 3, 4, 6))):
    x = jnp.asarray(rng.standard_normal((3, 12, 10, 4), dtype=np.float32))
    kernel = jnp.asarray(rng.standard_normal(kernel_shape, dtype=np.float32))
    fast = _xla_cpu_layers._convolution_with_fast_kernel_gradient(padding)
    xla = lambda x, k: lax.conv_general_dilated(x, k, (1, 1), padding.upper(),
                                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    weights = jnp.asarray(rng.standard_normal(xla(x, kernel).shape, dtype=np.float32))
    loss = lambda f: lambda x, k: jnp.sum(jnp.tanh(f(x, k)) * weights)
    expected = jax.grad(loss(xla), argnums=(0, 1))(x, kernel)
    got = jax.grad(loss(fast), argnums=(0, 1))(x, kernel)
    found["conv"][f"{padding} {kernel_shape}"] = {
        "forward_equal": bool(jnp.all(fast(x, kernel) == xla(x, kernel))),
        "input_gradient_equal": bool(jnp.all(got[0] == expected[0])),
        "kernel_gradient_relative_error": float(jnp.max(jnp.abs(got[1] - expected[1])) / jnp.max(jnp.abs(expected[1]))),
    }
pool, plain = _xla_cpu_layers.MaxPooling2D((2, 2)), keras.layers.MaxPooling2D((2, 2))
h = jnp.asarray(np.maximum(rng.standard_normal((3, 8, 6, 5), dtype=np.float32), 0))  # relu output: ties at 0
upstream = jnp.asarray(rng.standard_normal((3, 4, 3, 5), dtype=np.float32))
gradient = lambda layer: jax.grad(lambda h: jnp.sum(layer(h) * upstream))(h)
found["pool_forward_equal"] = bool(jnp.all(pool(h) == plain(h)))
found["pool_gradient_equal"] = bool(jnp.all(gradient(pool) == gradient(plain)))
print(json.dumps(found))
"""


def test_the_convnet_layers_compute_keras_gradients_on_jax_on_a_cpu():
    """The fast kernel gradient equals XLA's to float rounding, the pooling gradient bit for bit."""
    pytest.importorskip("jax")
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    completed = subprocess.run([sys.executable, "-c", _XLA_CPU_LAYERS_CHECK], cwd=PROJECT_ROOT, text=True,
                               capture_output=True, env={**os.environ, "KERAS_BACKEND": "jax"}, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    assert found["on_xla_cpu"] is True
    assert len(found["conv"]) == 3
    for case, check in found["conv"].items():
        assert check["forward_equal"] and check["input_gradient_equal"], case
        assert check["kernel_gradient_relative_error"] < 1e-5, (case, check)
    assert found["pool_forward_equal"] and found["pool_gradient_equal"]


def test_the_convnet_layers_are_keras_own_on_tensorflow():
    """On TensorFlow the net is Keras' Conv2D and MaxPooling2D, unchanged: the TF numbers cannot move."""
    import keras

    from benchmarks import _xla_cpu_layers

    assert keras.backend.backend() == "tensorflow" and not _xla_cpu_layers.runs_on_xla_cpu()
    keras.utils.set_random_seed(3)
    fast = _xla_cpu_layers.Conv2D(6, (3, 3), padding="same")
    plain = keras.layers.Conv2D(6, (3, 3), padding="same")
    x = np.random.default_rng(0).standard_normal((2, 9, 9, 4)).astype("float32")
    fast.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(fast.get_weights())
    assert np.array_equal(np.asarray(fast(x)), np.asarray(plain(x)))
    pooled = _xla_cpu_layers.MaxPooling2D((2, 2))(x[:, :8, :8])
    assert np.array_equal(np.asarray(pooled), np.asarray(keras.layers.MaxPooling2D((2, 2))(x[:, :8, :8])))


# -- 003: the network -----------------------------------------------------------------------------
@pytest.mark.parametrize("rates", [_convnet.NO_DROPOUT, _convnet.OPTIMAL_DROPOUT, _convnet.HIGH_DROPOUT])
def test_conv_net_layers_and_parameters(rates):
    model = _convnet.conv_net(rates)
    assert model.count_params() == _convnet.PARAMETER_COUNT == 1_625_866
    dropout = [layer.rate for layer in model.layers if layer.__class__.__name__ == "Dropout"]
    assert dropout == [rate for rate in rates if rate]
    assert model.layers[-2 if not rates[1] else -3].units == 128  # Dense(12544, 128) before the output


def test_crossentropy_and_accuracy():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype="float32")
    loss, accuracy = _convnet.crossentropy_and_accuracy(probabilities, np.array([0, 1]))
    assert accuracy == 0.5
    assert loss == pytest.approx((-math.log(0.7) - math.log(0.1)) / 2, rel=1e-5)


def test_permute_pixels_moves_every_image_the_same_way(digits):
    images, _ = digits
    permutation = np.random.default_rng(1).permutation(784)
    permuted = permute_pixels(images, permutation)
    assert permuted.shape == images.shape
    assert np.array_equal(permuted.reshape(-1, 784), images.reshape(-1, 784)[:, permutation])
    inverse = np.argsort(permutation)
    assert np.array_equal(permute_pixels(permuted, inverse), images)
    with pytest.raises(ValueError):
        permute_pixels(images, np.zeros(784, dtype=int))


# -- 001-q: shifted and rotated test digits --------------------------------------------------------
def test_shift_moves_the_digit_and_fills_with_background(digits):
    images, _ = digits
    assert np.array_equal(shift_images(images, 0, 0), images)
    right = shift_images(images, 0, 4)
    assert np.array_equal(right[:, :, 4:], images[:, :, :-4]) and not right[:, :, :4].any()
    up = shift_images(images, -3, 0)
    assert np.array_equal(up[:, :-3], images[:, 3:]) and not up[:, -3:].any()
    with pytest.raises(ValueError):
        shift_images(images, 28, 0)


def test_rotation_is_a_rotation(digits):
    images, _ = digits
    assert np.allclose(rotate_images(images, 0), images)
    assert np.allclose(rotate_images(images, 90), np.rot90(images, -1, axes=(1, 2)), atol=1e-4)
    # A small rotation of a centred digit keeps most of its ink (bilinear, no holes).
    ink = images.astype("float64").sum()
    assert rotate_images(images, 15).sum() == pytest.approx(ink, rel=0.03)


# -- 004-d/e: logit loss and the source's rotateimage -----------------------------------------------
def test_logit_loss_matches_keras():
    import keras

    logits = np.random.default_rng(0).normal(size=(32, 10)).astype("float32") * 3
    labels = np.random.default_rng(1).integers(0, 10, 32)
    one_hot = np.eye(10, dtype="float32")[labels]
    loss, accuracy = logit_loss_and_accuracy(logits, one_hot)
    expected = float(keras.losses.CategoricalCrossentropy(from_logits=True)(one_hot, logits))
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == np.mean(np.argmax(logits, axis=1) == labels)


def test_rotate_image_port(digits):
    images, _ = digits
    image = images[0]
    assert np.array_equal(rotate_image(image, 0.0), image)
    # A quarter turn of the forward map is an exact permutation of the pixels.
    assert np.array_equal(rotate_image(image, math.pi / 2), np.rot90(image, -1))
    rotated = rotate_image(image, math.pi / 8)
    assert set(np.unique(rotated)) <= set(np.unique(image))  # nearest pixel: no new grey levels
    assert not np.array_equal(rotated, image)


def test_rotate_batch_equals_the_source_loop_on_transposed_images(digits):
    images, _ = digits
    thetas = np.random.default_rng(2).uniform(-math.pi / 8, math.pi / 8, len(images))
    looped = np.stack([rotate_image(image.T, theta).T for image, theta in zip(images, thetas, strict=True)])
    assert np.array_equal(rotate_batch(images, thetas), looped)


def test_rotated_passes_are_the_sources_fixed_list(digits):
    images, labels = digits
    one_hot = np.eye(10, dtype="float32")[labels]
    passes = RotatedPasses(images, one_hot, batch_size=16, repeats=10, max_angle=math.pi / 8, seed=3)
    assert len(passes) == 4 * 10  # 4 blocks, each 10 times in a row
    x0, y0 = passes[0]
    x0_again, _ = passes[0]
    assert np.array_equal(x0, x0_again), "the same list every epoch"
    x1, y1 = passes[1]
    assert np.array_equal(y0, one_hot[:16]) and np.array_equal(y1, one_hot[:16]), "block 1 ten times first"
    assert not np.array_equal(x0, x1), "each repeat draws new angles"
    _, y10 = passes[10]
    assert np.array_equal(y10, one_hot[16:32])
    assert x0.shape == (16, 784) and x0.dtype == np.float32 and 0.0 <= x0.min() and x0.max() <= 1.0
