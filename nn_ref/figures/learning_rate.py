"""Figures of the learning-rate slides [Learning rate: large value vs small value, Learning rate
schedule, Cyclical Learning Rate].

Every curve is computed: gradient descent by ``nn_ref.optim.gradient_descent`` (the slide's
Algorithm 1), learning rates by the schedules of ``nn_ref.schedules``, the CLR table's runs by
``nn_ref.train`` on scikit-learn's digits.
"""

import numpy as np
from matplotlib.ticker import FuncFormatter

from nn_ref import optim
from nn_ref.figures._registry import figure, new_figure
from nn_ref.figures.style import MIN_PT, PANEL_H, ROLE, SLIDE_H, band, end_labels, fmt, pm, sci

# --------------------------------------------------------------------------------------------
# Learning rate: large value vs small value
# --------------------------------------------------------------------------------------------


def _cost_theta_squared(theta):
    """J(theta) = theta^2."""
    return theta * theta


def _grad_theta_squared(theta):
    """dJ/dtheta = 2 theta."""
    return 2.0 * theta


LR_PANELS = (
    ("Slow learning rate", "converges, but very slowly"),
    ("Good learning rate", "near the minimum in a few steps"),
    ("Fast learning rate", "overshoots: the cost keeps increasing"),
)
# For J = theta^2 the update is theta <- (1 - 2 eta) theta: eta = 0.5 lands on the minimum in one step (the
# optimum), 0 < eta < 1 converges, eta > 1 diverges. The slide's middle value, 0.3, is good, not optimal.


