"""The NumPy oracle in the shape of a kernel backend (``nn_ref.kernels.contract.Backend``).

Every op is the NumPy body of the function a student reads in ``nn_ref`` (activations, losses, network,
batchnorm, optim), called with backend="numpy": the parity tests compare ``cpu`` and ``cuda`` with these.
Nothing here is a formula of its own; each op only adapts a call (argument order, what it returns). The oracle
counts as inside nn-ref (``INSIDE``): it calls the bodies without the argument checks, since the parity tests feed
the kernels' inputs (NaN labels, AL outside [0, 1]) to both sides; the contracts are tested apart.
"""

import numpy as np

from nn_ref import activations, batchnorm, losses, network, optim
from nn_ref._checks import INSIDE
from nn_ref.kernels.contract import check_step, pack_parameters, parameter_views

# host memory: NumPy arrays, exactly as the cpu backend keeps them
from nn_ref.kernels.cpu import cache_warm, empty, is_device, synchronize, to_device, to_host  # noqa: F401

name = "numpy"
INSIDE.add(__name__)
NP = "numpy"


def _cache(Z, activation, alpha):
    return (Z, alpha) if activation == "leaky_relu" else Z


def activation_forward(Z, activation, alpha=0.01):
    return activations.activation_forward(Z, activation, alpha, NP)[0]


def activation_backward(dA, Z, activation, alpha=0.01):
    return activations.activation_backward(dA, _cache(Z, activation, alpha), activation, NP)


def softmax(Z):
    return activations.softmax(Z, NP)[0]


def softmax_backward(dA, A):
    return activations.softmax_backward(dA, A, NP)


def linear_forward(A_prev, W, b, activation="linear", alpha=0.01):
    A, (_, Z, _, _, _) = network.linear_activation_forward(A_prev, W, b, activation, alpha, NP)
    return Z, A


def linear_backward(dZ, A_prev, W, need_dA_prev=True):
    return network.linear_backward(dZ, (A_prev, W, None), NP, need_dA_prev)


def sum_over_samples(dZ):
    # db[l] = (1/m) sum_i dZ[l] from network.linear_backward, times m
    m = dZ.shape[1]
    return (
        network.linear_backward(dZ, (np.zeros((1, m), dZ.dtype), np.zeros((dZ.shape[0], 1), dZ.dtype), None), NP)[2] * m
    )


def cost(AL, Y, loss):
    return losses.cost(AL, Y, loss, NP)


def cost_gradient(AL, Y, loss):
    return losses.cost_gradient(AL, Y, loss, NP)


def output_delta(AL, Y):
    return losses.output_delta(AL, Y, NP)


def update(param, grad, learning_rate):
    optim.SGD().step({"p": param}, {"dp": grad}, learning_rate, NP)
    return param


def axpby(a, x, b, y):
    y *= b
    y += a * x
    return y


def fill(x, value):
    x[...] = value
    return x


def adam_update(param, grad, m, v, learning_rate, beta1, beta2, eps, t):
    adam = optim.Adam(beta1, beta2, eps)
    adam.t, adam.m["p"], adam.v["p"] = t - 1, m, v
    adam.step({"p": param}, {"dp": grad}, learning_rate, NP)
    return param


def batchnorm_forward(Z, gamma, beta, eps):
    bn_param = {"mode": "train", "eps": eps}
    out, (Z_hat, _, var, _) = batchnorm.batchnorm_forward(Z, gamma, beta, bn_param, NP)
    mu = Z.sum(axis=1, keepdims=True) / Z.shape[1]
    return out, Z_hat, mu, var


def batchnorm_backward(dout, Z_hat, gamma, var, eps):
    return batchnorm.batchnorm_backward(dout, (Z_hat, gamma, var, eps), NP)


def batchnorm_eval(Z, gamma, beta, running_mean, running_var, eps):
    bn_param = {"mode": "eval", "eps": eps, "running_mean": running_mean, "running_var": running_var}
    return batchnorm.batchnorm_forward(Z, gamma, beta, bn_param, NP)[0]


def train_step(X, Y, theta, config, state=None, t=1):
    """network.train_step on views into theta (sgd), or forward/backward then the optimizer's formula on the
    flat gradient (momentum, adam: state arrays shaped like theta); the settings are the StepConfig's."""
    state = check_step(config, theta, state, t)
    hidden, output, loss = config.hidden_activation, config.output_activation, config.loss
    lr, alpha, optimizer = config.learning_rate, config.alpha, config.optimizer
    P = parameter_views(theta, config.layer_dims)
    if optimizer == "sgd":
        return network.train_step(X, Y, P, hidden, output, loss, lr, alpha, NP)
    AL, caches = network.forward(X, P, hidden, output, alpha, NP)
    J = network.compute_cost(AL, Y, loss, NP)
    grads = network.backward(AL, Y, caches, loss, NP)
    g, _ = pack_parameters({k: grads["d" + k] for k in P}, theta.dtype)
    if optimizer == "momentum":
        opt = optim.Momentum(config.beta1)
        opt.v["theta"] = state[0]
    else:
        opt = optim.Adam(config.beta1, config.beta2, config.eps)
        opt.t, opt.m["theta"], opt.v["theta"] = t - 1, state[0], state[1]
    opt.step({"theta": theta}, {"dtheta": g}, lr, NP)
    return J
