"""Figures of the weight-initialization slides [Vanishing and Exploding Gradients (Activation: tanh -
Initializer: Normal sigma = 0.01 / 1.00 - Epoch 0), Popular Weight Initializers].

The network of the slides (after Godoy's "Hyper-parameters in Action! Weight Initializers"):
10 inputs -> 5 hidden layers of 100 units -> 1 sigmoid output, biases zero, weights from
``nn_ref.network.initialize_parameters``; the data are 1000 points uniform in the 10-D ball
(``nn_ref.datasets.ball``). Epoch 0: one forward and one backward pass of the untrained network
(``nn_ref.network.forward/backward``, cross-entropy cost) give every Z[l], A[l] and dW[l] drawn here.
"""

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from nn_ref import datasets, network
from nn_ref.figures._registry import figure, new_figure, to_numpy
from nn_ref.figures.style import MIN_PT, ROLE, band, end_labels, pm, sci

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
    return {
        "W": [to_numpy(parameters[f"W{l}"]) for l in hidden],
        "Z": [to_numpy(caches[l - 1][1]) for l in hidden],
        "A": [to_numpy(caches[l - 1][2]) for l in hidden],
        "dW": [to_numpy(grads[f"dW{l}"]) for l in hidden],
        "J": network.compute_cost(AL, Y, "cross_entropy"),
        "m": m,
    }


INIT_PANELS = (
    ("W", r"weights $|W^{[l]}|$", "FUNCTION"),
    ("Z", r"$|Z^{[l]}|$, $Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}$", "ITERATE"),
    ("A", r"activations $|A^{[l]}|$, $A = \tanh(Z)$", "TANH"),
    ("dW", r"gradients $|dW^{[l]}|$", "GRADIENT"),
)
SHARED_SIGMAS = (0.01, 1.0)  # the two slides' figures share their y axes: the 100x difference is visible


def _log_magnitudes(a, max_points, rng):
    """log10 |values| of ``a`` (at most ``max_points`` of them, a seeded subsample; exact zeros dropped)."""
    flat = np.abs(a.ravel())
    flat = flat[flat > 0]
    if flat.size > max_points:
        flat = rng.choice(flat, max_points, replace=False)
    return np.log10(flat)


def shared_log_limits(m, seed):
    """{panel key: (lo, hi)} of log10 |value| over both slides' networks (normal sigma = 0.01 and 1.00,
    tanh, epoch 0): the 1st percentile of the smallest layer to the largest value, rounded out to
    half decades. Both figures draw on these limits, so sigma = 0.01 looks 100x smaller than sigma = 1."""
    runs = [epoch0_pass(LAYER_DIMS, "normal", s, "tanh", m, seed) for s in SHARED_SIGMAS]
    limits = {}
    for key, *_ in INIT_PANELS:
        logs = [np.log10(np.abs(a[a != 0])) for run in runs for a in run[key]]
        lo = min(float(np.percentile(v, 1)) for v in logs)
        hi = max(float(v.max()) for v in logs)
        limits[key] = (float(np.floor(2 * lo) / 2), float(np.ceil(2 * hi) / 2))
    return limits


def _violins(ax, arrays, color, max_points, rng, limits):
    """One violin per layer (h1..h5) of log10 |values| on the shared ``limits``; each from at most
    ``max_points`` of the layer's values (the kernel density of 100 000 values looks the same from 6000,
    and matplotlib's KDE costs O(points x samples)). Above each violin its std (unscaled)."""
    data = [_log_magnitudes(a, max_points, rng) for a in arrays]
    positions = np.arange(1, len(data) + 1)
    parts = ax.violinplot(data, positions=positions, widths=0.8, showextrema=False, showmedians=True, points=120)
    for body in parts["bodies"]:
        body.set_facecolor(color)
        body.set_edgecolor(color)
        body.set_alpha(0.55)
    parts["cmedians"].set_color(color)
    parts["cmedians"].set_linewidth(2)
    lo, hi = limits
    ax.set_ylim(lo, hi + 0.16 * (hi - lo))
    for x, a in zip(positions, arrays):
        ax.text(x, hi + 0.02 * (hi - lo), sci(float(np.std(a)), 1), ha="center", va="bottom", color=ROLE["NOTE"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"$10^{{{int(round(v))}}}$"))
    ax.set_xticks(positions, [f"$h_{l}$" for l in positions])
    ax.set_xlabel("hidden layer (std above each)")


