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
from .linear import descend, linear_backward, linear_forward, product_tn
from .reductions import cost as _cost
from .reductions import cost_gradient


@kernel
def parameter_views(theta, dims):
    """W[l], b[l] (l = 1..L, listed from 0) as views into the flat ``theta`` (or a gradient shaped like it)."""
    Ws = []
    bs = []
    p = 0
    for l in range(1, dims.shape[0]):
        n, n_prev = dims[l], dims[l - 1]
        Ws.append(theta[p : p + n * n_prev].reshape((n, n_prev)))
        p += n * n_prev
        bs.append(theta[p : p + n].reshape((n, 1)))
        p += n
    return Ws, bs


@kernel
def forward_and_delta(X, Y, Ws, bs, work, dims, hidden, output, loss, alpha, tiny):
    """The forward pass into ``work`` (Z[l], A[l] for l = 1..L, then two (max n[l], m) buffers), the cost J,
    and dZ[L] (AL - Y where the chain rule collapses). Returns (J, Zs, As, dZ, dZbuf, dAbuf); As[0] is X."""
    L = dims.shape[0] - 1
    m = X.shape[1]
    Zs = []
    As = [X]
    w = 0
    nmax = 0
    for l in range(1, L + 1):
        n = dims[l]
        nmax = max(nmax, n)
        Zs.append(work[w : w + n * m].reshape((n, m)))
        w += n * m
        As.append(work[w : w + n * m].reshape((n, m)))
        w += n * m
    dZbuf = work[w : w + nmax * m]
    w += nmax * m
    dAbuf = work[w : w + nmax * m]
    for l in range(L):
        linear_forward(As[l], Ws[l], bs[l], Zs[l], As[l + 1], output if l == L - 1 else hidden, alpha)
    AL = As[L]
    J = _cost(AL, Y, loss, tiny)
    nL = dims[L]
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
            activation_backward(dA, Zs[L - 1], dZ, output, alpha)
    return J, Zs, As, dZ, dZbuf, dAbuf


@kernel
def sgd_step(X, Y, theta, dims, hidden, output, loss, learning_rate, alpha, tiny, work):
    """One SGD step on theta (in place); returns J before the update."""
    Ws, bs = parameter_views(theta, dims)
    J, Zs, As, dZ, dZbuf, dAbuf = forward_and_delta(X, Y, Ws, bs, work, dims, hidden, output, loss, alpha, tiny)
    m = X.shape[1]
    for l in range(dims.shape[0] - 2, -1, -1):
        if l > 0:  # dA[0] = W1^T dZ1 is not needed
            n_prev = dims[l]
            dA_prev = dAbuf[: n_prev * m].reshape((n_prev, m))
            product_tn(Ws[l], dZ, dA_prev)  # with W[l] before its update
        descend(dZ, As[l], Ws[l], bs[l], learning_rate)
        if l > 0:
            dZ = dZbuf[: n_prev * m].reshape((n_prev, m))
            activation_backward(dA_prev, Zs[l - 1], dZ, hidden, alpha)
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
    Ws, bs = parameter_views(theta, dims)
    dWs, dbs = parameter_views(grad, dims)
    J, Zs, As, dZ, dZbuf, dAbuf = forward_and_delta(X, Y, Ws, bs, work, dims, hidden, output, loss, alpha, tiny)
    m = X.shape[1]
    for l in range(dims.shape[0] - 2, -1, -1):
        n_prev = dims[l] if l > 0 else 0  # dA[0] = W1^T dZ1 is not needed: an empty view
        dA_prev = dAbuf[: n_prev * m].reshape((n_prev, m))
        linear_backward(dZ, As[l], Ws[l], dA_prev, dWs[l], dbs[l], l > 0)
        if l > 0:
            dZ = dZbuf[: n_prev * m].reshape((n_prev, m))
            activation_backward(dA_prev, Zs[l - 1], dZ, hidden, alpha)
    if optimizer == OPT_MOMENTUM:
        axpby(1.0 - beta1, grad, beta1, s1)  # v <- beta1 v + (1 - beta1) g
        update(theta, s1, learning_rate)  # theta <- theta - lr v
    else:  # OPT_ADAM
        adam_update(theta, grad, s1, s2, learning_rate, beta1, beta2, eps, c1, c2)
    return J
