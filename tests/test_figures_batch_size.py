"""Honesty checks of the batch-size figures (figures.md), on the data each figure returns."""
import numpy as np
import pytest
from _figcache import run_figure


def _f(x):
    return -np.exp(-(x + 2) ** 2 / 1.28) - 1.2 * np.exp(-(x - 2) ** 2 / 0.045)


def test_flat_vs_sharp_minima():
    _, data = run_figure("flat_vs_sharp_minima")
    flat, sharp = data["minima"]["flat"], data["minima"]["sharp"]
    assert flat["converged"] and sharp["converged"]
    assert flat["x"] == pytest.approx(-2, abs=1e-3) and sharp["x"] == pytest.approx(2, abs=1e-3)
    h = 1e-6
    for m in (flat, sharp):                              # a minimum of the training function
        assert abs((_f(m["x"] + h) - _f(m["x"] - h)) / (2 * h)) < 1e-6
        assert m["f_train"] == pytest.approx(_f(m["x"]), abs=1e-12)
        assert m["f_test"] == pytest.approx(_f(m["x"] - 0.25), abs=1e-12)   # test function = shifted by 0.25
    gap_flat = flat["f_test"] - flat["f_train"]
    gap_sharp = sharp["f_test"] - sharp["f_train"]
    assert gap_flat > 0 and gap_sharp >= 5 * gap_flat


def test_noise_scale_equals_the_formula_and_the_measurement():
    _, data = run_figure("noise_scale")
    N, B_grid = data["N"], data["B_grid"]
    assert N == 100
    for eps in data["epsilons"]:
        np.testing.assert_allclose(data["g"][eps], eps * (N / B_grid - 1), rtol=1e-12)
        np.testing.assert_allclose(data["g_approx"][eps], eps * N / B_grid, rtol=1e-12)
        small = B_grid < N / 20                     # g ~ eps N / B when B << N
        np.testing.assert_allclose(data["g"][eps][small], data["g_approx"][eps][small], rtol=0.06)
    # the noise measured from nn-ref's mini-batch gradients follows (N/B - 1) (sampling error of the draws)
    np.testing.assert_allclose(data["measured_g_over_eps"], N / data["B"] - 1, rtol=0.25)


def test_sgd_paths_lengths_and_updates():
    _, data = run_figure("sgd_paths")
    paths = data["paths"]
    length = {k: np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1)) for k, p in paths.items()}
    assert length["Stochastic"] > length["Mini-batch"] > length["Batch"]
    for p in paths.values():                                         # one start for all three
        np.testing.assert_array_equal(p[0], paths["Batch"][0])
    m = 100                                                          # updates: epochs * ceil(m / batch)
    assert (len(paths["Stochastic"]) - 1) % m == 0
    assert (len(paths["Mini-batch"]) - 1) % (m // 20) == 0
    # batch GD with a constant step reaches the least-squares solution
    np.testing.assert_allclose(paths["Batch"][-1], data["theta_star"], atol=1e-3)
