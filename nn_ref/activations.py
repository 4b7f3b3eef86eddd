"""Activation functions and their derivatives [Neuron's Activation Functions,
Activation Functions Derivatives, Preventing vanishing gradients].

Each activation is a forward/backward pair with a cache (the cs231n habit)::

    A, cache = relu(Z)             # A[l] = g(Z[l])
    dZ = relu_backward(dA, cache)  # dZ[l] = dA[l] * g'(Z[l])

Z, A, dA, dZ all have shape (n[l], m). The cache is Z (Z and alpha for leaky ReLU; A for softmax).
The body of each function is its NumPy formula; ``backend="cpu"`` / ``"cuda"`` hands off to the
compiled kernels (``nn_ref.backend``). The line above each ``def`` declares the arguments (``nn_ref._checks``).
NaN and inf go through as NumPy sends them: relu(NaN) is NaN.
"""

import numpy as np

from nn_ref._checks import Dispatched, Option, check_range, checked, fields, one_of
from nn_ref.backend import accelerated
from nn_ref.kernels.contract import HIDDEN_ACTIVATIONS

ACTIVATIONS = HIDDEN_ACTIVATIONS + ("softmax",)
SLOPE = Option(lambda name, v: check_range(name, v, 0, 1), "in [0, 1)", 0.01)  # leaky ReLU's alpha
BACKWARD_ARGS = dict(cache="n m", dA="n m")  # cache = Z (A for softmax), dA of its shape


@checked(Z="n m")
def sigmoid(Z, backend=None):
    """A = sigma(Z) = 1 / (1 + e^-Z), stable for any Z.

    For Z >= 0 the formula as written; for Z < 0 the equal form e^Z / (1 + e^Z). Either way exp only
    sees -|Z| <= 0, so it never overflows (sigmoid(-1000) = 0, sigmoid(1000) = 1, no warning).
    Z: (n[l], m). Returns (A, cache=Z), A: (n[l], m).
    """
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: same maths, compiled
        return K.activation_forward(Z, "sigmoid"), Z
    E = np.exp(-np.abs(Z))  # in (0, 1]
    A = np.where(Z >= 0, 1 / (1 + E), E / (1 + E))
    return A, Z


@checked(**BACKWARD_ARGS)
def sigmoid_backward(dA, cache, backend=None):
    """dZ = dA * s (1 - s) with s = sigmoid(Z); s(1 - s) peaks at 0.25, at Z = 0.

    dA: (n[l], m); cache = Z (n[l], m). Returns dZ: (n[l], m).
    """
    Z = cache
    if (K := accelerated(backend)) is not None:
        return K.activation_backward(dA, Z, "sigmoid")
    s, _ = sigmoid(Z)
    return dA * s * (1 - s)


@checked(Z="n m")
def tanh(Z, backend=None):
    """A = tanh(Z) = 2 / (1 + e^-2Z) - 1.  Z: (n[l], m). Returns (A, cache=Z)."""
    if (K := accelerated(backend)) is not None:
        return K.activation_forward(Z, "tanh"), Z
    return np.tanh(Z), Z


@checked(**BACKWARD_ARGS)
def tanh_backward(dA, cache, backend=None):
    """dZ = dA * (1 - tanh(Z)^2); tanh' peaks at 1, at Z = 0.  Returns dZ: (n[l], m)."""
    Z = cache
    if (K := accelerated(backend)) is not None:
        return K.activation_backward(dA, Z, "tanh")
    t = np.tanh(Z)
    return dA * (1 - t * t)


@checked(Z="n m")
def relu(Z, backend=None):
    """A = max(0, Z).  Z: (n[l], m). Returns (A, cache=Z)."""
    if (K := accelerated(backend)) is not None:
        return K.activation_forward(Z, "relu"), Z
    return np.maximum(Z, 0), Z


