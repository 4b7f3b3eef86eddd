"""One API on every backend (issue 11): the five-call loop a student writes for NumPy --
initialize_parameters, forward, compute_cost, backward, update_parameters (or an optimizer's step) -- runs
unchanged on cpu and cuda (the simulator here) and equals the NumPy bodies after 5 steps (float64 1e-10,
float32 1e-5), for sigmoid / softmax / linear outputs, with and without batch norm, with SGD, momentum, Adam.
Parameters on the wrong device are a clear error naming the fix."""

import numpy as np
import pytest

import nn_ref
from nn_ref import batchnorm, network, optim
from nn_ref.kernels import available_backends

BACKENDS = [b for b in ("cpu", "cuda") if b in available_backends()]
MARKS = {"numpy": (), "cpu": (), "cuda": pytest.mark.cuda}  # the fast suite: pytest -m "not cuda and not ptx"
TOL = {np.float64: 1e-10, np.float32: 1e-5}
LOSS = {"sigmoid": "cross_entropy", "softmax": "categorical_cross_entropy", "linear": "mse"}


def _data(output, dims, m, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    if output == "sigmoid":
        Y = (rng.random((dims[-1], m)) < 0.5).astype(dtype)
    elif output == "softmax":
        Y = np.eye(dims[-1], dtype=dtype)[:, rng.integers(0, dims[-1], m)]
    else:
        Y = rng.standard_normal((dims[-1], m)).astype(dtype)
    return X, Y


def _five_call_loop(backend, output, bn, opt_name, dtype, steps=5):
    """The loop a student writes; only ``backend`` changes. Returns the host parameters and the costs."""
    dims, m = [3, 5, 4, 2 if output != "sigmoid" else 1], 7
    if output == "softmax":
        dims[-1] = 3
    X, Y = _data(output, dims, m, dtype)
    parameters = network.initialize_parameters(dims, seed=1, dtype=dtype, batchnorm=bn, backend=backend)
    bn_params = batchnorm.init_bn_params(dims, dtype=dtype) if bn else None
    if bn and backend != "numpy":
        for p in bn_params:
            p["running_mean"], p["running_var"] = nn_ref.to_backend(
                {"a": p["running_mean"], "b": p["running_var"]}, backend
            ).values()
    opt = optim.make_optimizer(opt_name)
    costs = []
    for _ in range(steps):
        AL, caches = network.forward(X, parameters, "tanh", output, backend=backend, batchnorm=bn, bn_params=bn_params)
        costs.append(network.compute_cost(AL, Y, LOSS[output], backend=backend))
        grads = network.backward(AL, Y, caches, LOSS[output], backend=backend, batchnorm=bn)
        if opt_name == "sgd":
            network.update_parameters(parameters, grads, 0.1, backend=backend)
        else:
            opt.step(parameters, grads, 0.05, backend=backend)
    return nn_ref.to_host(parameters), costs


CONFIGS = [
    ("sigmoid", False, "sgd"),
    ("softmax", False, "momentum"),
    ("linear", False, "adam"),
    ("sigmoid", True, "adam"),
    ("softmax", True, "sgd"),
]
# every configuration in both dtypes on cpu; on the CUDA simulator (slow: ~0.2 ms a thread) all in float64
# and float32 for the first configuration
CASES = [
    pytest.param(b, d, *c, id=f"{b}-{d.__name__}-{'-'.join(map(str, c))}", marks=MARKS[b])
    for b in BACKENDS
    for d in (np.float64, np.float32)
    for i, c in enumerate(CONFIGS)
    if b == "cpu" or d is np.float64 or i == 0
]


@pytest.mark.parametrize("backend, dtype, output, bn, opt_name", CASES)
def test_the_five_call_loop_equals_numpy_on_every_backend(backend, dtype, output, bn, opt_name):
    expected, costs_np = _five_call_loop("numpy", output, bn, opt_name, dtype)
    got, costs = _five_call_loop(backend, output, bn, opt_name, dtype)
    tol = TOL[dtype]
    np.testing.assert_allclose(costs, costs_np, rtol=tol)
    for key in expected:
        assert got[key].dtype == expected[key].dtype, key
        scale = max(float(np.abs(expected[key]).max()), 1.0)
        np.testing.assert_allclose(got[key], expected[key], rtol=tol, atol=tol * scale, err_msg=key)


@pytest.mark.parametrize("backend", [pytest.param(b, marks=MARKS[b]) for b in BACKENDS if b == "cuda"])
def test_host_parameters_on_the_cuda_backend_are_an_error_naming_the_fix(backend):
    P = network.initialize_parameters([2, 3, 1], seed=0, backend="numpy")
    X = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"W1: a host array.*nn_ref.to_backend\(parameters, 'cuda'\)"):
        network.forward(X, P, backend=backend)
    D = nn_ref.to_backend(P, backend)
    with pytest.raises(ValueError, match=r"W1: a GPU \(cuda\) array.*nn_ref.to_host\(parameters\)"):
        network.forward(X, D, backend="numpy")
    back = nn_ref.to_host(D)
    for key in P:
        np.testing.assert_array_equal(back[key], P[key])


def test_to_backend_and_to_host_keep_numpy_arrays_on_the_host():
    P = network.initialize_parameters([2, 3, 1], seed=0)
    for moved in (nn_ref.to_backend(P, "numpy"), nn_ref.to_host(P)):
        assert sorted(moved) == sorted(P)
        assert all(isinstance(v, np.ndarray) for v in moved.values())
        np.testing.assert_array_equal(moved["W1"], P["W1"])


@pytest.mark.parametrize("backend", [pytest.param(b, marks=MARKS[b]) for b in ["numpy", *BACKENDS]])
def test_backward_without_dA0_skips_only_dA0(backend):
    """need_dA0=False (what Trainer and the benchmark use: training never reads dA[0] = m dJ/dX) leaves out
    "dA0" and changes no other gradient."""
    X, Y = _data("sigmoid", [4, 5, 1], 6, np.float64)
    P = network.initialize_parameters([4, 5, 1], seed=2, backend=backend)
    AL, caches = network.forward(X, P, backend=backend)
    full = nn_ref.to_host(network.backward(AL, Y, caches, backend=backend))
    lean = nn_ref.to_host(network.backward(AL, Y, caches, backend=backend, need_dA0=False))
    assert sorted(full) == sorted([*lean, "dA0"])
    for key in lean:
        np.testing.assert_array_equal(lean[key], full[key], err_msg=key)
