"""Every backend equals the NumPy bodies of nn_ref (``tests/_oracle.py``), op by op: float64 to 1e-10 and
float32 to 1e-5 (judged as in ``_kernel_cases.assert_same``), on hypothesis-drawn shapes that include sizes off
any tile or vector width (1, 2, 15, 17, 33). One module for all backends: "cpu", and "cuda" where it can run --
on numba's CUDA simulator (tests/conftest.py starts it once per run) with small shapes (each simulated thread
costs ~0.2 ms), or on a real GPU with NN_REF_CUDA_TESTS=1.

The NaN/inf test feeds NaN, +inf and -inf at drawn positions of the inputs of every op and asserts that the
result has the oracle's NaN/inf pattern and its finite values."""

import _kernel_cases as kc
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref.kernels import StepConfig, cuda_available, get_backend
from nn_ref.kernels.contract import HIDDEN_ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS

SIM = cuda_available()[1].startswith("CUDA simulator")
BACKENDS = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[pytest.mark.cuda, pytest.mark.skipif(not cuda_available()[0], reason="no GPU and no simulator")],
    ),
]
pytestmark = [
    pytest.mark.parametrize("backend", BACKENDS),
    pytest.mark.filterwarnings("ignore:Grid size .* will likely result in GPU under-utilization"),
]

DTYPE = st.sampled_from(kc.DTYPES)
SEED = st.integers(0, 2**31 - 1)
SMALL = st.sampled_from([1, 2, 15, 17])  # the simulator: a few blocks per launch
EXAMPLES = settings(max_examples=12, deadline=None)


def sizes(backend):
    return SMALL if backend == "cuda" and SIM else kc.SIZES


def draws(backend, n):
    """``n`` sizes for ``backend`` (the simulator draws from SMALL)."""
    return st.tuples(*[sizes(backend)] * n)


@st.composite
def case(draw, backend, n_sizes):
    return draw(draws(backend, n_sizes)), draw(DTYPE), draw(SEED)


def cap(backend, full, sim=3):
    """Fewer cases on the simulator."""
    return sim if backend == "cuda" and SIM else full


# ----------------------------------------------------------------------------- op by op
@EXAMPLES
@given(data=st.data())
def test_linear_forward(backend, data):
    (n, n_prev, m), dtype, seed = data.draw(case(backend, 3))
    for g in OUTPUT_ACTIVATIONS + ("relu", "tanh", "leaky_relu")[: cap(backend, 3, 1)]:
        kc.check_linear_forward(get_backend(backend), n, n_prev, m, g, dtype, seed)


@EXAMPLES
@given(data=st.data())
def test_linear_backward(backend, data):
    (n, n_prev, m), dtype, seed = data.draw(case(backend, 3))
    kc.check_linear_backward(get_backend(backend), n, n_prev, m, dtype, seed)


@pytest.mark.parametrize(
    "check",
    [kc.check_activations, kc.check_costs, kc.check_in_place, kc.check_batchnorm],
    ids=["activations_softmax_row_sums", "costs_and_gradients", "in_place_ops", "batchnorm"],
)
@EXAMPLES
@given(data=st.data())
def test_elementwise_and_row_ops(backend, check, data):
    """Activations, softmax, row sums, costs and their gradients, the in-place ops, batch norm (m >= 2)."""
    (n, m), dtype, seed = data.draw(case(backend, 2))
    check(get_backend(backend), n, max(m, 2) if check is kc.check_batchnorm else m, dtype, seed)


@EXAMPLES
@given(data=st.data())
def test_memory(backend, data):
    (n, m), dtype, seed = data.draw(case(backend, 2))
    kc.check_memory(get_backend(backend), n, m, dtype, seed)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("dtype", kc.DTYPES)
