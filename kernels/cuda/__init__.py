"""The ``cuda`` backend: the ops of ``kernels.contract.Backend`` as numba.cuda kernels, arrays kept on the GPU.

``to_device`` copies a host array to the GPU once; every op takes and returns device arrays, so parameters,
activations, caches and optimizer state stay on the GPU for a whole run -- only mini-batches go in and the
cost (a Python float) comes out. Data inputs (X, Y, Z, dA, ...) may also be host arrays: they are copied
over for that call. Parameters and every in-place target (W, b, gamma, beta, param, grad, m, v, theta, the
optimizer state) must already be device arrays: a ValueError names the fix (``nn_ref.to_backend``).

The package, split by idea:

* ``launch.py``       the kernel registry, launch sizes (and the simulator's), host-side array helpers
* ``device.py``       ``kernels/scalar.py``'s g, g', cost terms (and sqrt) as device functions
* ``gemm.py``         the tiled GEMM with its named epilogues (bias + activation, activation backward, ...)
* ``elementwise.py``  activations, softmax, cost gradients, update, axpby, fill, adam_update
* ``reductions.py``   row sums, the cost, batch norm
* ``step.py``         the fused ``train_step`` (sgd / momentum / adam)
* ``ptx.py``          the PTX signature table of every kernel

Shapes in the lecture's notation: W (n[l], n[l-1]), b (n[l], 1), A_prev (n[l-1], m), Z/A/dZ/dA (n[l], m).
"""

import numpy as np
from numba import cuda

from ..contract import OUTPUT_DELTA, activation_code, loss_code, tiny
from .gemm import EPILOGUE_SCALE, gemm_into
from .launch import (
    SIM,
    cost_blocks,
    data,
    dtype_of,
    elementwise_grid,
    flat,
    is_device,
    launch_kernel,
    on_device,
    row_grid,
)
from .reductions import cost_into, row_sum
from .step import linear_forward_into, train_step

name = "cuda"

__all__ = [
    "SIM",
    "name",
    "to_device",
    "to_host",
    "is_device",
    "empty",
    "synchronize",
    "activation_forward",
    "activation_backward",
    "softmax",
    "softmax_backward",
    "linear_forward",
    "linear_backward",
    "sum_over_samples",
    "cost",
    "cost_gradient",
    "output_delta",
    "update",
    "axpby",
    "fill",
    "adam_update",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_eval",
    "train_step",
]


# ----------------------------------------------------------------------------- memory
def to_device(x):
    """Device array from a host array (a C-contiguous copy on the GPU); a device array is returned as is."""
    if is_device(x):
        return x
    return cuda.to_device(np.ascontiguousarray(x))


def to_host(x):
    """Host NumPy array from a device array (a copy); a host array is returned as is."""
    if is_device(x):
        return x.copy_to_host()
    return np.asarray(x)


def empty(shape, dtype=np.float64):
    """Uninitialised device array of ``shape``."""
    return cuda.device_array(shape, dtype=dtype)


def synchronize():
    """Wait until every queued kernel has finished."""
    cuda.synchronize()


def cache_warm():
    """Always False: the CUDA kernels are compiled in each process (lazy ``@cuda.jit``), never kept on disk."""
    return False


# ----------------------------------------------------------------------------- helpers
def _inputs(*xs):
    """(dtype, device arrays) for data inputs of one float dtype (host arrays copied over)."""
    dt = dtype_of(*xs)
    return dt, [data(x, dt) for x in xs]


def _map(kname, out_shape, dt, arrays, *scalars):
    """out = kname(arrays..., out, scalars...): a new device array from an elementwise kernel over flat views."""
    out = cuda.device_array(out_shape, dt)
    launch_kernel(kname, dt, *elementwise_grid(out.size), *[flat(x) for x in arrays], flat(out), *scalars)
    return out


def _columns(kname, out_shape, dt, arrays):
    """out = kname(arrays..., out): a new device array from a one-thread-per-column kernel."""
    out = cuda.device_array(out_shape, dt)
    launch_kernel(kname, dt, *elementwise_grid(out_shape[1]), *arrays, out)
    return out


# ----------------------------------------------------------------------------- activations
def activation_forward(Z, activation, alpha=0.01):
    """A = g(Z), elementwise, for g in HIDDEN_ACTIVATIONS.  Z: (n[l], m) -> A: (n[l], m)."""
    code = activation_code(activation, allow_softmax=False)
    dt, (Z,) = _inputs(Z)
    return _map("act_forward", Z.shape, dt, (Z,), code, dt.type(alpha))


