"""Figures of the introduction: Supervised vs Unsupervised Learning, Traditional ML vs Deep Learning,
Linear Regression, Loss Function (L1 vs L2), Logistic regression.

The fits come from ``nn_ref.regression`` (closed form and gradient descent), the sigmoid from
``nn_ref.activations``, the data from ``nn_ref.datasets`` or a seeded ``np.random.default_rng``.
"""

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from nn_ref import activations, datasets, network, regression
from nn_ref.figures._registry import diagram_axes, figure, new_figure, to_numpy
from nn_ref.figures.style import DIAGRAM_H, DIAGRAM_W, ROLE, fmt, label_line


def two_means(X, seed=0, max_iter=100):
    """2-means clustering (Lloyd's algorithm) of the m columns of X (n, m).

    Start from two distinct columns drawn with ``default_rng(seed)``; repeat: assign every point to
    the nearer centre, move each centre to the mean of its points; stop when no assignment changes.
    Returns (assignments (m,) of 0/1, centres (n, 2), iterations)."""
    rng = np.random.default_rng(seed)
    centres = X[:, rng.choice(X.shape[1], size=2, replace=False)].copy()
    assign = None
    for it in range(1, max_iter + 1):
        d2 = ((X[:, :, None] - centres[:, None, :]) ** 2).sum(axis=0)  # (m, 2) squared distances
        new = d2.argmin(axis=1)
        if assign is not None and np.array_equal(new, assign):
            return assign, centres, it
        assign = new
        for k in range(2):
            if np.any(assign == k):
                centres[:, k] = X[:, assign == k].mean(axis=1)
    return assign, centres, max_iter


