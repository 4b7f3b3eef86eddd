"""Honesty checks (../shared/figures.md) of the PyTorch-slide figures, on the data their functions return."""

import numpy as np
from _figcache import run_figure

from nn_ref import network


def test_tensors_shapes_are_read_from_one_array():
    fig, data = run_figure("tensors")
    base = data["base"]
    assert base.size == 64
    assert data["vector"].shape == (64,) and data["matrix"].shape == (8, 8) and data["tensor"].shape == (4, 4, 4)
    for view in ("vector", "matrix", "tensor"):
        assert np.shares_memory(data[view], base)
        np.testing.assert_array_equal(data[view].ravel(), base)
    assert data["key_numbers"]["cells_drawn"] == {"vector": 64, "matrix": 64, "tensor": 64}
    titles = {ax.get_title() for ax in fig.axes}
    assert {
        "1-D tensor (vector): shape (64,)",
        "2-D tensor (matrix): shape (8, 8)",
        "3-D tensor: shape (4, 4, 4)",
    } <= titles


def test_regression_example_loss_and_text():
    fig, data = run_figure("regression_example")
    costs = data["costs"]
    assert len(costs) == 201
    assert costs[0] >= 10 * costs[-1] and costs[-1] < 0.02
    AL, _ = network.forward(data["X"], data["parameters"], "relu", "linear", backend="numpy")
    mse = float(np.mean((AL - data["Y"]) ** 2))
    assert data["text"] == "Loss=%.4f" % mse  # noqa: UP031
    texts = [t for t in fig.axes[0].texts if t.get_text().startswith("Loss=")]
    assert len(texts) == 1 and texts[0].get_text() == "Loss=%.4f" % mse and texts[0].get_position() == (0.5, 0)  # noqa: UP031


def test_pytorch_examples_loss_falls():
    _, data = run_figure("pytorch_examples_loss")
    for name in ("autograd", "nn"):
        losses = data["losses"][name]
        assert len(losses) >= 50
        assert np.mean(np.diff(losses) < 0) >= 0.95, name
        assert losses[-1] < 1e-2 * losses[0], name


def test_pytorch_examples_loss_is_the_sum_of_squared_errors_and_its_gradient_step():
    # the tutorials' loss is sum (y_pred - y)^2 (= m times nn-ref's "mse" cost): check the first two losses
    # of each run against a plain-NumPy forward pass and one hand-written gradient step on that sum
    _, data = run_figure("pytorch_examples_loss")
    X, Y = data["X"], data["Y"]
    for name in ("autograd", "nn"):
        p = data["initial_parameters"][name]
        lr = data["learning_rates"][name]
        Z1 = p["W1"] @ X + p["b1"]
        H = np.maximum(Z1, 0)
        E = p["W2"] @ H + p["b2"] - Y  # y_pred - y, (n[2], m)
        losses = data["losses"][name]
        np.testing.assert_allclose(losses[0], np.sum(E**2), rtol=1e-12)
        dY = 2 * E  # d(sum E^2)/d y_pred
        dW2, db2 = dY @ H.T, dY.sum(axis=1, keepdims=True)
        dZ1 = (p["W2"].T @ dY) * (Z1 > 0)
        dW1, db1 = dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True)
        if name == "autograd":  # no biases in the autograd example
            db1, db2 = 0 * db1, 0 * db2
        W1, b1, W2, b2 = p["W1"] - lr * dW1, p["b1"] - lr * db1, p["W2"] - lr * dW2, p["b2"] - lr * db2
        E1 = W2 @ np.maximum(W1 @ X + b1, 0) + b2 - Y
        np.testing.assert_allclose(losses[1], np.sum(E1**2), rtol=1e-9)


def test_pytorch_examples_nn_init_is_nn_linear_default():
    # PyTorch's nn.Linear draws W and b from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (not He's N(0, 2/fan_in))
    _, data = run_figure("pytorch_examples_loss")
    p = data["initial_parameters"]["nn"]
    for l, fan_in in ((1, 1000), (2, 100)):
        bound = 1 / np.sqrt(fan_in)
        for key in (f"W{l}", f"b{l}"):
            assert np.abs(p[key]).max() <= bound and np.abs(p[key]).max() > 0.9 * bound, key
        assert abs(p[f"W{l}"].std() / (bound / np.sqrt(3)) - 1) < 0.05  # uniform's std, sqrt(6) below He's
