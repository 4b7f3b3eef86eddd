"""Exercises for the lecture's "Forward Propagation" / "Backward Propagation" of one linear layer and
its "Cost Function" / "Loss Function": linear_forward, linear_backward, compute_cost, l2_loss."""

import numpy as np

from nn_ref import losses, network
from nn_ref.exercises.core import (
    Case,
    Exercise,
    _drawn,
    _fresh,
    _named,
    _register,
    _rng,
    _shape,
    _sig,
    _tuple,
    central_differences,
)

# ---------------------------------------------------------------------------- linear layer


LINEAR_SIZES = ((3, 5, 7), (5, 3, 5), (1, 7, 3), (7, 1, 9), (3, 2, 1))  # (n[l], n[l-1], m)


def _linear_data(seed):
    """(A_prev, W, b, dZ) for the sizes above and one drawn from the seed."""
    (n_drawn, m_drawn), n_prev_drawn = _drawn(seed, 0), _drawn(seed, 1)[0]
    out = []
    for k, (n, n_prev, m) in enumerate((*LINEAR_SIZES, (n_drawn, n_prev_drawn, m_drawn))):
        rng = _rng(seed, k)
        out.append(
            (
                rng.standard_normal((n_prev, m)),
                rng.standard_normal((n, n_prev)),
                rng.standard_normal((n, 1)),
                rng.standard_normal((n, m)),
            )
        )
    return out


def _linear_forward_cases(seed):
    return [
        Case(f"A_prev {_shape(A)}, W {_shape(W)}", _fresh(A, W, b), {"A_prev": A, "W": W, "b": b}, A.shape[1])
        for A, W, b, _ in _linear_data(seed)
    ]


def _linear_forward_outputs(value, case):
    Z, cache = _tuple(value, ("Z", "cache"))
    cache = _tuple(cache, ("A_prev", "W", "b"))
    return {"Z": Z, "cache[0] (A_prev)": cache[0], "cache[1] (W)": cache[1], "cache[2] (b)": cache[2]}


def _linear_forward_hyp(case):
    A, W, b = case.context["A_prev"], case.context["W"], case.context["b"]
    return [
        ("forgot the bias: Z = W A_prev + b", {"Z": W @ A}),
        ("subtracted the bias: Z = W A_prev + b", {"Z": W @ A - b}),
    ]


_register(
    Exercise(
        "linear_forward",
        "linear_forward(A_prev, W, b) -> (Z, cache)",
        "Z = W A_prev + b; cache = (A_prev, W, b). A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1), Z: (n[l], m).",
        "Forward Propagation",
        "03_l_layer_forward",
        lambda A_prev, W, b: network.linear_forward(A_prev, W, b),
        _linear_forward_cases,
        _linear_forward_outputs,
        _linear_forward_hyp,
    )
)


def _linear_backward_cases(seed):
    return [
        Case(
            f"dZ {_shape(dZ)}, A_prev {_shape(A)}, W {_shape(W)}",
            (lambda dZ=dZ, A=A, W=W, b=b: (dZ.copy(), (A.copy(), W.copy(), b.copy()))),
            {"dZ": dZ, "A_prev": A, "W": W, "b": b},
            A.shape[1],
        )
        for A, W, b, dZ in _linear_data(seed)
    ]


def _linear_backward_numeric(case):
    dZ, A, W, b = (case.context[k].copy() for k in ("dZ", "A_prev", "W", "b"))
    m = A.shape[1]

    def J():  # the J whose m * dJ/dZ is dZ: J = (1/m) sum dZ * (W A_prev + b)
        return float((dZ * (W @ A + b)).sum() / m)

    return {"dA_prev": m * central_differences(J, A), "dW": central_differences(J, W), "db": central_differences(J, b)}


def _linear_backward_hyp(case):
    dZ, A, W = case.context["dZ"], case.context["A_prev"], case.context["W"]
    m = A.shape[1]
    return [
        (
            "dA_prev got a 1/m: in nn-ref's convention dA_prev = W^T dZ (the 1/m goes into dW and db only) "
            "-- off by a factor of m",
            {"dA_prev": W.T @ dZ / m},
        ),
        (
            "db summed over the units (axis=0) instead of the samples (axis=1)",
            {"db": dZ.sum(axis=0, keepdims=True) / m},
        ),
    ]


