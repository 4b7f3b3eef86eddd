"""The L-layer feed-forward network of the lecture [Neural Network Definition,
Forward Propagation, Forward Propagation - Cost Function, Backward Propagation - Parameter Updates].

Notation (the slides'): m samples, L layers, n[l] units in layer l, n[0] input features.

    A[0] = X                                   X: (n[0], m)
    Z[l] = W[l] A[l-1] + b[l]                  W[l]: (n[l], n[l-1]), b[l]: (n[l], 1), Z[l]: (n[l], m)
    A[l] = g[l](Z[l])                          g = ReLU for l < L, sigmoid for l = L (by default)

Backward (deeplearning.ai convention: dZ[l] and dA[l] are m times dJ/dZ[l], dJ/dA[l]; the 1/m
is applied once, in dW and db):

    dZ[l]    = dA[l] * g'(Z[l])
    dW[l]    = (1/m) dZ[l] A[l-1]^T
    db[l]    = (1/m) sum over samples of dZ[l]
    dA[l-1]  = W[l]^T dZ[l]

Hot operations run in ``nn_ref.kernels`` (NumPy, numba CPU or numba CUDA); pass ``backend=``
or set NN_REF_BACKEND. Every shape is checked with a message naming expected and actual shapes.
"""
import numpy as np

from nn_ref import activations, batchnorm as batchnorm_ops, init as initializers
from nn_ref._checks import check_choice, check_shape
from nn_ref.kernels import get_backend

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "linear")
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")
LOSSES = ("cross_entropy", "categorical_cross_entropy", "mse", "l1")


