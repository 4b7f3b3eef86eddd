"""Honesty checks (../shared/figures.md) of the neuron figures, on the data their functions return."""

import numpy as np
from _figcache import run_figure

from nn_ref import network


def _closed_forms(z, alpha):
    s = 1.0 / (1.0 + np.exp(-z))
    forward = {
        "sigmoid": s,
        "tanh": np.tanh(z),
        "relu": np.maximum(0.0, z),
        "leaky_relu": np.where(z > 0, z, alpha * z),
    }
    derivative = {
        "sigmoid": s * (1 - s),
        "tanh": 1 - np.tanh(z) ** 2,
        "relu": (z > 0).astype(float),
        "leaky_relu": np.where(z > 0, 1.0, alpha),
    }
    return forward, derivative


def test_activation_functions_equal_closed_forms():
    _, data = run_figure("activation_functions")
    z, alpha = data["z"], data["alpha"]
    assert z.min() == -5.0 and z.max() == 5.0 and alpha == 0.1
    forward, _ = _closed_forms(z, alpha)
    assert set(data["A"]) == set(forward)
    for name, A in data["A"].items():
        np.testing.assert_allclose(A, forward[name], rtol=0, atol=1e-12, err_msg=name)


def test_activation_derivatives_maxima_and_finite_differences():
    _, data = run_figure("activation_derivatives")
    z, d, alpha = data["z"], data["dA_dZ"], data["alpha"]
    assert z.min() == -6.0 and z.max() == 6.0
    i0 = int(np.flatnonzero(z == 0.0)[0])  # the grid holds z = 0 exactly
    assert d["sigmoid"].max() == 0.25 and int(np.argmax(d["sigmoid"])) == i0
    assert d["tanh"].max() == 1.0 and int(np.argmax(d["tanh"])) == i0
    forward, _ = _closed_forms(z, alpha)
    h = 1e-6
    away = np.abs(z) > 1e-3  # finite differences only away from the ReLU kink at 0
    f_plus, _ = _closed_forms(z + h, alpha)
    f_minus, _ = _closed_forms(z - h, alpha)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu"):
        fd = (f_plus[name] - f_minus[name]) / (2 * h)
        np.testing.assert_allclose(d[name][away], fd[away], rtol=0, atol=1e-8, err_msg=name)
    assert data["key_numbers"]["max_sigmoid_prime"] == 0.25
    assert all(data["key_numbers"]["fd_agrees_to_1e-8_away_from_kink"].values())
    # one shared 0..1 axis: sigma' (0.25) and tanh' (1) are drawn at the same scale
    fig, _ = run_figure("activation_derivatives")
    assert len({ax.get_ylim() for ax in fig.axes}) == 1 and fig.axes[0].get_ylim()[1] > 1.0


def test_artificial_neuron_is_a_real_layer():
    fig, data = run_figure("artificial_neuron")
    W, b, x = data["W"], data["b"], data["x"]
    assert W.shape == (1, 3) and b.shape == (1, 1)
    assert data["key_numbers"]["n_inputs_drawn"] == W.shape[1]
    Z = float((W @ x + b)[0, 0])
    assert abs(data["Z"] - Z) < 1e-12 and abs(data["A"] - 1 / (1 + np.exp(-Z))) < 1e-12
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert [f"$x_{j}$" in texts for j in (1, 2, 3)] == [True] * 3 and "$x_4$" not in texts
    assert any(f"Z = {Z:.4f}".replace("-", "\u2212") in t for t in texts)


def test_feedforward_network_edges_and_labels_are_the_parameter_shapes():
    fig, data = run_figure("feedforward_network")
    layer_dims = data["layer_dims"]
    assert layer_dims == [3, 4, 4, 1]
    parameters = network.initialize_parameters(layer_dims)
    L = len(layer_dims) - 1
    assert data["edges_drawn"] == sum(parameters[f"W{l}"].size for l in range(1, L + 1)) == 32
    ax = fig.axes[0]
    edge_lines = [line for line in ax.lines if len(line.get_xdata()) == 2]
    assert len(edge_lines) == data["edges_drawn"]
    texts = {t.get_text() for t in ax.texts}
    for l in range(1, L + 1):
        assert f"$W^{{[{l}]}}$: {parameters[f'W{l}'].shape}" in texts
        assert f"$b^{{[{l}]}}$: {parameters[f'b{l}'].shape}" in texts


def test_vanishing_gradient_chain_factors():
    _, data = run_figure("vanishing_gradient_chain")
    factors, grads = data["factors"], data["grads"]
    assert len(factors) == 10 and len(grads) == 11 and grads[-1] == 1.0
    assert np.all(factors <= 0.25) and np.all(factors > 0)
    assert abs(grads[0]) <= 0.25**10
    h, expected = 1.0, []  # the same chain by hand: h_t = sigmoid(w h_{t-1}), w = 1
    for _ in range(10):
        s = 1 / (1 + np.exp(-h))
        expected.append(s * (1 - s))
        h = s
    np.testing.assert_allclose(factors, expected, rtol=1e-12)
