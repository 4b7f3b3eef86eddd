"""Figures of the weight-initialization slides [Vanishing and Exploding Gradients (Activation: tanh -
Initializer: Normal sigma = 0.01 / 1.00 - Epoch 0), Popular Weight Initializers].

The network of the slides (after Godoy's "Hyper-parameters in Action! Weight Initializers"):
10 inputs -> 5 hidden layers of 100 units -> 1 sigmoid output, biases zero, weights from
``nn_ref.network.initialize_parameters``; the data are 1000 points uniform in the 10-D ball
(``nn_ref.datasets.ball``). Epoch 0: one forward and one backward pass of the untrained network
(``nn_ref.network.forward/backward``, cross-entropy cost) give every Z[l], A[l] and dW[l] drawn here.
"""
import numpy as np

from nn_ref import datasets, network
from nn_ref.figures._registry import figure, new_figure, to_numpy

LAYER_DIMS = [10, 100, 100, 100, 100, 100, 1]


def epoch0_pass(layer_dims, init, sigma, hidden_activation, m, seed):
    """One forward and backward pass of the untrained network on ``datasets.ball(m, n[0], seed)``.

    Returns {"W": [W1..W_{L-1}], "Z": [...], "A": [...], "dW": [...]} for the hidden layers
    h1..h_{L-1} (host NumPy arrays: W[l] (n[l], n[l-1]); Z[l], A[l] (n[l], m); dW[l] like W[l])
    and the cost J."""
    X, Y = datasets.ball(m=m, n=layer_dims[0], seed=seed)
    parameters = network.initialize_parameters(layer_dims, init=init, sigma=sigma, seed=seed)
    AL, caches = network.forward(X, parameters, hidden_activation=hidden_activation, output_activation="sigmoid")
    grads = network.backward(AL, Y, caches, loss="cross_entropy")
    hidden = range(1, len(layer_dims) - 1)
    return {"W": [to_numpy(parameters[f"W{l}"]) for l in hidden],
            "Z": [to_numpy(caches[l - 1][1]) for l in hidden],
            "A": [to_numpy(caches[l - 1][2]) for l in hidden],
            "dW": [to_numpy(grads[f"dW{l}"]) for l in hidden],
            "J": network.compute_cost(AL, Y, "cross_entropy"),
            "m": m}


def _violins(ax, arrays, color, max_points, rng):
    """One violin per layer (h1..h5), each from at most ``max_points`` of the layer's values
    (a seeded subsample: the kernel density of 100 000 values looks the same from 6000,
    and matplotlib's KDE costs O(points x samples))."""
    data = []
    for a in arrays:
        flat = a.ravel()
        if flat.size > max_points:
            flat = rng.choice(flat, max_points, replace=False)
        data.append(flat)
    parts = ax.violinplot(data, positions=np.arange(1, len(data) + 1), widths=0.8, showextrema=True,
                          showmedians=False, points=120)
    for body in parts["bodies"]:
        body.set_facecolor(color)
        body.set_edgecolor(color)
        body.set_alpha(0.55)
    for key in ("cbars", "cmins", "cmaxes"):
        parts[key].set_color(color)
        parts[key].set_linewidth(1.0)
    ax.set_xticks(np.arange(1, len(data) + 1), [f"h{l}" for l in range(1, len(data) + 1)])
    ax.set_xlabel("Hidden layer")