@checked(**BACKWARD_ARGS)
def relu_backward(dA, cache, backend=None):
    """dZ = dA * 1[Z > 0]: the gradient passes where the unit was active, 0 elsewhere
    (the derivative at the kink Z = 0 is taken as 0).  Returns dZ: (n[l], m)."""
    Z = cache
    if (K := accelerated(backend)) is not None:
        return K.activation_backward(dA, Z, "relu")
    return np.where(Z > 0, dA, 0)


@checked(Z="n m", alpha=SLOPE)
def leaky_relu(Z, alpha=0.01, backend=None):
    """A = Z if Z > 0 else alpha Z, alpha in (0, 1) [Preventing vanishing gradients].
    Returns (A, cache=(Z, alpha))."""
    if (K := accelerated(backend)) is not None:
        return K.activation_forward(Z, "leaky_relu", alpha), (Z, alpha)
    return np.where(Z > 0, Z, alpha * Z), (Z, alpha)


@checked(cache=fields(Z="n m", alpha=SLOPE), dA="n m")
def leaky_relu_backward(dA, cache, backend=None):
    """dZ = dA * (1 if Z > 0 else alpha).  Returns dZ: (n[l], m)."""
    Z, alpha = cache
    if (K := accelerated(backend)) is not None:
        return K.activation_backward(dA, Z, "leaky_relu", alpha)
    return np.where(Z > 0, dA, alpha * dA)


@checked(Z="n m")
def linear(Z, backend=None):
    """A = Z (the identity: a regression output). Returns (A, cache=Z)."""
    if (K := accelerated(backend)) is not None:
        return K.activation_forward(Z, "linear"), Z
    return Z.copy(), Z


@checked(**BACKWARD_ARGS)
def linear_backward(dA, cache, backend=None):
    """dZ = dA (g'(Z) = 1)."""
    if (K := accelerated(backend)) is not None:
        return K.activation_backward(dA, cache, "linear")
    return dA.copy()


@checked(Z="n m")
def softmax(Z, backend=None):
    """A[k, i] = e^Z[k, i] / sum_j e^Z[j, i], per sample (column).

    Subtracting each column's max changes nothing mathematically and keeps every exp <= 1.
    Z: (n[L], m). Returns (A, cache=A), each column of A summing to 1.
    """
    if (K := accelerated(backend)) is not None:
        A = K.softmax(Z)
        return A, A
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    A = E / E.sum(axis=0, keepdims=True)
    return A, A


@checked(**BACKWARD_ARGS)
def softmax_backward(dA, cache, backend=None):
    """dZ = A * (dA - sum_k dA_k A_k) per column: the softmax Jacobian applied to dA.

    dA: (n[L], m); cache = A (n[L], m). Returns dZ: (n[L], m).
    """
    A = cache
    if (K := accelerated(backend)) is not None:
        return K.softmax_backward(dA, A)
    return A * (dA - (dA * A).sum(axis=0, keepdims=True))


FORWARD = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "linear": linear,
    "softmax": softmax,
}
BACKWARD = {
    "sigmoid": sigmoid_backward,
    "tanh": tanh_backward,
    "relu": relu_backward,
    "leaky_relu": leaky_relu_backward,
    "linear": linear_backward,
    "softmax": softmax_backward,
}


@checked(Z="n m", activation=one_of(ACTIVATIONS), alpha=SLOPE)
def activation_forward(Z, activation, alpha=0.01, backend=None):
    """A = g(Z) and its cache for the activation named ``activation`` (one of ACTIVATIONS).  Z, A: (n[l], m)."""
    if activation == "leaky_relu":
        return leaky_relu(Z, alpha, backend)
    return FORWARD[activation](Z, backend)


@checked(activation=one_of(ACTIVATIONS), dA="n m", cache=Dispatched(BACKWARD, "activation"))
def activation_backward(dA, cache, activation, backend=None):
    """dZ = dA * g'(Z) for the activation named ``activation``, from the cache of ``activation_forward``.
    dA, dZ: (n[l], m); the cache as that activation's backward declares it."""
    return BACKWARD[activation](dA, cache, backend)
