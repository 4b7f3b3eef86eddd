"""The NumPy oracle in the shape of a kernel backend (``nn_ref.kernels.contract.Backend``).

Every op is the NumPy body of the function a student reads in ``nn_ref`` (activations, losses, network,
batchnorm, optim), called with no backend: the parity tests compare ``cpu`` and ``cuda`` with these.
(Transitional: until the lead moves the bodies into nn_ref, the ops delegate to kernels/numpy_backend.py;
the names and signatures below are final.)
"""

import numpy as np

from nn_ref.kernels import numpy_backend as _nb

name = "numpy"


def to_device(x):
    return np.asarray(x)


def to_host(x):
    return np.asarray(x)


def is_device(x):
    return isinstance(x, np.ndarray)


def empty(shape, dtype=np.float64):
    return np.empty(shape, dtype=dtype)


def synchronize():
    pass


def activation_forward(Z, activation, alpha=0.01):
    return _nb.activation_forward(Z, activation, alpha)


def activation_backward(dA, Z, activation, alpha=0.01):
    return _nb.activation_backward(dA, Z, activation, alpha)


def softmax(Z):
    return _nb.softmax(Z)


def softmax_backward(dA, A):
    return _nb.softmax_backward(dA, A)


def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    return _nb.linear_forward(A_prev, W, b, activation, alpha)


def linear_backward(dZ, A_prev, W):
    return _nb.linear_backward(dZ, A_prev, W)


def sum_over_samples(dZ):
    return dZ.sum(axis=1, keepdims=True)


def cost(AL, Y, loss):
    return getattr(_nb, f"{loss}_cost")(AL, Y)


def cost_gradient(AL, Y, loss):
    return _nb.cost_gradient(AL, Y, loss)


def output_delta(AL, Y):
    return AL - Y


def update(param, grad, learning_rate):
    param -= learning_rate * grad
    return param


def axpby(a, x, b, y):
    y *= b
    y += a * x
    return y


def fill(x, value):
    x[...] = value
    return x


def adam_update(param, grad, m, v, learning_rate, beta1, beta2, eps, t):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    param -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return param


def batchnorm_forward(Z, gamma, beta, eps):
    return _nb.batchnorm_forward(Z, gamma, beta, eps)


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    return _nb.batchnorm_backward(dout, Z_hat, gamma, var, eps)


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    return _nb.batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps)


def train_step(X, Y, theta, layer_dims, hidden_activation, output_activation, loss, learning_rate, alpha=0.01):
    return _nb.train_step(X, Y, theta, layer_dims, hidden_activation, output_activation, loss, learning_rate, alpha)
