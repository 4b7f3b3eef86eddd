"""The fused training step: forward, cost, backward and the optimizer's update of the L-layer net in one
compiled call, on the flat parameters theta = W1, b1, ..., WL, bL (``contract.parameter_views``' layout).

The per-layer functions of ``nn_ref`` cost a few microseconds of Python per call, more than the whole step of a
small net; here the step is one call. Two entry points, so that a run compiles only the one it uses:

* ``sgd_step``: W <- W - (lr/m) dZ A_prev^T fused into one BLAS call with beta = 1 (dW is never written out),
  b likewise in the row-sum pass; layer by layer from the top, dA[l-1] = W[l]^T dZ[l] taken before W[l] moves.
* ``optimizer_step``: the gradient of theta into a flat buffer ``grad``, then momentum or Adam over the flat
  arrays (``contract.Backend.train_step`` gives the formulas).

Every pass is serial: the only parallel regions of a step are BLAS's (see threads.py).
"""

from ..contract import (
    ACT_SIGMOID,
    ACT_SOFTMAX,
    LOSS_CATEGORICAL_CROSS_ENTROPY,
    LOSS_CROSS_ENTROPY,
    OPT_MOMENTUM,
    OUTPUT_DELTA,
)
from .elementwise import activation_backward, adam_update, axpby, softmax_backward, update
from .jit import kernel
from .linear import descend, linear_backward, linear_forward, product, product_tn, weight_gradient
from .reductions import cost as _cost
from .reductions import cost_gradient


# Views are computed per layer from the offsets (no lists of arrays: they cost seconds of compile time), in
# helpers inlined into the steps (a separate library per helper costs more compile time than the inlining).
@kernel(inline="always")
def layer_parameters(theta, dims, l):
    """W[l] (n[l], n[l-1]) and b[l] (n[l], 1), views into the flat ``theta`` (or a gradient shaped like it)."""
    p = 0
    for k in range(1, l):
        p += dims[k] * (dims[k - 1] + 1)
    n, n_prev = dims[l], dims[l - 1]
    return theta[p : p + n * n_prev].reshape((n, n_prev)), theta[p + n * n_prev : p + n * n_prev + n].reshape((n, 1))


@kernel(inline="always")
def layer_activations(work, dims, m, l):
    """Z[l] and A[l] (n[l], m), views into ``work`` (layers 1..L in order, then the two buffers)."""
    w = 0
    for k in range(1, l):
        w += 2 * dims[k] * m
    n = dims[l]
    return work[w : w + n * m].reshape((n, m)), work[w + n * m : w + 2 * n * m].reshape((n, m))


@kernel(inline="always")
def buffers(work, dims, m):
    """The dZ and dA buffers (flat, (max n[l]) m values each) that follow the layers in ``work``."""
    w = 0
    nmax = 0
    for k in range(1, dims.shape[0]):
        w += 2 * dims[k] * m
        nmax = max(nmax, dims[k])
    return work[w : w + nmax * m], work[w + nmax * m : w + 2 * nmax * m]


@kernel(inline="always")  # into each step: numba re-optimizes every library it links, once per level
def forward_and_delta(X, Y, theta, dims, work, hidden, output, loss, alpha, tiny):
    """The forward pass into ``work``, the cost J, and dZ[L] into the dZ buffer (AL - Y where the chain rule
    collapses, else dA[L] g'(Z[L]) through the dA buffer). Returns (J, dZ[L] (n[L], m), its dZ and dA buffers)."""
    L = dims.shape[0] - 1
    m = X.shape[1]
    A_prev = X
    for l in range(1, L + 1):
        W, b = layer_parameters(theta, dims, l)
        Z, A = layer_activations(work, dims, m, l)
        linear_forward(A_prev, W, b, Z, A, output if l == L else hidden, alpha)
        A_prev = A
    ZL, AL = layer_activations(work, dims, m, L)
    J = _cost(AL, Y, loss, tiny)
    nL = dims[L]
    dZbuf, dAbuf = buffers(work, dims, m)
    dZ = dZbuf[: nL * m].reshape((nL, m))
    dA = dAbuf[: nL * m].reshape((nL, m))
    collapse = (output == ACT_SIGMOID and loss == LOSS_CROSS_ENTROPY) or (
        output == ACT_SOFTMAX and loss == LOSS_CATEGORICAL_CROSS_ENTROPY
    )
    cost_gradient(AL, Y, dZ if collapse else dA, OUTPUT_DELTA if collapse else loss, tiny)
    if not collapse:
        if output == ACT_SOFTMAX:
            softmax_backward(dA, AL, dZ)
        else:
            activation_backward(dA, ZL, dZ, output, alpha)
    return J, dZ, dZbuf, dAbuf