@figure("ml_definition", slide="Machine Learning", seed=0)
def ml_definition(quick=False, m=200, center=2.0, sigma=1.0, learning_rate=0.5, num_steps=500, seed=0):
    """The slide's definition -- algorithms that learn from the data to build a predictive model -- as two
    pipelines data -> learning algorithm -> model -> prediction, supervised (X and Y) and unsupervised
    (X only), every box filled from a real run on ``datasets.blobs``: the arrays' shapes, the algorithm
    (``regression.logistic_gd``, ``two_means``), the learned model's shapes and how well it predicts."""
    X, Y = datasets.blobs(m, seed=seed, center=center, sigma=sigma)  # X (2, m), Y (1, m)
    W, b, _ = regression.logistic_gd(X, Y, learning_rate, num_steps)
    acc = float((to_numpy(regression.predict_logistic(W, b, X)) == Y).mean())
    assign, centres, iters = two_means(X, seed=seed)
    agreement = float(max((assign == Y[0]).mean(), (assign != Y[0]).mean()))
    rows = {
        "supervised": [
            ("data (labelled)", f"X {X.shape}, Y {Y.shape}"),
            ("learning algorithm", f"logistic regression,\n{num_steps} GD steps"),
            ("model", f"W {tuple(W.shape)}, b {tuple(b.shape)}"),
            ("prediction", f"ŷ = σ(Wx + b) > 0.5\n{100 * acc:.1f} % right"),
        ],
        "unsupervised": [
            ("data (no labels)", f"X {X.shape}"),
            ("learning algorithm", f"2-means,\n{iters} iterations"),
            ("model", f"2 centres {tuple(centres.shape)}"),
            ("prediction", f"nearest centre\n{100 * agreement:.1f} % match the labels"),
        ],
    }
    fig, ax = new_figure(width=DIAGRAM_W, height=DIAGRAM_H * 0.8)
    diagram_axes(ax, (-0.9, 12.6), (0.1, 5.2))
    w, h, xs = 2.6, 1.55, (1.4, 4.6, 7.8, 11.0)
    for (name, boxes), y, color in zip(rows.items(), (4.0, 1.2), (ROLE["FORWARD"], ROLE["CLUSTER2"])):
        ax.text(-0.15, y, name, ha="right", va="center", rotation=90, color=color, fontweight="bold")
        for k, (x, (head, body)) in enumerate(zip(xs, boxes)):
            ax.add_patch(
                FancyBboxPatch(
                    (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", facecolor="white", edgecolor=color, lw=1.8
                )
            )
            ax.text(x, y + 0.42, head, ha="center", va="center", fontweight="bold", color=color)
            ax.text(x, y - 0.2, body, ha="center", va="center", linespacing=1.3)
            if k < 3:
                ax.add_patch(
                    FancyArrowPatch(
                        (x + w / 2 + 0.05, y),
                        (xs[k + 1] - w / 2 - 0.05, y),
                        arrowstyle="-|>",
                        mutation_scale=16,
                        lw=1.8,
                        color=ROLE["ARROW"],
                    )
                )
    ax.set_title("Machine learning: algorithms that learn from the data to build a predictive model", pad=4)
    return fig, {
        "X": X,
        "Y": Y,
        "W": W,
        "b": b,
        "centres": centres,
        "rows": rows,
        "key_numbers": {
            "train_accuracy": acc,
            "cluster_label_agreement": agreement,
            "kmeans_iterations": iters,
            "shapes": {
                "X": list(X.shape),
                "Y": list(Y.shape),
                "W": list(W.shape),
                "b": list(b.shape),
                "centres": list(centres.shape),
            },
        },
    }


@figure(
    "supervised_vs_unsupervised",
    slide="Supervised vs Unsupervised Learning Examples",
    seed=0,
)
def supervised_vs_unsupervised(quick=False, m=200, center=2.0, sigma=1.0, learning_rate=0.5, num_steps=500, seed=0):
    """Two Gaussian blobs around (-center, 0) and (+center, 0) (``datasets.blobs``). Left: the labels and
    the decision line W x + b = 0 of logistic regression (``regression.logistic_gd``). Right: the same
    points without labels, coloured by 2-means clustering."""
    X, Y = datasets.blobs(m, seed=seed, center=center, sigma=sigma)  # X (2, m), Y (1, m)
    W, b, costs = regression.logistic_gd(X, Y, learning_rate, num_steps)
    pred = to_numpy(regression.predict_logistic(W, b, X))
    acc = float((pred == Y).mean())
    assign, centres, iters = two_means(X, seed=seed)
    agreement = float(max((assign == Y[0]).mean(), (assign != Y[0]).mean()))  # up to relabelling

    fig, (ax1, ax2) = new_figure(1, 2, sharex=True, sharey=True)
    for k, (color, marker) in enumerate(((ROLE["CLASS0"], "o"), (ROLE["CLASS1"], "s"))):
        sel = Y[0] == k
        ax1.scatter(X[0, sel], X[1, sel], s=22, color=color, marker=marker, label=f"$y$ = {k}")
    lo, hi = X[1].min() - 0.5, X[1].max() + 0.5
    x2 = np.array([lo, hi])
    x1 = -(W[0, 1] * x2 + b[0, 0]) / W[0, 0]  # W x + b = 0
    ax1.plot(x1, x2, "k--", lw=2, label="$Wx + b = 0$")
    ax1.set_title(f"supervised: logistic regression, {100 * acc:.1f} % right")
    ax1.set_xlabel("$x_1$")
    ax1.set_ylabel("$x_2$")
    ax1.legend(loc="upper left", ncol=3, handletextpad=0.3, columnspacing=0.8)
    ax2.scatter(X[0], X[1], s=50, color=ROLE["BOUND"], alpha=0.35, label="no labels")
    for k, color in enumerate((ROLE["CLUSTER1"], ROLE["CLUSTER2"])):
        sel = assign == k
        ax2.scatter(X[0, sel], X[1, sel], s=14, color=color, label=f"cluster {k + 1}")
        ax2.plot(*centres[:, k], "X", color=color, ms=12, mec="k")
    ax2.set_title(f"unsupervised: 2-means, {100 * agreement:.1f} % match labels")
    ax2.set_xlabel("$x_1$")
    ax2.legend(loc="upper left", ncol=3, handletextpad=0.3, columnspacing=0.8)
    ax1.set_ylim(lo - 0.3, hi + 2.2)
    ax2.tick_params(labelleft=True)
    fig.suptitle("Supervised learning uses the labels; unsupervised learning finds the two groups without them")
    return fig, {
        "X": X,
        "Y": Y,
        "W": W,
        "b": b,
        "assign": assign,
        "centres": centres,
        "key_numbers": {
            "train_accuracy": acc,
            "cluster_label_agreement": agreement,
            "kmeans_iterations": iters,
            "final_cost": float(costs[-1]),
        },
    }


def _box(ax, xy, w, h, text, color="#e8eef8", fontsize=14):
    ax.add_patch(
        FancyBboxPatch(
            (xy[0] - w / 2, xy[1] - h / 2),
            w,
            h,
            boxstyle="round,pad=0.08",
            facecolor=color,
            edgecolor="#1f3b73",
            lw=1.4,
            zorder=2,
        )
    )
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=3)


