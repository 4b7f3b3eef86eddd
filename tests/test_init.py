"""Initializers: the slides' standard deviations, shapes, zero biases, seeding."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import init, network


@pytest.mark.parametrize(
    "name, n_out, n_in, expected_std",
    [
        ("he", 600, 800, math.sqrt(2 / 800)),
        ("he", 1000, 50, math.sqrt(2 / 50)),
        ("xavier", 600, 800, math.sqrt(2 / (800 + 600))),
        ("xavier", 1000, 50, math.sqrt(2 / (50 + 1000))),
    ],
)
def test_he_xavier_std_of_large_draws_within_2_percent(name, n_out, n_in, expected_std):
    W = network.initialize_parameters([n_in, n_out], init=name, seed=1)["W1"]
    assert W.shape == (n_out, n_in)
    assert abs(W.std() / expected_std - 1) < 0.02
    assert abs(W.mean()) < 3 * expected_std / math.sqrt(W.size)  # zero mean (3 standard errors)


def test_normal_sigma_and_zeros():
    W = network.initialize_parameters([500, 400], init="normal", sigma=0.05, seed=2)["W1"]
    assert abs(W.std() / 0.05 - 1) < 0.02
    P = network.initialize_parameters([3, 4, 2], init="zeros")
    assert all(np.all(P[k] == 0) for k in P)


def test_glorot_is_xavier():
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(init.init_weights("glorot", 4, 3, rng1), init.init_weights("xavier", 4, 3, rng2))


@settings(max_examples=20, deadline=None)
@given(
    layer_dims=st.lists(st.integers(1, 8), min_size=2, max_size=5),
    name=st.sampled_from(init.INITIALIZERS),
    seed=st.integers(0, 2**32 - 1),
)
def test_shapes_keys_zero_biases_and_seeding(layer_dims, name, seed):
    P = network.initialize_parameters(layer_dims, init=name, seed=seed)
    L = len(layer_dims) - 1
    assert sorted(P) == sorted([f"W{l}" for l in range(1, L + 1)] + [f"b{l}" for l in range(1, L + 1)])
    for l in range(1, L + 1):
        assert P[f"W{l}"].shape == (layer_dims[l], layer_dims[l - 1]) and P[f"W{l}"].dtype == np.float64
        assert P[f"b{l}"].shape == (layer_dims[l], 1) and np.all(P[f"b{l}"] == 0)
    Q = network.initialize_parameters(layer_dims, init=name, seed=seed)
    assert all(np.array_equal(P[k], Q[k]) for k in P)


def test_different_seeds_differ_and_dtype_is_honoured():
    a = network.initialize_parameters([5, 4], seed=0)["W1"]
    b = network.initialize_parameters([5, 4], seed=1)["W1"]
    assert not np.array_equal(a, b)
    P = network.initialize_parameters([5, 4, 1], seed=0, dtype=np.float32)
    assert all(P[k].dtype == np.float32 for k in P)


def test_bad_arguments():
    with pytest.raises(ValueError, match="init: expected one of"):
        network.initialize_parameters([3, 2], init="uniform")
    with pytest.raises(ValueError, match="layer_dims"):
        network.initialize_parameters([3])
    with pytest.raises(ValueError, match="layer_dims"):
        network.initialize_parameters([3, 0, 1])
