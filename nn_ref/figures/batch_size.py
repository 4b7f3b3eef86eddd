"""Figures of the batch-size slides [Stochastic Gradient Descent with Mini-batch, Effective
Mini-batch (Performance), What batch size to choose?, Learning rate and Batch size relationship,
Learning rate decrease vs batch size increase].

Every number is computed with nn-ref: gradient descent by ``nn_ref.optim``, gradients by
``nn_ref.network.forward/backward``, data by ``nn_ref.datasets``, training runs by ``nn_ref.train``.
"""
import numpy as np

from nn_ref import optim
from nn_ref.figures._registry import figure, new_figure, to_numpy


# --------------------------------------------------------------------------------------------
# What batch size to choose? (Keskar et al. 2016: flat vs sharp minima)
# --------------------------------------------------------------------------------------------

def _keskar_f(x, flat_width=1.28, sharp_depth=1.2, sharp_width=0.045):
    """f(x) = -exp(-(x+2)^2 / 1.28) - 1.2 exp(-(x-2)^2 / 0.045): a flat minimum near -2, a sharp one near 2."""
    return -np.exp(-(x + 2.0) ** 2 / flat_width) - sharp_depth * np.exp(-(x - 2.0) ** 2 / sharp_width)


def _keskar_grad(x, flat_width=1.28, sharp_depth=1.2, sharp_width=0.045):
    """f'(x) of ``_keskar_f``."""
    return (2.0 * (x + 2.0) / flat_width * np.exp(-(x + 2.0) ** 2 / flat_width)
            + sharp_depth * 2.0 * (x - 2.0) / sharp_width * np.exp(-(x - 2.0) ** 2 / sharp_width))


@figure("flat_vs_sharp_minima", slide="What Batch size to choose ?",
        params={"shift": 0.25, "x0_flat": -3.0, "x0_sharp": 2.2, "learning_rate": 0.01})
def flat_vs_sharp_minima(quick=False, shift=0.25, x0_flat=-3.0, x0_sharp=2.2, learning_rate=0.01):
    """Keskar et al. 2016's sketch, computed: the training function f(x) and the testing function
    f(x - shift); both minima of f found by gradient descent (``nn_ref.optim.gradient_descent``,
    learning rate below 2 / f''(sharp minimum) ~ 0.037 so that it converges there too); the
    generalization gap f_test - f_train at each minimum. Cheap: ``quick`` changes nothing."""
    minima = {}
    for name, x0 in (("flat", x0_flat), ("sharp", x0_sharp)):
        res = optim.gradient_descent(lambda x: float(_keskar_grad(x)), x0, learning_rate,
                                     criteria=1e-10, max_steps=100_000)
        x = res["x"]
        train, test = float(_keskar_f(x)), float(_keskar_f(x - shift))
        minima[name] = {"x": x, "steps": int(res["steps"]), "converged": res["converged"],
                        "grad": float(_keskar_grad(x)), "f_train": train, "f_test": test, "gap": test - train}

    grid = np.linspace(-4.5, 4.5, 1500)
    fig, ax = new_figure(1, 1, width=8.0, height=4.6)
    ax.plot(grid, _keskar_f(grid), color="#1f77b4", label="Training function f(x)")
    ax.plot(grid, _keskar_f(grid - shift), color="#d62728", ls="--", label=f"Testing function f(x − {shift:g})")
    for name, color in (("flat", "#2ca02c"), ("sharp", "#9467bd")):
        m = minima[name]
        ax.plot([m["x"], m["x"]], [m["f_train"], m["f_test"]], color=color, lw=3, solid_capstyle="butt")
        ax.plot(m["x"], m["f_train"], "o", color=color, ms=6)
        side = -1 if name == "flat" else 1
        ax.annotate(f"{name.capitalize()} minimum\nx = {m['x']:.3f}\ngap = {m['gap']:.3f}",
                    xy=(m["x"], (m["f_train"] + m["f_test"]) / 2), xytext=(side * 70 - (40 if side < 0 else 0), 30),
                    textcoords="offset points", ha="center", fontsize=9, color=color,
                    arrowprops=dict(arrowstyle="->", color=color, lw=1))
    ax.set_xlabel("Parameter x")
    ax.set_ylabel("f(x)")
    ax.set_ylim(-1.45, 0.35)
    ax.legend(loc="upper center", ncol=2)
    ax.set_title("Flat vs sharp minimum (Keskar et al. 2016): minima found by gradient descent,\n"
                 "gap = f_test − f_train at each minimum")
    key = {name: {k: (v if isinstance(v, (bool, int)) else float(v)) for k, v in m.items()}
           for name, m in minima.items()}
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


