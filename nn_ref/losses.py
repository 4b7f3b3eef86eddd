"""Costs and their gradients [Loss Function, Forward Propagation - Cost Function].

One convention for the whole package (the lecture's, deeplearning.ai's):

* a cost J is a mean over the m samples (the columns): J = (1/m) sum_i loss(a_i, y_i);
* its gradient is returned per sample, WITHOUT the 1/m: dA = m dJ/dA, the derivative of each sample's own
  loss. The 1/m is applied exactly once, where the parameters' gradients are formed:
  dW[l] = (1/m) dZ[l] A[l-1]^T, db[l] = (1/m) sum_i dZ[l] (``network.linear_backward``).

The network's costs, AL and Y both (n[L], m):

    cross_entropy               J = -(1/m) sum [y log a + (1 - y) log(1 - a)]    dA = -(y / a - (1 - y) / (1 - a))
    categorical_cross_entropy   J = -(1/m) sum sum_k y_k log a_k                 dA = -y / a
    mse                         J = (1/m) sum (a - y)^2                          dA = 2 (a - y)
    l1                          J = (1/m) sum |a - y|                            dA = sign(a - y)

For sigmoid + cross_entropy and softmax + categorical_cross_entropy the chain rule through the output
activation collapses: dZ[L] = AL - Y (``output_delta``). Logarithms and divisions use max(a, TINY), TINY the
smallest normal number of the dtype, so no input ever gives log(0) or a division by 0; NaN stays NaN.

The slide's own forms -- L1 and L2 as sums or means, the binary cross-entropy, and the stable versions computed
from the pre-activation Z -- are below them, each returning (J, dA) in the same convention. Inputs are never
broadcast: Y must have A's shape.
"""

import numpy as np

from nn_ref._checks import ONE_HOT_TOL, Array, check_array, check_choice, check_labels, checked, one_of
from nn_ref.activations import sigmoid
from nn_ref.backend import accelerated
from nn_ref.kernels.contract import COLLAPSES, DEFAULT_LOSS, LOSSES, OUTPUT_ACTIVATIONS, collapses, tiny

__all__ = ["LOSSES", "DEFAULT_LOSS", "COLLAPSES", "collapses", "ONE_HOT_TOL"]  # the names, from their one home


# ----------------------------------------------------------------------------- the declarations, once
class Predictions(Array):
    """AL (nL, m) in the loss's domain: probabilities in [0, 1] for the cross-entropies (NaN goes through).
    The loss is the call's ``loss`` argument, or fixed (``Predictions("nL m", "mse")``)."""

    def __init__(self, text, loss=None):
        super().__init__(text)
        self.loss = loss

    def check(self, name, AL, state, read):
        check_array(name, AL, self, state)
        self.domain(name, AL, read)

    def domain(self, name, AL, read):
        loss = self.loss or read("loss")
        if loss in PROBABILITY_LOSSES and not hasattr(AL, "copy_to_host") and (AL.min() < 0 or AL.max() > 1):
            index = tuple(int(i) for i in np.argwhere((AL < 0) | (AL > 1))[0])
            raise ValueError(f"{name}: {loss} expects probabilities in [0, 1], got {AL[index]} at index {index}")


class Labels(Predictions):
    """Y (nL, m), finite, fitting the loss: 0/1 (values in [0, 1]) or one-hot columns for the cross-entropies."""

    def domain(self, name, Y, read):
        check_labels(name, Y, self.loss or read("loss"))


class Output:
    """The output activation: one of OUTPUT_ACTIVATIONS; softmax needs n[L] >= 2 (a 1-unit softmax is 1.0
    whatever the input, so nothing would train). Declared after the parameters, which bind nL."""

    def __repr__(self):
        return f"one_of{OUTPUT_ACTIVATIONS}"

    def check(self, name, value, state, read):
        check_choice(name, value, OUTPUT_ACTIVATIONS)
        if value == "softmax" and state.get("nL", 2) < 2:
            raise ValueError(f"{name}: softmax needs n[L] >= 2 output units, got n[L] = {state['nL']}")


PROBABILITY_LOSSES = ("cross_entropy", "categorical_cross_entropy")
OUTPUT = Output()
COST = dict(loss=one_of(LOSSES), AL=Predictions("nL m"), Y=Labels("nL m finite"))  # compute_cost, backward


@checked(loss=one_of(LOSSES))
def cost_of(loss):
    """The declarations of one named cost: ``COST`` with its loss fixed."""
    return dict(AL=Predictions("nL m", loss), Y=Labels("nL m finite", loss))


def _floor(A):
    """max(A, TINY): the floor under log and division (np.maximum keeps NaN as NaN)."""
    return np.maximum(A, tiny(A.dtype))


# ----------------------------------------------------------------------------- the network's costs
@checked(**cost_of("cross_entropy"))
def cross_entropy(AL, Y):
    """J = -(1/m) sum_i [y log a + (1 - y) log(1 - a)], summed over output units.  Returns a float."""
    m = AL.shape[1]
    return float(-(Y * np.log(_floor(AL)) + (1 - Y) * np.log(_floor(1 - AL))).sum() / m)


@checked(**cost_of("categorical_cross_entropy"))
def categorical_cross_entropy(AL, Y):
    """J = -(1/m) sum_i sum_k y_k log a_k  (softmax output, one-hot Y).  Returns a float."""
    m = AL.shape[1]
    return float(-(Y * np.log(_floor(AL))).sum() / m)


