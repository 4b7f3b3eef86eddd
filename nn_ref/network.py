"""The L-layer feed-forward network of the lecture [Neural Network Definition,
Forward Propagation, Forward Propagation - Cost Function, Backward Propagation - Parameter Updates].

Notation (the slides'): m samples, L layers, n[l] units in layer l, n[0] input features.

    A[0] = X                                   X: (n[0], m)
    Z[l] = W[l] A[l-1] + b[l]                  W[l]: (n[l], n[l-1]), b[l]: (n[l], 1), Z[l]: (n[l], m)
    A[l] = g[l](Z[l])                          g = ReLU for l < L, sigmoid for l = L (by default)

Backward (deeplearning.ai convention: dZ[l] and dA[l] are m times dJ/dZ[l], dJ/dA[l]; the 1/m
is applied once, in dW and db -- see ``nn_ref.losses``):

    dZ[L]    = AL - Y   (sigmoid + cross-entropy, softmax + categorical cross-entropy)
    dZ[l]    = dA[l] * g'(Z[l])
    dW[l]    = (1/m) dZ[l] A[l-1]^T
    db[l]    = (1/m) sum over samples of dZ[l]
    dA[l-1]  = W[l]^T dZ[l]

Every function's body is the NumPy formula; ``backend="cpu"`` / ``"cuda"`` (or NN_REF_BACKEND) hands the
same maths to ``nn_ref.kernels`` in the one line that starts with ``if (K := accelerated(backend))``.
Each function declares its arguments once, above its ``def`` (``@checked``, see ``nn_ref._checks``): shapes in
named sizes that must agree, float32/float64, finite data; a bad call is refused with a message naming the
argument, the expected and the given.
"""

import numpy as np

from nn_ref import _checks, activations, losses
from nn_ref import batchnorm as batchnorm_ops
from nn_ref import init as initializers
from nn_ref._checks import (
    BATCHNORM,
    PARAMETERS,
    Option,
    check_dtype,
    check_layer_dims,
    checked,
    fields,
    one_of,
    positive,
)
from nn_ref._checks import Parameters as _Parameters
from nn_ref.backend import accelerated, to_backend
from nn_ref.kernels.contract import HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS, collapses, num_layers
from nn_ref.kernels.contract import layer_dims_of as _layer_dims_of

__all__ = ["HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LOSSES", "num_layers"]

# ----------------------------------------------------------------------------- the declarations, once
LAYER = dict(W="n n_prev", b="n 1", A_prev="n_prev m")  # the weights first: the data must fit them
LINEAR_CACHE = fields(A_prev="n_prev m", W="n n_prev", b="n 1 or None")
BN_LAYER_CACHE = fields(
    linear_cache=LINEAR_CACHE,
    bn_cache=batchnorm_ops.TRAIN_CACHE,
    Z_tilde="n m",
    activation=one_of(activations.ACTIVATIONS),
    alpha=None,
)
ACTIVATION_CACHE = fields(
    linear_cache=LINEAR_CACHE, Z="n m", A="n m or None", activation=one_of(activations.ACTIVATIONS), alpha=None
)
SLOPE = activations.SLOPE
GRADS = _checks.GRADS
BN_PARAMS = _checks.list_of(batchnorm_ops.BN_PARAM, "one per hidden layer", lambda state: state.get("L", 1) - 1)
BN_PARAMS_EVAL = _checks.list_of(batchnorm_ops.BnParam(inference=True), "one per hidden layer", BN_PARAMS.length)
CACHES = _checks.CACHES
NETWORK = dict(
    parameters=PARAMETERS,
    X="n0 m finite",
    hidden_activation=one_of(HIDDEN_ACTIVATIONS),
    output_activation=losses.OUTPUT,  # softmax needs n[L] >= 2
)


class ClassLabels(_checks.Array):
    """accuracy's Y (nL, m): 0/1 labels for a sigmoid output, one-hot columns for softmax (a linear output has
    no classes to count)."""

    def check(self, name, Y, state, read):
        _checks.check_array(name, Y, self, state)
        self.domain(name, Y, read)

    def domain(self, name, Y, read):
        output = read("output_activation")
        if output not in ("sigmoid", "softmax"):
            raise ValueError(f"output_activation: accuracy needs a sigmoid or softmax output, got {output!r}")
        if hasattr(Y, "copy_to_host"):
            return
        want = "0/1 labels" if output == "sigmoid" else "one-hot columns"
        bad = np.argwhere((Y != 0) & (Y != 1))
        if len(bad):
            index = tuple(int(i) for i in bad[0])
            raise ValueError(f"{name}: accuracy with a {output} output expects {want}, got {Y[index]} at index {index}")
        if output == "softmax" and (Y.sum(axis=0) != 1).any():
            j = int((Y.sum(axis=0) != 1).argmax())
            raise ValueError(
                f"{name}: accuracy with a softmax output expects {want}, got column {j} with {Y[:, j].sum():g} ones"
            )