@figure("noise_scale", slide="Learning rate and Batch size relationship",
        params={"epsilons": [0.01, 0.1, 1.0], "batch_sizes": [1, 2, 4, 8, 16, 32, 64], "draws": 2000},
        seed=42)
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
    G = _linear_gradient(X, Y, parameters)                                   # full-batch gradient
    per_example = np.array([_linear_gradient(X[:, [i]], Y[:, [i]], parameters) for i in range(N)])
    sigma2 = float(np.mean(np.sum((per_example - G) ** 2, axis=1)))          # trace of the covariance
    rng = np.random.default_rng(seed)
    measured_var = []
    for B in batch_sizes:
        sq = [np.sum((_linear_gradient(X[:, idx], Y[:, idx], parameters) - G) ** 2)
              for idx in (rng.choice(N, B, replace=False) for _ in range(draws))]
        measured_var.append(float(np.mean(sq)))
    B_arr = np.asarray(batch_sizes, dtype=float)
    measured_unit = (N - 1) * np.asarray(measured_var) / sigma2             # measured g / eps
    formula_unit = N / B_arr - 1.0

    fig, ax = new_figure(1, 1, width=7.5, height=4.8)
    B_grid = np.logspace(0, np.log10(N / 1.05), 200)
    for eps, color in zip(epsilons, ("#1f77b4", "#d62728", "#2ca02c")):
        ax.plot(B_grid, eps * (N / B_grid - 1), color=color, label=f"g = ε(N/B − 1), ε = {eps:g}")
        ax.plot(B_grid, eps * N / B_grid, color=color, ls="--", lw=1.2, label=f"g ≈ εN/B, ε = {eps:g}")
        ax.plot(B_arr, eps * measured_unit, "o", color=color, ms=5, mfc="white")
    ax.plot([], [], "o", color="0.3", mfc="white", label=f"measured: ε(N−1)Var[ĝ_B]/σ², {draws} batches")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"Batch size B (N = {N} training points)")
    ax.set_ylabel("Noise scale g")
    ax.set_title("Learning rate and Batch size relationship: noise scale g = ε(N/B − 1) (Smith et al. 2017)")
    ax.legend(loc="lower left", fontsize=8, ncol=2)
    key = {"N": N, "batch_sizes": list(map(int, batch_sizes)), "epsilons": list(epsilons), "draws": draws,
           "per_example_variance": sigma2, "measured_g_over_eps": measured_unit.tolist(),
           "formula_g_over_eps": formula_unit.tolist(),
           "max_relative_error_measured": float(np.max(np.abs(measured_unit / formula_unit - 1)))}
    return fig, {"N": N, "B": B_arr, "epsilons": list(epsilons), "B_grid": B_grid,
                 "g": {eps: eps * (N / B_grid - 1) for eps in epsilons},
                 "g_approx": {eps: eps * N / B_grid for eps in epsilons},
                 "measured_g_over_eps": measured_unit, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Stochastic Gradient Descent with Mini-batch (Geron's parameter-space paths)
# --------------------------------------------------------------------------------------------

def _sgd_path(X, Y, batch_size, schedule, epochs, seed):
    """Mini-batch SGD on the linear model y = w x + b with the MSE cost: ``nn_ref.train.Trainer``
    (layer_dims [1, 1], linear output, plain SGD, W = b = 0 at the start, learning rate
    ``schedule(t)`` at update t); its per-update callback records (b, w) after every update.
    Returns the path, start first: (updates + 1, 2)."""
    from nn_ref.train import Trainer
    trainer = Trainer([1, 1], output_activation="linear", optimizer="sgd", learning_rate=schedule,
                      batch_size=batch_size, init="zeros", seed=seed, progress=False)

    def point(tr):
        return to_numpy(tr.parameters["b1"])[0, 0], to_numpy(tr.parameters["W1"])[0, 0]

    path = [point(trainer)]
    trainer.fit(X, Y, epochs, callback=lambda tr: path.append(point(tr)))
    return np.array(path)


@figure("sgd_paths", slide="Stochastic Gradient Descent with Mini-batch",
        params={"batch_lr": 0.1, "batch_epochs": 1000, "sgd_t0": 5, "sgd_t1": 50, "sgd_epochs": 50,
                "minibatch_size": 20, "minibatch_t0": 200, "minibatch_t1": 1000, "minibatch_epochs": 50},
        seed=42)
def sgd_paths(quick=False, batch_lr=0.1, batch_epochs=1000, sgd_t0=5, sgd_t1=50, sgd_epochs=50,
              minibatch_size=20, minibatch_t0=200, minibatch_t1=1000, minibatch_epochs=50, seed=42):
    """Geron's figure: the paths of (b, w) = (theta0, theta1) on the seed-42 linear data y = 4 + 3x + noise
    under batch GD (constant eta), SGD (eta_t = t0 / (t + t1), one sample per update) and mini-batch
    SGD (batches of 20, eta_t = t0 / (t + t1)), all from b = w = 0; the schedules are
    ``schedules.inverse(t0 / t1, 1 / t1)``. Each epoch visits every sample once in a seeded shuffled
    order (Geron's SGD draws indices with replacement). quick: 10 / 10 / 300 epochs."""
    from nn_ref import datasets, schedules
    if quick:
        batch_epochs, sgd_epochs, minibatch_epochs = 300, 10, 10
    X, Y = datasets.linear(m=100, seed=seed)
    runs = {
        "Stochastic": _sgd_path(X, Y, 1, schedules.inverse(sgd_t0 / sgd_t1, 1.0 / sgd_t1), sgd_epochs, seed),
        "Mini-batch": _sgd_path(X, Y, minibatch_size,
                                schedules.inverse(minibatch_t0 / minibatch_t1, 1.0 / minibatch_t1),
                                minibatch_epochs, seed),
        "Batch": _sgd_path(X, Y, None, schedules.constant(batch_lr), batch_epochs, seed),
    }
    X1 = np.vstack([np.ones_like(X), X])
    theta_star = np.linalg.lstsq(X1.T, Y.ravel(), rcond=None)[0]              # (b*, w*) least squares
    lengths = {name: float(np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1))) for name, p in runs.items()}

    styles = {"Stochastic": dict(color="#d62728", marker="s", ms=3, lw=1),
              "Mini-batch": dict(color="#2ca02c", marker="+", ms=6, lw=1.5),
              "Batch": dict(color="#1f77b4", marker="o", ms=3, lw=2.5)}
    fig, axes = new_figure(1, 2, width=12.0, height=4.8)
    for ax, zoom in zip(axes, (False, True)):
        for name, p in runs.items():
            ax.plot(p[:, 0], p[:, 1], label=f"{name} ({len(p) - 1} updates, path length {lengths[name]:.1f})",
                    markevery=max(1, (len(p) - 1) // 300), **styles[name])
        ax.plot(*theta_star, "*", color="black", ms=12, label="least squares (b*, w*)", zorder=5)
        ax.set_xlabel("θ₀ (bias b)")
        ax.set_ylabel("θ₁ (weight w)")
        if zoom:          # Geron's window around the least-squares solution
            ax.set_xlim(theta_star[0] - 1.7, theta_star[0] + 0.3)
            ax.set_ylim(theta_star[1] - 0.47, theta_star[1] + 1.13)
            ax.set_title("Zoom near the least-squares solution")
        else:
            ax.plot(*runs["Batch"][0], "o", color="black", ms=7, zorder=5)
            ax.annotate("start", runs["Batch"][0], xytext=(8, -4), textcoords="offset points")
            ax.set_title("Paths in parameter space")
            ax.legend(loc="best", fontsize=8)
    fig.suptitle("Stochastic Gradient Descent with Mini-batch: linear data y = 4 + 3x + noise (seed 42, m = 100)")
    key = {"path_length": lengths, "updates": {name: len(p) - 1 for name, p in runs.items()},
           "final": {name: p[-1].tolist() for name, p in runs.items()}, "least_squares": theta_star.tolist()}
    return fig, {"paths": runs, "theta_star": theta_star, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Effective Mini-batch (Performance): gradient accumulation
# --------------------------------------------------------------------------------------------

def _digits_split(seed=0):
    """scikit-learn's digits (pixels / 16), the fixed seeded 80/20 split of ``datasets.train_test_split``."""
    from nn_ref import datasets
    X, Y = datasets.digits()
    return datasets.train_test_split(X, Y, test_fraction=0.2, seed=seed)


@figure("effective_minibatch", slide="Effective Mini-batch Performance",
        params={"layer_dims": [64, 64, 10], "learning_rate": 0.1, "epochs": 40}, seed=0)
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
        trainer = Trainer(list(layer_dims), "relu", "softmax", optimizer="sgd", learning_rate=learning_rate,
                          batch_size=b, batch_multiplier=k, seed=seed, progress=False)
        history = trainer.fit(X_train, Y_train, epochs)
        runs[name] = {"batch_size": b, "batch_multiplier": k, "cost": np.array(history["cost"]),
                      "epoch_cost": np.array(history["epoch_cost"]), "updates": trainer.t,
                      "parameters": {key: to_numpy(v).copy() for key, v in trainer.parameters.items()}}
    a, b_, c = runs.values()
    rel = {key: float(np.max(np.abs(b_["parameters"][key] - c["parameters"][key]))
                      / np.max(np.abs(c["parameters"][key]))) for key in c["parameters"]}
    rel_a = {key: float(np.max(np.abs(a["parameters"][key] - c["parameters"][key]))
                        / np.max(np.abs(c["parameters"][key]))) for key in c["parameters"]}

    fig, axes = new_figure(1, 2, width=12.0, height=4.6)
    styles = {"(a) batch 32": dict(color="#1f77b4", lw=1.0, alpha=0.8),
              "(b) batch 32 × multiplier 8": dict(color="#d62728", lw=3.0, alpha=0.6),
              "(c) batch 256": dict(color="black", lw=1.2, ls="--")}
    for name, run in runs.items():
        axes[0].plot(np.arange(1, run["updates"] + 1), run["cost"], label=f"{name}: {run['updates']} updates",
                     **styles[name])
        axes[1].plot(np.arange(1, epochs + 1), run["epoch_cost"], label=name, **styles[name])
    axes[0].set_xscale("log")
    axes[0].set_xlabel("Update (optimizer step), log scale")
    axes[0].set_ylabel("Mini-batch cross-entropy before the update")
    axes[0].set_title("Loss against updates")
    axes[0].legend(loc="upper right", fontsize=8)
    axes[1].set_xlabel("Epoch")
    axes[1].set_ylabel("Mean training cross-entropy of the epoch")
    axes[1].set_yscale("log")
    axes[1].set_title("Loss against epochs (same samples seen)")
    axes[1].text(0.97, 0.97, f"max relative parameter difference\n(b) vs (c): {max(rel.values()):.1e}\n"
                             f"(a) vs (c): {max(rel_a.values()):.1e}",
                 transform=axes[1].transAxes, ha="right", va="top", fontsize=8.5,
                 bbox=dict(boxstyle="round", fc="white", ec="0.8"))
    fig.suptitle(f"Effective Mini-batch: digits, MLP {'-'.join(map(str, layer_dims))}, SGD α = {learning_rate:g}, "
                 f"{epochs} epochs, float64")
    key = {"epochs": epochs, "updates": {name: run["updates"] for name, run in runs.items()},
           "final_epoch_cost": {name: float(run["epoch_cost"][-1]) for name, run in runs.items()},
           "max_rel_param_diff_b_vs_c": max(rel.values()), "max_rel_param_diff_a_vs_c": max(rel_a.values()),
           "m_train": int(X_train.shape[1])}
    return fig, {"runs": runs, "m_train": int(X_train.shape[1]), "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Learning rate decrease vs batch size increase (Smith et al. 2017, "Don't decay the learning rate,
# increase the batch size")
# --------------------------------------------------------------------------------------------

@figure("lr_decay_vs_batch_increase", slide="Learning rate decrease Vs Batch size increase",
        params={"N": 8192, "layer_dims": [10, 64, 64, 1], "learning_rate": 0.5, "batch_size": 32,
                "factor": 5, "milestones": [12, 24, 32], "epochs": 40}, seed=0)
def lr_decay_vs_batch_increase(quick=False, N=8192, layer_dims=(10, 64, 64, 1), learning_rate=0.5, batch_size=32,
                               factor=5, milestones=(12, 24, 32), epochs=40, seed=0):
    """Two runs of the same MLP (ReLU, sigmoid output, plain SGD) on N points of the 10-D ball
    (``datasets.ball``; a further N/4 held out): "decay" divides the learning rate by ``factor`` at
    each milestone epoch at batch 32 (``schedules.multistep`` on update counts); "increase" keeps
    the learning rate and multiplies the batch size by ``factor`` instead (32 -> 160 -> 800 -> 4000;
    capped at N). The trainer keeps the last partial batch, so an epoch of batch b is ceil(N / b)
    updates. quick: N = 2048, milestones 3/6/8 of 10 epochs."""
    from nn_ref import datasets, schedules
    from nn_ref.train import Trainer
    if quick:
        N, milestones, epochs = 2048, (3, 6, 8), 10
    X, Y = datasets.ball(m=N + N // 4, n=layer_dims[0], seed=seed)
    X_train, Y_train, X_test, Y_test = X[:, :N], Y[:, :N], X[:, N:], Y[:, N:]
    per_epoch = -(-N // batch_size)

    def batch_at(epoch):                     # epoch counted from 0
        return min(N, batch_size * factor ** sum(epoch >= m for m in milestones))

    decay_lr = schedules.multistep(learning_rate, [m * per_epoch for m in milestones], 1.0 / factor)
    trainers = {"lr decay": Trainer(list(layer_dims), "relu", "sigmoid", optimizer="sgd", learning_rate=decay_lr,
                                    batch_size=batch_size, seed=seed, progress=False),
                "batch increase": Trainer(list(layer_dims), "relu", "sigmoid", optimizer="sgd",
                                          learning_rate=learning_rate, batch_size=batch_size, seed=seed,
                                          progress=False)}
    runs = {name: {"lr": [], "batch": [], "updates": [0], "train_cost": [], "test_cost": [], "test_accuracy": []}
            for name in trainers}
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
    analytic = {"lr decay": epochs * per_epoch,
                "batch increase": int(sum(-(-N // batch_at(e)) for e in range(epochs)))}

    ep = np.arange(1, epochs + 1)
    fig, axes = new_figure(2, 2, width=11.5, height=7.6)
    styles = {"lr decay": dict(color="#1f77b4", lw=2.2), "batch increase": dict(color="#d62728", lw=1.6, ls="--")}
    for name, run in runs.items():
        axes[0, 0].step(np.arange(epochs + 1), np.r_[run["lr"], run["lr"][-1]], where="post", label=name,
                        **styles[name])
        axes[0, 1].step(np.arange(epochs + 1), np.r_[run["batch"], run["batch"][-1]], where="post", label=name,
                        **styles[name])
        axes[1, 0].plot(ep, run["train_cost"], label=f"{name}: final {run['train_cost'][-1]:.4f}", **styles[name])
        axes[1, 1].plot(run["updates"][1:], run["train_cost"],
                        label=f"{name}: {run['updates'][-1]} updates", **styles[name])
    axes[0, 0].set_yscale("log")
    axes[0, 0].set(xlabel="Epoch", ylabel="Learning rate", title="Learning rate")
    axes[0, 1].set_yscale("log")
    axes[0, 1].set(xlabel="Epoch", ylabel="Batch size", title="Batch size")
    for ax in axes[1]:
        ax.set_yscale("log")
        ax.set_ylabel("Training cross-entropy (epoch mean)")
    axes[1, 0].set(xlabel="Epoch", title="Loss against epochs")
    axes[1, 1].set(xlabel="Number of parameter updates", title="Loss against updates")
    for ax in axes.ravel():
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(f"Learning rate decrease vs batch size increase: ball data N = {N}, MLP "
                 f"{'-'.join(map(str, layer_dims))}, SGD, ÷{factor} or ×{factor} at epochs "
                 f"{'/'.join(map(str, milestones))}")
    key = {name: {"updates": int(run["updates"][-1]), "analytic_updates": analytic[name],
                  "final_train_cost": float(run["train_cost"][-1]), "final_test_cost": float(run["test_cost"][-1]),
                  "final_test_accuracy": float(run["test_accuracy"][-1])} for name, run in runs.items()}
    key["N"], key["epochs"], key["milestones"] = N, epochs, list(milestones)
    return fig, {"runs": runs, "N": N, "epochs": epochs, "milestones": list(milestones), "batch_size": batch_size,
                 "factor": factor, "key_numbers": key}
