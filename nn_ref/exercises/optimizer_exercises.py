"""Exercises for the lecture's "Stochastic Gradient Descent with Mini-batch" and "Optimizers":
minibatches, momentum_step, adam_step."""

import numpy as np

from nn_ref import optim
from nn_ref.backend import use_backend
from nn_ref.exercises.core import (
    Case,
    Exercise,
    _fresh,
    _named,
    _register,
    _rng,
    _shape,
    _Structure,
    _tuple,
    _what,
)

# ---------------------------------------------------------------------------- mini-batches


MB_SIZES = ((10, 4), (7, 3), (9, 9), (5, 1), (1, 4), (11, 5))  # (m, batch_size)


def _mb_cases(seed):
    cases = []
    for k, (m, b) in enumerate(MB_SIZES):
        rng = _rng(seed, k)
        X, Y = rng.standard_normal((3, m)), (rng.random((1, m)) < 0.5).astype(np.float64)
        s = seed + k
        cases.append(
            Case(
                f"X {_shape(X)}, batch_size = {b}, rng = default_rng({s})",
                (lambda X=X, Y=Y, b=b, s=s: (X.copy(), Y.copy(), b, np.random.default_rng(s))),
                {"X": X, "Y": Y, "b": b, "seed": s},
                m,
            )
        )
    return cases


def _mb_ref(X, Y, batch_size, rng):
    return list(optim.minibatches(X, Y, batch_size, rng=rng))


def _mb_flat(batches):
    out = {}
    for j, (Xb, Yb) in enumerate(batches):
        out[f"batch {j}: X_batch"], out[f"batch {j}: Y_batch"] = Xb, Yb
    return out


def _batch_sizes(batches):
    """The number of samples (columns) of each returned X_batch, or None where that is not readable."""
    sizes = []
    for pair in batches:
        Xb = pair[0] if isinstance(pair, (tuple, list)) and pair else None
        sizes.append(Xb.shape[1] if isinstance(Xb, np.ndarray) and Xb.ndim == 2 else None)
    return sizes