@checked(
    layer_dims=Option(lambda name, v: check_layer_dims(v), "[n0, ..., nL], positive integers", [3, 4, 2]),
    init=one_of(initializers.INITIALIZERS + ("glorot",)),
    sigma=positive,
    dtype=Option(check_dtype, "float32 or float64", np.float64),
)
def initialize_parameters(layer_dims, init="he", sigma=0.01, seed=0, dtype=np.float64, batchnorm=False, backend=None):
    """Parameters {"W1", "b1", ..., "WL", "bL"} for ``layer_dims = [n[0], n[1], ..., n[L]]``.

    W[l]: (n[l], n[l-1]) from the initializer ``init`` ("zeros", "normal" with std ``sigma``,
    "xavier", "he"); b[l]: (n[l], 1) zeros. Seeded with ``np.random.default_rng(seed)``.
    ``batchnorm=True`` adds gamma[l] (ones) and beta[l] (zeros), (n[l], 1), for every hidden
    layer l = 1 .. L-1 (see ``nn_ref.batchnorm``). The arrays live where ``backend`` computes
    (host NumPy arrays for numpy and cpu, GPU arrays for cuda).
    """
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = initializers.init_weights(init, layer_dims[l], layer_dims[l - 1], rng, sigma, dtype)
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
    if batchnorm:
        for l in range(1, len(layer_dims) - 1):
            parameters[f"gamma{l}"] = np.ones((layer_dims[l], 1), dtype=dtype)
            parameters[f"beta{l}"] = np.zeros((layer_dims[l], 1), dtype=dtype)
    return to_backend(parameters, backend)


def layer_dims_of(parameters):
    """[n[0], n[1], ..., n[L]] read from the parameter shapes."""
    return list(_layer_dims_of(parameters))


def _g_cache(Z, A, activation, alpha):
    """The cache ``activations.activation_backward`` needs: A for softmax, (Z, alpha) for leaky ReLU, else Z."""
    if activation == "softmax":
        return A
    if activation == "leaky_relu":
        return (Z, alpha)
    return Z


# ----------------------------------------------------------------------------- one layer
@checked(**LAYER)
def linear_forward(A_prev, W, b, backend=None):
    """Z[l] = W[l] A[l-1] + b[l].

    A_prev: (n[l-1], m), W: (n[l], n[l-1]), b: (n[l], 1) (added to every column).
    Returns (Z, cache): Z (n[l], m) and cache = (A_prev, W, b) for ``linear_backward``.
    """
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: same maths, compiled
        return K.linear_forward(A_prev, W, b, "linear")[0], (A_prev, W, b)
    Z = W @ A_prev + b
    return Z, (A_prev, W, b)


@checked(cache=LINEAR_CACHE, dZ="n m")
def linear_backward(dZ, cache, backend=None, need_dA_prev=True):
    """dW[l] = (1/m) dZ[l] A[l-1]^T;  db[l] = (1/m) sum_i dZ[l];  dA[l-1] = W[l]^T dZ[l].

    dZ: (n[l], m); cache = (A_prev, W, b) from ``linear_forward``: A_prev (n[l-1], m), W (n[l], n[l-1]).
    Returns dA_prev (n[l-1], m), dW (n[l], n[l-1]), db (n[l], 1). ``need_dA_prev=False`` skips the product
    W^T dZ (dA_prev is then None): layer 1's dA[0] = m dJ/dX, which training never uses.
    """
    A_prev, W, b = cache
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: same maths, compiled
        return K.linear_backward(dZ, A_prev, W, need_dA_prev)
    m = A_prev.shape[1]
    dW = (dZ @ A_prev.T) / m
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ if need_dA_prev else None
    return dA_prev, dW, db


