"""NumPy backend: the readable oracle every other backend must equal.

Each op is written as the lecture writes it, in the lecture's notation:
``W`` is ``(n[l], n[l-1])``, ``b`` is ``(n[l], 1)``, ``A_prev`` is ``(n[l-1], m)``,
``Z`` and ``A`` are ``(n[l], m)``. The numba CPU and CUDA backends implement the same
functions with the same signatures (see ``kernels/__init__.py`` for the list).

Arrays are NumPy arrays here; ``to_device`` / ``to_host`` are the identity.
Shape checking is done by the callers in ``nn_ref`` (once, with clear messages), not here.
"""
import numpy as np

name = "numpy"

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")


# ----------------------------------------------------------------------------- memory
def to_device(x):
    """Backend array from a host array (identity: NumPy arrays live on the host)."""
    return np.asarray(x)


def to_host(x):
    """Host NumPy array from a backend array (identity here)."""
    return np.asarray(x)


def empty(shape, dtype=np.float64):
    """Uninitialised backend array of ``shape``."""
    return np.empty(shape, dtype=dtype)


def synchronize():
    """Wait for queued work (nothing is queued on the host)."""


# ----------------------------------------------------------------------------- activations
def sigmoid(Z):
    """sigma(Z) = 1 / (1 + e^-Z), stable for any Z.

    For Z >= 0 we evaluate 1 / (1 + e^-Z); for Z < 0 the equal form e^Z / (1 + e^Z),
    so ``exp`` only ever sees a non-positive argument and never overflows.
    Z: any shape. Returns an array of the same shape and dtype.
    """
    E = np.exp(-np.abs(Z))                       # in (0, 1], never overflows
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E)).astype(Z.dtype, copy=False)


def activation_forward(Z, activation, alpha=0.01):
    """A = g(Z) for g in {linear, sigmoid, tanh, relu, leaky_relu}.

    relu: A = max(0, Z); leaky_relu: A = Z if Z > 0 else alpha * Z.
    Z: (n[l], m). Returns A: (n[l], m).
    """
    if activation == "linear":
        return Z.copy()
    if activation == "sigmoid":
        return sigmoid(Z)
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "relu":
        return np.maximum(Z, 0).astype(Z.dtype, copy=False)
    if activation == "leaky_relu":
        return np.where(Z > 0, Z, alpha * Z).astype(Z.dtype, copy=False)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")


def activation_backward(dA, Z, activation, alpha=0.01):
    """dZ = dA * g'(Z).

    sigmoid' = s (1 - s); tanh' = 1 - tanh^2; relu' = 1 if Z > 0 else 0;
    leaky_relu' = 1 if Z > 0 else alpha; linear' = 1.
    dA, Z: (n[l], m). Returns dZ: (n[l], m).
    """
    if activation == "linear":
        return dA.copy()
    if activation == "sigmoid":
        s = sigmoid(Z)
        return dA * s * (1 - s)
    if activation == "tanh":
        t = np.tanh(Z)
        return dA * (1 - t * t)
    if activation == "relu":
        return np.where(Z > 0, dA, 0).astype(dA.dtype, copy=False)
    if activation == "leaky_relu":
        return np.where(Z > 0, dA, alpha * dA).astype(dA.dtype, copy=False)
    raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")


def softmax(Z):
    """A = softmax(Z) per column (sample): a_k = e^(z_k - max z) / sum_j e^(z_j - max z).

    Subtracting the column max changes nothing mathematically and keeps exp <= 1.
    Z: (n[L], m). Returns A: (n[L], m), each column summing to 1.
    """
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


# ----------------------------------------------------------------------------- linear layer
def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    """Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l])   (bias and activation fused).

    A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1).
    Returns (Z, A), both (n[l], m). ``activation="softmax"`` applies softmax per column.
    """
    Z = W @ A_prev + b
    A = softmax(Z) if activation == "softmax" else activation_forward(Z, activation, alpha)
    return Z, A


def sum_over_samples(dZ):
    """Row sums: s_i = sum_j dZ[i, j], summing over the m samples (axis 1).

    dZ: (n[l], m). Returns (n[l], 1).
    """
    return dZ.sum(axis=1, keepdims=True)