def test_train_step_equals_the_oracle(backend, optimizer, dtype):
    """Three fused steps of a 3-layer net, every output/loss pairing of TRAIN_CONFIGS (collapsed dZ[L] and the
    general chain rule), equal the oracle's steps: the parameters (which moved) and each step's cost."""
    sim = backend == "cuda" and SIM  # the simulator: a small net, one config per optimizer (all three together)
    dims, m = ([4, 5, 6, 3], 7) if sim else ([6, 17, 15, 3], 33)
    configs = [kc.TRAIN_CONFIGS[["sgd", "momentum", "adam"].index(optimizer)]] if sim else kc.TRAIN_CONFIGS
    for config in configs:
        expected = kc.train_fused("numpy", dims, m, config, 3, 0.1, optimizer, dtype)
        kc.assert_same_training(
            kc.train_fused(backend, dims, m, config, 3, 0.1, optimizer, dtype),
            expected,
            f"{backend} train_step {optimizer} {config}",
        )


# ----------------------------------------------------------------------------- NaN and inf
SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf])


def _inputs(kind, shape, rng, dtype):
    kind = kind.rstrip("!")
    if kind == "prob":
        return rng.uniform(0.01, 0.99, shape).astype(dtype)
    if kind == "label":
        return (rng.random(shape) > 0.5).astype(dtype)
    if kind == "pos":
        return np.abs(rng.standard_normal(shape)).astype(dtype) + np.asarray(0.1, dtype)
    return rng.standard_normal(shape).astype(dtype)


def _train(optimizer):
    def run(B, X, Y, theta, dims=(3, 4, 2)):
        X, Y, theta = B.to_device(X), B.to_device(Y), B.to_device(theta)
        state = {
            "sgd": None,
            "momentum": (B.to_device(np.zeros_like(kc.host(theta))),),
            "adam": tuple(B.to_device(np.zeros_like(kc.host(theta))) for _ in range(2)),
        }[optimizer]
        J = B.train_step(
            X, Y, theta, StepConfig(dims, "relu", "sigmoid", "cross_entropy", 0.1, optimizer=optimizer), state
        )
        return [np.float64(J), theta] + list(state or ())

    return run


def nan_cases(n, m, k):
    """name -> (inputs as (kind, shape), run(B, *device-ready host arrays) -> list of results). A kind ending
    in "!" gets no NaN/inf: nn_ref checks it at its boundary (X and Y must be finite), so a kernel never sees
    one there."""
    nm, n1 = (n, m), (n, 1)
    cases = {}
    for g in HIDDEN_ACTIVATIONS:
        cases[f"activation_forward {g}"] = ([("any", nm)], lambda B, Z, g=g: [B.activation_forward(Z, g, 0.05)])
        cases[f"activation_backward {g}"] = (
            [("any", nm), ("any", nm)],
            lambda B, dA, Z, g=g: [B.activation_backward(dA, Z, g, 0.05)],
        )
    for g in HIDDEN_ACTIVATIONS + ("softmax",):
        cases[f"linear_forward {g}"] = (
            [("any", (k, m)), ("any", (n, k)), ("any", n1)],
            lambda B, A, W, b, g=g: list(B.linear_forward(A, W, b, g, 0.05)),
        )
    cases["softmax"] = ([("any", nm)], lambda B, Z: [B.softmax(Z)])
    cases["softmax_backward"] = ([("any", nm), ("prob", nm)], lambda B, dA, A: [B.softmax_backward(dA, A)])
    cases["linear_backward"] = (
        [("any", nm), ("any", (k, m)), ("any", (n, k))],
        lambda B, dZ, A, W: list(B.linear_backward(dZ, A, W)),
    )
    cases["sum_over_samples"] = ([("any", nm)], lambda B, dZ: [B.sum_over_samples(dZ)])
    for loss in LOSSES:
        cases[f"cost {loss}"] = ([("prob", nm), ("label", nm)], lambda B, AL, Y, c=loss: [np.float64(B.cost(AL, Y, c))])
        cases[f"cost_gradient {loss}"] = (
            [("prob", nm), ("label", nm)],
            lambda B, AL, Y, c=loss: [B.cost_gradient(AL, Y, c)],
        )
    cases["output_delta"] = ([("prob", nm), ("label", nm)], lambda B, AL, Y: [B.output_delta(AL, Y)])
    cases["update"] = ([("any", nm), ("any", nm)], lambda B, p, g: [B.update(p, g, 0.3)])
    cases["axpby"] = ([("any", nm), ("any", nm)], lambda B, x, y: [B.axpby(0.3, x, 0.9, y)])
    cases["fill"] = ([("any", nm)], lambda B, x: [B.fill(x, 2.5)])
    cases["adam_update"] = (
        [("any", nm), ("any", nm), ("any", nm), ("pos", nm)],
        lambda B, p, g, mm, v: [B.adam_update(p, g, mm, v, 0.01, 0.9, 0.999, 1e-8, 3), mm, v],
    )
    cases["batchnorm_forward"] = (
        [("any", (n, max(m, 2))), ("any", n1), ("any", n1)],  # train mode needs m >= 2
        lambda B, Z, gm, bt: list(B.batchnorm_forward(Z, gm, bt, 1e-5)),
    )
    cases["batchnorm_backward"] = (
        [("any", nm), ("any", nm), ("any", n1), ("pos", n1)],
        lambda B, d, Zh, gm, var: list(B.batchnorm_backward(d, Zh, gm, var, 1e-5)),
    )
    cases["batchnorm_eval"] = (
        [("any", nm), ("any", n1), ("any", n1), ("any", n1), ("pos", n1)],
        lambda B, Z, gm, bt, rm, rv: [B.batchnorm_eval(Z, gm, bt, rm, rv, 1e-5)],
    )
    for optimizer in ("sgd", "momentum", "adam"):
        cases[f"train_step {optimizer}"] = (
            [("any!", (3, m)), ("label!", (2, m)), ("any", (4 * 3 + 4 + 2 * 4 + 2,))],
            _train(optimizer),
        )
    return cases


