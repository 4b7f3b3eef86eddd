"""Optimizers for the network [Stochastic Gradient Descent with Mini-batch, Hyperparameters in Deep Learning,
Effective Mini-batch], each written as its formula (the cs231n habit), per parameter array theta:

    SGD        theta <- theta - lr dtheta
    Momentum   v <- beta v + (1 - beta) dtheta;  theta <- theta - lr v
    Adam       m <- beta1 m + (1 - beta1) dtheta;  v <- beta2 v + (1 - beta2) dtheta^2
               theta <- theta - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    batch gradient descent   J over all m samples, one update per epoch        batch_size = None (= m)
    SGD                      J over 1 sample                                   batch_size = 1
    mini-batch SGD           J over a batch of b samples (10-500)              batch_size = b

J is always the *mean* of the per-sample losses over the batch (the network's compute_cost and backward use
1/m), so a gradient does not grow with the batch size. (The slide writes the mini-batch update with a sum over
the batch; the mean is that sum times 1/b, folded into the learning rate.)

State (velocity, moments) is kept per parameter array, keyed by the parameter's own name ("W1", "b1",
"gamma1", ...). With ``backend="cpu"`` / ``"cuda"`` the same formulas run as in-place kernel ops
(``update``, ``axpby``, ``adam_update``), so parameters and state stay on the device.
The slide's Algorithm 1 on a plain function is ``nn_ref.descent.gradient_descent``.
"""

import numpy as np

from nn_ref import network
from nn_ref._checks import (
    ARRAYS,
    GENERATOR,
    GRADS,
    Array,
    Option,
    at_least,
    check_array,
    checked,
    checked_call,
    in_range,
    or_none,
    positive,
)
from nn_ref.backend import accelerated
from nn_ref.descent import gradient_descent  # noqa: F401  (Algorithm 1, kept importable from here)


class Shuffled(Array):
    """X (n0, m) as declared; and shuffle=True needs ``rng``, a seeded np.random.Generator (declared on X, which
    every call gives, so the rule also holds when rng and shuffle keep their defaults)."""

    def check(self, name, X, state, read):
        check_array(name, X, self, state)
        self.domain(name, X, read)

    def domain(self, name, X, read):
        if read("shuffle") and not isinstance(read("rng"), np.random.Generator):
            raise ValueError("rng: shuffling needs a seeded generator, e.g. np.random.default_rng(0)")


@checked(X=Shuffled("n0 m"), Y="nL m real", batch_size=or_none(at_least(1)), rng=GENERATOR)
def minibatches(X, Y, batch_size=None, rng=None, shuffle=True):
    """Yield (X_batch, Y_batch) covering every column of X (n[0], m), Y (n[L], m) once.

    batch_size None (or >= m): one batch of all m samples (batch gradient descent); 1: SGD.
    With ``shuffle`` the columns are permuted by ``rng.permutation(m)`` (a seeded
    ``np.random.Generator``; one call per epoch, so the order depends only on the seed and the epoch).
    The last batch keeps the remainder: m = 10, b = 4 gives batches of 4, 4, 2.
    """
    m = X.shape[1]
    b = m if batch_size is None else int(batch_size)
    order = rng.permutation(m) if shuffle else np.arange(m)
    for start in range(0, m, b):
        idx = order[start : start + b]
        yield X[:, idx], Y[:, idx]


STEP = dict(parameters=ARRAYS, grads=GRADS, learning_rate=positive)  # every optimizer's step, declared once
BETA = in_range(0, 1)


def _pairs(parameters, grads):
    """(name, theta, dtheta) for every parameter (the step's declaration checked the shapes)."""
    for key, param in parameters.items():
        yield key, param, grads["d" + key]


def _zeros_like(param, K):
    zeros = np.zeros(param.shape, dtype=param.dtype)
    return zeros if K is None else K.to_device(zeros)


class SGD:
    """Plain (mini-batch) gradient descent: theta <- theta - lr dtheta for every parameter array."""

    name = "sgd"

    @checked(**STEP)
    def step(self, parameters, grads, learning_rate, backend=None):
        """One update, in place: the lecture's ``network.update_parameters`` (W[l] <- W[l] - lr dW[l], ...).
        parameters {"W1": (n[1], n[0]), ...}, grads {"dW1": ...} with the parameters' shapes."""
        network.update_parameters(parameters, grads, learning_rate, backend)

    def state_dict(self):
        return {}


class Momentum:
    """Gradient descent with momentum (the deeplearning.ai form), v starting at 0:

    v <- beta v + (1 - beta) dtheta;     theta <- theta - lr v
    """

    name = "momentum"

    @checked(beta=BETA)
    def __init__(self, beta=0.9):
        self.beta = float(beta)
        self.v = {}

    @checked(**STEP)
    def step(self, parameters, grads, learning_rate, backend=None):
        K = accelerated(backend)
        beta = self.beta
        for key, theta, dtheta in _pairs(parameters, grads):
            if key not in self.v:
                self.v[key] = _zeros_like(theta, K)
            v = self.v[key]
            if K is not None:  # numba CPU / CUDA: the same formula, in place
                K.axpby(1 - beta, dtheta, beta, v)  # v <- beta v + (1 - beta) dtheta
                K.update(theta, v, learning_rate)  # theta <- theta - lr v
            else:
                v *= beta
                v += (1 - beta) * dtheta
                theta -= learning_rate * v

    def state_dict(self):
        return {"beta": self.beta}


