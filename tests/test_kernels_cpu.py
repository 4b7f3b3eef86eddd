"""What only the cpu backend has: its two product paths (loops below BLAS_MIN_WORK, BLAS above), its parallel
twins (from PARALLEL_MIN_WORK elements), one compiled specialization per dtype, and its errors. The op-by-op
parity with the NumPy bodies for every backend is tests/test_parity.py."""

import _kernel_cases as kc
import numpy as np
import pytest

from nn_ref.kernels import StepConfig, get_backend, pack_parameters
from nn_ref.kernels.cpu import elementwise, linear, reductions, step

CPU = get_backend("cpu")


@pytest.mark.parametrize("dtype", kc.DTYPES)
@pytest.mark.parametrize("n, n_prev, m", [(3, 4, 5), (40, 70, 65), (33, 33, 33)])
def test_linear_both_product_paths(n, n_prev, m, dtype):
    """(3, 4, 5) runs the loop nests, (40, 70, 65) and (33, 33, 33) BLAS (n n_prev m >= BLAS_MIN_WORK)."""
    assert 3 * 4 * 5 < CPU.BLAS_MIN_WORK <= 33 * 33 * 33
    for g in kc.ACTIVATIONS + ("softmax",):
        kc.check_linear_forward(CPU, n, n_prev, m, g, dtype, seed=n)
    kc.check_linear_backward(CPU, n, n_prev, m, dtype, seed=m)


def test_parallel_twins():
    """Arrays of >= PARALLEL_MIN_WORK elements take the prange twins (epilogue, activation backward, axpby, fill,
    adam_update; update is BLAS's ?axpy at every size): still equal to the oracle."""
    n = 2048
    assert n * n >= CPU.PARALLEL_MIN_WORK
    Z, dA = kc.draw_arrays(1, np.float64, (n, n), (n, n))
    Z[0, 0], dA[1, 1] = np.nan, np.inf  # NaN-honest in the parallel twins too
    for g in ("relu", "leaky_relu"):
        np.testing.assert_array_equal(CPU.activation_forward(Z, g, 0.05), kc.ORACLE.activation_forward(Z, g, 0.05))
        np.testing.assert_array_equal(
            CPU.activation_backward(dA, Z, g, 0.05), kc.ORACLE.activation_backward(dA, Z, g, 0.05)
        )
    kc.check_in_place(CPU, n, n, np.float64, 2)
    kc.check_linear_forward(CPU, n, 3, n, "tanh", np.float32, 3)
    assert all(len(k.signatures) >= 1 for k in (elementwise.EPILOGUE[1], elementwise.AXPBY[1], elementwise.FILL[1]))


def test_one_specialization_per_dtype():
    """A run compiles each kernel once per argument types: no second specialization from a constant argument
    (a literal code or flag), and the in-place ops take flat views (one 1-D version for W, b and theta)."""
    for dtype in kc.DTYPES:
        X, Y, params = kc.train_data([5, 40, 70, 3], 65, "sigmoid", seed=1)
        theta, dims = pack_parameters(params, dtype)
        X, Y = X.astype(dtype), Y.astype(dtype)
        for opt, state in (("sgd", None), ("momentum", (np.zeros_like(theta),))):
            CPU.train_step(X, Y, theta, StepConfig(dims, "relu", "sigmoid", "cross_entropy", 0.1, optimizer=opt), state)
        W, b = params["W1"].astype(dtype), params["b1"].astype(dtype)
        for g in ("relu", "softmax"):
            Z, A = CPU.linear_forward(X, W, b, g)
        CPU.linear_backward(Z, X, W)
        CPU.update(W, W.copy(), 0.1)
        CPU.update(theta, theta.copy(), 0.1)
    kernels = [getattr(mod, k) for mod in (elementwise, linear, reductions, step) for k in dir(mod)]
    kernels += [
        twin
        for mod in (elementwise,)
        for k in dir(mod)
        if isinstance(getattr(mod, k), tuple)
        for twin in getattr(mod, k)
    ]
    for kern in kernels:
        if hasattr(kern, "signatures"):
            sigs = [tuple(map(str, sig)) for sig in kern.signatures]
            assert not [s for s in sigs if any("Literal" in a for a in s)], f"{kern.__name__}: literal argument {sigs}"
            assert len(set(sigs)) == len(sigs), f"{kern.__name__}: duplicate specializations {sigs}"


