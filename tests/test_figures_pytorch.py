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
    assert {"1-D tensor (vector): shape (64,)", "2-D tensor (matrix): shape (8, 8)",
            "3-D tensor: shape (4, 4, 4)"} <= titles


def test_regression_example_loss_and_text():
    fig, data = run_figure("regression_example")
    costs = data["costs"]
    assert len(costs) == 201
    assert costs[0] >= 10 * costs[-1] and costs[-1] < 0.02
    AL, _ = network.forward(data["X"], data["parameters"], "relu", "linear", backend="numpy")
    mse = float(np.mean((AL - data["Y"]) ** 2))
    assert data["text"] == "Loss=%.4f" % mse
    texts = [t for t in fig.axes[0].texts if t.get_text().startswith("Loss=")]
    assert len(texts) == 1 and texts[0].get_text() == "Loss=%.4f" % mse and texts[0].get_position() == (0.5, 0)


def test_pytorch_examples_loss_falls():
    _, data = run_figure("pytorch_examples_loss")
    for name in ("autograd", "nn"):
        losses = data["losses"][name]
        assert len(losses) >= 50
        assert np.mean(np.diff(losses) < 0) >= 0.95, name
        assert losses[-1] < 1e-2 * losses[0], name
