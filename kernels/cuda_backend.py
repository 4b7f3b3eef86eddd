"""numba.cuda backend: the NumPy oracle's ops as CUDA kernels, arrays kept on the GPU.

Same functions and signatures as ``numpy_backend`` (see ``kernels/__init__.py``) plus ``train_step``.
``to_device`` copies a host array to the GPU (a device array is returned unchanged), ``to_host``
copies back; every other function takes and returns device arrays, so parameters, activations
and caches stay on the GPU for a whole training run -- only mini-batches go in and the cost
(a Python float) comes out. Shapes in the lecture's notation: W (n[l], n[l-1]), b (n[l], 1),
A_prev (n[l-1], m), Z/A/dZ/dA (n[l], m).

Kernels (``@cuda.jit`` without signatures: nothing compiles, and no GPU is needed, until the first
launch; one kernel per dtype, made by a small factory so the dtype is a compile-time constant):

- ``gemm``: tiled shared-memory GEMM C = op(A) op(B) with op = identity or transpose read straight
  from global memory (W^T dZ and dZ A_prev^T need no host-side transposes). Each block computes a
  BM x BN tile of C, staging BK-wide slabs of op(A) and op(B) in shared memory; each thread keeps
  a TM x TN register tile. Fused epilogues: 0 ``C = scale * acc`` (dW = (1/m) dZ A_prev^T),
  1 ``Z = acc + b; A = g(Z)`` (the forward layer), 2 ``C = acc * g'(Zaux)`` (dZ[l-1] = (W^T dZ) * g'(Z[l-1])),
  3 ``C += scale * acc`` (``train_step``'s update W <- W - (lr/m) dZ A_prev^T, without storing dW).
  Three tile shapes by output size: 16 x 16 (2 x 2 per thread) for the small layers of small nets,
  64 x 64 (4 x 4 per thread), and 128 x 128 (8 x 8 per thread) for large outputs.
- ``row_sum``: sum over the samples (axis 1) of each row, one block per row, tree reduction in
  shared memory (db = (1/m) sum_i dZ[:, i]).
- elementwise (grid-stride loops): ``act_forward``, ``act_backward``, ``cost_grad``
  (dJ/dAL for each loss, and the collapsed output delta AL - Y), ``update`` (in place).
- ``softmax`` / ``softmax_backward``: one thread per sample (column).
- ``cost``: per-block partial sums of the loss terms (float64), summed on the host: the one
  number that leaves the GPU.
- batch norm: ``bn_forward`` / ``bn_backward`` (one block per row: mean, variance, sums),
  ``bn_eval`` (elementwise).

Under the simulator (``NUMBA_ENABLE_CUDASIM=1``) each CUDA thread is a Python thread, so the
elementwise and reduction kernels are launched with few threads there (grid-stride loops make
any launch size correct); the GEMM's block shape is part of its design and stays as on a GPU.
"""
import math
import os

import numpy as np
from numba import config, cuda, float32, float64, int64

if "NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS" not in os.environ:
    # a small net's layers are small grids by nature; numba would warn at each such launch
    config.CUDA_LOW_OCCUPANCY_WARNINGS = 0

name = "cuda"

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")
_ACT = {"linear": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "softmax": 5}
_LOSS = {"cross_entropy": 0, "categorical_cross_entropy": 1, "mse": 2, "l1": 3}
_NBTYPE = {np.dtype(np.float32): float32, np.dtype(np.float64): float64}
_TINY = {np.dtype(np.float32): float(np.finfo(np.float32).tiny), np.dtype(np.float64): float(np.finfo(np.float64).tiny)}

SIM = bool(config.ENABLE_CUDASIM)
RED_THREADS = 8 if SIM else 128           # threads of a reduction block (a power of two)
EW_THREADS = 16 if SIM else 256           # threads of an elementwise block
EW_MAX_BLOCKS = 2 if SIM else 4096        # grid-stride loops cover the rest
# GEMM tiles: BM, BN, BK, TM, TN (a block of (BM/TM) x (BN/TN) threads, each a TM x TN register tile)
GEMM_TILES = {
    "gemm_small": (16, 16, 8, 2, 2),      # 8 x 8 threads: outputs under MEDIUM_TILE_MIN elements (small nets)
    "gemm": (64, 64, 8, 4, 4),            # 16 x 16 threads
    "gemm_large": (128, 128, 8, 8, 8),    # 16 x 16 threads: outputs of LARGE_TILE_MIN elements or more
}
MEDIUM_TILE_MIN = 64 * 64
LARGE_TILE_MIN = 512 * 512


