"""Honesty checks (../shared/figures.md) of the introduction figures, on the data their functions return."""

import numpy as np
from _figcache import run_figure

from nn_ref import network


def _lstsq(X, Y):
    A = np.column_stack([X.ravel(), np.ones(X.shape[1])])
    (w, b), *_ = np.linalg.lstsq(A, Y.ravel(), rcond=None)
    return w, b


def test_supervised_vs_unsupervised():
    _, data = run_figure("supervised_vs_unsupervised")
    X, Y, W, b, assign, centres = (data[k] for k in ("X", "Y", "W", "b", "assign", "centres"))
    assert X.shape == (2, 200)
    accuracy = np.mean(((W @ X + b) > 0).astype(int) == Y)
    assert accuracy >= 0.95
    agreement = max(np.mean(assign == Y[0]), np.mean(assign != Y[0]))  # up to relabelling
    assert agreement >= 0.9
    # a real 2-means fixed point: every point is nearer its own centre; centres are the cluster means
    d = ((X[:, :, None] - centres[:, None, :]) ** 2).sum(axis=0)
    np.testing.assert_array_equal(d.argmin(axis=1), assign)
    for k in (0, 1):
        np.testing.assert_allclose(centres[:, k], X[:, assign == k].mean(axis=1), rtol=1e-12)


def test_traditional_ml_vs_dl_network_from_parameters():
    _, data = run_figure("traditional_ml_vs_dl")
    parameters = network.initialize_parameters(data["layer_dims"])
    L = len(data["layer_dims"]) - 1
    assert data["weights_drawn"] == sum(parameters[f"W{l}"].size for l in range(1, L + 1))
    assert data["key_numbers"]["units_drawn"] == sum(data["layer_dims"])


def test_linear_regression_gd_equals_least_squares():
    _, data = run_figure("linear_regression_residuals")
    X, Y, W, b = data["X"], data["Y"], data["W"], data["b"]
    assert X.shape == (1, 20) and X.min() >= 0 and X.max() <= 10
    w_ls, b_ls = _lstsq(X, Y)
    assert abs(W[0, 0] - w_ls) < 1e-4 and abs(b[0, 0] - b_ls) < 1e-4
    residuals = data["residuals"]
    np.testing.assert_allclose(residuals, (Y - (W @ X + b)).ravel(), rtol=1e-12)
    assert abs(residuals.sum()) < 1e-6 * np.abs(Y).sum()


def test_l2_moves_toward_the_outlier_more_than_l1():
    _, data = run_figure("loss_l1_vs_l2")
    shift = data["shift_at_outlier"]
    assert shift["l2"] > 2 * shift["l1"]
    (W2, b2), (W1, b1) = data["fits"]["l2"], data["fits"]["l1"]
    # each line minimises its own cost on the data with the outlier, better than the other line does
    X, Y = data["X_with_outlier"], data["Y_with_outlier"]
    r2, r1 = Y - (W2 @ X + b2), Y - (W1 @ X + b1)
    assert np.mean(r2**2) < np.mean(r1**2) and np.mean(np.abs(r1)) < np.mean(np.abs(r2))
    w_ls, b_ls = _lstsq(X, Y)
    assert abs(W2[0, 0] - w_ls) < 1e-4 and abs(b2[0, 0] - b_ls) < 1e-4
    # the drawn reference: the L2 line without the outlier (least squares on the clean data) ...
    W0, b0 = data["clean_fits"]["l2"]
    w_clean, b_clean = _lstsq(X[:, :-1], Y[:, :-1])
    assert abs(W0[0, 0] - w_clean) < 1e-4 and abs(b0[0, 0] - b_clean) < 1e-4
    # ... from which the headline's shift is measured at the outlier's x
    xo = X[0, -1]
    assert abs(shift["l2"] - abs((W2[0, 0] - W0[0, 0]) * xo + b2[0, 0] - b0[0, 0])) < 1e-12
    fig, _ = run_figure("loss_l1_vs_l2")
    assert any(line.get_linestyle() == ":" for line in fig.axes[0].get_lines())


def test_logistic_stays_in_0_1_and_linear_leaves():
    _, data = run_figure("logistic_sigmoid")
    z, s = data["z"], data["sigmoid"]
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-12)
    assert abs(s[np.flatnonzero(z == 0)[0]] - 0.5) < 1e-15
    lin, log = data["linear_prediction"], data["logistic_prediction"]
    assert lin.min() < 0 or lin.max() > 1
    assert log.min() > 0 and log.max() < 1
    w_ls, b_ls = _lstsq(data["X"], data["Y"])
    grid = np.linspace(0, 10, len(lin))
    np.testing.assert_allclose(lin, w_ls * grid + b_ls, rtol=1e-9, atol=1e-12)