class Adam:
    """Adam (Kingma & Ba 2015), t = number of Adam steps so far (from 1), m and v starting at 0:

    m <- beta1 m + (1 - beta1) dtheta;          v <- beta2 v + (1 - beta2) dtheta^2
    m_hat = m / (1 - beta1^t);                  v_hat = v / (1 - beta2^t)
    theta <- theta - lr m_hat / (sqrt(v_hat) + eps)
    """

    name = "adam"

    @checked(beta1=BETA, beta2=BETA, eps=positive)
    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m, self.v = {}, {}

    @checked(**STEP)
    def step(self, parameters, grads, learning_rate, backend=None):
        K = accelerated(backend)
        self.t += 1
        beta1, beta2, eps, t = self.beta1, self.beta2, self.eps, self.t
        for key, theta, dtheta in _pairs(parameters, grads):
            if key not in self.m:
                self.m[key], self.v[key] = _zeros_like(theta, K), _zeros_like(theta, K)
            m, v = self.m[key], self.v[key]
            if K is not None:  # numba CPU / CUDA: the same formula, one in-place kernel
                K.adam_update(theta, dtheta, m, v, learning_rate, beta1, beta2, eps, t)
                continue
            m *= beta1
            m += (1 - beta1) * dtheta
            v *= beta2
            v += (1 - beta2) * dtheta * dtheta
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            theta -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)

    def state_dict(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, "t": self.t}


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


class OptimizerChoice(Option):
    """A name from OPTIMIZERS, or an object with ``step`` (used as it is)."""

    def __init__(self):
        super().__init__(None, "one of OPTIMIZERS or an object with step()", "sgd")

    def check(self, name, value, state, read):
        if not (hasattr(value, "step") or (isinstance(value, str) and value in OPTIMIZERS)):
            raise ValueError(f"{name}: expected one of {tuple(OPTIMIZERS)} or an object with step(), got {value!r}")


@checked(optimizer=OptimizerChoice())
def make_optimizer(optimizer, **kwargs):
    """An optimizer object from a name ("sgd", "momentum", "adam") or an object with ``step``."""
    if hasattr(optimizer, "step"):
        return optimizer
    return checked_call(OPTIMIZERS[optimizer], **kwargs)  # your options, checked by the optimizer's declaration


PARAMETER_GRADIENTS = ("dW", "db", "dgamma", "dbeta")


def _is_parameter_gradient(key):
    return key.rstrip("0123456789") in PARAMETER_GRADIENTS


class Accumulating:
    """``add``'s grads: a dict whose parameters' gradients (dW[l], db[l], dgamma[l], dbeta[l]) are float arrays of
    one dtype, each of the shape its running sum has (the first ``add`` fixes the shapes)."""

    def __repr__(self):
        return "{'dW1': (n1, n0), 'db1': (n1, 1), ...} (the shapes of the sums)"

    def check(self, name, grads, state, read):
        if not isinstance(grads, dict):
            raise TypeError(f"{name}: expected a dict {{'dW1': ..., 'db1': ..., ...}}, got {type(grads).__name__}")
        sums = read("self").sums
        for key, g in grads.items():
            if _is_parameter_gradient(key):
                axes = " ".join(map(str, sums[key].shape)) if key in sums else f"rows_{key} columns_{key}"
                check_array(key, g, Array(axes), state)


class Accumulated:
    """``take`` needs at least one ``add`` since the last ``take``."""

    def __repr__(self):
        return "an accumulator holding >= 1 mini-batch"

    def check(self, name, accumulator, state, read):
        if accumulator.count == 0:
            raise ValueError("GradientAccumulator.take: no gradients accumulated")


class GradientAccumulator:
    """Gradient accumulation [Effective Mini-batch] (Caffe's iter_size, PyTorch's batch_multiplier).

    Gradients of k mini-batches are summed, each weighted by its share of the samples, and the
    optimizer steps once with

        dtheta = sum_j (m_j / M) dtheta_j,     M = sum_j m_j  (the k batches' sizes),

    which is exactly the mean-over-batch gradient of one batch of all M samples: b x k equals b*k.
    (The caller knows the k batch sizes before it starts; with equal batches m_j / M = 1/k.)
    With batch normalization the statistics are per mini-batch, so the equality does not hold.
    The sums live in arrays allocated once, in the backend, and are updated in place.
    """

    @checked(batch_multiplier=at_least(1))
    def __init__(self, batch_multiplier=1):
        self.k = int(batch_multiplier)
        self.sums = {}
        self.count = 0  # mini-batches accumulated since the last step

    @checked(grads=Accumulating(), weight=positive)
    def add(self, grads, weight, backend=None):
        """sums <- sums + weight * grads for the parameters' gradients dW[l], db[l] (, dgamma[l], dbeta[l])
        of ``backward``'s dict, weight = m_j / M. The first add after ``take`` starts a new sum."""
        K = accelerated(backend)
        start = self.count == 0
        for key, g in grads.items():
            if not _is_parameter_gradient(key):
                continue  # dZ[l], dA[l]: not parameters' gradients
            if key not in self.sums:
                self.sums[key] = _zeros_like(g, K)
            s = self.sums[key]
            if K is not None:  # numba CPU / CUDA: in place on the backend's arrays
                K.axpby(weight, g, 0.0 if start else 1.0, s)  # s <- (m_j / M) dtheta_j + s
            elif start:
                s[...] = weight * g
            else:
                s += weight * g
        self.count += 1

    @checked(self=Accumulated())
    def take(self):
        """The accumulated gradient dict {"dW1": ...}; the next ``add`` starts a new sum."""
        self.count = 0
        return self.sums