def initialize_parameters(layer_dims, init="he", sigma=0.01, seed=0, dtype=np.float64, batchnorm=False):
    """Parameters {"W1", "b1", ..., "WL", "bL"} for ``layer_dims = [n[0], n[1], ..., n[L]]``.

    W[l]: (n[l], n[l-1]) from the initializer ``init`` ("zeros", "normal" with std ``sigma``,
    "xavier", "he"); b[l]: (n[l], 1) zeros. Seeded with ``np.random.default_rng(seed)``.
    ``batchnorm=True`` adds gamma[l] (ones) and beta[l] (zeros), (n[l], 1), for every hidden
    layer l = 1 .. L-1 (see ``nn_ref.batchnorm``).
    """
    layer_dims = [int(n) for n in layer_dims]
    if len(layer_dims) < 2 or min(layer_dims) < 1:
        raise ValueError(f"layer_dims: expected at least two positive sizes [n0, ..., nL], got {layer_dims}")
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = initializers.init_weights(init, layer_dims[l], layer_dims[l - 1], rng, sigma, dtype)
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
    if batchnorm:
        for l in range(1, len(layer_dims) - 1):
            parameters[f"gamma{l}"] = np.ones((layer_dims[l], 1), dtype=dtype)
            parameters[f"beta{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
    return parameters


def num_layers(parameters):
    """L, the number of layers with parameters (keys W1..WL)."""
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    return L


def layer_dims_of(parameters):
    """[n[0], n[1], ..., n[L]] read from the parameter shapes."""
    L = num_layers(parameters)
    return [parameters["W1"].shape[1]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]


def _check_linear(A_prev, W, b):
    check_shape("W", W, (None, None))
    n, n_prev = W.shape
    check_shape("A_prev", A_prev, (n_prev, None))
    check_shape("b", b, (n, 1))


def linear_forward(A_prev, W, b, backend=None):
    """Z = W A_prev + b.

    A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1). Returns (Z, cache) with Z: (n[l], m)
    and cache = (A_prev, W, b) for ``linear_backward``.
    """
    _check_linear(A_prev, W, b)
    Z, _ = get_backend(backend).linear_forward(A_prev, W, b, "linear")
    return Z, (A_prev, W, b)


def linear_backward(dZ, cache, backend=None):
    """dW = (1/m) dZ A_prev^T;  db = (1/m) sum_i dZ[:, i];  dA_prev = W^T dZ.

    dZ: (n[l], m); cache = (A_prev, W, b) from ``linear_forward``.
    Returns dA_prev (n[l-1], m), dW (n[l], n[l-1]), db (n[l], 1).
    """
    A_prev, W, b = cache
    check_shape("dZ", dZ, (W.shape[0], A_prev.shape[1]))
    return get_backend(backend).linear_backward(dZ, A_prev, W)


def linear_activation_forward(A_prev, W, b, activation, alpha=0.01, backend=None):
    """Z = W A_prev + b, A = g(Z) in one fused kernel.

    Returns (A, cache) with A: (n[l], m) and cache = ((A_prev, W, b), Z, A, activation, alpha).
    """
    _check_linear(A_prev, W, b)
    Z, A = get_backend(backend).linear_forward(A_prev, W, b, activation, alpha)
    return A, ((A_prev, W, b), Z, A, activation, alpha)


def linear_activation_backward(dA, cache, backend=None):
    """dZ = dA * g'(Z), then ``linear_backward``. Returns (dA_prev, dW, db)."""
    linear_cache, Z, A, activation, alpha = cache
    check_shape("dA", dA, Z.shape)
    B = get_backend(backend)
    if activation == "softmax":
        dZ = B.softmax_backward(dA, A)
    else:
        dZ = B.activation_backward(dA, Z, activation, alpha)
    return linear_backward(dZ, linear_cache, B)


def linear_bn_activation_forward(A_prev, W, b, gamma, beta, bn_param, activation, alpha=0.01, backend=None):
    """A hidden layer with batch normalization between the linear part and the activation:

        Z = W A_prev + b;   Z_tilde = gamma * (Z - mu) / sqrt(var + eps) + beta;   A = g(Z_tilde)

    gamma, beta: (n[l], 1); bn_param: see ``nn_ref.batchnorm``. Returns (A, cache) with
    cache = (linear_cache, bn_cache, Z_tilde, activation, alpha).
    """
    _check_linear(A_prev, W, b)
    B = get_backend(backend)
    Z, _ = B.linear_forward(A_prev, W, b, "linear")
    Z_tilde, bn_cache = batchnorm_ops.batchnorm_forward(Z, gamma, beta, bn_param, B)
    A = B.activation_forward(Z_tilde, activation, alpha)
    return A, ((A_prev, W, b), bn_cache, Z_tilde, activation, alpha)


def linear_bn_activation_backward(dA, cache, backend=None):
    """Backward of ``linear_bn_activation_forward`` in the network's convention (dA, dZ are m times
    dJ/dA, dJ/dZ): dZ_tilde = dA * g'(Z_tilde); (dZ, dgamma, dbeta) = batchnorm_backward(dZ_tilde);
    dgamma and dbeta are divided by m to be the true dJ/dgamma, dJ/dbeta; then ``linear_backward``.
    db is exactly 0: b[l] is subtracted back out with the batch mean.

    Returns (dA_prev, dW, db, dgamma, dbeta).
    """
    linear_cache, bn_cache, Z_tilde, activation, alpha = cache
    check_shape("dA", dA, Z_tilde.shape)
    B = get_backend(backend)
    m = Z_tilde.shape[1]
    dZ_tilde = B.activation_backward(dA, Z_tilde, activation, alpha)
    dZ, dgamma, dbeta = batchnorm_ops.batchnorm_backward(dZ_tilde, bn_cache, B)
    _scale_in_place(dgamma, 1.0 / m, B)              # dgamma <- dgamma / m
    _scale_in_place(dbeta, 1.0 / m, B)               # dbeta  <- dbeta / m
    dA_prev, dW, db = linear_backward(dZ, linear_cache, B)
    # J does not depend on b[l] at all: the batch mean mu contains b[l] and Z - mu removes it. The
    # computed db is rounding noise (~1e-17), which Adam would blow up to lr-sized steps; use the
    # exact gradient, 0.
    _scale_in_place(db, 0.0, B)                      # db <- 0
    return dA_prev, dW, db, dgamma, dbeta


def _scale_in_place(x, c, B):
    """x <- c * x on any backend (the array may live on the GPU), written with the in-place
    update kernel: x - (1 - c) * x = c * x."""
    B.update(x, x, 1.0 - c)


def forward(X, parameters, hidden_activation="relu", output_activation="sigmoid", alpha=0.01, backend=None,
            batchnorm=False, bn_params=None):
    """Forward propagation: A[0] = X; Z[l] = W[l] A[l-1] + b[l]; A[l] = g[l](Z[l]).

    X: (n[0], m). g[l] = ``hidden_activation`` for l < L, ``output_activation``
    ("sigmoid", "softmax" or "linear") for l = L. Returns (AL, caches): AL is (n[L], m);
    caches[l-1] is the cache of layer l (see ``linear_activation_forward``).

    ``batchnorm=True``: every hidden layer is ``linear_bn_activation_forward`` with gamma[l], beta[l]
    from ``parameters`` and ``bn_params[l-1]`` (``nn_ref.batchnorm.init_bn_params``; its "mode" picks
    batch or running statistics). Without ``bn_params``, batch statistics are used (train mode).
    """
    check_choice("hidden_activation", hidden_activation, HIDDEN_ACTIVATIONS)
    check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    B = get_backend(backend)
    L = num_layers(parameters)
    if L == 0:
        raise ValueError("parameters: expected keys W1, b1, ..., WL, bL; found no 'W1'")
    check_shape("X", X, (parameters["W1"].shape[1], None))
    if batchnorm and L > 1 and "gamma1" not in parameters:
        raise ValueError("parameters: batchnorm=True needs gamma1, beta1, ... (initialize_parameters(..., batchnorm=True))")
    if batchnorm and bn_params is None:
        bn_params = [{"mode": "train"} for _ in range(L - 1)]
    if batchnorm and len(bn_params) != L - 1:
        raise ValueError(f"bn_params: expected {L - 1} dicts (one per hidden layer), got {len(bn_params)}")
    A = B.to_device(X)
    caches = []
    for l in range(1, L + 1):
        g = output_activation if l == L else hidden_activation
        if batchnorm and l < L:
            A, cache = linear_bn_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], parameters[f"gamma{l}"],
                                                    parameters[f"beta{l}"], bn_params[l - 1], g, alpha, B)
        else:
            A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], g, alpha, B)
        caches.append(cache)
    return A, caches