def test_unknown_names_and_dtypes_are_clear_errors():
    Z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"activation: expected one of .*'relu'.*got 'swish'"):
        CPU.activation_forward(Z, "swish")
    with pytest.raises(ValueError, match=r"activation: expected one of .*got 'softmax'"):
        CPU.activation_backward(Z, Z, "softmax")  # per column: softmax_backward
    with pytest.raises(ValueError, match=r"loss: expected one of .*got 'hinge'"):
        CPU.cost_gradient(Z, Z, "hinge")
    with pytest.raises(TypeError, match="expected float32 or float64 arrays, got dtype int64"):
        CPU.softmax(np.zeros((2, 3), np.int64))
    with pytest.raises(TypeError, match="got dtype float16"):
        CPU.cost(Z.astype(np.float16), Z.astype(np.float16), "mse")


def test_in_place_ops_need_a_writeable_contiguous_array():
    P = np.ones((4, 3))
    with pytest.raises(ValueError, match="update: param: expected a writeable contiguous NumPy array"):
        CPU.update(np.ones((4, 6))[:, ::2], np.ones((4, 3)), 0.1)
    F, G = np.asfortranarray(np.arange(12.0).reshape(4, 3)), np.arange(12.0).reshape(4, 3)
    CPU.update(F, G, 0.5)  # a Fortran-ordered parameter is updated in place, entry by entry as NumPy does
    np.testing.assert_array_equal(F, 0.5 * np.arange(12.0).reshape(4, 3))
    M = np.zeros((4, 3))  # C order, beside a Fortran-ordered parameter: refused, never mixed up
    with pytest.raises(ValueError, match="adam_update: m: expected the memory order of the parameter"):
        CPU.adam_update(F, G, M, np.asfortranarray(M), 0.1, 0.9, 0.999, 1e-8, 1)
    with pytest.raises(ValueError, match=r"axpby: x: expected shape \(4, 3\), got \(3, 4\)"):
        CPU.axpby(1.0, np.ones((3, 4)), 1.0, P)
    P.flags.writeable = False
    with pytest.raises(ValueError, match="fill: x:.*writeable=False"):
        CPU.fill(P, 0.0)


def test_train_step_needs_theta_and_the_state_in_place():
    """The cpu side of the fused step's checks (the rest are the contract's, tests/test_contract.py): theta and
    the optimizer state are updated in place, so each must be a writeable C-contiguous array of theta's dtype."""
    X, Y, params = kc.train_data([3, 4, 2], 5, "sigmoid")
    theta, dims = pack_parameters(params)
    config = StepConfig(dims, "relu", "sigmoid", "cross_entropy", 0.1, optimizer="momentum")
    before = theta.copy()
    theta.flags.writeable = False
    with pytest.raises(ValueError, match="theta: expected a writeable contiguous NumPy array .*writeable=False"):
        CPU.train_step(X, Y, theta, config, (np.zeros_like(theta),))
    theta.flags.writeable = True
    with pytest.raises(ValueError, match=r"state\[0\]: expected the dtype float64 of theta, got float32"):
        CPU.train_step(X, Y, theta, config, (np.zeros(theta.shape, np.float32),))
    np.testing.assert_array_equal(theta, before)  # the errors above left theta untouched; this step moves it
    v = np.zeros_like(theta)
    CPU.train_step(X, Y, theta, config, (v,))
    assert not np.allclose(theta, before) and np.abs(v).max() > 0


@pytest.mark.parametrize("lr", [0.0, 0.25])
@pytest.mark.parametrize("dtype", kc.DTYPES)
def test_update_in_place_keeps_nan_at_any_learning_rate(lr, dtype):
    """update is BLAS's ?axpy, which returns at once for a zero scale: lr = 0 must still turn a NaN gradient
    into a NaN parameter, as param - 0 * grad does in NumPy."""
    W = np.arange(12, dtype=dtype).reshape(3, 4)
    dW = np.ones((3, 4), dtype=dtype)
    dW[1, 2] = np.nan
    expected = W - dtype(lr) * dW
    assert CPU.update(W, dW, lr) is W
    np.testing.assert_array_equal(W, expected)
    assert np.isnan(W[1, 2])
