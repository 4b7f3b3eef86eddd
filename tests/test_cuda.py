"""What only the cuda backend has: device residency, the clear error for parameters left on the host, the
fused ``train_step`` with sgd / momentum / adam on the device, the GEMM's tiles and epilogues, NaN through
the fused step, and the simulator's launch sizes. (The op-by-op parity with the NumPy bodies, NaN and inf
included, is tests/test_parity.py, parametrized by backend.)

Runs on numba's CUDA simulator (tests/conftest.py turns it on for the whole pytest run) or on a real GPU
(NN_REF_CUDA_TESTS=1, scripts/gpu_check.sh). Each simulated CUDA thread is a Python thread: sizes are small.
"""

import _oracle as O
import numpy as np
import pytest

from nn_ref.kernels import StepConfig, cuda_available, get_backend
from nn_ref.kernels.contract import pack_parameters

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not cuda_available()[0], reason="no GPU and no CUDA simulator"),
]

TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
DIMS, M = (4, 5, 6, 3), 7
# (hidden, output, loss): both collapsed outputs, and the general chain rule (cost_gradient, softmax_backward)
CONFIGS = [
    ("relu", "sigmoid", "cross_entropy"),
    ("tanh", "softmax", "categorical_cross_entropy"),
    ("leaky_relu", "softmax", "mse"),
]


@pytest.fixture(scope="module")
def C():
    return get_backend("cuda")


