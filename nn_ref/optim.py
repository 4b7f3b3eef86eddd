"""Optimizers [Training - Gradient Descent, Algorithm 1 Gradient Descent, and the optimizer slides].

The slide's Algorithm 1, for a differentiable f: R^n -> R given with its gradient::

    1: while TRUE do
    2:   tmpDelta <- x_old - alpha * grad f(x_old)
    3:   if abs(tmpDelta - x_old) < CRITERIA then
    4:     break
    5:   end if
    6:   x_old <- tmpDelta
    7: end while

``gradient_descent`` below is exactly that loop, plus a maximum number of steps (the slide's loop
has none). At the break, |x_new - x_old| = alpha |grad f(x_old)| < CRITERIA, so the returned point
has |grad f| < CRITERIA / alpha: with alpha = 0.01 and the default CRITERIA = 1e-8, |f'| < 1e-6.

Example (the slide's local-vs-global picture, f(x) = x^4 - 3x^2 + x, alpha = 0.01): from x0 = 2
it stops at the local minimum x ~ 1.1309, from x0 = -2 at the global minimum x ~ -1.3008.
"""
import numpy as np


def gradient_descent(grad_f, x0, learning_rate, criteria=1e-8, max_steps=10_000, f=None):
    """Algorithm 1: x_new = x_old - alpha * grad_f(x_old) until |x_new - x_old| < CRITERIA.

    grad_f: callable x -> grad f(x), same shape as x (a float for scalar x).
    x0: the start point x_old, a float or an array of shape (n,).
    learning_rate: alpha > 0. criteria: CRITERIA > 0; for array x the test is on every
    component, max_i |x_new_i - x_old_i| < CRITERIA. max_steps: the most updates made.
    f: optional callable x -> f(x); when given, its value at every iterate is returned too.

    Returns a dict:
      "x":         the final x_old (the point at which the loop broke, or the last iterate),
      "path":      array of all iterates x_old, x0 first: (k+1,) for scalar x, (k+1, n) for (n,) x,
      "steps":     k, the number of updates made (len(path) - 1),
      "converged": True when the CRITERIA test broke the loop, False when max_steps ran out,
      "f":         (only when f is given) array (k+1,) of f at every iterate.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate: expected a positive number, got {learning_rate!r}")
    if not criteria > 0:
        raise ValueError(f"criteria: expected a positive number, got {criteria!r}")
    if int(max_steps) < 0:
        raise ValueError(f"max_steps: expected a non-negative integer, got {max_steps!r}")
    scalar = np.ndim(x0) == 0
    x_old = np.array(x0, dtype=np.float64)
    if x_old.ndim > 1:
        raise ValueError(f"x0: expected a scalar or shape (n,), got shape {x_old.shape}")
    path = [x_old.copy()]
    converged = False
    for _ in range(int(max_steps)):
        g = np.asarray(grad_f(float(x_old) if scalar else x_old.copy()), dtype=np.float64)
        if g.shape != x_old.shape:
            raise ValueError(f"grad_f(x): expected shape {x_old.shape}, got {g.shape}")
        tmp_delta = x_old - learning_rate * g                   # line 2
        if np.max(np.abs(tmp_delta - x_old)) < criteria:         # line 3
            converged = True                                     # line 4: break
            break
        x_old = tmp_delta                                        # line 6
        path.append(x_old.copy())
    path = np.array(path)
    result = {"x": float(x_old) if scalar else x_old, "path": path,
              "steps": len(path) - 1, "converged": converged}
    if f is not None:
        result["f"] = np.array([f(float(p) if scalar else p) for p in path], dtype=np.float64)
    return result


# ============================================================================= training a network
# [Stochastic Gradient Descent with Mini-batch, Hyperparameters, Effective Mini-batch]
#
#   batch gradient descent   J over all m samples, one update per epoch        batch_size = None (= m)
#   SGD                      J over 1 sample                                   batch_size = 1
#   mini-batch SGD           J over a batch of b samples (10-500)              batch_size = b
#
# J is always the *mean* of the per-sample losses over the batch (the network's compute_cost and
# backward use 1/m), so a gradient does not grow with the batch size. (The slide writes the mini-batch
# update with a sum over the batch; the mean is that sum times 1/b, folded into the learning rate.)
#
# Optimizers keep their state (velocity, moments) per parameter array, keyed by the parameter's own
# name ("W1", "b1", "gamma1", ...), which no two arrays share. Their arithmetic runs in the backend:
# the in-place ``update(param, grad, lr)`` op (param <- param - lr * grad) is enough for SGD and
# momentum, so parameters and state stay on the device; Adam's square root uses the backend's
# ``adam_update`` op when it has one and NumPy on host arrays otherwise.
from nn_ref.kernels import get_backend as _get_backend


def minibatches(X, Y, batch_size=None, rng=None, shuffle=True):
    """Yield (X_batch, Y_batch) covering every column of X (n[0], m), Y (n[L], m) once.

    batch_size None (or >= m): one batch of all m samples (batch gradient descent); 1: SGD.
    With ``shuffle`` the columns are permuted by ``rng.permutation(m)`` (a seeded
    ``np.random.Generator``; one call per epoch, so the order depends only on the seed and the epoch).
    The last batch keeps the remainder: m = 10, b = 4 gives batches of 4, 4, 2.
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"X, Y: expected shapes (n[0], m) and (n[L], m) with the same m, got {X.shape} and {Y.shape}")
    m = X.shape[1]
    b = m if batch_size is None else int(batch_size)
    if b < 1:
        raise ValueError(f"batch_size: expected a positive integer or None, got {batch_size!r}")
    if shuffle:
        if rng is None:
            raise ValueError("rng: shuffling needs a seeded generator, e.g. np.random.default_rng(0)")
        order = rng.permutation(m)
    else:
        order = np.arange(m)
    for start in range(0, m, b):
        idx = order[start:start + b]
        yield X[:, idx], Y[:, idx]


