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

    fig, axes = new_figure(1, len(learning_rates), width=12.0, height=4.4)
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
    fig.legend(*np.atleast_1d(axes)[0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
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


# --------------------------------------------------------------------------------------------
# Cyclical Learning Rate (table): the lecture's rows beside nn-ref's own runs on the digits
# --------------------------------------------------------------------------------------------

# Smith 2015, Table 1, as the lecture's slide quotes it: (dataset, LR policy, iterations, accuracy %).
LECTURE_CLR_TABLE = (
    ("CIFAR-10", "fixed", 70_000, 81.4), ("CIFAR-10", "triangular2", 25_000, 81.4),
    ("CIFAR-10", "decay", 25_000, 78.5), ("CIFAR-10", "exp", 70_000, 79.1),
    ("CIFAR-10", "exp_range", 42_000, 82.2),
    ("AlexNet", "fixed", 400_000, 58.0), ("AlexNet", "triangular2", 400_000, 58.4),
    ("AlexNet", "exp", 300_000, 56.0), ("AlexNet", "exp", 460_000, 56.5),
    ("AlexNet", "exp_range", 300_000, 56.5),
    ("GoogLeNet", "fixed", 420_000, 63.0), ("GoogLeNet", "triangular2", 420_000, 64.4),
    ("GoogLeNet", "exp", 240_000, 58.2), ("GoogLeNet", "exp_range", 240_000, 60.2),
)


def clr_rows(runs, budget):
    """Smith's table rows from the runs: the target is the fixed policy's final test accuracy; a
    policy's "iterations" is the first evaluated iteration whose test accuracy reaches the target
    (its accuracy there), or the whole budget and its final accuracy when it never does. The fixed
    row is the budget and its final accuracy, as in Smith's table."""
    target = float(runs["fixed"]["test_accuracy"][-1])
    rows = []
    for policy, run in runs.items():
        acc, its = run["test_accuracy"], run["iterations"]
        reached = np.flatnonzero(acc >= target) if policy != "fixed" else np.array([], dtype=int)
        if reached.size:
            i = int(reached[0])
            rows.append({"policy": policy, "iterations": int(its[i]), "accuracy": float(acc[i]), "reached": True,
                         "final_accuracy": float(acc[-1])})
        else:
            rows.append({"policy": policy, "iterations": int(budget), "accuracy": float(acc[-1]),
                         "reached": policy == "fixed", "final_accuracy": float(acc[-1])})
    return target, rows


def _draw_table(ax, header, cells, title, highlight=None, col_widths=None):
    ax.axis("off")
    table = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="center", colWidths=col_widths)
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1.0, 1.25)
    for (r, _), cell in table.get_celld().items():
        cell.set_edgecolor("0.75")
        if r == 0:
            cell.set_facecolor("#e8e8e8")
            cell.set_text_props(weight="bold")
        elif highlight is not None and highlight(r - 1):
            cell.set_facecolor("#fdf1d8")
    ax.set_title(title, fontsize=10.5)


@figure("clr_table", slide="Cyclical Learning Rate",
        params={"layer_dims": [64, 64, 10], "batch_size": 32, "epochs": 40, "base_lr": 0.05, "max_lr": 0.3,
                "step_epochs": 4, "smith_gamma": 0.99994, "smith_step": 2000}, seed=0)
