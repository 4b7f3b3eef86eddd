"""Honesty checks (../shared/figures.md) of the gradient-descent and computation-graph figures."""

import numpy as np
from _figcache import run_figure


def test_gd_1d_convex_falls_every_step():
    _, data = run_figure("gd_1d_convex")
    x, J = data["path"], data["J"]
    assert len(x) == 11 and x[0] == -3.0
    np.testing.assert_allclose(J, x**2, rtol=1e-15)
    np.testing.assert_allclose(x[1:], x[:-1] - 0.3 * 2 * x[:-1], rtol=1e-12)  # x <- x - alpha J'(x)
    assert np.all(np.diff(J) < 0)


def test_gd_local_vs_global():
    _, data = run_figure("gd_local_vs_global")
    local, glob = data["runs"]  # x0 = 2, x0 = -2

    def f(x):
        return x**4 - 3 * x**2 + x

    def fprime(x):
        return 4 * x**3 - 6 * x + 1

    assert local["path"][0] == 2.0 and glob["path"][0] == -2.0
    for run in (local, glob):
        assert run["converged"] and run["steps"] <= 500
        assert abs(fprime(run["x"])) < 1e-6
    assert abs(local["x"] - 1.1309) < 1e-4 and abs(glob["x"] + 1.3008) < 1e-4
    assert f(local["x"]) > f(glob["x"])


def test_computation_graph_labels_come_from_autograd():
    fig, data = run_figure("computation_graph")
    values, grads = data["values"], data["grads"]
    assert (values["q"], values["f"]) == (3.0, -12.0)
    assert (grads["x"], grads["y"], grads["z"], grads["q"]) == (-4.0, -4.0, 3.0, -4.0)
    h = 1e-6

    def f(x, y, z):
        return (x + y) * z

    x, y, z = values["x"], values["y"], values["z"]
    fd = {
        "x": (f(x + h, y, z) - f(x - h, y, z)) / (2 * h),
        "y": (f(x, y + h, z) - f(x, y - h, z)) / (2 * h),
        "z": (f(x, y, z + h) - f(x, y, z - h)) / (2 * h),
    }
    for name in "xyz":
        assert abs(grads[name] - fd[name]) < 1e-6
        assert data["nodes"][name].grad == grads[name]
    forward_ax, backward_ax = fig.axes
    forward_texts = {t.get_text() for t in forward_ax.texts}
    backward_texts = [t.get_text() for t in backward_ax.texts]
    minus = "\u2212"  # the figures write true minus signs
    for name in "xyzq":
        assert f"{values[name]:g}".replace("-", minus) in forward_texts
    for name in "xyzq":
        assert f"{grads[name]:g}".replace("-", minus) in backward_texts
    assert f"{minus}12" in forward_texts and "1" in backward_texts  # f and df/df