def _parameter_names(parameters):
    return [k for k in parameters if not k.startswith("d")]


class SGD:
    """Plain (mini-batch) gradient descent: theta <- theta - lr * dtheta for every parameter array."""

    name = "sgd"

    def step(self, parameters, grads, learning_rate, backend=None):
        """One update, in place. parameters {"W1": ...}, grads {"dW1": ...} with equal shapes."""
        B = _get_backend(backend)
        for key in _parameter_names(parameters):
            B.update(parameters[key], grads["d" + key], learning_rate)

    def state_dict(self):
        return {}


class Momentum:
    """Gradient descent with momentum (the deeplearning.ai form), per parameter array theta:

        v <- beta v + (1 - beta) dtheta;     theta <- theta - lr v          (v starts at 0)
    """

    name = "momentum"

    def __init__(self, beta=0.9):
        if not 0 <= beta < 1:
            raise ValueError(f"beta: expected 0 <= beta < 1, got {beta!r}")
        self.beta = float(beta)
        self.v = {}

    def step(self, parameters, grads, learning_rate, backend=None):
        B = _get_backend(backend)
        for key in _parameter_names(parameters):
            param, grad = parameters[key], grads["d" + key]
            if key not in self.v:
                self.v[key] = B.to_device(np.zeros(param.shape, dtype=param.dtype))
            v = self.v[key]
            B.update(v, v, 1.0 - self.beta)             # v <- beta v
            B.update(v, grad, -(1.0 - self.beta))       # v <- v + (1 - beta) dtheta
            B.update(param, v, learning_rate)           # theta <- theta - lr v

    def state_dict(self):
        return {"beta": self.beta}


class Adam:
    """Adam (Kingma & Ba 2015), per parameter array theta, t = number of Adam steps so far (from 1):

        m <- beta1 m + (1 - beta1) dtheta;          v <- beta2 v + (1 - beta2) dtheta^2
        m_hat = m / (1 - beta1^t);                  v_hat = v / (1 - beta2^t)
        theta <- theta - lr m_hat / (sqrt(v_hat) + eps)
    """

    name = "adam"

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8):
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1 and eps > 0):
            raise ValueError(f"Adam: expected 0 <= beta1, beta2 < 1 and eps > 0, got {beta1!r}, {beta2!r}, {eps!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, parameters, grads, learning_rate, backend=None):
        B = _get_backend(backend)
        self.t += 1
        device_op = getattr(B, "adam_update", None)
        for key in _parameter_names(parameters):
            param, grad = parameters[key], grads["d" + key]
            on_host = isinstance(param, np.ndarray)
            if key not in self.m:
                zeros = np.zeros(param.shape, dtype=param.dtype)
                keep = B.to_device if (device_op is not None or on_host) else np.array
                self.m[key], self.v[key] = keep(zeros), keep(zeros.copy())
            if device_op is not None:
                device_op(param, grad, self.m[key], self.v[key], learning_rate,
                          self.beta1, self.beta2, self.eps, self.t)
            elif on_host:
                self._update(param, grad, self.m[key], self.v[key], learning_rate)
            else:
                # a device backend without an adam_update op: compute the step on the host and
                # apply it with the backend's update op (theta <- theta - 1 * step)
                p = B.to_host(param).copy()
                self._update(p, B.to_host(grad), self.m[key], self.v[key], learning_rate)
                B.update(param, B.to_device(B.to_host(param) - p), 1.0)

    def _update(self, param, grad, m, v, learning_rate):
        """The Adam equations on host arrays, in place on param, m, v."""
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * grad * grad
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        param -= learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)

    def state_dict(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, "t": self.t}


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(optimizer, **kwargs):
    """An optimizer object from a name ("sgd", "momentum", "adam") or an object with ``step``."""
    if hasattr(optimizer, "step"):
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {tuple(OPTIMIZERS)} or an object with step(), got {optimizer!r}")
    return OPTIMIZERS[optimizer](**kwargs)


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

    def __init__(self, batch_multiplier=1):
        if int(batch_multiplier) < 1:
            raise ValueError(f"batch_multiplier: expected an integer >= 1, got {batch_multiplier!r}")
        self.k = int(batch_multiplier)
        self.sums = {}
        self.count = 0           # mini-batches accumulated since the last step

    def add(self, grads, weight, backend=None):
        """sums <- sums + weight * grads (``backward``'s dict; "dA0" is skipped), weight = m_j / M."""
        B = _get_backend(backend)
        for key, g in grads.items():
            if key == "dA0":
                continue
            if key not in self.sums:
                self.sums[key] = B.to_device(np.zeros(g.shape, dtype=g.dtype))
            elif self.count == 0:
                B.update(self.sums[key], self.sums[key], 1.0)      # reset: s <- s - s = 0
            B.update(self.sums[key], g, -float(weight))           # s <- s + (m_j / M) dtheta_j
        self.count += 1

    def take(self):
        """The accumulated gradient dict {"dW1": ...}; the next ``add`` starts a new sum."""
        if self.count == 0:
            raise ValueError("GradientAccumulator.take: no gradients accumulated")
        self.count = 0
        return self.sums
