"""Figures of the training slides: Training - Gradient Descent (convex and local-minimum cases, both
run by ``nn_ref.optim.gradient_descent``, the slide's Algorithm 1) and the Computation Graph of
(x + y) * z, whose numbers are read from ``nn_ref.graph.Value`` after ``backward()``.
"""

import ast
import inspect
import textwrap

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nn_ref import network, optim
from nn_ref.figures._registry import diagram_axes, figure, new_figure
from nn_ref.figures.style import DIAGRAM_H, DIAGRAM_W, ROLE, fmt, sci
from nn_ref.graph import Value


@figure("gd_1d_convex", slide="Training – Gradient Descent")
def gd_1d_convex(quick=False, x0=-3.0, learning_rate=0.3, steps=10):
    """J(x) = x^2 (J'(x) = 2x) from x0 with ``steps`` updates x <- x - alpha J'(x) of Algorithm 1
    (CRITERIA set to 0 so that exactly ``steps`` updates are drawn, unless one is exactly 0)."""

    def J(x):
        return x * x

    def dJ(x):
        return 2.0 * x

    run = optim.gradient_descent(dJ, x0, learning_rate, criteria=np.finfo(float).tiny, max_steps=steps, f=J)
    xs, Js = run["path"], run["f"]
    fig, (ax, ax2) = new_figure(1, 2)
    grid = np.linspace(-1.15 * abs(x0), 1.15 * abs(x0), 400)
    ax.plot(grid, J(grid), color=ROLE["FUNCTION"], lw=2.2, label="$J(x) = x^2$")
    for k in range(len(xs) - 1):
        ax.add_patch(
            FancyArrowPatch(
                (xs[k], Js[k]),
                (xs[k + 1], Js[k + 1]),
                arrowstyle="-|>",
                mutation_scale=14,
                color=ROLE["ITERATE"],
                lw=1.6,
                shrinkA=3,
                shrinkB=3,
                zorder=3,
            )
        )
    ax.plot(xs, Js, "o", color=ROLE["ITERATE"], ms=7, zorder=4, label=f"iterates $x_0 \\ldots x_{{{len(xs) - 1}}}$")
    for k in range(min(3, len(xs))):
        ax.annotate(f"$x_{k}$", (xs[k], Js[k]), xytext=(5, 5), textcoords="offset points", ha="left", fontsize=14)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$J(x)$")
    ax.set_title(f"$x_0$ = {fmt(x0)}, $\\alpha$ = {learning_rate:g}: $x \\leftarrow x - \\alpha J'(x)$")
    ax.legend(loc="upper center")
    ax2.semilogy(np.arange(len(Js)), Js, "o-", color=ROLE["ITERATE"], ms=6)
    ax2.set_xlabel("step $k$")
    ax2.set_ylabel("$J(x_k)$, log scale")
    falls = bool(np.all(np.diff(Js) < 0))
    ax2.set_title("$J$ falls at every step" if falls else "$J$ does not fall at every step")
    fig.suptitle(
        f"Gradient descent on $J(x) = x^2$: $J$ falls from {fmt(Js[0])} to {sci(float(Js[-1]), 1)} "
        f"in {len(Js) - 1} steps"
    )
    return fig, {
        "path": xs,
        "J": Js,
        "key_numbers": {"x": xs, "J": Js, "steps": run["steps"], "J_falls_every_step": falls},
    }


def _quartic(x):
    return x**4 - 3 * x**2 + x


def _quartic_grad(x):
    return 4 * x**3 - 6 * x + 1


