"""The contract between the lecture's code (``nn_ref``) and its accelerated kernels (``nn_ref.kernels``).

One home for what both sides must agree on; importing it imports NumPy only (never numba):

* the names: hidden and output activations, losses, each output's default loss;
* the collapse rule: for sigmoid + cross-entropy and softmax + categorical cross-entropy the chain rule
  dZ[L] = dA[L] * g'(Z[L]) collapses to dZ[L] = AL - Y;
* the integer codes the compiled kernels use for activations and losses (named, never bare numbers);
* TINY, the floor under every logarithm and division of the costs (the smallest normal number of the dtype);
* the flat parameter layout of the fused step: theta = W1, b1, ..., WL, bL (each in C order);
* ``StepConfig``: the per-run settings of the fused ``train_step``, declared once and checked once, when made
  (with ``nn_ref._checks``' rules, the ones ``Trainer`` applies); ``check_step`` its per-step arguments;
* ``Backend``: every op a backend module (``kernels/cpu``, ``kernels/cuda``) provides, with its signature.
  ``tests/test_contract.py`` checks that each backend implements each op with exactly this signature.

Gradient convention (the lecture's, deeplearning.ai's): dA[l] and dZ[l] are m times dJ/dA[l], dJ/dZ[l];
the 1/m is applied once, in dW[l] = (1/m) dZ[l] A[l-1]^T and db[l] = (1/m) sum_i dZ[l].
"""

import copy
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from nn_ref._checks import (
    check_choice,
    check_layer_dims,
    check_learning_rate,
    check_positive_finite,
    check_positive_int,
    check_range,
)

# ----------------------------------------------------------------------------- names
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "linear")
LOSSES = ("cross_entropy", "categorical_cross_entropy", "mse", "l1")
DEFAULT_LOSS = {"sigmoid": "cross_entropy", "softmax": "categorical_cross_entropy", "linear": "mse"}

# dZ[L] = AL - Y exactly when the output activation and the loss are one of these pairs.
COLLAPSES = frozenset({("sigmoid", "cross_entropy"), ("softmax", "categorical_cross_entropy")})


def collapses(output_activation, loss):
    """True when dZ[L] = dA[L] * g'(Z[L]) simplifies to dZ[L] = AL - Y (see COLLAPSES)."""
    return (output_activation, loss) in COLLAPSES


# ----------------------------------------------------------------------------- kernel codes
ACT_LINEAR = 0
ACT_SIGMOID = 1
ACT_TANH = 2
ACT_RELU = 3
ACT_LEAKY_RELU = 4
ACT_SOFTMAX = 5  # per column, not elementwise: kernels treat it apart
ACTIVATION_CODES = {
    "linear": ACT_LINEAR,
    "sigmoid": ACT_SIGMOID,
    "tanh": ACT_TANH,
    "relu": ACT_RELU,
    "leaky_relu": ACT_LEAKY_RELU,
    "softmax": ACT_SOFTMAX,
}

LOSS_CROSS_ENTROPY = 0
LOSS_CATEGORICAL_CROSS_ENTROPY = 1
LOSS_MSE = 2
LOSS_L1 = 3
OUTPUT_DELTA = 4  # not a loss: the collapsed gradient AL - Y, computed by the cost-gradient kernels
LOSS_CODES = {
    "cross_entropy": LOSS_CROSS_ENTROPY,
    "categorical_cross_entropy": LOSS_CATEGORICAL_CROSS_ENTROPY,
    "mse": LOSS_MSE,
    "l1": LOSS_L1,
}


# the optimizers of the fused train_step (its ``optimizer`` argument; formulas in Backend.train_step)
OPT_SGD = 0
OPT_MOMENTUM = 1
OPT_ADAM = 2
OPTIMIZER_CODES = {"sgd": OPT_SGD, "momentum": OPT_MOMENTUM, "adam": OPT_ADAM}
OPTIMIZER_STATE = {"sgd": (), "momentum": ("v",), "adam": ("m", "v")}  # the state arrays of each, shaped like theta


def optimizer_code(optimizer):
    """The kernel code of ``optimizer``; a ValueError naming the choices for an unknown name."""
    if optimizer not in OPTIMIZER_CODES:
        raise ValueError(f"optimizer: expected one of {tuple(OPTIMIZER_CODES)}, got {optimizer!r}")
    return OPTIMIZER_CODES[optimizer]


def activation_code(activation, allow_softmax=True):
    """The kernel code of ``activation``; a ValueError naming the choices for an unknown name."""
    names = ACTIVATION_CODES if allow_softmax else {k: v for k, v in ACTIVATION_CODES.items() if k != "softmax"}
    if activation not in names:
        raise ValueError(f"activation: expected one of {tuple(names)}, got {activation!r}")
    return names[activation]


def loss_code(loss):
    """The kernel code of ``loss``; a ValueError naming the choices for an unknown name."""
    if loss not in LOSS_CODES:
        raise ValueError(f"loss: expected one of {LOSSES}, got {loss!r}")
    return LOSS_CODES[loss]