@checked(**LAYER, activation=one_of(activations.ACTIVATIONS), alpha=SLOPE)
def linear_activation_forward(A_prev, W, b, activation, alpha=0.01, backend=None):
    """The Artificial Neuron, a layer wide: Z[l] = W[l] A[l-1] + b[l];  A[l] = g(Z[l]).

    ``activation`` names g (see ``nn_ref.activations``; ``alpha`` is leaky ReLU's slope).
    Returns (A, cache): A (n[l], m) and cache = ((A_prev, W, b), Z, A, activation, alpha).
    """
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: Z and A in one fused kernel
        Z, A = K.linear_forward(A_prev, W, b, activation, alpha)
    else:
        Z = W @ A_prev + b
        A, _ = activations.activation_forward(Z, activation, alpha, backend="numpy")
    return A, ((A_prev, W, b), Z, A, activation, alpha)


@checked(cache=ACTIVATION_CACHE, dA="n m")
def linear_activation_backward(dA, cache, backend=None):
    """dZ[l] = dA[l] * g'(Z[l]), then ``linear_backward``. Returns (dA_prev, dW, db)."""
    linear_cache, Z, A, activation, alpha = cache
    dZ = activations.activation_backward(dA, _g_cache(Z, A, activation, alpha), activation, backend)
    return linear_backward(dZ, linear_cache, backend)


@checked(
    **LAYER,
    gamma="n 1",
    beta="n 1",
    bn_param=batchnorm_ops.BN_PARAM,
    activation=one_of(activations.ACTIVATIONS),
    alpha=SLOPE,
)
def linear_bn_activation_forward(A_prev, W, b, gamma, beta, bn_param, activation, alpha=0.01, backend=None):
    """A hidden layer with batch normalization between the linear part and the activation:

        Z = W A_prev + b;   Z_tilde = gamma * (Z - mu) / sqrt(var + eps) + beta;   A = g(Z_tilde)

    gamma, beta: (n[l], 1); bn_param: see ``nn_ref.batchnorm``. Returns (A, cache) with
    cache = (linear_cache, bn_cache, Z_tilde, activation, alpha).
    """
    Z, linear_cache = linear_forward(A_prev, W, b, backend)
    Z_tilde, bn_cache = batchnorm_ops.batchnorm_forward(Z, gamma, beta, bn_param, backend)
    A, _ = activations.activation_forward(Z_tilde, activation, alpha, backend)
    return A, (linear_cache, bn_cache, Z_tilde, activation, alpha)


@checked(cache=BN_LAYER_CACHE, dA="n m")
def linear_bn_activation_backward(dA, cache, backend=None, need_dA_prev=True):
    """Backward of ``linear_bn_activation_forward`` in the network's convention (dA, dZ are m times
    dJ/dA, dJ/dZ): dZ_tilde = dA * g'(Z_tilde); (dZ, dgamma, dbeta) = batchnorm_backward(dZ_tilde);
    dgamma and dbeta are divided by m to be the true dJ/dgamma, dJ/dbeta; then ``linear_backward``.
    db is exactly 0: b[l] is subtracted back out with the batch mean.

    Returns (dA_prev, dW, db, dgamma, dbeta).
    """
    linear_cache, bn_cache, Z_tilde, activation, alpha = cache
    B = backend
    m = Z_tilde.shape[1]
    dZ_tilde = activations.activation_backward(dA, _g_cache(Z_tilde, None, activation, alpha), activation, B)
    dZ, dgamma, dbeta = batchnorm_ops.batchnorm_backward(dZ_tilde, bn_cache, B)
    dA_prev, dW, db = linear_backward(dZ, linear_cache, B, need_dA_prev)
    # J does not depend on b[l] at all: the batch mean mu contains b[l] and Z - mu removes it. The
    # computed db is rounding noise (~1e-17), which Adam would blow up to lr-sized steps; use the
    # exact gradient, 0.
    if (K := accelerated(B)) is not None:  # the arrays may live on the GPU: scale them in place
        return dA_prev, dW, K.fill(db, 0.0), K.axpby(1.0 / m, dgamma, 0.0, dgamma), K.axpby(1.0 / m, dbeta, 0.0, dbeta)
    return dA_prev, dW, np.zeros_like(db), dgamma / m, dbeta / m


