"""Activations: forward values, backward against central differences, the slides' maxima, stability."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import activations as act
from nn_ref.gradcheck import gradient_check

shapes = st.tuples(st.integers(1, 8), st.integers(1, 16))
seeds = st.integers(0, 2**32 - 1)


def _Z(shape, seed, away_from_kink):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal(shape) * 3
    if away_from_kink:
        # ReLU / leaky ReLU points drawn away from the kink at 0: |Z| >= 0.1 >> eps = 1e-6
        Z = np.sign(Z + (Z == 0)) * (0.1 + np.abs(Z))
    return Z, rng.standard_normal(shape)


@pytest.mark.parametrize("name", sorted(act.FORWARD))  # the registry: a new activation is checked the day it is added
@settings(max_examples=5, deadline=None)
@given(
    shape=shapes,
    seed=seeds,
    alpha=st.floats(0.01, 0.5),
)
def test_backward_matches_central_differences(name, shape, seed, alpha):
    Z, G = _Z(shape, seed, name in ("relu", "leaky_relu"))
    kw = {"alpha": alpha} if name == "leaky_relu" else {}
    A, cache = act.FORWARD[name](Z, **kw)
    dZ = act.BACKWARD[name](G, cache)  # dZ = G * g'(Z) (softmax: its Jacobian)
    assert A.shape == Z.shape == dZ.shape
    # five-point stencil, eps = 1e-4: its rounding noise is ~100x below the two-point eps = 1e-6 one
    # (see nn_ref.gradcheck, resolution); every kink stays >= 0.1 away, far beyond 2 eps
    report = gradient_check(
        lambda P: float((G * act.FORWARD[name](P["Z"], **kw)[0]).sum()), {"Z": Z}, {"dZ": dZ}, eps=1e-4, order=4
    )
    assert report.passed, str(report)


def test_forward_values():
    Z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(act.relu(Z)[0], [[0, 0, 0, 0.5, 2.0]])
    np.testing.assert_allclose(act.leaky_relu(Z, 0.2)[0], [[-0.4, -0.1, 0, 0.5, 2.0]], rtol=1e-15)
    np.testing.assert_allclose(act.sigmoid(Z)[0], 1 / (1 + np.exp(-Z)), rtol=1e-15)
    # the slide's tanh form 2 / (1 + e^-2z) - 1
    np.testing.assert_allclose(act.tanh(Z)[0], 2 / (1 + np.exp(-2 * Z)) - 1, rtol=1e-14, atol=1e-16)
    np.testing.assert_array_equal(act.linear(Z)[0], Z)
    A = act.softmax(np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]))[0]
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(A[:, 0], e / e.sum(), rtol=1e-15)
    np.testing.assert_allclose(A[:, 1], 1 / 3, rtol=1e-15)


def test_leaky_relu_default_alpha_is_0_01():
    A, cache = act.leaky_relu(np.array([[-3.0, 3.0]]))
    np.testing.assert_allclose(A, [[-0.03, 3.0]], rtol=1e-15)
    np.testing.assert_allclose(act.leaky_relu_backward(np.ones((1, 2)), cache), [[0.01, 1.0]], rtol=1e-15)


def test_max_derivatives_sigma_0_25_tanh_1_at_zero():
    Z = np.linspace(-6, 6, 1201).reshape(1, -1)  # includes 0 exactly (index 600)
    ones = np.ones_like(Z)
    ds = act.sigmoid_backward(ones, act.sigmoid(Z)[1])
    dt = act.tanh_backward(ones, act.tanh(Z)[1])
    assert ds.max() == 0.25 and Z[0, ds.argmax()] == 0.0
    assert dt.max() == 1.0 and Z[0, dt.argmax()] == 0.0
    assert np.all(ds[Z != 0] < 0.25)
    dr = act.relu_backward(ones, act.relu(Z)[1])
    np.testing.assert_array_equal(dr, (Z > 0).astype(float))  # relu'(0) taken as 0


def test_stable_at_plus_minus_1000_without_warnings():
    # pytest runs with warnings as errors: an overflow RuntimeWarning would fail this test
    Z = np.array([[-1000.0, 1000.0], [1000.0, -1000.0]])
    s, cache = act.sigmoid(Z)
    np.testing.assert_array_equal(s, [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(act.sigmoid_backward(np.ones_like(Z), cache), 0.0)
    t, cache = act.tanh(Z)
    np.testing.assert_array_equal(t, [[-1.0, 1.0], [1.0, -1.0]])
    np.testing.assert_array_equal(act.tanh_backward(np.ones_like(Z), cache), 0.0)
    A, cache = act.softmax(Z)
    np.testing.assert_array_equal(A, [[0.0, 1.0], [1.0, 0.0]])
    assert np.all(np.isfinite(act.softmax_backward(np.ones_like(Z), cache)))


def test_float32_stays_float32():
    Z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "softmax"):
        A, cache = act.FORWARD[name](Z)
        assert A.dtype == np.float32, name
        assert act.BACKWARD[name](np.ones_like(Z), cache).dtype == np.float32, name
