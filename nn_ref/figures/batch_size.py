"""Figures of the batch-size slides [Stochastic Gradient Descent with Mini-batch, Effective
Mini-batch (Performance), What batch size to choose?, Learning rate and Batch size relationship,
Learning rate decrease vs batch size increase].

Every number is computed with nn-ref: gradient descent by ``nn_ref.optim``, gradients by
``nn_ref.network.forward/backward``, data by ``nn_ref.datasets``, training runs by ``nn_ref.train``.
"""

import numpy as np
from matplotlib.ticker import FuncFormatter

from nn_ref import optim
from nn_ref.figures._registry import figure, new_figure, to_numpy
from nn_ref.figures.style import ROLE, band, end_labels, fmt, pm, sci

# --------------------------------------------------------------------------------------------
# What batch size to choose? (Keskar et al. 2016: flat vs sharp minima)
# --------------------------------------------------------------------------------------------


def _keskar_f(x, flat_width=1.28, sharp_depth=1.2, sharp_width=0.045):
    """f(x) = -exp(-(x+2)^2 / 1.28) - 1.2 exp(-(x-2)^2 / 0.045): a flat minimum near -2, a sharp one near 2."""
    return -np.exp(-((x + 2.0) ** 2) / flat_width) - sharp_depth * np.exp(-((x - 2.0) ** 2) / sharp_width)


def _keskar_grad(x, flat_width=1.28, sharp_depth=1.2, sharp_width=0.045):
    """f'(x) of ``_keskar_f``."""
    return 2.0 * (x + 2.0) / flat_width * np.exp(-((x + 2.0) ** 2) / flat_width) + sharp_depth * 2.0 * (
        x - 2.0
    ) / sharp_width * np.exp(-((x - 2.0) ** 2) / sharp_width)