_register(
    Exercise(
        "linear_backward",
        "linear_backward(dZ, cache) -> (dA_prev, dW, db)",
        "dW = (1/m) dZ A_prev^T; db = (1/m) sum_i dZ[:, i] (shape (n[l], 1)); dA_prev = W^T dZ; "
        "cache = (A_prev, W, b). dZ: (n[l], m), dA_prev: (n[l-1], m), dW: (n[l], n[l-1]).",
        "Backward Propagation - Parameter Updates",
        "04_cost_backprop_graphs",
        lambda dZ, cache: network.linear_backward(dZ, cache),
        _linear_backward_cases,
        _named(("dA_prev", "dW", "db")),
        _linear_backward_hyp,
        _linear_backward_numeric,
        means=("dW", "db"),
    )
)


# ---------------------------------------------------------------------------- costs


def _cost_cases(seed):
    cases = []
    for k, (n, m) in enumerate(((1, 5), (1, 7), (3, 5), (1, 1), _drawn(seed, 0, n_max=3))):
        rng = _rng(seed, k)
        AL = _sig(rng.standard_normal((n, m)) * 2)
        Y = (rng.random((n, m)) < 0.5).astype(np.float64)
        cases.append(Case(f"AL {_shape(AL)}", _fresh(AL, Y), {"AL": AL, "Y": Y}, m))
    AL = np.array([[1.0, 0.0, 0.8, 0.3, 1.0]])
    Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0]])
    cases.append(
        Case("AL (1, 5) with confident predictions AL = 1 and 0 (right ones)", _fresh(AL, Y), {"AL": AL, "Y": Y}, 5)
    )
    return cases


def _cost_hyp(case):
    AL, Y = case.context["AL"], case.context["Y"]
    m = AL.shape[1]
    with np.errstate(all="ignore"):
        a = np.maximum(AL, np.finfo(float).tiny)
        b = np.maximum(1 - AL, np.finfo(float).tiny)
        return [
            ("the (1 - y) log(1 - a) term is missing", {"J": float(-(Y * np.log(a)).sum() / m)}),
            ("the y log a term is missing", {"J": float(-((1 - Y) * np.log(b)).sum() / m)}),
            ("log(1 - a) and log(a) are swapped", {"J": float(-(Y * np.log(b) + (1 - Y) * np.log(a)).sum() / m)}),
        ]


def _cost_outputs(value, case):
    return {"J": value}


_register(
    Exercise(
        "compute_cost",
        "compute_cost(AL, Y) -> J",
        "J = -(1/m) sum [y log a + (1 - y) log(1 - a)] (binary cross-entropy), never log(0). AL, Y: (n[L], m); "
        "J a float.",
        "Forward Propagation - Cost Function",
        "04_cost_backprop_graphs",
        lambda AL, Y: network.compute_cost(AL, Y, "cross_entropy"),
        _cost_cases,
        _cost_outputs,
        _cost_hyp,
        means=("J",),
        nan_hint="log(0) was taken (AL = 1 with y = 1 gives 0 * log(0) = NaN): take the log of max(a, tiny) and "
        "max(1 - a, tiny), tiny = np.finfo(float).tiny",
    )
)


def _l2_cases(seed):
    cases = []
    for k, m in enumerate((5, 7, 3, 1, _drawn(seed, 0)[1])):
        rng = _rng(seed, k)
        A, Y = rng.standard_normal((1, m)), rng.standard_normal((1, m))
        cases.append(Case(f"A {_shape(A)}", _fresh(A, Y), {"A": A, "Y": Y}, m))
    return cases


def _l2_numeric(case):
    A, Y = case.context["A"].copy(), case.context["Y"]
    return {"dA": central_differences(lambda: float(((Y - A) ** 2).sum()), A)}


def _l2_hyp(case):
    A, Y = case.context["A"], case.context["Y"]
    return [
        ("dL/dA = 2 (A - Y): the factor 2 is missing", {"dA": A - Y}),
        ("computed L1 = sum |y - f(x)|: L2 squares the residuals", {"L": float(np.abs(Y - A).sum())}),
        ("the L2 loss is the sum of squares, not its square root", {"L": float(np.sqrt(((Y - A) ** 2).sum()))}),
    ]


_register(
    Exercise(
        "l2_loss",
        "l2_loss(A, Y) -> (L, dA)",
        "L2 = sum_i (y_i - f(x_i))^2 (the slide's sum, no 1/m) and dL/dA = 2 (A - Y). A, Y, dA: (1, m); L a float.",
        "Loss Function",
        "01_ml_basics_linear_regression",
        lambda A, Y: losses.l2_loss(A, Y, reduction="sum"),
        _l2_cases,
        _named(("L", "dA")),
        _l2_hyp,
        _l2_numeric,
    )
)
