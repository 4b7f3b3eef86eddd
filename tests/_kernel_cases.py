"""Shared checks: a backend's ops against the NumPy oracle (``tests/_oracle.py``: the NumPy bodies of nn_ref
shaped like a backend). Used by test_parity.py (every backend), test_kernels_cpu.py and tests/cuda/.

Tolerances (the project's rule): float64 1e-10, float32 1e-5, relative, in the 2-norm over the
whole array (so a sum that cancels is judged against the size of its result, not of one entry).
"""

import _oracle
import numpy as np
from hypothesis import strategies as st

from nn_ref import network
from nn_ref.kernels import StepConfig, get_backend, pack_parameters, parameter_views
from nn_ref.kernels.contract import HIDDEN_ACTIVATIONS, LOSSES

TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
DTYPES = (np.float64, np.float32)
ACTIVATIONS = HIDDEN_ACTIVATIONS  # the elementwise ones (softmax is per column)
ORACLE = _oracle

# sizes that are not multiples of a tile (1, 15, 17, 33) next to small ones
SIZES = st.sampled_from([1, 2, 15, 17, 33])


def host(x):
    return x.copy_to_host() if hasattr(x, "copy_to_host") else np.asarray(x)


def assert_same(actual, expected, what="", ref_norm=None):
    """``ref_norm``: judge the error against this norm instead of |expected| -- for results that
    are a cancellation of larger terms (batch-norm's dZ is exactly 0 at m = 2), whose rounding
    error is relative to the terms, not to the result."""
    a, e = host(actual), np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != oracle {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype} != oracle {e.dtype}"
    tol = TOL[e.dtype]
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    s = max(float(np.abs(e64).max(initial=0.0)), 1e-300)  # scale first: 1/tiny entries must not overflow the norm
    err = s * float(np.linalg.norm(((a64 - e64) / s).ravel()))
    ref = s * float(np.linalg.norm((e64 / s).ravel())) if ref_norm is None else ref_norm
    assert err <= tol * max(ref, np.finfo(e.dtype).tiny), f"{what}: |a - e| = {err:.3e}, |e| = {ref:.3e}, tol {tol}"


def _norm(x):
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64).ravel()))


def assert_same_float(actual, expected, dtype, what=""):
    assert isinstance(actual, float), f"{what}: expected a Python float, got {type(actual).__name__}"
    tol = TOL[np.dtype(dtype)]
    assert abs(actual - expected) <= tol * max(abs(expected), 1e-300), f"{what}: {actual!r} != oracle {expected!r}"


def draw_arrays(seed, dtype, *shapes, scale=3.0):
    rng = np.random.default_rng(seed)
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


def probabilities(seed, dtype, shape, edges=True):
    """AL in (0, 1), with exact 0 and 1 entries when ``edges`` (the log(tiny) clamp), and 0/1 labels."""
    rng = np.random.default_rng(seed)
    AL = rng.uniform(0.01, 0.99, shape)
    if edges and AL.size >= 4:
        AL.flat[0], AL.flat[-1] = 0.0, 1.0
    Y = (rng.random(shape) > 0.5).astype(float)
    return AL.astype(dtype), Y.astype(dtype)


# ----------------------------------------------------------------------------- per-op checks
def check_linear_forward(B, n, n_prev, m, activation, dtype, seed):
    A_prev, W, b = draw_arrays(seed, dtype, (n_prev, m), (n, n_prev), (n, 1), scale=1.0)
    Z0, A0 = ORACLE.linear_forward(A_prev, W, b, activation, 0.05)
    Z1, A1 = B.linear_forward(B.to_device(A_prev), B.to_device(W), B.to_device(b), activation, 0.05)
    # Z = W A_prev + b is a sum that can cancel: judge it against |W| |A_prev| + |b|, the size of its terms
    terms = _norm(np.abs(W.astype(np.float64)) @ np.abs(A_prev.astype(np.float64)) + np.abs(b.astype(np.float64)))
    assert_same(Z1, Z0, f"Z ({activation})", ref_norm=terms)
    # g changes size by at most 1 (relu, tanh, sigmoid' <= 1): the same bound holds for A, plus |A| itself
    assert_same(A1, A0, f"A ({activation})", ref_norm=terms + _norm(A0))


