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
