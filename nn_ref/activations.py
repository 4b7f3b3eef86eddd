"""Activation functions and their derivatives [Neuron's Activation Functions,
Activation Functions Derivatives, Preventing vanishing gradients].

Each activation is a forward/backward pair with a cache (the cs231n habit)::

    A, cache = relu(Z)            # A[l] = g(Z[l])
    dZ = relu_backward(dA, cache)  # dZ[l] = dA[l] * g'(Z[l])

Z, A, dA, dZ all have shape (n[l], m). The cache is Z (and alpha for leaky ReLU).
The arithmetic runs in the chosen backend (``nn_ref.kernels``); ``backend=None`` uses the default.
"""
from nn_ref.kernels import get_backend

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")


def sigmoid(Z, backend=None):
    """A = 1 / (1 + e^-Z). Stable for any Z (no overflow at Z = -1000). Returns (A, cache=Z)."""
    return get_backend(backend).activation_forward(Z, "sigmoid"), Z


def sigmoid_backward(dA, cache, backend=None):
    """dZ = dA * s (1 - s), s = sigmoid(Z); max of s(1 - s) is 0.25, at Z = 0."""
    return get_backend(backend).activation_backward(dA, cache, "sigmoid")


def tanh(Z, backend=None):
    """A = 2 / (1 + e^-2Z) - 1 = tanh(Z). Returns (A, cache=Z)."""
    return get_backend(backend).activation_forward(Z, "tanh"), Z


def tanh_backward(dA, cache, backend=None):
    """dZ = dA * (1 - tanh(Z)^2); max of tanh' is 1, at Z = 0."""
    return get_backend(backend).activation_backward(dA, cache, "tanh")


def relu(Z, backend=None):
    """A = 0 if Z < 0 else Z. Returns (A, cache=Z)."""
    return get_backend(backend).activation_forward(Z, "relu"), Z


def relu_backward(dA, cache, backend=None):
    """dZ = dA * 1[Z > 0] (the derivative at the kink Z = 0 is taken as 0)."""
    return get_backend(backend).activation_backward(dA, cache, "relu")


def leaky_relu(Z, alpha=0.01, backend=None):
    """Phi(Z) = alpha * Z if Z <= 0 else Z, alpha in (0, 1). Returns (A, cache=(Z, alpha))."""
    return get_backend(backend).activation_forward(Z, "leaky_relu", alpha), (Z, alpha)


def leaky_relu_backward(dA, cache, backend=None):
    """dZ = dA * (1 if Z > 0 else alpha)."""
    Z, alpha = cache
    return get_backend(backend).activation_backward(dA, Z, "leaky_relu", alpha)


def linear(Z, backend=None):
    """A = Z (the identity: a regression output). Returns (A, cache=Z)."""
    return get_backend(backend).activation_forward(Z, "linear"), Z


def linear_backward(dA, cache, backend=None):
    """dZ = dA."""
    return get_backend(backend).activation_backward(dA, cache, "linear")


def softmax(Z, backend=None):
    """A[k, i] = e^Z[k, i] / sum_j e^Z[j, i] per sample (column), computed stably.
    Z: (n[L], m). Returns (A, cache=A)."""
    A = get_backend(backend).softmax(Z)
    return A, A


def softmax_backward(dA, cache, backend=None):
    """dZ = A * (dA - sum_k dA_k A_k) per column (the softmax Jacobian applied to dA)."""
    return get_backend(backend).softmax_backward(dA, cache)


FORWARD = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "leaky_relu": leaky_relu,
           "linear": linear, "softmax": softmax}
BACKWARD = {"sigmoid": sigmoid_backward, "tanh": tanh_backward, "relu": relu_backward,
            "leaky_relu": leaky_relu_backward, "linear": linear_backward,
            "softmax": softmax_backward}
