"""The scalar maths every compiled kernel shares: g(z), g'(z), dZ = dA g'(Z), and the per-entry cost and
cost-gradient terms, selected by the codes of ``contract.py``.

Plain Python on floats with ``math.*`` only, so that both ``numba.njit`` (kernels/cpu) and
``numba.cuda.jit(device=True)`` (kernels/cuda) compile the same functions::

    S = scalar.compiled(numba.njit)                               # kernels/cpu
    S = scalar.compiled(numba.cuda.jit(device=True, inline=True))  # kernels/cuda
    g, g_backward = S.g, S.g_backward  # module globals: numba resolves globals, not attributes of a namespace
    ... g(z, code, alpha) inside a kernel ...

``compiled`` links the calls between these functions (g calls sigmoid) to their compiled versions; the
functions themselves stay plain Python (callable and testable without numba; this module imports no numba).

The codes are module globals, which numba freezes as compile-time constants: the ``if code == ...`` chains
fold away when the caller's code is a constant. This is the only kernel file that lists the activations
and losses: adding an activation touches ``nn_ref/activations.py`` (its NumPy body), ``kernels/contract.py``
(its name and code) and this file (its scalar g and g').

NaN and inf propagate exactly as in the NumPy bodies of ``nn_ref`` (numpy semantics, not C's):

* relu(z) = np.maximum(z, 0): NaN for NaN z (a plain ``z if z > 0 else 0`` would give 0);
* leaky_relu(z) = np.where(z > 0, z, alpha z): NaN for NaN z (alpha * NaN);
* relu'/leaky_relu' are masks, np.where(Z > 0, dA, 0) and np.where(Z > 0, dA, alpha dA): a NaN z takes the
  ``else`` branch (the comparison is False), and a NaN or inf dA is *not* multiplied by 0 where z <= 0;
* the cost floors log(max(a, TINY)) and a / max(a, TINY) use np.maximum, which propagates NaN;
* sign(a - y) is NaN for NaN a - y (np.sign);
* ``maximum(a, b)`` is np.maximum: NaN when either is NaN (for the softmax column max).

Compile every caller without the ``nnan``/``ninf`` fast-math flags (they would delete the ``z != z`` tests)
and with ``error_model="numpy"`` (1/0 is inf, not a ZeroDivisionError).
"""

import math
import types

from .contract import (
    ACT_LEAKY_RELU,
    ACT_RELU,
    ACT_SIGMOID,
    ACT_TANH,
    LOSS_CATEGORICAL_CROSS_ENTROPY,
    LOSS_CROSS_ENTROPY,
    LOSS_L1,
    LOSS_MSE,
)

__all__ = ["maximum", "floor", "sigmoid", "g", "g_prime_from", "g_backward", "loss_term", "loss_grad", "sign"]


def maximum(a, b):
    """np.maximum(a, b): the larger one, NaN when either is NaN."""
    return a if (a > b or a != a) else b


def floor(a, tiny):
    """np.maximum(a, tiny) for a non-NaN floor ``tiny``: max(a, tiny), NaN for NaN a."""
    return a if (a > tiny or a != a) else tiny


def sign(d):
    """np.sign(d): -1, 0 or 1; NaN for NaN d."""
    if d > 0.0:
        return 1.0
    if d < 0.0:
        return -1.0
    if d == 0.0:
        return 0.0
    return d  # NaN


