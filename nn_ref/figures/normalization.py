"""Figures of the normalization slides [Normalizing Input Data, Batch normalization].

Scalers from ``nn_ref.normalize`` (fitted on the training set only, as the slide says), gradient
descent from ``nn_ref.optim``, gradients from ``nn_ref.network.forward/backward``, batch norm from
``nn_ref.batchnorm`` through the network's batch-norm option, training runs from ``nn_ref.train``.
"""

import numpy as np

from nn_ref import datasets, network, normalize, optim
from nn_ref.figures._registry import figure, new_figure, to_numpy
from nn_ref.figures.style import LIGHT, ROLE, band, end_labels, fmt, label_line, pm, sci

# --------------------------------------------------------------------------------------------
# Normalizing Input Data
# --------------------------------------------------------------------------------------------


def _house_data(m, seed):
    """A 2-D regression set with features on very different scales (the reason to normalize):
    x1 = floor area in m^2 ~ U(40, 240), x2 = distance to the centre in km ~ U(0.5, 5),
    y = (50 + 2 x1 - 20 x2 + N(0, 25^2)) / 100 (price in units of 100 k). Returns X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(40.0, 240.0, m)
    distance = rng.uniform(0.5, 5.0, m)
    price = (50.0 + 2.0 * area - 20.0 * distance + 25.0 * rng.standard_normal(m)) / 100.0
    return np.vstack([area, distance]), price.reshape(1, m)


def _regression_gd(X, Y, steps):
    """Batch gradient descent (``optim.gradient_descent``, Algorithm 1, run for exactly ``steps``
    updates) on the linear model Y ~ W X + b with the MSE cost J = (1/m) sum (a - y)^2, gradients
    from ``network.forward/backward``. The step is 1 / lambda_max of the cost's Hessian
    (2/m) [X; 1][X; 1]^T -- the largest safe constant step for a quadratic, so every input version
    gets its own best fixed learning rate. Returns (costs (steps+1,), learning rate, J*)."""
    n0, m = X.shape

    def unpack(theta):
        return {"W1": theta[:n0].reshape(1, n0).copy(), "b1": theta[n0:].reshape(1, 1).copy()}

    def cost(theta):
        AL, _ = network.forward(X, unpack(theta), output_activation="linear")
        return network.compute_cost(AL, Y, "mse")

    def grad(theta):
        AL, caches = network.forward(X, unpack(theta), output_activation="linear")
        g = network.backward(AL, Y, caches, loss="mse")
        return np.concatenate([to_numpy(g["dW1"]).ravel(), to_numpy(g["db1"]).ravel()])

    X1 = np.vstack([X, np.ones((1, m))])
    lam_max = np.linalg.eigvalsh(2.0 / m * X1 @ X1.T).max()
    lr = 1.0 / lam_max
    res = optim.gradient_descent(grad, np.zeros(n0 + 1), lr, criteria=1e-300, max_steps=steps, f=cost)
    theta_star = np.linalg.lstsq(X1.T, Y.ravel(), rcond=None)[0]
    return res["f"], lr, cost(theta_star)


def hessian_condition_number(X):
    """kappa = lambda_max / lambda_min of the MSE cost's Hessian (2/m) [X; 1][X; 1]^T for inputs X (n0, m):
    gradient descent with the step 1/lambda_max needs about kappa steps per e-fold of the slowest direction."""
    m = X.shape[1]
    X1 = np.vstack([X, np.ones((1, m))])
    eig = np.linalg.eigvalsh(2.0 / m * X1 @ X1.T)
    return float(eig.max() / eig.min())


@figure("normalization", slide="Normalizing Input Data", seed=0)
def normalization(quick=False, m=200, steps=300, seed=0):
    """Raw, min-max and standardized versions of a 2-D data set (scalers fitted on the 80% training
    split only, applied to both splits), and the cost of batch gradient descent on a linear
    regression with each version of the inputs. quick: 100 steps."""
    if quick:
        steps = 100
    X, Y = _house_data(m, seed)
    X_train, Y_train, X_test, Y_test = datasets.train_test_split(X, Y, test_fraction=0.2, seed=seed)
    versions = {"raw": (X_train, X_test)}
    for name, scaler in (("min-max", normalize.MinMaxScaler()), ("standardized", normalize.StandardScaler())):
        scaler.fit(X_train)  # parameters from the training set only
        versions[name] = (scaler.transform(X_train), scaler.transform(X_test))

    runs, tol = {}, 1e-3
    for name, (Xtr, _) in versions.items():
        costs, lr, J_star = _regression_gd(Xtr, Y_train, steps)
        excess = (costs - J_star) / (costs[0] - J_star)
        reached = np.flatnonzero(excess < tol)
        runs[name] = {
            "costs": costs,
            "lr": lr,
            "J_star": J_star,
            "excess": excess,
            "steps_to_tol": int(reached[0]) if reached.size else None,
        }

    for name, (Xtr, _) in versions.items():  # the story: GD's steps follow the Hessian's condition number
        runs[name]["condition_number"] = hessian_condition_number(Xtr)
    corr = float(np.corrcoef(X_train)[0, 1])

    fig, axes = new_figure(2, 2)
    titles = {
        "raw": "raw inputs (equal axis scales)",
        "min-max": "min-max: (x − min) / (max − min)",
        "standardized": r"standardized: $(x - \mu_j)/\sigma_j$",
    }
    labels = {
        "raw": ("floor area (m²)", "distance (km)"),
        "min-max": ("area, scaled", "distance, scaled"),
        "standardized": ("area, scaled", "distance, scaled"),
    }
    vmin, vmax = float(Y.min()), float(Y.max())
    scaled_lim = 1.15 * max(float(np.abs(versions[k][0]).max()) for k in ("min-max", "standardized"))
    for ax, (name, (Xtr, Xte)) in zip(axes.ravel()[:3], versions.items()):
        ax.scatter(Xtr[0], Xtr[1], c=Y_train[0], cmap="viridis", vmin=vmin, vmax=vmax, s=22, edgecolors="none")
        ax.scatter(Xte[0], Xte[1], c=Y_test[0], cmap="viridis", vmin=vmin, vmax=vmax, s=70, marker="x", linewidths=1.8)
        ax.set_title(titles[name])
        ax.set_xlabel(labels[name][0])
        ax.set_ylabel(labels[name][1])
        # one unit is as long on both axes: the cloud's true shape
        ax.set_aspect("equal", adjustable="datalim" if name == "raw" else "box")
        if name == "raw":
            ax.set_xlim(0, 1.05 * float(Xtr[0].max()))  # y follows from the equal aspect
        else:  # min-max and standardized on the same axes: [0, 1] off-centre vs centred, unit spread
            ax.set_xlim(-1.7 * scaled_lim, 1.7 * scaled_lim)
            ax.set_ylim(-scaled_lim, 1.35 * scaled_lim)
            ax.axhline(0, color=ROLE["BOUND"], lw=0.8)
            ax.axvline(0, color=ROLE["BOUND"], lw=0.8)
        kappa = runs[name]["condition_number"]
        ax.text(
            0.02,
            0.97,
            f"κ = {sci(kappa, 2) if kappa >= 1000 else fmt(kappa, '.3g')}, r = {fmt(corr, '.2f')}   ● train  × test",
            transform=ax.transAxes,
            ha="left",
            va="top",
        )
    ax = axes[1, 1]
    floor = 1e-9  # below this relative excess the cost differences are float64 rounding noise
    for name, role in (("raw", "RAW"), ("min-max", "MINMAX"), ("standardized", "STANDARDIZED")):
        r = runs[name]
        above = np.flatnonzero(r["excess"] > floor)
        last = int(above[-1]) + 1 if above.size else 1
        k = np.arange(last + 1)[: len(r["excess"])]
        ax.plot(k, np.maximum(r["excess"][k], floor), color=ROLE[role])
        n_tol = r["steps_to_tol"]
        reach = f"{n_tol} step{'s' * (n_tol != 1)}" if n_tol is not None else f"> {steps} steps"
        if name == "standardized":  # in the empty lower left, below the min-max curve
            ax.annotate(
                f"{name}: {reach}\n(features uncorrelated)",
                (k[min(1, k[-1])], max(r["excess"][min(1, k[-1])], floor)),
                xytext=(0.06 * steps, 3e-7),
                color=ROLE[role],
                ha="left",
                va="top",
                arrowprops=dict(arrowstyle="-", color=ROLE[role], lw=1),
            )
            continue
        x_at = {"raw": steps * 0.45, "min-max": steps * 0.3}[name]
        label_line(
            ax,
            k,
            np.maximum(r["excess"][k], floor),
            f"{name}: {reach}",
            ROLE[role],
            x_at=min(k[-1], x_at),
            dx=6,
            dy=14,
            ha="left",
            va="bottom",
        )
    ax.axhspan(floor / 10, floor, color=LIGHT, alpha=0.8, lw=0)
    ax.text(steps * 0.98, floor * 0.3, "rounding-noise floor: not drawn", ha="right", va="center", color=ROLE["NOTE"])
    ax.axhline(tol, color=ROLE["BOUND"], ls=":", lw=1.4)
    ax.set_yscale("log")
    ax.set_ylim(floor / 10, 3)
    ax.set_xlim(0, steps)
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel(r"$(J - J^*)/(J_0 - J^*)$")
    ax.set_title(r"GD, $\alpha = 1/\lambda_{max}$: steps to $10^{-3}$")
    kap = {name: runs[name]["condition_number"] for name in runs}
    reach = {n: f"{r['steps_to_tol']}" if r["steps_to_tol"] is not None else f"> {steps}" for n, r in runs.items()}
    fig.suptitle(
        "GD's steps follow κ, the condition number of the cost's Hessian:\n"
        f"raw κ = {sci(kap['raw'], 1)}: {reach['raw']} steps; min-max κ = {kap['min-max']:.0f}: {reach['min-max']}; "
        f"standardized κ = {kap['standardized']:.2f}: {reach['standardized']}"
    )

    key = {
        name: {
            "learning_rate": float(r["lr"]),
            "J0": float(r["costs"][0]),
            "J_final": float(r["costs"][-1]),
            "J_star": float(r["J_star"]),
            "steps_to_tol": r["steps_to_tol"],
            "condition_number": float(r["condition_number"]),
        }
        for name, r in runs.items()
    }
    key["feature_correlation"] = corr
    key["tolerance"] = tol
    key["steps"] = steps
    key["train_ranges"] = {
        name: {
            "min": Xtr.min(axis=1).tolist(),
            "max": Xtr.max(axis=1).tolist(),
            "mean": (np.round(Xtr.mean(axis=1), 12) + 0.0).tolist(),  # 0 for standardized, not 1e-16 noise
            "std": Xtr.std(axis=1).tolist(),
        }
        for name, (Xtr, _) in versions.items()
    }
    return fig, {"X_train": X_train, "X_test": X_test, "versions": versions, "runs": runs, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Batch normalization
# --------------------------------------------------------------------------------------------


def _hidden_inputs(X, parameters, batchnorm):
    """The input of every hidden layer's sigmoid for the samples X, and the BN caches: with BN the
    normalized-scaled-shifted Z~[l] = gamma x_hat + beta with the statistics of this batch
    (train-mode forward with fresh ``bn_param`` dicts, so the trainer's running statistics are not
    touched); without BN Z[l]. Returns (list of (n[l], m) arrays, list of x_hat arrays or None)."""
    from nn_ref import network

    L = network.num_layers(parameters)
    bn_params = [{"mode": "train"} for _ in range(L - 1)] if batchnorm else None
    _, caches = network.forward(X, parameters, "sigmoid", "softmax", batchnorm=batchnorm, bn_params=bn_params)
    if batchnorm:  # cache = (linear_cache, bn_cache = (Z_hat, gamma, var, eps), Z_tilde, activation, alpha)
        return [to_numpy(c[2]) for c in caches[:-1]], [to_numpy(c[1][0]) for c in caches[:-1]]
    return [to_numpy(c[1]) for c in caches[:-1]], None  # cache = (linear_cache, Z, A, activation, alpha)


def _bn_run(layer_dims, learning_rate, batch_size, epochs, unit, use_bn, data, probe, seed):
    """One training run (``Trainer``, seed ``seed``): test accuracy and the 15/50/85th percentiles of
    the unit's sigmoid input after every epoch, and (with BN) the x_hat statistics of ``probe``."""
    from nn_ref.train import Trainer

    X_train, Y_train, X_test, Y_test = data
    trainer = Trainer(
        list(layer_dims),
        "sigmoid",
        "softmax",
        optimizer="sgd",
        learning_rate=learning_rate,
        batch_size=batch_size,
        batchnorm=use_bn,
        init="xavier",
        seed=seed,
        progress=False,
    )
    steps, accuracy, xhat_mean, xhat_var = [0], [trainer.evaluate(X_test, Y_test)["accuracy"]], [], []
    percentiles = [np.percentile(_hidden_inputs(X_test, trainer.parameters, use_bn)[0][-1][unit], [15, 50, 85])]
    for _ in range(epochs):
        history = trainer.fit(X_train, Y_train, 1, X_test, Y_test)
        steps.append(trainer.t)
        accuracy.append(history["val_accuracy"][-1])
        inputs, _ = _hidden_inputs(X_test, trainer.parameters, use_bn)
        percentiles.append(np.percentile(inputs[-1][unit], [15, 50, 85]))
        if use_bn:
            _, xhats = _hidden_inputs(probe, trainer.parameters, True)
            xhat_mean.append(max(float(np.max(np.abs(x.mean(axis=1)))) for x in xhats))
            xhat_var.append(max(float(np.max(np.abs(x.var(axis=1) - 1))) for x in xhats))
    run = {
        "steps": np.array(steps),
        "test_accuracy": np.array(accuracy),
        "percentiles": np.array(percentiles),
        "xhat_max_abs_mean": np.array(xhat_mean),
        "xhat_max_abs_var_minus_1": np.array(xhat_var),
    }
    run["drift"] = float(np.mean(np.ptp(run["percentiles"], axis=0)))
    return run