@figure(
    "gd_local_vs_global",
    slide="Training – Gradient Descent (local minimum)",
)
def gd_local_vs_global(quick=False, x_starts=(2.0, -2.0), learning_rate=0.01, max_steps=500, criteria=1e-8):
    """f(x) = x^4 - 3x^2 + x on [-2.2, 2.2]: Algorithm 1 (stop when |x_new - x_old| < CRITERIA, at most
    ``max_steps`` updates) from each start; from 2 it stops in the local minimum, from -2 in the global."""
    runs = [
        optim.gradient_descent(_quartic_grad, x0, learning_rate, criteria=criteria, max_steps=max_steps, f=_quartic)
        for x0 in x_starts
    ]
    fig, ax = new_figure()
    grid = np.linspace(-2.2, 2.2, 500)
    ax.plot(grid, _quartic(grid), color=ROLE["FUNCTION"], lw=2.2)
    ax.text(-0.95, 4.6, "$f(x) = x^4 - 3x^2 + x$", color=ROLE["FUNCTION"], ha="center")
    key = {"runs": []}
    ends = [run["x"] for run in runs]
    is_global = [abs(_quartic(x) - min(_quartic(e) for e in ends)) < 1e-12 for x in ends]
    for i, (x0, run, glob) in enumerate(zip(x_starts, runs, is_global)):
        color = (ROLE["ITERATE"], ROLE["GRADIENT"])[i % 2]
        path, fpath = run["path"], run["f"]
        ax.plot(path, fpath, ".", color=color, ms=6, alpha=0.6)
        ax.plot([x0], [_quartic(x0)], "s", color=color, ms=9)
        kind = "global" if glob else "local"
        ax.plot([run["x"]], [_quartic(run["x"])], "*", color=color, ms=18, mec="k")
        side = 1 if x0 > 0 else -1
        ax.annotate(
            f"from $x_0$ = {fmt(x0)}: {kind} minimum\n$x$ = {fmt(run['x'], '.4f')} after {run['steps']} steps",
            (run["x"], _quartic(run["x"])),
            xytext=(0, -40),
            textcoords="offset points",
            ha="center",
            va="top",
            color=color,
            arrowprops=dict(arrowstyle="-", color=color, lw=1),
        )
        del side
        key["runs"].append(
            {
                "x0": x0,
                "x_end": run["x"],
                "f_end": float(_quartic(run["x"])),
                "abs_grad_end": float(abs(_quartic_grad(run["x"]))),
                "steps": run["steps"],
                "converged": run["converged"],
                "minimum": kind,
            }
        )
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    ax.set_ylim(-8.8, 6.5)
    ends_txt = " and ".join(fmt(e, ".4f") for e in ends)
    ax.set_title(
        f"Gradient descent stops in the minimum nearest its start: {ends_txt}"
        f"\n($\\alpha$ = {learning_rate:g}, CRITERIA = {sci(criteria)})"
    )
    return fig, {"runs": runs, "key_numbers": key}


