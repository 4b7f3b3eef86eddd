"""Batch normalization [Batch normalization] (Ioffe & Szegedy 2015, the slide's Algorithm 1).

For a layer's pre-activation Z[l] of shape (n[l], m), each unit (row) is normalized over the m
samples of the mini-batch, then scaled and shifted by learned gamma[l], beta[l] of shape (n[l], 1):

    mu    = (1/m) sum_i z_i                      mini-batch mean        (n[l], 1)
    var   = (1/m) sum_i (z_i - mu)^2             mini-batch variance    (n[l], 1)
    z_hat = (z_i - mu) / sqrt(var + eps)         normalize              (n[l], m)
    out   = gamma z_hat + beta                   scale and shift        (n[l], m)

Backward, for an upstream gradient dout = dJ/dout (n[l], m):

    dbeta  = sum_i dout_i                                   dgamma = sum_i dout_i z_hat_i
    dZ     = gamma / sqrt(var + eps) * (dout - dbeta / m - z_hat * dgamma / m)

``bn_param`` is a dict holding the layer's settings and state:

    "mode":         "train" (batch statistics; running averages updated) or "eval" (running statistics)
    "eps":          epsilon (default 1e-5)
    "momentum":     running = momentum * running + (1 - momentum) * batch   (default 0.9)
    "running_mean", "running_var":  (n[l], 1) arrays, created (0 and 1) on first use

Each function's body is the NumPy formula; ``backend="cpu"`` / ``"cuda"`` hands off to ``nn_ref.kernels`` in
one line. The running averages are updated in place, so on the cuda backend they stay on the GPU.
"""

import numpy as np

from nn_ref._checks import (
    Array,
    Option,
    check_array,
    check_choice,
    check_dtype,
    check_layer_dims,
    check_positive_finite,
    check_range,
    checked,
    fields,
    in_range,
    positive,
)
from nn_ref.backend import accelerated

MODES = ("train", "eval")


class BnParam:
    """A ``bn_param`` dict: "mode" in MODES, "eps" > 0, "momentum" in [0, 1), running statistics (n, 1) when
    present, and m >= 2 samples in train mode (declared after Z, whose n and m it reads). ``inference``: the
    dicts are switched to eval mode by the function (``predict``), so m = 1 is fine."""

    def __init__(self, inference=False):
        self.inference = inference

    def __repr__(self):
        return "BN_PARAM" + ("(inference)" if self.inference else "")

    def check(self, name, bn_param, state, read):
        if not isinstance(bn_param, dict):
            raise TypeError(f"{name}: expected a dict (see nn_ref.batchnorm), got {type(bn_param).__name__}")
        mode = bn_param.get("mode", "train")
        check_choice(f"{name}['mode']", mode, MODES)
        check_positive_finite(f"{name}['eps']", bn_param.get("eps", 1e-5))
        check_range(f"{name}['momentum']", bn_param.get("momentum", 0.9), 0, 1)
        for key in ("running_mean", "running_var"):
            if key in bn_param:
                check_array(f"{name}[{key!r}]", bn_param[key], _RUNNING, state)
        if mode == "train" and not self.inference and state.get("m", 2) < 2:
            raise ValueError(f"Z: batch normalization in train mode needs m >= 2 samples, got m = {state['m']}")


BN_PARAM = BnParam()
_RUNNING = Array("n 1")


class BnParams:
    """A list of ``bn_param`` dicts, one per hidden layer (any number, none for a one-layer net)."""

    def __repr__(self):
        return "[BN_PARAM, ...]"

    def check(self, name, bn_params, state, read):
        if not isinstance(bn_params, (list, tuple)):
            raise TypeError(f"{name}: expected a list of bn_param dicts, got {type(bn_params).__name__}")
        for l, bn_param in enumerate(bn_params):
            BN_PARAM.check(f"{name}[{l}]", bn_param, {}, read)


@checked(
    layer_dims=Option(lambda name, v: check_layer_dims(v), "[n0, ..., nL], positive integers", [3, 4, 2]),
    eps=positive,
    momentum=in_range(0, 1),
    dtype=Option(check_dtype, "float32 or float64", np.float64),
)
def init_bn_params(layer_dims, eps=1e-5, momentum=0.9, dtype=np.float64):
    """One ``bn_param`` dict per hidden layer l = 1 .. L-1 (BN sits between the linear part and the
    activation of every hidden layer): mode "train", running_mean zeros and running_var ones (n[l], 1)."""
    return [
        {
            "mode": "train",
            "eps": float(eps),
            "momentum": float(momentum),
            "running_mean": np.zeros((n, 1), dtype=dtype),
            "running_var": np.ones((n, 1), dtype=dtype),
        }
        for n in list(layer_dims)[1:-1]
    ]


