"""The slides' PyTorch examples redone with nn-ref (scripts/slide_*.py): each runs and its loss falls as the
slide's narrative says. Shortened with --steps where the full run is long."""

import importlib.util
import pathlib
import subprocess
import sys

import numpy as np
import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parents[1] / "scripts"


def load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def printed_steps(out):
    """The step numbers of the printed loss lines ("<t> <loss>")."""
    return [int(line.split()[0]) for line in out.splitlines() if line.split() and line.split()[0].isdigit()]


def test_autograd_example_sum_of_squares_falls_with_the_slides_learning_rate(capsys):
    history = load("slide_autograd_example").main(["--steps", "101"])
    out = capsys.readouterr().out
    assert printed_steps(out) == [0, 100]
    losses = np.array([loss for _, loss in history])
    # randn weights give a huge initial sum of squares (~3e7); lr 1e-6 on the *sum's* gradient brings it down
    # by five orders of magnitude in 100 steps (the mean's gradient, 64x smaller steps, only to ~1/3 of it)
    assert losses[0] > 1e6
    assert losses[100] < 1e-4 * losses[0]
    assert losses[100] < losses[50] < losses[10] < losses[0]


def test_linear_regression_example_fits_the_parabola(capsys):
    mod = load("slide_linear_regression_example")
    history = mod.main([])  # the slide's 200 steps (cheap: 1-10-1 on 100 points)
    out = capsys.readouterr().out
    assert printed_steps(out) == [0, 100, 199]
    losses = [loss for _, loss in history]
    assert len(losses) == 200
    # the best straight line through y = x^2 + noise has MSE ~ Var(x^2) ~ 0.09: the ReLU net must beat it
    x = np.linspace(-1, 1, 100)
    y = x**2 + 0.2 * np.random.default_rng(0).random(100)
    coef, *_ = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)
    line_mse = np.mean((np.c_[x, np.ones_like(x)] @ coef - y) ** 2)
    assert losses[-1] < losses[0] / 10
    assert losses[-1] < line_mse / 3
    assert losses[-1] > 0.2**2 / 12 * 0.5  # and not below the noise's own variance (0.2 U(0,1): 0.0033)


def test_nn_example_sequential_sum_of_squares_falls(capsys):
    history = load("slide_nn_example").main(["--steps", "101"])
    out = capsys.readouterr().out
    assert "Sequential(" in out and "Linear(in_features=1000, out_features=100)" in out
    assert printed_steps(out) == [0, 100]
    losses = np.array([loss for _, loss in history])
    assert losses[0] > 100  # sum of squares over 64 x 10 targets ~ N(0, 1)
    assert losses[100] < 1e-3 * losses[0]
    assert np.all(np.diff(losses[:50]) < 0)  # steadily down, as on the slide's printout


def test_sequential_is_the_functional_api_underneath():
    from nn_ref import network
    from nn_ref.sequential import Linear, ReLU, Sequential

    model = Sequential(Linear(3, 4, seed=1, backend="numpy"), ReLU("numpy"), Linear(4, 2, seed=2, backend="numpy"))
    params = {k: v.copy() for k, v in model.parameters().items()}
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    AL = model.forward(X)
    AL_ref, caches = network.forward(X, params, "relu", "linear", backend="numpy")
    np.testing.assert_allclose(AL, AL_ref, rtol=1e-13, atol=1e-15)
    model.backward(2 * (AL - Y))  # dA[L] = m dJ/dA[L] for J = mse
    grads = network.backward(AL_ref, Y, caches, "mse", backend="numpy")
    for k, v in model.grads().items():
        np.testing.assert_allclose(v, grads[k], rtol=1e-12, atol=1e-15)
    model.step(0.1)
    network.update_parameters(params, grads, 0.1, backend="numpy")
    for k, v in model.parameters().items():
        np.testing.assert_allclose(v, params[k], rtol=1e-12, atol=1e-15)


def test_pytorch_neural_network_a_few_sgd_steps_lower_the_mse(capsys):
    history = load("slide_pytorch_neural_network").main(["--steps", "10"])
    out = capsys.readouterr().out
    assert "fc1: W1 (120, 256), b1 (120, 1)" in out and "fc3: W3 (10, 84), b3 (10, 1)" in out
    assert printed_steps(out) == list(range(10))
    losses = np.array([loss for _, loss in history])
    # target 1..10 against a near-zero initial output: MSE near mean(k^2) = 38.5
    assert 20 < losses[0] < 60
    assert np.all(np.diff(losses[:6]) < 0)
    assert losses[-1] < losses[0] / 10


@pytest.mark.parametrize("x", [2.0, 3.0])
def test_tensors_functions_gradients_13_and_26(capsys, x):
    results = load("slide_tensors_functions_gradients").main(["--x", str(x)])
    dzdx = 4 * x + 5  # z = 2x^2 + 5x
    assert results[1.0] == [[dzdx, dzdx], [dzdx, dzdx]]  # 13 at x = 2: upstream ones
    assert results[2.0] == [[2 * dzdx, 2 * dzdx], [2 * dzdx, 2 * dzdx]]  # 26: the slide's torch.ones(2,2)*2


def test_scripts_run_as_commands():
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / "slide_tensors_functions_gradients.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "x.grad = [[13.0, 13.0], [13.0, 13.0]]" in out and "x.grad = [[26.0, 26.0], [26.0, 26.0]]" in out
    out = subprocess.run(
        [sys.executable, str(SCRIPTS / "slide_linear_regression_example.py"), "--steps", "3"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed_steps(out) == [0, 2]