def check_linear_backward(B, n, n_prev, m, dtype, seed):
    dZ, A_prev, W = draw_arrays(seed, dtype, (n, m), (n_prev, m), (n, n_prev), scale=1.0)
    expected = ORACLE.linear_backward(dZ, A_prev, W)
    actual = B.linear_backward(B.to_device(dZ), B.to_device(A_prev), B.to_device(W))
    aZ, aA, aW = (np.abs(x.astype(np.float64)) for x in (dZ, A_prev, W))
    terms = {"dA_prev": _norm(aW.T @ aZ), "dW": _norm(aZ @ aA.T) / m, "db": _norm(aZ.sum(axis=1)) / m}
    for a, e, what in zip(actual, expected, ("dA_prev", "dW", "db")):
        assert_same(a, e, what, ref_norm=terms[what])


def check_activations(B, n, m, dtype, seed):
    Z, dA = draw_arrays(seed, dtype, (n, m), (n, m))
    dZ_, dA_ = B.to_device(Z), B.to_device(dA)
    for g in ACTIVATIONS:
        assert_same(B.activation_forward(dZ_, g, 0.05), ORACLE.activation_forward(Z, g, 0.05), f"g={g}")
        # g'(Z) of tanh and sigmoid cancels (1 - t^2, s (1 - s)) where |Z| is large: judge against |dA| / 4
        assert_same(
            B.activation_backward(dA_, dZ_, g, 0.05),
            ORACLE.activation_backward(dA, Z, g, 0.05),
            f"g'={g}",
            ref_norm=0.25 * float(np.linalg.norm(dA.astype(np.float64))),
        )
    A = ORACLE.softmax(Z)
    assert_same(B.softmax(dZ_), A, "softmax")
    # dZ = A (dA - s) cancels where A is near one-hot: judge against the size of its terms
    A64, dA64 = A.astype(np.float64), dA.astype(np.float64)
    terms = float(np.linalg.norm(A64 * (np.abs(dA64) + np.abs((dA64 * A64).sum(axis=0)))))
    assert_same(
        B.softmax_backward(dA_, B.to_device(A)), ORACLE.softmax_backward(dA, A), "softmax_backward", ref_norm=terms
    )
    assert_same(
        B.sum_over_samples(dA_),
        ORACLE.sum_over_samples(dA),
        "sum_over_samples",
        ref_norm=_norm(np.abs(dA.astype(np.float64)).sum(axis=1)),
    )


def check_costs(B, n, m, dtype, seed):
    AL, Y = probabilities(seed, dtype, (n, m))
    dAL, dY = B.to_device(AL), B.to_device(Y)
    for loss in LOSSES:
        assert_same_float(B.cost(dAL, dY, loss), ORACLE.cost(AL, Y, loss), dtype, loss)
        assert_same(B.cost_gradient(dAL, dY, loss), ORACLE.cost_gradient(AL, Y, loss), f"d{loss}")
    assert_same(B.output_delta(dAL, dY), ORACLE.output_delta(AL, Y), "output_delta")


def check_update(B, n, m, dtype, seed):
    P, G = draw_arrays(seed, dtype, (n, m), (n, m))
    expected = ORACLE.update(P.copy(), G, 0.37)
    param = B.to_device(P.copy())
    out = B.update(param, B.to_device(G), 0.37)
    assert out is param  # in place, the same array returned
    assert_same(param, expected, "update")


