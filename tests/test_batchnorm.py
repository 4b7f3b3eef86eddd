"""Batch normalization: the oracle's formulas, gradient checks (float64, central differences, a random
upstream gradient -- a constant one would cancel exactly), train/eval behaviour, and BN inside the network."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import batchnorm, network
from nn_ref.exercises import central_differences


def _rel(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


_numerical = functools.partial(central_differences, h=1e-6)  # the checker's central differences, smaller step


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 5), m=st.integers(2, 9), seed=st.integers(0, 10_000))
def test_forward_normalizes_each_unit_over_the_batch(n, m, seed):
    rng = np.random.default_rng(seed)
    Z = rng.normal(3.0, 2.0, size=(n, m))
    gamma, beta = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    out, cache = batchnorm.batchnorm_forward(Z, gamma, beta, {"mode": "train", "eps": 1e-5})
    Z_hat = cache[0]
    assert out.shape == (n, m)
    np.testing.assert_allclose(Z_hat.mean(axis=1), 0, atol=1e-12)
    var = Z.var(axis=1, keepdims=True)
    np.testing.assert_allclose(Z_hat.var(axis=1, keepdims=True), var / (var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(
        out, gamma * (Z - Z.mean(axis=1, keepdims=True)) / np.sqrt(var + 1e-5) + beta, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_check_random_upstream(seed):
    rng = np.random.default_rng(seed)
    n, m = 4, 7
    Z = rng.normal(1.0, 3.0, size=(n, m))
    gamma, beta = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    dout = rng.normal(size=(n, m))  # random: sum(dout * out) does not cancel

    def J():
        out, _ = batchnorm.batchnorm_forward(Z, gamma, beta, {"mode": "train", "eps": 1e-5})
        return float((dout * out).sum())

    out, cache = batchnorm.batchnorm_forward(Z, gamma, beta, {"mode": "train", "eps": 1e-5})
    dZ, dgamma, dbeta = batchnorm.batchnorm_backward(dout, cache)
    assert _rel(dZ, _numerical(J, Z)) < 1e-7
    assert _rel(dgamma, _numerical(J, gamma)) < 1e-7
    assert _rel(dbeta, _numerical(J, beta)) < 1e-7


def test_running_statistics_and_eval_mode():
    rng = np.random.default_rng(0)
    n = 3
    gamma, beta = np.ones((n, 1)), np.zeros((n, 1))
    bn_param = {"mode": "train", "momentum": 0.9, "eps": 1e-5}
    mean, var = np.zeros((n, 1)), np.ones((n, 1))
    for _ in range(5):
        Z = rng.normal(5.0, 2.0, size=(n, 16))
        batchnorm.batchnorm_forward(Z, gamma, beta, bn_param)
        mean = 0.9 * mean + 0.1 * Z.mean(axis=1, keepdims=True)
        var = 0.9 * var + 0.1 * Z.var(axis=1, keepdims=True)
    np.testing.assert_allclose(bn_param["running_mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], var, rtol=1e-12)
    # eval mode: the running statistics, not the batch's; running values do not move
    Z = rng.normal(-4.0, 1.0, size=(n, 4))
    before = bn_param["running_mean"].copy()
    out, cache = batchnorm.batchnorm_forward(Z, gamma, beta, dict(bn_param, mode="eval"))
    assert cache is None
    np.testing.assert_allclose(out, (Z - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    np.testing.assert_array_equal(bn_param["running_mean"], before)
    # a single sample in eval mode is fine (no batch statistics); in train mode it is an error
    batchnorm.batchnorm_forward(Z[:, :1], gamma, beta, dict(bn_param, mode="eval"))
    with pytest.raises(ValueError, match="m >= 2"):
        batchnorm.batchnorm_forward(Z[:, :1], gamma, beta, bn_param)
    with pytest.raises(ValueError, match="eval mode"):
        batchnorm.batchnorm_backward(Z, None)


def test_shape_and_mode_errors():
    Z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"gamma: expected shape \(3, 1\), got \(3,\)"):
        batchnorm.batchnorm_forward(Z, np.ones(3), np.zeros((3, 1)), {})
    with pytest.raises(ValueError, match="mode"):
        batchnorm.batchnorm_forward(Z, np.ones((3, 1)), np.zeros((3, 1)), {"mode": "test"})


def _network_cost(X, Y, params, act, out_act, loss):
    AL, _ = network.forward(X, params, act, out_act, backend="numpy", batchnorm=True)
    return network.compute_cost(AL, Y, loss, backend="numpy")


@pytest.mark.parametrize(
    "act, out_act, loss",
    [
        ("tanh", "softmax", "categorical_cross_entropy"),
        ("relu", "sigmoid", "cross_entropy"),
        ("sigmoid", "linear", "mse"),
    ],
)
def test_network_with_batchnorm_gradient_check(act, out_act, loss):
    # ReLU: points drawn away from the kink -- the seeds below give |Z_tilde| > 1e-3 everywhere, asserted
    rng = np.random.default_rng(3)
    dims = [4, 5, 3, 3 if out_act == "softmax" else 1]
    params = network.initialize_parameters(dims, init="xavier", seed=1, batchnorm=True)
    for l in (1, 2):  # non-trivial gamma, beta
        params[f"gamma{l}"] = rng.normal(1.0, 0.3, size=params[f"gamma{l}"].shape)
        params[f"beta{l}"] = rng.normal(0.0, 0.3, size=params[f"beta{l}"].shape)
    m = 6
    X = rng.normal(size=(4, m))
    if out_act == "softmax":
        Y = np.eye(3)[:, rng.integers(0, 3, m)]
    elif out_act == "sigmoid":
        Y = rng.integers(0, 2, size=(1, m)).astype(float)
    else:
        Y = rng.normal(size=(1, m))
    AL, caches = network.forward(X, params, act, out_act, backend="numpy", batchnorm=True)
    if act == "relu":
        assert min(np.abs(c[2]).min() for c in caches[:-1]) > 1e-3
    grads = network.backward(AL, Y, caches, loss, backend="numpy", batchnorm=True)
    for key in params:
        num = _numerical(lambda: _network_cost(X, Y, params, act, out_act, loss), params[key])
        if key.startswith("b") and not key.startswith("beta") and key != f"b{len(dims) - 1}":
            # b[l] before batch norm is cancelled by the mean subtraction: its gradient is exactly 0
            assert np.all(grads["d" + key] == 0) and np.abs(num).max() < 1e-8
            continue
        assert _rel(grads["d" + key], num) < 1e-7, key


def test_network_batchnorm_train_and_eval_and_update():
    rng = np.random.default_rng(0)
    dims = [3, 6, 2]
    params = network.initialize_parameters(dims, seed=0, batchnorm=True)
    assert params["gamma1"].shape == (6, 1) and "gamma2" not in params
    bn_params = batchnorm.init_bn_params(dims)
    assert len(bn_params) == 1
    X = rng.normal(2.0, 3.0, size=(3, 32))
    AL, caches = network.forward(X, params, "relu", "softmax", backend="numpy", batchnorm=True, bn_params=bn_params)
    Z_tilde = caches[0][2]
    np.testing.assert_allclose(Z_tilde.mean(axis=1), 0, atol=1e-10)  # gamma 1, beta 0: normalized
    assert not np.allclose(bn_params[0]["running_mean"], 0)
    Y = np.eye(2)[:, rng.integers(0, 2, 32)]
    grads = network.backward(AL, Y, caches, "categorical_cross_entropy", backend="numpy", batchnorm=True)
    g0 = params["gamma1"].copy()
    network.update_parameters(params, grads, 0.5, backend="numpy")
    np.testing.assert_allclose(params["gamma1"], g0 - 0.5 * grads["dgamma1"])
    # predict with bn_params: eval mode (running statistics), column-independent
    p_all = network.predict(X, params, "relu", "softmax", backend="numpy", bn_params=bn_params)
    p_one = network.predict(X[:, :1], params, "relu", "softmax", backend="numpy", bn_params=bn_params)
    assert p_all[0] == p_one[0]
    with pytest.raises(ValueError, match="gamma1"):
        network.forward(X, network.initialize_parameters(dims), batchnorm=True)


def test_oracle_backward_formula():
    rng = np.random.default_rng(5)
    Z = rng.normal(size=(3, 5))
    gamma = rng.normal(size=(3, 1))
    out, cache = batchnorm.batchnorm_forward(Z, gamma, np.zeros((3, 1)), {"eps": 1e-5}, "numpy")
    Z_hat, _, var, _ = cache
    mu = Z.mean(axis=1, keepdims=True)
    dout = rng.normal(size=(3, 5))
    dZ, dgamma, dbeta = batchnorm.batchnorm_backward(dout, cache, "numpy")
    # the long (staged) form of the same derivative
    x_mu = Z - mu
    inv = 1 / np.sqrt(var + 1e-5)
    dx_hat = dout * gamma
    dvar = (dx_hat * x_mu).sum(axis=1, keepdims=True) * -0.5 * inv**3
    dmu = (-dx_hat * inv).sum(axis=1, keepdims=True) + dvar * (-2 * x_mu).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(dZ, dx_hat * inv + dvar * 2 * x_mu / 5 + dmu / 5, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dbeta, dout.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(dgamma, (dout * Z_hat).sum(axis=1, keepdims=True), rtol=1e-14)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_cpu_backend_batchnorm_equals_the_oracle(dtype, rtol):
    rng = np.random.default_rng(2)
    Z = rng.normal(1.0, 2.0, size=(6, 33)).astype(dtype)
    gamma, beta = rng.normal(size=(6, 1)).astype(dtype), rng.normal(size=(6, 1)).astype(dtype)
    dout = rng.normal(size=(6, 33)).astype(dtype)
    results = {}
    for backend in ("numpy", "cpu"):
        bn_param = {"mode": "train"}
        out, cache = batchnorm.batchnorm_forward(Z, gamma, beta, bn_param, backend)
        grads = batchnorm.batchnorm_backward(dout, cache, backend)
        ev, _ = batchnorm.batchnorm_forward(Z, gamma, beta, dict(bn_param, mode="eval"), backend)
        results[backend] = (out, *grads, ev, bn_param["running_mean"], bn_param["running_var"])
    for a, b in zip(results["numpy"], results["cpu"]):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * np.abs(a).max())
