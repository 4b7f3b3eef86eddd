"""nn_ref.trace: the step-by-step forward/backward trace equals nn_ref.network's numbers and shapes."""

import copy
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import cli, network
from nn_ref.trace import format_trace, trace


def close(actual, expected):
    """Same calls, same numbers: equal up to the last bit or two (NumPy's reductions may round
    differently for arrays at different memory alignments, so not bitwise)."""
    np.testing.assert_allclose(actual, expected, rtol=1e-13, atol=1e-15)


def _by_name(steps, phase):
    return {s.name: s for s in steps if s.phase == phase}


def _inputs(steps):
    inp = _by_name(steps, "input")
    L = max(s.layer for s in steps if s.phase == "input")
    params = {f"{p}{l}": inp[f"{p}[{l}]"].value for l in range(1, L + 1) for p in ("W", "b")}
    return inp["A[0]"].value, inp["Y"].value, params, L


def test_lecture_example_order_and_shape_equations():
    steps = trace([3, 4, 1], m=2, seed=0)
    names = [(s.phase, s.name) for s in steps]
    assert names == [
        ("input", "A[0]"),
        ("input", "Y"),
        ("input", "W[1]"),
        ("input", "b[1]"),
        ("input", "W[2]"),
        ("input", "b[2]"),
        ("forward", "Z[1]"),
        ("forward", "A[1]"),
        ("forward", "Z[2]"),
        ("forward", "A[2]"),
        ("cost", "J"),
        ("backward", "dZ[2]"),
        ("backward", "dW[2]"),
        ("backward", "db[2]"),
        ("backward", "dA[1]"),
        ("backward", "dZ[1]"),
        ("backward", "dW[1]"),
        ("backward", "db[1]"),
        ("backward", "dA[0]"),
        ("update", "W[2]"),
        ("update", "b[2]"),
        ("update", "W[1]"),
        ("update", "b[1]"),
    ]
    fwd = _by_name(steps, "forward")
    assert fwd["Z[1]"].equation == "Z[1] = W[1] A[0] + b[1]"
    assert fwd["Z[1]"].shapes == "(4,2) = (4,3)(3,2) + (4,1)"  # the lecture's shapes, from the arrays
    assert fwd["A[1]"].equation == "A[1] = relu(Z[1])"
    assert fwd["A[2]"].equation == "A[2] = sigmoid(Z[2])"
    bwd = _by_name(steps, "backward")
    assert bwd["dW[2]"].shapes == "(1,4) = (1,2)(2,4)"
    assert bwd["dA[1]"].shapes == "(4,2) = (4,1)(1,2)"


@settings(max_examples=25, deadline=None)
@given(
    dims=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    m=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    hidden=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
    output=st.sampled_from(["sigmoid", "softmax", "linear"]),
    lr=st.floats(1e-3, 1.0),
)
def test_trace_numbers_equal_network_forward_backward_update(dims, m, seed, hidden, output, lr):
    if output == "softmax" and dims[-1] < 2:
        dims = dims[:-1] + [2]
    steps = trace(dims, m=m, seed=seed, learning_rate=lr, hidden_activation=hidden, output_activation=output)
    X, Y, params, L = _inputs(steps)
    loss = {"sigmoid": "cross_entropy", "softmax": "categorical_cross_entropy", "linear": "mse"}[output]

    AL, caches = network.forward(X, params, hidden, output)
    fwd = _by_name(steps, "forward")
    for l in range(1, L + 1):
        close(fwd[f"Z[{l}]"].value, caches[l - 1][1])
        close(fwd[f"A[{l}]"].value, caches[l - 1][2])
    close(fwd[f"A[{L}]"].value, AL)
    close(_by_name(steps, "cost")["J"].value, network.compute_cost(AL, Y, loss))

    grads = network.backward(AL, Y, caches, loss)
    bwd = _by_name(steps, "backward")
    for l in range(1, L + 1):
        close(bwd[f"dW[{l}]"].value, grads[f"dW{l}"])
        close(bwd[f"db[{l}]"].value, grads[f"db{l}"])
        # the dZ[l] shown is the one that produced dW[l] and db[l]: dW = (1/m) dZ A[l-1]^T, db = (1/m) sum dZ
        A_prev = X if l == 1 else caches[l - 2][2]
        np.testing.assert_allclose(bwd[f"dZ[{l}]"].value @ A_prev.T / m, grads[f"dW{l}"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            bwd[f"dZ[{l}]"].value.sum(axis=1, keepdims=True) / m, grads[f"db{l}"], rtol=1e-12, atol=1e-15
        )
    close(bwd["dA[0]"].value, grads["dA0"])

    updated = network.update_parameters(copy.deepcopy(params), grads, lr)
    upd = _by_name(steps, "update")
    for key, value in updated.items():
        close(upd[f"{key[0]}[{key[1:]}]"].value, value)

    # every record's shape is its array's shape, and the shape equation starts with it
    for s in steps:
        assert s.shape == np.shape(s.value)
        assert s.shapes.startswith("(" + ",".join(map(str, s.shape)) + ")" if s.shape else "()")
    # Z[l] = W[l] A[l-1] + b[l]: operand shapes are those of the real W, A, b
    for l in range(1, L + 1):
        A_prev = X if l == 1 else caches[l - 2][2]
        assert fwd[f"Z[{l}]"].operands == [params[f"W{l}"].shape, A_prev.shape, params[f"b{l}"].shape]


def test_trace_leaves_given_parameters_unchanged_and_uses_given_data():
    params = network.initialize_parameters([2, 3, 1], seed=4)
    before = copy.deepcopy(params)
    X = np.arange(6.0).reshape(2, 3) / 10
    Y = np.array([[0.0, 1.0, 1.0]])
    steps = trace(parameters=params, X=X, Y=Y, learning_rate=0.5)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    np.testing.assert_array_equal(_by_name(steps, "input")["A[0]"].value, X)
    upd = _by_name(steps, "update")
    assert not np.array_equal(upd["W[2]"].value, params["W2"])  # the update moved the copy


def test_trace_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"X: expected shape \(3, any\), got \(2, 5\)"):
        trace([3, 4, 1], X=np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 2\), got \(2,\)"):
        trace([3, 4, 1], X=np.zeros((3, 2)), Y=np.zeros(2))