def _graph(x, y, z):
    """f = (x + y) * z as nn-ref Values; returns (x, y, z, q, f)."""
    x, y, z = Value(x, label="x"), Value(y, label="y"), Value(z, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return x, y, z, q, f


@figure("computation_graph", slide="Computation Graph for (x+y)*z")
def computation_graph(quick=False, x=-2.0, y=5.0, z=-4.0):
    """The graph q = x + y, f = q * z built from ``graph.Value``; ``f.backward()`` fills every ``.grad``.
    Top: the forward pass (values above the edges); bottom: the backward pass (df/d. below the edges).
    Every number is read from the Value objects; the gradients are compared with central differences."""
    nodes = dict(zip("xyzqf", _graph(x, y, z)))
    nodes["f"].backward()
    h = 1e-6
    fd = {}
    for name in "xyz":
        plus = {"x": x, "y": y, "z": z}
        minus = dict(plus)
        plus[name] += h
        minus[name] -= h
        fd[name] = (_graph(**plus)[-1].data - _graph(**minus)[-1].data) / (2 * h)
    fd["q"] = ((nodes["q"].data + h) * z - (nodes["q"].data - h) * z) / (2 * h)

    pos = {"x": (0.0, 2.7), "y": (0.0, 0.9), "z": (0.0, -0.4), "+": (3.0, 1.8), "*": (6.0, 0.9), "out": (8.6, 0.9)}
    edges = [("x", "x", "+"), ("y", "y", "+"), ("q", "+", "*"), ("z", "z", "*"), ("f", "*", "out")]
    fig, axes = new_figure(2, 1, width=DIAGRAM_W, height=DIAGRAM_H)
    for ax, mode in zip(axes, ("forward", "backward")):
        diagram_axes(ax, (-0.9, 9.4), (-1.0, 3.1))
        for name in "xyz":
            ax.text(pos[name][0] - 0.35, pos[name][1], f"${name}$", ha="right", va="center", fontsize=18)
        for op in ("+", "*"):
            ax.add_patch(Circle(pos[op], 0.32, facecolor="white", edgecolor="#1f3b73", lw=1.5, zorder=3))
            ax.text(*pos[op], "×" if op == "*" else "+", ha="center", va="center", fontsize=14, zorder=4)
        ax.text(pos["out"][0] + 0.15, pos["out"][1], "f", ha="left", va="center", fontsize=14)
        for value_name, a, b in edges:
            (x0, y0), (x1, y1) = pos[a], pos[b]
            start = (x0 + (0.32 if a in "+*" else 0.0), y0)
            end = (x1 - (0.32 if b in "+*" else 0.0), y1)
            ax.add_patch(
                FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.3, color="#333333", zorder=2)
            )
            t = 0.5 if a in "+*" else 0.4  # labels nearer the inputs, where edges are apart
            mx, my = start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1])
            node = nodes[value_name]
            # the value above the edge (bold in the forward pass), the gradient below it (backward pass)
            labels = [(+0.13, "bottom", node.data, "FORWARD" if mode == "forward" else "BOUND")]
            if mode != "forward":
                labels.append((-0.13, "top", node.grad, "BACKWARD"))
            for dy, va, number, role in labels:
                bold = role != "BOUND"
                ax.text(
                    mx,
                    my + dy,
                    fmt(number),
                    ha="center",
                    va=va,
                    color=ROLE[role],
                    fontsize=16 if bold else 14,
                    fontweight="bold" if bold else "normal",
                )
        if mode == "forward":
            ax.set_title(
                f"forward pass: q = x + y = {fmt(nodes['q'].data)},  f = q·z = {fmt(nodes['f'].data)}"
                "  (values above the edges)"
            )
        else:
            ax.set_title("backward pass: f.backward() writes ∂f/∂· below the edges")
            ax.text(
                4.2,
                -0.85,
                f"∂f/∂q = z = {fmt(nodes['q'].grad)},  ∂f/∂z = q = {fmt(nodes['z'].grad)},  "
                f"∂f/∂x = ∂f/∂y = ∂f/∂q · 1 = {fmt(nodes['x'].grad)}",
                ha="center",
                va="center",
                fontsize=14,
                color=ROLE["NOTE"],
            )
    fig.suptitle(f"Chain rule on (x + y)·z: ∂f/∂x = ∂f/∂q · ∂q/∂x = {fmt(nodes['x'].grad)}")
    values = {name: node.data for name, node in nodes.items()}
    grads = {name: node.grad for name, node in nodes.items()}
    return fig, {
        "nodes": nodes,
        "values": values,
        "grads": grads,
        "fd_grads": fd,
        "key_numbers": {"values": values, "grads": grads, "finite_differences": fd},
    }


# --------------------------------------------------------------------------------------------
# Training - Gradient Descent: the loop forward -> cost -> backward -> update (network.train_step)
# --------------------------------------------------------------------------------------------

# what each step of the loop computes, in the lecture's notation (keyed by the function train_step calls)
LOOP_STEPS = {
    "forward": ("forward propagation", r"$A^{[l]} = g(W^{[l]}A^{[l-1]} + b^{[l]})$"),
    "compute_cost": ("cost", r"$J = \frac{1}{m}\sum_i \mathcal{L}(a^{(i)}, y^{(i)})$"),
    "backward": ("backward propagation", r"$dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}$"),
    "update_parameters": ("update", r"$W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}$"),
}