# ----------------------------------------------------------------------------- device functions
@cuda.jit(device=True, inline=True)
def _g(z, code, alpha):
    """g(z): 0 linear, 1 sigmoid (stable), 2 tanh, 3 relu, 4 leaky relu."""
    if code == 1:
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
    if code == 2:
        return math.tanh(z)
    if code == 3:
        return z if z > 0 else 0.0 * z
    if code == 4:
        return z if z > 0 else alpha * z
    return z


@cuda.jit(device=True, inline=True)
def _gprime(z, code, alpha):
    """g'(z) for the codes of ``_g``."""
    if code == 1:
        if z >= 0:
            s = 1.0 / (1.0 + math.exp(-z))
        else:
            e = math.exp(z)
            s = e / (1.0 + e)
        return s * (1.0 - s)
    if code == 2:
        t = math.tanh(z)
        return 1.0 - t * t
    if code == 3:
        return 1.0 if z > 0 else 0.0
    if code == 4:
        return 1.0 if z > 0 else alpha
    return 1.0


# ----------------------------------------------------------------------------- kernel factories
_FACTORIES = {}   # kernel name -> factory(nbtype) ; every kernel of this module is listed here
_CACHE = {}


def _factory(fn):
    _FACTORIES[fn.__name__.lstrip("_")] = fn
    return fn


def kernel(kname, dtype):
    """The cuda.jit kernel ``kname`` for ``dtype`` (made once, compiled lazily at first launch)."""
    key = (kname, np.dtype(dtype))
    if key not in _CACHE:
        _CACHE[key] = _FACTORIES[kname](_NBTYPE[np.dtype(dtype)])
    return _CACHE[key]


def _make_gemm(dt, BM, BN, BK, TM, TN):
    TY = BM // TM                 # thread rows
    TX = BN // TN                 # thread columns
    NT = TX * TY                  # threads per block
    A_LOADS = BM * BK // NT       # elements of the A slab each thread loads
    B_LOADS = BN * BK // NT

    @cuda.jit
    def gemm(A, B, C, trans_a, trans_b, scale, epilogue, bias, aux, code, alpha):
        """C (M, N) = op(A) (M, K) . op(B) (K, N), op(X) = X^T when trans_x; then the epilogue:
        0: C = scale * acc;  1: C = acc + bias, aux = g(C);  2: C = acc * g'(aux);
        3: C += scale * acc (the update W <- W - (lr/m) dZ A_prev^T, dW never stored)."""
        sA = cuda.shared.array((BK, BM), dt)
        sB = cuda.shared.array((BK, BN), dt)
        acc = cuda.local.array((TM, TN), dt)
        ra = cuda.local.array(TM, dt)
        rb = cuda.local.array(TN, dt)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        tid = ty * TX + tx
        M = C.shape[0]
        N = C.shape[1]
        K = A.shape[0] if trans_a else A.shape[1]
        row0 = cuda.blockIdx.y * BM
        col0 = cuda.blockIdx.x * BN
        for i in range(TM):
            for j in range(TN):
                acc[i, j] = 0
        for k0 in range(0, K, BK):
            for e in range(A_LOADS):
                idx = tid + e * NT
                if trans_a:            # A is (K, M): consecutive threads read consecutive m
                    r = idx % BM
                    kk = idx // BM
                    gr = row0 + r
                    gk = k0 + kk
                    sA[kk, r] = A[gk, gr] if (gr < M and gk < K) else 0
                else:                  # A is (M, K): consecutive threads read consecutive k
                    kk = idx % BK
                    r = idx // BK
                    gr = row0 + r
                    gk = k0 + kk
                    sA[kk, r] = A[gr, gk] if (gr < M and gk < K) else 0
            for e in range(B_LOADS):
                idx = tid + e * NT
                if trans_b:            # B is (N, K)
                    kk = idx % BK
                    c = idx // BK
                    gc = col0 + c
                    gk = k0 + kk
                    sB[kk, c] = B[gc, gk] if (gc < N and gk < K) else 0
                else:                  # B is (K, N)
                    c = idx % BN
                    kk = idx // BN
                    gc = col0 + c
                    gk = k0 + kk
                    sB[kk, c] = B[gk, gc] if (gc < N and gk < K) else 0
            cuda.syncthreads()
            for kk in range(BK):
                for i in range(TM):
                    ra[i] = sA[kk, ty + i * TY]
                for j in range(TN):
                    rb[j] = sB[kk, tx + j * TX]
                for i in range(TM):
                    for j in range(TN):
                        acc[i, j] += ra[i] * rb[j]
            cuda.syncthreads()
        for i in range(TM):
            r = row0 + ty + i * TY
            if r < M:
                for j in range(TN):
                    c = col0 + tx + j * TX
                    if c < N:
                        v = acc[i, j]
                        if epilogue == 1:
                            z = v + bias[r, 0]
                            C[r, c] = z
                            aux[r, c] = _g(z, code, alpha)
                        elif epilogue == 2:
                            C[r, c] = v * _gprime(aux[r, c], code, alpha)
                        elif epilogue == 3:
                            C[r, c] += scale * v
                        else:
                            C[r, c] = v * scale
    return gemm


