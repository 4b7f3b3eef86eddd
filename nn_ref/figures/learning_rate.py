"""Figures of the learning-rate slides [Learning rate: large value vs small value, Learning rate
schedule, Cyclical Learning Rate].

Every curve is computed: gradient descent by ``nn_ref.optim.gradient_descent`` (the slide's
Algorithm 1), learning rates by the schedules of ``nn_ref.schedules``, the CLR table's runs by
``nn_ref.train`` on scikit-learn's digits.
"""
import numpy as np

from nn_ref import optim
from nn_ref.figures._registry import figure, new_figure


# --------------------------------------------------------------------------------------------
# Learning rate: large value vs small value
# --------------------------------------------------------------------------------------------

def _cost_theta_squared(theta):
    """J(theta) = theta^2."""
    return theta * theta


def _grad_theta_squared(theta):
    """dJ/dtheta = 2 theta."""
    return 2.0 * theta


LR_PANELS = (("Slow learning rate", "converges, but very slowly"),
             ("Optimum learning rate", "reaches the minimum in a few steps"),
             ("Fast learning rate", "overshoots: the cost keeps increasing"))


@figure("lr_too_small_good_large", slide="Learning rate: large value vs small value",
        params={"theta0": -3.0, "learning_rates": [0.05, 0.3, 1.05], "steps": 10})