def linear_backward(dZ, A_prev, W):
    """dW = (1/m) dZ A_prev^T;  db = (1/m) sum_i dZ[:, i];  dA_prev = W^T dZ.

    dZ: (n[l], m), A_prev: (n[l-1], m), W: (n[l], n[l-1]).
    Returns dA_prev (n[l-1], m), dW (n[l], n[l-1]), db (n[l], 1).
    """
    m = A_prev.shape[1]
    dW = (dZ @ A_prev.T) / m
    db = sum_over_samples(dZ) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


# ----------------------------------------------------------------------------- costs
def _safe_log(x):
    """log(x) with x floored at the smallest normal number of its dtype: never log(0)."""
    return np.log(np.maximum(x, np.finfo(x.dtype).tiny))


def cross_entropy_cost(AL, Y):
    """J = -(1/m) sum_i [y log a + (1 - y) log(1 - a)], summed over output units.

    Stable: log is taken of max(a, tiny) and max(1 - a, tiny), never of 0.
    AL, Y: (n[L], m). Returns a Python float.
    """
    m = AL.shape[1]
    return float(-(Y * _safe_log(AL) + (1 - Y) * _safe_log(1 - AL)).sum() / m)


def categorical_cross_entropy_cost(AL, Y):
    """J = -(1/m) sum_i sum_k y_k log a_k  (softmax output, one-hot Y).

    AL, Y: (n[L], m). Returns a Python float.
    """
    m = AL.shape[1]
    return float(-(Y * _safe_log(AL)).sum() / m)


def mse_cost(AL, Y):
    """J = (1/m) sum (AL - Y)^2.  AL, Y: (n[L], m). Returns a Python float."""
    m = AL.shape[1]
    return float(((AL - Y) ** 2).sum() / m)


def l1_cost(AL, Y):
    """J = (1/m) sum |AL - Y|.  AL, Y: (n[L], m). Returns a Python float."""
    m = AL.shape[1]
    return float(np.abs(AL - Y).sum() / m)


def cost_gradient(AL, Y, loss):
    """dAL = dJ/dAL for J as in ``*_cost`` (so the 1/m is *not* included here:
    ``linear_backward`` divides by m, matching dW = (1/m) dZ A_prev^T).

    cross_entropy: -(y / a - (1 - y) / (1 - a)); categorical: -y / a;
    mse: 2 (a - y); l1: sign(a - y).
    AL, Y: (n[L], m). Returns dAL: (n[L], m).
    """
    if loss == "cross_entropy":
        tiny = np.finfo(AL.dtype).tiny
        return -(Y / np.maximum(AL, tiny) - (1 - Y) / np.maximum(1 - AL, tiny))
    if loss == "categorical_cross_entropy":
        return -Y / np.maximum(AL, np.finfo(AL.dtype).tiny)
    if loss == "mse":
        return 2 * (AL - Y)
    if loss == "l1":
        return np.sign(AL - Y)
    raise ValueError(f"unknown loss {loss!r}")


def output_delta(AL, Y):
    """dZ[L] = AL - Y for a sigmoid output with cross-entropy, or softmax with categorical
    cross-entropy: the chain rule dA[L] * g'(Z[L]) collapses to this (exact and stable). In the
    network's convention dZ[L] is m * dJ/dZ[L]; ``linear_backward`` applies the 1/m.

    AL, Y: (n[L], m). Returns (n[L], m).
    """
    return AL - Y


# ----------------------------------------------------------------------------- update
def update(param, grad, learning_rate):
    """In place: param <- param - learning_rate * grad  (W or b; same shapes)."""
    param -= learning_rate * grad
    return param


def softmax_backward(dA, A):
    """dZ = A * (dA - sum_k dA_k A_k) per column: the softmax Jacobian-vector product.

    dA, A: (n[L], m). Returns dZ: (n[L], m).
    """
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