def calls_in_order(function, names):
    """The names among ``names`` that ``function``'s source calls, in the order written (first call of each)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    calls = sorted(
        (node.lineno, node.col_offset, node.func.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
    )
    order = []
    for _, _, name in calls:
        if name not in order:
            order.append(name)
    return order


@figure("training_loop", slide="Training – Gradient Descent (the training loop)", seed=0)
def training_loop(quick=False, layer_dims=(2, 8, 1), m=200, learning_rate=0.5, steps=200, seed=0):
    """The four steps of ``network.train_step`` drawn as a loop, in the order its source calls them
    (read with ``ast``: forward -> compute_cost -> backward -> update_parameters), beside the cost J that
    ``train_step`` returns on each of ``steps`` calls (a ``layer_dims`` ReLU/sigmoid net on ``m`` points of
    ``datasets.blobs``). quick: 50 steps."""
    from nn_ref import datasets

    if quick:
        steps = 50
    order = calls_in_order(network.train_step, LOOP_STEPS)
    X, Y = datasets.blobs(m=m, seed=seed)  # X: (2, m), Y: (1, m)
    parameters = network.initialize_parameters(layer_dims, seed=seed)
    J = np.array([network.train_step(X, Y, parameters, learning_rate=learning_rate) for _ in range(steps)])

    fig, (ax, ax_j) = new_figure(1, 2, width=DIAGRAM_W, height=DIAGRAM_H * 0.7, width_ratios=[2.2, 1])
    diagram_axes(ax, (-0.2, 10.6), (-0.1, 5.9))
    corners = [(2.6, 4.6), (8.0, 4.6), (8.0, 1.2), (2.6, 1.2)]  # clockwise: a loop
    w, h = 5.0, 1.9
    for k, (name, (x, y)) in enumerate(zip(order, corners)):
        title, equation = LOOP_STEPS[name]
        color = ROLE["BACKWARD"] if name in ("backward", "update_parameters") else ROLE["FORWARD"]
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", facecolor="white", edgecolor=color, lw=2
            )
        )
        ax.text(x, y + 0.5, f"{k + 1}. {title}", ha="center", va="center", color=color, fontweight="bold")
        ax.text(x, y - 0.02, f"{name}(...)", ha="center", va="center", family="monospace", fontsize=14)
        ax.text(x, y - 0.55, equation, ha="center", va="center", fontsize=14)
    for k in range(4):
        (x0, y0), (x1, y1) = corners[k], corners[(k + 1) % 4]
        if y0 == y1:  # horizontal edge
            sgn = 1 if x1 > x0 else -1
            start, end = (x0 + sgn * w / 2, y0), (x1 - sgn * w / 2, y1)
        else:
            sgn = 1 if y1 > y0 else -1
            start, end = (x0, y0 + sgn * h / 2), (x1, y1 - sgn * h / 2)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, lw=2, color=ROLE["ARROW"]))
    ax.text(5.3, 2.9, "repeat", ha="center", va="center", color=ROLE["NOTE"], fontsize=16, style="italic")
    ax.set_title("network.train_step: one pass of the loop")

    ax_j.plot(np.arange(1, steps + 1), J, color=ROLE["TRAIN"])
    ax_j.set_xlabel("call of train_step")
    ax_j.set_ylabel("cost $J$ (cross-entropy)")
    ax_j.set_ylim(0, 1.08 * float(J.max()))
    ax_j.set_title(f"J returned: {J[0]:.3f} → {J[-1]:.3f}")
    fig.suptitle(f"Training = repeating forward → cost → backward → update ({steps} times, α = {learning_rate:g})")
    return fig, {
        "order": order,
        "J": J,
        "parameters": parameters,
        "key_numbers": {"order": order, "J_first": float(J[0]), "J_last": float(J[-1]), "steps": steps},
    }


# --------------------------------------------------------------------------------------------
# Computation Graphs: the graph PyTorch (and nn_ref.graph) records while the code runs
# --------------------------------------------------------------------------------------------


def neuron_program(x, w, b):
    """The program whose graph is drawn: h = w x + b, then ReLU if h > 0 else 0.1 h (a leaky branch).
    Python's ``if`` decides, at run time, which operations -- and so which graph -- are recorded."""
    x, w, b = Value(x, label="x"), Value(w, label="w"), Value(b, label="b")
    wx = w * x
    wx.label = "w·x"
    h = wx + b
    h.label = "h"
    out = h.relu() if h.data > 0 else h * 0.1
    out.label = "out"
    return out


