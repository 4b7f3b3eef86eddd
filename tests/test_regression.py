"""Linear and logistic regression: gradients, closed form vs gradient descent, shapes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import regression as reg
from nn_ref.gradcheck import gradient_check

seeds = st.integers(0, 2**32 - 1)


def _data(n, m, seed, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m))
    W_true, b_true = rng.standard_normal((1, n)), rng.standard_normal()
    Y = W_true @ X + b_true + noise * rng.standard_normal((1, m))
    return X, Y, W_true, b_true, rng


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(1, 16), seed=seeds, which=st.sampled_from(["l2", "l1", "logistic"]))
def test_cost_gradients_match_central_differences(n, m, seed, which):
    if which == "l1":
        m |= 1  # odd m: db = mean of +-1 signs is never exactly 0 (0 vs rounding noise has no relative error)
    X, Y, _, _, rng = _data(n, m, seed)
    W, b = rng.standard_normal((1, n)), rng.standard_normal((1, 1))
    if which == "logistic":
        Y = (Y > np.median(Y)).astype(float)
        cost = lambda P: reg.logistic_cost(P["W"], P["b"], X, Y)
    else:
        cost = lambda P: reg.linear_cost(P["W"], P["b"], X, Y, which)
        if which == "l1":
            # residuals drawn away from the L1 kink at A = Y: |W x + b - y| >= 0.1
            r = W @ X + b - Y
            Y = W @ X + b - np.sign(r + (r == 0)) * (0.1 + np.abs(r))
    J, dW, db = cost({"W": W, "b": b})
    assert dW.shape == (1, n) and db.shape == (1, 1) and isinstance(J, float)
    # five-point stencil, eps = 1e-4: its rounding noise is ~100x below the two-point eps = 1e-6 one
    # (see nn_ref.gradcheck, resolution); every kink stays >= 0.1 away, far beyond 2 eps
    report = gradient_check(lambda P: cost(P)[0], {"W": W, "b": b}, {"dW": dW, "db": db}, eps=1e-4, order=4)
    assert report.passed, str(report)


def test_closed_form_recovers_a_noiseless_line():
    X, Y, W_true, b_true, _ = _data(3, 40, seed=1, noise=0.0)
    W, b = reg.linear_closed_form(X, Y)
    assert W.shape == (1, 3) and b.shape == (1, 1)
    np.testing.assert_allclose(W, W_true, atol=1e-10)
    np.testing.assert_allclose(b, [[b_true]], atol=1e-10)


@pytest.mark.parametrize("n, m, seed", [(1, 30, 0), (3, 50, 1), (5, 200, 2)])
def test_closed_form_and_gradient_descent_agree_to_1e_4(n, m, seed):
    X, Y, _, _, _ = _data(n, m, seed)
    W_cf, b_cf = reg.linear_closed_form(X, Y)
    W_gd, b_gd, costs = reg.linear_gd(X, Y, "l2", learning_rate=0.2, num_steps=2000)
    assert np.max(np.abs(W_gd - W_cf)) < 1e-4 and abs(b_gd - b_cf).max() < 1e-4
    assert np.all(np.diff(costs) <= 1e-15)  # L2 cost never rises at this step size
    assert costs[-1] == pytest.approx(reg.linear_cost(W_cf, b_cf, X, Y)[0], rel=1e-8)


def test_l1_gradient_descent_gets_close_to_a_clean_line():
    X, Y, W_true, b_true, _ = _data(2, 101, seed=3, noise=0.0)
    W, b, costs = reg.linear_gd(X, Y, "l1", learning_rate=0.02, num_steps=3000)
    assert costs[-1] < 0.05 * costs[0]
    np.testing.assert_allclose(W, W_true, atol=0.05)
    assert abs(b[0, 0] - b_true) < 0.05


def test_logistic_regression_learns_a_linearly_separable_set():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2, 200))
    Y = (X[0:1] + 2 * X[1:2] - 0.5 > 0).astype(float)
    W, b, costs = reg.logistic_gd(X, Y, learning_rate=1.0, num_steps=1000)
    assert np.mean(reg.predict_logistic(W, b, X) == Y) >= 0.97
    assert costs[-1] < 0.2 * costs[0]
    assert costs[0] == pytest.approx(np.log(2), rel=1e-12)  # W = 0, b = 0: a = 1/2
    w = W[0] / np.linalg.norm(W)  # direction of (1, 2)
    assert w @ np.array([1, 2]) / np.sqrt(5) > 0.98


def test_wrong_shapes_raise_with_expected_and_actual():
    X, Y, _, _, _ = _data(3, 10, 0)
    W, b = np.zeros((1, 3)), np.zeros((1, 1))
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 10\), got \(10,\)"):
        reg.linear_cost(W, b, X, Y[0])
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 10\), got \(10,\)"):
        reg.linear_closed_form(X, Y[0])
    with pytest.raises(ValueError, match=r"W: expected shape \(1, any\), got \(3, 1\) \(declared \(1, n\)\)"):
        reg.logistic_cost(W.T, b, X, Y)
    with pytest.raises(ValueError, match=r"b: expected shape \(1, 1\), got \(1,\)"):
        reg.linear_cost(W, np.zeros(1), X, Y)
    with pytest.raises(ValueError, match="loss"):
        reg.linear_gd(X, Y, "huber")
    J1 = reg.linear_cost(W, 0.5, X, Y)[0]  # a float b is accepted as (1, 1)
    assert J1 == reg.linear_cost(W, np.full((1, 1), 0.5), X, Y)[0]