@kernel(fastmath=True)  # its own arithmetic: the inlined W^T dZ loops
def sgd_step(X, Y, theta, dims, hidden, output, loss, learning_rate, alpha, tiny, work):
    """One SGD step on theta (in place); returns J before the update."""
    J, dZ, dZbuf, dAbuf = forward_and_delta(X, Y, theta, dims, work, hidden, output, loss, alpha, tiny)
    m = X.shape[1]
    for l in range(dims.shape[0] - 1, 0, -1):
        W, b = layer_parameters(theta, dims, l)
        if l > 1:
            Z_prev, A_prev = layer_activations(work, dims, m, l - 1)
            dA_prev = dAbuf[: dims[l - 1] * m].reshape((dims[l - 1], m))
            product_tn(W, dZ, dA_prev)  # dA[l-1] = W[l]^T dZ[l], with W[l] before its update
            descend(dZ, A_prev, W, b, learning_rate)
            dZ = dZbuf[: dims[l - 1] * m].reshape((dims[l - 1], m))
            activation_backward(dA_prev, Z_prev, dZ, hidden, alpha)
        else:  # dA[0] = W1^T dZ1 is not needed
            descend(dZ, X, W, b, learning_rate)
    return J


@kernel
def optimizer_step(
    X,
    Y,
    theta,
    dims,
    hidden,
    output,
    loss,
    learning_rate,
    alpha,
    tiny,
    work,
    grad,
    optimizer,
    s1,
    s2,
    beta1,
    beta2,
    eps,
    c1,
    c2,
):
    """One momentum (state s1 = v) or Adam (s1 = m, s2 = v; c1 = 1 - beta1^t, c2 = 1 - beta2^t) step on theta,
    in place, with the flat gradient written to ``grad``; returns J before the update."""
    J, dZ, dZbuf, dAbuf = forward_and_delta(X, Y, theta, dims, work, hidden, output, loss, alpha, tiny)
    m = X.shape[1]
    for l in range(dims.shape[0] - 1, 0, -1):  # layer L down to 1
        W, b = layer_parameters(theta, dims, l)
        dW, db = layer_parameters(grad, dims, l)
        has_prev = l > 1  # dA[0] = W1^T dZ1 is not needed: an empty view stands in for it
        Z_prev, A_prev = layer_activations(work, dims, m, l - 1) if has_prev else (X, X)
        n_prev = dims[l - 1] if has_prev else 0
        dA_prev = dAbuf[: n_prev * m].reshape((n_prev, m))
        linear_backward(dZ, A_prev, W, dA_prev, dW, db, has_prev)  # one call site: no literal True/False
        if has_prev:
            dZ = dZbuf[: dims[l - 1] * m].reshape((dims[l - 1], m))
            activation_backward(dA_prev, Z_prev, dZ, hidden, alpha)
    if optimizer == OPT_MOMENTUM:
        axpby(1.0 - beta1, grad, beta1, s1)  # v <- beta1 v + (1 - beta1) g
        update(theta, s1, learning_rate)  # theta <- theta - lr v
    else:  # OPT_ADAM
        adam_update(theta, grad, s1, s2, learning_rate, beta1, beta2, eps, c1, c2)
    return J


@kernel
def matrix_products(X, theta, dims, work, grad):
    """The matrix products of one ``sgd_step`` and nothing else -- the floor under the fused step, for the
    benchmark: Z[l] = W[l] A[l-1], dA[l-1] = W[l]^T dZ[l] (l > 1) and dW[l] = (1/m) dZ[l] A[l-1]^T (into
    ``grad``; the step writes it into W[l] with beta = 1, the same BLAS work), on the values in ``work``."""
    m = X.shape[1]
    L = dims.shape[0] - 1
    dZbuf, dAbuf = buffers(work, dims, m)
    A_prev = X
    for l in range(1, L + 1):
        W, b = layer_parameters(theta, dims, l)
        Z, A = layer_activations(work, dims, m, l)
        product(A_prev, W, Z)
        A_prev = A
    for l in range(L, 0, -1):
        W, b = layer_parameters(theta, dims, l)
        dW, db = layer_parameters(grad, dims, l)
        dZ = dZbuf[: dims[l] * m].reshape((dims[l], m))
        if l > 1:
            Z_prev, A_prev = layer_activations(work, dims, m, l - 1)
            product_tn(W, dZ, dAbuf[: dims[l - 1] * m].reshape((dims[l - 1], m)))
            weight_gradient(dZ, A_prev, dW, 1.0 / m, 0.0)
        else:
            weight_gradient(dZ, X, dW, 1.0 / m, 0.0)
