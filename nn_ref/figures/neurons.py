"""Figures of the neuron slides: Artificial Neuron, Neuron's Activation Functions, Activation Functions
Derivatives, Neural Network Definition, Vanishing and Exploding Gradients.

Every curve comes from ``nn_ref.activations`` (forward and backward) or ``nn_ref.network``; the
diagrams read their shapes and labels from parameters made by ``network.initialize_parameters``.
"""

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from nn_ref import activations, network
from nn_ref.figures._registry import diagram_axes, figure, new_figure, to_numpy
from nn_ref.figures.style import DIAGRAM_H, DIAGRAM_W, ROLE, fmt, sci

LIGHT_FILL = "#FFFFFF"  # the myelin sheath

# the four activations of the slides: name -> (title, closed form f(z, alpha), closed form f'(z, alpha))
_PANELS = (
    ("sigmoid", r"Sigmoid: $\sigma(z) = 1 / (1 + e^{-z})$"),
    ("tanh", r"Tanh: $\tanh(z) = 2\sigma(2z) - 1$"),
    ("relu", r"ReLU: $\max(0, z)$"),
    ("leaky_relu", r"Leaky ReLU: $\max(\alpha z, z)$, $\alpha$ = ALPHA"),
)
_DERIVATIVE_TITLES = {
    "sigmoid": r"$\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$",
    "tanh": r"$\tanh'(z) = 1 - \tanh^2(z)$",
    "relu": r"ReLU$'(z) = 1$ if $z > 0$ else $0$",
    "leaky_relu": r"Leaky ReLU$'(z) = 1$ if $z > 0$ else $\alpha$ = ALPHA",
}


_ROLE_OF = {"sigmoid": "SIGMOID", "tanh": "TANH", "relu": "RELU", "leaky_relu": "LEAKY_RELU"}


def _forward(name, Z, alpha):
    if name == "leaky_relu":
        A, _ = activations.leaky_relu(Z, alpha)
    else:
        A, _ = activations.FORWARD[name](Z)
    return to_numpy(A)


def _backward(name, Z, alpha):
    """g'(Z) from the backward function: dZ for an upstream dA of ones."""
    cache = (Z, alpha) if name == "leaky_relu" else Z
    return to_numpy(activations.BACKWARD[name](np.ones_like(Z), cache))


def _closed_form(name, z, alpha):
    return {
        "sigmoid": 1.0 / (1.0 + np.exp(-z)),
        "tanh": np.tanh(z),
        "relu": np.maximum(0.0, z),
        "leaky_relu": np.where(z > 0, z, alpha * z),
    }[name]


