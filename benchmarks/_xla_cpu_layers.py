"""Conv2D and MaxPooling2D whose gradients XLA computes fast on a CPU (private: used by ``_convnet``).

Why: on JAX's CPU backend, XLA turns the kernel gradient of a 3x3 "same" convolution into a
convolution with a 28x28 window, which it runs an order of magnitude slower than the forward pass;
the gradient of ``MaxPooling2D`` (``select_and_scatter``) is slow too. Measured on the 003 convnet's
second layer (batch 50, 28x28, 32 -> 64 channels): forward 20-30 ms, input gradient 28 ms, kernel
gradient 500 ms; pooling gradient 42 ms. A training step of the whole net (batch 50, AdaDelta) took
561 ms on JAX against 87 ms on TensorFlow; with these layers it takes 155 ms (2026-12-02, jax 0.10.2).

The two layers below compute the same functions and the same gradients another way, only when
the layer runs under JAX on a CPU, and are Keras' own layers everywhere else (TensorFlow, and JAX
on a GPU, where cuDNN has no such weakness):

* the kernel gradient of a stride-1 convolution as one matrix product per kernel offset,
  ``dW[i, j] = sum over images and positions of x_padded[.., h+i, w+j, :] (outer) dY[.., h, w, :]``;
  it matches XLA's to float rounding (relative 1e-6), at 80 ms instead of 500;
* a pooling window that tiles the image (pool size = stride, sides divisible) as a reshape and a
  max, whose gradient goes, as XLA's does, to the first maximum of each window: equal bit for bit
  (``tests/test_convnet_benchmarks.py``), at 2 ms.
"""

from __future__ import annotations

import keras
from keras import layers


def runs_on_xla_cpu() -> bool:
    """True when Keras runs on JAX and the computation is placed on a CPU device."""
    if keras.backend.backend() != "jax":
        return False
    import jax

    device = jax.config.jax_default_device  # set by ``jax.default_device(...)`` (the runner's placement)
    if device is None:
        return jax.default_backend() == "cpu"
    return (device if isinstance(device, str) else device.platform) == "cpu"


def _same_padding(kernel_size: int) -> tuple[int, int]:
    """XLA's and TensorFlow's "same" padding for stride 1: the odd pixel goes to the far side."""
    low = (kernel_size - 1) // 2
    return low, kernel_size - 1 - low


def _convolution_with_fast_kernel_gradient(padding: str):
    """``lax.conv_general_dilated`` (NHWC, HWIO, stride 1) with the kernel gradient as matrix products."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def convolve(x, kernel):
        return lax.conv_general_dilated(x, kernel, (1, 1), padding.upper(),
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))

    @jax.custom_vjp
    def convolution(x, kernel):
        return convolve(x, kernel)

    def forward(x, kernel):
        return convolve(x, kernel), (x, kernel)

    def backward(saved, output_gradient):
        x, kernel = saved
        (input_gradient,) = jax.vjp(lambda x: convolve(x, kernel), x)[1](output_gradient)
        rows, columns = kernel.shape[:2]
        if padding == "same":
            x = jnp.pad(x, ((0, 0), _same_padding(rows), _same_padding(columns), (0, 0)))
        height, width = output_gradient.shape[1:3]
        kernel_gradient = jnp.stack([
            jnp.stack([jnp.einsum("nhwc,nhwo->co", x[:, i:i + height, j:j + width, :], output_gradient)
                       for j in range(columns)])
            for i in range(rows)
        ])
        return input_gradient, kernel_gradient.astype(kernel.dtype)

    convolution.defvjp(forward, backward)
    return convolution


class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D``; on JAX on a CPU, a stride-1 channels-last convolution's kernel gradient
    is computed as matrix products (see the module docstring). Other configurations are Keras' own."""

    def convolution_op(self, inputs, kernel):
        fast_form = (runs_on_xla_cpu() and self.data_format == "channels_last" and self.groups == 1
                     and tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1))
        if not fast_form:
            return super().convolution_op(inputs, kernel)
        convolution = _convolution_with_fast_kernel_gradient(self.padding)
        return convolution(keras.ops.convert_to_tensor(inputs), keras.ops.convert_to_tensor(kernel))


def _tiled_max_pool(pool_rows: int, pool_columns: int):
    """Max pooling over windows that tile the image, with XLA's gradient: all of it to the first maximum.

    The first maximum in row-major window order is the one ``select_and_scatter`` picks (JAX selects
    with ``>=``); a plain ``max`` would share the gradient among tied values instead, and ReLU outputs
    tie at zero all the time.
    """
    import jax
    import jax.numpy as jnp

    def windows_last(x):  # (n, H, W, c) -> (n, H/p, W/q, c, p*q)
        n, height, width, channels = x.shape
        tiles = x.reshape(n, height // pool_rows, pool_rows, width // pool_columns, pool_columns, channels)
        return tiles.transpose(0, 1, 3, 5, 2, 4).reshape(*tiles.shape[:2], tiles.shape[3], channels, -1)

    @jax.custom_vjp
    def pool(x):
        return jnp.max(windows_last(x), axis=-1)

    def forward(x):
        windows = windows_last(x)
        return jnp.max(windows, axis=-1), (jnp.argmax(windows, axis=-1), x.shape)

    def backward(saved, output_gradient):
        first_maximum, (n, height, width, channels) = saved
        spread = jax.nn.one_hot(first_maximum, pool_rows * pool_columns, dtype=output_gradient.dtype)
        spread = spread * output_gradient[..., None]  # (n, H/p, W/q, c, p*q)
        spread = spread.reshape(n, height // pool_rows, width // pool_columns, channels, pool_rows, pool_columns)
        return (spread.transpose(0, 1, 4, 2, 5, 3).reshape(n, height, width, channels),)

    pool.defvjp(forward, backward)
    return pool


class MaxPooling2D(layers.MaxPooling2D):
    """``keras.layers.MaxPooling2D``; on JAX on a CPU, windows that tile the image are pooled with
    ``_tiled_max_pool`` (see the module docstring). Other configurations are Keras' own."""

    def call(self, inputs):
        height, width = inputs.shape[1:3]
        pool_rows, pool_columns = self.pool_size
        tiles = (runs_on_xla_cpu() and self.data_format == "channels_last"
                 and tuple(self.strides) == tuple(self.pool_size)
                 and height is not None and width is not None
                 and height % pool_rows == 0 and width % pool_columns == 0)
        if not tiles:
            return super().call(inputs)
        return _tiled_max_pool(pool_rows, pool_columns)(keras.ops.convert_to_tensor(inputs))
