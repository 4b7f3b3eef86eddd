"""BLAS ?gemm from inside numba-compiled code, with alpha, beta and transposes.

``gemm(A, B, C, trans_a, trans_b, alpha, beta)``: C = alpha op(A) op(B) + beta C on C-contiguous (row-major)
arrays, op(X) = X^T when trans_x. It goes through numba's own ``numba_xxgemm`` helper (the one ``np.dot`` uses:
scipy's BLAS, resolved at run time, so the callers stay cacheable). ``np.dot`` has neither alpha/beta nor
transpose flags; with them

* dW = (1/m) dZ A_prev^T is one call with alpha = 1/m (no transposed copy of A_prev, no second pass);
* dA_prev = W^T dZ reads W transposed in the call;
* the fused update W <- W - (lr/m) dZ A_prev^T is one call with beta = 1 (dW never written out).

Below ``BLAS_MIN_WORK`` multiply-adds the callers use loop nests instead (kernels/cpu/linear.py). Measured on
the 2-core x86-64 CI machine (AMD EPYC, AVX2; scipy's OpenBLAS), float32, microseconds per product, loops /
BLAS (each W A_prev, W^T dZ and the dW update alike):
  n x n_prev x m = 10x1x100: 0.8/0.7   4x8x16: 0.4/0.3   16x16x16: 1.1/0.5   8x32x32: 1.7/0.5
  32x32x32: 4.2/0.9   10x100x64: 6.5/1.5   64x64x64: 22/5
BLAS's call overhead through numba is well under a microsecond, so the loops only tie with it up to about a
thousand multiply-adds (the 1-10-1 net's layers); there they stay, as they also fold in the bias and activation.
"""

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.linalg import ensure_blas, get_blas_kind

BLAS_MIN_WORK = 2048  # multiply-adds n * n_prev * m from which a product goes to BLAS

# BLAS's transpose arguments (characters)
NO_TRANSPOSE = ord("n")
TRANSPOSE = ord("t")


@intrinsic
def _xgemm(typingctx, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """Column-major ?gemm: C = alpha op(A) op(B) + beta C (numba's ``numba_xxgemm``; the kind s/d from C)."""
    ensure_blas()
    sig = types.int32(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        ta, tb, m_, n_, k_, al, A, lda_, B, ldb_, be, C, ldc_ = args
        ty = signature.args
        dtype = ty[11].dtype
        ll_char = ir.IntType(8)
        ll_void_p = ll_char.as_pointer()
        intp_t = context.get_value_type(types.intp)
        fnty = ir.FunctionType(
            ir.IntType(32),
            [ll_char, ll_char, ll_char, intp_t, intp_t, intp_t, ll_void_p]
            + [ll_void_p, intp_t, ll_void_p, intp_t, ll_void_p, ll_void_p, intp_t],
        )
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
        call_args = (kind, as_char(ta, ty[0]), as_char(tb, ty[1]), as_intp(m_, ty[2]), as_intp(n_, ty[3]))
        call_args += (as_intp(k_, ty[4]), slot(al, ty[5]), data(A, ty[6]), as_intp(lda_, ty[7]), data(B, ty[8]))
        call_args += (as_intp(ldb_, ty[9]), slot(be, ty[10]), data(C, ty[11]), as_intp(ldc_, ty[12]))
        return builder.call(fn, call_args)

    return sig, codegen


@njit(inline="always")
def gemm(A, B, C, trans_a, trans_b, alpha, beta):
    """C = alpha op(A) op(B) + beta C for C-contiguous arrays; op(X) = X^T if trans_x.
    Row-major C is column-major C^T = op(B)^T op(A)^T: the operands swap, the flags carry over.
    Inlined into its callers (numba IR), so the constant flags of each call site compile no specialization
    of their own."""
    M, N = C.shape
    K = A.shape[0] if trans_a else A.shape[1]
    _xgemm(
        TRANSPOSE if trans_b else NO_TRANSPOSE,
        TRANSPOSE if trans_a else NO_TRANSPOSE,
        N,
        M,
        K,
        alpha,
        B,
        B.shape[1],
        A,
        A.shape[1],
        beta,
        C,
        N,
    )
