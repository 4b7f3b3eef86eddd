"""Weight initializers [Weight Initialization, Popular Weight Initializers].

Each returns W[l] of shape (n[l], n[l-1]) = (r_out, r_in) drawn from a zero-mean Gaussian
(or zeros); biases are always initialised to zero. Seeded with ``np.random.default_rng``.

- zeros:         W = 0 (all neurons evolve symmetrically: shown to fail)
- normal(sigma): W ~ N(0, sigma^2)
- xavier/glorot: W ~ N(0, 2 / (r_in + r_out))   (sigmoid or tanh)
- he:            W ~ N(0, 2 / r_in)             (ReLU)
"""

import math

import numpy as np

from nn_ref._checks import Option, at_least, check_dtype, checked, one_of, positive

INITIALIZERS = ("zeros", "normal", "xavier", "he")


def zeros(n_out, n_in, rng=None, dtype=np.float64):
    """W = 0, shape (n_out, n_in)."""
    return np.zeros((n_out, n_in), dtype=dtype)


def normal(n_out, n_in, rng, sigma=0.01, dtype=np.float64):
    """W ~ N(0, sigma^2), shape (n_out, n_in)."""
    return (rng.standard_normal((n_out, n_in)) * sigma).astype(dtype)


def xavier(n_out, n_in, rng, dtype=np.float64):
    """Xavier/Glorot: W ~ N(0, std^2), std = sqrt(2 / (r_in + r_out)); shape (n_out, n_in)."""
    return normal(n_out, n_in, rng, math.sqrt(2.0 / (n_in + n_out)), dtype)


def he(n_out, n_in, rng, dtype=np.float64):
    """He: W ~ N(0, std^2), std = sqrt(2 / r_in); shape (n_out, n_in)."""
    return normal(n_out, n_in, rng, math.sqrt(2.0 / n_in), dtype)


@checked(
    name=one_of(INITIALIZERS + ("glorot",)),
    n_out=at_least(1),
    n_in=at_least(1),
    sigma=positive,
    dtype=Option(check_dtype, "float32 or float64", np.float64),
)
def init_weights(name, n_out, n_in, rng, sigma=0.01, dtype=np.float64):
    """Dispatch by name: one of INITIALIZERS (``"glorot"`` is accepted for ``"xavier"``)."""
    if name == "glorot":
        name = "xavier"
    if name == "zeros":
        return zeros(n_out, n_in, dtype=dtype)
    if name == "normal":
        return normal(n_out, n_in, rng, sigma, dtype)
    if name == "xavier":
        return xavier(n_out, n_in, rng, dtype)
    return he(n_out, n_in, rng, dtype)