def _mb_outputs(value, case):
    if isinstance(value, (np.ndarray, dict, str)) or not hasattr(value, "__iter__"):
        raise _Structure(f"expected a list (or generator) of (X_batch, Y_batch) pairs, got {_what(value)}")
    batches = list(value)
    X, b = case.context["X"], case.context["b"]
    m = X.shape[1]
    sizes = [b] * (m // b) + ([m % b] if m % b else [])
    if len(batches) != len(sizes):
        got = _batch_sizes(batches)
        shown = " + ".join("?" if n is None else str(n) for n in got) if got else "none"
        hint = ""
        if got == sizes[:-1]:
            hint = f" -- the last one, of m mod batch_size = {m % b} samples, is missing"
        elif None not in got and sum(got) == m:
            hint = " -- every batch but the last has batch_size samples (np.array_split balances the sizes instead)"
        raise _Structure(
            f"expected {len(sizes)} mini-batches (m = {m}, batch_size = {b}: sizes "
            f"{' + '.join(map(str, sizes))}), got {len(batches)} of sizes {shown}{hint}"
        )
    for pair in batches:
        _tuple(pair, ("X_batch", "Y_batch"))
    return _mb_flat(batches)


def _mb_hyp(case):
    X, Y, b, s = (case.context[k] for k in ("X", "Y", "b", "seed"))
    rng = np.random.default_rng(s)
    p1, p2 = rng.permutation(X.shape[1]), rng.permutation(X.shape[1])
    two = [(X[:, p1[i : i + b]], Y[:, p2[i : i + b]]) for i in range(0, X.shape[1], b)]
    rows = np.random.default_rng(s).permutation(X.shape[0])
    return [
        (
            "not shuffled: permute the columns with one perm = rng.permutation(m) first",
            _mb_flat(list(optim.minibatches(X, Y, b, shuffle=False))),
        ),
        (
            "X and Y were shuffled with two different permutations: draw one perm = rng.permutation(m) and "
            "take X[:, perm], Y[:, perm]",
            _mb_flat(two),
        ),
        ("shuffled the rows (features) instead of the columns (samples)", {"batch 0: X_batch": X[rows][:, :b]}),
    ]


_register(
    Exercise(
        "minibatches",
        "minibatches(X, Y, batch_size, rng) -> [(X_batch, Y_batch), ...]",
        "perm = rng.permutation(m) (one call); the columns X[:, perm], Y[:, perm] cut into batches of batch_size "
        "samples; the last batch keeps the remainder (m = 10, b = 4: 4, 4, 2). X: (n[0], m), Y: (n[L], m).",
        "Stochastic Gradient Descent with Mini-batch",
        "05_gradient_descent_sgd",
        _mb_ref,
        _mb_cases,
        _mb_outputs,
        _mb_hyp,
    )
)


# ---------------------------------------------------------------------------- optimizers


# (shape, dW's scale, beta, learning_rate): learning_rate never 1 - beta, so v = beta v + lr dW cannot pass
MOMENTUM_CASES = (((3, 5), 1.0, 0.9, 0.05), ((5, 1), 1.0, 0.8, 0.3), ((7, 3), 0.1, 0.95, 0.01), ((1, 1), 1.0, 0.5, 1.0))
# (shape, t, dW's scale, learning_rate, beta1, beta2, eps): the defaults once, then others; gradients of
# scale 1e-2 and 1e-3 next to eps = 1e-3, 1e-4 so a hard-coded eps changes the step
ADAM_CASES = (
    ((3, 5), 1, 1.0, 0.01, 0.9, 0.999, 1e-8),
    ((5, 1), 2, 1e-2, 0.1, 0.8, 0.99, 1e-3),
    ((7, 3), 7, 1e-3, 0.05, 0.5, 0.9, 1e-4),
    ((2, 1), 3, 1.0, 0.002, 0.95, 0.9999, 1e-6),
)


def _momentum_cases(seed):
    cases = []
    for k, (shape, scale, beta, lr) in enumerate(MOMENTUM_CASES):
        rng = _rng(seed, k)
        W, dW = rng.standard_normal(shape), rng.standard_normal(shape) * scale
        v = rng.standard_normal(shape) * 0.1 * scale
        cases.append(
            Case(
                f"W {_shape(W)}, beta = {beta}, learning_rate = {lr}",
                _fresh(W, dW, v, beta, lr),
                {"W": W, "dW": dW, "v": v, "beta": beta, "lr": lr},
                None,
            )
        )
    return cases


def _adam_cases(seed):
    cases = []
    for k, (shape, t, scale, lr, b1, b2, eps) in enumerate(ADAM_CASES):
        rng = _rng(seed, k)
        W, dW = rng.standard_normal(shape), rng.standard_normal(shape) * scale
        m_, v = rng.standard_normal(shape) * 0.1 * scale, np.abs(rng.standard_normal(shape)) * 0.1 * scale**2
        if t == 1:  # the first step starts from m = v = 0
            m_, v = np.zeros(shape), np.zeros(shape)
        cases.append(
            Case(
                f"W {_shape(W)}, t = {t}, learning_rate = {lr}, beta1 = {b1}, beta2 = {b2}, eps = {eps:g}",
                _fresh(W, dW, m_, v, t, lr, b1, b2, eps),
                {"W": W, "dW": dW, "m": m_, "v": v, "t": t, "lr": lr, "b1": b1, "b2": b2, "eps": eps},
                None,
            )
        )
    return cases


def _momentum_ref(W, dW, v, beta, learning_rate):
    opt = optim.Momentum(beta=beta)
    opt.v = {"W": np.array(v)}
    params = {"W": np.array(W)}
    with use_backend("numpy"):
        opt.step(params, {"dW": dW}, learning_rate)
    return params["W"], opt.v["W"]


def _momentum_hyp(case):
    W, dW, v, beta, lr = (case.context[k] for k in ("W", "dW", "v", "beta", "lr"))
    v_new = beta * v + (1 - beta) * dW
    v_lr = beta * v + lr * dW
    return [
        (
            "used learning_rate where 1 - beta belongs: v = beta v + (1 - beta) dW, then W = W - learning_rate v",
            {"v": v_lr, "W": W - lr * v_lr},
        ),
        (
            "that is the other momentum form (v = beta v + learning_rate dW; W = W - v): this exercise uses "
            "v = beta v + (1 - beta) dW; W = W - learning_rate v",
            {"v": v_lr, "W": W - v_lr},
        ),
        (
            "forgot the (1 - beta) factor: v = beta v + (1 - beta) dW",
            {"v": beta * v + dW, "W": W - lr * (beta * v + dW)},
        ),
        (
            "beta and 1 - beta are swapped: v = beta v + (1 - beta) dW",
            {"v": (1 - beta) * v + beta * dW, "W": W - lr * ((1 - beta) * v + beta * dW)},
        ),
        ("updated W with dW instead of the velocity: W = W - lr v", {"W": W - lr * dW}),
        ("updated W with the old v: compute the new v first, then W = W - lr v", {"W": W - lr * v}),
        ("W did not change: W = W - lr v with the new v", {"W": W + 0 * v_new}),
    ]


_register(
    Exercise(
        "momentum_step",
        "momentum_step(W, dW, v, beta, learning_rate) -> (W, v)",
        "v = beta v + (1 - beta) dW;  W = W - learning_rate v (nn_ref.optim.Momentum, one array).",
        "Optimizers (gradient descent with momentum)",
        "08_learning_rate_schedules",
        _momentum_ref,
        _momentum_cases,
        _named(("W", "v")),
        _momentum_hyp,
        base=lambda c: {"W": c.context["W"]},
        mutable=("W", "v"),
        hyperparameters=("beta", "learning_rate"),
    )
)


def _adam_ref(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    opt = optim.Adam(beta1=beta1, beta2=beta2, eps=eps)
    opt.t = int(t) - 1  # step() counts t up to this step's t
    opt.m, opt.v = {"W": np.array(m)}, {"W": np.array(v)}
    params = {"W": np.array(W)}
    with use_backend("numpy"):
        opt.step(params, {"dW": dW}, learning_rate)
    return params["W"], opt.m["W"], opt.v["W"]


def _adam_compact(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    """Kingma and Ba's Algorithm 1, compact form: the bias correction folded into the step size,
    lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), W = W - lr_t m / (sqrt(v) + eps)."""
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW * dW
    lr_t = learning_rate * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    return W - lr_t * m / (np.sqrt(v) + eps), m, v


def _adam_variant(case, correct=True, square=True, sqrt=True, t_shift=0):
    W, dW, m, v, t, lr = (case.context[k] for k in ("W", "dW", "m", "v", "t", "lr"))
    b1, b2, eps = (case.context[k] for k in ("b1", "b2", "eps"))
    m = b1 * m + (1 - b1) * dW
    v = b2 * v + (1 - b2) * (dW * dW if square else dW)
    tt = t + t_shift
    mh = m / (1 - b1**tt) if correct else m
    vh = v / (1 - b2**tt) if correct else v
    with np.errstate(all="ignore"):
        W = W - lr * mh / ((np.sqrt(vh) if sqrt else vh) + eps)
    return {"W": W, "m": m, "v": v}


def _adam_hyp(case):
    return [
        (
            "forgot the bias correction: m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t)",
            _adam_variant(case, correct=False),
        ),
        ("v must average the squared gradient: v = beta2 v + (1 - beta2) dW^2", _adam_variant(case, square=False)),
        ("forgot the square root: W = W - lr m_hat / (sqrt(v_hat) + eps)", _adam_variant(case, sqrt=False)),
        ("t is off by one in the bias correction (t counts from 1 at the first step)", _adam_variant(case, t_shift=1)),
        ("t is off by one in the bias correction (t counts from 1 at the first step)", _adam_variant(case, t_shift=-1)),
    ]


_register(
    Exercise(
        "adam_step",
        "adam_step(W, dW, m, v, t, learning_rate, beta1, beta2, eps) -> (W, m, v)",
        "m = beta1 m + (1 - beta1) dW; v = beta2 v + (1 - beta2) dW^2; m_hat = m / (1 - beta1^t); "
        "v_hat = v / (1 - beta2^t); W = W - learning_rate m_hat / (sqrt(v_hat) + eps) (nn_ref.optim.Adam; t from 1).",
        "Optimizers (Adam)",
        "08_learning_rate_schedules",
        _adam_ref,
        _adam_cases,
        _named(("W", "m", "v")),
        _adam_hyp,
        base=lambda c: {"W": c.context["W"]},
        mutable=("W", "m", "v"),
        hyperparameters=("learning_rate", "beta1", "beta2", "eps"),
        accepted=(("also accepted: Kingma and Ba's compact form, eps added to sqrt(v)", _adam_compact),),
    )
)