def check_in_place(B, n, m, dtype, seed):
    """update, axpby, fill and adam_update: in place (the same array returned), equal to the oracle."""
    check_update(B, n, m, dtype, seed)
    X, Y, M, V = draw_arrays(seed + 1, dtype, (n, m), (n, m), (n, m), (n, m))
    V = np.abs(V)  # Adam's second moment is >= 0
    y = B.to_device(Y.copy())
    assert B.axpby(0.3, B.to_device(X), 0.9, y) is y
    assert_same(y, ORACLE.axpby(0.3, X, 0.9, Y.copy()), "axpby", ref_norm=_norm(0.3 * np.abs(X) + 0.9 * np.abs(Y)))
    assert B.fill(y, -1.5) is y
    assert_same(y, np.full((n, m), -1.5, dtype), "fill")
    for t in (1, 7):
        p, mm, vv = (B.to_device(a.copy()) for a in (Y, M, V))
        e = [a.copy() for a in (Y, M, V)]
        assert B.adam_update(p, B.to_device(X), mm, vv, 0.01, 0.9, 0.999, 1e-8, t) is p
        ORACLE.adam_update(e[0], X, e[1], e[2], 0.01, 0.9, 0.999, 1e-8, t)
        for a, x, what in zip((p, mm, vv), e, ("param", "m", "v")):
            assert_same(a, x, f"adam_update {what} (t={t})")


def check_memory(B, n, m, dtype, seed):
    """to_device / to_host round trip exactly; is_device tells the backend's arrays; empty has shape and dtype."""
    (X,) = draw_arrays(seed, dtype, (n, m))
    d = B.to_device(X)
    assert B.is_device(d)
    h = B.to_host(d)
    assert isinstance(h, np.ndarray) and h.dtype == X.dtype
    np.testing.assert_array_equal(h, X)
    e = B.empty((n, m), dtype)
    assert B.is_device(e) and tuple(e.shape) == (n, m) and e.dtype == np.dtype(dtype)
    assert B.synchronize() is None


def check_batchnorm(B, n, m, dtype, seed):
    Z, gamma, beta, dout = draw_arrays(seed, dtype, (n, m), (n, 1), (n, 1), (n, m))
    eps = 1e-5
    exp = ORACLE.batchnorm_forward(Z, gamma, beta, eps)
    act = B.batchnorm_forward(B.to_device(Z), B.to_device(gamma), B.to_device(beta), eps)
    # mu is a sum that can cancel: judge it against the mean of |Z|, the size of its terms
    mu_terms = float(np.linalg.norm(np.abs(Z.astype(np.float64)).mean(axis=1)))
    for a, e, what in zip(act, exp, ("out", "Z_hat", "mu", "var")):
        assert_same(a, e, f"batchnorm_forward {what}", ref_norm=mu_terms if what == "mu" else None)
    _, Z_hat, _, var = exp
    expb = ORACLE.batchnorm_backward(dout, Z_hat, gamma, var, eps)
    actb = B.batchnorm_backward(B.to_device(dout), B.to_device(Z_hat), B.to_device(gamma), B.to_device(var), eps)
    terms = float(np.linalg.norm((gamma / np.sqrt(var + eps)).astype(np.float64) * np.abs(dout)))
    # dgamma and dbeta are sums over the m samples that can cancel too: judge them against their terms
    d64, zh64 = np.abs(dout.astype(np.float64)), np.abs(Z_hat.astype(np.float64))
    sum_terms = {
        "dZ": terms,
        "dgamma": float(np.linalg.norm((d64 * zh64).sum(axis=1))),
        "dbeta": float(np.linalg.norm(d64.sum(axis=1))),
    }
    for a, e, what in zip(actb, expb, ("dZ", "dgamma", "dbeta")):
        assert_same(a, e, f"batchnorm_backward {what}", ref_norm=sum_terms[what])
    rm, rv = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True) + np.asarray(0.5, dtype)
    assert_same(
        B.batchnorm_eval(B.to_device(Z), B.to_device(gamma), B.to_device(beta), B.to_device(rm), B.to_device(rv), eps),
        ORACLE.batchnorm_eval(Z, gamma, beta, rm, rv, eps),
        "batchnorm_eval",
    )


