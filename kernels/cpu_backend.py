"""numba CPU backend: the NumPy oracle's ops as ``@njit(cache=True)`` kernels (``prange`` where it pays).

Same functions and signatures as ``numpy_backend`` (see ``kernels/__init__.py``), plus the fused
``train_step``. Shapes, in the lecture's notation: ``W`` (n[l], n[l-1]), ``b`` (n[l], 1),
``A_prev`` (n[l-1], m), ``Z``/``A``/``dZ``/``dA`` (n[l], m). Arrays are NumPy arrays
(``to_device``/``to_host`` are the identity); every kernel works on C-contiguous float32 or float64.

Where the work goes (chosen by measurement on the 2-core CI machine, ``scripts/bench.py``):

* Matrix products ``W A_prev``, ``dZ A_prev^T``, ``W^T dZ``: BLAS (``np.dot`` inside njit, and
  ``?gemm`` with alpha/beta through the same numba helper, both scipy's BLAS) once
  ``n * n_prev * m >= BLAS_MIN_WORK``; below that a fused loop nest is as fast (see the table at
  BLAS_MIN_WORK) and also folds in the bias + activation pass: the 1-10-1 regression net's layers.
  The loops run along the contiguous sample axis ``j`` so LLVM vectorises them.
* Bias + activation ("epilogue"), activation backward, row sums and the update are one pass each
  (fused: ``Z = W A + b`` and ``A = g(Z)`` are written in the same sweep over a row). They run in
  parallel (``prange`` over rows) only for ``n * m >= PARALLEL_MIN_WORK`` elements. Measured on the
  2-core machine: below ~10^4 elements starting numba's pool costs more than the pass; and between
  BLAS calls a parallel pass is *slower* than a serial one up to millions of elements, because
  OpenBLAS's worker threads keep spinning for a while after each call and numba's workers then
  fight them for the two cores (the MLP 784-256-128-10 step at batch 1024 went from ~7 ms to
  ~300 ms with both pools active). So the per-layer functions go parallel only from 2^22 elements,
  and the fused ``train_step`` keeps every pass serial: its only parallel regions are BLAS's.
* ``train_step`` fuses the update into the gradient: W <- W - (lr/m) dZ A_prev^T is one BLAS call
  with beta = 1 (dW is never written to memory and read back), b likewise in the row-sum pass.
* Thread pools: numba's pool is sized to the CPUs this process may use (``os.sched_getaffinity``);
  BLAS (scipy's OpenBLAS) keeps its own pool, which OpenBLAS sizes to the same CPUs. BLAS is never
  called inside a ``prange`` region, and ``train_step`` runs no ``prange`` region at all, so the two
  pools never compete within a step (see above for what happened when they did).
"""
import math
import os

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.linalg import ensure_blas, get_blas_kind

name = "cpu"

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")
_ACT = {"linear": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "softmax": 5}
_LOSS = {"cross_entropy": 0, "categorical_cross_entropy": 1, "mse": 2, "l1": 3}

# Thresholds measured on the 2-core x86-64 CI machine (AMD EPYC, AVX2; scipy's OpenBLAS), float32,
# microseconds per product, fused loop / BLAS (each W A_prev, W^T dZ and the dW update alike):
#   n x n_prev x m = 10x1x100: 0.8/0.7   4x8x16: 0.4/0.3   16x16x16: 1.1/0.5   8x32x32: 1.7/0.5
#   32x32x32: 4.2/0.9   10x100x64: 6.5/1.5   64x64x64: 22/5
# BLAS's call overhead through numba is well under a microsecond, so the loops only tie with it up
# to about a thousand multiply-adds (the 1-10-1 net's layers); there they stay, as they also fold
# the bias + activation pass into the product.
BLAS_MIN_WORK = 2048         # multiply-adds n * n_prev * m
PARALLEL_MIN_WORK = 1 << 22  # elements n * m (see the module docstring)

_FM = {"reassoc", "contract", "nsz"}  # let LLVM reorder sums so it can vectorise the reductions


def _cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


numba.set_num_threads(max(1, min(numba.config.NUMBA_NUM_THREADS, _cpus())))