def sigmoid(z):
    """1 / (1 + e^-z), stable for any z: exp only ever sees -|z| (e^z / (1 + e^z) for z < 0). NaN -> NaN."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)  # NaN z lands here: e = NaN, the result NaN
    return e / (1.0 + e)


def g(z, code, alpha):
    """A = g(z) for the elementwise activation ``code`` (softmax is per column: not here)."""
    if code == ACT_SIGMOID:
        return sigmoid(z)
    if code == ACT_TANH:
        return math.tanh(z)
    if code == ACT_RELU:
        return z if (z > 0.0 or z != z) else 0.0
    if code == ACT_LEAKY_RELU:
        return z if z > 0.0 else alpha * z  # NaN z: alpha * NaN = NaN
    return z  # contract.ACT_LINEAR


def g_prime_from(z, code, alpha):
    """g'(z). relu'(z) = 1 if z > 0 else 0 and leaky_relu'(z) = 1 if z > 0 else alpha (the kink and a NaN z
    take the else branch, as np.where(Z > 0, ...) does). Kernels computing dZ = dA g'(Z) use ``g_backward``,
    which keeps the mask semantics for a NaN or inf dA."""
    if code == ACT_SIGMOID:
        s = sigmoid(z)
        return s * (1.0 - s)
    if code == ACT_TANH:
        t = math.tanh(z)
        return 1.0 - t * t
    if code == ACT_RELU:
        return 1.0 if z > 0.0 else 0.0
    if code == ACT_LEAKY_RELU:
        return 1.0 if z > 0.0 else alpha
    return 1.0  # contract.ACT_LINEAR


def g_backward(da, z, code, alpha):
    """dZ = dA g'(Z) for one entry, in the NumPy bodies' order of operations: sigmoid dA s (1 - s),
    tanh dA (1 - t^2), relu np.where(Z > 0, dA, 0), leaky_relu np.where(Z > 0, dA, alpha dA), linear dA."""
    if code == ACT_SIGMOID:
        s = sigmoid(z)
        return da * s * (1.0 - s)
    if code == ACT_TANH:
        t = math.tanh(z)
        return da * (1.0 - t * t)
    if code == ACT_RELU:
        return da if z > 0.0 else 0.0
    if code == ACT_LEAKY_RELU:
        return da if z > 0.0 else alpha * da
    return da  # contract.ACT_LINEAR


def loss_term(a, y, code, tiny):
    """One entry's term of the summed cost (J = (1/m) sum of these over all entries):
    cross-entropy -(y log max(a, tiny) + (1 - y) log max(1 - a, tiny)); categorical -y log max(a, tiny);
    mse (a - y)^2; l1 |a - y|."""
    if code == LOSS_CROSS_ENTROPY:
        return -(y * math.log(floor(a, tiny)) + (1.0 - y) * math.log(floor(1.0 - a, tiny)))
    if code == LOSS_CATEGORICAL_CROSS_ENTROPY:
        return -(y * math.log(floor(a, tiny)))
    if code == LOSS_MSE:
        d = a - y
        return d * d
    return abs(a - y)  # LOSS_L1


def loss_grad(a, y, code, tiny):
    """One entry of dAL = m dJ/dAL (the network's convention: no 1/m here), or of the collapsed
    dZ[L] = AL - Y for ``OUTPUT_DELTA``: cross-entropy -(y / max(a, tiny) - (1 - y) / max(1 - a, tiny));
    categorical -y / max(a, tiny); mse 2 (a - y); l1 sign(a - y)."""
    if code == LOSS_CROSS_ENTROPY:
        return -(y / floor(a, tiny) - (1.0 - y) / floor(1.0 - a, tiny))
    if code == LOSS_CATEGORICAL_CROSS_ENTROPY:
        return -y / floor(a, tiny)
    if code == LOSS_MSE:
        return 2.0 * (a - y)
    if code == LOSS_L1:
        return sign(a - y)
    return a - y  # contract.OUTPUT_DELTA (the collapsed dZ[L] = AL - Y)


def compiled(jit):
    """A namespace holding every function of ``__all__`` compiled by ``jit`` (``numba.njit`` or
    ``numba.cuda.jit(device=True)``); inside them, calls to each other go to the compiled versions.
    Compilation itself is lazy (numba compiles a function at its first use, per signature)."""
    space = dict(globals())  # math, the codes -- and, below, the compiled functions by their names
    for fname in __all__:
        fn = globals()[fname]
        space[fname] = jit(types.FunctionType(fn.__code__, space, fname, fn.__defaults__))
    return types.SimpleNamespace(**{fname: space[fname] for fname in __all__})