def test_softmax_needs_two_classes_and_the_cli_reports_errors_without_a_traceback(capsys):
    with pytest.raises(ValueError, match=r"softmax output needs n\[L\] >= 2 classes, got \[3, 4, 1\]"):
        trace([3, 4, 1], output_activation="softmax")
    assert cli.main(["trace", "--layers", "3,4,1", "--output", "softmax"]) == 2
    assert "nn-ref trace: error: layer_dims: a softmax output needs" in capsys.readouterr().err


def test_cli_trace_prints_the_steps_in_order(capsys):
    assert cli.main(["trace", "--layers", "3,4,1", "--m", "2", "--seed", "0", "--lr", "0.1"]) == 0
    out = capsys.readouterr().out
    steps = trace([3, 4, 1], m=2, seed=0, learning_rate=0.1)
    assert out.rstrip().endswith(format_trace(steps))
    order = [
        "Z[1] = W[1] A[0] + b[1]",
        "(4,2) = (4,3)(3,2) + (4,1)",
        "A[1] = relu(Z[1])",
        "A[2] = sigmoid(Z[2])",
        "J = -(1/m)",
        "dZ[2] = A[2] - Y",
        "dW[2]",
        "db[2]",
        "dA[1]",
        "dZ[1]",
        "dW[1]",
        "db[1]",
        "W[2] = W[2] - 0.1 dW[2]",
        "b[1] = b[1] - 0.1 db[1]",
    ]
    positions = [out.index(text) for text in order]
    assert positions == sorted(positions)
    J = _by_name(steps, "cost")["J"].value
    assert f"= {J:.6g}" in out


def _numbers(text):
    return np.array([float(x) for x in re.findall(r"-?\d+\.\d*(?:e[+-]?\d+)?", text)])


def test_trace_on_the_cpu_backend_equals_the_numpy_oracle():
    pytest.importorskip("numba")
    ref = trace([3, 4, 2], m=3, seed=1, output_activation="softmax", backend="numpy")
    cpu = trace([3, 4, 2], m=3, seed=1, output_activation="softmax", backend="cpu")
    assert [s.name for s in cpu] == [s.name for s in ref]
    for a, b in zip(cpu, ref):
        assert a.shapes == b.shapes
        np.testing.assert_allclose(a.value, b.value, rtol=1e-10, atol=1e-12)


def test_trace_on_the_cuda_simulator_prints_the_numpy_numbers():
    """The cuda backend under NUMBA_ENABLE_CUDASIM=1 (set before numba is imported: a subprocess)."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    run = [sys.executable, "-m", "nn_ref.cli", "trace", "--layers", "3,4,1"]
    cuda = subprocess.run(run + ["--backend", "cuda"], capture_output=True, text=True, env=env, check=True).stdout
    ref = subprocess.run(run + ["--backend", "numpy"], capture_output=True, text=True, env=env, check=True).stdout
    assert cuda.splitlines()[1:] == ref.splitlines()[1:]  # the same text, to the printed precision
    assert "backend cuda" in cuda.splitlines()[0] and _numbers(cuda).size > 50
