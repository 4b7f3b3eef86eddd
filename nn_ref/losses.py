"""Loss functions and their gradients [Loss Function, Forward Propagation - Cost Function].

Regression losses as on the "Loss Function" slide (sums over the n samples):

    L1 = sum_i |y_i - f(x_i)|          L2 = sum_i (y_i - f(x_i))^2

and their means (divided by n). Classification: the slide's binary cross-entropy

    J = -(1/m) sum_i [ y log a + (1 - y) log(1 - a) ]

and softmax (categorical) cross-entropy J = -(1/m) sum_i sum_k y_k log a_k.

Every function takes predictions ``A`` (or ``AL``) and targets ``Y`` of the same shape
(n[L], m) -- no broadcasting of (m,) against (1, m) -- and returns ``(J, dA)`` where
dA = dJ/dA has the shape of A. Cross-entropies never take log(0), at any input.
"""
import numpy as np

from nn_ref._checks import check_shape


def _pair(A, Y):
    A = np.asarray(A)
    Y = np.asarray(Y)
    check_shape("Y", Y, A.shape)
    return A, Y


def l1_loss(A, Y, reduction="sum"):
    """L1 = sum |Y - A| (reduction "sum") or (1/m) sum |Y - A| ("mean", m = number of columns
    or of entries for 1-D input). dL/dA = sign(A - Y) (0 at A = Y) [/ m]."""
    A, Y = _pair(A, Y)
    scale = 1.0 if reduction == "sum" else 1.0 / _m(A)
    return float(np.abs(Y - A).sum() * scale), np.sign(A - Y) * scale


def l2_loss(A, Y, reduction="sum"):
    """L2 = sum (Y - A)^2 ("sum") or (1/m) sum (Y - A)^2 ("mean"). dL/dA = 2 (A - Y) [/ m]."""
    A, Y = _pair(A, Y)
    scale = 1.0 if reduction == "sum" else 1.0 / _m(A)
    return float(((Y - A) ** 2).sum() * scale), 2 * (A - Y) * scale


def binary_cross_entropy(A, Y):
    """J = -(1/m) sum_i [y log a + (1 - y) log(1 - a)]  (summed over output units if n[L] > 1).

    A in [0, 1], Y in {0, 1} (or [0, 1]), both (n[L], m). log is taken of max(a, tiny), never of 0.
    dJ/dA = -(1/m) (y / a - (1 - y) / (1 - a)).
    """
    A, Y = _pair(A, Y)
    m = _m(A)
    tiny = np.finfo(A.dtype).tiny if A.dtype.kind == "f" else np.finfo(float).tiny
    a, one_minus_a = np.maximum(A, tiny), np.maximum(1 - A, tiny)
    J = -(Y * np.log(a) + (1 - Y) * np.log(one_minus_a)).sum() / m
    return float(J), -(Y / a - (1 - Y) / one_minus_a) / m


def binary_cross_entropy_with_logits(Z, Y):
    """The same J computed from the pre-activation Z (A = sigmoid(Z)), stable for any |Z|:

        -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - z y + log(1 + e^-|z|)

    Z, Y: (n[L], m). dJ/dZ = (1/m) (sigmoid(Z) - Y).
    """
    Z, Y = _pair(Z, Y)
    m = _m(Z)
    J = (np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))).sum() / m
    E = np.exp(-np.abs(Z))
    s = np.where(Z >= 0, 1 / (1 + E), E / (1 + E))
    return float(J), (s - Y) / m


def softmax_cross_entropy(Z, Y):
    """Softmax cross-entropy from logits Z, one-hot (or probability) Y, both (n[L], m):

        J = -(1/m) sum_i sum_k y_k log softmax(z)_k,  log softmax = z - max z - log sum e^(z - max z)

    Stable for any |Z|. dJ/dZ = (1/m) (softmax(Z) - Y).
    """
    Z, Y = _pair(Z, Y)
    m = _m(Z)
    shifted = Z - Z.max(axis=0, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    log_softmax = shifted - log_sum
    J = -(Y * log_softmax).sum() / m
    return float(J), (np.exp(log_softmax) - Y) / m


def _m(A):
    return A.shape[1] if A.ndim == 2 else A.size
