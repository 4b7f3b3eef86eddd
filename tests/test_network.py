"""The network: gradients against central differences over drawn architectures, shapes,
shape errors, stability, the update rule, and a training smoke test."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nn_ref import network as nw
from nn_ref.gradcheck import KinkCrossingWarning, check_network, gradient_check

seeds = st.integers(0, 2**32 - 1)
layer_dims_st = st.lists(st.integers(1, 8), min_size=2, max_size=5)  # 1-4 layers of 1-8 units


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 8), n_prev=st.integers(1, 8), m=st.integers(1, 16), seed=seeds)
def test_linear_backward_matches_central_differences(n, n_prev, m, seed):
    """J = (1/m) sum G * Z with Z = W A_prev + b, so dZ (m times dJ/dZ) = G."""
    rng = np.random.default_rng(seed)
    A_prev, W, b, G = (rng.standard_normal(s) for s in ((n_prev, m), (n, n_prev), (n, 1), (n, m)))
    Z, cache = nw.linear_forward(A_prev, W, b)
    assert Z.shape == (n, m) and cache[0] is A_prev and cache[1] is W and cache[2] is b
    dA_prev, dW, db = nw.linear_backward(G, cache)
    assert (dA_prev.shape, dW.shape, db.shape) == ((n_prev, m), (n, n_prev), (n, 1))
    J = lambda P: float((G * nw.linear_forward(P["A_prev"], P["W"], P["b"])[0]).sum() / m)
    report = gradient_check(J, {"A_prev": A_prev, "W": W, "b": b}, {"A_prev": dA_prev / m, "W": dW, "b": db})
    assert report.passed, str(report)


def _check(layer_dims, output, loss, m, seed, hidden):
    """check_network, rejecting draws where a perturbation crosses a ReLU (or L1) kink: the
    points are drawn away from the kink, as the finite difference is not a derivative there."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", KinkCrossingWarning)
        report = check_network(layer_dims, output, loss, m=m, seed=seed, hidden_activation=hidden)
    assume(not any(issubclass(w.category, KinkCrossingWarning) for w in caught))
    # Resolution: J is rounded to ~1e-16 |J| and the stencil divides by eps, so an array whose
    # gradient is below ~1e-4 |J| (vanishing through saturated or 1-unit layers) would measure
    # rounding, not backprop, with a relative difference. Such draws are rejected; a bug that
    # zeroes an analytic gradient is still caught, as the numeric norm then stays large.
    floor = 1e-4 * max(1.0, abs(report.cost))
    assume(all(max(r.norm_analytic, r.norm_numeric) >= floor for r in report.rows))
    assert report.passed, str(report)
    names = [r.name for r in report.rows]
    L = len(layer_dims) - 1
    assert names == [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"] + ["X"]
    assert all(r.checked == r.size for r in report.rows)


hidden_st = st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"])


@settings(max_examples=25, deadline=None)
@given(layer_dims=layer_dims_st, m=st.integers(1, 16), seed=seeds, hidden=hidden_st)
def test_backward_sigmoid_cross_entropy(layer_dims, m, seed, hidden):
    _check(layer_dims, "sigmoid", "cross_entropy", m, seed, hidden)


@settings(max_examples=25, deadline=None)
@given(layer_dims=layer_dims_st, n_classes=st.integers(2, 8), m=st.integers(1, 16), seed=seeds, hidden=hidden_st)
def test_backward_softmax_categorical_cross_entropy(layer_dims, n_classes, m, seed, hidden):
    _check(layer_dims[:-1] + [n_classes], "softmax", "categorical_cross_entropy", m, seed, hidden)


@settings(max_examples=20, deadline=None)
@given(layer_dims=layer_dims_st, m=st.integers(1, 16), seed=seeds, hidden=hidden_st)
def test_backward_linear_mse(layer_dims, m, seed, hidden):
    _check(layer_dims, "linear", "mse", m, seed, hidden)


@settings(max_examples=20, deadline=None)
@given(layer_dims=layer_dims_st, k=st.integers(0, 7), seed=seeds, hidden=hidden_st)
def test_backward_linear_l1(layer_dims, k, seed, hidden):
    # odd m: the output bias's gradient (1/m) sum sign(AL - Y) is then never exactly 0, where a
    # relative difference would measure rounding noise only; the kink AL = Y is watched like ReLU's
    _check(layer_dims, "linear", "l1", 2 * k + 1, seed, hidden)


@settings(max_examples=10, deadline=None)
@given(
    layer_dims=layer_dims_st,
    m=st.integers(1, 16),
    seed=seeds,
    pair=st.sampled_from([("sigmoid", "mse"), ("sigmoid", "l1"), ("softmax", "mse"), ("linear", "cross_entropy")]),
)
def test_backward_mixed_output_and_loss(layer_dims, m, seed, pair):
    """Output/loss pairs without the collapsed dZ = AL - Y: dA[L] = m dJ/dAL through g'(Z[L])."""
    output, loss = pair
    if output == "softmax":
        layer_dims = layer_dims[:-1] + [max(2, layer_dims[-1])]
    if loss == "l1":
        m = m | 1
    if loss == "cross_entropy":  # a linear output must stay inside (0, 1) for BCE
        return _check_linear_bce(layer_dims, m, seed)
    _check(layer_dims, output, loss, m, seed, "tanh")


def _check_linear_bce(layer_dims, m, seed):
    rng = np.random.default_rng(seed)
    P = nw.initialize_parameters(layer_dims, seed=seed)
    L = len(layer_dims) - 1
    P[f"W{L}"] *= 0.05
    P[f"b{L}"][:] = 0.5  # AL = 0.5 + small: inside (0, 1)
    X = rng.standard_normal((layer_dims[0], m))
    Y = (rng.random((layer_dims[-1], m)) < 0.5).astype(float)
    AL, caches = nw.forward(X, P, "tanh", "linear")
    assert np.all((AL > 0.05) & (AL < 0.95))
    grads = nw.backward(AL, Y, caches, "cross_entropy")
    f = lambda Q: nw.compute_cost(nw.forward(X, Q, "tanh", "linear")[0], Y, "cross_entropy")
    report = gradient_check(f, P, grads, eps=1e-4, order=4)
    assert report.passed, str(report)


def test_spec_default_two_point_eps_1e_6_on_the_cli_net():
    report = check_network([4, 5, 3, 1], eps=1e-6, order=2)
    assert report.passed, str(report)


@settings(max_examples=15, deadline=None)
@given(
    layer_dims=layer_dims_st,
    m=st.integers(1, 16),
    seed=seeds,
    output=st.sampled_from(["sigmoid", "softmax", "linear"]),
    hidden=hidden_st,
)
def test_shapes_of_every_cache_and_gradient(layer_dims, m, seed, output, hidden):
    if output == "softmax":
        layer_dims = layer_dims[:-1] + [max(2, layer_dims[-1])]
    rng = np.random.default_rng(seed)
    P = nw.initialize_parameters(layer_dims, seed=seed)
    X = rng.standard_normal((layer_dims[0], m))
    AL, caches = nw.forward(X, P, hidden, output)
    L = len(layer_dims) - 1
    assert AL.shape == (layer_dims[-1], m) and len(caches) == L
    for l, ((A_prev, W, b), Z, A, g, _alpha) in enumerate(caches, start=1):
        assert A_prev.shape == (layer_dims[l - 1], m)
        assert W.shape == (layer_dims[l], layer_dims[l - 1]) and b.shape == (layer_dims[l], 1)
        assert Z.shape == A.shape == (layer_dims[l], m)
        assert g == (output if l == L else hidden)
    np.testing.assert_array_equal(caches[0][0][0], X)
    np.testing.assert_array_equal(caches[-1][2], AL)
    Y = (
        np.eye(layer_dims[-1])[:, rng.integers(0, layer_dims[-1], m)]
        if output == "softmax"
        else (rng.random((layer_dims[-1], m)) < 0.5).astype(float)
    )
    loss = {"sigmoid": "cross_entropy", "softmax": "categorical_cross_entropy", "linear": "mse"}[output]
    grads = nw.backward(AL, Y, caches, loss)
    expected = [f"d{p}{l}" for l in range(1, L + 1) for p in ("W", "b", "Z")] + [f"dA{l}" for l in range(L)]
    if (output, loss) == ("linear", "mse"):
        expected.append(f"dA{L}")  # no collapse: dA[L] = m dJ/dAL is computed and kept
    assert sorted(grads) == sorted(expected)
    for l in range(1, L + 1):
        assert grads[f"dW{l}"].shape == P[f"W{l}"].shape and grads[f"db{l}"].shape == P[f"b{l}"].shape
    assert grads["dA0"].shape == X.shape


@pytest.fixture
def net():
    P = nw.initialize_parameters([3, 4, 1], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 5))
    return P, X