def activation_backward(dA, Z, activation, alpha=0.01):
    """dZ = dA * g'(Z) (relu, leaky relu: np.where(Z > 0, dA, 0 or alpha dA)).  dA, Z: (n[l], m) -> dZ."""
    code = activation_code(activation, allow_softmax=False)
    dt, (dA, Z) = _inputs(dA, Z)
    return _map("act_backward", Z.shape, dt, (dA, Z), code, dt.type(alpha))


def softmax(Z):
    """A = softmax(Z) per column, stable (the column max subtracted).  Z: (n[L], m) -> A: (n[L], m)."""
    dt, (Z,) = _inputs(Z)
    return _columns("softmax", Z.shape, dt, (Z,))


def softmax_backward(dA, A):
    """dZ = A * (dA - sum_k dA_k A_k) per column.  dA, A: (n[L], m) -> dZ: (n[L], m)."""
    dt, (dA, A) = _inputs(dA, A)
    return _columns("softmax_backward", A.shape, dt, (dA, A))


# ----------------------------------------------------------------------------- the linear layer
def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    """Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l])  (one GEMM with the bias + activation epilogue).

    A_prev: (n[l-1], m) (device, or host: copied), W: (n[l], n[l-1]), b: (n[l], 1) (device arrays).
    Returns (Z, A), both (n[l], m), on the device.
    """
    code = activation_code(activation)
    W, b = on_device(W, "W"), on_device(b, "b")
    dt = dtype_of(A_prev, W, b)
    A_prev = data(A_prev, dt)
    Z = cuda.device_array((W.shape[0], A_prev.shape[1]), dt)
    A = cuda.device_array(Z.shape, dt)
    linear_forward_into(A_prev, W, b, Z, A, code, dt.type(alpha))
    return Z, A


def sum_over_samples(dZ):
    """Row sums over the m samples.  dZ: (n[l], m) -> (n[l], 1)."""
    dt, (dZ,) = _inputs(dZ)
    out = cuda.device_array((dZ.shape[0], 1), dt)
    row_sum(dZ, out, 1.0)
    return out


def linear_backward(dZ, A_prev, W, need_dA_prev=True):
    """dW = (1/m) dZ A_prev^T;  db = (1/m) sum_i dZ[:, i];  dA_prev = W^T dZ (transposes read in the GEMM).

    dZ: (n[l], m), A_prev: (n[l-1], m), W: (n[l], n[l-1]) (a device array). Returns dA_prev (None when not
    ``need_dA_prev``: layer 1's dA[0]), dW, db.
    """
    W = on_device(W, "W")
    dt = dtype_of(dZ, A_prev, W)
    dZ, A_prev = data(dZ, dt), data(A_prev, dt)
    m = A_prev.shape[1]
    dW = cuda.device_array(W.shape, dt)
    db = cuda.device_array((W.shape[0], 1), dt)
    gemm_into(dW, dZ, A_prev, trans_b=True, scale=1.0 / m, epilogue=EPILOGUE_SCALE)
    row_sum(dZ, db, 1.0 / m)
    if not need_dA_prev:
        return None, dW, db
    dA_prev = cuda.device_array(A_prev.shape, dt)
    gemm_into(dA_prev, W, dZ, trans_a=True)
    return dA_prev, dW, db


# ----------------------------------------------------------------------------- costs
_PARTIALS = {}  # number of blocks -> the float64 partial sums of the cost kernel


def cost(AL, Y, loss):
    """J = (1/m) sum of the loss terms (log of max(., TINY)), as a Python float.  AL, Y: (n[L], m)."""
    code = loss_code(loss)
    dt, (AL, Y) = _inputs(AL, Y)
    blocks = cost_blocks(AL.size)
    partial = _PARTIALS.get(blocks)
    if partial is None:  # one small buffer per size, reused: copy_to_host below waits for the kernel
        partial = _PARTIALS[blocks] = cuda.device_array(blocks, np.float64)
    cost_into(AL, Y, partial, code)
    return float(partial.copy_to_host().sum() / AL.shape[1])


def cost_gradient(AL, Y, loss):
    """dAL = m dJ/dAL (no 1/m: linear_backward applies it).  AL, Y: (n[L], m) -> (n[L], m)."""
    code = loss_code(loss)
    dt, (AL, Y) = _inputs(AL, Y)
    return _map("cost_grad", AL.shape, dt, (AL, Y), code, dt.type(tiny(dt)))


