"""Losses: values, gradients against central differences (in the package's one convention: dA = m dJ/dA for
the mean forms, the per-sample derivative), agreement with network.compute_cost, stability at |Z| = 1000,
and no silent broadcasting."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import activations, losses, network
from nn_ref.gradcheck import gradient_check

shapes = st.tuples(st.integers(1, 8), st.integers(1, 16))
seeds = st.integers(0, 2**32 - 1)


def _data(name, shape, seed):
    """Inputs A (or logits Z) and targets Y for ``name``; L1 residuals kept >= 0.1 away from its kink."""
    rng = np.random.default_rng(seed)
    if name in ("l1_sum", "l1_mean"):
        Y = rng.standard_normal(shape)
        r = rng.standard_normal(shape)
        return Y + np.sign(r + (r == 0)) * (0.1 + np.abs(r)), Y
    if name in ("l2_sum", "l2_mean"):
        return rng.standard_normal(shape), rng.standard_normal(shape)
    if name == "bce":
        return rng.uniform(0.05, 0.95, shape), (rng.random(shape) < 0.5).astype(float)
    if name == "bce_logits":
        return 3 * rng.standard_normal(shape), (rng.random(shape) < 0.5).astype(float)
    Y = np.eye(shape[0])[:, rng.integers(0, shape[0], shape[1])]
    return 3 * rng.standard_normal(shape), Y


# the mean forms return dA = m dJ/dA (the 1/m is applied in dW, db); the sums return dJ/dA itself
MEAN_FORMS = {"l1_mean", "l2_mean", "bce", "bce_logits", "softmax_ce"}
LOSSES = {
    "l1_sum": lambda A, Y: losses.l1_loss(A, Y, "sum"),
    "l1_mean": lambda A, Y: losses.l1_loss(A, Y, "mean"),
    "l2_sum": lambda A, Y: losses.l2_loss(A, Y, "sum"),
    "l2_mean": lambda A, Y: losses.l2_loss(A, Y, "mean"),
    "bce": losses.binary_cross_entropy,
    "bce_logits": losses.binary_cross_entropy_with_logits,
    "softmax_ce": losses.softmax_cross_entropy,
}


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(LOSSES)), shape=shapes, seed=seeds)
def test_loss_gradients_match_central_differences(name, shape, seed):
    A, Y = _data(name, shape, seed)
    J, dA = LOSSES[name](A, Y)
    assert isinstance(J, float) and dA.shape == A.shape
    # five-point stencil, eps = 1e-4: its rounding noise is ~100x below the two-point eps = 1e-6 one
    # (see nn_ref.gradcheck, resolution); every kink stays >= 0.1 away, far beyond 2 eps
    m = A.shape[1] if name in MEAN_FORMS else 1
    report = gradient_check(lambda P: LOSSES[name](P["A"], Y)[0], {"A": A}, {"A": dA / m}, eps=1e-4, order=4)
    assert report.passed, str(report)


@pytest.mark.parametrize("loss", ["cross_entropy", "categorical_cross_entropy", "mse", "l1"])
def test_cost_gradient_is_m_times_dJ_dAL(loss):
    """The network's dA[L] convention: cost_gradient = m dJ/dAL, checked by central differences."""
    rng = np.random.default_rng(3)
    AL = rng.uniform(0.1, 0.9, (3, 7))
    Y = np.eye(3)[:, rng.integers(0, 3, 7)] if loss == "categorical_cross_entropy" else (rng.random((3, 7)) < 0.5) * 1.0
    dAL = losses.cost_gradient(AL, Y, loss)
    report = gradient_check(lambda P: losses.cost(P["AL"], Y, loss), {"AL": AL}, {"AL": dAL / 7}, eps=1e-4, order=4)
    assert report.passed, str(report)


