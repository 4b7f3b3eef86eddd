"""Figures of the PyTorch slides: Tensors, the Linear Regression Example (x^2 fit) and the
Autograd / NN examples' loss curves -- each computed with nn-ref's own network in place of PyTorch.
"""

import matplotlib
import numpy as np
from matplotlib.patches import Polygon, Rectangle

from nn_ref import datasets, network
from nn_ref.figures._registry import diagram_axes, figure, new_figure, to_numpy
from nn_ref.figures.style import DIAGRAM_H, DIAGRAM_W, ROLE, end_labels, sci

_CMAP = "viridis"


def _cell(ax, x, y, value, vmax, cmap, w=1.0, h=1.0, text=True, fontsize=14):
    color = cmap(value / vmax)
    ax.add_patch(Rectangle((x, y), w, h, facecolor=color, edgecolor="white", lw=0.8))
    if text:
        ax.text(
            x + w / 2,
            y + h / 2,
            f"{value:g}",
            ha="center",
            va="center",
            fontsize=fontsize,
            color="white" if value / vmax < 0.6 else "black",
        )


@figure("tensors", slide="Tensors")
def tensors(quick=False, n=64, matrix_shape=(8, 8), tensor_shape=(4, 4, 4)):
    """One array of n elements (0 .. n-1) seen as a vector, a matrix and a 3-D tensor: the three views
    are ``reshape``s of the same buffer, and every shape and cell is read from those arrays."""
    cmap = matplotlib.colormaps[_CMAP]
    base = np.arange(n, dtype=np.float64)
    vector = base.reshape(-1)
    matrix = base.reshape(matrix_shape)
    tensor = base.reshape(tensor_shape)
    vmax = float(base.max())
    fig, axes = new_figure(width=DIAGRAM_W, height=DIAGRAM_H, mosaic=[["v", "v"], ["m", "t"]], height_ratios=[1, 4.2])
    cells = {}

    ax = axes["v"]
    diagram_axes(ax, (-0.5, vector.shape[0] + 0.5), (-1.2, 1.3))
    for i, value in enumerate(vector):
        _cell(ax, i, 0, value, vmax, cmap, text=False)
    for i in range(0, vector.shape[0], 8):
        ax.text(i + 0.5, -0.35, f"{i}", ha="center", va="top", fontsize=14)
    cells["vector"] = vector.size
    ax.set_title(f"1-D tensor (vector): shape {vector.shape}")

    ax = axes["m"]
    rows, cols = matrix.shape
    diagram_axes(ax, (-0.3, cols + 0.3), (-0.3, rows + 0.3))
    for r in range(rows):
        for c in range(cols):
            _cell(ax, c, rows - 1 - r, matrix[r, c], vmax, cmap)
    cells["matrix"] = matrix.size
    ax.set_title(f"2-D tensor (matrix): shape {matrix.shape}")

    ax = axes["t"]
    depth, rows, cols = tensor.shape
    shift = 0.45  # each slice drawn behind the previous one
    diagram_axes(ax, (-0.3, cols + depth * shift + 0.3), (-0.3, rows + depth * shift + 0.3))
    drawn = 0
    for d in range(depth - 1, -1, -1):  # back slices first
        ox, oy = d * shift, d * shift
        for r in range(rows):
            for c in range(cols):
                _cell(ax, ox + c, oy + rows - 1 - r, tensor[d, r, c], vmax, cmap, text=(d == 0))
                drawn += 1
        ax.add_patch(
            Polygon(
                [(ox, oy), (ox + cols, oy), (ox + cols, oy + rows), (ox, oy + rows)],
                closed=True,
                fill=False,
                edgecolor="#333333",
                lw=0.8,
            )
        )
    cells["tensor"] = drawn
    ax.set_title(f"3-D tensor: shape {tensor.shape}")
    fig.suptitle(f"One array of {base.size} elements, three shapes: reshape shares the data, no copy")
    shapes = {"vector": list(vector.shape), "matrix": list(matrix.shape), "tensor": list(tensor.shape)}
    return fig, {
        "base": base,
        "vector": vector,
        "matrix": matrix,
        "tensor": tensor,
        "key_numbers": {
            "shapes": shapes,
            "cells_drawn": cells,
            "shares_memory": bool(np.shares_memory(matrix, tensor)),
        },
    }


def fit_square(m, layer_dims, learning_rate, steps, seed, every=None):
    """The slide's regression trained with nn-ref: X, Y = ``datasets.square(m, seed)`` (1, m); a
    ``layer_dims`` net (ReLU hidden, linear output) from ``initialize_parameters``; ``steps`` full-batch
    gradient-descent steps on J = (1/m) sum (AL - Y)^2. Returns (X, Y, parameters, costs, fits):
    costs[k] = J after k steps (k = 0 .. steps), fits = {k: AL after k steps} every ``every`` steps and
    at the end (the slide's loop plots the fit every few steps)."""
    X, Y = datasets.square(m, seed=seed)  # X, Y: (1, m)
    parameters = network.initialize_parameters(layer_dims, seed=seed)
    costs, fits = [], {}
    for k in range(steps):
        AL, caches = network.forward(X, parameters, "relu", "linear")
        costs.append(network.compute_cost(AL, Y, "mse"))
        if every and k % every == 0:
            fits[k] = to_numpy(AL).copy()
        grads = network.backward(AL, Y, caches, "mse")
        network.update_parameters(parameters, grads, learning_rate)
    AL, _ = network.forward(X, parameters, "relu", "linear")
    costs.append(network.compute_cost(AL, Y, "mse"))
    fits[steps] = AL
    return X, Y, parameters, np.array(costs), fits