NAN_CASES = sorted(nan_cases(2, 3, 2))


def assert_same_specials(actual, expected, dtype, what):
    """The same NaN, +inf and -inf entries, and the finite entries equal (relative to the array's scale)."""
    a, e = kc.host(actual).astype(np.float64), np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != oracle {e.shape}"
    for test in (np.isnan, np.isposinf, np.isneginf):
        bad = np.flatnonzero(test(a) != test(e))
        assert bad.size == 0, (
            f"{what}: {test.__name__} differs at flat {bad[:5]}: {a.ravel()[bad[:5]]} vs oracle {e.ravel()[bad[:5]]}"
        )
    fin = np.isfinite(e)
    scale = max(float(np.abs(e[fin]).max(initial=0.0)), np.finfo(dtype).tiny)
    err = np.abs(a[fin] - e[fin])
    tol = kc.TOL[np.dtype(dtype)]
    assert np.all(err <= tol * (np.abs(e[fin]) + scale)), f"{what}: finite entries differ by {err.max():.3e}"


@pytest.mark.parametrize("op", NAN_CASES)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_nan_and_inf_propagate_as_in_numpy(backend, op, data):
    B = get_backend(backend)
    n, m, k = data.draw(
        st.tuples(*[st.sampled_from([1, 2, 3, 5])] * 3)
        if backend == "cuda" and SIM
        else st.tuples(*[st.sampled_from([1, 2, 5, 17, 33])] * 3)
    )
    dtype, seed = data.draw(DTYPE), data.draw(SEED)
    kinds, run = nan_cases(n, m, k)[op]
    rng = np.random.default_rng(seed)
    arrays = [_inputs(kind, shape, rng, dtype) for kind, shape in kinds]
    open_ = [i for i, (kind, _) in enumerate(kinds) if not kind.endswith("!")]
    hits = data.draw(
        st.lists(st.tuples(st.sampled_from(open_), st.integers(0, 10**6), SPECIAL), min_size=1, max_size=4)
    )
    for i, pos, value in hits:
        arrays[i].flat[pos % arrays[i].size] = value
    with np.errstate(all="ignore"):  # NumPy warns on inf - inf; the comparison is the point here
        expected = run(kc.ORACLE, *[a.copy() for a in arrays])
    actual = run(B, *[B.to_device(a.copy()) for a in arrays])
    for j, (a, e) in enumerate(zip(actual, expected)):
        assert_same_specials(a, e, dtype, f"{op} result {j} (inputs {hits})")
