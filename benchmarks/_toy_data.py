"""Toy data of the Learn2Classify notebook (001) and the regression notes (004), ported from Julia.

Private module (not a benchmark): the generators of ``benchmarks/learn2classify_toys.py``
and ``benchmarks/multilayer_regression.py``. Each function is a line-by-line port of
the source's Julia function, returning numpy arrays with one *row* per point (Keras'
layout; the sources keep one *column* per point). Random draws come from the
``numpy.random.Generator`` the caller passes (seeded from the job's seed), in the
order the Julia code draws them.
"""

from __future__ import annotations

import math

import numpy as np


def generatedata_circle(r1: float, r2: float, n_points: int, sigma: float = 0.1, *,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``generatedata_circle(r1, r2, N, σ)`` of 001, In [2]: two noisy circles, (N, 2) each.

    Angles are ``LinRange(0, 2π, N)`` (both ends included, so the first and last point of
    a circle share the angle 0 ≡ 2π and differ only by their noise); each point's radius
    is ``r + σ·randn`` with the radii of circle 1 drawn before those of circle 2.
    """
    angles = np.linspace(0.0, 2.0 * math.pi, n_points)
    radii_1 = r1 + sigma * rng.standard_normal(n_points)
    radii_2 = r2 + sigma * rng.standard_normal(n_points)
    circle_1 = np.stack([radii_1 * np.cos(angles), radii_1 * np.sin(angles)], axis=1)
    circle_2 = np.stack([radii_2 * np.cos(angles), radii_2 * np.sin(angles)], axis=1)
    return circle_1, circle_2


def generatedata_spiral(a: float, r: float, n_points: int) -> np.ndarray:
    """``generatedata_spiral(a, r, n)`` of 001, In [35]: one arm of a spiral, (n, 2).

    θ = ``LinRange(0, 4π, n)``; point i is (a·θᵢ^(1/r)·sin θᵢ, a·θᵢ^(1/r)·cos θᵢ).
    Deterministic: there is no noise, so every seed sees the same spirals. With a = ±1
    both arms start at θ = 0, i.e. at the origin: one point of each class coincides.
    """
    theta = np.linspace(0.0, 4.0 * math.pi, n_points)
    radius = a * theta ** (1.0 / r)
    return np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1)


def two_class_set(class_1: np.ndarray, class_2: np.ndarray, label_1: float, label_2: float):
    """``X = [X1c X2c]``, ``Y = [label_1 … label_2 …]``: inputs (2N, 2) and targets (2N, 1), float32."""
    x = np.concatenate([class_1, class_2]).astype("float32")
    y = np.concatenate([np.full(len(class_1), label_1), np.full(len(class_2), label_2)])
    return x, y.reshape(-1, 1).astype("float32")


def regression_function(x):
    """``_f(x) = sin(x^x) / 2^((x^x - π/2)/π)`` of 004, "First Example"."""
    x_to_x = np.power(x, x)
    return np.sin(x_to_x) / np.power(2.0, (x_to_x - math.pi / 2) / math.pi)


def simulate(n_points: int, noise_std: float = 1.0, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``simulate(n, s)`` of 004: x ~ U[0, π] (n, 1), y = _f(x) + s·N(0, 1) (n, 1); x drawn before the noise."""
    x = rng.random((n_points, 1)) * math.pi
    y = regression_function(x) + rng.standard_normal((n_points, 1)) * noise_std
    return x, y


def normalise(x: np.ndarray, reference: np.ndarray | None = None, epsilon: float = 1e-5) -> np.ndarray:
    """``Flux.normalise(x, dims=2)`` in row layout: (x - mean) / (std + ε), uncorrected std over the points.

    ``reference`` gives the statistics (default: ``x`` itself, as Flux does inside the model).
    """
    reference = x if reference is None else reference
    mean = reference.mean(axis=0, keepdims=True)
    std = reference.std(axis=0, keepdims=True)  # numpy's default ddof=0 = Flux's corrected=false
    return (x - mean) / (std + epsilon)
