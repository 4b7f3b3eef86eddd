"""Mini-batch iteration and the optimizers (SGD, momentum, Adam) against their update equations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import network, optim


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 40), b=st.one_of(st.none(), st.integers(1, 50)), seed=st.integers(0, 1000))
def test_minibatches_cover_every_sample_once_and_keep_the_last_partial_batch(m, b, seed):
    X = np.arange(2 * m, dtype=float).reshape(2, m)
    Y = np.arange(m, dtype=float).reshape(1, m)
    batches = list(optim.minibatches(X, Y, b, np.random.default_rng(seed)))
    size = m if b is None else b
    assert [xb.shape[1] for xb, _ in batches] == [min(size, m - s) for s in range(0, m, size)]
    seen = np.concatenate([yb[0] for _, yb in batches])
    assert sorted(seen) == list(range(m))
    for xb, yb in batches:  # columns stay paired
        np.testing.assert_array_equal(xb[0], yb[0])
    again = list(optim.minibatches(X, Y, b, np.random.default_rng(seed)))  # the same seed: the same order
    np.testing.assert_array_equal(np.concatenate([y[0] for _, y in again]), seen)


def test_shuffling_changes_between_epochs_and_needs_a_generator():
    X, Y = np.zeros((1, 50)), np.arange(50.0).reshape(1, 50)
    rng = np.random.default_rng(0)
    e1 = np.concatenate([y[0] for _, y in optim.minibatches(X, Y, 8, rng)])
    e2 = np.concatenate([y[0] for _, y in optim.minibatches(X, Y, 8, rng)])
    assert not np.array_equal(e1, e2)
    in_order = np.concatenate([y[0] for _, y in optim.minibatches(X, Y, 8, shuffle=False)])
    np.testing.assert_array_equal(in_order, np.arange(50))
    with pytest.raises(ValueError, match="rng"):
        list(optim.minibatches(X, Y, 8))
    with pytest.raises(ValueError, match=r"Y: expected shape \(any, 50\), got \(1, 3\)"):
        list(optim.minibatches(X, Y[:, :3], 8, rng))


def _require(backend):
    """Skip (with the reason) when the cpu backend does not import here."""
    if backend == "cpu":
        try:
            import nn_ref.kernels.cpu  # noqa: F401
        except ImportError as exc:
            pytest.skip(f"cpu backend does not import: {exc}")


def _params_grads(seed):
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(3, 2)),
        "b1": rng.normal(size=(3, 1)),
        "W2": rng.normal(size=(1, 3)),
        "b2": rng.normal(size=(1, 1)),
    }
    grads = [{"d" + k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(4)]
    return params, grads


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_sgd_momentum_adam_follow_their_equations(backend):
    _require(backend)
    params, grads = _params_grads(0)
    lr = 0.05
    # SGD
    p = {k: v.copy() for k, v in params.items()}
    for g in grads:
        optim.SGD().step(p, g, lr, backend)
    np.testing.assert_allclose(p["W1"], params["W1"] - lr * sum(g["dW1"] for g in grads), rtol=1e-12)
    # momentum: v <- beta v + (1 - beta) g; theta <- theta - lr v
    p, opt = {k: v.copy() for k, v in params.items()}, optim.Momentum(0.9)
    ref = {k: v.copy() for k, v in params.items()}
    vel = {k: np.zeros_like(v) for k, v in params.items()}
    for g in grads:
        opt.step(p, g, lr, backend)
        for k in ref:
            vel[k] = 0.9 * vel[k] + 0.1 * g["d" + k]
            ref[k] = ref[k] - lr * vel[k]
    for k in ref:
        np.testing.assert_allclose(p[k], ref[k], rtol=1e-12)
    # Adam
    p, opt = {k: v.copy() for k, v in params.items()}, optim.Adam()
    ref = {k: v.copy() for k, v in params.items()}
    m1 = {k: np.zeros_like(v) for k, v in params.items()}
    m2 = {k: np.zeros_like(v) for k, v in params.items()}
    for t, g in enumerate(grads, start=1):
        opt.step(p, g, lr, backend)
        for k in ref:
            m1[k] = 0.9 * m1[k] + 0.1 * g["d" + k]
            m2[k] = 0.999 * m2[k] + 0.001 * g["d" + k] ** 2
            ref[k] = ref[k] - lr * (m1[k] / (1 - 0.9**t)) / (np.sqrt(m2[k] / (1 - 0.999**t)) + 1e-8)
    for k in ref:
        np.testing.assert_allclose(p[k], ref[k], rtol=1e-12)
    assert opt.t == 4


def test_optimizer_state_is_per_parameter_array():
    # two layers with equal shapes and different gradients must keep separate velocities
    W = {"W1": np.zeros((2, 2)), "W2": np.zeros((2, 2))}
    opt = optim.Momentum(0.5)
    opt.step(W, {"dW1": np.ones((2, 2)), "dW2": -np.ones((2, 2))}, 1.0, "numpy")
    opt.step(W, {"dW1": np.zeros((2, 2)), "dW2": np.zeros((2, 2))}, 1.0, "numpy")
    np.testing.assert_allclose(W["W1"], -(0.5 + 0.25))
    np.testing.assert_allclose(W["W2"], +(0.5 + 0.25))
    assert set(opt.v) == {"W1", "W2"}
    adam = optim.Adam()
    adam.step(W, {"dW1": np.ones((2, 2)), "dW2": 3 * np.ones((2, 2))}, 0.1, "numpy")
    assert not np.array_equal(adam.v["W1"], adam.v["W2"])


def test_batch_sgd_and_minibatch_all_descend_on_linear_data():
    from nn_ref import datasets

    X, Y = datasets.linear()
    for b in (None, 1, 20):  # batch GD, SGD, mini-batch
        params = network.initialize_parameters([1, 1], init="zeros")
        rng = np.random.default_rng(0)
        for _epoch in range(30):
            for Xb, Yb in optim.minibatches(X, Y, b, rng):
                AL, caches = network.forward(Xb, params, output_activation="linear", backend="numpy")
                grads = network.backward(AL, Yb, caches, "mse", backend="numpy")
                optim.SGD().step(
                    params, {k: v for k, v in grads.items() if k != "dA0"}, 0.1 if b is None else 0.01, "numpy"
                )
        w, b0 = params["W1"][0, 0], params["b1"][0, 0]
        assert abs(w - 3) < 0.6 and abs(b0 - 4) < 0.6, (b, w, b0)


def test_make_optimizer_errors():
    assert isinstance(optim.make_optimizer("adam", beta1=0.8), optim.Adam)
    with pytest.raises(ValueError, match="optimizer"):
        optim.make_optimizer("rmsprop")
    with pytest.raises(ValueError, match="beta"):
        optim.Momentum(1.0)
