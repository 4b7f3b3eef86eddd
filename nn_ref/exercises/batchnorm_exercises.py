"""Exercises for the lecture's "Batch Normalization": batchnorm_forward, batchnorm_backward."""

import numpy as np

from nn_ref import batchnorm
from nn_ref.backend import use_backend
from nn_ref.exercises.core import Case, Exercise, _drawn, _named, _register, _rng, _shape, _tuple, central_differences

# ---------------------------------------------------------------------------- batch normalization


BN_SIZES = ((3, 5), (5, 7), (1, 9), (7, 3), (6, 4))  # m >= 3: at m = 2 z_hat = +-1 and dZ = 0
BN_EPS = (1e-5, 1e-3, 1e-5, 0.1, 1e-5, 1e-2)  # one per case: a hard-coded eps fails


def _bn_data(seed):
    """(Z, gamma, beta, dout, eps) for the sizes above and one drawn from the seed (m >= 3)."""
    out = []
    for k, (n, m) in enumerate((*BN_SIZES, _drawn(seed, 0, ms=(3, 4, 5, 9)))):
        rng = _rng(seed, k)
        Z = rng.standard_normal((n, m)) * 2 + 1
        gamma, beta = rng.standard_normal((n, 1)) + 1, rng.standard_normal((n, 1))
        out.append((Z, gamma, beta, rng.standard_normal((n, m)), BN_EPS[k]))
    return out


def _bn_forward_ref(Z, gamma, beta, bn_param):
    with use_backend("numpy"):
        return batchnorm.batchnorm_forward(Z, gamma, beta, bn_param)


def _bn_forward_cases(seed):
    return [
        Case(
            f"Z {_shape(Z)}",
            (lambda Z=Z, g=g, b=b, eps=eps: (Z.copy(), g.copy(), b.copy(), {"mode": "train", "eps": eps})),
            {"Z": Z, "gamma": g, "beta": b, "eps": eps},
            Z.shape[1],
        )
        for Z, g, b, _, eps in _bn_data(seed)
    ]


def _bn_forward_outputs(value, case):
    out, _ = _tuple(value, ("out", "cache"))
    return {"out": out}


def _bn_forward_hyp(case):
    Z, g, b, eps = (case.context[k] for k in ("Z", "gamma", "beta", "eps"))
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    mu0, var0 = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)
    with np.errstate(all="ignore"):
        Zh = (Z - mu) / np.sqrt(var + eps)
        return [
            (
                "used the unbiased variance 1/(m-1) (np.var(ddof=1)): batch norm uses (1/m) sum (z - mu)^2",
                {"out": g * (Z - mu) / np.sqrt(Z.var(axis=1, ddof=1, keepdims=True) + eps) + b},
            ),
            (
                "the statistics are over the units (axis=0): mu and var are per unit, over the m samples (axis=1)",
                {"out": g * (Z - mu0) / np.sqrt(var0 + eps) + b},
            ),
            (
                "eps is added outside the square root: z_hat = (z - mu) / sqrt(var + eps)",
                {"out": g * (Z - mu) / (np.sqrt(var) + eps) + b},
            ),
            ("forgot the scale and shift: out = gamma z_hat + beta", {"out": Zh}),
            (
                "divided by the variance, not the standard deviation: z_hat = (z - mu) / sqrt(var + eps)",
                {"out": g * (Z - mu) / (var + eps) + b},
            ),
            *(
                (
                    f"used eps = {e:g}, not bn_param['eps'] = {eps:g}",
                    {"out": g * (Z - mu) / np.sqrt(var + e) + b},
                )
                for e in (1e-5, 1e-8, 1e-3)
                if e != eps
            ),
        ]


_register(
    Exercise(
        "batchnorm_forward",
        "batchnorm_forward(Z, gamma, beta, bn_param) -> (out, cache)",
        "mu = (1/m) sum_i z_i; var = (1/m) sum_i (z_i - mu)^2; z_hat = (z - mu) / sqrt(var + eps); "
        "out = gamma z_hat + beta, per unit (row) over the m samples. Z, out: (n[l], m); gamma, beta: (n[l], 1); "
        "eps = bn_param['eps']. cache: anything your batchnorm_backward needs (only out is checked).",
        "Batch normalization",
        "07_normalization_batchnorm",
        _bn_forward_ref,
        _bn_forward_cases,
        _bn_forward_outputs,
        _bn_forward_hyp,
        mutable=("bn_param",),
    )
)


def _bn_backward_cases(seed):
    cases = []
    for Z, g, b, dout, eps in _bn_data(seed):
        _, cache = _bn_forward_ref(Z, g, b, {"mode": "train", "eps": eps})
        cases.append(
            Case(
                f"dout {_shape(dout)}",
                (
                    lambda dout=dout, cache=cache: (
                        dout.copy(),
                        tuple(c.copy() if isinstance(c, np.ndarray) else c for c in cache),
                    )
                ),
                {"Z": Z, "gamma": g, "beta": b, "dout": dout, "cache": cache, "eps": eps},
                Z.shape[1],
            )
        )
    return cases


def _bn_backward_numeric(case):
    Z, g, b = (case.context[k].copy() for k in ("Z", "gamma", "beta"))
    dout, eps = case.context["dout"], case.context["eps"]

    def J():
        return float((dout * _bn_forward_ref(Z, g, b, {"mode": "train", "eps": eps})[0]).sum())

    return {"dZ": central_differences(J, Z), "dgamma": central_differences(J, g), "dbeta": central_differences(J, b)}


def _bn_backward_hyp(case):
    dout, (Zh, g, var, eps) = case.context["dout"], case.context["cache"]
    m = dout.shape[1]
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Zh).sum(axis=1, keepdims=True)
    s = g / np.sqrt(var + eps)
    return [
        (
            "treated mu and var as constants: dZ = gamma / sqrt(var + eps) * (dout - dbeta / m - z_hat dgamma / m)",
            {"dZ": s * dout},
        ),
        ("the z_hat dgamma / m term (the gradient through var) is missing", {"dZ": s * (dout - dbeta / m)}),
        ("the dbeta / m term (the gradient through mu) is missing", {"dZ": s * (dout - Zh * dgamma / m)}),
        ("forgot the factor gamma / sqrt(var + eps)", {"dZ": dout - dbeta / m - Zh * dgamma / m}),
        ("dgamma = sum_i dout_i z_hat_i (times z_hat, not times Z or gamma)", {"dgamma": dbeta}),
    ]


_register(
    Exercise(
        "batchnorm_backward",
        "batchnorm_backward(dout, cache) -> (dZ, dgamma, dbeta)",
        "dbeta = sum_i dout_i; dgamma = sum_i dout_i z_hat_i; dZ = gamma / sqrt(var + eps) * (dout - dbeta / m - "
        "z_hat dgamma / m). cache = (Z_hat, gamma, var, eps) from nn-ref's batchnorm_forward. dout, dZ: (n[l], m); "
        "dgamma, dbeta: (n[l], 1).",
        "Batch normalization",
        "07_normalization_batchnorm",
        lambda dout, cache: batchnorm.batchnorm_backward(dout, cache, backend="numpy"),
        _bn_backward_cases,
        _named(("dZ", "dgamma", "dbeta")),
        _bn_backward_hyp,
        _bn_backward_numeric,
    )
)