@figure("regression_steps", slide="Linear Regression Example (the fit every few steps)", seed=0)
def regression_steps(quick=False, m=100, layer_dims=(1, 10, 1), learning_rate=0.2, shown=(0, 10, 40, 200), seed=0):
    """The slide's training loop, which redraws the fit every few steps: the same run as
    ``regression_example`` (``fit_square``), the fit after each of the ``shown`` steps, with its loss."""
    steps = max(shown)
    every = int(np.gcd.reduce([k for k in shown if k]))
    X, Y, _, costs, fits = fit_square(m, layer_dims, learning_rate, steps, seed, every=every)
    fig, axes = new_figure(2, 2, sharex=True, sharey=True)
    for ax, k in zip(axes.ravel(), shown):
        ax.scatter(X.ravel(), Y.ravel(), s=14, color=ROLE["DATA"])
        ax.plot(X.ravel(), to_numpy(fits[k]).ravel(), color=ROLE["OUTLIER"], lw=4)
        ax.text(0.5, 0, "Loss=%.4f" % costs[k], color=ROLE["OUTLIER"], ha="left", va="bottom")  # noqa: UP031
        ax.set_title(f"after {k} step{'s' * (k != 1)}")
        ax.set_ylim(-0.45, 1.55)
    for ax in axes[1]:
        ax.set_xlabel("$x$")
    for ax in axes[:, 0]:
        ax.set_ylabel("$y$")
    fig.suptitle(f"The fit as training runs (lr {learning_rate:g}): MSE {costs[0]:.3f} → {costs[steps]:.4f}")
    return fig, {
        "X": X,
        "Y": Y,
        "costs": costs,
        "fits": fits,
        "key_numbers": {"shown": list(shown), "loss_at_shown": [float(costs[k]) for k in shown]},
    }


@figure(
    "regression_example",
    slide="Linear Regression Example",
    seed=0,
)
def regression_example(quick=False, m=100, layer_dims=(1, 10, 1), learning_rate=0.2, steps=200, seed=0):
    """The slide's PyTorch regression, with nn-ref: x = linspace(-1, 1, m), y = x^2 + 0.2 U(0, 1)
    (``datasets.square``); a 1-10-1 network, ReLU hidden, linear output; MSE cost
    J = (1/m) sum (AL - Y)^2; ``steps`` full-batch gradient-descent steps of ``learning_rate``.
    The text on the plot is the MSE of the final parameters."""
    X, Y, parameters, costs, fits = fit_square(m, layer_dims, learning_rate, steps, seed)
    AL, final = fits[steps], costs[-1]

    fig, (ax1, ax2) = new_figure(1, 2)
    ax1.scatter(X.ravel(), Y.ravel(), s=20, color=ROLE["DATA"], label="data $y = x^2 + 0.2\\,U(0, 1)$")
    ax1.plot(X.ravel(), to_numpy(AL).ravel(), "-", color=ROLE["OUTLIER"], lw=5, label=f"network {list(layer_dims)}")
    text = "Loss=%.4f" % final  # noqa: UP031  (the slide's own format string)
    # at (0.5, 0), left-aligned as the slide's plt.text: below the fitted line, over no data
    ax1.text(0.5, 0, text, fontdict={"size": 16, "color": ROLE["OUTLIER"]}, ha="left", va="bottom")
    ax1.set_xlabel("$x$")
    ax1.set_ylabel("$y$")
    ax1.set_ylim(-0.1, 1.55)
    ax1.set_title(f"fit after {steps} full-batch steps, lr {learning_rate:g}")
    ax1.legend(loc="upper center", frameon=False)
    ax2.semilogy(np.arange(steps + 1), costs, color=ROLE["TRAIN"])
    ax2.set_xlabel("step")
    ax2.set_ylabel("MSE loss, log scale")
    ax2.set_title("loss during training")
    fig.suptitle(f"nn-ref in place of PyTorch: the 1-10-1 ReLU net fits $x^2$, MSE {costs[0]:.3f} → {final:.4f}")
    return fig, {
        "X": X,
        "Y": Y,
        "parameters": parameters,
        "costs": costs,
        "text": text,
        "key_numbers": {
            "loss_step0": float(costs[0]),
            "loss_final": float(final),
            "ratio_step0_to_final": float(costs[0] / final),
            "text": text,
        },
    }


