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

from nn_ref._checks import at_least, checked, positive


@checked(learning_rate=positive, criteria=positive, max_steps=at_least(0))
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
    if x_old.ndim > 1:
        raise ValueError(f"x0: expected a scalar or shape (n,), got shape {x_old.shape}")
    path = [x_old.copy()]
    converged = False
    for _ in range(int(max_steps)):
        g = np.asarray(grad_f(float(x_old) if scalar else x_old.copy()), dtype=np.float64)
        if g.shape != x_old.shape:
            raise ValueError(f"grad_f(x): expected shape {x_old.shape}, got {g.shape}")
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
