"""Figures of the normalization slides [Normalizing Input Data, Batch normalization].

Scalers from ``nn_ref.normalize`` (fitted on the training set only, as the slide says), gradient
descent from ``nn_ref.optim``, gradients from ``nn_ref.network.forward/backward``, batch norm from
``nn_ref.batchnorm`` through the network's batch-norm option, training runs from ``nn_ref.train``.
"""
import numpy as np

from nn_ref import datasets, network, normalize, optim
from nn_ref.figures._registry import figure, new_figure, to_numpy


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


@figure("normalization", slide="Normalizing Input Data", params={"m": 200, "steps": 300}, seed=0)
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
        scaler.fit(X_train)                                            # parameters from the training set only
        versions[name] = (scaler.transform(X_train), scaler.transform(X_test))

    runs, tol = {}, 1e-3
    for name, (Xtr, _) in versions.items():
        costs, lr, J_star = _regression_gd(Xtr, Y_train, steps)
        excess = (costs - J_star) / (costs[0] - J_star)
        reached = np.flatnonzero(excess < tol)
        runs[name] = {"costs": costs, "lr": lr, "J_star": J_star, "excess": excess,
                      "steps_to_tol": int(reached[0]) if reached.size else None}

    fig, axes = new_figure(2, 2, width=10.5, height=8.0)
    titles = {"raw": "Raw inputs", "min-max": "Min-max: (x − min_j) / (max_j − min_j)",
              "standardized": "Standardized: (x − mean_j) / std_j"}
    labels = {"raw": ("floor area (m²)", "distance to centre (km)"),
              "min-max": ("area, min-max", "distance, min-max"),
              "standardized": ("area, standardized", "distance, standardized")}
    vmin, vmax = float(Y.min()), float(Y.max())
    for ax, (name, (Xtr, Xte)) in zip(axes.ravel()[:3], versions.items()):
        sc = ax.scatter(Xtr[0], Xtr[1], c=Y_train[0], cmap="viridis", vmin=vmin, vmax=vmax, s=14, label="train")
        ax.scatter(Xte[0], Xte[1], c=Y_test[0], cmap="viridis", vmin=vmin, vmax=vmax, s=30, marker="x", label="test")
        ax.set_title(titles[name])
        ax.set_xlabel(labels[name][0])
        ax.set_ylabel(labels[name][1])
        lo, hi = Xtr.min(axis=1), Xtr.max(axis=1)
        ax.text(0.98, 0.03, f"train ranges: [{lo[0]:.3g}, {hi[0]:.3g}] × [{lo[1]:.3g}, {hi[1]:.3g}]",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                bbox=dict(boxstyle="round", fc="white", ec="0.8"))
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    fig.colorbar(sc, ax=axes[0, 1], label="price (100 k)")
    ax = axes[1, 1]
    for name in versions:
        r = runs[name]
        n_tol = r["steps_to_tol"]
        reach = f"{n_tol} step{'s' * (n_tol != 1)}" if n_tol is not None else f"not within {steps} steps"
        ax.plot(np.arange(len(r["excess"])), np.maximum(r["excess"], 1e-13),   # GD stops once x stops moving
                label=f"{name} (α = {r['lr']:.3g}): {reach}")
    ax.axhline(tol, color="0.5", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_ylim(5e-14, 3)
    ax.set_xlabel("Gradient-descent step")
    ax.set_ylabel("(J − J*) / (J₀ − J*)")
    ax.set_title(f"Batch GD on linear regression, α = 1/λmax\n(steps to reach {tol:g} of the initial excess cost)")
    ax.legend(loc="upper right", fontsize=8)
    fig.suptitle("Normalizing Input Data: scalers fitted on the training set, applied to train and test")

    key = {name: {"learning_rate": float(r["lr"]), "J0": float(r["costs"][0]), "J_final": float(r["costs"][-1]),
                  "J_star": float(r["J_star"]), "steps_to_tol": r["steps_to_tol"]} for name, r in runs.items()}
    key["tolerance"] = tol
    key["steps"] = steps
    key["train_ranges"] = {name: {"min": Xtr.min(axis=1).tolist(), "max": Xtr.max(axis=1).tolist(),
                                  "mean": Xtr.mean(axis=1).tolist(), "std": Xtr.std(axis=1).tolist()}
                           for name, (Xtr, _) in versions.items()}
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
    if batchnorm:   # cache = (linear_cache, bn_cache = (Z_hat, gamma, var, eps), Z_tilde, activation, alpha)
        return [to_numpy(c[2]) for c in caches[:-1]], [to_numpy(c[1][0]) for c in caches[:-1]]
    return [to_numpy(c[1]) for c in caches[:-1]], None     # cache = (linear_cache, Z, A, activation, alpha)


@figure("batchnorm", slide="Batch normalization",
        params={"layer_dims": [64, 100, 100, 100, 10], "learning_rate": 0.5, "batch_size": 60, "epochs": 50,
                "unit": 0}, seed=0)
def batchnorm(quick=False, layer_dims=(64, 100, 100, 100, 10), learning_rate=0.5, batch_size=60, epochs=50,
              unit=0, seed=0):
    """Ioffe & Szegedy's Figure 1 on the digits: the same MLP (3 hidden layers of 100 sigmoid units,
    softmax output, Xavier init, plain SGD, batch 60) trained with and without batch normalization
    (``Trainer(batchnorm=True)``: BN between the linear part and the sigmoid of every hidden layer).
    After every epoch: the test accuracy (eval mode), and the 15th/50th/85th percentiles over the
    test set of the sigmoid input of one unit of the last hidden layer. The x_hat of one training
    mini-batch per epoch is kept to check the normalization. quick: 8 epochs."""
    from nn_ref.train import Trainer
    if quick:
        epochs = 8
    X_train, Y_train, X_test, Y_test = datasets.train_test_split(*datasets.digits(), test_fraction=0.2, seed=seed)
    probe = X_train[:, np.random.default_rng(seed).permutation(X_train.shape[1])[:batch_size]]
    runs = {}
    for name, use_bn in (("without BN", False), ("with BN", True)):
        trainer = Trainer(list(layer_dims), "sigmoid", "softmax", optimizer="sgd", learning_rate=learning_rate,
                          batch_size=batch_size, batchnorm=use_bn, init="xavier", seed=seed, progress=False)
        steps, accuracy, percentiles, xhat_mean, xhat_var = [0], [trainer.evaluate(X_test, Y_test)["accuracy"]], [], [], []
        percentiles.append(np.percentile(_hidden_inputs(X_test, trainer.parameters, use_bn)[0][-1][unit], [15, 50, 85]))
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
        runs[name] = {"steps": np.array(steps), "test_accuracy": np.array(accuracy),
                      "percentiles": np.array(percentiles), "xhat_max_abs_mean": np.array(xhat_mean),
                      "xhat_max_abs_var_minus_1": np.array(xhat_var)}
        runs[name]["drift"] = float(np.mean(np.ptp(runs[name]["percentiles"], axis=0)))

    fig, axes = new_figure(1, 3, width=14.0, height=4.4)
    colors = {"without BN": "#1f77b4", "with BN": "#d62728"}
    for name, run in runs.items():
        axes[0].plot(run["steps"], run["test_accuracy"], color=colors[name], label=name)
    axes[0].set(xlabel="Training steps (updates)", ylabel="Test accuracy", title="(a) Test accuracy\n(eval mode)",
                ylim=(0, 1.02))
    axes[0].legend(loc="center right")
    ymin = min(run["percentiles"].min() for run in runs.values())
    ymax = max(run["percentiles"].max() for run in runs.values())
    pad = 0.08 * (ymax - ymin)
    styles = ((15, ":"), (50, "-"), (85, "--"))
    for ax, (name, run), tag in zip(axes[1:], runs.items(), ("(b)", "(c)")):
        for j, (q, ls) in enumerate(styles):
            ax.plot(run["steps"], run["percentiles"][:, j], color=colors[name], ls=ls)
        ax.set(xlabel="Training steps (updates)", ylim=(ymin - pad, ymax + pad),
               title=f"{tag} {name}: sigmoid input of unit {unit} of h{len(layer_dims) - 2}\n"
                     f"(mean range of the three percentiles: {run['drift']:.2f})")
    handles = [axes[1].plot([], [], color="0.3", ls=ls)[0] for _, ls in styles]
    fig.legend(handles, [f"{q}th percentile" for q, _ in styles], loc="outside lower center", ncol=3)
    axes[1].set_ylabel("Input of the sigmoid (over the test set)")
    fig.suptitle(f"Batch normalization: digits, MLP {'-'.join(map(str, layer_dims))} (sigmoid), SGD α = "
                 f"{learning_rate:g}, batch {batch_size}, {epochs} epochs")
    key = {name: {"final_test_accuracy": float(run["test_accuracy"][-1]), "percentile_drift": run["drift"],
                  "steps": int(run["steps"][-1])} for name, run in runs.items()}
    key["with BN"]["xhat_max_abs_mean"] = float(runs["with BN"]["xhat_max_abs_mean"].max())
    key["with BN"]["xhat_max_abs_var_minus_1"] = float(runs["with BN"]["xhat_max_abs_var_minus_1"].max())
    return fig, {"runs": runs, "key_numbers": key}
