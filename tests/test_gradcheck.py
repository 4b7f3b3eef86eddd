"""The gradient checker itself: it must pass right gradients and catch wrong ones."""

import numpy as np
import pytest

from nn_ref import network as nw
from nn_ref.gradcheck import KinkCrossingWarning, check_network, gradient_check


def _quadratic():
    """J(W, b) = sum(W^3) / 3 + 2 sum(b^2): dJ/dW = W^2, dJ/db = 4 b."""
    rng = np.random.default_rng(3)
    P = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal((3, 1))}
    f = lambda Q: float((Q["W"] ** 3).sum() / 3 + 2 * (Q["b"] ** 2).sum())
    return P, f, {"dW": P["W"] ** 2, "db": 4 * P["b"]}


def test_right_gradients_pass_and_the_table_names_every_array():
    P, f, grads = _quadratic()
    report = gradient_check(f, P, grads)
    assert report.passed and bool(report)
    assert [r.name for r in report.rows] == ["W", "b"]
    assert report["W"].checked == 12 and report["W"].shape == (3, 4)
    assert report["W"].difference < 1e-8
    text = str(report)
    assert "W" in text and "b" in text and "FAIL" not in text and "all pass" in text


def test_difference_formula_and_worst_entry():
    P, f, grads = _quadratic()
    wrong = {"dW": grads["dW"].copy(), "db": grads["db"]}
    wrong["dW"][1, 2] *= 1.001  # one entry off by 0.1%
    report = gradient_check(f, P, wrong)
    row = report["W"]
    assert not row.passed and not report.passed and report["b"].passed
    a, n = wrong["dW"].ravel(), P["W"].ravel() ** 2
    expected = np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n))
    assert row.difference == pytest.approx(expected, rel=1e-4)
    assert row.worst_index == (1, 2)
    assert row.worst_rel_error == pytest.approx(0.001 / 2.001, rel=1e-4)
    assert "FAIL" in str(report)


def test_catches_a_deliberately_wrong_network_gradient():
    """A backprop bug (db1 off by a factor 1/m, a classic) must fail; the right one must pass."""
    P = nw.initialize_parameters([3, 4, 2, 1], seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 6)), (rng.random((1, 6)) < 0.5).astype(float)
    for k in ("b1", "b2", "b3"):  # b = 0 with a dead unit puts Z exactly on the ReLU kink
        P[k] = 0.1 + 0.1 * rng.random(P[k].shape)
    AL, caches = nw.forward(X, P)
    assert min(np.abs(c[1]).min() for c in caches[:-1]) > 1e-2  # away from the kink
    grads = nw.backward(AL, Y, caches)
    f = lambda Q: nw.compute_cost(nw.forward(X, Q)[0], Y)
    check = lambda g: gradient_check(f, P, g, eps=1e-4, order=4)  # gradients here are ~1e-3: see resolution
    assert check(grads).passed
    broken = dict(grads, db1=grads["db1"] / 6)
    report = check(broken)
    assert not report.passed
    assert [r.name for r in report.rows if not r.passed] == ["b1"]
    swapped = dict(grads, dW1=grads["dW1"][::-1])  # rows in the wrong order
    assert [r.name for r in check(swapped).rows if not r.passed] == ["W1"]


def test_grads_from_f_and_names_and_sampling():
    P, f, grads = _quadratic()
    report = gradient_check(lambda Q: (f(Q), grads), P)  # f returns (J, grads)
    assert report.passed
    big = {"W": np.random.default_rng(0).standard_normal((20, 30))}
    g = lambda Q: float((Q["W"] ** 2).sum())
    r1 = gradient_check(g, big, {"W": 2 * big["W"]}, max_entries_per_array=7, seed=4)
    r2 = gradient_check(g, big, {"W": 2 * big["W"]}, max_entries_per_array=7, seed=4)
    assert r1["W"].checked == 7 and r1["W"].size == 600 and r1.passed
    np.testing.assert_array_equal(r1["W"].numeric, r2["W"].numeric)  # seeded sample
    assert [r.name for r in gradient_check(f, P, grads, names=["b"]).rows] == ["b"]
    with pytest.raises(ValueError, match=r"to return \(J, grads\)"):
        gradient_check(f, P)  # grads=None but f returns J only
    with pytest.raises(ValueError, match=r"expected shape \(3, 4\), got \(4, 3\)"):
        gradient_check(f, P, {"dW": grads["dW"].T, "db": grads["db"]})


def test_does_not_modify_the_parameters():
    P, f, grads = _quadratic()
    before = {k: v.copy() for k, v in P.items()}
    gradient_check(f, P, grads, order=4, eps=1e-4)
    assert all(np.array_equal(P[k], before[k]) for k in P)


def test_five_point_stencil_is_exact_for_a_quartic():
    x = {"x": np.array([[0.7, -1.3]])}
    f = lambda Q: float((Q["x"] ** 4).sum())
    r = gradient_check(f, x, {"x": 4 * x["x"] ** 3}, eps=1e-2, order=4)
    assert r["x"].difference < 1e-12
    r2 = gradient_check(f, x, {"x": 4 * x["x"] ** 3}, eps=1e-2, order=2)
    assert r2["x"].difference > 1e-6  # O(eps^2) truncation shows here


def test_warns_when_a_perturbation_crosses_a_relu_kink():
    """Z = W x with one pre-activation 1e-8 from 0: eps = 1e-6 crosses it."""
    x = np.array([[1.0], [2.0]])
    P = {"W": np.array([[1e-8, 0.0], [0.5, 0.25]])}
    relu_sum = lambda Q: float(np.maximum(Q["W"] @ x, 0).sum())
    analytic = {"W": (P["W"] @ x > 0) * x.T}
    with pytest.warns(KinkCrossingWarning, match="crossed a kink"):
        report = gradient_check(relu_sum, P, analytic, pre_activations=lambda Q: [Q["W"] @ x])
    assert report["W"].kink_crossings == 2 and not report.passed
    # away from the kink: no warning (warnings are errors in this suite) and a pass
    P2 = {"W": np.array([[0.3, 0.0], [0.5, 0.25]])}
    analytic2 = {"W": (P2["W"] @ x > 0) * x.T}
    report2 = gradient_check(relu_sum, P2, analytic2, pre_activations=lambda Q: [Q["W"] @ x])
    assert report2.passed and report2["W"].kink_crossings == 0


@pytest.mark.parametrize(
    "kw",
    [
        dict(layer_dims=[4, 5, 3, 1]),
        dict(layer_dims=[4, 5, 3, 3], output_activation="softmax"),
        dict(layer_dims=[3, 6, 2], output_activation="linear", hidden_activation="tanh"),
        dict(layer_dims=[3, 6, 2], output_activation="linear", loss="l1", hidden_activation="sigmoid", m=7),
        dict(layer_dims=[2, 3, 1], hidden_activation="leaky_relu", m=9, seed=4),
    ],
)
def test_check_network_passes(kw):
    report = check_network(**kw)
    assert report.passed, str(report)
    assert report["X"].shape == (kw["layer_dims"][0], kw.get("m", 5))


def test_check_network_rejects_bad_configurations():
    with pytest.raises(ValueError, match="softmax output needs"):
        check_network([3, 1], output_activation="softmax")
    with pytest.raises(ValueError, match="loss"):
        check_network([3, 1], loss="hinge")