@_factory
def _gemm_small(dt):
    return _make_gemm(dt, *GEMM_TILES["gemm_small"])


@_factory
def _gemm(dt):
    return _make_gemm(dt, *GEMM_TILES["gemm"])


@_factory
def _gemm_large(dt):
    return _make_gemm(dt, *GEMM_TILES["gemm_large"])


@_factory
def _row_sum(dt):
    T = RED_THREADS

    @cuda.jit
    def row_sum(X, out, scale, beta):
        """out[i, 0] = beta * out[i, 0] + scale * sum_j X[i, j]; one block per row (grid-stride over
        rows). beta = 0: db = (1/m) sum; beta = 1, scale = -lr/m: the update of b."""
        sh = cuda.shared.array(T, dt)
        tid = cuda.threadIdx.x
        n, m = X.shape
        for i in range(cuda.blockIdx.x, n, cuda.gridDim.x):
            s = dt(0)
            for j in range(tid, m, T):
                s += X[i, j]
            sh[tid] = s
            cuda.syncthreads()
            h = T // 2
            while h > 0:
                if tid < h:
                    sh[tid] += sh[tid + h]
                cuda.syncthreads()
                h //= 2
            if tid == 0:
                out[i, 0] = sh[0] * scale + (beta * out[i, 0] if beta != 0 else 0)
            cuda.syncthreads()
    return row_sum


@_factory
def _act_forward(dt):
    @cuda.jit
    def act_forward(Z, A, code, alpha):
        """A = g(Z), elementwise over the flattened arrays."""
        n, m = Z.shape
        for idx in range(cuda.grid(1), n * m, cuda.gridsize(1)):
            i = idx // m
            j = idx - i * m
            A[i, j] = _g(Z[i, j], code, alpha)
    return act_forward


@_factory
def _act_backward(dt):
    @cuda.jit
    def act_backward(dA, Z, dZ, code, alpha):
        """dZ = dA * g'(Z)."""
        n, m = Z.shape
        for idx in range(cuda.grid(1), n * m, cuda.gridsize(1)):
            i = idx // m
            j = idx - i * m
            dZ[i, j] = dA[i, j] * _gprime(Z[i, j], code, alpha)
    return act_backward


@_factory
def _cost_grad(dt):
    @cuda.jit
    def cost_grad(AL, Y, out, code, tiny):
        """dJ/dAL (no 1/m): 0 cross-entropy, 1 categorical, 2 mse, 3 l1; 4: AL - Y."""
        n, m = AL.shape
        for idx in range(cuda.grid(1), n * m, cuda.gridsize(1)):
            i = idx // m
            j = idx - i * m
            a = AL[i, j]
            y = Y[i, j]
            if code == 0:
                out[i, j] = -(y / max(a, tiny) - (1 - y) / max(1 - a, tiny))
            elif code == 1:
                out[i, j] = -y / max(a, tiny)
            elif code == 2:
                out[i, j] = 2 * (a - y)
            elif code == 3:
                d = a - y
                out[i, j] = 1 if d > 0 else (-1 if d < 0 else 0)
            else:
                out[i, j] = a - y
    return cost_grad


@_factory
def _cost(dt):
    T = RED_THREADS

    @cuda.jit
    def cost(AL, Y, partial, code, tiny):
        """partial[block] = sum of this block's loss terms (float64); the host adds the partials."""
        sh = cuda.shared.array(T, float64)
        tid = cuda.threadIdx.x
        n, m = AL.shape
        s = 0.0
        for idx in range(cuda.grid(1), n * m, cuda.gridsize(1)):
            i = idx // m
            j = idx - i * m
            a = float64(AL[i, j])
            y = float64(Y[i, j])
            if code == 0:
                s -= y * math.log(max(a, tiny)) + (1.0 - y) * math.log(max(1.0 - a, tiny))
            elif code == 1:
                s -= y * math.log(max(a, tiny))
            elif code == 2:
                s += (a - y) * (a - y)
            else:
                s += abs(a - y)
        sh[tid] = s
        cuda.syncthreads()
        h = T // 2
        while h > 0:
            if tid < h:
                sh[tid] += sh[tid + h]
            cuda.syncthreads()
            h //= 2
        if tid == 0:
            partial[cuda.blockIdx.x] = sh[0]
    return cost


