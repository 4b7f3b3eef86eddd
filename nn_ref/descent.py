"""Gradient descent on a function, the slide's Algorithm 1 [Training - Gradient Descent].

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

from nn_ref._checks import Option, at_least, checked, is_real_number, positive


class Point(Option):
    """x0: a real number, or a real array of shape (n,), every value finite."""

    def __init__(self):
        super().__init__(None, "a real number or (n,) array, finite", 1.0)

    def check(self, name, x0, state, read):
        scalar = is_real_number(x0)
        if not (scalar or (isinstance(x0, np.ndarray) and x0.ndim == 1 and x0.size and x0.dtype.kind in "iuf")):
            got = f"shape {x0.shape}, dtype {x0.dtype}" if isinstance(x0, np.ndarray) else type(x0).__name__
            raise ValueError(f"{name}: expected a real number or a real array of shape (n,), got {got}")
        if not np.all(np.isfinite(x0)):
            raise ValueError(f"{name}: expected finite values, got {x0!r}")


class GradientOf:
    """grad_f: a callable x -> grad f(x) of x0's shape (a float for a scalar x0), checked once, at x0 (a gradient
    of another shape would broadcast against x in line 2)."""

    def __repr__(self):
        return "a callable x -> grad f(x), of x's shape"

    def check(self, name, grad_f, state, read):
        if not callable(grad_f):
            raise TypeError(f"{name}: expected a callable x -> grad f(x), got {type(grad_f).__name__}")
        x0 = read("x0")
        x = float(x0) if np.ndim(x0) == 0 else np.array(x0, dtype=np.float64)
        g = np.shape(grad_f(x))
        if g != np.shape(x0):
            raise ValueError(f"{name}(x): expected shape {np.shape(x0)}, got {g} (x0 has shape {np.shape(x0)})")


@checked(
    x0=Point(),
    grad_f=GradientOf(),
    learning_rate=positive,
    criteria=positive,
    max_steps=at_least(0),
)
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
    scalar = np.ndim(x0) == 0
    x_old = np.array(x0, dtype=np.float64)
    path = [x_old.copy()]
    converged = False
    for _ in range(int(max_steps)):
        g = np.asarray(grad_f(float(x_old) if scalar else x_old.copy()), dtype=np.float64)
        tmp_delta = x_old - learning_rate * g  # line 2
        if np.max(np.abs(tmp_delta - x_old)) < criteria:  # line 3
            converged = True  # line 4: break
            break
        x_old = tmp_delta  # line 6
        path.append(x_old.copy())
    path = np.array(path)
    result = {"x": float(x_old) if scalar else x_old, "path": path, "steps": len(path) - 1, "converged": converged}
    if f is not None:
        result["f"] = np.array([f(float(p) if scalar else p) for p in path], dtype=np.float64)
    return result
