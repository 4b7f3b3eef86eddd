"""Exercises for the lecture's "Stochastic Gradient Descent with Mini-batch" and "Optimizers":
minibatches, momentum_step, adam_step."""

import numpy as np

from nn_ref import optim
from nn_ref.backend import use_backend
from nn_ref.exercises.core import Case, Exercise, _fresh, _named, _register, _rng, _shape, _Structure, _tuple

# ---------------------------------------------------------------------------- mini-batches


MB_SIZES = ((10, 4), (7, 3), (9, 9), (5, 1))  # (m, batch_size)


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


def _mb_outputs(value, case):
    try:
        batches = list(value)
    except TypeError:
        raise _Structure(
            f"expected a list (or generator) of (X_batch, Y_batch) pairs, got {type(value).__name__}"
        ) from None
    X, b = case.context["X"], case.context["b"]
    m = X.shape[1]
    sizes = [b] * (m // b) + ([m % b] if m % b else [])
    if len(batches) != len(sizes):
        hint = (
            f" -- the last one, of m mod batch_size = {m % b} samples, is missing"
            if len(batches) == len(sizes) - 1 and m % b
            else ""
        )
        raise _Structure(
            f"expected {len(sizes)} mini-batches (m = {m}, batch_size = {b}: sizes "
            f"{' + '.join(map(str, sizes))}), got {len(batches)}{hint}"
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


def _opt_cases(seed, adam=False):
    cases = []
    for k, (shape, t) in enumerate((((3, 5), 1), ((5, 1), 2), ((7, 3), 7))):
        rng = _rng(seed, k)
        W, dW = rng.standard_normal(shape), rng.standard_normal(shape)
        v = rng.standard_normal(shape) * 0.1
        if adam:
            m_ = rng.standard_normal(shape) * 0.1
            v = np.abs(v)
            if t == 1:  # the first step starts from m = v = 0
                m_, v = np.zeros(shape), np.zeros(shape)
            args = (W, dW, m_, v, t, 0.01, 0.9, 0.999, 1e-8)
            cases.append(
                Case(
                    f"W {_shape(W)}, t = {t}",
                    _fresh(*args),
                    {"W": W, "dW": dW, "m": m_, "v": v, "t": t, "lr": 0.01},
                    None,
                )
            )
        else:
            args = (W, dW, v, 0.9, 0.1)
            cases.append(
                Case(f"W {_shape(W)}", _fresh(*args), {"W": W, "dW": dW, "v": v, "beta": 0.9, "lr": 0.1}, None)
            )
    return cases


def _momentum_ref(W, dW, v, beta, learning_rate):
    opt = optim.Momentum(beta=beta)
    opt.v = {"W": np.array(v, dtype=np.float64)}
    params = {"W": np.array(W, dtype=np.float64)}
    with use_backend("numpy"):
        opt.step(params, {"dW": dW}, learning_rate)
    return params["W"], opt.v["W"]


def _momentum_hyp(case):
    W, dW, v, beta, lr = (case.context[k] for k in ("W", "dW", "v", "beta", "lr"))
    v_new = beta * v + (1 - beta) * dW
    return [
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
        _opt_cases,
        _named(("W", "v")),
        _momentum_hyp,
        base=lambda c: {"W": c.context["W"]},
    )
)


def _adam_ref(W, dW, m, v, t, learning_rate, beta1, beta2, eps):
    opt = optim.Adam(beta1=beta1, beta2=beta2, eps=eps)
    opt.t = int(t) - 1  # step() counts t up to this step's t
    opt.m, opt.v = {"W": np.array(m, dtype=np.float64)}, {"W": np.array(v, dtype=np.float64)}
    params = {"W": np.array(W, dtype=np.float64)}
    with use_backend("numpy"):
        opt.step(params, {"dW": dW}, learning_rate)
    return params["W"], opt.m["W"], opt.v["W"]


def _adam_variant(case, correct=True, square=True, sqrt=True, t_shift=0):
    W, dW, m, v, t, lr = (case.context[k] for k in ("W", "dW", "m", "v", "t", "lr"))
    b1, b2, eps = 0.9, 0.999, 1e-8
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
        lambda s: _opt_cases(s, adam=True),
        _named(("W", "m", "v")),
        _adam_hyp,
        base=lambda c: {"W": c.context["W"]},
    )
)