# ----------------------------------------------------------------------------- TINY
def tiny(dtype):
    """The floor under log and division in the costs: the smallest normal number of ``dtype``
    (float32: 1.2e-38, float64: 2.2e-308), so log(max(a, TINY)) is finite for any a in [0, 1]."""
    return float(np.finfo(np.dtype(dtype)).tiny)


# ----------------------------------------------------------------------------- flat parameter layout
def num_layers(parameters):
    """L, the number of layers with parameters (keys W1 .. WL)."""
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    return L


def layer_dims_of(parameters):
    """(n[0], n[1], ..., n[L]) read from the shapes of W1 .. WL."""
    L = num_layers(parameters)
    if L == 0:
        raise ValueError("parameters: expected keys W1, b1, ..., WL, bL; found no 'W1'")
    return tuple([int(parameters["W1"].shape[1])] + [int(parameters[f"W{l}"].shape[0]) for l in range(1, L + 1)])


def parameter_views(theta, layer_dims):
    """{"W1": ..., "b1": ..., ...}: views into the flat ``theta`` (host or device array) with the shapes
    W[l]: (n[l], n[l-1]), b[l]: (n[l], 1). Writing to a view writes into ``theta``."""
    views, p = {}, 0
    for l in range(1, len(layer_dims)):
        n, n_prev = int(layer_dims[l]), int(layer_dims[l - 1])
        views[f"W{l}"] = theta[p : p + n * n_prev].reshape(n, n_prev)
        p += n * n_prev
        views[f"b{l}"] = theta[p : p + n].reshape(n, 1)
        p += n
    if p != theta.shape[0]:
        raise ValueError(f"theta: expected {p} values for layer_dims {tuple(layer_dims)}, got {theta.shape[0]}")
    return views


def pack_parameters(parameters, dtype=None):
    """(theta, layer_dims): one flat host array holding W1, b1, W2, b2, ..., WL, bL (each in C order)
    and (n[0], ..., n[L]), for ``train_step``. ``parameters`` is {"W1": (n[1], n[0]), "b1": (n[1], 1), ...}."""
    dims = layer_dims_of(parameters)
    L = len(dims) - 1
    for l in range(1, L + 1):
        for key, shape in ((f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))):
            if tuple(parameters[key].shape) != shape:
                raise ValueError(f"{key}: expected shape {shape}, got {tuple(parameters[key].shape)}")
    arrays = [np.asarray(parameters[f"{p}{l}"]) for l in range(1, L + 1) for p in "Wb"]
    dtype = dtype or np.result_type(*arrays)
    theta = np.concatenate([a.astype(dtype, copy=False).ravel() for a in arrays])
    return theta, dims