def compute_cost(AL, Y, loss="cross_entropy", backend=None):
    """The cost J of predictions AL against labels Y, both (n[L], m):

    - "cross_entropy":             J = -(1/m) sum [y log a + (1 - y) log(1 - a)]  (the slide's)
    - "categorical_cross_entropy": J = -(1/m) sum sum y log a   (softmax output, one-hot Y)
    - "mse":                       J = (1/m) sum (a - y)^2
    - "l1":                        J = (1/m) sum |a - y|

    Returns a Python float. Never takes log(0).
    """
    check_choice("loss", loss, LOSSES)
    check_shape("Y", Y, AL.shape)
    B = get_backend(backend)
    return getattr(B, f"{loss}_cost")(AL, B.to_device(Y))


def backward(AL, Y, caches, loss="cross_entropy", backend=None, batchnorm=False):
    """Backward propagation: the exact gradient of ``compute_cost(AL, Y, loss)``.

    dZ[L] = AL - Y for sigmoid + cross_entropy and for softmax + categorical_cross_entropy
    (the chain rule collapses); otherwise dA[L] = dJ/dAL * m and dZ[L] = dA[L] * g'(Z[L]).
    Then for l = L .. 1: dW[l], db[l], dA[l-1] from ``linear_backward``.

    Returns {"dW1", "db1", ..., "dWL", "dbL", "dA0"} with the shapes of W[l], b[l] and X.
    ("dA0" follows the same convention as every dA: m times dJ/dX.)
    ``batchnorm=True`` (caches from ``forward(..., batchnorm=True)`` in train mode) adds
    "dgamma1", "dbeta1", ... for the hidden layers: true gradients dJ/dgamma[l], dJ/dbeta[l].
    """
    check_choice("loss", loss, LOSSES)
    check_shape("Y", Y, AL.shape)
    B = get_backend(backend)
    Y = B.to_device(Y)
    L = len(caches)
    grads = {}
    linear_cache, Z, A, activation, alpha = caches[-1]
    if (activation, loss) in (("sigmoid", "cross_entropy"), ("softmax", "categorical_cross_entropy")):
        dA_prev, dW, db = linear_backward(B.output_delta(AL, Y), linear_cache, B)
    else:
        dA_prev, dW, db = linear_activation_backward(B.cost_gradient(AL, Y, loss), caches[-1], B)
    grads[f"dW{L}"], grads[f"db{L}"] = dW, db
    for l in range(L - 1, 0, -1):
        if batchnorm:
            dA_prev, grads[f"dW{l}"], grads[f"db{l}"], grads[f"dgamma{l}"], grads[f"dbeta{l}"] = \
                linear_bn_activation_backward(dA_prev, caches[l - 1], B)
        else:
            dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(dA_prev, caches[l - 1], B)
    grads["dA0"] = dA_prev
    return grads


def update_parameters(parameters, grads, learning_rate, backend=None):
    """Gradient descent step, in place: W[l] <- W[l] - alpha dW[l];  b[l] <- b[l] - alpha db[l]
    (and gamma[l], beta[l] likewise when the network has batch normalization).

    Returns ``parameters`` (the same dict, updated).
    """
    B = get_backend(backend)
    for l in range(1, num_layers(parameters) + 1):
        for p in ("W", "b", "gamma", "beta"):
            if p in ("gamma", "beta") and f"{p}{l}" not in parameters:
                continue
            check_shape(f"d{p}{l}", grads[f"d{p}{l}"], parameters[f"{p}{l}"].shape)
            B.update(parameters[f"{p}{l}"], grads[f"d{p}{l}"], learning_rate)
    return parameters


def predict(X, parameters, hidden_activation="relu", output_activation="sigmoid", backend=None, bn_params=None):
    """Inference: class predictions (n[L]=1 sigmoid: AL > 0.5 as (1, m); softmax: argmax as (m,)),
    or AL itself for a linear output. With ``bn_params`` (a batch-normalized network), batch norm
    runs in eval mode with the running statistics."""
    B = get_backend(backend)
    if bn_params is not None:
        bn_params = [dict(p, mode="eval") for p in bn_params]
    AL, _ = forward(X, parameters, hidden_activation, output_activation, backend=B,
                    batchnorm=bn_params is not None, bn_params=bn_params)
    AL = B.to_host(AL)
    if output_activation == "softmax":
        return AL.argmax(axis=0)
    if output_activation == "sigmoid":
        return (AL > 0.5).astype(int)
    return AL


def accuracy(X, Y, parameters, hidden_activation="relu", output_activation="sigmoid", backend=None, bn_params=None):
    """Fraction of samples classified correctly; Y is (1, m) of 0/1 or (n[L], m) one-hot."""
    pred = predict(X, parameters, hidden_activation, output_activation, backend, bn_params)
    Y = np.asarray(Y)
    if output_activation == "softmax":
        return float((pred == Y.argmax(axis=0)).mean())
    return float((pred == Y).mean())
