"""The numba CPU backend (``nn_ref.kernels.cpu``): every op of ``contract.Backend`` on NumPy arrays.

Layout, by idea:

* ``jit.py``          numba options (cache, NumPy error model, fast-math without nnan/ninf), serial/parallel twins,
                      ``kernels/scalar.py`` compiled for the CPU;
* ``blas.py``         ?gemm with alpha, beta and transposes from compiled code; BLAS_MIN_WORK;
* ``threads.py``      the thread policy: numba's pool vs BLAS's, PARALLEL_MIN_WORK, ``threading_info``;
* ``elementwise.py``  bias + activation, dZ = dA g'(Z), softmax and its backward, update/axpby/fill/adam_update;
* ``linear.py``       the layer: Z = W A_prev + b fused with g, (dA_prev, dW, db), the update fused into dW;
* ``reductions.py``   row sums, the cost and its gradient, batch normalization;
* ``step.py``         the fused ``train_step`` (SGD, momentum, Adam);
* this file           the public host wrappers (the ``Backend`` protocol).

Arrays are NumPy arrays (``to_device``/``to_host`` are the identity); kernels run on C-contiguous float32 or
float64 and are compiled lazily, per dtype, at their first call (``cache=True``: later processes load them from
disk). An input that already is a C-contiguous array of the working dtype is used as it is (no copy, no dtype
promotion call); anything else is converted once. Shapes are checked by the callers in ``nn_ref``. NaN and inf
propagate exactly as in the NumPy bodies (see kernels/scalar.py).
"""

import numpy as np
from scipy.linalg import blas as _blas

from ..contract import (
    ACT_SOFTMAX,
    ACTIVATION_CODES,
    OPT_ADAM,
    OPT_SGD,
    OUTPUT_DELTA,
    activation_code,
    check_step,
    loss_code,
)
from . import elementwise, linear, reductions, step
from .blas import BLAS_MIN_WORK
from .jit import cache_warm
from .threads import PARALLEL_MIN_WORK, threading_info

name = "cpu"