def test_wrong_shaped_X_W_b_Y_raise_with_both_shapes(net):
    P, X = net
    with pytest.raises(ValueError, match=r"X: expected shape \(3, any\), got \(4, 5\)"):
        nw.forward(np.zeros((4, 5)), P)
    with pytest.raises(ValueError, match=r"X: expected shape \(3, any\), got \(5,\)"):
        nw.forward(np.zeros(5), P)
    with pytest.raises(ValueError, match=r"A_prev: expected shape \(3, any\), got \(2, 5\)"):
        nw.linear_forward(np.zeros((2, 5)), P["W1"], P["b1"])
    with pytest.raises(ValueError, match=r"b: expected shape \(4, 1\), got \(4,\)"):
        nw.linear_forward(X, P["W1"], np.zeros(4))
    with pytest.raises(ValueError, match=r"b: expected shape \(4, 1\), got \(1, 4\)"):
        nw.linear_forward(X, P["W1"], np.zeros((1, 4)))
    bad = dict(P, W2=np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"W2: expected shape \(any, 4\), got \(1, 3\) \(declared \(n2, n1\)\)"):
        nw.forward(X, bad)
    AL, caches = nw.forward(X, P)
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 5\), got \(5,\)"):
        nw.compute_cost(AL, np.ones(5))
    with pytest.raises(ValueError, match=r"Y: expected shape \(1, 5\), got \(5,\)"):
        nw.backward(AL, np.ones(5), caches)
    with pytest.raises(ValueError, match=r"dZ: expected shape \(4, 5\), got \(4, 4\)"):
        nw.linear_backward(np.zeros((4, 4)), caches[0][0])
    grads = nw.backward(AL, np.ones((1, 5)), caches)
    with pytest.raises(ValueError, match=r"dW1: expected shape \(4, 3\), got \(3, 4\)"):
        nw.update_parameters(P, dict(grads, dW1=grads["dW1"].T), 0.1)
    with pytest.raises(ValueError, match="output_activation"):
        nw.forward(X, P, output_activation="relu")