def output_delta(AL, Y):
    """The collapsed dZ[L] = AL - Y.  AL, Y: (n[L], m) -> (n[L], m)."""
    dt, (AL, Y) = _inputs(AL, Y)
    return _map("cost_grad", AL.shape, dt, (AL, Y), OUTPUT_DELTA, dt.type(tiny(dt)))


# ----------------------------------------------------------------------------- in place
def update(param, grad, learning_rate):
    """In place on the device: param <- param - learning_rate grad.  Returns param."""
    param, grad = on_device(param, "param"), on_device(grad, "grad")
    dt = dtype_of(param, grad)
    launch_kernel("update", dt, *elementwise_grid(param.size), flat(param), flat(grad), dt.type(learning_rate))
    return param


def axpby(a, x, b, y):
    """In place on the device: y <- a x + b y.  Returns y."""
    x, y = on_device(x, "x"), on_device(y, "y")
    dt = dtype_of(x, y)
    launch_kernel("axpby", dt, *elementwise_grid(y.size), dt.type(a), flat(x), dt.type(b), flat(y))
    return y


def fill(x, value):
    """In place on the device: x <- value.  Returns x."""
    x = on_device(x, "x")
    dt = dtype_of(x)
    launch_kernel("fill", dt, *elementwise_grid(x.size), flat(x), dt.type(value))
    return x


def adam_update(param, grad, m, v, learning_rate, beta1, beta2, eps, t):
    """Adam, in place on the device: m <- beta1 m + (1 - beta1) grad;  v <- beta2 v + (1 - beta2) grad^2;
    param <- param - learning_rate (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).  Returns param."""
    arrays = [on_device(x, what) for x, what in ((param, "param"), (grad, "grad"), (m, "m"), (v, "v"))]
    dt = dtype_of(*arrays)
    s = dt.type
    launch_kernel(
        "adam_update",
        dt,
        *elementwise_grid(arrays[0].size),
        *[flat(x) for x in arrays],
        s(learning_rate),
        s(beta1),
        s(beta2),
        s(eps),
        s(1 - beta1**t),
        s(1 - beta2**t),
    )
    return arrays[0]


# ----------------------------------------------------------------------------- batch normalization
def batchnorm_forward(Z, gamma, beta, eps):
    """mu, var over the m samples; Z_hat = (Z - mu) / sqrt(var + eps); out = gamma Z_hat + beta.
    Z: (n, m); gamma, beta: (n, 1) (device arrays). Returns (out, Z_hat, mu, var)."""
    gamma, beta = on_device(gamma, "gamma"), on_device(beta, "beta")
    dt = dtype_of(Z, gamma, beta)
    Z = data(Z, dt)
    n = Z.shape[0]
    out, Z_hat = cuda.device_array(Z.shape, dt), cuda.device_array(Z.shape, dt)
    mu, var = cuda.device_array((n, 1), dt), cuda.device_array((n, 1), dt)
    launch_kernel("bn_forward", dt, *row_grid(n), Z, gamma, beta, dt.type(eps), out, Z_hat, mu, var)
    return out, Z_hat, mu, var


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    """dbeta = sum dout, dgamma = sum dout Z_hat, dZ = gamma / sqrt(var + eps) (dout - dbeta/m - Z_hat dgamma/m).
    dout, Z_hat: (n, m); gamma (a device array), var: (n, 1). Returns (dZ, dgamma, dbeta)."""
    gamma = on_device(gamma, "gamma")
    dt, (dout, Z_hat, gamma, var) = _inputs(dout, Z_hat, gamma, var)
    n = dout.shape[0]
    dZ = cuda.device_array(dout.shape, dt)
    dgamma, dbeta = cuda.device_array((n, 1), dt), cuda.device_array((n, 1), dt)
    launch_kernel("bn_backward", dt, *row_grid(n), dout, Z_hat, gamma, var, dt.type(eps), dZ, dgamma, dbeta)
    return dZ, dgamma, dbeta


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta.  Z: (n, m); the rest (n, 1)."""
    gamma, beta = on_device(gamma, "gamma"), on_device(beta, "beta")
    dt, (Z, gamma, beta, rm, rv) = _inputs(Z, gamma, beta, running_mean, running_var)
    out = cuda.device_array(Z.shape, dt)
    launch_kernel("bn_eval", dt, *elementwise_grid(Z.size), Z, gamma, beta, rm, rv, dt.type(eps), out)
    return out