def test_values_on_a_small_example():
    A = np.array([[1.0, 2.0, 4.0]])
    Y = np.array([[1.0, 1.0, 1.0]])
    assert losses.l1_loss(A, Y)[0] == 0 + 1 + 3
    assert losses.l1_loss(A, Y, "mean")[0] == pytest.approx(4 / 3, rel=1e-15)
    assert losses.l2_loss(A, Y)[0] == 0 + 1 + 9
    assert losses.l2_loss(A, Y, "mean")[0] == pytest.approx(10 / 3, rel=1e-15)
    a = np.array([[0.9, 0.2]])
    y = np.array([[1.0, 0.0]])
    assert losses.binary_cross_entropy(a, y)[0] == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2, rel=1e-15)


@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=seeds)
def test_network_costs_equal_the_losses_module(shape, seed):
    """compute_cost's four losses are the mean forms / cross-entropies of nn_ref.losses, and the
    probability forms equal the logits forms (which gradcheck.check_network evaluates)."""
    rng = np.random.default_rng(seed)
    Z = 3 * rng.standard_normal(shape)
    Y01 = (rng.random(shape) < 0.5).astype(float)
    AL = activations.sigmoid(Z)[0]
    J = network.compute_cost(AL, Y01, "cross_entropy")
    assert J == pytest.approx(losses.binary_cross_entropy(AL, Y01)[0], rel=1e-12)
    assert J == pytest.approx(losses.binary_cross_entropy_with_logits(Z, Y01)[0], rel=1e-9)
    Yoh = np.eye(shape[0])[:, rng.integers(0, shape[0], shape[1])]
    J = network.compute_cost(activations.softmax(Z)[0], Yoh, "categorical_cross_entropy")
    assert J == pytest.approx(losses.softmax_cross_entropy(Z, Yoh)[0], rel=1e-9)
    Yr = rng.standard_normal(shape)
    assert network.compute_cost(Z, Yr, "mse") == pytest.approx(losses.l2_loss(Z, Yr, "mean")[0], rel=1e-12)
    assert network.compute_cost(Z, Yr, "l1") == pytest.approx(losses.l1_loss(Z, Yr, "mean")[0], rel=1e-12)


def test_stable_at_plus_minus_1000_without_warnings():
    # pytest runs with warnings as errors: a log(0) or overflow RuntimeWarning would fail here
    Z = np.array([[-1000.0, 1000.0, -1000.0, 1000.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])  # two right, two badly wrong
    J, dZ = losses.binary_cross_entropy_with_logits(Z, Y)
    assert J == pytest.approx(2 * 1000 / 4, rel=1e-15)
    np.testing.assert_array_equal(dZ, [[0.0, 0.0, -1.0, 1.0]])  # sigmoid(Z) - Y, per sample
    AL = activations.sigmoid(Z)[0]  # exactly 0 and 1: log must be floored
    for J in (losses.binary_cross_entropy(AL, Y)[0], network.compute_cost(AL, Y, "cross_entropy")):
        assert np.isfinite(J) and J > 300  # -log(tiny) / 2 ~ 354: large, finite
    assert np.all(np.isfinite(losses.binary_cross_entropy(AL, Y)[1]))
    Zs = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 0.0]])
    Ys = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    J, dZ = losses.softmax_cross_entropy(Zs, Ys)
    assert J == pytest.approx(2000 / 2, rel=1e-15)
    assert np.all(np.isfinite(dZ))
    Jc = network.compute_cost(activations.softmax(Zs)[0], Ys, "categorical_cross_entropy")
    assert np.isfinite(Jc) and Jc > 300


@pytest.mark.parametrize("fn", sorted(LOSSES))
def test_no_broadcasting_of_m_against_1_m(fn):
    A = np.zeros((1, 5))
    with pytest.raises(ValueError, match=r"expected shape \(1, 5\), got \(5,\)"):
        LOSSES[fn](A, np.zeros(5))


def test_compute_cost_rejects_wrong_Y_shape():
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 4\), got \(4,\)"):
        network.compute_cost(np.full((1, 4), 0.5), np.ones(4))
    with pytest.raises(ValueError, match="loss"):
        network.compute_cost(np.full((1, 4), 0.5), np.ones((1, 4)), "hinge")
