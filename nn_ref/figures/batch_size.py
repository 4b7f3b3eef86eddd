"""Figures of the batch-size slides [Stochastic Gradient Descent with Mini-batch, Effective
Mini-batch (Performance), What batch size to choose?, Learning rate and Batch size relationship,
Learning rate decrease vs batch size increase].

Every number is computed with nn-ref: gradient descent by ``nn_ref.optim``, gradients by
``nn_ref.network.forward/backward``, data by ``nn_ref.datasets``, training runs by ``nn_ref.train``.
"""
import numpy as np

from nn_ref import optim
from nn_ref.figures._registry import figure, new_figure


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