@_factory
def _softmax(dt):
    @cuda.jit
    def softmax(Z, A):
        """A[:, j] = exp(Z[:, j] - max) / sum exp(Z[:, j] - max); one thread per column j."""
        n, m = Z.shape
        for j in range(cuda.grid(1), m, cuda.gridsize(1)):
            zmax = Z[0, j]
            for k in range(1, n):
                zmax = max(zmax, Z[k, j])
            s = dt(0)
            for k in range(n):
                e = math.exp(Z[k, j] - zmax)
                A[k, j] = e
                s += e
            for k in range(n):
                A[k, j] = A[k, j] / s
    return softmax


@_factory
def _softmax_backward(dt):
    @cuda.jit
    def softmax_backward(dA, A, dZ):
        """dZ[:, j] = A[:, j] * (dA[:, j] - sum_k dA[k, j] A[k, j])."""
        n, m = A.shape
        for j in range(cuda.grid(1), m, cuda.gridsize(1)):
            s = dt(0)
            for k in range(n):
                s += dA[k, j] * A[k, j]
            for k in range(n):
                dZ[k, j] = A[k, j] * (dA[k, j] - s)
    return softmax_backward


@_factory
def _update(dt):
    @cuda.jit
    def update(param, grad, learning_rate):
        """param -= learning_rate * grad, in place (flat arrays)."""
        for i in range(cuda.grid(1), param.shape[0], cuda.gridsize(1)):
            param[i] -= learning_rate * grad[i]
    return update


@_factory
def _bn_forward(dt):
    T = RED_THREADS

    @cuda.jit
    def bn_forward(Z, gamma, beta, eps, out, Z_hat, mu, var):
        """Per row i (one block): mu, var over the m samples; Z_hat; out = gamma Z_hat + beta."""
        sh = cuda.shared.array(T, dt)
        tid = cuda.threadIdx.x
        n, m = Z.shape
        for i in range(cuda.blockIdx.x, n, cuda.gridDim.x):
            for p in range(2):        # p = 0: the mean; p = 1: the variance about it
                mean = sh[0] / m if p == 1 else dt(0)
                cuda.syncthreads()
                s = dt(0)
                for j in range(tid, m, T):
                    d = Z[i, j] - mean
                    s += d if p == 0 else d * d
                sh[tid] = s
                cuda.syncthreads()
                h = T // 2
                while h > 0:
                    if tid < h:
                        sh[tid] += sh[tid + h]
                    cuda.syncthreads()
                    h //= 2
            v = sh[0] / m
            inv_std = 1 / math.sqrt(v + eps)
            for j in range(tid, m, T):
                zh = (Z[i, j] - mean) * inv_std
                Z_hat[i, j] = zh
                out[i, j] = gamma[i, 0] * zh + beta[i, 0]
            if tid == 0:
                mu[i, 0] = mean
                var[i, 0] = v
            cuda.syncthreads()
    return bn_forward


@_factory
def _bn_backward(dt):
    T = RED_THREADS

    @cuda.jit
    def bn_backward(dout, Z_hat, gamma, var, eps, dZ, dgamma, dbeta):
        """Per row i: dbeta = sum dout, dgamma = sum dout Z_hat,
        dZ = gamma / sqrt(var + eps) (dout - dbeta/m - Z_hat dgamma/m)."""
        sb = cuda.shared.array(T, dt)
        sg = cuda.shared.array(T, dt)
        tid = cuda.threadIdx.x
        n, m = dout.shape
        for i in range(cuda.blockIdx.x, n, cuda.gridDim.x):
            s1 = dt(0)
            s2 = dt(0)
            for j in range(tid, m, T):
                s1 += dout[i, j]
                s2 += dout[i, j] * Z_hat[i, j]
            sb[tid] = s1
            sg[tid] = s2
            cuda.syncthreads()
            h = T // 2
            while h > 0:
                if tid < h:
                    sb[tid] += sb[tid + h]
                    sg[tid] += sg[tid + h]
                cuda.syncthreads()
                h //= 2
            db = sb[0]
            dg = sg[0]
            scale = gamma[i, 0] / math.sqrt(var[i, 0] + eps)
            for j in range(tid, m, T):
                dZ[i, j] = scale * (dout[i, j] - db / m - Z_hat[i, j] * dg / m)
            if tid == 0:
                dbeta[i, 0] = db
                dgamma[i, 0] = dg
            cuda.syncthreads()
    return bn_backward