@figure(
    "batchnorm",
    slide="Batch normalization",
    seed=0,
)
def batchnorm(
    quick=False,
    layer_dims=(64, 100, 100, 100, 10),
    learning_rate=0.5,
    batch_size=60,
    epochs=50,
    unit=0,
    seeds=(0, 1, 2, 3, 4),
    seed=0,
):
    """Ioffe & Szegedy's Figure 1 on the digits: the same MLP (3 hidden layers of 100 sigmoid units,
    softmax output, Xavier init, plain SGD, batch 60) trained with and without batch normalization
    (``Trainer(batchnorm=True)``: BN between the linear part and the sigmoid of every hidden layer),
    from each of ``seeds`` (initial parameters and shuffling; the 80/20 split is fixed by ``seed``).
    After every epoch: the test accuracy (eval mode), and the 15th/50th/85th percentiles over the
    test set of the sigmoid input of one unit of the last hidden layer. The x_hat of one training
    mini-batch per epoch is kept to check the normalization. quick: 8 epochs."""
    if quick:
        epochs = 8
    data = datasets.train_test_split(*datasets.digits(), test_fraction=0.2, seed=seed)
    X_train = data[0]
    probe = X_train[:, np.random.default_rng(seed).permutation(X_train.shape[1])[:batch_size]]
    names = (("without BN", False), ("with BN", True))
    seed_runs = [
        {
            name: _bn_run(layer_dims, learning_rate, batch_size, epochs, unit, use_bn, data, probe, s)
            for name, use_bn in names
        }
        for s in seeds
    ]
    runs = seed_runs[0]
    role = {"without BN": "WITHOUT_BN", "with BN": "WITH_BN"}

    def stat(name, field):
        values = [r[name][field] if field == "drift" else r[name]["test_accuracy"][-1] for r in seed_runs]
        values = np.array(values, dtype=float)
        return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0

    fig, axes = new_figure(2, 2)
    ax = axes[0, 0]
    labels = []
    for name, _ in names:
        acc = 100 * np.array([r[name]["test_accuracy"] for r in seed_runs])
        mean, _, _ = band(ax, runs[name]["steps"], acc, ROLE[role[name]], ls="-" if name == "with BN" else "--")
        labels.append((mean[-1], f"{name}\n{pm(*stat(name, 'acc'), 1, 100)} %", ROLE[role[name]]))
    ax.set(xlabel="training steps (updates)", ylabel="test accuracy %", ylim=(0, 102))
    ax.set_title(f"(a) test accuracy, {len(seeds)} seeds (band: min..max)", loc="left")
    end_labels(ax, labels, min_gap=0.3, top=0.8)
    ymin = min(run["percentiles"].min() for run in runs.values())
    ymax = max(run["percentiles"].max() for run in runs.values())
    pad = 0.08 * (ymax - ymin)
    styles = ((15, ":"), (50, "-"), (85, "--"))
    for ax, name, tag in ((axes[1, 0], "without BN", "(b)"), (axes[1, 1], "with BN", "(c)")):
        run = runs[name]
        for j, (_q, ls) in enumerate(styles):
            ax.plot(run["steps"], run["percentiles"][:, j], color=ROLE[role[name]], ls=ls)
        end_labels(
            ax,
            [(run["percentiles"][-1, j], f"{q}th", ROLE[role[name]]) for j, (q, _) in enumerate(styles)],
            min_gap=0.12,
        )
        ax.set(
            xlabel="training steps (updates)",
            ylim=(ymin - pad, ymax + pad),
            ylabel=f"input of unit {unit}, $h_{len(layer_dims) - 2}$",
        )
        ax.set_title(f"{tag} {name}: percentiles (seed {seeds[0]})", loc="left")
    ax = axes[0, 1]
    for i, (name, _) in enumerate(names):
        drifts = [r[name]["drift"] for r in seed_runs]
        ax.plot(
            np.full(len(drifts), i) + np.linspace(-0.12, 0.12, len(drifts)), drifts, "o", color=ROLE[role[name]], ms=9
        )
        mean, std = stat(name, "drift")
        ax.errorbar([i + 0.3], [mean], yerr=[std], fmt="_", color=ROLE[role[name]], ms=22, capsize=6, lw=2)
        ax.text(i + 0.42, mean, pm(mean, std, 2), color=ROLE[role[name]], va="center")
    ax.set_xticks([0, 1], [name for name, _ in names])
    ax.set_xlim(-0.5, 2.0)
    ax.set_ylim(0, None)
    ax.set_ylabel("mean percentile range")
    ax.set_title("(d) drift of the unit's input, per seed", loc="left")
    acc_with, acc_without = stat("with BN", "acc"), stat("without BN", "acc")
    fig.suptitle(
        f"Batch norm: test accuracy {pm(*acc_with, 1, 100)} % with vs {pm(*acc_without, 1, 100)} % "
        f"without ({epochs} epochs, {len(seeds)} seeds)"
    )
    key = {
        name: {
            "final_test_accuracy_mean": stat(name, "acc")[0],
            "final_test_accuracy_std": stat(name, "acc")[1],
            "final_test_accuracy_per_seed": [float(r[name]["test_accuracy"][-1]) for r in seed_runs],
            "percentile_drift_mean": stat(name, "drift")[0],
            "percentile_drift_std": stat(name, "drift")[1],
            "steps": int(runs[name]["steps"][-1]),
        }
        for name, _ in names
    }
    key["seeds"] = list(seeds)
    key["with BN"]["xhat_abs_mean_below_1e-7"] = bool(
        all(np.all(r["with BN"]["xhat_max_abs_mean"] < 1e-7) for r in seed_runs)
    )
    key["with BN"]["xhat_abs_var_minus_1_below_1e-2"] = bool(
        all(np.all(r["with BN"]["xhat_max_abs_var_minus_1"] < 1e-2) for r in seed_runs)
    )
    return fig, {"runs": runs, "seed_runs": seed_runs, "key_numbers": key}