def _init_distributions(sigma, quick, m, seed):
    """The 2x2 figure of per-layer distributions for normal(0, sigma) weights, tanh units, epoch 0."""
    run = epoch0_pass(LAYER_DIMS, "normal", sigma, "tanh", m, seed)
    rng = np.random.default_rng(seed)
    max_points = 1500 if quick else 6000
    fig, axes = new_figure(2, 2, width=10.0, height=7.2)
    panels = (("W", "Weights W[l]", "#1f77b4"), ("Z", "Z[l] = W[l] A[l-1] + b[l]", "#ff7f0e"),
              ("A", "Activations A[l] = tanh(Z[l])", "#2ca02c"), ("dW", "Gradients dW[l] = ∂J/∂W[l]", "#d62728"))
    for ax, (key, title, color) in zip(axes.ravel(), panels):
        _violins(ax, run[key], color, max_points, rng)
        ax.set_title(title)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    fig.suptitle(f"Activation: tanh - Initializer: Normal σ = {sigma:.2f} - Epoch 0", fontsize=13)

    A_std = [float(a.std()) for a in run["A"]]
    key = {"sigma": sigma, "m": m, "cost_J": float(run["J"]),
           "A_std": A_std, "Z_std": [float(z.std()) for z in run["Z"]],
           "dW_std": [float(g.std()) for g in run["dW"]],
           "W_std": [float(w.std()) for w in run["W"]],
           "A_saturated_fraction": [float(np.mean(np.abs(a) > 0.99)) for a in run["A"]],
           "A_std_ratio_h5_over_h1": A_std[-1] / A_std[0]}
    key["dW_std_ratio_h1_over_h5"] = key["dW_std"][0] / key["dW_std"][-1]
    return fig, {**run, "key_numbers": key}


@figure("init_tanh_normal_0p01", slide="Activation: tanh - Initializer: Normal σ = 0.01 - Epoch 0",
        params={"sigma": 0.01, "m": 1000}, seed=0)
def init_tanh_normal_0p01(quick=False, sigma=0.01, m=1000, seed=0):
    """Too-small weights: every layer scales its input by ~ sigma sqrt(100) = 0.1, so Z, A and the
    weight gradients shrink layer after layer (vanishing). 1000 points even in quick mode (cheap)."""
    return _init_distributions(sigma, quick, m, seed)


@figure("init_tanh_normal_1p00", slide="Activation: tanh - Initializer: Normal σ = 1.00 - Epoch 0",
        params={"sigma": 1.0, "m": 1000}, seed=0)
def init_tanh_normal_1p00(quick=False, sigma=1.0, m=1000, seed=0):
    """Too-large weights: Z has std ~ sqrt(100) = 10 from h2 on, tanh saturates at +-1, and the
    weight gradients grow toward the input layer (exploding)."""
    return _init_distributions(sigma, quick, m, seed)


INITIALIZERS = (("Normal σ = 0.01, tanh", "normal", 0.01, "tanh"),
                ("Xavier σ = √(2/(r_in+r_out)), tanh", "xavier", None, "tanh"),
                ("He σ = √(2/r_in), ReLU", "he", None, "relu"))


@figure("init_xavier_he", slide="Popular Weight Initializers", params={"m": 1000}, seed=0)
def init_xavier_he(quick=False, m=1000, seed=0):
    """The same network at epoch 0 under normal(0, 0.01) (tanh), Xavier/Glorot (tanh) and He (ReLU)
    weights: the standard deviation of A[l] and of dW[l] per hidden layer."""
    runs = {}
    for label, init, sigma, act in INITIALIZERS:
        runs[label] = epoch0_pass(LAYER_DIMS, init, sigma if sigma is not None else 0.01, act, m, seed)
    layers = np.arange(1, len(LAYER_DIMS) - 1)
    fig, axes = new_figure(1, 2, width=11.0, height=4.4)
    markers = ("o", "s", "^")
    for (label, *_), marker in zip(INITIALIZERS, markers):
        axes[0].plot(layers, [a.std() for a in runs[label]["A"]], marker=marker, label=label)
        axes[1].plot(layers, [g.std() for g in runs[label]["dW"]], marker=marker, label=label)
    for ax, title in zip(axes, ("Standard deviation of the activations A[l]",
                                "Standard deviation of the weight gradients dW[l]")):
        ax.set_yscale("log")
        ax.set_xticks(layers, [f"h{l}" for l in layers])
        ax.set_xlabel("Hidden layer")
        ax.set_title(title)
    axes[0].set_ylabel("std (log scale)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
    fig.suptitle("Popular Weight Initializers: network 10 → 5×100 → 1, epoch 0 (1000 points in the 10-D ball)")

    key = {}
    for label, init, _, act in INITIALIZERS:
        stds = [float(a.std()) for a in runs[label]["A"]]
        key[init] = {"activation": act, "A_std": stds, "A_std_max_over_min": max(stds) / min(stds),
                     "dW_std": [float(g.std()) for g in runs[label]["dW"]]}
    return fig, {"runs": runs, "key_numbers": key}