def close(actual, expected, what=""):
    """Relative 2-norm error within the dtype's tolerance (float64 1e-10, float32 1e-5)."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    err = np.linalg.norm((a - e).ravel())
    assert err <= TOL[e.dtype] * max(np.linalg.norm(e.ravel()), 1e-300), f"{what}: |a - e| = {err:.3e}"


def problem(dtype, output, seed=0):
    rng = np.random.default_rng(seed)
    P = {}
    for l in range(1, len(DIMS)):
        P[f"W{l}"] = rng.standard_normal((DIMS[l], DIMS[l - 1])) * 0.5
        P[f"b{l}"] = rng.standard_normal((DIMS[l], 1)) * 0.1
    theta, dims = pack_parameters(P, dtype)
    X = rng.standard_normal((DIMS[0], M)).astype(dtype)
    if output == "softmax":
        Y = np.eye(DIMS[-1], dtype=dtype)[:, rng.integers(0, DIMS[-1], M)]
    else:
        Y = (rng.random((DIMS[-1], M)) > 0.5).astype(dtype)
    return X, Y, theta, dims


# ----------------------------------------------------------------------------- device residency
def test_arrays_stay_on_the_device(C):
    X = np.arange(6.0).reshape(2, 3)
    d = C.to_device(X)
    assert C.is_device(d) and not C.is_device(X) and not isinstance(d, np.ndarray)
    assert C.to_device(d) is d  # no second copy
    Z, A = C.linear_forward(d, C.to_device(np.eye(2)), C.to_device(np.zeros((2, 1))), "relu")
    assert C.is_device(Z) and C.is_device(A)
    np.testing.assert_array_equal(C.to_host(A), X)
    dA_prev, dW, db = C.linear_backward(A, d, C.to_device(np.eye(2)))
    assert all(C.is_device(x) for x in (dA_prev, dW, db))
    np.testing.assert_allclose(C.to_host(db), X.mean(axis=1, keepdims=True))


@pytest.mark.parametrize(
    "call",
    [
        lambda C, h, d: C.linear_forward(d, h, C.to_device(np.zeros((2, 1))), "relu"),
        lambda C, h, d: C.linear_backward(d, d, h),
        lambda C, h, d: C.update(h, d, 0.1),
        lambda C, h, d: C.axpby(0.5, d, 0.5, h),
        lambda C, h, d: C.fill(h, 0.0),
        lambda C, h, d: C.adam_update(d, d, h, d, 0.1, 0.9, 0.999, 1e-8, 1),
        lambda C, h, d: C.batchnorm_forward(d, h[:, :1], C.to_device(np.zeros((2, 1))), 1e-5),
    ],
    ids=["linear_forward W", "linear_backward W", "update", "axpby", "fill", "adam_update m", "batchnorm gamma"],
)
def test_parameters_on_the_host_are_a_clear_error(C, call):
    """A parameter or in-place target on the host is never copied silently (the update would be lost)."""
    host, dev = np.eye(2), C.to_device(np.eye(2))
    with pytest.raises(ValueError, match=r"expected a cuda device array, got numpy\.ndarray.*to_backend"):
        call(C, host, dev)


def test_mixed_dtypes_are_a_clear_error(C):
    W = C.to_device(np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="float32 or float64 arrays of one dtype, got float64, float32"):
        C.linear_forward(np.ones((2, 3)), W, C.to_device(np.zeros((2, 1), np.float32)))
    with pytest.raises(ValueError, match="got int64"):
        C.activation_forward(np.ones((2, 3), dtype=np.int64), "relu")


# ----------------------------------------------------------------------------- the fused step
# float64 for every configuration; float32 for one (the arithmetic is the float64 tests')
STEP_CASES = [(np.float64, c) for c in CONFIGS] + [(np.float32, CONFIGS[0])]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("dtype, config", STEP_CASES, ids=[f"{np.dtype(d).name}-{c[2]}" for d, c in STEP_CASES])
def test_train_step_equals_the_oracle(C, dtype, config, optimizer):
    """Three steps of the fused step on the device give the oracle's costs, parameters and optimizer state
    (float64 1e-10, float32 1e-5); theta and the state never leave the device in between."""
    hidden, output, loss = config
    X, Y, theta, dims = problem(dtype, output)
    n_state = {"sgd": 0, "momentum": 1, "adam": 2}[optimizer]
    state = [np.zeros_like(theta) for _ in range(n_state)]
    theta_d, state_d = C.to_device(theta), [C.to_device(s) for s in state]
    Xd, Yd = C.to_device(X), C.to_device(Y)
    settings = StepConfig(dims, hidden, output, loss, 0.1, 0.05, optimizer)
    for t in (1, 2, 3):
        J0 = O.train_step(X, Y, theta, settings, state, t)
        J1 = C.train_step(Xd, Yd, theta_d, settings, state_d, t)
        assert isinstance(J1, float) and abs(J1 - J0) <= TOL[np.dtype(dtype)] * abs(J0), (t, J1, J0)
    close(C.to_host(theta_d), theta, "theta")
    for k, (s_d, s) in enumerate(zip(state_d, state)):
        if optimizer == "adam" and k == 1:  # v ~ g^2 doubles g's relative rounding: judge sqrt(v), as Adam uses it
            close(np.sqrt(C.to_host(s_d)), np.sqrt(s), "sqrt(v)")
        else:
            close(C.to_host(s_d), s, f"state {k}")
    assert np.abs(theta - problem(dtype, output)[2]).max() > 1e-3  # the parameters did move


def test_train_step_takes_host_batches(C):
    """X and Y may come from the host (copied for the call); theta must be on the device."""
    X, Y, theta, dims = problem(np.float64, "sigmoid")
    expected = theta.copy()
    config = StepConfig(dims, "relu", "sigmoid", "cross_entropy", 0.1)
    J0 = O.train_step(X, Y, expected, config)
    theta_d = C.to_device(theta)
    assert abs(C.train_step(X, Y, theta_d, config) - J0) <= 1e-10 * J0
    close(C.to_host(theta_d), expected, "theta")
    with pytest.raises(ValueError, match="theta: expected a cuda device array"):
        C.train_step(X, Y, theta, config)
    momentum = StepConfig(dims, "relu", "sigmoid", "cross_entropy", 0.1, optimizer="momentum")
    with pytest.raises(ValueError, match=r"state\[0\]: expected a cuda device array"):
        C.train_step(X, Y, theta_d, momentum, (np.zeros_like(theta),))


def test_nan_in_a_weight_reaches_cost_and_parameters_as_in_numpy(C):
    """One NaN weight in W1: the oracle's cost and the parameters it reaches become NaN, the others stay
    finite (relu(NaN) = NaN forward; the relu' mask np.where(Z > 0, dA, 0) gives 0 for a NaN Z backward).
    The fused step (relu in the forward GEMM's epilogue, the mask in the backward GEMM's) gives the same
    NaN pattern and the same finite values."""
    X, Y, theta, dims = problem(np.float64, "sigmoid")
    theta[2] = np.nan
    expected = theta.copy()
    config = StepConfig(dims, "relu", "sigmoid", "cross_entropy", 0.1)
    with np.errstate(invalid="ignore"):
        J0 = O.train_step(X, Y, expected, config)
    theta_d = C.to_device(theta)
    J1 = C.train_step(X, Y, theta_d, config)
    assert np.isnan(J0) and np.isnan(J1)
    got = C.to_host(theta_d)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    assert 1 < np.isnan(got).sum() < got.size
    finite = ~np.isnan(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-10)


# ----------------------------------------------------------------------------- GEMM
@pytest.mark.parametrize("tile", ["gemm_small", "gemm", "gemm_large"])
def test_gemm_tiles_and_epilogues(C, monkeypatch, tile):
    """Each tile, forced by its thresholds, on a product spanning several blocks and K slabs (sizes not
    multiples of a tile), with transposes read in the kernel, for each epilogue."""
    from nn_ref.kernels.cuda import gemm as G

    thresholds = {"gemm_small": (10**9, 10**9), "gemm": (1, 10**9), "gemm_large": (1, 1)}[tile]
    monkeypatch.setattr(G, "MEDIUM_TILE_MIN", thresholds[0])
    monkeypatch.setattr(G, "LARGE_TILE_MIN", thresholds[1])
    monkeypatch.setattr(G, "multiprocessors", lambda: 1)  # on a GPU: the large tile even for a one-block grid
    rng = np.random.default_rng(3)
    M_, N_, K_ = (17, 18, 19) if tile == "gemm_small" else (9, 5, 11)  # the big tiles: few simulated blocks
    assert G.tile_for(M_, N_) == tile
    A = rng.standard_normal((K_, M_))  # read transposed
    B = rng.standard_normal((N_, K_))  # read transposed
    expected = A.T @ B.T
    out = C.empty((M_, N_))
    G.gemm_into(out, C.to_device(A), C.to_device(B), trans_a=True, trans_b=True, scale=0.5)
    close(C.to_host(out), 0.5 * expected, "scale")
    C0 = rng.standard_normal((M_, N_))
    acc = C.to_device(C0)
    G.gemm_into(
        acc, C.to_device(A.T.copy()), C.to_device(B.T.copy()), scale=-0.25, beta=0.9, epilogue=G.EPILOGUE_ACCUMULATE
    )
    close(C.to_host(acc), 0.9 * C0 - 0.25 * expected, "accumulate")
    b = rng.standard_normal((M_, 1))
    Z, A_out = C.empty((M_, N_)), C.empty((M_, N_))
    G.gemm_into(
        Z,
        C.to_device(A.T.copy()),
        C.to_device(B),
        trans_b=True,
        epilogue=G.EPILOGUE_BIAS_ACT,
        bias=C.to_device(b),
        aux=A_out,
        code=3,
    )
    close(C.to_host(Z), expected + b, "Z")
    close(C.to_host(A_out), np.maximum(expected + b, 0), "relu(Z)")
    Zprev = rng.standard_normal((M_, N_))
    Zprev[0, :3] = [np.nan, np.inf, -np.inf]
    dZ = C.empty((M_, N_))
    G.gemm_into(
        dZ,
        C.to_device(A),
        C.to_device(B),
        trans_a=True,
        trans_b=True,
        epilogue=G.EPILOGUE_ACT_BACKWARD,
        aux=C.to_device(Zprev),
        code=3,
    )
    np.testing.assert_allclose(C.to_host(dZ), np.where(Zprev > 0, expected, 0), rtol=1e-12, atol=1e-12)


def test_the_large_tile_only_where_its_grid_fills_the_gpu(monkeypatch):
    from nn_ref.kernels.cuda import gemm as G

    monkeypatch.setattr(G, "multiprocessors", lambda: 132)
    assert G.tile_for(4096, 4096) == "gemm_large"  # 1024 blocks
    assert G.tile_for(1024, 4096) == "gemm_large"  # Z[l] of a 1024-unit layer at batch 4096: 256 blocks
    assert G.tile_for(1024, 1024) == "gemm"  # dW of that layer: 64 large blocks would idle half the SMs
    assert G.tile_for(10, 4096) == "gemm" and G.tile_for(10, 100) == "gemm_small"


def test_gemm_rejects_mismatched_shapes(C):
    from nn_ref.kernels.cuda.gemm import gemm_into

    with pytest.raises(ValueError, match=r"op\(A\) \(2, 3\) times op\(B\) \(4, 5\) does not give C \(2, 5\)"):
        gemm_into(C.empty((2, 5)), C.empty((2, 3)), C.empty((4, 5)))


# ----------------------------------------------------------------------------- launch sizes
def test_launch_sizes_and_grid_stride_loops(C):
    """Under the simulator the elementwise and reduction grids are a few small blocks, and the grid-stride
    loops cover arrays larger than the grid; on a GPU the grid covers the array in one pass."""
    from nn_ref.kernels.cuda import launch as Lc

    blocks, threads = Lc.elementwise_grid(10**6)
    if Lc.SIM:
        assert (blocks, threads) == (2, 16) and Lc.row_grid(100) == (2, 8) and Lc.cost_blocks(10**6) == 2
    else:
        assert blocks * threads >= 10**6 // 4 and threads % 32 == 0 and Lc.RED_THREADS % 32 == 0
    assert Lc.elementwise_grid(1) == (1, Lc.EW_THREADS) and Lc.row_grid(1) == (1, Lc.RED_THREADS)
    Z = np.linspace(-2, 2, 5 * 41).reshape(5, 41)  # 205 entries > 2 blocks x 16 threads; 5 rows > 2 blocks
    close(C.to_host(C.activation_forward(Z, "tanh")), np.tanh(Z), "tanh over a grid-stride loop")
    close(C.to_host(C.sum_over_samples(Z)), Z.sum(axis=1, keepdims=True), "row sums, grid-stride over rows")
    close(C.to_host(C.softmax(Z)), O.softmax(Z), "softmax, grid-stride over columns")
    assert abs(C.cost(np.full((5, 41), 0.25), np.zeros((5, 41)), "mse") - 5 * 0.0625) < 1e-12


def test_every_launch_has_the_ptx_tables_argument_types(C, monkeypatch):
    """The PTX test compiles each kernel for the argument types of kernels/cuda/ptx.py; this checks that those
    are the types every launch really passes (array dtype, rank and layout; scalar types), for every op and
    the fused step with each optimizer -- so what the PTX test proves is what a GPU compiles."""
    import importlib

    from numba import typeof

    launch = importlib.import_module("nn_ref.kernels.cuda.launch")
    ptx = importlib.import_module("nn_ref.kernels.cuda.ptx")
    seen = {}
    real = launch.launch_kernel

    def recording(kname, dtype, grid, block, *args):
        seen.setdefault((kname, np.dtype(dtype)), set()).add(tuple(typeof(a) for a in args))
        return real(kname, dtype, grid, block, *args)

    for module in ("", ".gemm", ".reductions", ".step"):
        monkeypatch.setattr(importlib.import_module("nn_ref.kernels.cuda" + module), "launch_kernel", recording)
    dt = np.float32
    rng = np.random.default_rng(4)
    Z, dA, P, G, Mo, V = (C.to_device(rng.random((3, 4)).astype(dt)) for _ in range(6))
    col = C.to_device(rng.random((3, 1)).astype(dt))
    C.activation_forward(Z, "relu")
    C.activation_backward(dA, Z, "tanh")
    C.softmax_backward(dA, C.softmax(Z))
    C.linear_forward(Z, C.to_device(rng.random((2, 3)).astype(dt)), C.to_device(np.zeros((2, 1), dt)), "softmax")
    C.linear_backward(dA, Z, C.to_device(rng.random((3, 3)).astype(dt)))
    C.sum_over_samples(Z)
    C.cost(Z, dA, "cross_entropy")
    C.cost_gradient(Z, dA, "mse")
    C.output_delta(Z, dA)
    C.update(P, G, 0.1)
    C.axpby(0.5, G, 0.9, Mo)
    C.fill(G, 0.0)
    C.adam_update(P, G, Mo, V, 0.1, 0.9, 0.999, 1e-8, 2)
    out, Z_hat, mu, var = C.batchnorm_forward(Z, col, col, 1e-5)
    C.batchnorm_backward(dA, Z_hat, col, var, 1e-5)
    C.batchnorm_eval(Z, col, col, mu, var, 1e-5)
    for optimizer, n_state in (("sgd", 0), ("momentum", 1), ("adam", 2)):
        X, Y, theta, dims = problem(dt, "softmax")
        state = [C.to_device(np.zeros_like(theta)) for _ in range(n_state)] or None
        C.train_step(
            X, Y, C.to_device(theta), StepConfig(dims, "relu", "softmax", "mse", 0.1, optimizer=optimizer), state
        )
    table = ptx._table(launch.NBTYPE[np.dtype(dt)])
    launched = {k for k, _ in seen}
    assert launched | {"gemm", "gemm_large"} == set(table)  # every kernel (tiles by size: the small one here)
    for (kname, _), signatures in seen.items():
        assert signatures == {tuple(table[kname])}, (kname, signatures, table[kname])
