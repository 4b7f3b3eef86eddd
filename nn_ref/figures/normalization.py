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
