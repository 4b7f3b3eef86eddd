"""Elementwise and per-column passes: bias + activation (the "epilogue" of a product), dZ = dA g'(Z), softmax
and its backward, and the in-place ops of the optimizers (update, axpby, fill, adam_update).

Row kernels take an ``(n, m)`` array and sweep each row along the contiguous sample axis (LLVM vectorises
these loops); the in-place optimizer ops take flat 1-D arrays (the wrappers pass ``x.reshape(-1)`` views, so
one compiled version serves W, b and the flat theta). Each row/flat kernel is a pair of twins
(``jit.twins``: serial, parallel); ``threads.pick`` chooses. The maths per entry is ``kernels/scalar.py``'s.
"""

import math

from .jit import g, g_backward, kernel, maximum, twins


def _epilogue(loop):
    def epilogue(Z, A, b, code, alpha):
        """A = g(Z + b) for the activation ``code``; with a bias ``b`` (n, 1), Z <- Z + b is written back
        (the fused Z = W A_prev + b after the product); with ``b=None`` Z is only read."""
        n, m = Z.shape
        for i in loop(n):
            if b is not None:
                bi = b[i, 0]
                for j in range(m):
                    z = Z[i, j] + bi
                    Z[i, j] = z
                    A[i, j] = g(z, code, alpha)
            else:
                for j in range(m):
                    A[i, j] = g(Z[i, j], code, alpha)

    return epilogue


def _activation_backward(loop):
    def activation_backward(dA, Z, dZ, code, alpha):
        """dZ = dA g'(Z), entry by entry (scalar.g_backward)."""
        n, m = Z.shape
        for i in loop(n):
            for j in range(m):
                dZ[i, j] = g_backward(dA[i, j], Z[i, j], code, alpha)

    return activation_backward


def _update(loop):
    def update(param, grad, learning_rate):
        """param <- param - learning_rate grad (flat)."""
        for i in loop(param.shape[0]):
            param[i] = param[i] - learning_rate * grad[i]

    return update


def _axpby(loop):
    def axpby(a, x, b, y):
        """y <- a x + b y (flat), as y *= b; y += a x."""
        for i in loop(y.shape[0]):
            y[i] = y[i] * b + a * x[i]

    return axpby


def _fill(loop):
    def fill(x, value):
        """x <- value (flat)."""
        for i in loop(x.shape[0]):
            x[i] = value

    return fill


def _adam_update(loop):
    def adam_update(param, grad, m, v, learning_rate, beta1, beta2, eps, c1, c2):
        """m <- beta1 m + (1 - beta1) grad; v <- beta2 v + (1 - beta2) grad^2;
        param <- param - learning_rate (m / c1) / (sqrt(v / c2) + eps), with c1 = 1 - beta1^t, c2 = 1 - beta2^t."""
        for i in loop(param.shape[0]):
            gi = grad[i]
            m[i] = m[i] * beta1 + (1.0 - beta1) * gi
            v[i] = v[i] * beta2 + (1.0 - beta2) * gi * gi
            param[i] = param[i] - learning_rate * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)

    return adam_update


EPILOGUE = twins(_epilogue)
ACTIVATION_BACKWARD = twins(_activation_backward)
UPDATE = twins(_update)
AXPBY = twins(_axpby)
FILL = twins(_fill)
ADAM_UPDATE = twins(_adam_update)

# the serial twins by name, for the compiled callers (linear.py, step.py)
epilogue = EPILOGUE[0]
activation_backward = ACTIVATION_BACKWARD[0]
update = UPDATE[0]
axpby = AXPBY[0]
adam_update = ADAM_UPDATE[0]


@kernel
def softmax(Z, A):
    """A[:, j] = exp(Z[:, j] - max Z[:, j]) / sum_k exp(Z[k, j] - max Z[:, j]), column by column (no
    temporaries: an allocation inside a kernel costs compile time). The column max propagates NaN (np.max
    does), so a NaN entry makes its column NaN."""
    n, m = Z.shape
    for j in range(m):
        zmax = Z[0, j]
        for k in range(1, n):
            zmax = maximum(zmax, Z[k, j])
        s = 0.0
        for k in range(n):
            e = math.exp(Z[k, j] - zmax)
            A[k, j] = e
            s += e
        for k in range(n):
            A[k, j] = A[k, j] / s


@kernel
def softmax_backward(dA, A, dZ):
    """dZ[:, j] = A[:, j] (dA[:, j] - sum_k dA[k, j] A[k, j]), column by column."""
    n, m = A.shape
    for j in range(m):
        s = 0.0
        for k in range(n):
            s += dA[k, j] * A[k, j]
        for k in range(n):
            dZ[k, j] = A[k, j] * (dA[k, j] - s)