@_factory
def _bn_eval(dt):
    @cuda.jit
    def bn_eval(Z, gamma, beta, running_mean, running_var, eps, out):
        """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta."""
        n, m = Z.shape
        for idx in range(cuda.grid(1), n * m, cuda.gridsize(1)):
            i = idx // m
            j = idx - i * m
            out[i, j] = gamma[i, 0] * ((Z[i, j] - running_mean[i, 0]) / math.sqrt(running_var[i, 0] + eps)) \
                + beta[i, 0]
    return bn_eval


def ptx_signatures(dtype):
    """{kernel name: (python function, argument types)} for every kernel of this module at
    ``dtype`` -- what ``tests/test_ptx.py`` hands to ``numba.cuda.compile_ptx``."""
    dt = _NBTYPE[np.dtype(dtype)]
    M2, M1, F64, I64 = dt[:, ::1], dt[::1], float64, int64
    sigs = {
        "gemm_small": (M2, M2, M2, I64, I64, F64, I64, M2, M2, I64, F64),
        "gemm": (M2, M2, M2, I64, I64, F64, I64, M2, M2, I64, F64),
        "gemm_large": (M2, M2, M2, I64, I64, F64, I64, M2, M2, I64, F64),
        "row_sum": (M2, M2, F64, F64),
        "act_forward": (M2, M2, I64, F64),
        "act_backward": (M2, M2, M2, I64, F64),
        "cost_grad": (M2, M2, M2, I64, F64),
        "cost": (M2, M2, float64[::1], I64, F64),
        "softmax": (M2, M2),
        "softmax_backward": (M2, M2, M2),
        "update": (M1, M1, F64),
        "bn_forward": (M2, M2, M2, F64, M2, M2, M2, M2),
        "bn_backward": (M2, M2, M2, M2, F64, M2, M2, M2),
        "bn_eval": (M2, M2, M2, M2, M2, F64, M2),
    }
    missing = set(_FACTORIES) ^ set(sigs)
    if missing:  # pragma: no cover - guards this table against a kernel added without a signature
        raise RuntimeError(f"ptx_signatures out of date: {sorted(missing)}")
    return {k: (kernel(k, dtype).py_func, sig) for k, sig in sigs.items()}


