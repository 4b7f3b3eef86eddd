"""Algorithm 1 (the slide's gradient descent) on the slide's f(x) = x^4 - 3x^2 + x, alpha = 0.01."""

import numpy as np
import pytest

from nn_ref.optim import gradient_descent


def f(x):
    return x**4 - 3 * x**2 + x


def df(x):
    return 4 * x**3 - 6 * x + 1


def _minima():
    """The two local minima of f: the real roots of f'(x) = 4x^3 - 6x + 1 with f'' = 12x^2 - 6 > 0."""
    roots = np.roots([4, 0, -6, 1])
    roots = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
    return [r for r in roots if 12 * r**2 - 6 > 0]


@pytest.mark.parametrize("x0, expected", [(2.0, 1.1309), (-2.0, -1.3008)])
def test_algorithm1_stops_at_the_lecture_minima(x0, expected):
    res = gradient_descent(df, x0, 0.01, f=f)
    assert res["converged"]
    assert abs(res["x"] - expected) < 1e-4  # the slide's rounded value
    assert abs(df(res["x"])) < 1e-6  # figures.md's check
    nearest = min(_minima(), key=lambda r: abs(r - x0))
    assert abs(res["x"] - nearest) < 1e-6 / 2.0  # |f''| > 2 at both minima
    assert res["steps"] <= 500  # within the figure's 500 steps
    assert res["path"][0] == x0 and res["path"][-1] == res["x"]
    assert len(res["path"]) == res["steps"] + 1 == len(res["f"])


def test_local_minimum_is_worse_than_global():
    local = gradient_descent(df, 2.0, 0.01)["x"]
    glob = gradient_descent(df, -2.0, 0.01)["x"]
    assert f(local) > f(glob)


def test_every_step_is_the_update_rule_and_the_stop_rule_holds():
    res = gradient_descent(df, 2.0, 0.01, criteria=1e-8)
    p = res["path"]
    np.testing.assert_array_equal(p[1:], p[:-1] - 0.01 * df(p[:-1]))
    # every accepted step moved at least CRITERIA; the step not taken would have moved less
    assert np.all(np.abs(np.diff(p)) >= 1e-8)
    assert abs(0.01 * df(p[-1])) < 1e-8


def test_max_steps_stops_without_convergence():
    res = gradient_descent(df, 2.0, 0.01, max_steps=10)
    assert not res["converged"] and res["steps"] == 10 and len(res["path"]) == 11


def test_vector_input_quadratic_bowl():
    A = np.diag([1.0, 4.0])
    res = gradient_descent(lambda x: A @ x, np.array([3.0, -2.0]), 0.1, criteria=1e-10)
    assert res["converged"] and res["path"].shape == (res["steps"] + 1, 2)
    np.testing.assert_allclose(res["x"], 0.0, atol=1e-8)


def test_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate"):
        gradient_descent(df, 1.0, 0.0)
    with pytest.raises(ValueError, match="criteria"):
        gradient_descent(df, 1.0, 0.1, criteria=-1)
    with pytest.raises(ValueError, match=r"expected shape \(2,\), got \(3,\)"):
        gradient_descent(lambda x: np.ones(3), np.zeros(2), 0.1)