# ----------------------------------------------------------------------------- the fused step's settings
@dataclass(frozen=True)
class StepConfig:
    """The settings of the fused ``train_step`` that stay the same from step to step (all but the batch, theta,
    the optimizer state and Adam's t), written once here and checked once, when the config is made, each with
    one error naming the field, the expected and the given:

    layer_dims (n[0], ..., n[L]): at least two positive integers; hidden_activation, output_activation, loss:
    names from HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, LOSSES; learning_rate: positive and finite; alpha (leaky
    ReLU's slope), beta1 (momentum's beta and Adam's), beta2: in [0, 1); optimizer: "sgd", "momentum" or "adam";
    eps: positive and finite. A schedule's next learning rate: ``config.with_learning_rate(lr)``.
    """

    layer_dims: tuple
    hidden_activation: str
    output_activation: str
    loss: str
    learning_rate: float
    alpha: float = 0.01
    optimizer: str = "sgd"
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    # derived once: the kernel codes (hidden, output, loss, optimizer) and the number of values of theta
    codes: tuple = field(init=False, repr=False, compare=False)
    size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        dims = tuple(check_layer_dims(self.layer_dims))
        check_choice("hidden_activation", self.hidden_activation, HIDDEN_ACTIVATIONS)
        check_choice("output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
        check_choice("loss", self.loss, LOSSES)
        check_learning_rate(self.learning_rate)
        check_range("alpha", self.alpha, 0, 1)
        check_choice("optimizer", self.optimizer, OPTIMIZER_CODES)
        check_range("beta1", self.beta1, 0, 1)
        check_range("beta2", self.beta2, 0, 1)
        check_positive_finite("eps", self.eps)
        hidden, output = ACTIVATION_CODES[self.hidden_activation], ACTIVATION_CODES[self.output_activation]
        values = {name: float(getattr(self, name)) for name in ("learning_rate", "alpha", "beta1", "beta2", "eps")}
        values["layer_dims"] = dims
        values["codes"] = (hidden, output, LOSS_CODES[self.loss], OPTIMIZER_CODES[self.optimizer])
        values["size"] = sum(dims[l] * (dims[l - 1] + 1) for l in range(1, len(dims)))
        for name, value in values.items():
            object.__setattr__(self, name, value)  # frozen: each value stored once, in its checked form

    def with_learning_rate(self, learning_rate):
        """This config with another learning rate (a schedule's next value); only the new value is checked
        (``dataclasses.replace`` would check every field again)."""
        check_learning_rate(learning_rate)
        config = copy.copy(self)
        object.__setattr__(config, "learning_rate", float(learning_rate))
        return config


def check_step(config, theta, state, t):
    """The per-step arguments of ``train_step`` against its ``config``, with the same errors on every backend:
    config a StepConfig; theta flat, with config.size values; state the optimizer's arrays
    (OPTIMIZER_STATE[config.optimizer], each shaped like theta; None or () for sgd); Adam's t an integer >= 1.
    Returns the state as a tuple. Whether the arrays are the backend's own, and their dtypes, the backend checks."""
    if type(config) is not StepConfig:
        raise TypeError(f"config: expected a StepConfig, got {type(config).__name__}")
    flat = (config.size,)
    shape = getattr(theta, "shape", None)
    if shape is None or tuple(shape) != flat:
        got = type(theta).__name__ if shape is None else tuple(shape)
        raise ValueError(f"theta: expected the flat shape {flat} of layer_dims {config.layer_dims}, got {got}")
    names = OPTIMIZER_STATE[config.optimizer]
    given = () if state is None else tuple(state) if isinstance(state, (tuple, list)) else None
    if given is None or len(given) != len(names):
        got = type(state).__name__ if given is None else f"{len(given)}"
        raise ValueError(
            f"state: optimizer {config.optimizer!r} expects {len(names)} array(s) {names} shaped like theta, got {got}"
        )
    for i, s in enumerate(given):
        shape = getattr(s, "shape", None)
        if shape is None or tuple(shape) != flat:
            got = type(s).__name__ if shape is None else tuple(shape)
            raise ValueError(f"state[{i}]: expected the shape {flat} of theta, got {got}")
    if config.optimizer == "adam":
        check_positive_int("t", t)
    return given


# ----------------------------------------------------------------------------- the backend contract
@runtime_checkable
class Backend(Protocol):
    """What every backend module provides. Arrays are the backend's own (NumPy arrays for ``cpu``, device
    arrays for ``cuda``); float32 and float64. Shapes in the lecture's notation. Shape checks are done once,
    by the callers in ``nn_ref``; kernels propagate NaN and inf exactly as the NumPy bodies of ``nn_ref`` do.
    """

    name: str

    # memory
    def to_device(self, x): ...  # backend array from a host array (copy only when needed)
    def to_host(self, x): ...  # host NumPy array from a backend array
    def is_device(self, x) -> bool: ...  # x is an array of this backend (no copy needed)
    def empty(self, shape, dtype=np.float64): ...
    def synchronize(self): ...
    def cache_warm(self) -> bool: ...  # the compiled kernels are on disk (a new process loads, not compiles)

    # activations: elementwise g and dZ = dA * g'(Z); softmax per column
    def activation_forward(self, Z, activation, alpha=0.01): ...
    def activation_backward(self, dA, Z, activation, alpha=0.01): ...
    def softmax(self, Z): ...
    def softmax_backward(self, dA, A): ...

    # the linear layer: (Z, A) = (W A_prev + b, g(Z)) fused; (dA_prev, dW, db)
    def linear_forward(self, A_prev, W, b, activation="linear", alpha=0.01): ...
    def linear_backward(self, dZ, A_prev, W, need_dA_prev=True): ...  # dA_prev None when not needed
    def sum_over_samples(self, dZ): ...

    # costs: J (a float), dAL = m dJ/dAL, and the collapsed dZ[L] = AL - Y
    def cost(self, AL, Y, loss): ...
    def cost_gradient(self, AL, Y, loss): ...
    def output_delta(self, AL, Y): ...

    # in place
    def update(self, param, grad, learning_rate): ...  # param <- param - learning_rate * grad
    def axpby(self, a, x, b, y): ...  # y <- a * x + b * y
    def fill(self, x, value): ...  # x <- value
    # m <- beta1 m + (1 - beta1) grad;  v <- beta2 v + (1 - beta2) grad^2;
    # param <- param - learning_rate (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    def adam_update(self, param, grad, m, v, learning_rate, beta1, beta2, eps, t): ...

    # batch normalization
    def batchnorm_forward(self, Z, gamma, beta, eps): ...  # -> (out, Z_hat, mu, var)
    def batchnorm_backward(self, dout, Z_hat, gamma, var, eps): ...  # -> (dZ, dgamma, dbeta)
    def batchnorm_eval(self, Z, gamma, beta, running_mean, running_var, eps): ...

    # The fused step on the flat parameters theta (in place), with the settings of ``config`` (a StepConfig);
    # returns J before the update. The update is the optimizer's formula on the flat gradient g of theta, with
    # its state arrays shaped like theta (lr, beta1, beta2, eps: the config's):
    #   "sgd":      theta <- theta - lr g                                            (state None)
    #   "momentum": v <- beta1 v + (1 - beta1) g;  theta <- theta - lr v              (state (v,))
    #   "adam":     m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;   (state (m, v))
    #               theta <- theta - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps),  t >= 1
    # ``check_step`` gives the errors for a wrong config, theta, state or t.
    def train_step(self, X, Y, theta, config, state=None, t=1): ...


BACKEND_OPS = tuple(name for name in Backend.__dict__ if not name.startswith("_") and callable(Backend.__dict__[name]))