# ----------------------------------------------------------------------------- batch normalization
def batchnorm_forward(Z, gamma, beta, eps):
    """Batch normalization over the m samples (train mode, batch statistics):

        mu    = (1/m) sum_i Z[:, i]                  (n, 1)
        var   = (1/m) sum_i (Z[:, i] - mu)^2          (n, 1)
        Z_hat = (Z - mu) / sqrt(var + eps)            (n, m)
        out   = gamma * Z_hat + beta                  (n, m)

    Z: (n[l], m), gamma, beta: (n[l], 1). Returns (out, Z_hat, mu, var).
    """
    m = Z.shape[1]
    mu = Z.sum(axis=1, keepdims=True) / m
    D = Z - mu
    var = (D * D).sum(axis=1, keepdims=True) / m
    Z_hat = D / np.sqrt(var + eps)
    out = gamma * Z_hat + beta
    return out, Z_hat, mu, var


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    """Backward of ``batchnorm_forward`` (the compact form):

        dbeta  = sum_i dout[:, i]                                         (n, 1)
        dgamma = sum_i dout[:, i] * Z_hat[:, i]                           (n, 1)
        dZ     = gamma / sqrt(var + eps) * (dout - dbeta/m - Z_hat * dgamma/m)   (n, m)

    dout, Z_hat: (n[l], m); gamma, var: (n[l], 1). Returns (dZ, dgamma, dbeta).
    """
    m = dout.shape[1]
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * Z_hat).sum(axis=1, keepdims=True)
    dZ = (gamma / np.sqrt(var + eps)) * (dout - dbeta / m - Z_hat * dgamma / m)
    return dZ, dgamma, dbeta


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    """Batch normalization in eval mode, with the running statistics:

        out = gamma * (Z - running_mean) / sqrt(running_var + eps) + beta

    Z: (n[l], m); gamma, beta, running_mean, running_var: (n[l], 1). Returns out: (n[l], m).
    """
    return gamma * ((Z - running_mean) / np.sqrt(running_var + eps)) + beta


# ----------------------------------------------------------------------------- fused training step
def train_step(X, Y, theta, layer_dims, hidden_activation, output_activation, loss, learning_rate, alpha=0.01):
    """One gradient-descent step of the L-layer net whose parameters W1, b1, ..., WL, bL lie flat in
    ``theta`` (updated in place; see ``nn_ref.kernels.pack_parameters``). Returns the cost J before
    the update. The oracle of the fused ``train_step`` of the other backends: the lecture's steps
    one after the other -- forward, cost, backward (dZ[L] = AL - Y where the chain rule collapses),
    W[l] <- W[l] - learning_rate dW[l], b[l] <- b[l] - learning_rate db[l].
    X: (n[0], m), Y: (n[L], m), layer_dims: (n[0], ..., n[L]).
    """
    L = len(layer_dims) - 1
    params, p = [], 0
    for l in range(1, L + 1):
        n, n_prev = layer_dims[l], layer_dims[l - 1]
        W = theta[p:p + n * n_prev].reshape(n, n_prev)
        p += n * n_prev
        params.append((W, theta[p:p + n].reshape(n, 1)))
        p += n
    A, caches = X, []
    for l, (W, b) in enumerate(params, start=1):
        g = output_activation if l == L else hidden_activation
        Z, A_next = linear_forward(A, W, b, g, alpha)
        caches.append((A, Z, A_next, g))
        A = A_next
    AL = A
    cost = globals()[f"{loss}_cost"](AL, Y)
    if (output_activation, loss) in (("sigmoid", "cross_entropy"), ("softmax", "categorical_cross_entropy")):
        dZ = output_delta(AL, Y)
    else:
        dA = cost_gradient(AL, Y, loss)
        dZ = softmax_backward(dA, AL) if output_activation == "softmax" else \
            activation_backward(dA, caches[-1][1], output_activation, alpha)
    grads = [None] * L
    for l in range(L, 0, -1):
        A_prev, _, _, _ = caches[l - 1]
        dA_prev, dW, db = linear_backward(dZ, A_prev, params[l - 1][0])
        grads[l - 1] = (dW, db)
        if l > 1:
            dZ = activation_backward(dA_prev, caches[l - 2][1], hidden_activation, alpha)
    for (W, b), (dW, db) in zip(params, grads):
        update(W, dW, learning_rate)
        update(b, db, learning_rate)
    return cost