# ----------------------------------------------------------------------------- training
TRAIN_CONFIGS = [  # (hidden, output, loss): collapsed output deltas, and the general chain rule
    ("relu", "sigmoid", "cross_entropy"),
    ("tanh", "softmax", "categorical_cross_entropy"),
    ("leaky_relu", "linear", "mse"),
    ("sigmoid", "softmax", "mse"),
]


def train_data(layer_dims, m, output, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((layer_dims[0], m))
    if output == "softmax":
        Y = np.eye(layer_dims[-1])[:, rng.integers(0, layer_dims[-1], m)]
    elif output == "sigmoid":
        Y = (rng.random((layer_dims[-1], m)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((layer_dims[-1], m))
    params = network.initialize_parameters(layer_dims, init="xavier", seed=seed)
    return X, Y, params


def _on(backend):
    """(to_device, the backend= argument for nn_ref) for "numpy" (the NumPy bodies) or a kernels backend."""
    if backend == "numpy":
        return np.asarray, "numpy"
    B = get_backend(backend)
    return B.to_device, B


def train_layers(backend, layer_dims, m, config, steps=5, lr=0.1):
    """``steps`` steps through nn_ref.network's per-layer API; returns (host parameters, costs)."""
    hidden, output, loss = config
    to_device, B = _on(backend)
    X, Y, params = train_data(layer_dims, m, output)
    params = {k: to_device(v) for k, v in params.items()}
    Xd, Yd = to_device(X), to_device(Y)
    costs = []
    for _ in range(steps):
        AL, caches = network.forward(Xd, params, hidden, output, backend=B)
        costs.append(network.compute_cost(AL, Yd, loss, backend=B))
        grads = network.backward(AL, Yd, caches, loss, backend=B)
        network.update_parameters(params, grads, lr, backend=B)
    return {k: host(v) for k, v in params.items()}, costs


def train_fused(backend, layer_dims, m, config, steps=5, lr=0.1, optimizer="sgd", dtype=np.float64):
    """``steps`` fused ``train_step`` calls with ``optimizer`` (its state zeros, Adam's t = 1, 2, ...);
    returns (host parameters, costs). backend "numpy" is the oracle."""
    hidden, output, loss = config
    B = ORACLE if backend == "numpy" else get_backend(backend)
    X, Y, params = train_data(layer_dims, m, output)
    theta, dims = pack_parameters(params, dtype)
    theta_d, Xd, Yd = B.to_device(theta), B.to_device(X.astype(dtype)), B.to_device(Y.astype(dtype))
    state = {"sgd": None, "momentum": 1, "adam": 2}[optimizer]
    if state is not None:
        state = tuple(B.to_device(np.zeros_like(theta)) for _ in range(state))
    config = StepConfig(dims, hidden, output, loss, lr, optimizer=optimizer)
    costs = [B.train_step(Xd, Yd, theta_d, config, state, t) for t in range(1, steps + 1)]
    return {k: host(v) for k, v in parameter_views(host(theta_d), dims).items()}, costs


def assert_same_training(result, expected, what):
    (p1, c1), (p0, c0) = result, expected
    assert set(p1) == set(p0)
    for k in p0:
        assert_same(p1[k], p0[k], f"{what}: {k}")
    for a, e in zip(c1, c0):
        assert_same_float(a, e, p0["W1"].dtype, f"{what}: cost")
    # the parameters moved: the comparison is not between two untouched initialisations
    dims = [p0["W1"].shape[1]] + [p0[f"W{l}"].shape[0] for l in range(1, len(p0) // 2 + 1)]
    init = network.initialize_parameters(dims, init="xavier", seed=0)
    assert all(not np.allclose(p0[f"W{l}"], init[f"W{l}"]) for l in range(1, len(dims)))
