"""Figures of the training slides: Training - Gradient Descent (convex and local-minimum cases, both
run by ``nn_ref.optim.gradient_descent``, the slide's Algorithm 1) and the Computation Graph of
(x + y) * z, whose numbers are read from ``nn_ref.graph.Value`` after ``backward()``.
"""

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from nn_ref import optim
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