def threading_info():
    """(threading layer, numba thread count). The layer is known only after a parallel kernel ran,
    so a tiny one is run first."""
    _update_p(np.zeros((2, 2)), np.zeros((2, 2)), 0.0)
    return numba.threading_layer(), numba.get_num_threads()


# ----------------------------------------------------------------------------- memory
def to_device(x):
    """Backend array from a host array (identity: the CPU backend works on NumPy arrays)."""
    return np.asarray(x)


def to_host(x):
    """Host NumPy array from a backend array (identity here)."""
    return np.asarray(x)


def empty(shape, dtype=np.float64):
    """Uninitialised backend array of ``shape``."""
    return np.empty(shape, dtype=dtype)


def synchronize():
    """Wait for queued work (numba kernels return when done: nothing to wait for)."""


def _c(x, dtype=None):
    """C-contiguous array of ``dtype`` (no copy when it already is one)."""
    return np.ascontiguousarray(x, dtype=dtype)


def _act_code(activation):
    try:
        return _ACT[activation]
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}") from None


# ----------------------------------------------------------------------------- BLAS gemm with beta
@intrinsic
def _xgemm(typingctx, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """Column-major BLAS ?gemm, C = alpha op(A) op(B) + beta C, through numba's own ``numba_xxgemm``
    helper (the one np.dot uses: scipy's BLAS, resolved at run time, so the caller stays cacheable).
    np.dot has no alpha / beta; with them the update W <- W - (lr/m) dZ A_prev^T is one BLAS call,
    without writing dW and reading it back."""
    ensure_blas()
    sig = types.int32(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        ta, tb, m_, n_, k_, al, A, lda_, B, ldb_, be, C, ldc_ = args
        ty = signature.args
        dtype = ty[11].dtype
        ll_char = ir.IntType(8)
        ll_void_p = ll_char.as_pointer()
        intp_t = context.get_value_type(types.intp)
        fnty = ir.FunctionType(ir.IntType(32), [ll_char, ll_char, ll_char, intp_t, intp_t, intp_t, ll_void_p,
                                                ll_void_p, intp_t, ll_void_p, intp_t, ll_void_p, ll_void_p, intp_t])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")

        def as_intp(v, t):
            return context.cast(builder, v, t, types.intp)

        def as_char(v, t):
            return builder.trunc(context.cast(builder, v, t, types.int64), ll_char)

        def slot(v, t):
            return builder.bitcast(cgutils.alloca_once_value(builder, context.cast(builder, v, t, dtype)), ll_void_p)

        def data(v, t):
            return builder.bitcast(context.make_array(t)(context, builder, v).data, ll_void_p)
        kind = ir.Constant(ll_char, ord(get_blas_kind(dtype)))
        return builder.call(fn, (kind, as_char(ta, ty[0]), as_char(tb, ty[1]), as_intp(m_, ty[2]), as_intp(n_, ty[3]),
                                 as_intp(k_, ty[4]), slot(al, ty[5]), data(A, ty[6]), as_intp(lda_, ty[7]),
                                 data(B, ty[8]), as_intp(ldb_, ty[9]), slot(be, ty[10]), data(C, ty[11]),
                                 as_intp(ldc_, ty[12])))
    return sig, codegen


@njit(cache=True)
def _gemm(A, B, C, trans_a, trans_b, alpha, beta):
    """C = alpha op(A) op(B) + beta C for C-contiguous (row-major) arrays; op(X) = X^T if trans_x.
    Row-major C is column-major C^T = op(B)^T op(A)^T: the operands swap, the flags carry over."""
    M, N = C.shape
    K = A.shape[0] if trans_a else A.shape[1]
    _xgemm(116 if trans_b else 110, 116 if trans_a else 110, N, M, K, alpha, B, B.shape[1], A, A.shape[1],
           beta, C, N)


# ----------------------------------------------------------------------------- row kernels (serial)
@njit(cache=True, fastmath=_FM)
def _epilogue_row(Z, A, b, i, code, alpha):
    """Row i: Z[i, :] += b[i]; A[i, :] = g(Z[i, :]). code: 0 linear 1 sigmoid 2 tanh 3 relu 4 leaky."""
    m = Z.shape[1]
    bi = b[i, 0]
    for j in range(m):
        z = Z[i, j] + bi
        Z[i, j] = z
        if code == 0:
            A[i, j] = z
        elif code == 1:
            if z >= 0:
                A[i, j] = 1.0 / (1.0 + math.exp(-z))
            else:
                e = math.exp(z)
                A[i, j] = e / (1.0 + e)
        elif code == 2:
            A[i, j] = math.tanh(z)
        elif code == 3:
            A[i, j] = z if z > 0 else 0.0
        else:
            A[i, j] = z if z > 0 else alpha * z


@njit(cache=True, fastmath=_FM)
def _act_backward_row(dA, Z, dZ, i, code, alpha):
    """Row i: dZ[i, :] = dA[i, :] * g'(Z[i, :])."""
    for j in range(Z.shape[1]):
        z = Z[i, j]
        if code == 0:
            dZ[i, j] = dA[i, j]
        elif code == 1:
            if z >= 0:
                s = 1.0 / (1.0 + math.exp(-z))
            else:
                e = math.exp(z)
                s = e / (1.0 + e)
            dZ[i, j] = dA[i, j] * s * (1.0 - s)
        elif code == 2:
            t = math.tanh(z)
            dZ[i, j] = dA[i, j] * (1.0 - t * t)
        elif code == 3:
            dZ[i, j] = dA[i, j] if z > 0 else 0.0
        else:
            dZ[i, j] = dA[i, j] if z > 0 else alpha * dA[i, j]


@njit(cache=True, fastmath=_FM)
def _matmul_row(W, A_prev, Z, i):
    """Row i of Z = W A_prev, accumulated along the contiguous sample axis (vectorises)."""
    m = Z.shape[1]
    for j in range(m):
        Z[i, j] = 0.0
    for k in range(W.shape[1]):
        w = W[i, k]
        for j in range(m):
            Z[i, j] += w * A_prev[k, j]


@njit(cache=True, fastmath=_FM)
def _matmul_tn_row(W, dZ, dA_prev, k):
    """Row k of dA_prev = W^T dZ:  dA_prev[k, :] = sum_i W[i, k] dZ[i, :]."""
    m = dZ.shape[1]
    for j in range(m):
        dA_prev[k, j] = 0.0
    for i in range(W.shape[0]):
        w = W[i, k]
        for j in range(m):
            dA_prev[k, j] += w * dZ[i, j]


@njit(cache=True, fastmath=_FM)
def _dw_db_row(dZ, A_prev, dW, db, i, inv_m):
    """Row i of dW = (1/m) dZ A_prev^T and db = (1/m) sum_j dZ[i, j] (dot products of rows)."""
    m = dZ.shape[1]
    s = 0.0
    for j in range(m):
        s += dZ[i, j]
    db[i, 0] = s * inv_m
    for k in range(A_prev.shape[0]):
        s = 0.0
        for j in range(m):
            s += dZ[i, j] * A_prev[k, j]
        dW[i, k] = s * inv_m


# ----------------------------------------------------------------------------- row loops (parallel)
# The parallel kernels are launched from the Python wrappers only, never from inside another njit
# function: so ``train_step`` does not pay for compiling them (parallel kernels compile slowly),
# and the fused step keeps every pass serial, as measured best between BLAS calls.
@njit(cache=True, parallel=True)
def _epilogue_p(Z, A, b, code, alpha):
    for i in prange(Z.shape[0]):
        _epilogue_row(Z, A, b, i, code, alpha)


@njit(cache=True)
def _epilogue_s(Z, A, b, code, alpha):
    for i in range(Z.shape[0]):
        _epilogue_row(Z, A, b, i, code, alpha)


@njit(cache=True, parallel=True)
def _act_backward_p(dA, Z, dZ, code, alpha):
    for i in prange(Z.shape[0]):
        _act_backward_row(dA, Z, dZ, i, code, alpha)


@njit(cache=True)
def _act_backward_s(dA, Z, dZ, code, alpha):
    for i in range(Z.shape[0]):
        _act_backward_row(dA, Z, dZ, i, code, alpha)


@njit(cache=True, parallel=True)
def _update_p(param, grad, learning_rate):
    P = param.reshape(param.size)
    G = grad.reshape(grad.size)
    for i in prange(P.size):
        P[i] -= learning_rate * G[i]


# ----------------------------------------------------------------------------- layer kernels
@njit(cache=True)
def _product(A_prev, W, Z):
    """Z = W A_prev: BLAS for n n_prev m >= BLAS_MIN_WORK, else the fused loops."""
    n, m = Z.shape
    if n * W.shape[1] * m >= BLAS_MIN_WORK:
        np.dot(W, A_prev, Z)
    else:
        for i in range(n):
            _matmul_row(W, A_prev, Z, i)


@njit(cache=True)
def _linear_forward(A_prev, W, b, Z, A, code, alpha):
    """Z = W A_prev + b; A = g(Z) (g = softmax for code 5), written into Z and A (serial passes)."""
    _product(A_prev, W, Z)
    # one call site with a variable code: a literal argument would compile a second specialization
    _epilogue_s(Z, A, b, 0 if code == 5 else code, alpha)
    if code == 5:
        _softmax(Z, A)


@njit(cache=True)
def _linear_backward(dZ, A_prev, W, dA_prev, dW, db, need_dA_prev):
    """dW = (1/m) dZ A_prev^T, db = (1/m) row sums of dZ, dA_prev = W^T dZ (if need_dA_prev)."""
    n, m = dZ.shape
    n_prev = A_prev.shape[0]
    inv_m = 1.0 / m
    if n * n_prev * m >= BLAS_MIN_WORK:
        _gemm(dZ, A_prev, dW, False, True, inv_m, 0.0)      # (1/m) dZ A_prev^T in one BLAS call
        for i in range(n):
            s = 0.0
            for j in range(m):
                s += dZ[i, j]
            db[i, 0] = s * inv_m
    else:
        for i in range(n):
            _dw_db_row(dZ, A_prev, dW, db, i, inv_m)
    if need_dA_prev:
        _product_tn(W, dZ, dA_prev)


@njit(cache=True)
def _product_tn(W, dZ, dA_prev):
    """dA_prev = W^T dZ (BLAS, or the fused loops for small products)."""
    if W.shape[0] * W.shape[1] * dZ.shape[1] >= BLAS_MIN_WORK:
        np.dot(W.T, dZ, dA_prev)
    else:
        for k in range(W.shape[1]):
            _matmul_tn_row(W, dZ, dA_prev, k)


@njit(cache=True, fastmath=_FM)
def _descend(dZ, A_prev, W, b, learning_rate):
    """The update fused with the gradient: W <- W - (lr/m) dZ A_prev^T, b <- b - (lr/m) sum_j dZ[:, j].
    One BLAS call with beta = 1 for large products (dW is never written out), else row loops."""
    n, m = dZ.shape
    n_prev = A_prev.shape[0]
    step = learning_rate / m
    if n * n_prev * m >= BLAS_MIN_WORK:
        _gemm(dZ, A_prev, W, False, True, -step, 1.0)
        for i in range(n):
            s = 0.0
            for j in range(m):
                s += dZ[i, j]
            b[i, 0] -= step * s
    else:
        for i in range(n):
            s = 0.0
            for j in range(m):
                s += dZ[i, j]
            b[i, 0] -= step * s
            for k in range(n_prev):
                s = 0.0
                for j in range(m):
                    s += dZ[i, j] * A_prev[k, j]
                W[i, k] -= step * s


@njit(cache=True)
def _row_sums(dZ, out):
    for i in range(dZ.shape[0]):
        s = 0.0
        for j in range(dZ.shape[1]):
            s += dZ[i, j]
        out[i, 0] = s


@njit(cache=True)
def _softmax(Z, A):
    """A[:, j] = exp(Z[:, j] - max Z[:, j]) / sum_k exp(Z[k, j] - max Z[:, j])."""
    n, m = Z.shape
    for j in range(m):
        zmax = Z[0, j]
        for k in range(1, n):
            if Z[k, j] > zmax:
                zmax = Z[k, j]
        s = 0.0
        for k in range(n):
            e = math.exp(Z[k, j] - zmax)
            A[k, j] = e
            s += e
        inv = 1.0 / s
        for k in range(n):
            A[k, j] = A[k, j] * inv


@njit(cache=True)
def _softmax_backward(dA, A, dZ):
    """dZ[:, j] = A[:, j] * (dA[:, j] - sum_k dA[k, j] A[k, j])."""
    n, m = A.shape
    for j in range(m):
        s = 0.0
        for k in range(n):
            s += dA[k, j] * A[k, j]
        for k in range(n):
            dZ[k, j] = A[k, j] * (dA[k, j] - s)


@njit(cache=True)
def _cost(AL, Y, code, tiny):
    """The cost summed over all entries, divided by m. code: 0 ce, 1 categorical ce, 2 mse, 3 l1."""
    n, m = AL.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            a = AL[i, j]
            y = Y[i, j]
            if code == 0:
                s -= y * math.log(max(a, tiny)) + (1.0 - y) * math.log(max(1.0 - a, tiny))
            elif code == 1:
                s -= y * math.log(max(a, tiny))
            elif code == 2:
                s += (a - y) * (a - y)
            else:
                s += abs(a - y)
    return s / m


@njit(cache=True)
def _cost_gradient(AL, Y, out, code, tiny):
    """dAL = dJ/dAL (without 1/m); code 4: the collapsed output delta AL - Y."""
    n, m = AL.shape
    for i in range(n):
        for j in range(m):
            a = AL[i, j]
            y = Y[i, j]
            if code == 0:
                out[i, j] = -(y / max(a, tiny) - (1.0 - y) / max(1.0 - a, tiny))
            elif code == 1:
                out[i, j] = -y / max(a, tiny)
            elif code == 2:
                out[i, j] = 2.0 * (a - y)
            elif code == 3:
                d = a - y
                out[i, j] = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
            else:
                out[i, j] = a - y


@njit(cache=True)
def _update_s(param, grad, learning_rate):
    P = param.reshape(param.size)
    G = grad.reshape(grad.size)
    for i in range(P.size):
        P[i] -= learning_rate * G[i]


# ----------------------------------------------------------------------------- batch norm
@njit(cache=True)
def _batchnorm_forward(Z, gamma, beta, eps, out, Z_hat, mu, var):
    n, m = Z.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += Z[i, j]
        mean = s / m
        s = 0.0
        for j in range(m):
            d = Z[i, j] - mean
            s += d * d
        v = s / m
        mu[i, 0] = mean
        var[i, 0] = v
        inv_std = 1.0 / math.sqrt(v + eps)
        for j in range(m):
            zh = (Z[i, j] - mean) * inv_std
            Z_hat[i, j] = zh
            out[i, j] = gamma[i, 0] * zh + beta[i, 0]


@njit(cache=True)
def _batchnorm_backward(dout, Z_hat, gamma, var, eps, dZ, dgamma, dbeta):
    n, m = dout.shape
    for i in range(n):
        sb = 0.0
        sg = 0.0
        for j in range(m):
            sb += dout[i, j]
            sg += dout[i, j] * Z_hat[i, j]
        dbeta[i, 0] = sb
        dgamma[i, 0] = sg
        scale = gamma[i, 0] / math.sqrt(var[i, 0] + eps)
        for j in range(m):
            dZ[i, j] = scale * (dout[i, j] - sb / m - Z_hat[i, j] * sg / m)


@njit(cache=True)
def _batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps, out):
    n, m = Z.shape
    for i in range(n):
        scale = gamma[i, 0] / math.sqrt(running_var[i, 0] + eps)
        for j in range(m):
            out[i, j] = scale * (Z[i, j] - running_mean[i, 0]) + beta[i, 0]


# ----------------------------------------------------------------------------- fused training step
@njit(cache=True)
def _train_step(X, Y, theta, dims, hidden, output, loss, learning_rate, alpha, tiny, work):
    """One gradient-descent step of the L-layer net whose parameters W1, b1, ..., WL, bL lie
    flat in ``theta``; ``work`` holds Z[l], A[l], dZ, dA and the gradients. Returns the cost
    before the update. Same arithmetic as network.forward/compute_cost/backward/update_parameters."""
    L = dims.shape[0] - 1
    m = X.shape[1]
    # views into theta (parameters) and work (activations, caches, gradients)
    Ws = []
    bs = []
    Zs = []
    As = [X]
    p = 0
    w = 0
    for l in range(1, L + 1):
        n, n_prev = dims[l], dims[l - 1]
        Ws.append(theta[p:p + n * n_prev].reshape((n, n_prev)))
        p += n * n_prev
        bs.append(theta[p:p + n].reshape((n, 1)))
        p += n
        Zs.append(work[w:w + n * m].reshape((n, m)))
        w += n * m
        As.append(work[w:w + n * m].reshape((n, m)))
        w += n * m
    nmax = 0
    for l in range(1, L + 1):
        nmax = max(nmax, dims[l])
    dZbuf = work[w:w + nmax * m]
    w += nmax * m
    dAbuf = work[w:w + nmax * m]
    # forward
    for l in range(L):
        code = output if l == L - 1 else hidden
        _linear_forward(As[l], Ws[l], bs[l], Zs[l], As[l + 1], code, alpha)
    AL = As[L]
    cost = _cost(AL, Y, loss, tiny)
    # backward
    nL = dims[L]
    dZ = dZbuf[:nL * m].reshape((nL, m))
    dA = dAbuf[:nL * m].reshape((nL, m))
    collapse = (output == 1 and loss == 0) or (output == 5 and loss == 1)   # dZ[L] = AL - Y
    _cost_gradient(AL, Y, dZ if collapse else dA, 4 if collapse else loss, tiny)
    if not collapse:
        if output == 5:
            _softmax_backward(dA, AL, dZ)
        else:
            _act_backward_s(dA, Zs[L - 1], dZ, output, alpha)
    # backward and update, layer by layer from the top: dA[l-1] = W[l]^T dZ[l] with W[l] before
    # its update, then W[l] <- W[l] - (lr/m) dZ[l] A[l-1]^T and b[l] likewise (gradients not stored)
    for l in range(L - 1, -1, -1):
        if l > 0:      # dA[0] = W1^T dZ1 is not needed
            n_prev = dims[l]
            dA_prev = dAbuf[:n_prev * m].reshape((n_prev, m))
            _product_tn(Ws[l], dZ, dA_prev)
        _descend(dZ, As[l], Ws[l], bs[l], learning_rate)
        if l > 0:
            dZ = dZbuf[:n_prev * m].reshape((n_prev, m))
            _act_backward_s(dA_prev, Zs[l - 1], dZ, hidden, alpha)
    return cost


# ----------------------------------------------------------------------------- public API
def activation_forward(Z, activation, alpha=0.01):
    """A = g(Z) for g in {linear, sigmoid, tanh, relu, leaky_relu}.  Z: (n[l], m) -> A: (n[l], m)."""
    code = _act_code(activation)
    if code == 5:
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
    Z = np.array(Z, order="C")  # a copy: the epilogue writes Z + b back into its Z argument
    A = np.empty_like(Z)
    kern = _epilogue_p if Z.size >= PARALLEL_MIN_WORK else _epilogue_s
    kern(Z, A, np.zeros((Z.shape[0], 1), Z.dtype), code, float(alpha))
    return A


def activation_backward(dA, Z, activation, alpha=0.01):
    """dZ = dA * g'(Z).  dA, Z: (n[l], m) -> dZ: (n[l], m)."""
    code = _act_code(activation)
    if code == 5:
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
    dtype = np.result_type(dA, Z)
    dA, Z = _c(dA, dtype), _c(Z, dtype)
    dZ = np.empty_like(Z)
    kern = _act_backward_p if Z.size >= PARALLEL_MIN_WORK else _act_backward_s
    kern(dA, Z, dZ, code, float(alpha))
    return dZ


def softmax(Z):
    """A = softmax(Z) per column, stable (column max subtracted).  Z: (n[L], m) -> A: (n[L], m)."""
    Z = _c(Z)
    A = np.empty_like(Z)
    _softmax(Z, A)
    return A


def softmax_backward(dA, A):
    """dZ = A * (dA - sum_k dA_k A_k) per column.  dA, A: (n[L], m) -> dZ: (n[L], m)."""
    dtype = np.result_type(dA, A)
    dA, A = _c(dA, dtype), _c(A, dtype)
    dZ = np.empty_like(A)
    _softmax_backward(dA, A, dZ)
    return dZ


def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    """Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l])  (bias and activation fused in one pass).

    A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1). Returns (Z, A), both (n[l], m).
    """
    code = _act_code(activation)
    dtype = np.result_type(A_prev, W, b)
    A_prev, W, b = _c(A_prev, dtype), _c(W, dtype), _c(b, dtype)
    Z = np.empty((W.shape[0], A_prev.shape[1]), dtype)
    A = np.empty_like(Z)
    if code != 5 and Z.size >= PARALLEL_MIN_WORK:
        _product(A_prev, W, Z)
        _epilogue_p(Z, A, b, code, float(alpha))
    else:
        _linear_forward(A_prev, W, b, Z, A, code, float(alpha))
    return Z, A


def sum_over_samples(dZ):
    """Row sums over the m samples.  dZ: (n[l], m) -> (n[l], 1)."""
    dZ = _c(dZ)
    out = np.empty((dZ.shape[0], 1), dZ.dtype)
    _row_sums(dZ, out)
    return out


def linear_backward(dZ, A_prev, W):
    """dW = (1/m) dZ A_prev^T;  db = (1/m) sum_i dZ[:, i];  dA_prev = W^T dZ.

    dZ: (n[l], m), A_prev: (n[l-1], m), W: (n[l], n[l-1]).
    Returns dA_prev (n[l-1], m), dW (n[l], n[l-1]), db (n[l], 1).
    """
    dtype = np.result_type(dZ, A_prev, W)
    dZ, A_prev, W = _c(dZ, dtype), _c(A_prev, dtype), _c(W, dtype)
    dA_prev = np.empty_like(A_prev)
    dW = np.empty_like(W)
    db = np.empty((W.shape[0], 1), dtype)
    _linear_backward(dZ, A_prev, W, dA_prev, dW, db, True)
    return dA_prev, dW, db


_TINY = {"f": float(np.finfo(np.float32).tiny), "d": float(np.finfo(np.float64).tiny)}


def _tiny(AL):
    return _TINY.get(AL.dtype.char, _TINY["d"])


def _cost_call(AL, Y, code):
    dtype = np.result_type(AL, Y)
    AL, Y = _c(AL, dtype), _c(Y, dtype)
    return float(_cost(AL, Y, code, _tiny(AL)))


def cross_entropy_cost(AL, Y):
    """J = -(1/m) sum [y log a + (1 - y) log(1 - a)] (log of max(., tiny)).  Returns a float."""
    return _cost_call(AL, Y, 0)


def categorical_cross_entropy_cost(AL, Y):
    """J = -(1/m) sum sum y log a (softmax output, one-hot Y).  Returns a float."""
    return _cost_call(AL, Y, 1)


def mse_cost(AL, Y):
    """J = (1/m) sum (AL - Y)^2.  Returns a float."""
    return _cost_call(AL, Y, 2)


def l1_cost(AL, Y):
    """J = (1/m) sum |AL - Y|.  Returns a float."""
    return _cost_call(AL, Y, 3)


def _grad_call(AL, Y, code):
    dtype = np.result_type(AL, Y)
    AL, Y = _c(AL, dtype), _c(Y, dtype)
    out = np.empty_like(AL)
    _cost_gradient(AL, Y, out, code, _tiny(AL))
    return out


def cost_gradient(AL, Y, loss):
    """dAL = dJ/dAL without the 1/m (``linear_backward`` applies it).  AL, Y: (n[L], m)."""
    if loss not in _LOSS:
        raise ValueError(f"unknown loss {loss!r}")
    return _grad_call(AL, Y, _LOSS[loss])


def output_delta(AL, Y):
    """dZ[L] = AL - Y (sigmoid + cross-entropy, softmax + categorical cross-entropy)."""
    return _grad_call(AL, Y, 4)


def update(param, grad, learning_rate):
    """In place: param <- param - learning_rate * grad.  Returns param."""
    if not (param.flags.c_contiguous and param.flags.writeable):
        raise ValueError("update: param must be a writeable C-contiguous array (updated in place)")
    kern = _update_p if param.size >= PARALLEL_MIN_WORK else _update_s
    kern(param, _c(grad, param.dtype), float(learning_rate))
    return param


def batchnorm_forward(Z, gamma, beta, eps):
    """Z_hat = (Z - mu) / sqrt(var + eps), out = gamma Z_hat + beta; mu, var over the m samples.

    Z: (n, m); gamma, beta: (n, 1). Returns (out, Z_hat, mu, var): (n, m), (n, m), (n, 1), (n, 1).
    """
    dtype = np.result_type(Z, gamma, beta)
    Z, gamma, beta = _c(Z, dtype), _c(gamma, dtype), _c(beta, dtype)
    n = Z.shape[0]
    out, Z_hat = np.empty_like(Z), np.empty_like(Z)
    mu, var = np.empty((n, 1), dtype), np.empty((n, 1), dtype)
    _batchnorm_forward(Z, gamma, beta, float(eps), out, Z_hat, mu, var)
    return out, Z_hat, mu, var


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    """dbeta = sum dout, dgamma = sum dout Z_hat (over samples),
    dZ = gamma / sqrt(var + eps) * (dout - dbeta/m - Z_hat dgamma/m). Returns (dZ, dgamma, dbeta)."""
    dtype = np.result_type(dout, Z_hat, gamma, var)
    dout, Z_hat, gamma, var = (_c(x, dtype) for x in (dout, Z_hat, gamma, var))
    n = dout.shape[0]
    dZ = np.empty_like(dout)
    dgamma, dbeta = np.empty((n, 1), dtype), np.empty((n, 1), dtype)
    _batchnorm_backward(dout, Z_hat, gamma, var, float(eps), dZ, dgamma, dbeta)
    return dZ, dgamma, dbeta


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta.  Z: (n, m) -> (n, m)."""
    dtype = np.result_type(Z, gamma, beta, running_mean, running_var)
    Z, gamma, beta, rm, rv = (_c(x, dtype) for x in (Z, gamma, beta, running_mean, running_var))
    out = np.empty_like(Z)
    _batchnorm_eval(Z, gamma, beta, rm, rv, float(eps), out)
    return out


_WORK = {}


def _workspace(layer_dims, m, dtype):
    key = (layer_dims, m, dtype)
    hit = _WORK.get(key)
    if hit is None:
        dims = np.asarray(layer_dims, dtype=np.int64)
        size = sum(2 * dims[l] * m for l in range(1, len(dims)))
        size += 2 * int(dims.max()) * m
        if len(_WORK) > 16:
            _WORK.clear()
        hit = _WORK[key] = (dims, np.empty(int(size), dtype))
    return hit


def train_step(X, Y, theta, layer_dims, hidden_activation, output_activation, loss, learning_rate, alpha=0.01):
    """One fused gradient-descent step; returns the cost J before the update.

    X: (n[0], m), Y: (n[L], m), theta: flat parameters W1, b1, ..., WL, bL (see
    ``nn_ref.kernels.pack_parameters``), updated in place; layer_dims: tuple (n[0], ..., n[L]).
    Computes what network.forward, compute_cost, backward and update_parameters compute.
    """
    layer_dims = tuple(layer_dims)
    dims, work = _workspace(layer_dims, X.shape[1], theta.dtype)
    return _train_step(_c(X, theta.dtype), _c(Y, theta.dtype), theta, dims, _ACT[hidden_activation],
                       _ACT[output_activation], _LOSS[loss], float(learning_rate), float(alpha),
                       _TINY[theta.dtype.char], work)
