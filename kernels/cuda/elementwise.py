"""The cuda backend's elementwise kernels: one thread per entry, grid-stride loops over the flat arrays.

* ``act_forward``       A = g(Z)
* ``act_backward``      dZ = dA g'(Z)  (relu / leaky relu as masks: np.where(Z > 0, dA, 0))
* ``cost_grad``         dAL = m dJ/dAL for each loss, or the collapsed dZ[L] = AL - Y (``OUTPUT_DELTA``)
* ``update``            param <- param - learning_rate grad
* ``axpby``             y <- a x + b y        (momentum's velocity, gradient accumulation)
* ``fill``              x <- value            (zeroing an accumulated gradient)
* ``adam_update``       Adam's three lines for every entry at once (m, v and the parameter, in place)

and the two per-column ones (one thread per sample): ``softmax`` and ``softmax_backward``.

The scalar arguments have the arrays' dtype (the host wrappers convert them), so a float32 kernel runs in
float32 as NumPy does with Python scalars. NaN and inf propagate as in the NumPy bodies (``device.py``).
"""

import math

from numba import cuda

from .device import g, g_backward, loss_grad, maximum, sqrt
from .launch import factory


@factory
def make_act_forward(dt):
    @cuda.jit
    def act_forward(Z, A, code, alpha):
        """A = g(Z) (flat arrays)."""
        for i in range(cuda.grid(1), Z.shape[0], cuda.gridsize(1)):
            A[i] = g(Z[i], code, alpha)

    return act_forward


@factory
def make_act_backward(dt):
    @cuda.jit
    def act_backward(dA, Z, dZ, code, alpha):
        """dZ = dA g'(Z) (flat arrays)."""
        for i in range(cuda.grid(1), Z.shape[0], cuda.gridsize(1)):
            dZ[i] = g_backward(dA[i], Z[i], code, alpha)

    return act_backward


@factory
def make_cost_grad(dt):
    @cuda.jit
    def cost_grad(AL, Y, out, code, tiny):
        """out = dJ/dAL without the 1/m for the loss ``code``, or AL - Y for OUTPUT_DELTA (flat arrays)."""
        for i in range(cuda.grid(1), AL.shape[0], cuda.gridsize(1)):
            out[i] = loss_grad(AL[i], Y[i], code, tiny)

    return cost_grad


@factory
def make_softmax(dt):
    @cuda.jit
    def softmax(Z, A):
        """A[:, j] = exp(Z[:, j] - max) / sum exp(Z[:, j] - max); one thread per column j. The column max
        is np.max's: NaN when any entry is NaN (so the whole column is NaN, as in NumPy)."""
        n, m = Z.shape
        for j in range(cuda.grid(1), m, cuda.gridsize(1)):
            zmax = Z[0, j]
            for k in range(1, n):
                zmax = maximum(zmax, Z[k, j])
            s = dt(0)
            for k in range(n):
                e = dt(math.exp(Z[k, j] - zmax))
                A[k, j] = e
                s += e
            for k in range(n):
                A[k, j] = A[k, j] / s

    return softmax


@factory
def make_softmax_backward(dt):
    @cuda.jit
    def softmax_backward(dA, A, dZ):
        """dZ[:, j] = A[:, j] (dA[:, j] - sum_k dA[k, j] A[k, j]); one thread per column j."""
        n, m = A.shape
        for j in range(cuda.grid(1), m, cuda.gridsize(1)):
            s = dt(0)
            for k in range(n):
                s += dA[k, j] * A[k, j]
            for k in range(n):
                dZ[k, j] = A[k, j] * (dA[k, j] - s)

    return softmax_backward


@factory
def make_update(dt):
    @cuda.jit
    def update(param, grad, learning_rate):
        """param <- param - learning_rate grad, in place (flat arrays)."""
        for i in range(cuda.grid(1), param.shape[0], cuda.gridsize(1)):
            param[i] = param[i] - learning_rate * grad[i]

    return update


@factory
def make_axpby(dt):
    @cuda.jit
    def axpby(a, x, b, y):
        """y <- a x + b y, in place (flat arrays; b y is computed even for b = 0, as NumPy's y *= b does)."""
        for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
            y[i] = b * y[i] + a * x[i]

    return axpby


@factory
def make_fill(dt):
    @cuda.jit
    def fill(x, value):
        """x <- value (flat array)."""
        for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
            x[i] = value

    return fill


@factory
def make_adam_update(dt):
    @cuda.jit
    def adam_update(param, grad, m, v, learning_rate, beta1, beta2, eps, correction1, correction2):
        """m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
        param <- param - learning_rate (m / correction1) / (sqrt(v / correction2) + eps),
        correction_k = 1 - beta_k^t (computed once on the host). In place, flat arrays."""
        one_minus_beta1 = 1 - beta1
        one_minus_beta2 = 1 - beta2
        for i in range(cuda.grid(1), param.shape[0], cuda.gridsize(1)):
            gi = grad[i]
            mi = beta1 * m[i] + one_minus_beta1 * gi
            vi = beta2 * v[i] + one_minus_beta2 * gi * gi
            m[i] = mi
            v[i] = vi
            param[i] = param[i] - learning_rate * (mi / correction1) / (sqrt(vi / correction2) + eps)

    return adam_update