def _init_distributions(sigma, quick, m, seed):
    """The 2x2 figure of per-layer distributions for normal(0, sigma) weights, tanh units, epoch 0, on
    the y axes shared with the other sigma's figure (``shared_log_limits``)."""
    run = epoch0_pass(LAYER_DIMS, "normal", sigma, "tanh", m, seed)
    limits = shared_log_limits(m, seed)
    rng = np.random.default_rng(seed)
    max_points = 1500 if quick else 6000
    fig, axes = new_figure(2, 2)
    for ax, (key, title, role) in zip(axes.ravel(), INIT_PANELS):
        _violins(ax, run[key], ROLE[role], max_points, rng, limits[key])
        ax.set_title(title)
        ax.set_ylabel("|value|, log scale")
    A_std = [float(a.std()) for a in run["A"]]
    key = {
        "sigma": sigma,
        "m": m,
        "cost_J": float(run["J"]),
        "A_std": A_std,
        "Z_std": [float(z.std()) for z in run["Z"]],
        "dW_std": [float(g.std()) for g in run["dW"]],
        "W_std": [float(w.std()) for w in run["W"]],
        "A_saturated_fraction": [float(np.mean(np.abs(a) > 0.99)) for a in run["A"]],
        "A_std_ratio_h5_over_h1": A_std[-1] / A_std[0],
        "shared_log10_limits": {k: list(v) for k, v in limits.items()},
    }
    key["dW_std_ratio_h1_over_h5"] = key["dW_std"][0] / key["dW_std"][-1]
    shared = f"y axes shared with the σ = {_other(sigma):.2f} figure"
    if sigma < 0.1:
        message = (
            f"tanh, Normal σ = {sigma:.2f}, epoch 0: activations vanish layer by layer\n"
            f"std($A$) from $h_1$ to $h_5$: ×{sci(key['A_std_ratio_h5_over_h1'], 1)} ({shared})"
        )
    else:
        sat = float(np.mean(key["A_saturated_fraction"][1:]))
        message = (
            f"tanh, Normal σ = {sigma:.2f}, epoch 0: tanh saturates, gradients explode toward the input\n"
            f"{100 * sat:.0f} % of $|A| > 0.99$ in $h_2$..$h_5$; std($dW$) from $h_5$ to $h_1$: "
            f"×{key['dW_std_ratio_h1_over_h5']:.0f} ({shared})"
        )
    fig.suptitle(message)
    return fig, {**run, "limits": limits, "key_numbers": key}


def _other(sigma):
    return SHARED_SIGMAS[1] if sigma == SHARED_SIGMAS[0] else SHARED_SIGMAS[0]


@figure(
    "init_tanh_normal_0p01",
    slide="Activation: tanh - Initializer: Normal σ = 0.01 - Epoch 0",
    seed=0,
)
def init_tanh_normal_0p01(quick=False, sigma=0.01, m=1000, seed=0):
    """Too-small weights: every layer scales its input by ~ sigma sqrt(100) = 0.1, so Z, A and the
    weight gradients shrink layer after layer (vanishing). 1000 points even in quick mode (cheap)."""
    return _init_distributions(sigma, quick, m, seed)


@figure(
    "init_tanh_normal_1p00",
    slide="Activation: tanh - Initializer: Normal σ = 1.00 - Epoch 0",
    seed=0,
)
def init_tanh_normal_1p00(quick=False, sigma=1.0, m=1000, seed=0):
    """Too-large weights: Z has std ~ sqrt(100) = 10 from h2 on, tanh saturates at +-1, and the
    weight gradients grow toward the input layer (exploding)."""
    return _init_distributions(sigma, quick, m, seed)