@checked(**cost_of("mse"))
def mse(AL, Y):
    """J = (1/m) sum_i (a - y)^2, summed over output units.  Returns a float."""
    m = AL.shape[1]
    return float(((AL - Y) ** 2).sum() / m)


@checked(**cost_of("l1"))
def l1(AL, Y):
    """J = (1/m) sum_i |a - y|, summed over output units.  Returns a float."""
    m = AL.shape[1]
    return float(np.abs(AL - Y).sum() / m)


COSTS = {"cross_entropy": cross_entropy, "categorical_cross_entropy": categorical_cross_entropy, "mse": mse, "l1": l1}


@checked(**COST)
def cost(AL, Y, loss="cross_entropy", backend=None):
    """J of predictions AL against labels Y, both (n[L], m), for ``loss`` in LOSSES.  Returns a float."""
    if (K := accelerated(backend)) is not None:  # numba CPU / CUDA: same maths, compiled
        return K.cost(AL, Y, loss)
    return COSTS[loss](AL, Y)


@checked(**COST)
def cost_gradient(AL, Y, loss="cross_entropy", backend=None):
    """dA[L] = m dJ/dAL (the per-sample derivative; see the module docstring).  Returns (n[L], m)."""
    if (K := accelerated(backend)) is not None:
        return K.cost_gradient(AL, Y, loss)
    if loss == "cross_entropy":
        return -(Y / _floor(AL) - (1 - Y) / _floor(1 - AL))
    if loss == "categorical_cross_entropy":
        return -Y / _floor(AL)
    if loss == "mse":
        return 2 * (AL - Y)
    return np.sign(AL - Y)  # l1: the subgradient, 0 at a = y


@checked(AL="nL m", Y="nL m")
def output_delta(AL, Y, backend=None):
    """dZ[L] = AL - Y: for a sigmoid output with cross_entropy, or softmax with categorical_cross_entropy,
    dA[L] * g'(Z[L]) simplifies to this (exact, and stable where a is 0 or 1).  Returns (n[L], m)."""
    if (K := accelerated(backend)) is not None:
        return K.output_delta(AL, Y)
    return AL - Y


# ----------------------------------------------------------------------------- the slide's forms
REDUCTION = one_of(("sum", "mean"))
REGRESSION = dict(A="n m", Y="n m finite")  # any real targets, Y of A's shape
BINARY = dict(A=Predictions("n m", "cross_entropy"), Y=Labels("n m finite", "cross_entropy"))
LOGITS = dict(Z="n m", Y=Labels("n m finite", "cross_entropy"))  # Z any real: the logits
SOFTMAX_LOGITS = dict(Z="n m", Y=Labels("n m finite", "categorical_cross_entropy"))


@checked(**REGRESSION, reduction=REDUCTION)
def l1_loss(A, Y, reduction="sum"):
    """The slide's L1 = sum_i |y_i - f(x_i)| ("sum") or its mean over the m columns ("mean", the l1 cost).

    dA = sign(A - Y) (0 at A = Y), per sample. A, Y: (n, m). Returns (J, dA).
    """
    J = float(np.abs(Y - A).sum())
    return (J if reduction == "sum" else J / A.shape[1]), np.sign(A - Y)


@checked(**REGRESSION, reduction=REDUCTION)
def l2_loss(A, Y, reduction="sum"):
    """The slide's L2 = sum_i (y_i - f(x_i))^2 ("sum") or its mean over the m columns ("mean", the mse cost).

    dA = 2 (A - Y), per sample. A, Y: (n, m). Returns (J, dA).
    """
    J = float(((Y - A) ** 2).sum())
    return (J if reduction == "sum" else J / A.shape[1]), 2 * (A - Y)


@checked(**BINARY)
def binary_cross_entropy(A, Y):
    """The slide's J = -(1/m) sum_i [y log a + (1 - y) log(1 - a)] with dA = -(y / a - (1 - y) / (1 - a)).

    A in [0, 1], Y in {0, 1}, both (n[L], m). Returns (J, dA).
    """
    return cross_entropy(A, Y), cost_gradient(A, Y, "cross_entropy", backend="numpy")


@checked(**LOGITS)
def binary_cross_entropy_with_logits(Z, Y):
    """The same J computed from the pre-activation Z (A = sigmoid(Z)), stable for any |Z|:

        -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - z y + log(1 + e^-|z|)

    Z, Y: (n[L], m). Returns (J, dZ) with dZ = sigmoid(Z) - Y (per sample: the collapsed dZ[L]).
    """
    J = (np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))).sum() / Z.shape[1]
    return float(J), output_delta(sigmoid(Z, backend="numpy")[0], Y, backend="numpy")


@checked(**SOFTMAX_LOGITS)
def softmax_cross_entropy(Z, Y):
    """Softmax cross-entropy from logits Z and one-hot (or probability) Y, both (n[L], m), stable for any |Z|:

        J = -(1/m) sum_i sum_k y_k log softmax(z)_k,   log softmax = z - max z - log sum e^(z - max z)

    Returns (J, dZ) with dZ = softmax(Z) - Y (per sample: the collapsed dZ[L]).
    """
    shifted = Z - Z.max(axis=0, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    J = -(Y * log_softmax).sum() / Z.shape[1]
    return float(J), output_delta(np.exp(log_softmax), Y, backend="numpy")
