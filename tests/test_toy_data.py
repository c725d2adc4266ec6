"""The toy data generators of 001 and 004 (benchmarks/_toy_data.py) against the sources' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import _toy_data


# ---------------------------------------------------------------- generatedata_spiral (001, In [35])
def test_spiral_points_by_hand():
    # n = 9: θ = LinRange(0, 4π, 9) = 0, π/2, π, …, 4π; point = (a θ^(1/r) sin θ, a θ^(1/r) cos θ).
    points = _toy_data.generatedata_spiral(1, 1, 9)
    assert points.shape == (9, 2)
    np.testing.assert_allclose(points[0], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(points[1], [math.pi / 2, 0.0], atol=1e-12)  # θ = π/2
    np.testing.assert_allclose(points[2], [0.0, -math.pi], atol=1e-12)  # θ = π
    np.testing.assert_allclose(points[3], [-3 * math.pi / 2, 0.0], atol=1e-12)  # θ = 3π/2
    np.testing.assert_allclose(points[8], [0.0, 4 * math.pi], atol=1e-12)  # θ = 4π


def test_spiral_exponent_and_sign():
    # r = 2: radius θ^(1/2); a = -1 mirrors through the origin.
    points = _toy_data.generatedata_spiral(-1, 2, 5)  # θ = 0, π, 2π, 3π, 4π
    np.testing.assert_allclose(points[1], [0.0, math.sqrt(math.pi)], atol=1e-12)  # -√π·(sin π, cos π)
    np.testing.assert_allclose(points[4], [0.0, -math.sqrt(4 * math.pi)], atol=1e-12)


def test_spiral_is_deterministic_and_the_arms_meet_only_at_the_origin():
    arm_1 = _toy_data.generatedata_spiral(1, 1, 100)
    arm_2 = _toy_data.generatedata_spiral(-1, 1, 100)
    np.testing.assert_array_equal(arm_1, _toy_data.generatedata_spiral(1, 1, 100))
    distances = np.linalg.norm(arm_1[:, None, :] - arm_2[None, :, :], axis=-1)
    close = np.argwhere(distances < 1e-9)
    assert close.tolist() == [[0, 0]], "the two classes share exactly one point: the origin"


# ---------------------------------------------------------------- generatedata_circle (001, In [2])
def test_circle_radii_and_angles_without_noise():
    circle_1, circle_2 = _toy_data.generatedata_circle(2, 0.5, 7, 0.0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(np.linalg.norm(circle_1, axis=1), 2.0)
    np.testing.assert_allclose(np.linalg.norm(circle_2, axis=1), 0.5)
    expected_angles = np.linspace(0, 2 * math.pi, 7)  # LinRange(0, 2π, N): both ends included
    for circle in (circle_1, circle_2):
        angles = np.mod(np.arctan2(circle[:, 1], circle[:, 0]), 2 * math.pi)
        np.testing.assert_allclose(angles[:-1], expected_angles[:-1], atol=1e-12)
        np.testing.assert_allclose(circle[-1], circle[0], atol=1e-12)  # 2π ≡ 0


def test_circle_noise_is_radial_and_drawn_circle_1_first():
    circle_1, circle_2 = _toy_data.generatedata_circle(2, 0.5, 100, 0.1, rng=np.random.default_rng(3))
    draws = np.random.default_rng(3).standard_normal(200)
    np.testing.assert_allclose(np.linalg.norm(circle_1, axis=1), np.abs(2 + 0.1 * draws[:100]), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(circle_2, axis=1), np.abs(0.5 + 0.1 * draws[100:]), rtol=1e-12)
    # the noise moves points along their ray: the angles stay the LinRange
    angles = np.mod(np.arctan2(circle_1[:, 1], circle_1[:, 0]), 2 * math.pi)
    np.testing.assert_allclose(angles[1:-1], np.linspace(0, 2 * math.pi, 100)[1:-1], atol=1e-12)


def test_two_class_set_stacks_inputs_and_labels():
    x, y = _toy_data.two_class_set(np.ones((3, 2)), np.zeros((2, 2)), 1.0, -1.0)
    assert x.shape == (5, 2) and y.shape == (5, 1)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert y.ravel().tolist() == [1, 1, 1, -1, -1]


# ---------------------------------------------------------------- simulate and _f (004, First Example)
@pytest.mark.parametrize(
    ("x", "expected"),
    [
        # sin(x^x) / 2^((x^x - π/2)/π) by hand: x = 1 → sin(1)/2^((1 - π/2)/π)
        (1.0, 0.9544063487439925),
        (2.0, -0.4428067765523079),  # x^x = 4
        (0.5, 0.7860137711470218),  # x^x = √0.5
        (math.pi, -0.00042856429383726424),
    ],
)
def test_regression_function_by_hand(x, expected):
    assert _toy_data.regression_function(np.float64(x)) == pytest.approx(expected, rel=1e-12)


def test_regression_function_at_zero_uses_zero_to_the_zero_equal_one():
    # Julia's 0.0^0.0 is 1.0, as numpy's: _f(0) = _f(1).
    assert _toy_data.regression_function(np.float64(0.0)) == pytest.approx(0.9544063487439925, rel=1e-12)


def test_simulate_draws_x_uniform_on_0_pi_then_the_noise():
    x, y = _toy_data.simulate(1000, 0.5, rng=np.random.default_rng(7))
    assert x.shape == (1000, 1) and y.shape == (1000, 1)
    assert x.min() >= 0.0 and x.max() <= math.pi
    rng = np.random.default_rng(7)
    expected_x = rng.random((1000, 1)) * math.pi
    expected_noise = rng.standard_normal((1000, 1)) * 0.5
    np.testing.assert_allclose(x, expected_x)
    np.testing.assert_allclose(y - _toy_data.regression_function(x), expected_noise, atol=1e-12)


def test_normalise_matches_flux_normalise():
    x = np.array([[1.0], [2.0], [4.0]])
    mean, std = 7 / 3, math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 3)  # uncorrected
    np.testing.assert_allclose(_toy_data.normalise(x), (x - mean) / (std + 1e-5))


def test_the_two_regression_networks_have_the_documented_parameter_counts():
    from benchmarks.multilayer_regression import WideVersusDeepRegression

    benchmark = WideVersusDeepRegression()
    settings = benchmark.settings_for("full")
    assert benchmark.build_model(settings.replace(architecture="wide")).count_params() == 46
    assert benchmark.build_model(settings.replace(architecture="deep")).count_params() == 34