@figure(
    "flat_vs_sharp_minima",
    slide="What Batch size to choose ?",
)
def flat_vs_sharp_minima(quick=False, shift=0.25, x0_flat=-3.0, x0_sharp=2.2, learning_rate=0.01):
    """Keskar et al. 2016's sketch, computed: the training function f(x) and the testing function
    f(x - shift); both minima of f found by gradient descent (``nn_ref.optim.gradient_descent``,
    learning rate below 2 / f''(sharp minimum) ~ 0.037 so that it converges there too); the
    generalization gap f_test - f_train at each minimum. Cheap: ``quick`` changes nothing."""
    minima = {}
    for name, x0 in (("flat", x0_flat), ("sharp", x0_sharp)):
        res = optim.gradient_descent(
            lambda x: float(_keskar_grad(x)), x0, learning_rate, criteria=1e-10, max_steps=100_000
        )
        x = res["x"]
        train, test = float(_keskar_f(x)), float(_keskar_f(x - shift))
        minima[name] = {
            "x": x,
            "steps": int(res["steps"]),
            "converged": res["converged"],
            "grad": float(_keskar_grad(x)),
            "f_train": train,
            "f_test": test,
            "gap": test - train,
        }

    grid = np.linspace(-4.5, 4.5, 1500)
    fig, ax = new_figure(1, 1)
    ax.plot(grid, _keskar_f(grid), color=ROLE["TRAIN"], label="training function $f(x)$")
    ax.plot(grid, _keskar_f(grid - shift), color=ROLE["TEST"], ls="--", label=f"testing function $f(x - {shift:g})$")
    for name in ("flat", "sharp"):
        m = minima[name]
        ax.plot([m["x"], m["x"]], [m["f_train"], m["f_test"]], color="k", lw=4, solid_capstyle="butt")
        ax.plot(m["x"], m["f_train"], "o", color="k", ms=8)
        side = -1 if name == "flat" else 1
        ax.annotate(
            f"{name} minimum\n$x$ = {fmt(m['x'], '.3f')}\ngap = {m['gap']:.3f}",
            xy=(m["x"], (m["f_train"] + m["f_test"]) / 2),
            xytext=(-110, 30) if side < 0 else (95, 40),
            textcoords="offset points",
            ha="center",
            fontsize=14,
            color="k",
            arrowprops=dict(arrowstyle="->", color="k", lw=1),
        )
    ax.set_xlabel("parameter $x$")
    ax.set_ylabel("$f(x)$")
    ax.set_ylim(-1.45, 0.45)
    ax.legend(loc="upper center", ncol=2, frameon=False)
    ratio = minima["sharp"]["gap"] / minima["flat"]["gap"]
    ax.set_title(
        f"Sharp minimum: test − train gap {minima['sharp']['gap']:.3f}, {ratio:.0f}× the flat one's "
        f"{minima['flat']['gap']:.3f}\n(Keskar et al. 2016; minima found by gradient descent)"
    )
    key = {
        name: {k: (v if isinstance(v, (bool, int)) else float(v)) for k, v in m.items()} for name, m in minima.items()
    }
    key["gap_ratio_sharp_over_flat"] = minima["sharp"]["gap"] / minima["flat"]["gap"]
    return fig, {"minima": minima, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Learning rate and Batch size relationship (Smith et al. 2017: noise scale)
# --------------------------------------------------------------------------------------------


def _linear_gradient(X, Y, parameters):
    """The MSE gradient (dW1, db1) of the linear model on the columns X, Y, flattened to (2,),
    from ``network.forward/backward``."""
    from nn_ref import network

    AL, caches = network.forward(X, parameters, output_activation="linear")
    g = network.backward(AL, Y, caches, loss="mse")
    return np.concatenate([to_numpy(g["dW1"]).ravel(), to_numpy(g["db1"]).ravel()])


@figure(
    "noise_scale",
    slide="Learning rate and Batch size relationship",
    seed=42,
)
def noise_scale(quick=False, epsilons=(0.01, 0.1, 1.0), batch_sizes=(1, 2, 4, 8, 16, 32, 64), draws=2000, seed=42):
    """g = eps (N/B - 1) against B (and g ~ eps N / B) on the seed-42 linear data (N = 100), with
    the noise scale *measured*: mini-batch gradients of the linear model's MSE (``network.backward``)
    over ``draws`` random batches drawn without replacement, at the initial parameters W = b = 0.
    Smith et al.'s g is eps N Var[g_B] / F; for sampling without replacement
    Var[g_B] = (sigma^2 / B) (N - B) / (N - 1), so eps (N - 1) Var[g_B] / sigma^2 = eps (N/B - 1),
    sigma^2 = the per-example gradient variance. quick: 600 draws."""
    from nn_ref import datasets, network

    if quick:
        draws = 600
    X, Y = datasets.linear(m=100, seed=seed)
    N = X.shape[1]
    parameters = network.initialize_parameters([1, 1], init="zeros")
    G = _linear_gradient(X, Y, parameters)  # full-batch gradient
    per_example = np.array([_linear_gradient(X[:, [i]], Y[:, [i]], parameters) for i in range(N)])
    sigma2 = float(np.mean(np.sum((per_example - G) ** 2, axis=1)))  # trace of the covariance
    rng = np.random.default_rng(seed)
    measured_var = []
    for B in batch_sizes:
        sq = [
            np.sum((_linear_gradient(X[:, idx], Y[:, idx], parameters) - G) ** 2)
            for idx in (rng.choice(N, B, replace=False) for _ in range(draws))
        ]
        measured_var.append(float(np.mean(sq)))
    B_arr = np.asarray(batch_sizes, dtype=float)
    measured_unit = (N - 1) * np.asarray(measured_var) / sigma2  # measured g / eps
    formula_unit = N / B_arr - 1.0

    fig, ax = new_figure(1, 1)
    B_grid = np.logspace(0, np.log10(N / 1.05), 200)
    for eps, color in zip(epsilons, (ROLE["LR_SLOW"], ROLE["LR_GOOD"], ROLE["LR_FAST"])):
        ax.plot(B_grid, eps * (N / B_grid - 1), color=color)
        ax.plot(B_grid, eps * N / B_grid, color=color, ls="--", lw=1.4)
        ax.plot(B_arr, eps * measured_unit, "o", color=color, ms=8, mfc="white", mew=2)
        ax.text(1.15, eps * (N / 1.15 - 1) * 1.25, f"ε = {eps:g}", color=color, ha="left", va="bottom")
    ax.plot([], [], color="0.3", label="$g = \\epsilon(N/B - 1)$")
    ax.plot([], [], color="0.3", ls="--", lw=1.4, label="$g \\approx \\epsilon N/B$")
    ax.plot([], [], "o", color="0.3", mfc="white", mew=2, label=f"measured, {draws} batches each")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"batch size $B$ ($N$ = {N} training points)")
    ax.set_ylabel("noise scale $g$")
    err = float(np.max(np.abs(measured_unit / formula_unit - 1)))
    ax.set_title(f"Noise scale $g = \\epsilon(N/B - 1)$ falls as $B$ grows; measured within {100 * err:.0f} %")
    ax.legend(loc="lower left", frameon=False)
    key = {
        "N": N,
        "batch_sizes": list(map(int, batch_sizes)),
        "epsilons": list(epsilons),
        "draws": draws,
        "per_example_variance": sigma2,
        "measured_g_over_eps": measured_unit.tolist(),
        "formula_g_over_eps": formula_unit.tolist(),
        "max_relative_error_measured": float(np.max(np.abs(measured_unit / formula_unit - 1))),
    }
    return fig, {
        "N": N,
        "B": B_arr,
        "epsilons": list(epsilons),
        "B_grid": B_grid,
        "g": {eps: eps * (N / B_grid - 1) for eps in epsilons},
        "g_approx": {eps: eps * N / B_grid for eps in epsilons},
        "measured_g_over_eps": measured_unit,
        "key_numbers": key,
    }