def test_update_parameters_is_W_minus_alpha_dW(net):
    P, X = net
    before = {k: v.copy() for k, v in P.items()}
    AL, caches = nw.forward(X, P)
    grads = nw.backward(AL, np.ones((1, 5)), caches)
    out = nw.update_parameters(P, grads, 0.3)
    assert out is P
    for k in before:
        np.testing.assert_array_equal(P[k], before[k] - 0.3 * grads["d" + k])


def test_stable_at_Z_1000_without_warnings():
    """|Z[L]| = 1000 at the output: cost finite, gradients finite, no RuntimeWarning (warnings are errors)."""
    X = np.array([[1.0, -1.0, 1.0, -1.0]])
    P = {"W1": np.array([[1000.0]]), "b1": np.zeros((1, 1))}
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    AL, caches = nw.forward(X, P)
    np.testing.assert_array_equal(caches[0][1], [[1000.0, -1000.0, 1000.0, -1000.0]])
    J = nw.compute_cost(AL, Y)
    assert np.isfinite(J) and J > 300
    grads = nw.backward(AL, Y, caches)
    np.testing.assert_array_equal(grads["db1"], [[0.5 * (0 + 0 + 1 - 1)]])
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    P2 = {"W1": np.array([[1000.0], [-1000.0]]), "b1": np.zeros((2, 1))}
    Y2 = np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    AL2, caches2 = nw.forward(X, P2, output_activation="softmax")
    assert np.isfinite(nw.compute_cost(AL2, Y2, "categorical_cross_entropy"))
    assert all(np.all(np.isfinite(g)) for g in nw.backward(AL2, Y2, caches2, "categorical_cross_entropy").values())
    AL3, caches3 = nw.forward(X, P2, hidden_activation="tanh", output_activation="linear")
    assert np.isfinite(nw.compute_cost(AL3, Y2, "mse"))


def test_predict_and_accuracy(net):
    P, X = net
    AL, _ = nw.forward(X, P)
    pred = nw.predict(X, P)
    np.testing.assert_array_equal(pred, (AL > 0.5).astype(int))
    assert nw.accuracy(X, pred, P) == 1.0
    assert nw.accuracy(X, 1 - pred, P) == 0.0


def _two_moons(m, noise, seed):
    """Two interleaved half circles (labels 0 and 1), X (2, m), Y (1, m), standardized."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, m)
    y = rng.integers(0, 2, m)
    X = np.vstack(
        [np.where(y == 0, np.cos(t), 1 - np.cos(t)), np.where(y == 0, np.sin(t), 0.5 - np.sin(t))]
    ) + noise * rng.standard_normal((2, m))
    X = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    return X, y.reshape(1, m).astype(float)


def test_training_smoke_two_moons_2_16_16_1():
    X, Y = _two_moons(400, 0.2, seed=0)
    P = nw.initialize_parameters([2, 16, 16, 1], init="he", seed=0)
    acc0 = nw.accuracy(X, Y, P)
    costs = []
    for step in range(3000):
        AL, caches = nw.forward(X, P)
        costs.append(nw.compute_cost(AL, Y))
        nw.update_parameters(P, nw.backward(AL, Y, caches), learning_rate=0.3)
        if step % 25 == 0 and nw.accuracy(X, Y, P) >= 0.95:
            break
    acc = nw.accuracy(X, Y, P)
    assert acc >= 0.95 and acc > acc0, (step, acc)
    assert step < 2999 and costs[-1] < 0.5 * costs[0]
