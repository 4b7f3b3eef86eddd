"""The cuda backend equals the NumPy oracle, op by op (float64 1e-10, float32 1e-5), on drawn shapes
that are not multiples of the GEMM tile (1, 15, 17, 33). Runs under the simulator (few examples:
each simulated CUDA thread is a Python thread) or on a real GPU."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import _kernel_cases as kc
from nn_ref.kernels import get_backend

CUDA = get_backend("cuda")
SIM = CUDA.SIM
DTYPE = st.sampled_from(kc.DTYPES)
SEED = st.integers(0, 2**31 - 1)
FEW = settings(max_examples=6 if SIM else 30, deadline=None)
SOME = settings(max_examples=6 if SIM else 30, deadline=None)
pytestmark = pytest.mark.filterwarnings("ignore:Grid size .* will likely result in GPU under-utilization")


@FEW
@given(kc.SIZES, kc.SIZES, kc.SIZES, st.sampled_from(kc.ACTIVATIONS + ("softmax",)), DTYPE, SEED)
def test_linear_forward(n, n_prev, m, activation, dtype, seed):
    kc.check_linear_forward(CUDA, n, n_prev, m, activation, dtype, seed)


@FEW
@given(kc.SIZES, kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_linear_backward(n, n_prev, m, dtype, seed):
    kc.check_linear_backward(CUDA, n, n_prev, m, dtype, seed)


def test_gemm_tiles():
    """Each of the three GEMM tiles on a product that spans several of its blocks and K slabs:
    16 x 16 (drawn shapes above), 64 x 64 (an output of 70 x 66 >= MEDIUM_TILE_MIN) and 128 x 128,
    made to run on a small product by lowering its threshold."""
    assert 70 * 66 >= CUDA.MEDIUM_TILE_MIN > 33 * 33
    kc.check_linear_forward(CUDA, 70, 17, 66, "relu", np.float64, 5)
    old = CUDA.LARGE_TILE_MIN
    CUDA.LARGE_TILE_MIN = 1
    try:
        kc.check_linear_forward(CUDA, 33, 17, 15, "tanh", np.float32, 6)
        kc.check_linear_backward(CUDA, 15, 2, 17, np.float64, 7)
    finally:
        CUDA.LARGE_TILE_MIN = old


@SOME
@given(kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_activations_softmax_row_sums(n, m, dtype, seed):
    kc.check_activations(CUDA, n, m, dtype, seed)


@SOME
@given(kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_costs_and_gradients(n, m, dtype, seed):
    kc.check_costs(CUDA, n, m, dtype, seed)


@SOME
@given(kc.SIZES, kc.SIZES, DTYPE, SEED)
def test_update_in_place(n, m, dtype, seed):
    kc.check_update(CUDA, n, m, dtype, seed)


@SOME
@given(kc.SIZES, st.sampled_from([2, 15, 17, 33]), DTYPE, SEED)
def test_batchnorm(n, m, dtype, seed):
    kc.check_batchnorm(CUDA, n, m, dtype, seed)


def test_arrays_stay_on_the_device():
    X = np.arange(6.0).reshape(2, 3)
    d = CUDA.to_device(X)
    assert hasattr(d, "copy_to_host") and not isinstance(d, np.ndarray)
    assert CUDA.to_device(d) is d                       # network.forward calls to_device on X again
    Z, A = CUDA.linear_forward(d, CUDA.to_device(np.eye(2)), CUDA.to_device(np.zeros((2, 1))), "relu")
    assert hasattr(Z, "copy_to_host") and hasattr(A, "copy_to_host")
    np.testing.assert_array_equal(CUDA.to_host(A), X)
    with pytest.raises(ValueError, match="device array"):
        CUDA.update(X.copy(), X, 0.1)
