"""The cuda backend's reductions: sums over the m samples of each row (one block per row, a tree
reduction in shared memory) and the cost (per-block float64 partial sums, added on the host).

* ``row_sum``      out = beta out + scale sum_j X[:, j]     db = (1/m) sum dZ;  b <- b - (lr/m) sum dZ
* ``cost``         partial[block] = sum of loss terms        J = (1/m) sum of all partials (on the host)
* ``bn_forward``   per row: mu, var, Z_hat = (Z - mu) / sqrt(var + eps), out = gamma Z_hat + beta
* ``bn_backward``  per row: dbeta, dgamma and dZ
* ``bn_eval``      out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta (elementwise, 2-D)

Sums propagate NaN and inf as NumPy's do (a NaN entry makes its row's sum NaN).
"""

from numba import cuda, float64

from ..contract import tiny
from .device import loss_term, sqrt
from .launch import RED_THREADS, factory, flat, launch_kernel, row_grid


@cuda.jit(device=True, inline=True)  # inlined into each kernel: compile_ptx needs no device
def tree_sum(sh, tid):
    """The block's tree reduction in shared memory: returns sh[0] + ... + sh[T - 1] (T = len(sh), a power of
    two), leaving it in sh[0]. Every thread of the block calls it, after writing its own sh[tid]."""
    cuda.syncthreads()
    h = sh.shape[0] // 2
    while h > 0:
        if tid < h:
            sh[tid] += sh[tid + h]
        cuda.syncthreads()
        h //= 2
    return sh[0]


@factory
def make_row_sum(dt):
    T = RED_THREADS

    @cuda.jit
    def row_sum(X, out, scale, beta):
        """out[i, 0] = beta out[i, 0] + scale sum_j X[i, j]; one block per row (grid-stride over rows).
        beta = 0 writes without reading out (it may be uninitialised)."""
        sh = cuda.shared.array(T, dt)
        tid = cuda.threadIdx.x
        n, m = X.shape
        for i in range(cuda.blockIdx.x, n, cuda.gridDim.x):
            s = dt(0)
            for j in range(tid, m, T):
                s += X[i, j]
            sh[tid] = s
            total = tree_sum(sh, tid)
            if tid == 0:
                if beta == 0:
                    out[i, 0] = scale * total
                else:
                    out[i, 0] = beta * out[i, 0] + scale * total
            cuda.syncthreads()

    return row_sum


@factory
def make_cost(dt):
    T = RED_THREADS

    @cuda.jit
    def cost(AL, Y, partial, code, tiny):
        """partial[block] = sum of this block's loss terms, in float64 (flat AL, Y)."""
        sh = cuda.shared.array(T, float64)
        tid = cuda.threadIdx.x
        s = 0.0
        for i in range(cuda.grid(1), AL.shape[0], cuda.gridsize(1)):
            s += loss_term(float64(AL[i]), float64(Y[i]), code, tiny)
        sh[tid] = s
        total = tree_sum(sh, tid)
        if tid == 0:
            partial[cuda.blockIdx.x] = total

    return cost


@factory
def make_bn_forward(dt):
    T = RED_THREADS

    @cuda.jit
    def bn_forward(Z, gamma, beta, eps, out, Z_hat, mu, var):
        """Per row i (one block): mu, var over the m samples; Z_hat; out = gamma Z_hat + beta."""
        sh = cuda.shared.array(T, dt)
        tid = cuda.threadIdx.x
        n, m = Z.shape
        mf = dt(m)
        for i in range(cuda.blockIdx.x, n, cuda.gridDim.x):
            s = dt(0)
            for j in range(tid, m, T):
                s += Z[i, j]
            sh[tid] = s
            mean = tree_sum(sh, tid) / mf
            cuda.syncthreads()  # every thread has read sh[0] before sh is written again
            s = dt(0)
            for j in range(tid, m, T):
                d = Z[i, j] - mean
                s += d * d
            sh[tid] = s
            v = tree_sum(sh, tid) / mf
            std = sqrt(v + eps)
            for j in range(tid, m, T):
                zh = (Z[i, j] - mean) / std
                Z_hat[i, j] = zh
                out[i, j] = gamma[i, 0] * zh + beta[i, 0]
            if tid == 0:
                mu[i, 0] = mean
                var[i, 0] = v
            cuda.syncthreads()

    return bn_forward


@factory
def make_bn_backward(dt):
    T = RED_THREADS

    @cuda.jit
    def bn_backward(dout, Z_hat, gamma, var, eps, dZ, dgamma, dbeta):
        """Per row i: dbeta = sum dout, dgamma = sum dout Z_hat,
        dZ = gamma / sqrt(var + eps) (dout - dbeta/m - Z_hat dgamma/m)."""
        sb = cuda.shared.array(T, dt)
        sg = cuda.shared.array(T, dt)
        tid = cuda.threadIdx.x
        n, m = dout.shape
        mf = dt(m)
        for i in range(cuda.blockIdx.x, n, cuda.gridDim.x):
            s1 = dt(0)
            s2 = dt(0)
            for j in range(tid, m, T):
                s1 += dout[i, j]
                s2 += dout[i, j] * Z_hat[i, j]
            sb[tid] = s1
            sg[tid] = s2
            db = tree_sum(sb, tid)
            dg = tree_sum(sg, tid)
            scale = gamma[i, 0] / sqrt(var[i, 0] + eps)
            for j in range(tid, m, T):
                dZ[i, j] = scale * (dout[i, j] - db / mf - Z_hat[i, j] * dg / mf)
            if tid == 0:
                dbeta[i, 0] = db
                dgamma[i, 0] = dg
            cuda.syncthreads()

    return bn_backward


@factory
def make_bn_eval(dt):
    @cuda.jit
    def bn_eval(Z, gamma, beta, running_mean, running_var, eps, out):
        """out = gamma (Z - running_mean) / sqrt(running_var + eps) + beta (grid-stride over n m entries)."""
        n, m = Z.shape
        for idx in range(cuda.grid(1), n * m, cuda.gridsize(1)):
            i = idx // m
            j = idx - i * m
            out[i, j] = gamma[i, 0] * ((Z[i, j] - running_mean[i, 0]) / sqrt(running_var[i, 0] + eps)) + beta[i, 0]

    return bn_eval


# ----------------------------------------------------------------------------- host helpers
def row_sum(X, out, scale, beta=0.0):
    """Launch ``row_sum``: out = beta out + scale sum_j X[:, j] (beta = 0: out is only written)."""
    s = X.dtype.type
    launch_kernel("row_sum", X.dtype, *row_grid(X.shape[0]), X, out, s(scale), s(beta))


def cost_into(AL, Y, partial, code, AL_flat=None):
    """Launch ``cost`` into ``partial`` (float64, one entry per block; J = partial.sum() / m).
    ``AL_flat``: AL's flat view when the caller keeps one."""
    AL_flat = flat(AL) if AL_flat is None else AL_flat
    launch_kernel("cost", AL.dtype, partial.size, RED_THREADS, AL_flat, flat(Y), partial, code, tiny(AL.dtype))
