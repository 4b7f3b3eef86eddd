"""Linear and logistic regression [Linear Regression, Loss Function, Logistic Regression].

One neuron, in the network's notation: X (n, m) holds m samples of n features as columns,
W (1, n), b (1, 1), and the prediction is

    Z = W X + b                                   (1, m)
    linear regression:   A = Z                    cost L1 or L2 (mean forms, ``nn_ref.losses``)
    logistic regression: A = sigmoid(Z)           cost J = -(1/m) sum [y log a + (1 - y) log(1 - a)]

Y is (1, m) -- a (m,) vector is rejected, never broadcast. The gradients are the chain rule
through ``network.linear_forward`` / ``network.linear_backward`` (whose dZ is m times dJ/dZ):

    dW = (1/m) dZ X^T   (1, n)        db = (1/m) sum_i dZ[:, i]   (1, 1)

Linear regression also has the closed form (normal equations) [W b]^T = (X1 X1^T)^-1 X1 Y^T with
X1 = [X; 1 ... 1] (n+1, m), solved here by least squares (``np.linalg.lstsq``), which is the same
answer computed without forming the inverse.
"""

import numpy as np

from nn_ref import losses, network
from nn_ref._checks import Option, at_least, checked, is_real_number, one_of, or_none, positive

LINEAR_LOSSES = ("l2", "l1")


class Bias(Option):
    """b: a real number or a (1, 1) real array, finite."""

    def __init__(self):
        super().__init__(None, "a float or (1, 1)", 0.0)

    def check(self, name, b, state, read):
        number = is_real_number(b)
        if not number and not (isinstance(b, np.ndarray) and b.dtype.kind in "iuf"):
            raise TypeError(f"{name}: expected a float or a (1, 1) array, got {type(b).__name__}")
        if np.shape(b) not in ((), (1, 1)):
            raise ValueError(f"{name}: expected shape (1, 1), got {np.shape(b)}")
        if not np.isfinite(b).all():
            raise ValueError(f"{name}: expected finite values, got {b!r}")


BIAS = Bias()
DATA = dict(X="n m real finite", Y="1 m real finite")  # real numbers (ints converted), m >= 1, finite
LABELS = dict(X="n m real finite", Y=losses.Labels("1 m real finite", "cross_entropy"))  # 0/1 labels
WEIGHTS = dict(W="1 n", b=BIAS)
START = dict(W0="1 n or None", b0=or_none(BIAS))  # gradient descent's start (zeros when None)


def _as_b(b):
    """b as a (1, 1) float64 array (a float is broadcast to it: the declaration allows nothing else)."""
    return np.asarray(b, dtype=np.float64).reshape(1, 1)


@checked(**DATA)
def linear_closed_form(X, Y):
    """Least squares: the (W, b) minimising (1/m) sum (W x_i + b - y_i)^2.

    Normal equations with X1 = [X; ones(1, m)]: [W b] = Y X1^T (X1 X1^T)^-1, solved by lstsq.
    X: (n, m), Y: (1, m). Returns W (1, n), b (1, 1).
    """
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    X1 = np.vstack([X, np.ones((1, X.shape[1]))])  # (n+1, m)
    theta, *_ = np.linalg.lstsq(X1.T, Y.T, rcond=None)  # (n+1, 1)
    return theta[:-1].T.copy(), theta[-1:].copy()


@checked(**WEIGHTS, **DATA, loss=one_of(LINEAR_LOSSES))
def linear_cost(W, b, X, Y, loss="l2"):
    """Cost and gradients of linear regression: A = W X + b;
    J = (1/m) sum (A - Y)^2 ("l2") or (1/m) sum |A - Y| ("l1", subgradient sign(A - Y), 0 at A = Y).

    W: (1, n), b: (1, 1) or a float, X: (n, m), Y: (1, m). Returns (J, dW (1, n), db (1, 1)).
    """
    X, Y = np.asarray(X, dtype=W.dtype), np.asarray(Y, dtype=W.dtype)
    Z, cache = network.linear_forward(X, W, _as_b(b))
    J, dZ = (losses.l2_loss if loss == "l2" else losses.l1_loss)(Z, Y, reduction="mean")  # A = Z: dZ = dA
    _, dW, db = network.linear_backward(dZ, cache)
    return J, dW, db


@checked(**WEIGHTS, **LABELS)
def logistic_cost(W, b, X, Y):
    """Cost and gradients of logistic regression: Z = W X + b, A = sigmoid(Z),
    J = -(1/m) sum [y log a + (1 - y) log(1 - a)], computed from Z stably;  dZ = A - Y.

    W: (1, n), b: (1, 1) or a float, X: (n, m), Y: (1, m) of 0/1. Returns (J, dW (1, n), db (1, 1)).
    """
    X, Y = np.asarray(X, dtype=W.dtype), np.asarray(Y, dtype=W.dtype)
    Z, cache = network.linear_forward(X, W, _as_b(b))
    J, dZ = losses.binary_cross_entropy_with_logits(Z, Y)  # dZ = A - Y
    _, dW, db = network.linear_backward(dZ, cache)
    return J, dW, db


def _descend(cost, X, Y, learning_rate, num_steps, W0, b0):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    W = np.zeros((1, X.shape[0])) if W0 is None else np.array(W0, dtype=np.float64)
    b = np.zeros((1, 1)) if b0 is None else _as_b(b0).copy()
    costs = []
    for _ in range(int(num_steps)):
        J, dW, db = cost(W, b, X, Y)
        costs.append(J)
        W -= learning_rate * dW  # W <- W - alpha dW
        b -= learning_rate * db  # b <- b - alpha db
    costs.append(cost(W, b, X, Y)[0])
    return W, b, np.array(costs)


@checked(**DATA, loss=one_of(LINEAR_LOSSES), learning_rate=positive, num_steps=at_least(0), **START)
def linear_gd(X, Y, loss="l2", learning_rate=0.1, num_steps=1000, W0=None, b0=None):
    """Linear regression by full-batch gradient descent on the mean L2 or L1 cost.

    X: (n, m), Y: (1, m); W0 (1, n) and b0 default to zeros. Returns W (1, n), b (1, 1) and
    costs (num_steps + 1,): J before each step and after the last.
    """
    return _descend(lambda W, b, X, Y: linear_cost(W, b, X, Y, loss), X, Y, learning_rate, num_steps, W0, b0)


@checked(**LABELS, learning_rate=positive, num_steps=at_least(0), **START)
def logistic_gd(X, Y, learning_rate=0.1, num_steps=1000, W0=None, b0=None):
    """Logistic regression by full-batch gradient descent on the binary cross-entropy.

    X: (n, m), Y: (1, m) of 0/1. Returns W (1, n), b (1, 1) and costs (num_steps + 1,).
    """
    return _descend(logistic_cost, X, Y, learning_rate, num_steps, W0, b0)


@checked(**WEIGHTS, X="n m real finite")
def predict_linear(W, b, X):
    """A = W X + b, (1, m)."""
    return network.linear_forward(X, W, _as_b(b))[0]


@checked(**WEIGHTS, X="n m real finite")
def predict_logistic(W, b, X):
    """Class predictions 1[sigmoid(W X + b) > 0.5] = 1[W X + b > 0], (1, m) of 0/1."""
    return (network.linear_forward(X, W, _as_b(b))[0] > 0).astype(int)
