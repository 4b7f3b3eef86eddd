"""The tiled GEMM of the cuda backend, C = op(A) op(B) with a fused epilogue: every matrix product of the
network (Z = W A_prev + b with g, dW = (1/m) dZ A_prev^T, dZ[l-1] = (W^T dZ) * g'(Z[l-1]) and the update
W <- W - (lr/m) dZ A_prev^T) is one launch, and no transpose is ever copied: op(X) = X^T is read
straight from global memory.

Each block computes a BM x BN tile of C, staging BK-wide slabs of op(A) and op(B) in shared memory;
each thread keeps a TM x TN register tile of accumulators. Three tile shapes, chosen by ``tile_for``:
16 x 16 (2 x 2 per thread) for the small layers of small nets, 64 x 64 (4 x 4 per thread), and
128 x 128 (8 x 8 per thread) for large outputs.

The epilogues (named, passed as ``epilogue``), with acc = op(A) op(B):

* ``EPILOGUE_SCALE``         C = scale acc                      dW = (1/m) dZ A_prev^T;  dA_prev = W^T dZ
* ``EPILOGUE_BIAS_ACT``      C = acc + bias;  aux = g(C)         Z[l] = W A_prev + b;  A[l] = g(Z[l])
* ``EPILOGUE_ACT_BACKWARD``  C = dZ from dA = acc and Z = aux    dZ[l-1] = (W[l]^T dZ[l]) * g'(Z[l-1])
* ``EPILOGUE_ACCUMULATE``    C = beta C + scale acc              W <- W - (lr/m) dZ A^T (beta 1, sgd);
                                                                 v <- beta1 v + ((1 - beta1)/m) dZ A^T
"""

import functools

from numba import cuda

from ..contract import ACT_LINEAR
from .device import g, g_backward
from .launch import SIM, factory, launch_kernel

EPILOGUE_SCALE = 0
EPILOGUE_BIAS_ACT = 1
EPILOGUE_ACT_BACKWARD = 2
EPILOGUE_ACCUMULATE = 3

# BM, BN, BK, TM, TN: a block of (BM/TM) x (BN/TN) threads, each a TM x TN register tile
GEMM_TILES = {
    "gemm_small": (16, 16, 8, 2, 2),  # 8 x 8 threads: outputs under MEDIUM_TILE_MIN entries (small nets)
    "gemm": (64, 64, 8, 4, 4),  # 16 x 16 threads
    "gemm_large": (128, 128, 8, 8, 8),  # 16 x 16 threads: large outputs (tile_for)
}
MEDIUM_TILE_MIN = 64 * 64
LARGE_TILE_MIN = 512 * 512


def _make_gemm(dt, BM, BN, BK, TM, TN):
    TY = BM // TM  # thread rows
    TX = BN // TN  # thread columns
    NT = TX * TY  # threads per block
    A_LOADS = BM * BK // NT  # entries of the op(A) slab each thread loads
    B_LOADS = BN * BK // NT

    @cuda.jit
    def gemm(A, B, C, trans_a, trans_b, scale, beta, epilogue, bias, aux, code, alpha):
        """C (M, N) = op(A) (M, K) op(B) (K, N), op(X) = X^T when trans_x; then the epilogue (module doc)."""
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
                if trans_a:  # A is (K, M): consecutive threads read consecutive m
                    r = idx % BM
                    kk = idx // BM
                    gr = row0 + r
                    gk = k0 + kk
                    sA[kk, r] = A[gk, gr] if (gr < M and gk < K) else 0
                else:  # A is (M, K): consecutive threads read consecutive k
                    kk = idx % BK
                    r = idx // BK
                    gr = row0 + r
                    gk = k0 + kk
                    sA[kk, r] = A[gr, gk] if (gr < M and gk < K) else 0
            for e in range(B_LOADS):
                idx = tid + e * NT
                if trans_b:  # B is (N, K)
                    kk = idx % BK
                    c = idx // BK
                    gc = col0 + c
                    gk = k0 + kk
                    sB[kk, c] = B[gc, gk] if (gc < N and gk < K) else 0
                else:  # B is (K, N)
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
                        if epilogue == EPILOGUE_BIAS_ACT:
                            z = v + bias[r, 0]
                            C[r, c] = z
                            aux[r, c] = g(z, code, alpha)
                        elif epilogue == EPILOGUE_ACT_BACKWARD:
                            C[r, c] = g_backward(v, aux[r, c], code, alpha)
                        elif epilogue == EPILOGUE_ACCUMULATE:
                            C[r, c] = beta * C[r, c] + scale * v
                        else:  # EPILOGUE_SCALE
                            C[r, c] = scale * v

    return gemm


@factory
def make_gemm_small(dt):
    return _make_gemm(dt, *GEMM_TILES["gemm_small"])


@factory
def make_gemm(dt):
    return _make_gemm(dt, *GEMM_TILES["gemm"])


@factory
def make_gemm_large(dt):
    return _make_gemm(dt, *GEMM_TILES["gemm_large"])


@functools.cache
def multiprocessors():
    """The GPU's number of streaming multiprocessors (1 under the simulator)."""
    return 1 if SIM else int(cuda.get_current_device().MULTIPROCESSOR_COUNT)


def tile_for(M, N):
    """The GEMM kernel (by name) for an (M, N) output: the 128 x 128 tile for outputs of LARGE_TILE_MIN
    entries or more, as long as its grid still has a block for every multiprocessor (dW = dZ A^T of a
    1024 x 1024 layer is 64 such blocks: on a 132-SM GPU the 64 x 64 tile's 256 blocks keep all SMs busy)."""
    if M * N >= LARGE_TILE_MIN and -(-M // 128) * -(-N // 128) >= multiprocessors():
        return "gemm_large"
    return "gemm" if M * N >= MEDIUM_TILE_MIN else "gemm_small"


def gemm_into(
    C,
    A,
    B,
    trans_a=False,
    trans_b=False,
    scale=1.0,
    epilogue=EPILOGUE_SCALE,
    bias=None,
    aux=None,
    code=ACT_LINEAR,
    alpha=0.01,
    beta=0.0,
):
    """C = op(A) op(B) with ``epilogue`` (module doc), all device arrays of one dtype; C (M, N) written in
    place. ``bias`` (M, 1) for EPILOGUE_BIAS_ACT; ``aux`` (M, N): A = g(Z) written (EPILOGUE_BIAS_ACT) or
    Z read (EPILOGUE_ACT_BACKWARD); ``code``/``alpha``: the activation; ``beta``: EPILOGUE_ACCUMULATE's."""
    M, N = C.shape
    Ma, Ka = (A.shape[1], A.shape[0]) if trans_a else A.shape
    Kb, Nb = (B.shape[1], B.shape[0]) if trans_b else B.shape
    if (Ma, Nb) != (M, N) or Ka != Kb:
        raise ValueError(f"gemm: op(A) {(Ma, Ka)} times op(B) {(Kb, Nb)} does not give C {(M, N)}")
    kname = tile_for(M, N)
    BM, BN, _, TM, TN = GEMM_TILES[kname]
    dt = C.dtype
    s = dt.type
    grid = ((N + BN - 1) // BN, (M + BM - 1) // BM)
    launch_kernel(
        kname,
        dt,
        grid,
        (BN // TN, BM // TM),
        A,
        B,
        C,
        int(trans_a),
        int(trans_b),
        s(scale),
        s(beta),
        int(epilogue),
        C if bias is None else bias,
        C if aux is None else aux,
        int(code),
        s(alpha),
    )