def lr_too_small_good_large(quick=False, theta0=-3.0, learning_rates=(0.05, 0.3, 1.05), steps=10):
    """J(theta) = theta^2 from theta0, ``steps`` gradient-descent updates theta <- theta - eta * 2 theta
    for each eta (slow, optimum, fast). Ten steps are already tiny, so ``quick`` changes nothing."""
    runs = {}
    for eta in learning_rates:
        # criteria far below any step taken here: exactly ``steps`` updates are made
        res = optim.gradient_descent(_grad_theta_squared, theta0, eta, criteria=1e-300,
                                     max_steps=steps, f=_cost_theta_squared)
        runs[eta] = {"theta": res["path"], "J": res["f"], "steps": res["steps"]}

    fig, axes = new_figure(1, len(learning_rates), width=12.0, height=4.0)
    for ax, eta, (title, caption) in zip(np.atleast_1d(axes), learning_rates, LR_PANELS):
        theta, J = runs[eta]["theta"], runs[eta]["J"]
        reach = max(abs(theta).max(), abs(theta0)) * 1.1
        grid = np.linspace(-reach, reach, 400)
        ax.plot(grid, _cost_theta_squared(grid), color="0.35", lw=1.5, label=r"$J(\theta)=\theta^2$")
        for k in range(len(theta) - 1):
            ax.annotate("", xy=(theta[k + 1], J[k + 1]), xytext=(theta[k], J[k]),
                        arrowprops=dict(arrowstyle="->", color="#d62728", lw=1.0))
        ax.plot(theta, J, "o", color="#d62728", ms=4, label=f"{len(theta) - 1} GD steps")
        ax.plot(theta[0], J[0], "o", color="black", ms=6, label=f"start θ = {theta0:g}")
        ax.set_title(f"{title}: η = {eta:g}\n{caption}")
        ax.set_xlabel("Weight θ")
        ax.set_ylabel("Cost J(θ)")
        ax.legend(loc="upper center")
    fig.suptitle("Learning rate: large value vs small value (J(θ) = θ², θ₀ = %g, %d steps)" % (theta0, steps))

    key = {}
    for eta in learning_rates:
        J = runs[eta]["J"]
        key[f"eta={eta:g}"] = {"J0": float(J[0]), "J_last": float(J[-1]), "steps": int(runs[eta]["steps"]),
                               "ratio_J_last_J0": float(J[-1] / J[0]),
                               "rises_every_step": bool(np.all(np.diff(J) > 0)),
                               "falls_every_step": bool(np.all(np.diff(J) < 0))}
    return fig, {"runs": runs, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Learning rate schedule (decay table)
# --------------------------------------------------------------------------------------------

def _decay_schedules(lr0, t_max, inverse_gamma, exp_gamma, milestones, step_gamma):
    """The slide's decay functions, built by ``nn_ref.schedules`` (label -> (schedule, equation))."""
    from nn_ref import schedules
    return {
        f"inverse γ={inverse_gamma:g}": (schedules.inverse(lr0, inverse_gamma), r"$\alpha_0/(1+\gamma t)$"),
        f"exponential γ={exp_gamma:g}": (schedules.exponential(lr0, exp_gamma), r"$\alpha_0 e^{-\gamma t}$"),
        "polynomial n=1 (linear)": (schedules.polynomial(lr0, t_max, 1), r"$\alpha_0(1-t/t_{\max})$"),
        "polynomial n=2": (schedules.polynomial(lr0, t_max, 2), r"$\alpha_0(1-t/t_{\max})^2$"),
        "multi-step ÷%g at %s" % (1 / step_gamma, "/".join(str(m) for m in milestones)):
            (schedules.multistep(lr0, milestones, step_gamma), r"$\alpha_0\gamma^{n}$"),
        f"cosine T={t_max:g}": (schedules.cosine(lr0, t_max), r"$\frac{\alpha_0}{2}(1+\cos\frac{\pi t}{T})$"),
    }


@figure("lr_decay_schedules", slide="Learning rate schedule",
        params={"lr0": 0.1, "t_max": 100, "inverse_gamma": 0.1, "exp_gamma": 0.05,
                "milestones": [30, 60, 90], "step_gamma": 0.1})
def lr_decay_schedules(quick=False, lr0=0.1, t_max=100, inverse_gamma=0.1, exp_gamma=0.05,
                       milestones=(30, 60, 90), step_gamma=0.1):
    """alpha_t for t = 0..t_max under each decay function of the slide's table, from ``nn_ref.schedules``
    (linear and log axes). Cheap: ``quick`` changes nothing."""
    t = np.arange(0, int(t_max) + 1)
    built = _decay_schedules(lr0, t_max, inverse_gamma, exp_gamma, milestones, step_gamma)
    curves = {label: sched(t) for label, (sched, _) in built.items()}

    fig, axes = new_figure(1, 2, width=12.0, height=5.2)
    for ax, log in zip(axes, (False, True)):
        for label, (sched, eq) in built.items():
            lr = curves[label]
            keep = lr > 0 if log else np.ones_like(lr, dtype=bool)  # log axis: no 0 at t = max_t
            ax.plot(t[keep], lr[keep], label=f"{label}:  {eq}")
        ax.set_xlabel("Iteration t (updates)")
        ax.set_ylabel("Learning rate $\\alpha_t$")
        if log:
            ax.set_yscale("log")
            ax.set_title("Log scale (polynomial and cosine reach 0 at t = t_max: not drawn there)")
        else:
            ax.set_title("Linear scale")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle(f"Learning rate schedule: decay functions, α₀ = {lr0:g}, t = 0..{int(t_max)}")

    multi = curves[next(k for k in curves if k.startswith("multi-step"))]
    key = {"t_max": int(t_max),
           "lr_at_t_max": {label: float(v[-1]) for label, v in curves.items()},
           "lr_at_0": {label: float(v[0]) for label, v in curves.items()},
           "multistep_drops": int(np.count_nonzero(np.diff(multi) < 0)),
           "multistep_drop_iterations": [int(i + 1) for i in np.flatnonzero(np.diff(multi) < 0)]}
    return fig, {"t": t, "curves": curves, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Cyclical Learning Rate
# --------------------------------------------------------------------------------------------

@figure("clr_triangular", slide="Cyclical Learning Rate",
        params={"base_lr": 0.001, "max_lr": 0.006, "step_size": 2000, "iterations": 12000,
                "exp_range_gamma": 0.99994})
def clr_triangular(quick=False, base_lr=0.001, max_lr=0.006, step_size=2000, iterations=12000,
                   exp_range_gamma=0.99994):
    """Smith 2015's cyclical policies from ``nn_ref.schedules.cyclical``: triangular, triangular2 and
    exp_range over ``iterations`` updates. Cheap: ``quick`` changes nothing."""
    from nn_ref import schedules
    t = np.arange(0, int(iterations) + 1)
    modes = {"triangular": schedules.cyclical(base_lr, max_lr, step_size, "triangular"),
             "triangular2": schedules.cyclical(base_lr, max_lr, step_size, "triangular2"),
             "exp_range": schedules.cyclical(base_lr, max_lr, step_size, "exp_range", gamma=exp_range_gamma)}
    curves = {mode: sched(t) for mode, sched in modes.items()}

    fig, axes = new_figure(len(modes), 1, width=9.0, height=7.0, sharex=True)
    colors = ("#1f77b4", "#d62728", "#2ca02c")
    for ax, (mode, lr), color in zip(axes, curves.items(), colors):
        ax.plot(t, lr, color=color)
        ax.axhline(base_lr, color="0.5", ls=":", lw=1)
        ax.axhline(max_lr, color="0.5", ls=":", lw=1)
        extra = f", γ = {exp_range_gamma:g}" if mode == "exp_range" else ""
        ax.set_title(f"{mode}{extra}", loc="left")
        ax.set_ylabel("Learning rate")
        ax.set_ylim(0, max_lr * 1.12)
        ax.set_xlim(0, t[-1])
        for value, name in ((max_lr, "max_lr"), (base_lr, "base_lr")):
            ax.text(1.01, value, name, transform=ax.get_yaxis_transform(), va="center", ha="left",
                    fontsize=8, color="0.35")
    axes[-1].set_xlabel(f"Iteration (step size = {int(step_size)})")
    fig.suptitle(f"Cyclical Learning Rate (Smith 2015): base_lr = {base_lr:g}, max_lr = {max_lr:g}")

    n_cycles = int(iterations // (2 * step_size))
    peaks = {mode: [float(curves[mode][int((2 * k - 1) * step_size)]) for k in range(1, n_cycles + 1)]
             for mode in curves}
    key = {mode: {"lr_0": float(curves[mode][0]), "lr_step": float(curves[mode][int(step_size)]),
                  "lr_2step": float(curves[mode][int(2 * step_size)]), "cycle_peaks": peaks[mode]}
           for mode in curves}
    return fig, {"t": t, "curves": curves, "key_numbers": key}
