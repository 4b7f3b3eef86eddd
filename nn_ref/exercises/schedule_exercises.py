"""Exercises for the lecture's "Cyclical Learning Rate" and "Effective Mini-batch" (gradient
accumulation): cyclical_lr, accumulate_gradients."""

import numpy as np

from nn_ref import optim, schedules
from nn_ref.backend import use_backend
from nn_ref.exercises.core import Case, Exercise, _copy_params, _dict_outputs, _fresh, _number, _register, _rng

# ---------------------------------------------------------------------------- schedules, accumulation


def _clr_call(fn, args):
    ts, base_lr, max_lr, step_size = args
    return [fn(int(t), base_lr, max_lr, step_size) for t in ts]


def _clr_outputs(values, case):
    """The learning rates at t = 0, 1, ... as an array: each one a number (a float, or an array of one entry)."""
    return {"lr": np.array([_number(v, f"lr at t = {t}") for t, v in enumerate(values)])}


def _clr_ref(t, base_lr, max_lr, step_size):
    return schedules.cyclical(base_lr, max_lr, step_size, mode="triangular")(t)


def _clr_cases(seed):
    cases = []
    for base, top, step in ((0.001, 0.006, 5), (0.1, 0.5, 3), (0.01, 0.02, 7)):
        ts = np.arange(0, 6 * step + 1)
        cases.append(
            Case(
                f"base_lr = {base}, max_lr = {top}, step_size = {step}, t = 0 .. {ts[-1]}",
                _fresh(ts, base, top, step),
                {"ts": ts, "base": base, "top": top, "step": step},
                None,
            )
        )
    return cases


def _clr_hyp(case):
    ts, base, top, step = (case.context[k] for k in ("ts", "base", "top", "step"))
    x = np.abs(ts / step - 2 * np.floor(1 + ts / (2 * step)) + 1)
    return [
        (
            "the cycle is step_size long: step_size is half a cycle (cycle = floor(1 + t / (2 step_size)))",
            {"lr": schedules.cyclical(base, top, step / 2)(ts)},
        ),
        (
            "the phase is inverted (starts at max_lr): lr = base_lr + (max_lr - base_lr) max(0, 1 - x)",
            {"lr": base + (top - base) * np.minimum(1, x)},
        ),
        (
            "the learning rate never leaves base_lr: cycle = floor(1 + t / (2 step_size)) needs the floor",
            {"lr": np.full(ts.shape, base)},
        ),
    ]


_register(
    Exercise(
        "cyclical_lr",
        "cyclical_lr(t, base_lr, max_lr, step_size) -> lr",
        "Smith's triangular cyclical learning rate at update t (an int): cycle = floor(1 + t / (2 step_size)); "
        "x = |t / step_size - 2 cycle + 1|; lr = base_lr + (max_lr - base_lr) max(0, 1 - x) (schedules.cyclical).",
        "Cyclical Learning Rate",
        "08_learning_rate_schedules",
        _clr_ref,
        _clr_cases,
        _clr_outputs,
        _clr_hyp,
        call=_clr_call,
        float32=False,
    )
)


ACC_SIZES = ((4, 4, 2), (3, 5), (7, 7, 7), (1,), (9, 1, 4, 4))


def _acc_cases(seed):
    cases = []
    for k, sizes in enumerate(ACC_SIZES):
        rng = _rng(seed, k)
        gl = [{"dW1": rng.standard_normal((3, 5)), "db1": rng.standard_normal((3, 1))} for _ in sizes]
        cases.append(
            Case(
                f"batch sizes {list(sizes)}",
                (lambda gl=gl, sizes=sizes: ([_copy_params(g) for g in gl], list(sizes))),
                {"grads": gl, "sizes": sizes},
                None,
            )
        )
    return cases


def _acc_ref(grads_list, batch_sizes):
    acc = optim.GradientAccumulator(len(grads_list))
    M = float(sum(batch_sizes))
    with use_backend("numpy"):
        for g, mj in zip(grads_list, batch_sizes):
            acc.add(g, mj / M)
    return {k: v.copy() for k, v in acc.take().items()}


def _acc_hyp(case):
    gl, sizes = case.context["grads"], case.context["sizes"]
    M, k = sum(sizes), len(sizes)

    def comb(w):
        return {key: sum(wj * g[key] for wj, g in zip(w, gl)) for key in gl[0]}

    return [
        (
            "summed the k gradients without weights: weight each by m_j / M (M = sum of the batch sizes)",
            comb([1.0] * k),
        ),
        ("a plain mean (1/k each) ignores unequal batch sizes: weight each by m_j / M", comb([1.0 / k] * k)),
        ("weighted by m_j instead of m_j / M", comb(sizes)),
        ("weighted by M / m_j instead of m_j / M", comb([M / mj for mj in sizes])),
    ]


_register(
    Exercise(
        "accumulate_gradients",
        "accumulate_gradients(grads_list, batch_sizes) -> grads",
        "dtheta = sum_j (m_j / M) dtheta_j, M = sum_j m_j: k mini-batches give the gradient of one batch of M "
        "samples (optim.GradientAccumulator). grads_list: k dicts {'dW1': ..., 'db1': ...}; returns one such dict.",
        "Effective Mini-batch",
        "09_batch_size_noise_scale",
        _acc_ref,
        _acc_cases,
        _dict_outputs(lambda c: list(c.context["grads"][0])),
        _acc_hyp,
    )
)