INITIALIZERS = (
    (r"Normal $\sigma$ = 0.01, tanh", "normal", 0.01, "tanh", "NORMAL_INIT"),
    (r"Xavier $\sigma = \sqrt{2/(n^{[l-1]} + n^{[l]})}$, tanh", "xavier", None, "tanh", "XAVIER"),
    (r"He $\sigma = \sqrt{2/n^{[l-1]}}$, ReLU", "he", None, "relu", "HE"),
)


@figure("init_xavier_he", slide="Popular Weight Initializers", seed=0)
def init_xavier_he(quick=False, m=1000, seeds=(0, 1, 2, 3, 4), seed=0):
    """The same network at epoch 0 under normal(0, 0.01) (tanh), Xavier/Glorot (tanh) and He (ReLU)
    weights: the standard deviation of A[l] and of dW[l] per hidden layer, for each of ``seeds``
    (weights and data drawn from that seed; ``seed`` is the one whose arrays are returned).
    Drawn: the mean over the seeds and the min..max band."""
    all_runs = {
        s: {
            label: epoch0_pass(LAYER_DIMS, init, sigma if sigma is not None else 0.01, act, m, s)
            for label, init, sigma, act, _ in INITIALIZERS
        }
        for s in seeds
    }
    runs = all_runs[seeds[0]]
    layers = np.arange(1, len(LAYER_DIMS) - 1)
    fig, axes = new_figure(1, 2)
    stats = {}
    for label, init, _, _act, role in INITIALIZERS:
        A = np.array([[a.std() for a in all_runs[s][label]["A"]] for s in seeds])  # (seeds, layers)
        G = np.array([[g.std() for g in all_runs[s][label]["dW"]] for s in seeds])
        stats[init] = (A, G)
        band(axes[0], layers, A, ROLE[role], marker="o")
        band(axes[1], layers, G, ROLE[role], marker="o")
    for ax, title, ylabel in zip(
        axes,
        (r"activations: std of $A^{[l]}$", r"gradients: std of $dW^{[l]}$"),
        (r"std($A^{[l]}$), log scale", r"std($dW^{[l]}$), log scale"),
    ):
        ax.set_yscale("log")
        ax.set_xticks(layers, [f"$h_{l}$" for l in layers])
        ax.set_xlabel("hidden layer")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    names = {"normal": "Normal 0.01", "xavier": "Xavier", "he": "He"}
    ratio = {init: A.max(axis=1) / A.min(axis=1) for init, (A, _) in stats.items()}
    end_labels(
        axes[0],
        [(stats[init][0][:, -1].mean(), names[init], ROLE[role]) for _, init, _, _, role in INITIALIZERS],
        min_gap=0.12,
    )
    end_labels(
        axes[1],
        [(stats[init][1][:, -1].mean(), names[init], ROLE[role]) for _, init, _, _, role in INITIALIZERS],
        min_gap=0.12,
    )
    fig.supxlabel("   ".join(label for label, *_ in INITIALIZERS), color=ROLE["NOTE"], fontsize=MIN_PT)
    fig.suptitle(
        f"Xavier and He keep std($A^{{[l]}}$) within ×{pm(ratio['xavier'].mean(), ratio['xavier'].std(ddof=1), 2)}"
        f" and ×{pm(ratio['he'].mean(), ratio['he'].std(ddof=1), 2)}; "
        f"Normal 0.01: ×{sci(float(ratio['normal'].mean()), 1)}"
    )
    key = {"seeds": list(seeds)}
    for _label, init, _, act, _ in INITIALIZERS:
        A, G = stats[init]
        key[init] = {
            "activation": act,
            "A_std": A.mean(axis=0).tolist(),
            "dW_std": G.mean(axis=0).tolist(),
            "A_std_max_over_min_mean": float(ratio[init].mean()),
            "A_std_max_over_min_std": float(ratio[init].std(ddof=1)),
            "A_std_max_over_min_per_seed": ratio[init].tolist(),
            "A_std_max_over_min": float(ratio[init][0]),
        }
    return fig, {"runs": runs, "all_runs": all_runs, "key_numbers": key}