def _arrow(ax, start, end):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.4, color="#333333"))


@figure("traditional_ml_vs_dl", slide="Traditional ML vs Deep Learning", seed=0)
def traditional_ml_vs_dl(quick=False, layer_dims=(6, 5, 5, 4, 3), seed=0):
    """Two pipelines. Traditional ML: input -> hand-made features -> classifier -> output. Deep learning:
    input -> one deep network that learns the features and the classifier -> output; the small network
    inside its box is drawn from ``initialize_parameters(layer_dims)`` (one dot per unit, one line per
    weight)."""
    parameters = network.initialize_parameters(layer_dims, seed=seed)
    dims = network.layer_dims_of(parameters)
    fig, ax = new_figure(width=DIAGRAM_W, height=DIAGRAM_H)
    diagram_axes(ax, (-0.4, 12.4), (-0.2, 6.6))
    y1, y2 = 5.3, 1.9
    ax.text(0.0, y1 + 1.0, "Traditional machine learning", fontsize=14, fontweight="bold")
    _box(ax, (1.0, y1), 1.5, 0.9, "Input")
    _box(ax, (4.2, y1), 2.6, 0.9, "Hand-designed\nfeature extraction", color="#fbe9d0")
    _box(ax, (7.6, y1), 2.0, 0.9, "Classifier", color="#e3f1e0")
    _box(ax, (10.8, y1), 1.6, 0.9, "Output")
    for a, b in ((1.8, 2.85), (5.55, 6.55), (8.65, 9.95)):
        _arrow(ax, (a, y1), (b, y1))
    ax.text(0.0, y2 + 1.75, "Deep learning", fontsize=14, fontweight="bold")
    _box(ax, (1.0, y2), 1.5, 0.9, "Input")
    _box(ax, (10.8, y2), 1.6, 0.9, "Output")
    left, right, half = 3.0, 8.6, 1.25
    ax.add_patch(
        FancyBboxPatch(
            (left, y2 - half),
            right - left,
            2 * half,
            boxstyle="round,pad=0.08",
            facecolor="#f4f0fa",
            edgecolor="#1f3b73",
            lw=1.4,
            zorder=1,
        )
    )
    _arrow(ax, (1.8, y2), (left - 0.12, y2))
    _arrow(ax, (right + 0.12, y2), (9.95, y2))
    xs = np.linspace(left + 0.45, right - 0.45, len(dims))
    gap = 1.7 / max(dims)
    pos = [[(xs[l], y2 + 0.2 + ((n - 1) / 2 - j) * gap) for j in range(n)] for l, n in enumerate(dims)]
    lines = 0
    for l in range(1, len(dims)):
        W = parameters[f"W{l}"]
        for j in range(W.shape[0]):
            for k in range(W.shape[1]):
                ax.plot(*zip(pos[l - 1][k], pos[l][j]), color="#b8b0cc", lw=0.5, zorder=2)
                lines += 1
    for layer in pos:
        for xy in layer:
            ax.add_patch(Circle(xy, 0.09, facecolor="#5b3f8c", edgecolor="none", zorder=3))
    ax.text(
        (left + right) / 2,
        y2 - half + 0.32,
        f"Deep network: feature extraction + classification\nlayer_dims = {dims}",
        ha="center",
        va="center",
        fontsize=14,
        zorder=3,
        linespacing=1.3,
    )
    ax.set_title("Deep learning learns the features as well as the classifier")
    return fig, {
        "layer_dims": dims,
        "weights_drawn": lines,
        "key_numbers": {
            "layer_dims": dims,
            "weights_drawn": lines,
            "units_drawn": int(sum(len(layer) for layer in pos)),
        },
    }