# ----------------------------------------------------------------------------- the whole network
@checked(**NETWORK, alpha=SLOPE, batchnorm=BATCHNORM, bn_params=BN_PARAMS)
def forward(
    X,
    parameters,
    hidden_activation="relu",
    output_activation="sigmoid",
    alpha=0.01,
    backend=None,
    batchnorm=False,
    bn_params=None,
):
    """Forward propagation: A[0] = X; Z[l] = W[l] A[l-1] + b[l]; A[l] = g[l](Z[l]).

    X: (n[0], m). g[l] = ``hidden_activation`` for l < L, ``output_activation``
    ("sigmoid", "softmax" or "linear") for l = L. Returns (AL, caches): AL is (n[L], m);
    caches[l-1] is the cache of layer l (see ``linear_activation_forward``).

    ``batchnorm=True``: every hidden layer is ``linear_bn_activation_forward`` with gamma[l], beta[l]
    from ``parameters`` and ``bn_params[l-1]`` (``nn_ref.batchnorm.init_bn_params``; its "mode" picks
    batch or running statistics). Without ``bn_params``, batch statistics are used (train mode).
    """
    K = accelerated(backend)
    L = num_layers(parameters)
    if batchnorm and bn_params is None:
        bn_params = [{"mode": "train"} for _ in range(L - 1)]
    A = K.to_device(X) if K is not None else X  # X from the host: copied once per call
    caches = []
    for l in range(1, L + 1):
        g = output_activation if l == L else hidden_activation
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        if batchnorm and l < L:
            gamma, beta = parameters[f"gamma{l}"], parameters[f"beta{l}"]
            A, cache = linear_bn_activation_forward(A, W, b, gamma, beta, bn_params[l - 1], g, alpha, backend)
        else:
            A, cache = linear_activation_forward(A, W, b, g, alpha, backend)
        caches.append(cache)
    return A, caches


@checked(**losses.COST)
def compute_cost(AL, Y, loss="cross_entropy", backend=None):
    """The cost J of predictions AL against labels Y, both (n[L], m) (``nn_ref.losses``):

    - "cross_entropy":             J = -(1/m) sum [y log a + (1 - y) log(1 - a)]  (the slide's)
    - "categorical_cross_entropy": J = -(1/m) sum sum y log a   (softmax output, one-hot Y)
    - "mse":                       J = (1/m) sum (a - y)^2
    - "l1":                        J = (1/m) sum |a - y|

    Returns a Python float. Never takes log(0).
    """
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: Y from the host, copied once per call
        return losses.cost(AL, K.to_device(Y), loss, backend)
    return losses.cost(AL, Y, loss, backend)


@checked(**losses.COST, caches=CACHES)
def backward(AL, Y, caches, loss="cross_entropy", backend=None, batchnorm=False, need_dA0=True):
    """Backward propagation: the exact gradient of ``compute_cost(AL, Y, loss)``, layer L down to 1.

        dZ[L] = AL - Y                  sigmoid + cross_entropy, softmax + categorical_cross_entropy
        dZ[L] = dA[L] * g'(Z[L])        otherwise, with dA[L] = m dJ/dAL (``losses.cost_gradient``)
        dA[l-1], dW[l], db[l]           ``linear_backward(dZ[l])``
        dZ[l-1] = dA[l-1] * g'(Z[l-1])

    Returns grads, every gradient computed: {"dW1", "db1", ..., "dWL", "dbL"} with the shapes of W[l], b[l],
    and "dZ1" .. "dZL", "dA0" .. "dA{L-1}" (and "dA{L}" where dZ[L] did not collapse), each m times
    dJ/d(that array) -- "dA0" is m dJ/dX. ``batchnorm=True`` (caches from ``forward(..., batchnorm=True)``
    in train mode) adds "dgamma1", "dbeta1", ... for the hidden layers: true gradients dJ/dgamma, dJ/dbeta.
    ``need_dA0=False`` skips dA[0] = W[1]^T dZ[1] (no "dA0" then): training never uses it, and for a wide
    input it is a third of layer 1's work (PyTorch likewise skips it unless X.requires_grad).
    """
    B = backend
    K = accelerated(B)
    if K is not None:
        Y = K.to_device(Y)  # the labels from the host: copied once per call
    L = len(caches)
    grads = {}
    linear_cache, Z, A, g, alpha = caches[-1]
    if collapses(g, loss):
        dZ = losses.output_delta(AL, Y, B)  # dZ[L] = AL - Y
    else:
        grads[f"dA{L}"] = dA = losses.cost_gradient(AL, Y, loss, B)
        dZ = activations.activation_backward(dA, _g_cache(Z, A, g, alpha), g, B)  # dZ[L] = dA[L] * g'(Z[L])
    grads[f"dZ{L}"] = dZ
    grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(dZ, linear_cache, B, L > 1 or need_dA0)
    for l in range(L - 1, 0, -1):
        dA = grads[f"dA{l}"]
        if batchnorm:
            dA_prev, dW, db, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = linear_bn_activation_backward(
                dA, caches[l - 1], B, l > 1 or need_dA0
            )
        else:
            linear_cache, Z, A, g, alpha = caches[l - 1]
            dZ = activations.activation_backward(dA, _g_cache(Z, A, g, alpha), g, B)  # dZ[l] = dA[l] * g'(Z[l])
            grads[f"dZ{l}"] = dZ
            dA_prev, dW, db = linear_backward(dZ, linear_cache, B, l > 1 or need_dA0)
        grads[f"dA{l - 1}"], grads[f"dW{l}"], grads[f"db{l}"] = dA_prev, dW, db
    if not need_dA0:
        del grads["dA0"]
    return grads


