"""The numba CPU backend equals the NumPy oracle, op by op (float64 1e-10, float32 1e-5),
on hypothesis-drawn shapes that include sizes off any tile or vector width (1, 15, 17, 33)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import _kernel_cases as kc
from nn_ref.kernels import get_backend, pack_parameters, parameter_views

CPU = get_backend("cpu")
DTYPE = st.sampled_from(kc.DTYPES)
SEED = st.integers(0, 2**31 - 1)
EXAMPLES = settings(max_examples=20, deadline=None)


@EXAMPLES
@given(kc.SIZES, kc.SIZES, kc.SIZES, st.sampled_from(kc.ACTIVATIONS + ("softmax",)), DTYPE, SEED)
def test_linear_forward(n, n_prev, m, activation, dtype, seed):
    kc.check_linear_forward(CPU, n, n_prev, m, activation, dtype, seed)


@EXAMPLES
@given(kc.SIZES, kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_linear_backward(n, n_prev, m, dtype, seed):
    kc.check_linear_backward(CPU, n, n_prev, m, dtype, seed)


@pytest.mark.parametrize("dtype", kc.DTYPES)
@pytest.mark.parametrize("n, n_prev, m", [(3, 4, 5), (40, 70, 65), (33, 33, 33)])
def test_linear_both_product_paths(n, n_prev, m, dtype):
    """(3, 4, 5) runs the fused loops, (40, 70, 65) and (33, 33, 33) BLAS (n n_prev m >= BLAS_MIN_WORK)."""
    assert 3 * 4 * 5 < CPU.BLAS_MIN_WORK <= 33 * 33 * 33
    for g in kc.ACTIVATIONS + ("softmax",):
        kc.check_linear_forward(CPU, n, n_prev, m, g, dtype, seed=n)
    kc.check_linear_backward(CPU, n, n_prev, m, dtype, seed=m)


@EXAMPLES
@given(kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_activations_softmax_row_sums(n, m, dtype, seed):
    kc.check_activations(CPU, n, m, dtype, seed)


@EXAMPLES
@given(kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_costs_and_gradients(n, m, dtype, seed):
    kc.check_costs(CPU, n, m, dtype, seed)


@EXAMPLES
@given(kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_update_in_place(n, m, dtype, seed):
    kc.check_update(CPU, n, m, dtype, seed)


@EXAMPLES
@given(kc.SIZES, st.sampled_from([2, 15, 17, 33]), DTYPE, SEED)
def test_batchnorm(n, m, dtype, seed):
    kc.check_batchnorm(CPU, n, m, dtype, seed)


def test_parallel_paths():
    """Arrays of >= PARALLEL_MIN_WORK elements take the prange kernels (epilogue, activation
    backward, update): still equal to the oracle."""
    n = 2048
    assert n * n >= get_backend("cpu").PARALLEL_MIN_WORK
    Z, dA = kc.draw_arrays(1, np.float64, (n, n), (n, n))
    for g in ("sigmoid", "leaky_relu"):
        kc.assert_same(CPU.activation_forward(Z, g, 0.05), kc.ORACLE.activation_forward(Z, g, 0.05), g)
        kc.assert_same(CPU.activation_backward(dA, Z, g, 0.05), kc.ORACLE.activation_backward(dA, Z, g, 0.05), g)
    kc.check_update(CPU, n, n, np.float64, 2)
    kc.check_linear_forward(CPU, n, 3, n, "tanh", np.float32, 3)


def test_unknown_activation_and_loss_are_errors():
    Z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        CPU.activation_forward(Z, "swish")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        CPU.cost_gradient(Z, Z, "hinge")


def test_update_needs_a_writeable_contiguous_param():
    P = np.ones((4, 3))
    with pytest.raises(ValueError, match="C-contiguous"):
        CPU.update(P.T, np.ones((3, 4)), 0.1)


@pytest.mark.parametrize("config", kc.TRAIN_CONFIGS)
@pytest.mark.parametrize("dtype", kc.DTYPES)
def test_train_step_equals_oracle(config, dtype):
    """The fused step (one njit call) equals the oracle's step, also in float32, for a 3-layer net."""
    hidden, output, loss = config
    X, Y, params = kc.train_data([6, 17, 15, 3], 33, output, seed=3)
    theta, dims = pack_parameters(params, dtype)
    t0, t1 = theta.copy(), theta.copy()
    for _ in range(3):
        c0 = kc.ORACLE.train_step(X.astype(dtype), Y.astype(dtype), t0, dims, hidden, output, loss, 0.1)
        c1 = CPU.train_step(X.astype(dtype), Y.astype(dtype), t1, dims, hidden, output, loss, 0.1)
        kc.assert_same_float(c1, c0, dtype, "cost")
    for k, v in parameter_views(t0, dims).items():
        kc.assert_same(parameter_views(t1, dims)[k], v, k)
    assert not np.allclose(t0, theta)


def test_pack_parameters_and_views_round_trip():
    X, Y, params = kc.train_data([3, 4, 2], 5, "linear")
    theta, dims = pack_parameters(params)
    assert dims == (3, 4, 2) and theta.shape == (4 * 3 + 4 + 2 * 4 + 2,)
    views = parameter_views(theta, dims)
    for k, v in params.items():
        np.testing.assert_array_equal(views[k], v)
    views["W2"][0, 0] = 7.0                      # a view: writing to it writes into theta
    assert theta[4 * 3 + 4] == 7.0
    with pytest.raises(ValueError, match=r"b2: expected shape \(2, 1\), got \(2,\)"):
        pack_parameters(dict(params, b2=np.zeros(2)))
    with pytest.raises(ValueError, match="expected 26 values"):
        parameter_views(np.zeros(31), dims)