@checked(bn_params=BnParams())
def eval_mode(bn_params):
    """Copies of the bn_param dicts with mode "eval" (sharing the running statistics)."""
    return [dict(p, mode="eval") for p in bn_params]


def _running_average(running, batch, momentum, K):
    """running <- momentum * running + (1 - momentum) * batch, in place (on the GPU for cuda)."""
    if K is not None:
        K.axpby(1.0 - momentum, batch, momentum, running)
    else:
        running *= momentum
        running += (1.0 - momentum) * batch


@checked(Z="n m", gamma="n 1", beta="n 1", bn_param=BN_PARAM)
def batchnorm_forward(Z, gamma, beta, bn_param, backend=None):
    """out = gamma * (Z - mu) / sqrt(var + eps) + beta  (batch statistics in "train" mode, running
    statistics in "eval" mode). Z: (n[l], m); gamma, beta: (n[l], 1).

        mu    = (1/m) sum_i Z[:, i]                  (n, 1)
        var   = (1/m) sum_i (Z[:, i] - mu)^2          (n, 1)
        Z_hat = (Z - mu) / sqrt(var + eps)            (n, m)
        out   = gamma * Z_hat + beta                  (n, m)

    Returns (out, cache): out (n[l], m); cache = (Z_hat, gamma, var, eps) for ``batchnorm_backward``
    (None in eval mode: there is no backward through the running statistics here).
    """
    n, m = Z.shape
    mode = bn_param.get("mode", "train")
    eps = float(bn_param.get("eps", 1e-5))
    momentum = float(bn_param.get("momentum", 0.9))
    K = accelerated(backend)
    if "running_mean" not in bn_param:
        bn_param["running_mean"] = np.zeros((n, 1), dtype=Z.dtype)
        bn_param["running_var"] = np.ones((n, 1), dtype=Z.dtype)
        if K is not None:
            bn_param["running_mean"] = K.to_device(bn_param["running_mean"])
            bn_param["running_var"] = K.to_device(bn_param["running_var"])
    running_mean, running_var = bn_param["running_mean"], bn_param["running_var"]
    if mode == "eval":
        if K is not None:  # numba CPU / CUDA: same maths, compiled
            return K.batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps), None
        return gamma * ((Z - running_mean) / np.sqrt(running_var + eps)) + beta, None
    if K is not None:  # numba CPU / CUDA: same maths, compiled
        out, Z_hat, mu, var = K.batchnorm_forward(Z, gamma, beta, eps)
    else:
        mu = Z.sum(axis=1, keepdims=True) / m
        var = ((Z - mu) ** 2).sum(axis=1, keepdims=True) / m
        Z_hat = (Z - mu) / np.sqrt(var + eps)
        out = gamma * Z_hat + beta
    _running_average(running_mean, mu, momentum, K)
    _running_average(running_var, var, momentum, K)
    return out, (Z_hat, gamma, var, eps)


CACHE_FIELDS = fields(Z_hat="n m", gamma="n 1", var="n 1", eps=positive)


class TrainCache:
    """The cache of a train-mode forward pass (None after eval mode: no backward through running statistics)."""

    def __repr__(self):
        return "(Z_hat='n m', gamma='n 1', var='n 1', eps=positive)"

    def check(self, name, cache, state, read):
        if cache is None:
            raise ValueError(
                f"{name}: None -- the forward pass ran in eval mode; "
                "run it with bn_param['mode'] = 'train' to backpropagate"
            )
        CACHE_FIELDS.check(name, cache, state, read)


TRAIN_CACHE = TrainCache()


@checked(cache=TRAIN_CACHE, dout="n m")
def batchnorm_backward(dout, cache, backend=None):
    """Backward of ``batchnorm_forward`` (the compact form):

        dbeta  = sum_i dout[:, i]                                               (n, 1)
        dgamma = sum_i dout[:, i] * Z_hat[:, i]                                 (n, 1)
        dZ     = gamma / sqrt(var + eps) * (dout - dbeta / m - Z_hat * dgamma / m)   (n, m)

    dout: (n[l], m) = dJ/dout; cache from ``batchnorm_forward`` in train mode.
    Returns (dZ (n[l], m), dgamma (n[l], 1), dbeta (n[l], 1)) -- the exact gradients for the J whose
    upstream gradient is dout.
    """
    Z_hat, gamma, var, eps = cache
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: same maths, compiled
        return K.batchnorm_backward(dout, Z_hat, gamma, var, eps)
    m = dout.shape[1]
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
    dZ = (gamma / np.sqrt(var + eps)) * (dout - dbeta / m - Z_hat * dgamma / m)
    return dZ, dgamma, dbeta
