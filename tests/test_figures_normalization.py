"""Honesty checks of the normalization figures (figures.md), on the data each figure returns."""

import numpy as np
import pytest
from _figcache import run_figure


def test_normalization_scalers_use_training_statistics():
    _, data = run_figure("normalization")
    X_train, X_test = data["X_train"], data["X_test"]
    mm_train, mm_test = data["versions"]["min-max"]
    st_train, st_test = data["versions"]["standardized"]
    lo, hi = X_train.min(axis=1, keepdims=True), X_train.max(axis=1, keepdims=True)
    mu, sd = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
    np.testing.assert_allclose(mm_train, (X_train - lo) / (hi - lo), rtol=1e-12)
    np.testing.assert_allclose(mm_test, (X_test - lo) / (hi - lo), rtol=1e-12)  # train parameters on test
    np.testing.assert_allclose(st_test, (X_test - mu) / sd, rtol=1e-12)
    np.testing.assert_allclose(st_train.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(st_train.std(axis=1), 1, rtol=1e-12)


def test_normalization_draws_no_curve_below_the_noise_floor():
    fig, _ = run_figure("normalization")
    ax = next(a for a in fig.axes if a.get_title().startswith("GD"))
    for line in ax.lines:
        y = np.asarray(line.get_ydata(), dtype=float)
        if y.size > 2:  # the cost curves (not the 1e-3 reference line)
            assert y.min() >= 1e-9


def test_normalization_standardized_converges_in_fewer_steps():
    _, data = run_figure("normalization")
    runs = data["runs"]
    for run in runs.values():  # every run starts from the same cost and descends
        assert run["costs"][0] == pytest.approx(runs["raw"]["costs"][0])
        assert np.all(np.diff(run["costs"]) <= 1e-12)
    std_steps = runs["standardized"]["steps_to_tol"]
    raw_steps = runs["raw"]["steps_to_tol"]
    assert std_steps is not None
    assert raw_steps is None or std_steps < raw_steps
    assert raw_steps is None or raw_steps > 10 * std_steps


def test_batchnorm_normalizes_each_batch_and_steadies_the_inputs():
    _, data = run_figure("batchnorm")
    with_bn, without = data["runs"]["with BN"], data["runs"]["without BN"]
    # x_hat of a training mini-batch after every epoch: per unit mean 0 and variance 1 (var / (var + eps))
    assert len(with_bn["xhat_max_abs_mean"]) == len(with_bn["steps"]) - 1 > 0
    assert np.all(with_bn["xhat_max_abs_mean"] < 1e-7)
    assert np.all(with_bn["xhat_max_abs_var_minus_1"] < 1e-2)
    # the 15/50/85th percentiles of the unit's input drift less with BN
    for run in (with_bn, without):
        p = run["percentiles"]
        assert p.shape == (len(run["steps"]), 3) and np.all(np.diff(p, axis=1) >= 0)
        assert run["drift"] == pytest.approx(np.mean(p.max(axis=0) - p.min(axis=0)))
    assert with_bn["drift"] < without["drift"]
    # same updates for both; BN trains faster on this deep sigmoid net
    np.testing.assert_array_equal(with_bn["steps"], without["steps"])
    assert with_bn["test_accuracy"][-1] > without["test_accuracy"][-1]
    # >= 5 seeds: the key numbers are mean and std over them, and BN is ahead in every seed
    seed_runs, key = data["seed_runs"], data["key_numbers"]
    assert len(seed_runs) >= 5
    for name in ("with BN", "without BN"):
        finals = [r[name]["test_accuracy"][-1] for r in seed_runs]
        assert key[name]["final_test_accuracy_mean"] == pytest.approx(np.mean(finals), rel=1e-12)
        assert key[name]["final_test_accuracy_std"] == pytest.approx(np.std(finals, ddof=1), rel=1e-9, abs=1e-15)
    assert all(r["with BN"]["drift"] < r["without BN"]["drift"] for r in seed_runs)
    assert key["with BN"]["xhat_abs_mean_below_1e-7"] and key["with BN"]["xhat_abs_var_minus_1_below_1e-2"]


def test_normalization_condition_numbers_tell_the_story():
    fig, data = run_figure("normalization")
    key = data["key_numbers"]
    kappa = {}
    for name, (Xtr, _) in data["versions"].items():
        X1 = np.vstack([Xtr, np.ones((1, Xtr.shape[1]))])
        eig = np.linalg.eigvalsh(X1 @ X1.T)
        kappa[name] = eig.max() / eig.min()
        assert key[name]["condition_number"] == pytest.approx(kappa[name], rel=1e-9)
    assert kappa["raw"] > 1e4 > 10 * kappa["min-max"] > 10 and kappa["standardized"] < 1.2
    # one step is honest only for (nearly) uncorrelated features: the figure says so and records r
    assert abs(key["feature_correlation"]) < 0.1
    assert key["feature_correlation"] == pytest.approx(np.corrcoef(data["X_train"])[0, 1], rel=1e-12)
    # min-max and standardized are drawn on the same axes, both with equal unit lengths
    scaled = [ax for ax in fig.axes if ax.get_xlabel() == "area, scaled"]
    assert len(scaled) == 2 and scaled[0].get_xlim() == scaled[1].get_xlim()
    assert all(ax.get_aspect() == 1.0 for ax in scaled)