def _line_data(n, seed, x_max=10.0, intercept=1.0, slope=2.0, noise=2.0):
    """x ~ U(0, x_max), y = intercept + slope x + N(0, noise^2), as X (1, n), Y (1, n)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, x_max, n)
    y = intercept + slope * x + rng.normal(0.0, noise, n)
    return x.reshape(1, n), y.reshape(1, n)


@figure(
    "linear_regression_residuals",
    slide="Linear Regression",
    seed=0,
)
def linear_regression_residuals(
    quick=False, n=20, intercept=1.0, slope=2.0, noise=2.0, learning_rate=0.02, num_steps=5000, seed=0
):
    """y = 1 + 2x + N(0, 2^2) at n points x ~ U(0, 10); the line fitted by gradient descent on the mean
    L2 cost (``regression.linear_gd``), compared with least squares (``regression.linear_closed_form``),
    and one vertical error segment (residual y - y-hat) per point."""
    X, Y = _line_data(n, seed, intercept=intercept, slope=slope, noise=noise)
    W, b, costs = regression.linear_gd(X, Y, "l2", learning_rate, num_steps)
    W_ls, b_ls = regression.linear_closed_form(X, Y)
    pred = to_numpy(regression.predict_linear(W, b, X))
    residuals = (Y - pred).ravel()

    fig, ax = new_figure()
    ax.vlines(X.ravel(), pred.ravel(), Y.ravel(), colors=ROLE["GRADIENT"], lw=1.6, label="residual $y - \\hat{y}$")
    ax.scatter(X.ravel(), Y.ravel(), s=30, color=ROLE["DATA"], zorder=3, label="data")
    grid = np.array([[0.0, 10.0]])
    ax.plot(
        grid.ravel(),
        to_numpy(regression.predict_linear(W, b, grid)).ravel(),
        color=ROLE["FIT"],
        lw=2.4,
        label=f"GD fit $\\hat{{y}}$ = {W[0, 0]:.3f}$x$ + {fmt(b[0, 0], '.3f')}",
    )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"Gradient descent finds the least-squares line; the {n} residuals sum to 0")
    ax.legend(loc="lower right")
    diff = float(max(np.abs(W - W_ls).max(), np.abs(b - b_ls).max()))
    return fig, {
        "X": X,
        "Y": Y,
        "W": W,
        "b": b,
        "W_lstsq": W_ls,
        "b_lstsq": b_ls,
        "residuals": residuals,
        "key_numbers": {
            "W_gd": float(W[0, 0]),
            "b_gd": float(b[0, 0]),
            "W_lstsq": float(W_ls[0, 0]),
            "b_lstsq": float(b_ls[0, 0]),
            "gd_equals_lstsq_to_1e-9": bool(diff < 1e-9),
            "residual_sum_below_1e-9": bool(abs(residuals.sum()) < 1e-9),
            "final_cost": float(costs[-1]),
        },
    }


def _fit(X, Y, loss, stages):
    """Gradient descent on the mean ``loss`` in stages [(learning_rate, steps), ...], each stage starting
    where the last stopped (a step-decay schedule: L1's subgradient steps need shrinking to settle)."""
    W = b = None
    for learning_rate, steps in stages:
        W, b, _ = regression.linear_gd(X, Y, loss, learning_rate, steps, W0=W, b0=b)
    return W, b


@figure(
    "loss_l1_vs_l2",
    slide="Loss Function",
    seed=0,
)
def loss_l1_vs_l2(
    quick=False, n=20, outlier=(9.0, -15.0), stages=((0.02, 2000), (0.002, 2000), (0.0002, 1000)), seed=0
):
    """The Linear Regression data plus one outlier; lines fitted by gradient descent under the mean L1
    and the mean L2 cost (``regression.linear_gd``), with and without the outlier. At the outlier's x,
    the L2 line moves further toward it than the L1 line."""
    X, Y = _line_data(n, seed)
    Xo = np.hstack([X, [[outlier[0]]]])
    Yo = np.hstack([Y, [[outlier[1]]]])
    fits, clean, shift = {}, {}, {}
    xo = np.array([[outlier[0]]])
    for loss in ("l2", "l1"):
        fits[loss] = _fit(Xo, Yo, loss, stages)
        clean[loss] = _fit(X, Y, loss, stages)
        shift[loss] = float(
            abs(
                (
                    to_numpy(regression.predict_linear(*fits[loss], xo))
                    - to_numpy(regression.predict_linear(*clean[loss], xo))
                )[0, 0]
            )
        )

    fig, ax = new_figure()
    ax.scatter(X.ravel(), Y.ravel(), s=30, color=ROLE["DATA"], zorder=3)
    ax.scatter([outlier[0]], [outlier[1]], s=110, facecolor="none", edgecolor=ROLE["OUTLIER"], lw=2.4, zorder=3)
    ax.annotate(
        "outlier",
        (outlier[0], outlier[1]),
        xytext=(-14, 0),
        textcoords="offset points",
        ha="right",
        va="center",
        color=ROLE["OUTLIER"],
    )
    grid = np.array([[0.0, 10.0]])
    # the L2 line without the outlier: the reference both shifts are measured from (at the outlier's x)
    W0, b0 = clean["l2"]
    ax.plot(
        grid.ravel(),
        to_numpy(regression.predict_linear(W0, b0, grid)).ravel(),
        color=ROLE["BOUND"],
        lw=2.4,
        ls=":",
        label=f"$L_2$ without the outlier: ŷ = {W0[0, 0]:.2f}$x$ + {fmt(b0[0, 0], '.2f')}",
    )
    y_clean = float(to_numpy(regression.predict_linear(W0, b0, xo))[0, 0])
    y_l2 = float(to_numpy(regression.predict_linear(*fits["l2"], xo))[0, 0])
    ax.annotate(
        "",
        (outlier[0], y_l2),
        xytext=(outlier[0], y_clean),
        arrowprops=dict(arrowstyle="->", color=ROLE["FIT"], lw=2, shrinkA=0, shrinkB=0),
    )
    ax.annotate(
        f"{shift['l2']:.2f}",
        (outlier[0], (y_l2 + y_clean) / 2),
        xytext=(8, 0),
        textcoords="offset points",
        color=ROLE["FIT"],
        va="center",
    )
    for loss, color, name, ls in (
        ("l2", ROLE["FIT"], "$L_2$ (squared)", "-"),
        ("l1", ROLE["ALT_FIT"], "$L_1$ (absolute)", "--"),
    ):
        W, b = fits[loss]
        line = to_numpy(regression.predict_linear(W, b, grid)).ravel()
        ax.plot(
            grid.ravel(),
            line,
            color=color,
            lw=2.6,
            ls=ls,
            label=f"{name}: ŷ = {W[0, 0]:.2f}$x$ + {fmt(b[0, 0], '.2f')}",
        )
    handles, labels = ax.get_legend_handles_labels()
    order = [1, 2, 0]  # L2, L1, then the reference: in the empty lower middle, over no data
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="lower left",
        bbox_to_anchor=(0.22, 0.08),
        frameon=False,
        handlelength=2.4,
    )
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.text(
        0.03,
        0.96,
        r"$L_1 = \sum_i |y_i - f(x_i)|$,   $L_2 = \sum_i (y_i - f(x_i))^2$",
        transform=ax.transAxes,
        va="top",
    )
    ax.set_title(
        f"One outlier moves the $L_2$ line by {shift['l2']:.2f} at $x$ = {outlier[0]:g}, "
        f"the $L_1$ line by {shift['l1']:.2f}"
    )
    return fig, {
        "fits": fits,
        "clean_fits": clean,
        "shift_at_outlier": shift,
        "X_with_outlier": Xo,
        "Y_with_outlier": Yo,
        "key_numbers": {
            "shift_at_outlier_l2": shift["l2"],
            "shift_at_outlier_l1": shift["l1"],
            "W_l2_without_outlier": float(clean["l2"][0][0, 0]),
            "b_l2_without_outlier": float(clean["l2"][1][0, 0]),
            "W_l2": float(fits["l2"][0][0, 0]),
            "b_l2": float(fits["l2"][1][0, 0]),
            "W_l1": float(fits["l1"][0][0, 0]),
            "b_l1": float(fits["l1"][1][0, 0]),
        },
    }