def _sse_training(X, Y, parameters, learning_rate, iterations, train_biases):
    """Gradient descent on the sum of squared errors SSE = sum (AL - Y)^2 = m * J_mse:
    dSSE/dW = m * dJ_mse/dW, so each step uses ``update_parameters(..., m * learning_rate)``."""
    m = X.shape[1]
    losses = []
    for _ in range(iterations):
        AL, caches = network.forward(X, parameters, "relu", "linear")
        losses.append(m * network.compute_cost(AL, Y, "mse"))
        grads = network.backward(AL, Y, caches, "mse")
        if not train_biases:  # the autograd example has no biases: b stays 0
            for key in grads:
                if key.startswith("db"):
                    grads[key] = np.zeros_like(grads[key])
        network.update_parameters(parameters, grads, m * learning_rate)
    return np.array(losses)


def pytorch_linear_default(layer_dims, seed):
    """Parameters drawn as PyTorch's ``nn.Linear`` draws them by default (``reset_parameters``:
    ``kaiming_uniform_(W, a=sqrt(5))`` and a uniform bias), i.e. W[l], b[l] ~ U(-1/sqrt(n[l-1]), 1/sqrt(n[l-1])):
    a standard deviation 1/sqrt(3 n[l-1]), sqrt(6) = 2.4x narrower than He's sqrt(2/n[l-1]).
    W[l]: (n[l], n[l-1]), b[l]: (n[l], 1)."""
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        bound = 1.0 / np.sqrt(layer_dims[l - 1])
        parameters[f"W{l}"] = rng.uniform(-bound, bound, (layer_dims[l], layer_dims[l - 1]))
        parameters[f"b{l}"] = rng.uniform(-bound, bound, (layer_dims[l], 1))
    return parameters


@figure(
    "pytorch_examples_loss",
    slide="Autograd / NN examples",
    seed=0,
)
def pytorch_examples_loss(
    quick=False, N=64, layer_dims=(1000, 100, 10), lr_autograd=1e-6, lr_nn=1e-4, iterations=500, seed=0
):
    """The PyTorch tutorial's two-layer examples run with nn-ref: x ~ N(0, 1) (D_in = 1000, N samples),
    y ~ N(0, 1) (D_out = 10), hidden 100 ReLU, linear output, loss = sum of squared errors.
    Autograd example: W ~ N(0, 1), no biases, lr 1e-6. NN example: ``nn.Linear``'s default init
    (``pytorch_linear_default``: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))), lr 1e-4.
    ``quick``: 150 iterations (the same sizes; the loss falls at every step from the start)."""
    if quick:
        iterations = min(iterations, 150)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((layer_dims[0], N))  # (n[0], m)
    Y = rng.standard_normal((layer_dims[-1], N))  # (n[L], m)
    initial = {
        "autograd": network.initialize_parameters(layer_dims, "normal", sigma=1.0, seed=seed),
        "nn": pytorch_linear_default(layer_dims, seed=seed + 1),
    }
    runs = {
        "autograd": _sse_training(
            X, Y, {k: v.copy() for k, v in initial["autograd"].items()}, lr_autograd, iterations, train_biases=False
        ),
        "nn": _sse_training(
            X, Y, {k: v.copy() for k, v in initial["nn"].items()}, lr_nn, iterations, train_biases=True
        ),
    }
    fig, ax = new_figure()
    ax.semilogy(np.arange(iterations), runs["autograd"], color=ROLE["TRAIN"])
    ax.semilogy(np.arange(iterations), runs["nn"], color=ROLE["ALT_FIT"], ls="--")
    end_labels(
        ax,
        [
            (runs["autograd"][-1], f"autograd example:\n$W \\sim N(0, 1)$, lr {sci(lr_autograd, 0)}", ROLE["TRAIN"]),
            (runs["nn"][-1], f"nn example: nn.Linear\ndefault init, lr {sci(lr_nn, 0)}", ROLE["ALT_FIT"]),
        ],
        min_gap=0.2,
    )
    ax.set_xlabel(f"iteration (net {' → '.join(map(str, layer_dims))}, N = {N})")
    ax.set_ylabel("loss (sum of squared errors)")
    ax.set_title(
        f"{iterations} iterations: loss → "
        f"{sci(float(runs['autograd'][-1]), 1)} (autograd), {sci(float(runs['nn'][-1]), 1)} (nn)"
    )
    key = {"nn_init_weight_std": {k: float(v.std()) for k, v in initial["nn"].items() if k.startswith("W")}}
    for name, losses in runs.items():
        key[name] = {
            "loss_first": float(losses[0]),
            "loss_last": float(losses[-1]),
            "fraction_of_steps_lowering_loss": float(np.mean(np.diff(losses) < 0)),
        }
    return fig, {
        "losses": runs,
        "X": X,
        "Y": Y,
        "initial_parameters": initial,
        "learning_rates": {"autograd": lr_autograd, "nn": lr_nn},
        "key_numbers": key,
    }