def graph_layout(out, dx=3.4, dy=1.45):
    """{node: (x, y)} for the nodes ``out`` depends on: the operations on one line, each after its inputs
    (x = dx times its depth, 1 + the largest depth of its operation inputs), and each leaf (an input, a
    constant) just before the operation that uses it, one above and one below the line."""
    order = out.topological_order()
    depth = {}
    for node in order:
        if node._parents:
            depth[node] = 1 + max((depth[p] for p in node._parents if p._parents), default=-1)
    pos = {node: (d * dx, 0.0) for node, d in depth.items()}
    for node in order:
        if node._parents:
            leaves = [p for p in node._parents if not p._parents]
            for p, y in zip(leaves, (dy, -dy) if len(leaves) > 1 else (dy,)):
                pos.setdefault(p, (pos[node][0] - 0.45 * dx, y))
    return pos


def _draw_value_graph(ax, out):
    """Draw the recorded graph of ``out`` (nodes from ``Value._parents``): each node its label or op,
    its value (blue, above) and, after backward, its gradient (vermillion, below). Returns (nodes, edges)."""
    pos = graph_layout(out)
    r, edges = 0.45, 0
    for node, (x1, y1) in pos.items():
        for p in node._parents:
            (x0, y0), d = pos[p], np.hypot(x1 - pos[p][0], y1 - pos[p][1])
            ux, uy = (x1 - x0) / d, (y1 - y0) / d
            ax.add_patch(
                FancyArrowPatch(
                    (x0 + r * ux, y0 + r * uy),
                    (x1 - r * ux, y1 - r * uy),
                    arrowstyle="-|>",
                    mutation_scale=14,
                    lw=1.4,
                    color=ROLE["ARROW"],
                    zorder=2,
                )
            )
            edges += 1
    for node, (x, y) in pos.items():
        leaf = not node._parents
        ax.add_patch(
            Circle(
                (x, y), r, facecolor=ROLE["NODE_FILL"] if leaf else "white", edgecolor=ROLE["NODE"], lw=1.5, zorder=3
            )
        )
        name = (node.label or fmt(node.data)) if leaf else node.op.replace("*", "×")
        ax.text(x, y, name, ha="center", va="center", zorder=4, fontsize=15)
        ax.text(
            x, y + r + 0.05, fmt(node.data, ".3g"), ha="center", va="bottom", color=ROLE["FORWARD"], fontweight="bold"
        )
        ax.text(x, y - r - 0.05, fmt(node.grad, ".3g"), ha="center", va="top", color=ROLE["BACKWARD"])
    return len(pos), edges


@figure("dynamic_graph", slide="Computation Graphs (dynamic, as in PyTorch)")
def dynamic_graph(quick=False, inputs=((2.0, 1.5, -1.0), (-2.0, 1.5, -1.0))):
    """The graph ``nn_ref.graph.Value`` records while ``neuron_program(x, w, b)`` runs, for two inputs:
    h > 0 takes the ReLU branch, h < 0 the 0.1 h branch, so the two runs record different graphs (as
    PyTorch's autograd does: define-by-run). Every node, value and gradient is read from the Values
    after ``out.backward()``."""
    fig, axes = new_figure(2, 1, width=DIAGRAM_W, height=DIAGRAM_H)
    runs = []
    for ax, (x, w, b) in zip(axes, inputs):
        out = neuron_program(x, w, b)
        out.backward()
        nodes, edges = _draw_value_graph(ax, out)
        diagram_axes(ax, (-2.4, 7.8), (-2.3, 2.3))
        branch = "ReLU" if out.op == "relu" else "× 0.1"
        leaves = {v.label: v for v in out.topological_order() if not v._parents}
        ax.set_title(
            f"x = {fmt(x)}, w = {fmt(w)}, b = {fmt(b)}: h = {fmt(out._parents[0].data, '.3g')} → the {branch} branch "
            f"is recorded; ∂out/∂w = {fmt(leaves['w'].grad, '.3g')}"
        )
        runs.append(
            {
                "inputs": [x, w, b],
                "branch": out.op,
                "nodes": nodes,
                "edges": edges,
                "out": out.data,
                "grads": {k: v.grad for k, v in leaves.items()},
            }
        )
    fig.suptitle("Define-by-run: the graph is recorded as the code runs (value above, gradient below each node)")
    return fig, {"runs": runs, "key_numbers": {"runs": runs}}