__all__ = ["BLAS_MIN_WORK", "PARALLEL_MIN_WORK", "cache_warm", "matrix_products", "threading_info", "name"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_AXPY = {_F32: _blas.saxpy, _F64: _blas.daxpy}
_TINY = {_F32: float(np.finfo(np.float32).tiny), _F64: float(np.finfo(np.float64).tiny)}


# ----------------------------------------------------------------------------- hand-off helpers
# The hand-off from Python costs a few hundred nanoseconds when the inputs are already what the kernels take
# (C-contiguous NumPy arrays of one float dtype: checked with identity tests, no np.result_type, no copy).
_ACT = dict(ACTIVATION_CODES)
_ELEMENTWISE = {k: v for k, v in ACTIVATION_CODES.items() if v != ACT_SOFTMAX}


def _code(table, name, allow_softmax=True):
    try:
        return table[name]
    except (KeyError, TypeError):
        return activation_code(name, allow_softmax)  # raises the ValueError naming the choices


def _dtype(*xs):
    """The working dtype of the arrays ``xs``: their common dtype (float32 or float64; NumPy's promotion when
    they differ), a TypeError naming the dtype for anything else (int, bool, float16, complex, object)."""
    dt = np.result_type(*xs)
    if dt != _F64 and dt != _F32:
        raise TypeError(f"cpu backend: expected float32 or float64 arrays, got dtype {dt}")
    return _F64 if dt == _F64 else _F32


def _inputs(*xs):
    """``xs`` as C-contiguous arrays of their common float dtype: the arrays themselves when they already are
    (the fast path), else converted copies."""
    dt = getattr(xs[0], "dtype", None)
    if dt is _F64 or dt is _F32:
        for x in xs:
            if type(x) is not np.ndarray or x.dtype is not dt or not x.flags.c_contiguous:
                break
        else:
            return xs
    dt = _dtype(*xs)
    return tuple(np.ascontiguousarray(x, dtype=dt) for x in xs)


def _flat_in_place(x, what, like=None):
    """A flat view of ``x`` for an in-place op, in x's memory order: x must be a writeable C- or Fortran-contiguous
    float32/float64 array (with ``like``: laid out as that array, so that the two go entry by entry together)."""
    if type(x) is np.ndarray:
        flags = x.flags
        if flags.writeable and (x.dtype is _F64 or x.dtype is _F32):
            if flags.c_contiguous and (like is None or like.flags.c_contiguous):
                return x.reshape(-1)
            if flags.f_contiguous and (like is None or like.flags.f_contiguous):
                return x.T.reshape(-1)  # a Fortran-ordered array: the flat view of its transpose
    if not isinstance(x, np.ndarray) or not (x.flags.c_contiguous or x.flags.f_contiguous) or not x.flags.writeable:
        got = type(x).__name__
        if isinstance(x, np.ndarray):
            got += (
                f" with flags contiguous={x.flags.c_contiguous or x.flags.f_contiguous}, writeable={x.flags.writeable}"
            )
        raise ValueError(f"{what}: expected a writeable contiguous NumPy array (updated in place), got {got}")
    if like is not None:
        raise ValueError(
            f"{what}: expected the memory order of the parameter it goes with (C or Fortran), got the other"
        )
    _dtype(x)  # raises for a non-float dtype
    return x.reshape(-1)


def _flat_like(x, like, what):
    """A flat view (or converted copy) of ``x`` with the shape and dtype of the array ``like``, in the element
    order of ``_flat_in_place(like)``."""
    if x.shape != like.shape:
        raise ValueError(f"{what}: expected shape {like.shape}, got {x.shape}")
    if like.flags.f_contiguous and not like.flags.c_contiguous:
        x = x.T  # like is flattened through its transpose
    if type(x) is not np.ndarray or x.dtype is not like.dtype or not x.flags.c_contiguous:
        x = np.ascontiguousarray(x, dtype=like.dtype)
    return x.reshape(-1)


# ----------------------------------------------------------------------------- memory
def to_device(x):
    """Backend array from a host array (the identity for NumPy arrays: the CPU backend works on them)."""
    return np.asarray(x)


def to_host(x):
    """Host NumPy array from a backend array (the identity here)."""
    return np.asarray(x)


def is_device(x):
    """True for a NumPy array: the cpu backend's own arrays."""
    return isinstance(x, np.ndarray)


def empty(shape, dtype=np.float64):
    """Uninitialised array of ``shape``."""
    return np.empty(shape, dtype=dtype)


def synchronize():
    """Wait for queued work: numba kernels return when done, nothing is queued."""


# ----------------------------------------------------------------------------- activations
def activation_forward(Z, activation, alpha=0.01):
    """A = g(Z) for an elementwise g (contract.HIDDEN_ACTIVATIONS; scalar.g).  Z: (n[l], m) -> A: (n[l], m)."""
    code = _code(_ELEMENTWISE, activation, False)
    (Z,) = _inputs(Z)
    A = np.empty_like(Z)
    elementwise.EPILOGUE[Z.size >= PARALLEL_MIN_WORK](Z, A, None, code, float(alpha))
    return A


def activation_backward(dA, Z, activation, alpha=0.01):
    """dZ = dA * g'(Z) entry by entry (scalar.g_backward).  dA, Z: (n[l], m) -> dZ: (n[l], m)."""
    code = _code(_ELEMENTWISE, activation, False)
    dA, Z = _inputs(dA, Z)
    dZ = np.empty_like(Z)
    elementwise.ACTIVATION_BACKWARD[Z.size >= PARALLEL_MIN_WORK](dA, Z, dZ, code, float(alpha))
    return dZ


def softmax(Z):
    """A = softmax(Z) per column, stable (column max subtracted).  Z: (n[L], m) -> A: (n[L], m)."""
    (Z,) = _inputs(Z)
    A = np.empty_like(Z)
    elementwise.softmax(Z, A)
    return A


def softmax_backward(dA, A):
    """dZ = A * (dA - sum_k dA_k A_k) per column.  dA, A: (n[L], m) -> dZ: (n[L], m)."""
    dA, A = _inputs(dA, A)
    dZ = np.empty_like(A)
    elementwise.softmax_backward(dA, A, dZ)
    return dZ


# ----------------------------------------------------------------------------- the linear layer
def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    """Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l])  (bias and activation fused in one pass after the product).

    A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1). Returns (Z, A), both (n[l], m).
    """
    code = _code(_ACT, activation)
    A_prev, W, b = _inputs(A_prev, W, b)
    Z = np.empty((W.shape[0], A_prev.shape[1]), W.dtype)
    A = np.empty_like(Z)
    if Z.size >= PARALLEL_MIN_WORK and code != ACT_SOFTMAX:
        linear.product(A_prev, W, Z)
        elementwise.EPILOGUE[1](Z, A, b, code, float(alpha))
    else:
        linear.linear_forward(A_prev, W, b, Z, A, code, float(alpha))
    return Z, A


def linear_backward(dZ, A_prev, W, need_dA_prev=True):
    """dW = (1/m) dZ A_prev^T;  db = (1/m) sum_i dZ[:, i];  dA_prev = W^T dZ, each written once into its
    output (the transposes are read in the BLAS calls, 1/m is their alpha).

    dZ: (n[l], m), A_prev: (n[l-1], m), W: (n[l], n[l-1]).
    Returns dA_prev (n[l-1], m) (None when not ``need_dA_prev``: layer 1's dA[0]), dW (n[l], n[l-1]), db (n[l], 1).
    """
    dZ, A_prev, W = _inputs(dZ, A_prev, W)
    dA_prev = np.empty_like(A_prev) if need_dA_prev else np.empty((0, 0), W.dtype)
    dW = np.empty_like(W)
    db = np.empty((W.shape[0], 1), W.dtype)
    linear.linear_backward(dZ, A_prev, W, dA_prev, dW, db, bool(need_dA_prev))
    return (dA_prev if need_dA_prev else None), dW, db


def sum_over_samples(dZ):
    """Row sums over the m samples.  dZ: (n[l], m) -> (n[l], 1)."""
    (dZ,) = _inputs(dZ)
    out = np.empty((dZ.shape[0], 1), dZ.dtype)
    reductions.row_sums(dZ, out)
    return out


# ----------------------------------------------------------------------------- costs
def cost(AL, Y, loss):
    """J = (1/m) sum of the loss's terms over all entries (contract.LOSSES; scalar.loss_term, logs of
    max(a, TINY)).  AL, Y: (n[L], m). Returns a Python float."""
    code = loss_code(loss)
    AL, Y = _inputs(AL, Y)
    return float(reductions.cost(AL, Y, code, _TINY[AL.dtype]))


def _cost_gradient(AL, Y, code):
    AL, Y = _inputs(AL, Y)
    out = np.empty_like(AL)
    reductions.cost_gradient(AL, Y, out, code, _TINY[AL.dtype])
    return out


def cost_gradient(AL, Y, loss):
    """dAL = m dJ/dAL (the network's convention: ``linear_backward`` applies the 1/m).  AL, Y: (n[L], m)."""
    return _cost_gradient(AL, Y, loss_code(loss))


def output_delta(AL, Y):
    """dZ[L] = AL - Y, where the chain rule collapses (contract.COLLAPSES).  AL, Y: (n[L], m)."""
    return _cost_gradient(AL, Y, OUTPUT_DELTA)


# ----------------------------------------------------------------------------- in place
def update(param, grad, learning_rate):
    """In place: param <- param - learning_rate * grad.  Returns param.

    BLAS's ?axpy (param += (-learning_rate) grad) on BLAS's threads, the pool the matrix products use: 3x the
    serial loop on W1 of the 784-256-128-10 net (200k values: 6 vs 19 us, float32, 2 cores), and faster at every
    size (its call costs 0.2 us). learning_rate = 0 takes the loop: ?axpy returns at once for a zero scale, which
    would hide a NaN gradient (0 * NaN is NaN)."""
    p = _flat_in_place(param, "update: param")
    g = _flat_like(grad, param, "update: grad")
    lr = float(learning_rate)
    if lr != 0.0:
        _AXPY[p.dtype](g, p, a=-lr)  # p is contiguous and of the routine's dtype: updated in place
    else:
        elementwise.UPDATE[p.size >= PARALLEL_MIN_WORK](p, g, lr)
    return param


def axpby(a, x, b, y):
    """In place: y <- a * x + b * y.  Returns y."""
    yf = _flat_in_place(y, "axpby: y")
    xf = _flat_like(x, y, "axpby: x")
    elementwise.AXPBY[yf.size >= PARALLEL_MIN_WORK](float(a), xf, float(b), yf)
    return y


def fill(x, value):
    """In place: x <- value.  Returns x."""
    xf = _flat_in_place(x, "fill: x")
    elementwise.FILL[xf.size >= PARALLEL_MIN_WORK](xf, float(value))
    return x


def adam_update(param, grad, m, v, learning_rate, beta1, beta2, eps, t):
    """In place, Adam step t >= 1: m <- beta1 m + (1 - beta1) grad; v <- beta2 v + (1 - beta2) grad^2;
    param <- param - learning_rate (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).  Returns param."""
    p = _flat_in_place(param, "adam_update: param")
    g = _flat_like(grad, param, "adam_update: grad")
    mf, vf = _flat_in_place(m, "adam_update: m", param), _flat_in_place(v, "adam_update: v", param)
    for arr, what in ((mf, "m"), (vf, "v")):
        if arr.shape != p.shape or arr.dtype is not p.dtype:
            raise ValueError(
                f"adam_update: {what}: expected param's shape {param.shape} and dtype {p.dtype}, "
                f"got {arr.dtype} with {arr.size} values"
            )
    if t < 1:
        raise ValueError(f"adam_update: the step t must be >= 1, got {t}")
    c1, c2 = 1.0 - float(beta1) ** t, 1.0 - float(beta2) ** t
    kern = elementwise.ADAM_UPDATE[p.size >= PARALLEL_MIN_WORK]
    kern(p, g, mf, vf, float(learning_rate), float(beta1), float(beta2), float(eps), c1, c2)
    return param


# ----------------------------------------------------------------------------- batch normalization
def batchnorm_forward(Z, gamma, beta, eps):
    """Z_hat = (Z - mu) / sqrt(var + eps), out = gamma Z_hat + beta; mu, var over the m samples.

    Z: (n, m); gamma, beta: (n, 1). Returns (out, Z_hat, mu, var): (n, m), (n, m), (n, 1), (n, 1).
    """
    Z, gamma, beta = _inputs(Z, gamma, beta)
    n, dt = Z.shape[0], Z.dtype
    out, Z_hat = np.empty_like(Z), np.empty_like(Z)
    mu, var = np.empty((n, 1), dt), np.empty((n, 1), dt)
    reductions.batchnorm_forward(Z, gamma, beta, float(eps), out, Z_hat, mu, var)
    return out, Z_hat, mu, var


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    """dbeta = sum dout, dgamma = sum dout Z_hat (over the samples),
    dZ = gamma / sqrt(var + eps) (dout - dbeta/m - Z_hat dgamma/m). Returns (dZ, dgamma, dbeta)."""
    dout, Z_hat, gamma, var = _inputs(dout, Z_hat, gamma, var)
    n, dt = dout.shape[0], dout.dtype
    dZ = np.empty_like(dout)
    dgamma, dbeta = np.empty((n, 1), dt), np.empty((n, 1), dt)
    reductions.batchnorm_backward(dout, Z_hat, gamma, var, float(eps), dZ, dgamma, dbeta)
    return dZ, dgamma, dbeta


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta.  Z: (n, m) -> (n, m)."""
    Z, gamma, beta, rm, rv = _inputs(Z, gamma, beta, running_mean, running_var)
    out = np.empty_like(Z)
    reductions.batchnorm_eval(Z, gamma, beta, rm, rv, float(eps), out)
    return out


# ----------------------------------------------------------------------------- the fused step
_WORK = {}


def _workspace(layer_dims, m, dt, with_grad):
    """(dims as int64, the number of values of theta, work for Z[l], A[l] and two dZ/dA buffers, and a flat
    gradient shaped like theta or None), kept per shape."""
    key = (layer_dims, m, dt, with_grad)
    hit = _WORK.get(key)
    if hit is None:
        dims = np.asarray(layer_dims, dtype=np.int64)
        size = sum(2 * int(dims[l]) * m for l in range(1, len(dims))) + 2 * int(dims[1:].max()) * m
        n_theta = sum(int(dims[l]) * (int(dims[l - 1]) + 1) for l in range(1, len(dims)))
        if len(_WORK) > 16:
            _WORK.clear()
        hit = _WORK[key] = (dims, n_theta, np.empty(size, dt), np.empty(n_theta, dt) if with_grad else None)
    return hit


def train_step(X, Y, theta, config, state=None, t=1):
    """One fused step (forward, cost, backward, update) of the L-layer net; returns the cost J before the update.

    X: (n[0], m), Y: (n[L], m); theta: the flat parameters W1, b1, ..., WL, bL (``pack_parameters``), updated in
    place; config: a ``contract.StepConfig`` (layer_dims, activations, loss, learning rate, optimizer and its
    options); state: the optimizer's arrays shaped like theta, updated in place: None for "sgd", (v,) for
    "momentum", (m, v) for "adam" at its step t >= 1 (formulas in ``contract.Backend.train_step``).
    """
    state = check_step(config, theta, state, t)
    th = _flat_in_place(theta, "theta")
    hidden, output, code, opt = config.codes
    dt = th.dtype
    dims, _, work, grad = _workspace(config.layer_dims, X.shape[1], dt, opt != OPT_SGD)
    X, Y = (
        x if type(x) is np.ndarray and x.dtype is dt and x.flags.c_contiguous else np.ascontiguousarray(x, dt)
        for x in (X, Y)
    )
    args = (X, Y, theta, dims, hidden, output, code, config.learning_rate, config.alpha, _TINY[dt], work)
    if opt == OPT_SGD:
        return float(step.sgd_step(*args))
    flat = [_flat_in_place(s, f"state[{i}]") for i, s in enumerate(state)]
    for i, s in enumerate(flat):
        if s.dtype != dt:
            raise ValueError(f"state[{i}]: expected the dtype {dt} of theta, got {s.dtype}")
    beta1, beta2 = config.beta1, config.beta2
    c1, c2 = (1.0 - beta1**t, 1.0 - beta2**t) if opt == OPT_ADAM else (1.0, 1.0)  # Adam's bias corrections
    return float(step.optimizer_step(*args, grad, opt, flat[0], flat[-1], beta1, beta2, config.eps, c1, c2))


_FILLED = set()


def matrix_products(X, theta, layer_dims):
    """The matrix products of one fused SGD ``train_step`` alone (W A_prev, W^T dZ, dZ A_prev^T with the
    step's shapes, BLAS or loops as the step chooses), on a workspace of small values: the floor the
    benchmark prints next to the fused step. Not part of the Backend protocol."""
    (X,) = _inputs(X)
    dt = X.dtype
    dims, n_theta, work, grad = _workspace(tuple(int(n) for n in layer_dims), X.shape[1], dt, True)
    if theta.shape != (n_theta,) or theta.dtype != dt:
        raise ValueError(f"matrix_products: theta: expected shape ({n_theta},) and dtype {dt}, got {theta.shape}")
    if id(work) not in _FILLED:  # once per workspace: finite, normal values (BLAS's speed does not depend on them)
        work.fill(0.01)
        _FILLED.add(id(work))
    step.matrix_products(X, theta, dims, work, grad)