# ----------------------------------------------------------------------------- launch helpers
def _ew_launch(size):
    blocks = max(1, min(EW_MAX_BLOCKS, (size + EW_THREADS - 1) // EW_THREADS))
    return blocks, EW_THREADS


def _red_blocks(rows):
    return max(1, min(rows, EW_MAX_BLOCKS))


def _gemm_launch(C, A, B, trans_a, trans_b, scale=1.0, epilogue=0, bias=None, aux=None, code=0, alpha=0.01):
    M, N = C.shape
    kname = "gemm_large" if M * N >= LARGE_TILE_MIN else "gemm" if M * N >= MEDIUM_TILE_MIN else "gemm_small"
    BM, BN, _, TM, TN = GEMM_TILES[kname]
    k = kernel(kname, C.dtype)
    grid = ((N + BN - 1) // BN, (M + BM - 1) // BM)
    k[grid, (BN // TN, BM // TM)](A, B, C, int(trans_a), int(trans_b), float(scale), int(epilogue),
                                   C if bias is None else bias, C if aux is None else aux, int(code), float(alpha))


# ----------------------------------------------------------------------------- memory
def _is_device(x):
    return hasattr(x, "copy_to_host")


def to_device(x):
    """Device array from a host array (a C-contiguous copy on the GPU); a device array is
    returned unchanged."""
    if _is_device(x):
        return x
    return cuda.to_device(np.ascontiguousarray(x))


def to_host(x):
    """Host NumPy array from a device array (a copy); a host array is returned as is."""
    if _is_device(x):
        return x.copy_to_host()
    return np.asarray(x)


def empty(shape, dtype=np.float64):
    """Uninitialised device array of ``shape``."""
    return cuda.device_array(shape, dtype=dtype)


def synchronize():
    """Wait until every queued kernel has finished."""
    cuda.synchronize()


def _dev(x, dtype=None):
    """Device array of ``dtype`` (host arrays are copied over; device arrays must already match)."""
    if _is_device(x):
        if dtype is not None and np.dtype(x.dtype) != np.dtype(dtype):
            raise ValueError(f"device array of dtype {x.dtype} where {np.dtype(dtype)} is expected; "
                             "convert on the host before to_device")
        return x
    return cuda.to_device(np.ascontiguousarray(x, dtype=dtype))


def _dtype(*xs):
    dt = np.result_type(*[np.dtype(x.dtype) for x in xs])
    if dt not in _NBTYPE:
        raise ValueError(f"cuda backend: expected float32 or float64 arrays, got {dt}")
    return dt


def _act_code(activation, allow_softmax=False):
    code = _ACT.get(activation)
    if code is None or (code == 5 and not allow_softmax):
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
    return code


# ----------------------------------------------------------------------------- API
def activation_forward(Z, activation, alpha=0.01):
    """A = g(Z) for g in {linear, sigmoid, tanh, relu, leaky_relu}.  Z: (n[l], m) -> A: (n[l], m)."""
    code = _act_code(activation)
    Z = _dev(Z)
    A = cuda.device_array(Z.shape, Z.dtype)
    kernel("act_forward", Z.dtype)[_ew_launch(Z.size)](Z, A, code, float(alpha))
    return A


def activation_backward(dA, Z, activation, alpha=0.01):
    """dZ = dA * g'(Z).  dA, Z: (n[l], m) -> dZ: (n[l], m)."""
    code = _act_code(activation)
    dt = _dtype(dA, Z)
    dA, Z = _dev(dA, dt), _dev(Z, dt)
    dZ = cuda.device_array(Z.shape, dt)
    kernel("act_backward", dt)[_ew_launch(Z.size)](dA, Z, dZ, code, float(alpha))
    return dZ


def softmax(Z):
    """A = softmax(Z) per column, stable.  Z: (n[L], m) -> A: (n[L], m)."""
    Z = _dev(Z)
    A = cuda.device_array(Z.shape, Z.dtype)
    kernel("softmax", Z.dtype)[_ew_launch(Z.shape[1])](Z, A)
    return A


def softmax_backward(dA, A):
    """dZ = A * (dA - sum_k dA_k A_k) per column.  dA, A: (n[L], m) -> dZ: (n[L], m)."""
    dt = _dtype(dA, A)
    dA, A = _dev(dA, dt), _dev(A, dt)
    dZ = cuda.device_array(A.shape, dt)
    kernel("softmax_backward", dt)[_ew_launch(A.shape[1])](dA, A, dZ)
    return dZ


def _linear_forward_into(A_prev, W, b, Z, A, code, alpha):
    if code == 5:
        _gemm_launch(Z, W, A_prev, False, False, epilogue=1, bias=b, aux=A, code=0)
        kernel("softmax", Z.dtype)[_ew_launch(Z.shape[1])](Z, A)
    else:
        _gemm_launch(Z, W, A_prev, False, False, epilogue=1, bias=b, aux=A, code=code, alpha=alpha)


def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    """Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l])  (one GEMM with the bias + activation epilogue).

    A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1). Returns (Z, A), both (n[l], m).
    """
    code = _act_code(activation, allow_softmax=True)
    dt = _dtype(A_prev, W, b)
    A_prev, W, b = _dev(A_prev, dt), _dev(W, dt), _dev(b, dt)
    Z = cuda.device_array((W.shape[0], A_prev.shape[1]), dt)
    A = cuda.device_array(Z.shape, dt)
    _linear_forward_into(A_prev, W, b, Z, A, code, alpha)
    return Z, A


def sum_over_samples(dZ):
    """Row sums over the m samples.  dZ: (n[l], m) -> (n[l], 1)."""
    dZ = _dev(dZ)
    out = cuda.device_array((dZ.shape[0], 1), dZ.dtype)
    kernel("row_sum", dZ.dtype)[_red_blocks(dZ.shape[0]), RED_THREADS](dZ, out, 1.0, 0.0)
    return out


def _linear_backward_into(dZ, A_prev, W, dA_prev, dW, db):
    m = A_prev.shape[1]
    _gemm_launch(dW, dZ, A_prev, False, True, scale=1.0 / m)                       # (1/m) dZ A_prev^T
    kernel("row_sum", dZ.dtype)[_red_blocks(dZ.shape[0]), RED_THREADS](dZ, db, 1.0 / m, 0.0)
    if dA_prev is not None:
        _gemm_launch(dA_prev, W, dZ, True, False)                                  # W^T dZ


def linear_backward(dZ, A_prev, W):
    """dW = (1/m) dZ A_prev^T;  db = (1/m) sum_i dZ[:, i];  dA_prev = W^T dZ (transposes read in-kernel).

    dZ: (n[l], m), A_prev: (n[l-1], m), W: (n[l], n[l-1]). Returns dA_prev, dW, db.
    """
    dt = _dtype(dZ, A_prev, W)
    dZ, A_prev, W = _dev(dZ, dt), _dev(A_prev, dt), _dev(W, dt)
    dA_prev = cuda.device_array(A_prev.shape, dt)
    dW = cuda.device_array(W.shape, dt)
    db = cuda.device_array((W.shape[0], 1), dt)
    _linear_backward_into(dZ, A_prev, W, dA_prev, dW, db)
    return dA_prev, dW, db


def _cost_call(AL, Y, code):
    dt = _dtype(AL, Y)
    AL, Y = _dev(AL, dt), _dev(Y, dt)
    blocks = max(1, min(EW_MAX_BLOCKS, 64, (AL.size + RED_THREADS - 1) // RED_THREADS))
    partial = cuda.device_array(blocks, np.float64)
    kernel("cost", dt)[blocks, RED_THREADS](AL, Y, partial, code, _TINY[dt])
    return float(partial.copy_to_host().sum() / AL.shape[1])


def cross_entropy_cost(AL, Y):
    """J = -(1/m) sum [y log a + (1 - y) log(1 - a)] (log of max(., tiny)).  Returns a float."""
    return _cost_call(AL, Y, 0)


def categorical_cross_entropy_cost(AL, Y):
    """J = -(1/m) sum sum y log a.  Returns a float."""
    return _cost_call(AL, Y, 1)


def mse_cost(AL, Y):
    """J = (1/m) sum (AL - Y)^2.  Returns a float."""
    return _cost_call(AL, Y, 2)


def l1_cost(AL, Y):
    """J = (1/m) sum |AL - Y|.  Returns a float."""
    return _cost_call(AL, Y, 3)


def _grad_call(AL, Y, code):
    dt = _dtype(AL, Y)
    AL, Y = _dev(AL, dt), _dev(Y, dt)
    out = cuda.device_array(AL.shape, dt)
    kernel("cost_grad", dt)[_ew_launch(AL.size)](AL, Y, out, code, _TINY[dt])
    return out


def cost_gradient(AL, Y, loss):
    """dAL = dJ/dAL without the 1/m.  AL, Y: (n[L], m)."""
    if loss not in _LOSS:
        raise ValueError(f"unknown loss {loss!r}")
    return _grad_call(AL, Y, _LOSS[loss])


def output_delta(AL, Y):
    """dZ[L] = AL - Y."""
    return _grad_call(AL, Y, 4)


def update(param, grad, learning_rate):
    """In place on the device: param <- param - learning_rate * grad.  Returns param."""
    if not _is_device(param):
        raise ValueError("update: param must be a device array (to_device it once, before training)")
    grad = _dev(grad, param.dtype)
    n = param.size
    kernel("update", param.dtype)[_ew_launch(n)](param.reshape(n), grad.reshape(n), float(learning_rate))
    return param


def batchnorm_forward(Z, gamma, beta, eps):
    """mu, var over the m samples; Z_hat = (Z - mu)/sqrt(var + eps); out = gamma Z_hat + beta.
    Returns (out, Z_hat, mu, var)."""
    dt = _dtype(Z, gamma, beta)
    Z, gamma, beta = _dev(Z, dt), _dev(gamma, dt), _dev(beta, dt)
    n = Z.shape[0]
    out, Z_hat = cuda.device_array(Z.shape, dt), cuda.device_array(Z.shape, dt)
    mu, var = cuda.device_array((n, 1), dt), cuda.device_array((n, 1), dt)
    kernel("bn_forward", dt)[_red_blocks(n), RED_THREADS](Z, gamma, beta, float(eps), out, Z_hat, mu, var)
    return out, Z_hat, mu, var


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    """dbeta = sum dout, dgamma = sum dout Z_hat, dZ = gamma/sqrt(var+eps) (dout - dbeta/m - Z_hat dgamma/m)."""
    dt = _dtype(dout, Z_hat, gamma, var)
    dout, Z_hat, gamma, var = (_dev(x, dt) for x in (dout, Z_hat, gamma, var))
    n = dout.shape[0]
    dZ = cuda.device_array(dout.shape, dt)
    dgamma, dbeta = cuda.device_array((n, 1), dt), cuda.device_array((n, 1), dt)
    kernel("bn_backward", dt)[_red_blocks(n), RED_THREADS](dout, Z_hat, gamma, var, float(eps), dZ, dgamma, dbeta)
    return dZ, dgamma, dbeta


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta."""
    dt = _dtype(Z, gamma, beta, running_mean, running_var)
    Z, gamma, beta, rm, rv = (_dev(x, dt) for x in (Z, gamma, beta, running_mean, running_var))
    out = cuda.device_array(Z.shape, dt)
    kernel("bn_eval", dt)[_ew_launch(Z.size)](Z, gamma, beta, rm, rv, float(eps), out)
    return out


# ----------------------------------------------------------------------------- fused training step
_WORK = {}


def _workspace(layer_dims, m, dt):
    """Device buffers for one (layer_dims, m, dtype): Z[l], A[l], dZ[l], dA[L] and the cost partials."""
    key = (layer_dims, m, dt)
    ws = _WORK.get(key)
    if ws is None:
        L = len(layer_dims) - 1
        Zs = [cuda.device_array((layer_dims[l], m), dt) for l in range(1, L + 1)]
        As = [cuda.device_array((layer_dims[l], m), dt) for l in range(1, L + 1)]
        dZs = [cuda.device_array((layer_dims[l], m), dt) for l in range(1, L + 1)]
        dA = cuda.device_array((layer_dims[L], m), dt)
        blocks = max(1, min(EW_MAX_BLOCKS, 64, (layer_dims[L] * m + RED_THREADS - 1) // RED_THREADS))
        partial = cuda.device_array(blocks, np.float64)
        if len(_WORK) > 8:
            _WORK.clear()
        ws = _WORK[key] = (Zs, As, dZs, dA, partial)
    return ws


_VIEWS = {}


def _theta_views(theta, layer_dims):
    key = (id(theta), layer_dims)
    hit = _VIEWS.get(key)
    if hit is None or hit[0] is not theta:
        views, p = [], 0
        for l in range(1, len(layer_dims)):
            n, n_prev = layer_dims[l], layer_dims[l - 1]
            views.append((theta[p:p + n * n_prev].reshape(n, n_prev), theta[p + n * n_prev:p + n * n_prev + n].reshape(n, 1)))
            p += n * (n_prev + 1)
        if len(_VIEWS) > 8:
            _VIEWS.clear()
        hit = _VIEWS[key] = (theta, views)
    return hit[1]


def train_step(X, Y, theta, layer_dims, hidden_activation, output_activation, loss, learning_rate, alpha=0.01):
    """One gradient-descent step on the GPU; returns the cost J before the update.

    X: (n[0], m), Y: (n[L], m) (device arrays, or host arrays copied over); theta: the flat
    parameters W1, b1, ..., WL, bL as a device array (``to_device(pack_parameters(...)[0])``),
    updated in place; layer_dims: (n[0], ..., n[L]). Same arithmetic as the numpy ``train_step``.
    """
    if not _is_device(theta):
        raise ValueError("train_step: theta must be a device array (to_device it once, before training)")
    layer_dims = tuple(int(n) for n in layer_dims)
    dt = np.dtype(theta.dtype)
    X, Y = _dev(X, dt), _dev(Y, dt)
    L = len(layer_dims) - 1
    m = X.shape[1]
    hidden = _act_code(hidden_activation)
    output = _act_code(output_activation, allow_softmax=True)
    lcode = _LOSS[loss]
    Zs, As, dZs, dA, partial = _workspace(layer_dims, m, dt)
    params = _theta_views(theta, layer_dims)
    A_prev = X
    for l in range(L):
        _linear_forward_into(A_prev, params[l][0], params[l][1], Zs[l], As[l],
                             output if l == L - 1 else hidden, alpha)
        A_prev = As[l]
    AL = As[L - 1]
    kernel("cost", dt)[partial.size, RED_THREADS](AL, Y, partial, lcode, _TINY[dt])
    dZ = dZs[L - 1]
    if (output, lcode) in ((1, 0), (5, 1)):
        kernel("cost_grad", dt)[_ew_launch(AL.size)](AL, Y, dZ, 4, _TINY[dt])
    else:
        kernel("cost_grad", dt)[_ew_launch(AL.size)](AL, Y, dA, lcode, _TINY[dt])
        if output == 5:
            kernel("softmax_backward", dt)[_ew_launch(m)](dA, AL, dZ)
        else:
            kernel("act_backward", dt)[_ew_launch(AL.size)](dA, Zs[L - 1], dZ, output, float(alpha))
    step = float(learning_rate) / m
    for l in range(L - 1, -1, -1):
        W, b = params[l]
        A_in = As[l - 1] if l > 0 else X
        if l > 0:   # dZ[l-1] = (W[l]^T dZ[l]) * g'(Z[l-1]), with W[l] before its update
            _gemm_launch(dZs[l - 1], W, dZ, True, False, epilogue=2, aux=Zs[l - 1], code=hidden, alpha=alpha)
        # W[l] <- W[l] - (lr/m) dZ[l] A[l-1]^T and b[l] <- b[l] - (lr/m) sum dZ[l]: no gradient stored
        _gemm_launch(W, dZ, A_in, False, True, scale=-step, epilogue=3)
        kernel("row_sum", dt)[_red_blocks(dZ.shape[0]), RED_THREADS](dZ, b, -step, 1.0)
        if l > 0:
            dZ = dZs[l - 1]
    return float(partial.copy_to_host().sum() / m)