# --------------------------------------------------------------------------------------------
# Stochastic Gradient Descent with Mini-batch (Geron's parameter-space paths)
# --------------------------------------------------------------------------------------------


def _sgd_path(X, Y, batch_size, schedule, epochs, seed):
    """Mini-batch SGD on the linear model y = w x + b with the MSE cost: ``nn_ref.train.Trainer``
    (layer_dims [1, 1], linear output, plain SGD, W = b = 0 at the start, learning rate
    ``schedule(t)`` at update t); its per-update callback records (b, w) after every update.
    Returns the path, start first: (updates + 1, 2)."""
    from nn_ref.train import Trainer

    trainer = Trainer(
        [1, 1],
        output_activation="linear",
        optimizer="sgd",
        learning_rate=schedule,
        batch_size=batch_size,
        init="zeros",
        seed=seed,
        progress=False,
    )

    def point(tr):
        return to_numpy(tr.parameters["b1"])[0, 0], to_numpy(tr.parameters["W1"])[0, 0]

    path = [point(trainer)]
    trainer.fit(X, Y, epochs, callback=lambda tr: path.append(point(tr)))
    return np.array(path)


@figure(
    "sgd_paths",
    slide="Stochastic Gradient Descent with Mini-batch",
    seed=42,
)
def sgd_paths(
    quick=False,
    batch_lr=0.1,
    batch_epochs=1000,
    sgd_t0=5,
    sgd_t1=50,
    sgd_epochs=50,
    minibatch_size=20,
    minibatch_t0=200,
    minibatch_t1=1000,
    minibatch_epochs=50,
    first_updates=40,
    seed=42,
):
    """Geron's figure: the paths of (b, w) = (theta0, theta1) on the seed-42 linear data y = 4 + 3x + noise
    under batch GD (constant eta), SGD (eta_t = t0 / (t + t1), one sample per update) and mini-batch
    SGD (batches of 20, eta_t = t0 / (t + t1)), all from b = w = 0; the schedules are
    ``schedules.inverse(t0 / t1, 1 / t1)``. Each epoch visits every sample once in a seeded shuffled
    order (Geron's SGD draws indices with replacement). Drawn: the first ``first_updates`` updates of each
    (one marker per update, as in Geron's figure), and the distance to the least-squares optimum over all
    updates. quick: 10 / 10 / 300 epochs."""
    from nn_ref import datasets, schedules

    if quick:
        batch_epochs, sgd_epochs, minibatch_epochs = 300, 10, 10
    X, Y = datasets.linear(m=100, seed=seed)
    runs = {
        "Stochastic": _sgd_path(X, Y, 1, schedules.inverse(sgd_t0 / sgd_t1, 1.0 / sgd_t1), sgd_epochs, seed),
        "Mini-batch": _sgd_path(
            X,
            Y,
            minibatch_size,
            schedules.inverse(minibatch_t0 / minibatch_t1, 1.0 / minibatch_t1),
            minibatch_epochs,
            seed,
        ),
        "Batch": _sgd_path(X, Y, None, schedules.constant(batch_lr), batch_epochs, seed),
    }
    X1 = np.vstack([np.ones_like(X), X])
    theta_star = np.linalg.lstsq(X1.T, Y.ravel(), rcond=None)[0]  # (b*, w*) least squares
    lengths = {name: float(np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1))) for name, p in runs.items()}

    roles = {"Stochastic": "SGD", "Mini-batch": "MINIBATCH", "Batch": "BATCH"}
    markers = {"Stochastic": "o", "Mini-batch": "s", "Batch": "^"}
    names = {"Stochastic": "SGD", "Mini-batch": f"mini-batch {minibatch_size}", "Batch": "batch GD"}
    distance = {name: np.linalg.norm(p - theta_star, axis=1) for name, p in runs.items()}  # (updates + 1,)
    n = first_updates
    fig, (ax, ax_d) = new_figure(1, 2)
    for name in ("Batch", "Mini-batch", "Stochastic"):
        p = runs[name][: n + 1]
        ax.plot(
            p[:, 0], p[:, 1], "-", marker=markers[name], color=ROLE[roles[name]], lw=1.6, ms=6, mec="white", mew=0.6
        )
    ax.plot(*theta_star, "*", color=ROLE["OPTIMUM"], mec="white", mew=1.5, ms=24, zorder=10)
    # Geron's window: where the first updates wander (from the 5th on), the optimum in it
    seen = np.vstack([runs[name][5 : n + 1] for name in runs] + [theta_star[None, :]])
    lo, hi = seen.min(axis=0), seen.max(axis=0)
    pad = 0.08 * (hi - lo)
    ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + 4 * pad[1])
    key_text = [("Batch", "▲ batch GD"), ("Mini-batch", f"■ mini-batch {minibatch_size}"), ("Stochastic", "● SGD")]
    for i, (name, text) in enumerate(key_text):
        ax.text(
            (0.02, 0.3, 0.8)[i],
            0.97,
            text,
            transform=ax.transAxes,
            color=ROLE[roles[name]],
            va="top",
            fontweight="bold",
        )
    ax.annotate(r"$\theta^*$", theta_star, xytext=(14, -4), textcoords="offset points", va="top", fontsize=18)
    ax.set_xlabel(r"$\theta_0$ (bias $b$)")
    ax.set_ylabel(r"$\theta_1$ (weight $w$)")
    ax.set_title(f"first {n} updates, one marker each")
    for name in ("Batch", "Mini-batch", "Stochastic"):
        t = np.arange(1, len(distance[name]))
        ax_d.loglog(t, distance[name][1:], color=ROLE[roles[name]], lw=1.4 if name == "Stochastic" else 2.2)
    floor = 1e-4
    ax_d.set_ylim(floor, None)
    end_labels(ax_d, [(max(distance[k][-1], 2 * floor), names[k], ROLE[roles[k]]) for k in runs], min_gap=0.13)
    ax_d.axvline(n, color=ROLE["BOUND"], ls=":", lw=1.5)
    ax_d.set_xlabel("update $t$, log scale")
    ax_d.set_ylabel(r"distance to $\theta^*$, log scale")
    ax_d.set_title("all updates: batch converges, SGD bounces")
    fig.suptitle(
        f"Path length: SGD {lengths['Stochastic']:.1f} > mini-batch {lengths['Mini-batch']:.1f} > "
        f"batch GD {lengths['Batch']:.1f}: SGD never settles"
    )
    key = {
        "path_length": lengths,
        "updates": {name: len(p) - 1 for name, p in runs.items()},
        "final": {name: p[-1].tolist() for name, p in runs.items()},
        "final_distance_to_least_squares": {name: float(d[-1]) for name, d in distance.items()},
        f"path_length_first_{n}_updates": {
            name: float(np.sum(np.linalg.norm(np.diff(p[: n + 1], axis=0), axis=1))) for name, p in runs.items()
        },
        "least_squares": theta_star.tolist(),
    }
    return fig, {"paths": runs, "theta_star": theta_star, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Effective Mini-batch (Performance): gradient accumulation
# --------------------------------------------------------------------------------------------


def _digits_split(seed=0):
    """scikit-learn's digits (pixels / 16), the fixed seeded 80/20 split of ``datasets.train_test_split``."""
    from nn_ref import datasets

    X, Y = datasets.digits()
    return datasets.train_test_split(X, Y, test_fraction=0.2, seed=seed)


@figure(
    "effective_minibatch",
    slide="Effective Mini-batch Performance",
    seed=0,
)
def effective_minibatch(quick=False, layer_dims=(64, 64, 10), learning_rate=0.1, epochs=40, seed=0):
    """One MLP (ReLU, softmax) on the digits training split, plain SGD at one learning rate, three
    ways: (a) batch 32; (b) batch 32 x batch_multiplier 8 (``Trainer(batch_multiplier=8)``:
    gradients of 8 mini-batches accumulated, one update); (c) a true batch of 256. Same seed, so
    the same initial parameters and the same shuffled order in every run: (b) and (c) see the same
    256 samples per update and must end with the same parameters. float64. quick: 5 epochs."""
    from nn_ref.train import Trainer

    if quick:
        epochs = 5
    X_train, Y_train, _, _ = _digits_split(seed)
    setups = {"(a) batch 32": (32, 1), "(b) batch 32 × multiplier 8": (32, 8), "(c) batch 256": (256, 1)}
    runs = {}
    for name, (b, k) in setups.items():
        trainer = Trainer(
            list(layer_dims),
            "relu",
            "softmax",
            optimizer="sgd",
            learning_rate=learning_rate,
            batch_size=b,
            batch_multiplier=k,
            seed=seed,
            progress=False,
        )
        history = trainer.fit(X_train, Y_train, epochs)
        runs[name] = {
            "batch_size": b,
            "batch_multiplier": k,
            "cost": np.array(history["cost"]),
            "epoch_cost": np.array(history["epoch_cost"]),
            "updates": trainer.t,
            "parameters": {key: to_numpy(v).copy() for key, v in trainer.parameters.items()},
        }
    a, b_, c = runs.values()
    rel = {
        key: float(np.max(np.abs(b_["parameters"][key] - c["parameters"][key])) / np.max(np.abs(c["parameters"][key])))
        for key in c["parameters"]
    }
    rel_a = {
        key: float(np.max(np.abs(a["parameters"][key] - c["parameters"][key])) / np.max(np.abs(c["parameters"][key])))
        for key in c["parameters"]
    }

    fig, axes = new_figure(1, 2)
    short = {"(a) batch 32": "(a) 32", "(b) batch 32 × multiplier 8": "(b) 32 × 8", "(c) batch 256": "(c) 256"}
    styles = {
        "(a) batch 32": dict(color=ROLE["MINIBATCH"], lw=1.2, alpha=0.8),
        "(b) batch 32 × multiplier 8": dict(color=ROLE["ACCUMULATED"], lw=4.0, alpha=0.45),
        "(c) batch 256": dict(color=ROLE["BATCH"], lw=1.8, ls="--"),
    }
    for name, run in runs.items():
        axes[0].plot(
            np.arange(1, run["updates"] + 1),
            run["cost"],
            label=f"{short[name]}: {run['updates']:,} updates",
            **styles[name],
        )
        axes[1].plot(np.arange(1, epochs + 1), run["epoch_cost"], label=name, **styles[name])
    axes[0].set_xscale("log")
    axes[0].set_xlabel("update, log scale")
    axes[0].set_ylabel("mini-batch cross-entropy")
    axes[0].set_title("loss against updates")
    axes[0].legend(loc="upper right", frameon=False, fontsize=14, handlelength=1.2, borderaxespad=0.1)  # empty corner
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("epoch-mean cross-entropy")
    axes[1].set_yscale("log")
    end_labels(
        axes[1],
        [
            (a["epoch_cost"][-1], "(a)", styles["(a) batch 32"]["color"]),
            (c["epoch_cost"][-1], "(b) = (c)", styles["(c) batch 256"]["color"]),
        ],
        min_gap=0.12,
    )
    axes[1].set_title("loss against epochs")
    same = "agree to < 10⁻¹⁰" if max(rel.values()) < 1e-10 else f"differ by {sci(max(rel.values()), 0)}"
    axes[1].text(
        epochs,
        float(np.sqrt(a["epoch_cost"][-1] * c["epoch_cost"][-1])) * 1.25,
        f"max relative parameter difference\n(b) vs (c): {same.split(' ', 2)[-1]}\n"
        f"(a) vs (c): {sci(max(rel_a.values()), 2)}",
        ha="right",
        va="center",
        fontsize=14,
    )
    fig.suptitle(f"8 accumulated batches of 32 = one batch of 256: parameters {same}")
    key = {
        "epochs": epochs,
        "updates": {name: run["updates"] for name, run in runs.items()},
        "final_epoch_cost": {name: float(run["epoch_cost"][-1]) for name, run in runs.items()},
        "params_b_equal_c_to_1e-10": bool(max(rel.values()) < 1e-10),
        "max_rel_param_diff_a_vs_c_text": sci(max(rel_a.values()), 2),
        "max_rel_param_diff_a_vs_c": max(rel_a.values()),
        "m_train": int(X_train.shape[1]),
    }
    return fig, {"runs": runs, "m_train": int(X_train.shape[1]), "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Learning rate decrease vs batch size increase (Smith et al. 2017, "Don't decay the learning rate,
# increase the batch size")
# --------------------------------------------------------------------------------------------


@figure(
    "lr_decay_vs_batch_increase",
    slide="Learning rate decrease Vs Batch size increase",
    seed=0,
)
def lr_decay_vs_batch_increase(
    quick=False,
    N=8192,
    layer_dims=(10, 64, 64, 1),
    learning_rate=0.5,
    batch_size=32,
    factor=5,
    milestones=(12, 24, 32),
    epochs=40,
    seeds=(0, 1, 2, 3, 4),
    seed=0,
):
    """Two runs of the same MLP (ReLU, sigmoid output, plain SGD) on N points of the 10-D ball
    (``datasets.ball``, drawn with ``seed``; a further N/4 held out): "decay" divides the learning
    rate by ``factor`` at each milestone epoch at batch 32 (``schedules.multistep`` on update counts);
    "increase" keeps the learning rate and multiplies the batch size by ``factor`` instead
    (32 -> 160 -> 800 -> 4000; capped at N). The trainer keeps the last partial batch, so an epoch of
    batch b is ceil(N / b) updates. Both runs from each of ``seeds`` (initial parameters, shuffling):
    mean and min..max band drawn, key numbers mean and std. quick: N = 2048, milestones 3/6/8 of 10
    epochs."""
    from nn_ref import datasets, schedules
    from nn_ref.train import Trainer

    if quick:
        N, milestones, epochs = 2048, (3, 6, 8), 10
    X, Y = datasets.ball(m=N + N // 4, n=layer_dims[0], seed=seed)
    X_train, Y_train, X_test, Y_test = X[:, :N], Y[:, :N], X[:, N:], Y[:, N:]
    per_epoch = -(-N // batch_size)

    def batch_at(epoch):  # epoch counted from 0
        return min(N, batch_size * factor ** sum(epoch >= m for m in milestones))

    decay_lr = schedules.multistep(learning_rate, [m * per_epoch for m in milestones], 1.0 / factor)

    def pair(s):
        trainers = {
            "lr decay": Trainer(
                list(layer_dims),
                "relu",
                "sigmoid",
                optimizer="sgd",
                learning_rate=decay_lr,
                batch_size=batch_size,
                seed=s,
                progress=False,
            ),
            "batch increase": Trainer(
                list(layer_dims),
                "relu",
                "sigmoid",
                optimizer="sgd",
                learning_rate=learning_rate,
                batch_size=batch_size,
                seed=s,
                progress=False,
            ),
        }
        runs = {
            name: {"lr": [], "batch": [], "updates": [0], "train_cost": [], "test_cost": [], "test_accuracy": []}
            for name in trainers
        }
        for epoch in range(epochs):
            trainers["batch increase"].batch_size = batch_at(epoch)
            for name, trainer in trainers.items():
                runs[name]["lr"].append(float(trainer.lr(trainer.t)))
                runs[name]["batch"].append(trainer.batch_size)
                history = trainer.fit(X_train, Y_train, 1, X_test, Y_test)
                runs[name]["updates"].append(trainer.t)
                runs[name]["train_cost"].append(history["epoch_cost"][-1])
                runs[name]["test_cost"].append(history["val_cost"][-1])
                runs[name]["test_accuracy"].append(history["val_accuracy"][-1])
        for run in runs.values():
            for k in run:
                run[k] = np.array(run[k])
        return runs

    seed_runs = [pair(s) for s in seeds]
    runs = seed_runs[0]
    analytic = {"lr decay": epochs * per_epoch, "batch increase": int(sum(-(-N // batch_at(e)) for e in range(epochs)))}

    ep = np.arange(1, epochs + 1)
    fig, axes = new_figure(2, 2)
    roles = {"lr decay": ("LR_DECAY", "-"), "batch increase": ("BATCH_INCREASE", "--")}

    def stat(name, field):
        v = np.array([r[name][field][-1] for r in seed_runs], dtype=float)
        return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0

    for name, run in runs.items():
        role, ls = roles[name]
        color = ROLE[role]
        axes[0, 0].step(np.arange(epochs + 1), np.r_[run["lr"], run["lr"][-1]], where="post", color=color, ls=ls)
        axes[0, 1].step(np.arange(epochs + 1), np.r_[run["batch"], run["batch"][-1]], where="post", color=color, ls=ls)
        costs = np.array([r[name]["train_cost"] for r in seed_runs])
        band(axes[1, 0], ep, costs, color, ls=ls)
        band(axes[1, 1], run["updates"][1:], costs, color, ls=ls)
    for ax, field in ((axes[0, 0], "lr"), (axes[0, 1], "batch")):
        end_labels(ax, [(runs[n][field][-1], n, ROLE[roles[n][0]]) for n in runs], min_gap=0.14)
    # the cost panels: each run labelled at its mean final train cost over the seeds
    labels = {
        axes[1, 0]: {n: f"{n}\n{pm(*stat(n, 'train_cost'), 2, 1000)}·10⁻³" for n in runs},
        axes[1, 1]: {n: f"{runs[n]['updates'][-1]:,}\nupdates" for n in runs},
    }
    for ax, text in labels.items():
        end_labels(
            ax,
            [(np.mean([r[n]["train_cost"][-1] for r in seed_runs]), text[n], ROLE[roles[n][0]]) for n in runs],
            min_gap=0.25,
        )
    axes[0, 0].set_yscale("log")
    axes[0, 0].set(xlabel="epoch", ylabel=r"learning rate $\alpha$")
    axes[0, 0].set_title("learning rate", loc="left")
    axes[0, 1].set_yscale("log")
    axes[0, 1].set(xlabel="epoch", ylabel="batch size")
    axes[0, 1].set_title("batch size", loc="left")
    for ax in axes[1]:
        ax.set_yscale("log")
        ax.set_ylabel("training cross-entropy")
    axes[1, 0].set(xlabel="epoch")
    axes[1, 0].set_title(f"loss against epochs ({len(seeds)} seeds)", loc="left")
    axes[1, 1].set(xlabel="parameter updates")
    axes[1, 1].set_title("loss against updates", loc="left")
    d, i = stat("lr decay", "train_cost"), stat("batch increase", "train_cost")
    axes[1, 1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    fig.suptitle(
        f"Batch ×{factor} ≈ LR ÷{factor}: loss {pm(*i, 2, 1000)} vs {pm(*d, 2, 1000)} ·10⁻³, "
        f"{runs['batch increase']['updates'][-1]:,} vs {runs['lr decay']['updates'][-1]:,} updates"
    )
    key = {
        name: {
            "updates": int(run["updates"][-1]),
            "analytic_updates": analytic[name],
            "final_train_cost_mean": stat(name, "train_cost")[0],
            "final_train_cost_std": stat(name, "train_cost")[1],
            "final_test_cost_mean": stat(name, "test_cost")[0],
            "final_test_accuracy_mean": stat(name, "test_accuracy")[0],
            "final_test_accuracy_std": stat(name, "test_accuracy")[1],
            "final_train_cost_per_seed": [float(r[name]["train_cost"][-1]) for r in seed_runs],
        }
        for name, run in runs.items()
    }
    key["N"], key["epochs"], key["milestones"], key["seeds"] = N, epochs, list(milestones), list(seeds)
    return fig, {
        "runs": runs,
        "seed_runs": seed_runs,
        "N": N,
        "epochs": epochs,
        "milestones": list(milestones),
        "batch_size": batch_size,
        "factor": factor,
        "key_numbers": key,
    }