@checked(parameters=_Parameters(writable=True), grads=GRADS, learning_rate=positive)
def update_parameters(parameters, grads, learning_rate, backend=None):
    """Gradient descent step, in place: W[l] <- W[l] - alpha dW[l];  b[l] <- b[l] - alpha db[l]
    (and gamma[l], beta[l] likewise when the network has batch normalization).

    Returns ``parameters`` (the same dict, its arrays updated in place).
    """
    K = accelerated(backend)
    for key, param in parameters.items():
        grad = grads[f"d{key}"]
        if K is not None:  # numba CPU / CUDA: the same update, in place on the backend's arrays
            K.update(param, grad, learning_rate)
        else:
            param -= learning_rate * grad
    return parameters


@checked(**NETWORK, alpha=SLOPE, Y="nL m finite", loss=one_of(LOSSES + (None,)), learning_rate=positive)
def train_step(
    X,
    Y,
    parameters,
    hidden_activation="relu",
    output_activation="sigmoid",
    loss=None,
    learning_rate=0.1,
    alpha=0.01,
    backend=None,
):
    """One step of gradient descent, the lecture's four steps in order [Training - Gradient Descent Algorithm]:
    forward propagation, the cost, backward propagation, W[l] <- W[l] - alpha dW[l] (``parameters`` in place).

    X: (n[0], m), Y: (n[L], m); ``loss`` defaults to the output's own (``losses.DEFAULT_LOSS``).
    Returns J before the update. This is the oracle of the kernels' fused ``train_step`` (which does the
    same in one compiled call on the flat parameters, see ``nn_ref.kernels.contract``).
    """
    loss = losses.DEFAULT_LOSS[output_activation] if loss is None else loss
    B = backend
    AL, caches = forward(X, parameters, hidden_activation, output_activation, alpha, B)
    J = compute_cost(AL, Y, loss, B)
    grads = backward(AL, Y, caches, loss, B)
    update_parameters(parameters, grads, learning_rate, B)
    return J


# ----------------------------------------------------------------------------- inference
@checked(**NETWORK, bn_params=BN_PARAMS_EVAL)
def predict(X, parameters, hidden_activation="relu", output_activation="sigmoid", backend=None, bn_params=None):
    """Inference: class predictions (n[L]=1 sigmoid: AL > 0.5 as (1, m); softmax: argmax as (m,)),
    or AL itself for a linear output. With ``bn_params`` (a batch-normalized network), batch norm
    runs in eval mode with the running statistics."""
    B = backend
    K = accelerated(B)
    if bn_params is not None:
        bn_params = batchnorm_ops.eval_mode(bn_params)
    AL, _ = forward(
        X,
        parameters,
        hidden_activation,
        output_activation,
        backend=B,
        batchnorm=bn_params is not None,
        bn_params=bn_params,
    )
    AL = K.to_host(AL) if K is not None else AL
    if output_activation == "softmax":
        return AL.argmax(axis=0)
    if output_activation == "sigmoid":
        return (AL > 0.5).astype(int)
    return AL


@checked(**NETWORK, Y=ClassLabels("nL m real finite"), bn_params=BN_PARAMS_EVAL)
def accuracy(X, Y, parameters, hidden_activation="relu", output_activation="sigmoid", backend=None, bn_params=None):
    """Fraction of samples classified correctly; Y is (1, m) of 0/1 or (n[L], m) one-hot."""
    pred = predict(X, parameters, hidden_activation, output_activation, backend, bn_params)
    if output_activation == "softmax":
        return float((pred == Y.argmax(axis=0)).mean())
    return float((pred == Y).mean())
