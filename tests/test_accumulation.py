"""Gradient accumulation [Effective Mini-batch]: batch b x multiplier k gives the same parameters as one
batch of b*k (mean-over-batch convention), float64, to rtol 1e-10 after several updates."""

import numpy as np
import pytest

from nn_ref import datasets, optim, train


def _run(batch_size, k, optimizer, X, Y, epochs=3, dims=(10, 16, 8, 1), backend="numpy"):
    tr = train.Trainer(
        list(dims),
        "tanh",
        "sigmoid",
        optimizer=optimizer,
        learning_rate=0.05,
        batch_size=batch_size,
        batch_multiplier=k,
        seed=7,
        backend=backend,
        progress=False,
    )
    h = tr.fit(X, Y, epochs=epochs)
    return tr, h


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_b_times_k_equals_b_k(optimizer):
    X, Y = datasets.ball(m=1000, seed=1)  # 1000 = 3 * 256 + 232: the last group is partial too
    small, hs = _run(32, 8, optimizer, X, Y)
    big, hb = _run(256, 1, optimizer, X, Y)
    assert len(hs["cost"]) == len(hb["cost"]) == 3 * 4  # updates, not mini-batches
    for key in big.parameters:
        np.testing.assert_allclose(small.parameters[key], big.parameters[key], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(hs["cost"], hb["cost"], rtol=1e-10)
    # plain batch 32 (k = 1) is a different run: 8 times the updates, different parameters
    plain, hp = _run(32, 1, optimizer, X, Y)
    assert len(hp["cost"]) == 3 * 32
    assert not np.allclose(plain.parameters["W1"], big.parameters["W1"], rtol=1e-6)


def test_accumulator_weights_by_samples():
    acc = optim.GradientAccumulator(3)
    g = [{"dW1": np.full((2, 2), v), "dA0": np.zeros((2, 5))} for v in (1.0, 2.0, 4.0)]
    sizes = [4, 4, 2]
    for gi, mi in zip(g, sizes):
        acc.add(gi, mi / 10, "numpy")
    assert acc.count == 3
    total = acc.take()
    np.testing.assert_allclose(total["dW1"], (4 * 1 + 4 * 2 + 2 * 4) / 10)
    assert "dA0" not in total
    acc.add(g[0], 1.0, "numpy")  # a new sum starts from zero
    np.testing.assert_allclose(acc.take()["dW1"], 1.0)
    with pytest.raises(ValueError, match="no gradients"):
        acc.take()
    with pytest.raises(ValueError, match="batch_multiplier"):
        optim.GradientAccumulator(0)
