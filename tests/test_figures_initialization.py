"""Honesty checks of the weight-initialization figures (figures.md), on the data each figure returns."""

import numpy as np
import pytest
from _figcache import run_figure


@pytest.mark.parametrize("fig_id", ["init_tanh_normal_0p01", "init_tanh_normal_1p00"])
def test_init_data_is_a_real_forward_pass(fig_id):
    # Z[l] = W[l] A[l-1] + 0 and A[l] = tanh(Z[l]) for h2..h5: the drawn arrays come from one forward pass
    _, data = run_figure(fig_id)
    assert len(data["W"]) == len(data["Z"]) == len(data["A"]) == len(data["dW"]) == 5
    for l in range(1, 5):
        assert data["W"][l].shape == (100, 100) and data["A"][l].shape == (100, data["m"])
        np.testing.assert_allclose(data["Z"][l], data["W"][l] @ data["A"][l - 1], rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(data["A"][l], np.tanh(data["Z"][l]), rtol=1e-12, atol=1e-300)
    for l in range(5):
        assert data["dW"][l].shape == data["W"][l].shape


def test_init_normal_0p01_activations_vanish():
    _, data = run_figure("init_tanh_normal_0p01")
    assert np.std(data["W"][0]) == pytest.approx(0.01, rel=0.1)
    ratio = np.std(data["A"][4]) / np.std(data["A"][0])
    assert ratio < 1e-3
    assert data["key_numbers"]["A_std_ratio_h5_over_h1"] == pytest.approx(ratio, rel=1e-12)


def test_init_normal_1p00_saturates_and_gradients_explode():
    _, data = run_figure("init_tanh_normal_1p00")
    assert np.std(data["W"][0]) == pytest.approx(1.0, rel=0.1)
    for l in range(1, 5):  # h2..h5
        assert np.mean(np.abs(data["A"][l]) > 0.99) > 0.6
    assert np.std(data["dW"][0]) > 10 * np.std(data["dW"][4])


def test_init_xavier_he_keep_the_activation_scale():
    _, data = run_figure("init_xavier_he")
    stds = {label: [np.std(a) for a in run["A"]] for label, run in data["runs"].items()}
    xavier = next(v for k, v in stds.items() if k.startswith("Xavier"))
    he = next(v for k, v in stds.items() if k.startswith("He"))
    normal = next(v for k, v in stds.items() if k.startswith("Normal"))
    assert max(xavier) / min(xavier) < 2
    assert max(he) / min(he) < 2
    assert max(normal) / min(normal) > 100  # the contrast the slide makes
    assert data["key_numbers"]["xavier"]["A_std_max_over_min"] == pytest.approx(max(xavier) / min(xavier))
    # >= 5 seeds, and the claim holds in each
    key = data["key_numbers"]
    assert len(key["seeds"]) >= 5 and len(data["all_runs"]) == len(key["seeds"])
    for init in ("xavier", "he"):
        assert len(key[init]["A_std_max_over_min_per_seed"]) == len(key["seeds"])
        assert max(key[init]["A_std_max_over_min_per_seed"]) < 2
        assert key[init]["A_std_max_over_min_mean"] == pytest.approx(np.mean(key[init]["A_std_max_over_min_per_seed"]))


def test_init_tanh_figures_share_their_y_axes_so_the_100x_shows():
    (fig_a, data_a), (fig_b, data_b) = run_figure("init_tanh_normal_0p01"), run_figure("init_tanh_normal_1p00")
    assert data_a["limits"] == data_b["limits"]
    assert [ax.get_ylim() for ax in fig_a.axes] == [ax.get_ylim() for ax in fig_b.axes]
    # the weights' median magnitudes sit two decades apart on those shared axes (sigma 0.01 vs 1)
    gap = np.log10(np.median(np.abs(data_b["W"][0]))) - np.log10(np.median(np.abs(data_a["W"][0])))
    assert gap == pytest.approx(2.0, abs=0.1)
    lo, hi = data_a["limits"]["W"]
    for data in (data_a, data_b):  # every layer's bulk of |W| is inside the shared limits
        for W in data["W"]:
            assert lo <= np.log10(np.percentile(np.abs(W), 5)) and np.log10(np.abs(W).max()) <= hi