@figure(
    "lr_too_small_good_large",
    slide="Learning rate: large value vs small value",
)
def lr_too_small_good_large(quick=False, theta0=-3.0, learning_rates=(0.05, 0.3, 1.05), steps=10):
    """J(theta) = theta^2 from theta0, ``steps`` gradient-descent updates theta <- theta - eta * 2 theta
    for each eta (slow, good, fast); theta_k = (1 - 2 eta)^k theta0, so eta = 0.5 would be optimal (one
    step). Ten steps are already tiny, so ``quick`` changes nothing."""
    runs = {}
    for eta in learning_rates:
        # criteria far below any step taken here: exactly ``steps`` updates are made
        res = optim.gradient_descent(
            _grad_theta_squared, theta0, eta, criteria=1e-300, max_steps=steps, f=_cost_theta_squared
        )
        runs[eta] = {"theta": res["path"], "J": res["f"], "steps": res["steps"]}

    fig, axes = new_figure(2, 2)
    roles = ("LR_SLOW", "LR_GOOD", "LR_FAST")
    for ax, eta, (title, caption), role in zip(axes.ravel(), learning_rates, LR_PANELS, roles):
        theta, J = runs[eta]["theta"], runs[eta]["J"]
        color = ROLE[role]
        reach = max(abs(theta).max(), abs(theta0)) * 1.1
        grid = np.linspace(-reach, reach, 400)
        ax.plot(grid, _cost_theta_squared(grid), color=ROLE["FUNCTION"], lw=2)
        for k in range(len(theta) - 1):
            ax.annotate(
                "",
                xy=(theta[k + 1], J[k + 1]),
                xytext=(theta[k], J[k]),
                arrowprops=dict(arrowstyle="->", color=color, lw=1.4),
            )
        ax.plot(theta, J, "o", color=color, ms=6)
        ax.plot(theta[0], J[0], "o", color="black", ms=8)
        ax.set_title(f"{title.split()[0].lower()}: $\\eta$ = {eta:g}, {caption}", fontsize=15)
        ax.set_xlabel(r"weight $\theta$")
        ax.set_ylabel(r"cost $J(\theta)$")
    ax = axes[1, 1]
    for eta, role in zip(learning_rates, roles):
        J = runs[eta]["J"]
        ax.semilogy(np.arange(len(J)), J, "o-", color=ROLE[role], ms=5)
    end_labels(
        ax,
        [(runs[eta]["J"][-1], f"$\\eta$ = {eta:g}", ROLE[role]) for eta, role in zip(learning_rates, roles)],
        min_gap=0.12,
    )
    ax.set_xlabel("step")
    ax.set_ylabel(r"$J(\theta)$, log scale")
    optimal = 1.0 / _grad_theta_squared(1.0)  # 1 / J'' = 0.5: theta <- (1 - 2 eta) theta is 0 after one step
    ax.set_title(f"cost per step ($\\eta$ = {optimal:g} would be optimal: one step)", fontsize=15)
    slow, good, fast = (runs[eta]["J"] for eta in learning_rates)
    fig.suptitle(
        f"After {steps} steps from $\\theta_0$ = {fmt(theta0)}: $J$ = {slow[-1]:.2f} (slow), "
        f"{sci(float(good[-1]), 1)} (good), {sci(float(fast[-1]), 1)} (too large)"
    )

    key = {}
    for eta in learning_rates:
        J = runs[eta]["J"]
        key[f"eta={eta:g}"] = {
            "J0": float(J[0]),
            "J_last": float(J[-1]),
            "steps": int(runs[eta]["steps"]),
            "ratio_J_last_J0": float(J[-1] / J[0]),
            "rises_every_step": bool(np.all(np.diff(J) > 0)),
            "falls_every_step": bool(np.all(np.diff(J) < 0)),
        }
    key["optimal_eta"] = optimal
    return fig, {"runs": runs, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Learning rate schedule (decay table)
# --------------------------------------------------------------------------------------------


def _decay_schedules(lr0, t_max, inverse_gamma, exp_gamma, milestones, step_gamma):
    """The slide's decay functions, built by ``nn_ref.schedules``:
    label -> (schedule, equation in the slide's notation, colour role, drawn as steps)."""
    from nn_ref import schedules

    div = 1 / step_gamma
    return {
        f"inverse, γ = {inverse_gamma:g}": (
            schedules.inverse(lr0, inverse_gamma),
            r"$\alpha_0/(1+\gamma t)$",
            "INVERSE",
            False,
        ),
        f"exponential, γ = {exp_gamma:g}": (
            schedules.exponential(lr0, exp_gamma),
            r"$\alpha_0 e^{-\gamma t}$",
            "EXPONENTIAL",
            False,
        ),
        "polynomial, n = 1": (schedules.polynomial(lr0, t_max, 1), r"$\alpha_0(1-t/t_{max})$", "POLY1", False),
        "polynomial, n = 2": (schedules.polynomial(lr0, t_max, 2), r"$\alpha_0(1-t/t_{max})^2$", "POLY2", False),
        f"multi-step, γ = {div:g} at t = {'/'.join(str(m) for m in milestones)}": (
            schedules.multistep(lr0, milestones, step_gamma),
            r"$\alpha_0/\gamma^{n}$",
            "MULTISTEP",
            True,
        ),
        f"cosine, T = {t_max:g}": (
            schedules.cosine(lr0, t_max),
            r"$\frac{\alpha_0}{2}(1+\cos\frac{\pi t}{T})$",
            "COSINE",
            False,
        ),
    }


@figure(
    "lr_decay_schedules",
    slide="Learning rate schedule",
)
def lr_decay_schedules(
    quick=False, lr0=0.1, t_max=100, inverse_gamma=0.1, exp_gamma=0.05, milestones=(30, 60, 90), step_gamma=0.1
):
    """alpha_t for t = 0..t_max under each decay function of the slide's table, from ``nn_ref.schedules``
    (linear and log axes; multi-step drawn as steps, n = the number of milestones passed).
    Cheap: ``quick`` changes nothing."""
    t = np.arange(0, int(t_max) + 1)
    built = _decay_schedules(lr0, t_max, inverse_gamma, exp_gamma, milestones, step_gamma)
    curves = {label: sched(t) for label, (sched, *_) in built.items()}

    fig, axes = new_figure(1, 2, height=PANEL_H + 1.3)
    for ax, log in zip(axes, (False, True)):
        for label, (_, eq, role, steps) in built.items():
            lr = curves[label]
            keep = lr > 0 if log else np.ones_like(lr, dtype=bool)  # log axis: no 0 at t = t_max
            kw = dict(
                color=ROLE[role],
                label=f"{label}: {eq}",
                lw=2.6 if steps else 2.2,
                ls="-" if role not in ("POLY2", "COSINE") else "--",
            )
            if steps:
                ax.step(t[keep], lr[keep], where="post", **kw)
            else:
                ax.plot(t[keep], lr[keep], **kw)
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel(r"learning rate $\alpha_t$")
        ax.set_xlim(0, t_max)
        if log:
            ax.set_yscale("log")
            ax.set_title("log scale (0 at $t = t_{max}$ not drawn)")
        else:
            ax.set_ylim(0, lr0 * 1.05)
            ax.set_title("linear scale")
        # each panel file names its curves (the equations are below): on the log axis at the right ends, apart;
        # on the linear axis five of the six end within 0.01 of 0, so a key in the empty upper right instead
        ends, shorts = [], []
        for label, (_, _, role, _) in built.items():
            lr = curves[label]
            short = label.split(",")[0] if role not in ("POLY1", "POLY2") else f"poly, n = {role[-1]}"
            ends.append((lr[lr > 0][-1], short, ROLE[role]))
            shorts.append(short)
        if log:
            end_labels(ax, ends, min_gap=0.115, top=0.97)
        else:
            ax.legend(
                ax.get_lines(),
                shorts,
                loc="upper right",
                frameon=False,
                handlelength=1.2,
                labelspacing=0.2,
                borderaxespad=0.0,
            )
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncol=3,
        frameon=False,
        handlelength=1.8,
        columnspacing=1.2,
    )
    multi = curves[next(k for k in curves if k.startswith("multi-step"))]
    drops = [int(i + 1) for i in np.flatnonzero(np.diff(multi) < 0)]
    fig.suptitle(
        f"Decay schedules from $\\alpha_0$ = {lr0:g}: multi-step drops {len(drops)} times, "
        f"polynomial and cosine reach 0 at $t$ = {int(t_max)}"
    )
    key = {
        "t_max": int(t_max),
        "lr_at_t_max": {label: float(v[-1]) for label, v in curves.items()},
        "lr_at_0": {label: float(v[0]) for label, v in curves.items()},
        "multistep_drops": len(drops),
        "multistep_drop_iterations": drops,
    }
    return fig, {"t": t, "curves": curves, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Cyclical Learning Rate
# --------------------------------------------------------------------------------------------


@figure(
    "clr_triangular",
    slide="Cyclical Learning Rate",
)
def clr_triangular(quick=False, base_lr=0.001, max_lr=0.006, step_size=2000, iterations=12000, exp_range_gamma=0.99994):
    """Smith 2015's cyclical policies from ``nn_ref.schedules.cyclical``: triangular, triangular2 and
    exp_range over ``iterations`` updates. Cheap: ``quick`` changes nothing."""
    from nn_ref import schedules

    t = np.arange(0, int(iterations) + 1)
    modes = {
        "triangular": schedules.cyclical(base_lr, max_lr, step_size, "triangular"),
        "triangular2": schedules.cyclical(base_lr, max_lr, step_size, "triangular2"),
        "exp_range": schedules.cyclical(base_lr, max_lr, step_size, "exp_range", gamma=exp_range_gamma),
    }
    curves = {mode: sched(t) for mode, sched in modes.items()}

    fig, axes = new_figure(2, 2)
    roles = {"triangular": ("TRIANGULAR", "-"), "triangular2": ("TRIANGULAR2", "-"), "exp_range": ("EXP_RANGE", "--")}
    for ax, (mode, lr) in zip(axes.ravel(), curves.items()):
        role, ls = roles[mode]
        ax.plot(t, lr, color=ROLE[role], ls=ls)
        extra = f", γ = {exp_range_gamma:g}" if mode == "exp_range" else ""
        ax.set_title(f"{mode}{extra}")
    ax = axes[1, 1]
    for mode, lr in curves.items():
        role, ls = roles[mode]
        ax.plot(t, lr, color=ROLE[role], ls=ls, lw=2.0)
    end_labels(ax, [(curves[m][int(3 * step_size)], m, ROLE[roles[m][0]]) for m in curves], min_gap=0.12)
    ax.set_title("all three")
    for ax in axes.ravel():
        ax.axhline(base_lr, color=ROLE["BOUND"], ls=":", lw=1.2)
        ax.axhline(max_lr, color=ROLE["BOUND"], ls=":", lw=1.2)
        ax.set_ylim(0, max_lr * 1.12)
        ax.set_xlim(0, t[-1])
        ax.set_xlabel("iteration")
        ax.set_ylabel("learning rate")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3f}"))
    fig.suptitle(
        f"Cyclical LR (step {int(step_size):,}): triangular2 halves the peak each cycle, exp_range shrinks it by γᵗ"
    )

    n_cycles = int(iterations // (2 * step_size))
    peaks = {
        mode: [float(curves[mode][int((2 * k - 1) * step_size)]) for k in range(1, n_cycles + 1)] for mode in curves
    }
    key = {
        mode: {
            "lr_0": float(curves[mode][0]),
            "lr_step": float(curves[mode][int(step_size)]),
            "lr_2step": float(curves[mode][int(2 * step_size)]),
            "cycle_peaks": peaks[mode],
        }
        for mode in curves
    }
    return fig, {"t": t, "curves": curves, "key_numbers": key}


# --------------------------------------------------------------------------------------------
# Cyclical Learning Rate (table): the lecture's rows beside nn-ref's own runs on the digits
# --------------------------------------------------------------------------------------------

# Smith 2015, Table 1, as the lecture's slide quotes it: (dataset, LR policy, iterations, accuracy %).
LECTURE_CLR_TABLE = (
    ("CIFAR-10", "fixed", 70_000, 81.4),
    ("CIFAR-10", "triangular2", 25_000, 81.4),
    ("CIFAR-10", "decay", 25_000, 78.5),
    ("CIFAR-10", "exp", 70_000, 79.1),
    ("CIFAR-10", "exp_range", 42_000, 82.2),
    ("AlexNet", "fixed", 400_000, 58.0),
    ("AlexNet", "triangular2", 400_000, 58.4),
    ("AlexNet", "exp", 300_000, 56.0),
    ("AlexNet", "exp", 460_000, 56.5),
    ("AlexNet", "exp_range", 300_000, 56.5),
    ("GoogLeNet", "fixed", 420_000, 63.0),
    ("GoogLeNet", "triangular2", 420_000, 64.4),
    ("GoogLeNet", "exp", 240_000, 58.2),
    ("GoogLeNet", "exp_range", 240_000, 60.2),
)


def clr_rows(runs, budget):
    """Smith's table rows from the runs: the target is the fixed policy's final test accuracy; a
    policy's "iterations" is the first evaluated iteration whose test accuracy reaches the target
    (its accuracy there), or the whole budget and its final accuracy when it never does. The fixed
    row is the budget and its final accuracy, as in Smith's table. Every row also has "first_hit":
    the first evaluated iteration that reaches the target (for fixed: its own first hit of its final
    accuracy -- the honest baseline for "how much sooner"), None when never."""
    target = float(runs["fixed"]["test_accuracy"][-1])
    rows = []
    for policy, run in runs.items():
        acc, its = run["test_accuracy"], run["iterations"]
        hits = np.flatnonzero(acc >= target)
        first_hit = int(its[hits[0]]) if hits.size else None
        if policy != "fixed" and hits.size:
            i = int(hits[0])
            row = {"policy": policy, "iterations": int(its[i]), "accuracy": float(acc[i]), "reached": True}
        else:
            row = {"policy": policy, "iterations": int(budget), "accuracy": float(acc[-1])}
            row["reached"] = policy == "fixed"
        rows.append({**row, "final_accuracy": float(acc[-1]), "first_hit": first_hit})
    return target, rows


def _draw_table(ax, header, cells, title, col_widths=None):
    """A clean table (header shaded, thin rules) of ``cells`` in ``ax`` (axes hidden)."""
    ax.axis("off")
    table = ax.table(
        cellText=cells,
        colLabels=header,
        loc="upper center",
        cellLoc="center",
        colWidths=col_widths,
        bbox=[0.0, 0.0, 1.0, 0.98],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(MIN_PT)
    for (r, _), cell in table.get_celld().items():
        cell.set_edgecolor("0.85")
        cell.set_linewidth(0.6)
        if r == 0:
            cell.set_facecolor("#E8E8E8")
            cell.set_text_props(weight="bold")
        elif r % 2 == 0:
            cell.set_facecolor("#F6F6F6")
    ax.set_title(title)
    return table


_POLICY_STYLE = {
    "fixed": ("FIXED", "-"),
    "triangular2": ("TRIANGULAR2", "-"),
    "exp": ("EXP", ":"),
    "exp_range": ("EXP_RANGE", "--"),
}


def _clr_runs(policies, layer_dims, batch_size, epochs, per_epoch, data, seed):
    """One training run per policy (``Trainer``, plain SGD, ``seed`` for the initial parameters and
    the shuffling): {policy: {"test_accuracy", "lr", "iterations", "updates", "schedule"}}."""
    from nn_ref.train import Trainer

    X_train, Y_train, X_test, Y_test = data
    runs = {}
    for policy, schedule in policies.items():
        trainer = Trainer(
            list(layer_dims),
            "relu",
            "softmax",
            optimizer="sgd",
            learning_rate=schedule,
            batch_size=batch_size,
            seed=seed,
            progress=False,
        )
        history = trainer.fit(X_train, Y_train, epochs, X_test, Y_test)
        runs[policy] = {
            "test_accuracy": np.array(history["val_accuracy"]),
            "lr": np.array(history["lr"]),
            "iterations": per_epoch * np.arange(1, epochs + 1),
            "updates": trainer.t,
            "schedule": repr(schedule),
        }
    return runs


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0


@figure(
    "clr_table",
    slide="Cyclical Learning Rate",
    seed=0,
)
def clr_table(
    quick=False,
    layer_dims=(64, 64, 10),
    batch_size=32,
    epochs=40,
    base_lr=0.05,
    max_lr=0.3,
    step_epochs=4,
    smith_gamma=0.99994,
    smith_step=2000,
    seeds=(0, 1, 2, 3, 4),
    seed=0,
):
    """Smith 2015's Table 1 (as the lecture quotes it) beside nn-ref's own runs on the digits (fixed
    seeded 80/20 split, ``seed``), with Smith's CIFAR-10 recipe scaled to this data: plain SGD, the
    fixed policy at base_lr, triangular2 and exp_range between base_lr and max_lr = 6 base_lr with a
    step of 4 epochs (Smith: 2000 iterations = 4 epochs of CIFAR-10), exp = base_lr gamma^t; gamma
    per iteration such that gamma^step = 0.99994^2000, as in Smith's exp_range. Every policy is run
    from each of ``seeds`` (initial parameters and shuffling); test accuracy after every epoch;
    per seed, iterations to reach that seed's fixed-policy final accuracy (``clr_rows``). The plot
    shows the mean over the seeds and the min..max band; key numbers are mean and std over seeds.
    quick: 8 epochs."""
    from nn_ref import schedules

    if quick:
        epochs = 8
    data = _digits_split(seed)
    X_train, X_test = data[0], data[2]
    per_epoch = -(-X_train.shape[1] // batch_size)
    step = step_epochs * per_epoch
    gamma = smith_gamma ** (smith_step / step)
    policies = {
        "fixed": schedules.constant(base_lr),
        "triangular2": schedules.cyclical(base_lr, max_lr, step, "triangular2"),
        "exp": schedules.exponential(base_lr, -np.log(gamma)),
        "exp_range": schedules.cyclical(base_lr, max_lr, step, "exp_range", gamma=gamma),
    }
    budget = epochs * per_epoch
    seed_runs, seed_rows, targets = [], [], []
    for s in seeds:
        runs_s = _clr_runs(policies, layer_dims, batch_size, epochs, per_epoch, data, s)
        target_s, rows_s = clr_rows(runs_s, budget)
        seed_runs.append(runs_s)
        seed_rows.append(rows_s)
        targets.append(target_s)
    runs, rows, target = seed_runs[0], seed_rows[0], targets[0]
    m_test = X_test.shape[1]

    summary = {}
    for j, policy in enumerate(policies):
        final = [r[j]["final_accuracy"] for r in seed_rows]
        reached = [r[j]["iterations"] for r in seed_rows if r[j]["reached"] and policy != "fixed"]
        summary[policy] = {
            "final_accuracy_mean": _mean_std(final)[0],
            "final_accuracy_std": _mean_std(final)[1],
            "final_accuracy_min": float(min(final)),
            "final_accuracy_max": float(max(final)),
            "seeds_reaching_target": len(reached) if policy != "fixed" else len(seeds),
        }
        if policy != "fixed":
            summary[policy]["iterations_to_target_mean"] = _mean_std(reached)[0] if reached else None
            summary[policy]["iterations_to_target_std"] = _mean_std(reached)[1] if reached else None
        else:  # the baseline: the fixed policy's own first hit of its final accuracy
            own = [r[j]["first_hit"] for r in seed_rows]
            summary[policy]["first_hit_mean"], summary[policy]["first_hit_std"] = _mean_std(own)

    fig, axes = new_figure(mosaic=[["table", "acc"], ["table", "lr"]], height=SLIDE_H)
    lecture_cells = [[d, p, f"{i:,}", f"{a:.1f}"] for d, p, i, a in LECTURE_CLR_TABLE]
    _draw_table(
        axes["table"],
        ["data", "policy", "iterations", "acc. %"],
        lecture_cells,
        "the lecture's table (Smith 2015, Table 1)",
        col_widths=[0.27, 0.29, 0.24, 0.20],
    )
    ax_acc, ax_lr = axes["acc"], axes["lr"]
    x = runs["fixed"]["iterations"]
    labels = []
    for policy in policies:
        role, ls = _POLICY_STYLE[policy]
        acc = 100 * np.array([r[policy]["test_accuracy"] for r in seed_runs])
        mean, _, _ = band(ax_acc, x, acc, ROLE[role], ls=ls)
        sm = summary[policy]
        labels.append(
            (mean[-1], f"{policy}\n{pm(sm['final_accuracy_mean'], sm['final_accuracy_std'], 1, 100)} %", ROLE[role])
        )
    lo = float(min(100 * r[p]["test_accuracy"].min() for r in seed_runs for p in policies))
    ax_acc.set_ylim(np.floor(lo) - 1, 100)
    ax_acc.set_xlim(0, budget)
    ax_acc.set(xlabel="iteration", ylabel="test accuracy %")
    ax_acc.set_title(f"nn-ref, digits: mean of {len(seeds)} seeds, min..max band", loc="left")
    end_labels(ax_acc, labels, min_gap=0.24, top=0.9)
    for policy, run in runs.items():
        role, ls = _POLICY_STYLE[policy]
        ax_lr.plot(np.arange(run["updates"]), run["lr"], color=ROLE[role], ls=ls, lw=2.2)
    peak2 = 3 * step  # the second peak tells triangular2 from exp_range
    lr_labels = [
        (
            runs[p]["lr"][min(peak2, runs[p]["updates"] - 1)]
            if p in ("triangular2", "exp_range")
            else runs[p]["lr"][-1],
            p,
            ROLE[_POLICY_STYLE[p][0]],
        )
        for p in policies
    ]
    ax_lr.set_xlim(0, budget)
    ax_lr.set_ylim(0, max_lr * 1.08)
    ax_lr.set(xlabel="iteration", ylabel=r"learning rate $\alpha_t$")
    ax_lr.set_title(f"the policies (step {step} iterations = {step_epochs} epochs)", loc="left")
    end_labels(ax_lr, [(v, p, c) for v, p, c in lr_labels], min_gap=0.16)

    best = min(
        (p for p in policies if p != "fixed" and summary[p]["iterations_to_target_mean"] is not None),
        key=lambda p: summary[p]["iterations_to_target_mean"],
        default=None,
    )
    if best is not None:
        sb, sf = summary[best], summary["fixed"]
        speedup = sf["first_hit_mean"] / sb["iterations_to_target_mean"]
        hit = pm(sb["iterations_to_target_mean"], sb["iterations_to_target_std"], 0)
        own = pm(sf["first_hit_mean"], sf["first_hit_std"], 0)
        msg = (
            f"{best} reaches the fixed policy's final accuracy {speedup:.1f}× sooner than fixed itself:\n"
            f"{hit} vs {own} iterations (mean ± std, {sb['seeds_reaching_target']}/{len(seeds)} seeds)"
        )
    else:
        msg = "no cyclical policy reaches the fixed policy's final accuracy"
    fig.suptitle(msg)
    fig.supxlabel(
        f"Smith's CIFAR-10 recipe scaled to {X_train.shape[1]} training digits: MLP "
        f"{'-'.join(map(str, layer_dims))}, SGD, batch {batch_size}, {per_epoch} iterations per epoch;\n"
        f"fixed α = {base_lr:g}; triangular2 and exp_range between {base_lr:g} and {max_lr:g}; "
        f"exp {base_lr:g}·γᵗ with γ = {gamma:.5f} (γ^step = {smith_gamma:g}^{smith_step}).\n"
        f"Accuracy: mean ± std over {len(seeds)} seeds; one test image = {100 / m_test:.2f} %.",
        fontsize=MIN_PT,
        color=ROLE["NOTE"],
    )
    key = {
        "budget_iterations": budget,
        "iterations_per_epoch": per_epoch,
        "step_size": step,
        "gamma": gamma,
        "seeds": list(seeds),
        "test_images": m_test,
        "target_accuracy_per_seed": targets,
        "policies": summary,
        "speedup_vs_fixed_first_hit": (
            summary["fixed"]["first_hit_mean"] / summary[best]["iterations_to_target_mean"] if best else None
        ),
        "fastest_policy": best,
        "rows_per_seed": [
            [
                {k: r[k] for k in ("policy", "iterations", "accuracy", "reached", "final_accuracy", "first_hit")}
                for r in rows_s
            ]
            for rows_s in seed_rows
        ],
    }
    return fig, {
        "runs": runs,
        "rows": rows,
        "target": target,
        "budget": budget,
        "lecture_rows": LECTURE_CLR_TABLE,
        "seed_runs": seed_runs,
        "seed_rows": seed_rows,
        "summary": summary,
        "policies": policies,
        "base_lr": base_lr,
        "max_lr": max_lr,
        "step": step,
        "gamma": gamma,
        "table_cells": lecture_cells,
        "title": msg,
        "key_numbers": key,
    }


def _digits_split(seed=0):
    """scikit-learn's digits (pixels / 16), the fixed seeded 80/20 split of ``datasets.train_test_split``."""
    from nn_ref import datasets

    X, Y = datasets.digits()
    return datasets.train_test_split(X, Y, test_fraction=0.2, seed=seed)