def clr_table(quick=False, layer_dims=(64, 64, 10), batch_size=32, epochs=40, base_lr=0.05, max_lr=0.3,
              step_epochs=4, smith_gamma=0.99994, smith_step=2000, seed=0):
    """Smith 2015's Table 1 (as the lecture quotes it) beside nn-ref's own runs on the digits (fixed
    seeded 80/20 split), with Smith's CIFAR-10 recipe scaled to this data: plain SGD, the fixed
    policy at base_lr, triangular2 and exp_range between base_lr and max_lr = 6 base_lr with a step
    of 4 epochs (Smith: 2000 iterations = 4 epochs of CIFAR-10), exp = base_lr gamma^t; gamma per
    iteration such that gamma^step = 0.99994^2000, as in Smith's exp_range. Test accuracy after every
    epoch; iterations to reach the fixed policy's final accuracy (``clr_rows``). quick: 8 epochs."""
    from nn_ref import schedules
    from nn_ref.train import Trainer
    if quick:
        epochs = 8
    X_train, Y_train, X_test, Y_test = _digits_split(seed)
    per_epoch = -(-X_train.shape[1] // batch_size)
    step = step_epochs * per_epoch
    gamma = smith_gamma ** (smith_step / step)
    policies = {"fixed": schedules.constant(base_lr),
                "triangular2": schedules.cyclical(base_lr, max_lr, step, "triangular2"),
                "exp": schedules.exponential(base_lr, -np.log(gamma)),
                "exp_range": schedules.cyclical(base_lr, max_lr, step, "exp_range", gamma=gamma)}
    runs = {}
    for policy, schedule in policies.items():
        trainer = Trainer(list(layer_dims), "relu", "softmax", optimizer="sgd", learning_rate=schedule,
                          batch_size=batch_size, seed=seed, progress=False)
        history = trainer.fit(X_train, Y_train, epochs, X_test, Y_test)
        runs[policy] = {"test_accuracy": np.array(history["val_accuracy"]), "lr": np.array(history["lr"]),
                        "iterations": per_epoch * np.arange(1, epochs + 1), "updates": trainer.t,
                        "schedule": repr(schedule)}
    budget = epochs * per_epoch
    target, rows = clr_rows(runs, budget)

    fig = new_figure(1, 1, width=13.0, height=9.0)[0]
    fig.clear()
    grid = fig.add_gridspec(2, 2, height_ratios=[1.15, 1.0])
    ax_lec, ax_own = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    ax_acc, ax_lr = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    _draw_table(ax_lec, ["Dataset", "LR policy", "Iterations", "Accuracy (%)"],
                [[d, p, f"{i:,}", f"{a:.1f}"] for d, p, i, a in LECTURE_CLR_TABLE],
                "The lecture's table (Smith 2015, Table 1)")
    own = [["digits (nn-ref)", r["policy"], f"{r['iterations']:,}" + ("" if r["reached"] else " †"),
            f"{100 * r['accuracy']:.1f}", f"{100 * r['final_accuracy']:.1f}"] for r in rows]
    _draw_table(ax_own, ["Dataset", "LR policy", "Iterations", "Accuracy (%)", f"At {budget:,} its (%)"], own,
                f"nn-ref, computed now: MLP {'-'.join(map(str, layer_dims))}, SGD, batch {batch_size}\n"
                f"iterations to reach the fixed policy's final test accuracy {100 * target:.1f}%",
                highlight=lambda i: rows[i]["reached"] and rows[i]["policy"] != "fixed",
                col_widths=[0.22, 0.18, 0.17, 0.19, 0.24])
    ax_own.text(0.0, 0.52, "Iterations: the first epoch end whose test accuracy reaches the target\n(highlighted); "
                           "† not reached: the budget and the final accuracy, as in Smith's table.\n\n"
                           f"Smith's CIFAR-10 recipe scaled to {X_train.shape[1]} training images\n"
                           f"({per_epoch} iterations per epoch):\n"
                           f"  fixed: α = {base_lr:g}\n"
                           f"  triangular2, exp_range: between {base_lr:g} and {max_lr:g},\n"
                           f"    step {step} iterations ({step_epochs} epochs)\n"
                           f"  exp: {base_lr:g}·γ^t; exp_range: amplitude × γ^t;\n"
                           f"    γ = {gamma:.5f} (γ^step = {smith_gamma}^{smith_step})\n"
                           f"  budget: {budget:,} iterations ({epochs} epochs), seed {seed}, float64",
                transform=ax_own.transAxes, ha="left", va="top", fontsize=8.5, wrap=False,
                bbox=dict(boxstyle="round", fc="#f7f7f7", ec="0.8"))
    colors = {"fixed": "#1f77b4", "triangular2": "#d62728", "exp": "#2ca02c", "exp_range": "#ff7f0e"}
    for policy, run in runs.items():
        ax_acc.plot(run["iterations"], 100 * run["test_accuracy"], color=colors[policy], label=policy)
        ax_lr.plot(np.arange(run["updates"]), run["lr"], color=colors[policy], label=policy,
                   lw=1.2 if policy != "fixed" else 2.0)
    for r in rows:
        if r["reached"] and r["policy"] != "fixed":
            ax_acc.plot(r["iterations"], 100 * r["accuracy"], "o", color=colors[r["policy"]], ms=7, mfc="white")
    ax_acc.axhline(100 * target, color="0.4", ls=":", lw=1, label=f"target {100 * target:.1f}% (fixed, final)")
    lo = min(100 * run["test_accuracy"][min(2, epochs - 1)] for run in runs.values())
    ax_acc.set(xlabel="Iteration", ylabel="Test accuracy (%)", title="Test accuracy after every epoch",
               ylim=(max(0, lo - 2), 100))
    ax_acc.legend(loc="lower right", fontsize=8)
    ax_lr.set(xlabel="Iteration", ylabel="Learning rate", title=f"Learning-rate policies (step size {step} iterations)")
    ax_lr.legend(loc="upper right", fontsize=8)
    fig.suptitle("Cyclical Learning Rate: Smith's table beside nn-ref's own runs on the digits data", fontsize=12)
    key = {"target_accuracy": target, "budget_iterations": budget, "iterations_per_epoch": per_epoch,
           "step_size": step, "gamma": gamma,
           "rows": [{k: r[k] for k in ("policy", "iterations", "accuracy", "reached", "final_accuracy")} for r in rows]}
    return fig, {"runs": runs, "rows": rows, "target": target, "budget": budget, "lecture_rows": LECTURE_CLR_TABLE,
                 "policies": policies, "base_lr": base_lr, "max_lr": max_lr, "step": step, "gamma": gamma,
                 "table_cells": own, "key_numbers": key}


def _digits_split(seed=0):
    """scikit-learn's digits (pixels / 16), the fixed seeded 80/20 split of ``datasets.train_test_split``."""
    from nn_ref import datasets
    X, Y = datasets.digits()
    return datasets.train_test_split(X, Y, test_fraction=0.2, seed=seed)
