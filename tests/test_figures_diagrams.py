"""Honesty checks of the lecture's diagrams drawn from nn-ref's own objects (ml_definition, the biological vs
artificial neuron, deep_network, forward_shapes, training_loop, dynamic_graph, regression_steps, the vanishing
chain), and of the direct labels: no label is drawn over a curve."""

import numpy as np
import pytest
from _figcache import run_figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from nn_ref import network
from nn_ref.figures import FIGURES, gradient_descent, neurons
from nn_ref.figures.style import sci


def _texts(fig):
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible()]


def test_ml_definition_boxes_are_read_from_the_run():
    fig, data = run_figure("ml_definition")
    X, Y, W, b = data["X"], data["Y"], data["W"], data["b"]
    texts = " ".join(_texts(fig))
    assert f"X {X.shape}, Y {Y.shape}" in texts and f"W {W.shape}, b {b.shape}" in texts
    acc = float(((1 / (1 + np.exp(-(W @ X + b))) > 0.5) == Y).mean())
    assert data["key_numbers"]["train_accuracy"] == pytest.approx(acc, abs=1e-12) and acc >= 0.95
    assert f"{100 * acc:.1f} % right" in texts


def test_biological_vs_artificial_neuron_computes_its_example():
    fig, data = run_figure("biological_vs_artificial_neuron")
    p = data["parameters"]
    x = np.array([[1.0], [-2.0], [0.5]])
    Z = float((p["W1"] @ x + p["b1"])[0, 0])
    assert data["Z"] == pytest.approx(Z, rel=1e-12) and data["A"] == pytest.approx(1 / (1 + np.exp(-Z)), rel=1e-12)
    texts = _texts(fig)
    for part, _, counterpart in neurons.NEURON_ANALOGY:  # every row of the analogy is drawn
        assert part in texts and counterpart in texts
    assert any("analogy, not a model" in t for t in texts)


@pytest.mark.parametrize("fig_id", ["feedforward_network", "deep_network"])
def test_network_diagrams_draw_one_edge_per_weight(fig_id):
    _, data = run_figure(fig_id)
    dims, p = data["layer_dims"], data["parameters"]
    assert data["edges_drawn"] == sum(dims[l] * dims[l - 1] for l in range(1, len(dims)))
    for l in range(1, len(dims)):
        assert p[f"W{l}"].shape == (dims[l], dims[l - 1]) and p[f"b{l}"].shape == (dims[l], 1)
    if fig_id == "deep_network":
        assert len(dims) - 2 >= 3  # several hidden layers


def test_forward_shapes_are_the_forward_pass_arrays():
    _, data = run_figure("forward_shapes")
    dims, m, p, X = data["key_numbers"]["layer_dims"], data["key_numbers"]["m"], data["parameters"], data["X"]
    expected, A = [], X
    for l in range(1, len(dims)):
        expected += [[f"W{l}", dims[l], dims[l - 1]], [f"A{l - 1}", dims[l - 1], m], [f"b{l}", dims[l], 1]]
        expected += [[f"Z{l}", dims[l], m]]
        Z = p[f"W{l}"] @ A + p[f"b{l}"]
        np.testing.assert_allclose(data["caches"][l - 1][1], Z, rtol=1e-12, atol=1e-15)
        A = np.maximum(Z, 0) if l < len(dims) - 1 else 1 / (1 + np.exp(-Z))
    assert data["key_numbers"]["shapes_drawn"] == expected
    np.testing.assert_allclose(data["AL"], A, rtol=1e-12)


def test_training_loop_order_is_read_from_train_step():
    _, data = run_figure("training_loop")
    assert data["order"] == ["forward", "compute_cost", "backward", "update_parameters"]

    def reordered():  # a loop written in another order is drawn in that order
        backward()  # noqa: F821
        forward()  # noqa: F821

    assert gradient_descent.calls_in_order(reordered, gradient_descent.LOOP_STEPS) == ["backward", "forward"]
    # J is what train_step returned: the first is the cost of the initial parameters
    from nn_ref import datasets

    spec = FIGURES["training_loop"]
    X, Y = datasets.blobs(m=spec.params["m"], seed=spec.seed)
    p0 = network.initialize_parameters(spec.params["layer_dims"], seed=spec.seed)
    AL, _ = network.forward(X, p0)
    assert data["J"][0] == pytest.approx(network.compute_cost(AL, Y), rel=1e-12)
    assert data["J"][-1] < 0.5 * data["J"][0]


def test_dynamic_graph_records_the_branch_taken_and_its_gradients():
    _, data = run_figure("dynamic_graph")
    runs = data["runs"]
    assert [r["branch"] for r in runs] == ["relu", "*"]  # two inputs, two different graphs
    assert runs[0]["nodes"] == 6 and runs[1]["nodes"] == 7  # the 0.1 constant is a node of the second only
    h = 1e-6
    for r in runs:
        x, w, b = r["inputs"]
        for name, args in (("x", (1, 0, 0)), ("w", (0, 1, 0)), ("b", (0, 0, 1))):
            up = gradient_descent.neuron_program(x + h * args[0], w + h * args[1], b + h * args[2]).data
            down = gradient_descent.neuron_program(x - h * args[0], w - h * args[1], b - h * args[2]).data
            assert r["grads"][name] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9), name


def test_regression_steps_is_the_regression_example_run():
    _, steps = run_figure("regression_steps")
    _, example = run_figure("regression_example")
    shown = steps["key_numbers"]["shown"]
    np.testing.assert_array_equal(steps["costs"], example["costs"][: len(steps["costs"])])
    assert steps["key_numbers"]["loss_at_shown"][-1] == example["key_numbers"]["loss_final"]
    assert all(a > b for a, b in zip(steps["key_numbers"]["loss_at_shown"], steps["key_numbers"]["loss_at_shown"][1:]))
    assert sorted(steps["fits"]) == sorted(set(range(0, shown[-1], 10)) | {shown[-1]})


def test_vanishing_chain_diagram_shows_the_computed_gradients():
    fig, data = run_figure("vanishing_gradient_chain")
    texts = _texts(fig)
    for g in data["grads"]:
        assert sci(float(g), 0) in texts


def _labels_over_curves(fig):
    """[(label, line label)] for every text of an axes whose box a drawn curve passes through."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    hits = []
    for ax in fig.axes:
        texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
        for line in ax.get_lines():
            if not line.get_visible() or line.get_transform() != ax.transData or len(line.get_xdata()) < 2:
                continue
            xy = line.get_transform().transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            # dense samples along the polyline (1 px apart), in display coordinates
            pts = [np.linspace(a, b, int(np.hypot(*(b - a))) + 2) for a, b in zip(xy[:-1], xy[1:])]
            pts = np.vstack(pts) if pts else xy
            for t in texts:
                box = t.get_window_extent(renderer).padded(-1)
                inside = (pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
                if inside.any():
                    hits.append((t.get_text(), line.get_label()))
    return hits


@pytest.mark.parametrize(
    "fig_id", ["lr_decay_schedules", "regression_example", "pytorch_examples_loss", "loss_l1_vs_l2", "sgd_paths"]
)
def test_no_label_is_drawn_over_a_curve(fig_id):
    fig, _ = run_figure(fig_id)
    assert _labels_over_curves(fig) == []