@figure(
    "logistic_sigmoid",
    slide="Logistic regression",
    seed=0,
)
def logistic_sigmoid(quick=False, m=40, threshold=5.0, noise=1.0, learning_rate=0.5, num_steps=3000, seed=0):
    """Left: sigma(z) on [-10, 10] (``activations.sigmoid``) with its asymptotes 0 and 1 and the point
    (0, 0.5). Right: 1-D binary data (x ~ U(0, 10), y = 1[x + N(0, noise^2) > threshold]) with a linear
    fit (least squares, ``regression.linear_closed_form``) and a logistic fit (``regression.logistic_gd``):
    the line leaves [0, 1], the logistic curve stays inside (0, 1)."""
    z = np.linspace(-10.0, 10.0, 401)
    s = to_numpy(activations.sigmoid(z.reshape(1, -1))[0]).ravel()
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 10.0, m)
    y = (x + rng.normal(0.0, noise, m) > threshold).astype(np.float64)
    X, Y = x.reshape(1, m), y.reshape(1, m)
    W_lin, b_lin = regression.linear_closed_form(X, Y)
    W_log, b_log, costs = regression.logistic_gd(X, Y, learning_rate, num_steps)
    grid = np.linspace(0.0, 10.0, 401).reshape(1, -1)
    lin = to_numpy(regression.predict_linear(W_lin, b_lin, grid)).ravel()
    log = to_numpy(activations.sigmoid(regression.predict_linear(W_log, b_log, grid))[0]).ravel()

    fig, (ax1, ax2) = new_figure(1, 2)
    ax1.plot(z, s, color=ROLE["SIGMOID"], label=r"$\sigma(z) = 1 / (1 + e^{-z})$")
    for level in (0.0, 1.0):
        ax1.axhline(level, color="gray", ls="--", lw=0.9)
    ax1.plot([0], [0.5], "o", color="k", ms=8)
    ax1.annotate("(0, 0.5)", (0, 0.5), xytext=(8, -4), textcoords="offset points", fontsize=14)
    ax1.set_xlabel("z")
    ax1.set_ylabel(r"$\sigma(z)$")
    ax1.set_ylim(-0.1, 1.1)
    ax1.set_title("sigmoid: between 0 and 1")
    ax1.legend(loc="upper left")
    ax2.scatter(x, y, s=28, color=ROLE["DATA"], zorder=3)
    ax2.plot(grid.ravel(), lin, color=ROLE["ALT_FIT"], ls="--")
    ax2.plot(grid.ravel(), log, color=ROLE["FIT"])
    ax2.axhspan(0, 1, color=ROLE["FIT"], alpha=0.06)
    label_line(ax2, grid.ravel(), lin, "linear", ROLE["ALT_FIT"], x_at=9.2, dx=-8, dy=6, ha="right", va="bottom")
    label_line(ax2, grid.ravel(), log, "logistic", ROLE["FIT"], x_at=7.0, dx=8, dy=-6, ha="left", va="top")
    ax2.set_xlabel("$x$")
    ax2.set_ylabel("$y$, prediction")
    ax2.set_title(f"linear fit leaves [0, 1]: {fmt(lin.min(), '.2f')} .. {fmt(lin.max(), '.2f')}")
    fig.suptitle("Logistic regression: the sigmoid keeps predictions inside (0, 1), a line does not")
    return fig, {
        "z": z,
        "sigmoid": s,
        "X": X,
        "Y": Y,
        "linear_prediction": lin,
        "logistic_prediction": log,
        "key_numbers": {
            "linear_min": float(lin.min()),
            "linear_max": float(lin.max()),
            "logistic_min": float(log.min()),
            "logistic_max": float(log.max()),
            "logistic_final_cost": float(costs[-1]),
        },
    }