@figure(
    "activation_functions",
    slide="Neuron's Activation Functions",
)
def activation_functions(quick=False, z_min=-5.0, z_max=5.0, alpha=0.1, points=1001):
    """sigmoid, tanh, ReLU and leaky ReLU on z in [z_min, z_max], from nn-ref's forward functions,
    compared with their closed forms."""
    z = np.linspace(z_min, z_max, points)
    Z = z.reshape(1, -1)  # (n[l], m) = (1, points)
    curves, errors = {}, {}
    fig, axes = new_figure(2, 2)
    for ax, (name, title) in zip(axes.flat, _PANELS):
        A = _forward(name, Z, alpha).ravel()
        curves[name] = A
        errors[name] = float(np.max(np.abs(A - _closed_form(name, z, alpha))))
        ax.plot(z, A, color=ROLE[_ROLE_OF[name]])
        ax.axhline(0, color="k", lw=0.8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(title.replace("ALPHA", f"{alpha:g}"))
        ax.set_xlabel("$z$")
        ax.set_ylabel("$A = g(z)$")
    axes[0, 0].axhline(1, color=ROLE["BOUND"], ls="--", lw=1.2)
    for y in (-1, 1):
        axes[0, 1].axhline(y, color=ROLE["BOUND"], ls="--", lw=1.2)
    fig.suptitle("Activations: sigmoid in (0, 1), tanh in (−1, 1), ReLU and leaky ReLU unbounded above")
    return fig, {
        "z": z,
        "A": curves,
        "alpha": alpha,
        "errors": errors,
        "key_numbers": {"equals_closed_form_to_1e-12": {k: bool(v <= 1e-12) for k, v in errors.items()}},
    }


@figure(
    "activation_derivatives",
    slide="Activation Functions Derivatives",
)
def activation_derivatives(quick=False, z_min=-6.0, z_max=6.0, alpha=0.1, per_unit=100):
    """g'(z) of sigmoid, tanh, ReLU and leaky ReLU from nn-ref's backward functions on a grid of step
    1/per_unit that contains z = 0 exactly; checked against central differences of the forward
    functions away from the ReLU kink. All four panels share one 0..1 axis, so sigma' (peak 0.25)
    and tanh' (peak 1) are seen at the same scale."""
    z = np.arange(round(z_min * per_unit), round(z_max * per_unit) + 1) / per_unit
    Z = z.reshape(1, -1)
    h = 1e-6
    away = np.abs(z) > 1e-3  # finite differences only away from the kink z = 0
    derivs, fd_errors = {}, {}
    fig, axes = new_figure(2, 2, sharex=True, sharey=True)
    for ax, (name, _) in zip(axes.flat, _PANELS):
        color = ROLE[_ROLE_OF[name]]
        d = _backward(name, Z, alpha).ravel()
        derivs[name] = d
        fd = (_forward(name, Z + h, alpha) - _forward(name, Z - h, alpha)).ravel() / (2 * h)
        fd_errors[name] = float(np.max(np.abs(d[away] - fd[away])))
        for level in (0.25, 1.0):
            ax.axhline(level, color=ROLE["BOUND"], ls=":", lw=1.2)
        if name in ("relu", "leaky_relu"):  # a jump at 0: draw both sides, no vertical line
            left, right = z <= 0, z > 0
            ax.plot(z[left], d[left], color=color)
            ax.plot(z[right], d[right], color=color)
            ax.plot([0], [d[z == 0][0]], "o", color=color, ms=7)
            ax.plot([0], [1], "o", mfc="white", color=color, ms=7)
        else:
            ax.plot(z, d, color=color)
        ax.axhline(0, color="k", lw=0.8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(_DERIVATIVE_TITLES[name].replace("ALPHA", f"{alpha:g}"))
        ax.set_ylim(-0.06, 1.12)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    for ax in axes.flat:  # every panel complete: each is also a file of its own
        ax.tick_params(labelleft=True, labelbottom=True)
        ax.set_xlabel("$z$")
        ax.set_ylabel("$g'(z)$")
    key = {"fd_agrees_to_1e-8_away_from_kink": {name: bool(err < 1e-8) for name, err in fd_errors.items()}}
    for name, ax, xy in (("sigmoid", axes[0, 0], (1.6, 0.62)), ("tanh", axes[0, 1], (1.4, 0.68))):
        i = int(np.argmax(derivs[name]))
        key[f"max_{name}_prime"], key[f"argmax_{name}_prime"] = float(derivs[name][i]), float(z[i])
        ax.plot([z[i]], [derivs[name][i]], "o", color="k", ms=7, zorder=5)
        ax.annotate(
            f"max {fmt(derivs[name][i])} at $z$ = {fmt(z[i])}",
            (z[i], derivs[name][i]),
            xytext=xy,
            textcoords="data",
            ha="left",
            va="center",
            arrowprops=dict(arrowstyle="->", color="k", lw=1.2, shrinkB=6),
        )
    fig.suptitle(
        f"On one scale: σ′ peaks at {fmt(key['max_sigmoid_prime'])}, tanh′ at "
        f"{fmt(key['max_tanh_prime'])}, ReLU′ is 0 or 1"
    )
    return fig, {"z": z, "dA_dZ": derivs, "fd_errors": fd_errors, "alpha": alpha, "key_numbers": key}


def _node(ax, xy, r, text, filled=False, fontsize=14):
    ax.add_patch(Circle(xy, r, facecolor="#1f3b73" if filled else "white", edgecolor="#1f3b73", lw=1.5, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4, color="white" if filled else "black")


def _arrow(ax, start, end, **kwargs):
    style = dict(arrowstyle="-|>", mutation_scale=12, lw=1.3, color="#333333", zorder=2)
    style.update(kwargs)
    ax.add_patch(FancyArrowPatch(start, end, **style))


# the analogy of the slide "A Biological neuron": (biological part, what it does, the artificial counterpart)
NEURON_ANALOGY = (
    ("dendrites", "receive signals", "inputs $x_j$"),
    ("synapses", "strengthen or weaken them", "weights $w_j$"),
    ("cell body", "sums them up", r"$Z = \sum_j w_j x_j + b$"),
    ("axon hillock", "fires past a threshold", "activation $A = g(Z)$"),
    ("axon", "carries the output on", r"output $\hat{y} = A$"),
)


@figure("biological_vs_artificial_neuron", slide="A Biological neuron", seed=0)
def biological_vs_artificial_neuron(quick=False, n_inputs=3, x=(1.0, -2.0, 0.5), seed=0):
    """A schematic of a biological neuron beside the artificial one (a one-unit layer from
    ``initialize_parameters([n_inputs, 1])``, its output computed by ``linear_forward`` and
    ``activations.sigmoid``), with the analogy ``NEURON_ANALOGY`` part by part -- an analogy only: real
    neurons spike in time and their synapses are not single numbers."""
    parameters = network.initialize_parameters([n_inputs, 1], init="xavier", seed=seed)
    W, b = parameters["W1"], parameters["b1"]  # W: (1, n[0]), b: (1, 1)
    X = np.asarray(x, dtype=np.float64).reshape(-1, 1)  # (n[0], 1)
    Z, _ = network.linear_forward(X, W, b)
    A, _ = activations.sigmoid(Z)
    Z, A = float(to_numpy(Z)[0, 0]), float(to_numpy(A)[0, 0])
    fig, ax = new_figure(width=DIAGRAM_W, height=DIAGRAM_H)
    diagram_axes(ax, (-0.6, 13.2), (-3.2, 3.8))
    bio, art = ROLE["NOTE"], ROLE["NODE"]
    # biological (left): dendrites -> soma -> axon (myelin) -> terminals
    soma = (2.2, 1.6)
    for angle in np.linspace(115, 245, n_inputs + 2):
        t = np.radians(angle)
        end = (soma[0] + 1.6 * np.cos(t), soma[1] + 1.2 * np.sin(t))
        ax.plot([soma[0], end[0]], [soma[1], end[1]], color=bio, lw=2.2)
        for da in (-25, 25):  # a branch
            tb = np.radians(angle + da)
            ax.plot([end[0], end[0] + 0.5 * np.cos(tb)], [end[1], end[1] + 0.5 * np.sin(tb)], color=bio, lw=1.4)
    ax.add_patch(Circle(soma, 0.55, facecolor="#F3E3C3", edgecolor=bio, lw=2, zorder=3))
    ax.add_patch(Circle(soma, 0.18, facecolor="#C9A66B", edgecolor=bio, lw=1, zorder=4))
    ax.plot([soma[0] + 0.55, 5.6], [soma[1], soma[1]], color=bio, lw=2.2)
    for x0 in (3.2, 4.0, 4.8):  # myelin sheath
        ax.add_patch(
            FancyBboxPatch(
                (x0, soma[1] - 0.13),
                0.6,
                0.26,
                boxstyle="round,pad=0.02",
                facecolor=LIGHT_FILL,
                edgecolor=bio,
                lw=1,
                zorder=3,
            )
        )
    for dy in (-0.45, 0.0, 0.45):  # axon terminals
        ax.plot([5.6, 6.2], [soma[1], soma[1] + dy], color=bio, lw=1.6)
        ax.add_patch(Circle((6.25, soma[1] + dy), 0.09, facecolor=bio, edgecolor=bio))
    ax.text(3.2, 3.55, "biological neuron (schematic)", ha="center", va="center", color=bio, fontweight="bold")
    # artificial (right)
    ys = [2.5, 1.6, 0.7]
    s_xy, a_xy, y_xy = (10.0, 1.6), (11.4, 1.6), (12.6, 1.6)
    for j, y in enumerate(ys[:n_inputs]):
        _node(ax, (8.0, y), 0.3, f"$x_{j + 1}$")
        _arrow(ax, (8.32, y), (s_xy[0] - 0.42, s_xy[1] + (y - s_xy[1]) * 0.2))
        ax.text(9.0, y + 0.5 * (s_xy[1] - y) + 0.08, f"$w_{j + 1}$", ha="center", va="bottom", color=ROLE["GRADIENT"])
    _node(ax, s_xy, 0.4, r"$\Sigma$")
    _arrow(ax, (s_xy[0] + 0.42, s_xy[1]), (a_xy[0] - 0.36, a_xy[1]))
    _node(ax, a_xy, 0.34, "$g$")
    _arrow(ax, (a_xy[0] + 0.36, a_xy[1]), (y_xy[0] - 0.15, y_xy[1]))
    ax.text(y_xy[0] - 0.1, y_xy[1], r"$\hat{y}$", ha="left", va="center", fontsize=18)
    ax.text(10.3, 3.55, "artificial neuron", ha="center", va="center", color=art, fontweight="bold")
    # the analogy, part by part
    top = -0.35
    for i, (part, role, counterpart) in enumerate(NEURON_ANALOGY):
        y = top - 0.62 * i
        ax.text(0.2, y, part, ha="left", va="center", color=bio, fontweight="bold")
        ax.text(2.6, y, role, ha="left", va="center", color=bio)
        ax.text(7.0, y, "↔", ha="center", va="center")
        ax.text(7.7, y, counterpart, ha="left", va="center", color=art)
    ax.set_title(
        f"An analogy, not a model: real neurons spike in time. Example: x = ({', '.join(fmt(v) for v in X.ravel())}), "
        f"Z = {fmt(Z, '.3f')}, ŷ = σ(Z) = {A:.3f}",
        pad=2,
    )
    return fig, {
        "parameters": parameters,
        "Z": Z,
        "A": A,
        "key_numbers": {"analogy_rows": len(NEURON_ANALOGY), "Z": Z, "A": A, "inputs_drawn": n_inputs},
    }


@figure("artificial_neuron", slide="Artificial Neuron", seed=0)
def artificial_neuron(quick=False, n_inputs=3, x=(1.0, -2.0, 0.5), seed=0):
    """The neuron x1..xn -> weights w1..wn -> sum (+ b) -> A(Z) -> Y-hat, drawn from a real one-unit layer
    ``initialize_parameters([n_inputs, 1])``; the example numbers below it are computed by
    ``linear_forward`` and ``activations.sigmoid``."""
    parameters = network.initialize_parameters([n_inputs, 1], init="xavier", seed=seed)
    W, b = parameters["W1"], parameters["b1"]  # W: (1, n[0]), b: (1, 1)
    X = np.asarray(x, dtype=np.float64).reshape(-1, 1)  # one sample: (n[0], 1)
    Z, _ = network.linear_forward(X, W, b)
    A, _ = activations.sigmoid(Z)
    Z, A = float(to_numpy(Z)[0, 0]), float(to_numpy(A)[0, 0])
    n = W.shape[1]

    fig, ax = new_figure(width=DIAGRAM_W, height=DIAGRAM_H)
    diagram_axes(ax, (-0.8, 9.2), (-2.0, n * 1.2 + 0.3))
    ys = [(n - 1 - j) * 1.2 + 0.6 for j in range(n)]
    s_xy, a_xy, y_xy = (3.6, np.mean(ys)), (5.9, np.mean(ys)), (8.4, np.mean(ys))
    for j, y in enumerate(ys):
        _node(ax, (0, y), 0.38, f"$x_{j + 1}$")
        _arrow(ax, (0.4, y), (s_xy[0] - 0.5, s_xy[1] + (y - s_xy[1]) * 0.15))
        t = 0.42
        ax.text(
            0.4 + t * (s_xy[0] - 0.9),
            y + t * (s_xy[1] - y) + 0.12,
            f"$w_{j + 1}$",
            fontsize=14,
            ha="center",
            va="bottom",
            color=ROLE["GRADIENT"],
        )
    _node(ax, s_xy, 0.5, r"$\Sigma$", fontsize=15)
    ax.text(s_xy[0], s_xy[1] + 0.95, "+ b", ha="center", fontsize=14, color=ROLE["GRADIENT"])
    _arrow(ax, (s_xy[0], s_xy[1] + 0.85), (s_xy[0], s_xy[1] + 0.52))
    _arrow(ax, (s_xy[0] + 0.5, s_xy[1]), (a_xy[0] - 0.7, a_xy[1]))
    ax.text((s_xy[0] + a_xy[0]) / 2 - 0.1, s_xy[1] + 0.12, "Z", ha="center", va="bottom", fontsize=14)
    ax.add_patch(
        FancyBboxPatch(
            (a_xy[0] - 0.7, a_xy[1] - 0.4),
            1.4,
            0.8,
            boxstyle="round,pad=0.05",
            facecolor="#e8eef8",
            edgecolor="#1f3b73",
            lw=1.5,
            zorder=3,
        )
    )
    ax.text(*a_xy, "A(Z)", ha="center", va="center", fontsize=14, zorder=4)
    _arrow(ax, (a_xy[0] + 0.75, a_xy[1]), (y_xy[0] - 0.45, y_xy[1]))
    _node(ax, y_xy, 0.4, r"$\hat{Y}$", fontsize=14)
    ax.text(s_xy[0], ys[-1] - 1.1, r"$Z = \sum_j w_j x_j + b = W x + b$,   $\hat{Y} = A(Z)$", ha="center", fontsize=14)
    xs = ", ".join(fmt(v) for v in X.ravel())
    ws = ", ".join(fmt(v, ".3f") for v in W.ravel())
    ax.text(
        s_xy[0],
        ys[-1] - 1.75,
        f"example, A = sigmoid: x = ({xs}), W = ({ws}), b = {fmt(float(b[0, 0]))}\n"
        f"→  Z = {Z:.4f},  Ŷ = {A:.4f}".replace("Z = -", "Z = −"),
        ha="center",
        va="top",
        color=ROLE["NOTE"],
        linespacing=1.5,
    )
    ax.set_title(f"An artificial neuron: Ŷ = A(Wx + b); in the example Ŷ = {A:.4f}")
    return fig, {
        "W": W,
        "b": b,
        "x": X,
        "Z": Z,
        "A": A,
        "key_numbers": {"n_inputs_drawn": n, "W_shape": list(W.shape), "Z": Z, "Y_hat": A},
    }


@figure("feedforward_network", slide="Neural Network Definition", seed=0)
def feedforward_network(quick=False, layer_dims=(3, 4, 4, 1), seed=0):
    """The network of ``layer_dims`` drawn from ``initialize_parameters(layer_dims)``: one edge per entry
    of each W[l] (edge j <- k for W[l][j, k]), filled nodes for ReLU hidden units, an open node for the
    sigmoid output, each layer labelled with the shapes of W[l] and b[l]."""
    return network_diagram(layer_dims, seed)


@figure("deep_network", slide="Neural Networks (several hidden layers)", seed=0)
def deep_network(quick=False, layer_dims=(4, 6, 6, 6, 6, 2), seed=0):
    """A deeper network drawn the same way (``network_diagram``): four hidden layers, two sigmoid outputs;
    every edge is an entry of a real W[l] from ``initialize_parameters``."""
    return network_diagram(layer_dims, seed)


def network_diagram(layer_dims, seed):
    """``(fig, data)``: the network of ``layer_dims`` from ``initialize_parameters``, one edge per weight."""
    parameters = network.initialize_parameters(layer_dims, seed=seed)
    dims = network.layer_dims_of(parameters)  # read back from the parameter shapes
    L = network.num_layers(parameters)
    gap = 1.0
    dx = 3.0 if L <= 3 else 12.0 / L
    top = max(dims) * gap
    pos = [[(l * dx, (top - (n - 1) * gap) / 2 + (n - 1 - j) * gap) for j in range(n)] for l, n in enumerate(dims)]

    fig, ax = new_figure(width=DIAGRAM_W, height=DIAGRAM_H)
    diagram_axes(ax, (-1.2, L * dx + 1.2), (-2.3, top + 1.2))
    edges = 0
    for l in range(1, L + 1):
        W = parameters[f"W{l}"]
        for j in range(W.shape[0]):
            for k in range(W.shape[1]):
                ax.plot(*zip(pos[l - 1][k], pos[l][j]), color="#9aa5b8", lw=0.9, zorder=1)
                edges += 1
    r = 0.27
    for k, xy in enumerate(pos[0]):
        ax.add_patch(Circle(xy, r, facecolor="#e8eef8", edgecolor="#1f3b73", lw=1.2, zorder=3))
        ax.text(*xy, f"$x_{k + 1}$", ha="center", va="center", fontsize=14, zorder=4)
    for l in range(1, L + 1):
        for xy in pos[l]:
            ax.add_patch(
                Circle(xy, r, facecolor="white" if l == L else "#1f3b73", edgecolor="#1f3b73", lw=1.5, zorder=3)
            )
    labels = []
    for l in range(1, L + 1):
        w_label = f"$W^{{[{l}]}}$: {parameters[f'W{l}'].shape}"
        b_label = f"$b^{{[{l}]}}$: {parameters[f'b{l}'].shape}"
        labels += [w_label, b_label]
        ax.text((l - 0.5) * dx, -0.95, w_label, ha="center", fontsize=14)
        ax.text((l - 0.5) * dx, -1.45, b_label, ha="center", fontsize=14, color="#555555")
    for l, n in enumerate(dims):
        name = "input" if l == 0 else ("output" if l == L else (f"hidden {l}" if L <= 3 else f"h{l}"))
        ax.text(l * dx, top + 0.35, f"{name}\n$n^{{[{l}]}}$ = {n}", ha="center", va="bottom", fontsize=14)
    ax.plot([], [], "o", color="#1f3b73", ms=8, label="ReLU unit")
    ax.plot([], [], "o", mfc="white", color="#1f3b73", ms=8, label="sigmoid output")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.06), ncol=2, frameon=False)
    hidden = f"{L - 1} hidden layer{'s' * (L != 2)}, "
    ax.set_title(
        f"layer_dims = {list(dims)}: {hidden}{edges} weights, one per edge; " + r"$W^{[l]}$ is $(n^{[l]}, n^{[l-1]})$",
        pad=2,
    )
    shapes = {k: list(v.shape) for k, v in parameters.items()}
    return fig, {
        "parameters": parameters,
        "layer_dims": dims,
        "edges_drawn": edges,
        "labels": labels,
        "key_numbers": {"layer_dims": dims, "edges_drawn": edges, "shapes": shapes, "labels": labels},
    }


@figure("forward_shapes", slide="Forward Propagation (and Inference as well)", seed=0)
def forward_shapes(quick=False, layer_dims=(4, 5, 3, 1), m=6, seed=0):
    """Z[l] = W[l] A[l-1] + b[l] for every layer of a real forward pass, each array drawn as a grid of its
    shape: W[l] (n[l], n[l-1]) from ``initialize_parameters``, A[l-1] (n[l-1], m), b[l] (n[l], 1) broadcast
    over the m columns, Z[l] (n[l], m) -- all read from the caches of ``network.forward`` on m samples."""
    rng = np.random.default_rng(seed)
    parameters = network.initialize_parameters(layer_dims, seed=seed)
    X = rng.standard_normal((layer_dims[0], m))  # (n[0], m): m samples, one per column
    AL, caches = network.forward(X, parameters)
    L = len(caches)
    fig, ax = new_figure(width=DIAGRAM_W, height=DIAGRAM_H)
    c = 0.42  # one array entry
    row_h = max(layer_dims) * c + 1.3
    shapes = []
    widths = []
    for l in range(1, L + 1):
        (A_prev, W, b), Z = caches[l - 1][0], caches[l - 1][1]
        arrays = [
            ("W", W, ROLE["FORWARD"]),
            ("A", A_prev, ROLE["TANH"]),
            ("b", b, ROLE["ITERATE"]),
            ("Z", Z, ROLE["NODE"]),
        ]
        y0 = (L - l) * row_h  # bottom of the row
        x = 0.0
        names = {"W": f"$W^{{[{l}]}}$", "A": f"$A^{{[{l - 1}]}}$", "b": f"$b^{{[{l}]}}$", "Z": f"$Z^{{[{l}]}}$"}
        ops = {"W": "·", "A": "+", "b": "=", "Z": f"→ $A^{{[{l}]}}$ = g($Z^{{[{l}]}}$)"}
        for key, arr, color in arrays:
            rows, cols = np.shape(to_numpy(arr))
            top = y0 + max(layer_dims) * c
            for i in range(rows):
                for j in range(cols):
                    ax.add_patch(
                        Rectangle((x + j * c, top - (i + 1) * c), c, c, facecolor=color, alpha=0.35, edgecolor="white")
                    )
            ax.add_patch(Rectangle((x, top - rows * c), cols * c, rows * c, fill=False, edgecolor=color, lw=1.6))
            ax.text(x + cols * c / 2, top + 0.12, names[key], ha="center", va="bottom", fontsize=15)
            ax.text(x + cols * c / 2, top - rows * c - 0.1, f"({rows}, {cols})", ha="center", va="top", fontsize=14)
            x += cols * c + 0.35
            ax.text(x, top - rows * c / 2, ops[key], ha="left", va="center", fontsize=20 if key != "Z" else 16)
            x += 0.55 if key != "Z" else 0
            shapes.append([f"{key}{l if key != 'A' else l - 1}", rows, cols])
        widths.append(x)
    diagram_axes(ax, (-1.5, max(widths) + 3.2), (-0.9, L * row_h + 0.2))
    ax.set_title(f"layer_dims = {list(layer_dims)}, m = {m} samples (one per column); b is broadcast over the columns")
    fig.suptitle(r"Forward propagation: $(n^{[l]}, n^{[l-1]}) \cdot (n^{[l-1]}, m) + (n^{[l]}, 1) = (n^{[l]}, m)$")
    return fig, {
        "parameters": parameters,
        "X": X,
        "AL": AL,
        "caches": caches,
        "key_numbers": {"layer_dims": list(layer_dims), "m": m, "shapes_drawn": shapes, "AL_shape": list(np.shape(AL))},
    }


@figure("vanishing_gradient_chain", slide="Vanishing and Exploding Gradients")
def vanishing_gradient_chain(quick=False, r=10, w=1.0, x=1.0):
    """A chain of r layers of one sigmoid neuron each (W[l] = [[w]], b[l] = 0), L = h_r: forward with
    ``network.forward``, then ``linear_activation_backward`` layer by layer from dL/dh_r = 1. Each layer
    multiplies the gradient by w * sigma'(z_t) <= 0.25 w."""
    parameters = network.initialize_parameters([1] * (r + 1), init="zeros")
    for l in range(1, r + 1):
        parameters[f"W{l}"][...] = w
    X = np.array([[float(x)]])  # (n[0], m) = (1, 1)
    AL, caches = network.forward(X, parameters, hidden_activation="sigmoid", output_activation="sigmoid")
    grad = np.ones((1, 1))  # dL/dh_r (m = 1: dA is dL/dA)
    grads = [1.0]
    for l in range(r, 0, -1):
        grad, _, _ = network.linear_activation_backward(grad, caches[l - 1])
        grads.append(float(to_numpy(grad)[0, 0]))
    grads = np.array(grads[::-1])  # grads[t] = dL/dh_t, t = 0 .. r (h_0 = x)
    factors = grads[:-1] / grads[1:]  # factor of layer t = 1..r: dh_t/dh_{t-1}
    t = np.arange(r + 1)

    fig, axes = new_figure(mosaic=[["chain", "chain"], ["a", "b"]], height_ratios=[1, 2.1])
    ax1, ax2, ax0 = axes["a"], axes["b"], axes["chain"]
    # the chain itself: x = h_0 -> h_1 -> ... -> h_r = L, one sigmoid neuron per layer, weight w on every edge;
    # under each node the gradient dL/dh_t that backward reaches it with
    diagram_axes(ax0, (-0.7, r + 0.7), (-0.95, 0.75))
    for k in range(r + 1):
        ax0.add_patch(
            Circle((k, 0), 0.24, facecolor=ROLE["NODE_FILL"] if k == 0 else "white", edgecolor=ROLE["NODE"], lw=1.4)
        )
        ax0.text(k, 0, f"$h_{{{k}}}$" if 0 < k < r else ("$x$" if k == 0 else "$L$"), ha="center", va="center")
        ax0.text(k, -0.3, sci(float(grads[k]), 0), ha="center", va="top", color=ROLE["GRADIENT"])
        if k < r:
            ax0.add_patch(
                FancyArrowPatch((k + 0.25, 0), (k + 0.75, 0), arrowstyle="-|>", mutation_scale=12, color=ROLE["ARROW"])
            )
            ax0.text(k + 0.5, 0.07, f"{w:g}", ha="center", va="bottom", color=ROLE["NOTE"])
    ax0.set_title(
        r"the chain: $h_t = \sigma(w\,h_{t-1})$, $w$ on every edge; below each node $\partial L/\partial h_t$", pad=2
    )
    ax1.plot(t, np.log10(np.abs(grads)), "o-", color=ROLE["GRADIENT"], label=r"$\log_{10} |\partial L/\partial h_t|$")
    ax1.plot(t, (r - t) * np.log10(0.25 * abs(w)), "--", color=ROLE["BOUND"], label=r"bound $(0.25\,w)^{r-t}$")
    ax1.set_xlabel("layer t")
    ax1.set_ylabel(r"$\log_{10} |\partial L / \partial h_t|$")
    ax1.set_title(f"gradient through {r} sigmoid layers ($w$ = {w:g})")
    ax1.legend(loc="lower right")
    ax2.bar(t[1:], factors, color=ROLE["GRADIENT"], width=0.6)
    ax2.axhline(0.25 * abs(w), color=ROLE["BOUND"], ls="--", lw=1.4, label=r"max $w\,\sigma'$ = 0.25 $w$")
    ax2.set_xlabel("layer t")
    ax2.set_ylabel(r"factor $w\,\sigma'(z_t)$")
    ax2.set_title("each layer multiplies it by ≤ 0.25")
    ax2.set_ylim(0, 0.32 * max(abs(w), 1e-12))
    ax2.set_xticks(t[1:])
    ax2.legend(loc="upper left")
    total = float(grads[0] / grads[-1])
    fig.suptitle(
        f"Vanishing gradient: after {r} sigmoid layers ∂L/∂h₀ = {sci(total, 1)} ≤ 0.25¹⁰ = {sci(0.25**r, 1)}"
        if r == 10
        else f"Vanishing gradient: after {r} sigmoid layers ∂L/∂h₀ = {sci(total, 1)}"
    )
    return fig, {
        "grads": grads,
        "factors": factors,
        "AL": to_numpy(AL),
        "key_numbers": {
            "factors": factors,
            "max_factor": float(factors.max()),
            "total_dL_dh0": total,
            "bound_0.25^r": 0.25**r,
        },
    }
