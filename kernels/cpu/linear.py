"""The linear layer: Z = W A_prev + b with the activation fused, its backward, and the update fused into the
gradient product.

Shapes in the lecture's notation: W (n[l], n[l-1]), b (n[l], 1), A_prev (n[l-1], m), Z, A, dZ (n[l], m).
Products of at least ``BLAS_MIN_WORK`` multiply-adds go to BLAS (``blas.gemm``, transposes read in the call);
smaller ones run as loop nests along the contiguous sample axis (see the table in blas.py).
"""

from ..contract import ACT_LINEAR, ACT_SOFTMAX
from .blas import BLAS_MIN_WORK, gemm
from .elementwise import epilogue, softmax
from .jit import kernel


@kernel(inline="always")
def product(A_prev, W, Z):
    """Z = W A_prev."""
    n, m = Z.shape
    n_prev = W.shape[1]
    if n * n_prev * m >= BLAS_MIN_WORK:
        gemm(W, A_prev, Z, False, False, 1.0, 0.0)
        return
    for i in range(n):
        for j in range(m):
            Z[i, j] = 0.0
        for k in range(n_prev):
            w = W[i, k]
            for j in range(m):
                Z[i, j] += w * A_prev[k, j]


@kernel(inline="always")
def product_tn(W, dZ, dA_prev):
    """dA_prev = W^T dZ (W read transposed, never copied)."""
    n, n_prev = W.shape
    m = dZ.shape[1]
    if n * n_prev * m >= BLAS_MIN_WORK:
        gemm(W, dZ, dA_prev, True, False, 1.0, 0.0)
        return
    for k in range(n_prev):
        for j in range(m):
            dA_prev[k, j] = 0.0
    for i in range(n):
        for k in range(n_prev):
            w = W[i, k]
            for j in range(m):
                dA_prev[k, j] += w * dZ[i, j]


@kernel(fastmath=True, inline="always")
def scaled_row_sums(dZ, out, scale, beta):
    """out[i, 0] <- scale sum_j dZ[i, j] + beta out[i, 0]  (beta = 0: out is only written)."""
    n, m = dZ.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += dZ[i, j]
        out[i, 0] = scale * s + (beta * out[i, 0] if beta != 0.0 else 0.0)


@kernel(fastmath=True, inline="always")
def weight_gradient(dZ, A_prev, dW, scale, beta):
    """dW <- scale dZ A_prev^T + beta dW (A_prev read transposed). scale = 1/m, beta = 0: the gradient
    dW = (1/m) dZ A_prev^T; scale = -lr/m, beta = 1: the update W <- W - lr dW without writing dW."""
    n, m = dZ.shape
    n_prev = A_prev.shape[0]
    if n * n_prev * m >= BLAS_MIN_WORK:
        gemm(dZ, A_prev, dW, False, True, scale, beta)
        return
    for i in range(n):
        for k in range(n_prev):
            s = 0.0
            for j in range(m):
                s += dZ[i, j] * A_prev[k, j]
            dW[i, k] = scale * s + (beta * dW[i, k] if beta != 0.0 else 0.0)


@kernel(fastmath=True)  # its own arithmetic: the inlined product loops
def linear_forward(A_prev, W, b, Z, A, code, alpha):
    """Z = W A_prev + b; A = g(Z) (g = softmax for ACT_SOFTMAX), written into Z and A (serial passes)."""
    product(A_prev, W, Z)
    # one call site with a variable code: a constant argument could compile a second specialization
    epilogue(Z, A, b, ACT_LINEAR if code == ACT_SOFTMAX else code, alpha)
    if code == ACT_SOFTMAX:
        softmax(Z, A)  # over the A = Z + b the epilogue wrote


@kernel(fastmath=True)
def linear_backward(dZ, A_prev, W, dA_prev, dW, db, need_dA_prev):
    """dW = (1/m) dZ A_prev^T, db = (1/m) row sums of dZ, dA_prev = W^T dZ (if need_dA_prev)."""
    inv_m = 1.0 / dZ.shape[1]
    weight_gradient(dZ, A_prev, dW, inv_m, 0.0)
    scaled_row_sums(dZ, db, inv_m, 0.0)
    if need_dA_prev:
        product_tn(W, dZ, dA_prev)


@kernel(fastmath=True)
def descend(dZ, A_prev, W, b, learning_rate):
    """The SGD update fused with the gradient: W <- W - (lr/m) dZ A_prev^T, b <- b - (lr/m) sum_j dZ[:, j]
    (dW and db are never written out)."""
    step = -learning_rate / dZ.shape[1]
    weight_gradient(dZ, A_prev, W, step, 1.0)
    scaled_row_sums(dZ, b, step, 1.0)
