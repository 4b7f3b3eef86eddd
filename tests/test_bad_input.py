"""Bad input never gives a silent wrong answer (issue 10): a catalogue of bad inputs, by class -- dtype, shape,
values, sizes, hyperparameters, files, CLI arguments -- each case asserting the exception type AND that the
message names what was expected and what was given. Cases that reach a kernel also run on the "cpu" backend
when it imports here. Hypothesis draws the position and the kind (NaN, +inf, -inf) of a bad entry in X and Y."""

import math
import pickle
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn_ref import (
    _checks,
    activations,
    batchnorm,
    cli,
    datasets,
    gradcheck,
    graph,
    init,
    network,
    normalize,
    optim,
    regression,
    train,
)
from nn_ref.modelfile import FORMAT, check_writable, load_model, save_model


def _backend_or_skip(backend):
    """The backend name, or skip the case cleanly when the cpu kernels do not import (they are being rewritten)."""
    if backend == "cpu":
        try:
            from nn_ref import kernels

            kernels.get_backend("cpu")
        except Exception as exc:  # ImportError, a numba typing error while the kernels are in flux, ...
            pytest.skip(f"cpu backend does not import here: {type(exc).__name__}: {exc}")
    return backend


BACKENDS = ["numpy", "cpu"]
NAN, INF = float("nan"), float("inf")


def _net(dims=(3, 4, 1), dtype=np.float64):
    P = network.initialize_parameters(list(dims), seed=0, dtype=dtype)
    X = np.random.default_rng(0).standard_normal((dims[0], 5)).astype(dtype)
    Y = (np.arange(5) % 2).reshape(1, 5).astype(dtype)
    return P, X, Y


def _grads(P):
    return {"d" + k: np.ones_like(v) for k, v in P.items()}


def _raises(exc_type, fn, *parts):
    """Run fn, assert it raises exc_type whose message contains every one of ``parts``; return the message."""
    with pytest.raises(exc_type) as info:
        fn()
    message = str(info.value)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


# ============================================================================= dtype: float32/float64 only
P0, X0, Y0 = _net()
DTYPE_CASES = {
    "init dtype int64": (
        lambda: network.initialize_parameters([3, 4, 1], dtype=np.int64),
        ["dtype", "float32 or float64", "int64"],
    ),
    "init dtype float16": (
        lambda: network.initialize_parameters([3, 4, 1], dtype=np.float16),
        ["dtype", "float32 or float64", "float16"],
    ),
    "init_weights dtype bool": (
        lambda: init.init_weights("he", 2, 3, np.random.default_rng(0), dtype=bool),
        ["dtype", "float32 or float64", "bool"],
    ),
    "X int": (lambda: network.forward(X0.astype(np.int64), P0), ["X", "float32 or float64", "int64"]),
    "X bool": (lambda: network.forward(X0 > 0, P0), ["X", "float32 or float64", "bool"]),
    "X complex": (lambda: network.forward(X0.astype(complex), P0), ["X", "float32 or float64", "complex128"]),
    "X object": (lambda: network.forward(X0.astype(object), P0), ["X", "float32 or float64", "object"]),
    "X float16": (lambda: network.forward(X0.astype(np.float16), P0), ["X", "float32 or float64", "float16"]),
    "W1 int": (lambda: network.forward(X0, dict(P0, W1=P0["W1"].astype(np.int32))), ["W1", "float32", "int32"]),
    "Y int": (lambda: network.compute_cost(np.full((1, 5), 0.5), Y0.astype(np.int64)), ["Y", "float32", "int64"]),
    "Y bool in backward": (
        lambda: network.backward(*network.forward(X0, P0)[:1], Y0 > 0, network.forward(X0, P0)[1]),
        ["Y", "float32", "bool"],
    ),
    "dW1 int in update_parameters": (
        lambda: network.update_parameters(
            {k: v.copy() for k, v in P0.items()}, dict(_grads(P0), dW1=np.ones((4, 3), dtype=np.int64)), 0.1
        ),
        ["dW1", "float32", "int64"],
    ),
    "dW1 complex in SGD.step": (
        lambda: optim.SGD().step(
            {k: v.copy() for k, v in P0.items()}, dict(_grads(P0), dW1=np.ones((4, 3), dtype=complex)), 0.1
        ),
        ["dW1", "float32", "complex128"],
    ),
    "Trainer dtype int32": (
        lambda: train.Trainer([3, 4, 1], dtype=np.int32, backend="numpy", progress=False),
        ["dtype", "float32 or float64", "int32"],
    ),
    "Trainer.fit X complex": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(X0.astype(complex), Y0),
        ["X", "real numbers", "complex128"],
    ),
    "Trainer.fit Y object": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(X0, Y0.astype(object)),
        ["Y", "real numbers", "object"],
    ),
    "scaler fit complex": (lambda: normalize.StandardScaler().fit(X0.astype(complex)), ["X", "real", "complex128"]),
    "regression X complex": (lambda: regression.linear_closed_form(X0.astype(complex), Y0), ["X", "real", "complex"]),
}


@pytest.mark.parametrize("case", list(DTYPE_CASES))
def test_dtype(case):
    fn, parts = DTYPE_CASES[case]
    _raises(TypeError, fn, *parts)


def test_float32_and_float64_both_run():
    for dtype in (np.float32, np.float64):
        P, X, Y = _net(dtype=dtype)
        AL, caches = network.forward(X, P)
        assert AL.dtype == dtype and np.isfinite(network.compute_cost(AL, Y))


# ============================================================================= shape: never broadcast
SHAPE_CASES = {
    "X rows": (lambda: network.forward(np.zeros((2, 5)), P0), ["X", "expected shape (3, any)", "got (2, 5)"]),
    "Y (m,)": (lambda: network.compute_cost(np.full((1, 5), 0.5), np.zeros(5)), ["Y", "(1, 5)", "got (5,)"]),
    "SGD dW (4,1) onto (4,3)": (
        lambda: optim.SGD().step({k: v.copy() for k, v in P0.items()}, dict(_grads(P0), dW1=np.ones((4, 1))), 0.1),
        ["dW1", "(4, 3)", "(4, 1)"],
    ),
    "Momentum db": (
        lambda: optim.Momentum().step({k: v.copy() for k, v in P0.items()}, dict(_grads(P0), db2=np.ones(1)), 0.1),
        ["db2", "(1, 1)", "(1,)"],
    ),
    "Adam missing dW2": (
        lambda: optim.Adam().step(
            {k: v.copy() for k, v in P0.items()}, {k: v for k, v in _grads(P0).items() if k != "dW2"}, 0.1
        ),
        ["dW2", "W2"],
    ),
    "update_parameters dW2": (
        lambda: network.update_parameters(
            {k: v.copy() for k, v in P0.items()}, dict(_grads(P0), dW2=np.ones((4, 1))), 0.1
        ),
        ["dW2", "(1, 4)", "(4, 1)"],
    ),
    "Trainer.fit Y columns": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(X0, np.zeros((1, 4))),
        ["Y", "(1, 5)", "got (1, 4)"],
    ),
}


@pytest.mark.parametrize("case", list(SHAPE_CASES))
def test_shape(case):
    fn, parts = SHAPE_CASES[case]
    _raises(ValueError, fn, *parts)


@pytest.mark.parametrize("backend", BACKENDS)
def test_optimizer_shape_check_on_backend(backend):
    from nn_ref.backend import to_backend

    B = _backend_or_skip(backend)
    P = to_backend({k: v.copy() for k, v in P0.items()}, B)
    grads = to_backend(dict(_grads(P0), dW1=np.ones((4, 1))), B)
    for opt in (optim.SGD(), optim.Momentum(), optim.Adam()):
        _raises(ValueError, lambda opt=opt: opt.step(P, grads, 0.1, backend=B), "dW1", "(4, 3)", "(4, 1)")


def test_a_bad_gradient_updates_nothing():
    """All gradients are checked before the first parameter moves: no half-applied step."""
    bad = dict(_grads(P0), dW2=np.ones((4, 1)))
    for step in (optim.SGD().step, optim.Adam().step, network.update_parameters):
        P = {k: v.copy() for k, v in P0.items()}
        _raises(ValueError, lambda step=step, P=P: step(P, bad, 0.1), "dW2", "(1, 4)", "(4, 1)")
        assert all(np.array_equal(P[k], P0[k]) for k in P0)


# ============================================================================= values: finite, labels, m >= 1
BAD = st.sampled_from([NAN, INF, -INF])


def _fmt(value):
    return str(np.float64(value))


@settings(max_examples=15, deadline=None)  # a loaded runner must not fail on time
@given(i=st.integers(0, 2), j=st.integers(0, 4), bad=BAD)
def test_nonfinite_X_named_with_index_and_value(i, j, bad):
    X = X0.copy()
    X[i, j] = bad
    where = f"index ({i}, {j})"
    _raises(ValueError, lambda: network.forward(X, P0), "X", "finite", _fmt(bad), where)
    tr = train.Trainer([3, 4, 1], backend="numpy", progress=False)
    _raises(ValueError, lambda: tr.fit(X, Y0), "X", "finite", _fmt(bad), where)
    _raises(ValueError, lambda: tr.evaluate(X, Y0), "X", "finite", _fmt(bad), where)
    _raises(ValueError, lambda: normalize.MinMaxScaler().fit(X), "X", "finite", _fmt(bad), where)
    _raises(ValueError, lambda: regression.linear_gd(X, Y0, num_steps=2), "X", "finite", _fmt(bad), where)


@settings(max_examples=15, deadline=None)  # a loaded runner must not fail on time
@given(j=st.integers(0, 4), bad=BAD, loss=st.sampled_from(["cross_entropy", "mse", "l1"]))
def test_nonfinite_Y_named_with_index_and_value(j, bad, loss):
    Y = Y0.copy()
    Y[0, j] = bad
    where = f"index (0, {j})"
    AL, caches = network.forward(X0, P0)
    _raises(ValueError, lambda: network.compute_cost(AL, Y, loss), "Y", "finite", _fmt(bad), where)
    _raises(ValueError, lambda: network.backward(AL, Y, caches, loss), "Y", "finite", _fmt(bad), where)
    tr = train.Trainer([3, 4, 1], loss=loss, backend="numpy", progress=False)
    _raises(ValueError, lambda: tr.fit(X0, Y), "Y", "finite", _fmt(bad), where)
    _raises(ValueError, lambda: regression.logistic_cost(np.zeros((1, 3)), 0.0, X0, Y), "Y", _fmt(bad), where)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_X_refused_before_the_kernel(backend):
    B = _backend_or_skip(backend)
    X = X0.copy()
    X[1, 2] = NAN
    _raises(ValueError, lambda: network.forward(X, P0, backend=B), "X", "finite", "nan", "index (1, 2)")
    tr = train.Trainer([3, 4, 1], backend=B, progress=False)
    _raises(ValueError, lambda: tr.fit(X, Y0), "X", "finite", "nan", "index (1, 2)")


def _softmax_out():
    P = network.initialize_parameters([3, 4, 3], seed=0)
    return P, network.forward(X0, P, output_activation="softmax")


LABEL_CASES = {
    "binary label 2": (
        lambda: network.compute_cost(np.full((1, 5), 0.5), np.array([[0, 1, 2, 0, 1.0]])),
        ["Y", "cross_entropy", "[0, 1]", "2.0", "index (0, 2)"],
    ),
    "binary label -1 in backward": (
        lambda: network.backward(
            network.forward(X0, P0)[0], np.array([[0, 1, 0, -1, 1.0]]), network.forward(X0, P0)[1]
        ),
        ["Y", "cross_entropy", "[0, 1]", "-1.0", "index (0, 3)"],
    ),
    "categorical not one-hot": (
        lambda: network.compute_cost(
            _softmax_out()[1][0],
            np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 0, 0, 0.0]]),
            "categorical_cross_entropy",
        ),
        ["Y", "one-hot", "column 2", "0"],
    ),
    "categorical negative": (
        lambda: network.compute_cost(
            _softmax_out()[1][0],
            np.array([[2, 0, 1, 1, 0], [-1, 1, 0, 0, 1], [0, 0, 0, 0, 0.0]]),
            "categorical_cross_entropy",
        ),
        ["Y", "one-hot", "2.0", "index (0, 0)"],
    ),
    "Trainer.fit labels 0/1/2": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(X0, np.array([[0, 1, 2, 0, 1]])),
        ["Y", "cross_entropy", "[0, 1]", "2.0"],
    ),
    "logistic_gd labels": (
        lambda: regression.logistic_gd(X0, np.array([[0, 1, 3, 0, 1.0]]), num_steps=1),
        ["Y", "cross_entropy", "3.0", "index (0, 2)"],
    ),
}


@pytest.mark.parametrize("case", list(LABEL_CASES))
def test_labels_fit_the_loss(case):
    fn, parts = LABEL_CASES[case]
    _raises(ValueError, fn, *parts)


@pytest.mark.parametrize("bad", [NAN, 0.5, 1.5])
def test_one_hot_label_check_names_the_bad_entry(bad):
    # the fast path (min, max, column sums) must not let a NaN or a column that does not sum to 1 through
    Y = np.eye(3)[:, [0, 1, 2, 0, 1]]
    Y[1, 3] = bad
    parts = ["column 3"] if 0 <= bad <= 1 else [_fmt(bad), "index (1, 3)"]
    _raises(ValueError, lambda: _checks.check_labels("Y", Y, "categorical_cross_entropy"), "Y", "one-hot", *parts)
    _checks.check_labels("Y", np.eye(3)[:, [0, 1, 2, 0, 1]], "categorical_cross_entropy")


def test_any_real_label_for_mse_and_l1_and_soft_binary_labels():
    AL = np.array([[0.5, 0.25]])
    Y = np.array([[5.0, -3.0]])
    assert network.compute_cost(AL, Y, "mse") == pytest.approx(((0.5 - 5) ** 2 + (0.25 + 3) ** 2) / 2)
    assert network.compute_cost(AL, Y, "l1") == pytest.approx((4.5 + 3.25) / 2)
    soft = np.array([[0.3, 0.7]])
    expected = -np.mean(soft * np.log(AL) + (1 - soft) * np.log(1 - AL))
    assert network.compute_cost(AL, soft) == pytest.approx(expected)


M0_CASES = {
    "forward m=0": (lambda: network.forward(np.zeros((3, 0)), P0), ["X", "m >= 1", "(3, 0)"]),
    "compute_cost m=0": (lambda: network.compute_cost(np.zeros((1, 0)), np.zeros((1, 0))), ["AL", "m >= 1", "(1, 0)"]),
    "Trainer.fit m=0": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(np.zeros((3, 0)), np.zeros((1, 0))),
        ["X", "m >= 1", "(3, 0)"],
    ),
    "scaler m=0": (lambda: normalize.StandardScaler().fit(np.zeros((3, 0))), ["X", "m >= 1", "(3, 0)"]),
    "regression m=0": (lambda: regression.linear_closed_form(np.zeros((2, 0)), np.zeros((1, 0))), ["X", "m >= 1"]),
    "blobs m=0": (lambda: datasets.blobs(m=0), ["m", "integer >= 1", "0"]),
    "check_network m=0": (lambda: gradcheck.check_network([4, 3, 1], m=0), ["m", "integer >= 1", "0"]),
}


@pytest.mark.parametrize("case", list(M0_CASES))
def test_at_least_one_sample(case):
    fn, parts = M0_CASES[case]
    _raises(ValueError, fn, *parts)


# ============================================================================= sizes
SIZE_CASES = {
    "layer 2.7": (lambda: network.initialize_parameters([3, 2.7, 1]), ["layer_dims[1]", "integer >= 1", "2.7"]),
    "layer 0": (lambda: network.initialize_parameters([3, 0, 1]), ["layer_dims[1]", "integer >= 1", "0"]),
    "layer True": (lambda: network.initialize_parameters([3, True, 1]), ["layer_dims[1]", "integer >= 1", "True"]),
    "layer -2": (lambda: network.initialize_parameters([-2, 1]), ["layer_dims[0]", "integer >= 1", "-2"]),
    "one layer size": (lambda: network.initialize_parameters([3]), ["layer_dims", "at least two", "[3]"]),
    "not a list": (lambda: network.initialize_parameters(7), ["layer_dims", "list of positive integers", "7"]),
    "Trainer layer 2.7": (lambda: train.Trainer([3, 2.7, 1], backend="numpy"), ["layer_dims[1]", "2.7"]),
    "check_network layer 0": (lambda: gradcheck.check_network([4, 0, 1]), ["layer_dims[1]", "0"]),
    "batch_size 0": (lambda: train.Trainer([3, 1], batch_size=0, backend="numpy"), ["batch_size", ">= 1", "0"]),
    "batch_size 2.7": (lambda: train.Trainer([3, 1], batch_size=2.7, backend="numpy"), ["batch_size", "2.7"]),
    "batch_multiplier 0": (
        lambda: train.Trainer([3, 1], batch_multiplier=0, backend="numpy"),
        ["batch_multiplier", ">= 1", "0"],
    ),
    "batch_multiplier 1.5": (lambda: optim.GradientAccumulator(1.5), ["batch_multiplier", "integer", "1.5"]),
    "minibatches batch_size -1": (
        lambda: list(optim.minibatches(X0, Y0, -1, shuffle=False)),
        ["batch_size", ">= 1", "-1"],
    ),
    "epochs -3": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(X0, Y0, epochs=-3),
        ["epochs", "integer >= 0", "-3"],
    ),
    "epochs 2.5": (
        lambda: train.Trainer([3, 4, 1], backend="numpy", progress=False).fit(X0, Y0, epochs=2.5),
        ["epochs", "integer >= 0", "2.5"],
    ),
    "num_steps -1": (lambda: regression.linear_gd(X0, Y0, num_steps=-1), ["num_steps", ">= 0", "-1"]),
}


@pytest.mark.parametrize("case", list(SIZE_CASES))
def test_sizes(case):
    fn, parts = SIZE_CASES[case]
    _raises(ValueError, fn, *parts)


def test_epochs_zero_is_a_valid_no_op():
    tr = train.Trainer([3, 4, 1], backend="numpy", progress=False)
    before = {k: v.copy() for k, v in tr.parameters.items()}
    assert tr.fit(X0, Y0, epochs=0)["cost"] == []
    assert all(np.array_equal(before[k], tr.parameters[k]) for k in before)


# ============================================================================= hyperparameters
BAD_LR = [0, -0.1, NAN, INF, True, "0.1"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lr", BAD_LR, ids=repr)
def test_learning_rate_positive_finite_everywhere(lr, backend):
    from nn_ref.backend import to_backend

    B = _backend_or_skip(backend)
    given_ = repr(lr)
    P = to_backend({k: v.copy() for k, v in P0.items()}, B)
    G = to_backend(_grads(P0), B)
    _raises(
        ValueError, lambda: network.update_parameters(P, G, lr, backend=B), "learning_rate", "positive finite", given_
    )
    for opt in (optim.SGD(), optim.Momentum(), optim.Adam()):
        _raises(ValueError, lambda opt=opt: opt.step(P, G, lr, backend=B), "learning_rate", "positive finite", given_)
    assert all(np.array_equal(np.asarray(P[k]), P0[k]) for k in P0)  # nothing was updated
    if lr is not True and not isinstance(lr, str):
        _raises(
            ValueError,
            lambda: train.Trainer([3, 4, 1], learning_rate=lr, backend=B, progress=False),
            "learning_rate",
            "positive finite",
            given_,
        )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fused", [False, True])
def test_schedule_value_checked_per_update(backend, fused):
    B = _backend_or_skip(backend)
    if fused and B == "numpy":
        pytest.skip("nothing to fuse on numpy")
    tr = train.Trainer(
        [3, 4, 1],
        learning_rate=lambda t: 0.1 if t < 2 else NAN,
        batch_size=None,
        backend=B,
        progress=False,
        fused=fused,
    )
    _raises(ValueError, lambda: tr.fit(X0, Y0, epochs=5), "learning_rate", "positive finite", "nan", "t = 2")
    assert tr.t == 2


HYPER_CASES = {
    "Momentum beta 1": (lambda: optim.Momentum(beta=1.0), ["beta", "[0, 1)", "1.0"]),
    "Momentum beta nan": (lambda: optim.Momentum(beta=NAN), ["beta", "[0, 1)", "nan"]),
    "Adam beta1 -0.1": (lambda: optim.Adam(beta1=-0.1), ["beta1", "[0, 1)", "-0.1"]),
    "Adam beta2 1": (lambda: optim.Adam(beta2=1), ["beta2", "[0, 1)", "1"]),
    "Adam eps 0": (lambda: optim.Adam(eps=0), ["eps", "positive finite", "0"]),
    "Adam eps inf": (lambda: optim.Adam(eps=INF), ["eps", "positive finite", "inf"]),
    "bn eps 0": (lambda: batchnorm.init_bn_params([3, 4, 1], eps=0), ["eps", "positive finite", "0"]),
    "bn eps -1e-5": (lambda: batchnorm.init_bn_params([3, 4, 1], eps=-1e-5), ["eps", "positive finite", "-1e-05"]),
    "bn momentum 1": (lambda: batchnorm.init_bn_params([3, 4, 1], momentum=1.0), ["momentum", "[0, 1)", "1.0"]),
    "Trainer bn_eps nan": (
        lambda: train.Trainer([3, 4, 1], batchnorm=True, bn_eps=NAN, backend="numpy"),
        ["eps", "positive finite", "nan"],
    ),
    "normal sigma nan": (
        lambda: network.initialize_parameters([3, 2], init="normal", sigma=NAN),
        ["sigma", "positive finite", "nan"],
    ),
    "gradient_check eps 0": (
        lambda: gradcheck.gradient_check(lambda P: (0.0, {}), {"W1": np.ones((1, 1))}, eps=0),
        ["eps", "positive finite", "0"],
    ),
}


@pytest.mark.parametrize("case", list(HYPER_CASES))
def test_hyperparameters(case):
    fn, parts = HYPER_CASES[case]
    _raises(ValueError, fn, *parts)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bad", [{"eps": 0.0}, {"eps": -1.0}, {"momentum": 1.0}, {"momentum": -0.5}], ids=str)
def test_batchnorm_forward_bn_param(bad, backend):
    from nn_ref.backend import to_backend

    B = _backend_or_skip(backend)
    Z, g, b = to_backend({"Z": np.ones((2, 4)), "g": np.ones((2, 1)), "b": np.zeros((2, 1))}, B).values()
    key, value = next(iter(bad.items()))
    _raises(
        ValueError,
        lambda: batchnorm.batchnorm_forward(Z, g, b, {"mode": "train", **bad}, backend=B),
        f"bn_param['{key}']",
        repr(value),
    )


# ============================================================================= graph.Value domains
def test_value_relu_keeps_nan_like_numpy():
    out = graph.Value(NAN).relu()
    assert math.isnan(out.data) and np.isnan(np.maximum(NAN, 0))
    assert graph.Value(-2.0).relu().data == 0.0 and graph.Value(3.0).relu().data == 3.0


GRAPH_CASES = {
    "log 0": (ValueError, lambda: graph.Value(0.0).log(), ["log", "positive", "0.0"]),
    "log -1": (ValueError, lambda: graph.Value(-1.0).log(), ["log", "positive", "-1.0"]),
    "(-8) ** 0.5": (ValueError, lambda: graph.Value(-8.0) ** 0.5, ["** 0.5", "negative base", "-8.0"]),
    "0 ** -1": (ZeroDivisionError, lambda: graph.Value(0.0) ** -1, ["** -1", "negative power", "division by zero"]),
    "1 / 0": (ZeroDivisionError, lambda: graph.Value(1.0) / 0.0, ["division by zero", "1.0 / 0.0"]),
    "2 / Value(0)": (ZeroDivisionError, lambda: 2.0 / graph.Value(0.0), ["division by zero", "2.0 / 0.0"]),
    "sqrt'(0)": (ZeroDivisionError, lambda: (graph.Value(0.0) ** 0.5).backward(), ["** 0.5", "infinite", "a = 0"]),
}


@pytest.mark.parametrize("case", list(GRAPH_CASES))
def test_value_domain_errors(case):
    exc, fn, parts = GRAPH_CASES[case]
    _raises(exc, fn, *parts)


# ============================================================================= files
def _meta(dims=(3, 4, 1)):
    return {
        "format": FORMAT,
        "layer_dims": np.array(dims),
        "hidden_activation": "relu",
        "output_activation": "sigmoid",
        "loss": "cross_entropy",
        "alpha": 0.01,
        "batchnorm": False,
        "bn_eps": 1e-5,
        "bn_momentum": 0.9,
    }


def test_not_a_model_file_is_one_line_naming_the_file(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(np.random.default_rng(0).bytes(300))
    pick = tmp_path / "model.pkl"
    pick.write_bytes(pickle.dumps({"W1": [1, 2]}))
    other = tmp_path / "other.npz"
    np.savez(other, a=np.ones(3))
    for path, part in (
        (junk, "not a readable nn-ref model file"),
        (pick, "not a readable nn-ref model file"),
        (other, "expected format"),
    ):
        message = _raises(ValueError, lambda path=path: load_model(path), str(path), part)
        assert "\n" not in message
    _raises(FileNotFoundError, lambda: train.Trainer.load(tmp_path / "missing.npz"), "missing.npz", "no such")


def test_nonfinite_model_neither_saved_nor_loaded(tmp_path):
    state = {k: v.copy() for k, v in P0.items()}
    state["W2"][0, 1] = NAN
    _raises(ValueError, lambda: save_model(tmp_path / "m.npz", state, _meta()), "m.npz", "non-finite", "W2[0, 1]")
    assert not (tmp_path / "m.npz").exists()
    bad = tmp_path / "bad.npz"
    np.savez(bad, **{f"meta_{k}": np.asarray(v) for k, v in _meta().items()}, **state)
    _raises(ValueError, lambda: load_model(bad), "bad.npz", "non-finite", "W2[0, 1] = nan")


def test_check_writable(tmp_path):
    _raises(ValueError, lambda: check_writable("/proc/forbidden/m.npz"), "/proc/forbidden/m.npz", "cannot write")
    _raises(ValueError, lambda: check_writable(tmp_path), str(tmp_path), "directory", "model.npz")
    _raises(ValueError, lambda: check_writable(f"{tmp_path}/"), "folder name", "model.npz")
    check_writable(tmp_path / "new" / "m.npz")  # a folder save_model would create: fine


# ============================================================================= CLI: one line, exit 2
def _cli(argv, capsys):
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def _random_file(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(1).bytes(200))
    return path


def _pickle_file(tmp_path):
    path = tmp_path / "pickled.npz"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    return path


TRAIN = ["train", "--dataset", "blobs", "--backend", "numpy", "--no-progress", "--epochs", "1"]
CLI_CASES = {
    "train --layers 4,,1": (TRAIN + ["--layers", "4,,1"], ["--layers", "positive integers", "'4,,1'", "empty"]),
    "train --layers 2,2.7,1": (TRAIN + ["--layers", "2,2.7,1"], ["--layers", "positive integers", "'2,2.7,1'"]),
    "train --layers 2,0,1": (TRAIN + ["--layers", "2,0,1"], ["--layers", "positive", "'2,0,1'"]),
    "train --layers 2": (TRAIN + ["--layers", "2"], ["--layers", "at least two", "'2'"]),
    "train --epochs -3": (TRAIN + ["--epochs", "-3"], ["--epochs", "non-negative integer", "'-3'"]),
    "train --epochs 2.5": (TRAIN + ["--epochs", "2.5"], ["--epochs", "non-negative integer", "'2.5'"]),
    "train --lr 0": (TRAIN + ["--lr", "0"], ["--lr", "positive finite", "'0'"]),
    "train --lr nan": (TRAIN + ["--lr", "nan"], ["--lr", "positive finite", "'nan'"]),
    "train --lr -1": (TRAIN + ["--lr=-1"], ["--lr", "positive finite", "'-1'"]),
    "train --batch-size -1": (TRAIN + ["--batch-size=-1"], ["--batch-size", "non-negative", "'-1'"]),
    "train --batch-multiplier 0": (TRAIN + ["--batch-multiplier", "0"], ["--batch-multiplier", "positive", "'0'"]),
    "train --gamma -1": (TRAIN + ["--gamma=-1"], ["--gamma", "non-negative", "'-1'"]),
    "train --test-fraction 1": (TRAIN + ["--test-fraction", "1"], ["--test-fraction", "below 1", "'1'"]),
    "train --test-fraction 0": (TRAIN + ["--test-fraction", "0"], ["--test-fraction", "positive", "'0'"]),
    "train --dataset nope": (["train", "--dataset", "nope"], ["--dataset", "invalid choice", "'nope'"]),
    "train layers do not fit": (TRAIN + ["--layers", "3,1"], ["--layers 3,1", "blobs", "n0 = 2"]),
    "train softmax on 1 output": (TRAIN + ["--output", "softmax"], ["--output softmax", "n[L] >= 2", "blobs"]),
    "train a net larger than memory": (  # 1e12 parameters: refused before any allocation, on any machine
        TRAIN + ["--layers", "2,1000000,1000000,1"],
        ["--layers 2,1000000,1000000,1", "1e+12 parameters", "GB of memory available"],
    ),
    "gradcheck --eps 1": (["gradcheck", "--eps", "1"], ["--eps", "below 1", "'1'"]),
    "gradcheck --eps 1e300": (["gradcheck", "--eps", "1e300"], ["--eps", "below 1", "'1e300'"]),
    "bench --gemm 2.5": (["bench", "--gemm", "2.5"], ["--gemm", "positive integer", "'2.5'"]),
    "bench --settle -1": (["bench", "--settle=-1"], ["--settle", "non-negative", "'-1'"]),
    "bench --json a folder": (["bench", "--json", lambda tmp: tmp], ["is a directory", "bench.json"]),
    "profile --plot .txt": (["profile", "--plot", lambda tmp: tmp / "roofline.txt"], ["--plot", ".png, .svg, .pdf"]),
    "figures --out a file": (
        ["figures", "--only", "activation_functions", "--out", lambda tmp: _random_file(tmp)],
        ["--out", "random.npz", "not a folder"],
    ),
    "train --save /proc": (TRAIN + ["--save", "/proc/forbidden/m.npz"], ["/proc/forbidden/m.npz", "cannot write"]),
    "evaluate missing": (["evaluate", "--load", "/nonexistent/m.npz"], ["/nonexistent/m.npz", "no such model"]),
    "evaluate random bytes": (["evaluate", "--load", _random_file], ["random.npz", "not a readable nn-ref model"]),
    "evaluate pickle": (["evaluate", "--load", _pickle_file], ["pickled.npz", "not a readable nn-ref model"]),
    "gradcheck --m 0": (["gradcheck", "--m", "0"], ["--m", "positive integer", "'0'"]),
    "gradcheck --eps 0": (["gradcheck", "--eps", "0"], ["--eps", "positive finite", "'0'"]),
    "gradcheck --eps nan": (["gradcheck", "--eps", "nan"], ["--eps", "positive finite", "'nan'"]),
    "gradcheck --layers 4,,1": (["gradcheck", "--layers", "4,,1"], ["--layers", "'4,,1'", "empty"]),
    "gradcheck softmax 1 unit": (
        ["gradcheck", "--layers", "3,1", "--output", "softmax"],
        ["softmax", "n[L] >= 2", "[3, 1]"],
    ),
    "trace --m 0": (["trace", "--m", "0"], ["--m", "positive integer", "'0'"]),
    "trace --lr inf": (["trace", "--lr", "inf"], ["--lr", "positive finite", "'inf'"]),
    "trace --precision -1": (["trace", "--precision=-1"], ["--precision", "non-negative", "'-1'"]),
    "trace softmax 1 unit": (["trace", "--layers", "3,4,1", "--output", "softmax"], ["softmax"]),
    "info --bogus": (["info", "--bogus"], ["unrecognized arguments", "--bogus"]),  # argparse: "nn-ref: error:"
    "bench --rounds 0": (["bench", "--rounds", "0", "--no-compile"], ["--rounds", "positive integer", "'0'"]),
    "bench --budget -1": (["bench", "--budget=-1", "--no-compile"], ["--budget", "positive finite", "'-1'"]),
    "bench --json /proc": (
        ["bench", "--json", "/proc/forbidden/b.json", "--no-compile"],
        ["/proc/forbidden/b.json", "cannot write"],
    ),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_one_line_exit_2(case, capsys, tmp_path):
    argv, parts = CLI_CASES[case]
    argv = [str(a(tmp_path)) if callable(a) else a for a in argv]
    rc, out, err = _cli(argv, capsys)
    verb = argv[0] if "--bogus" not in argv else ""  # unrecognized arguments are the top parser's: "nn-ref: error:"
    assert rc == 2, (rc, out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"nn-ref {verb}: error:".replace(" :", ":")), lines[0]
    assert "Traceback" not in err
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"


def test_cli_save_checked_before_training(capsys):
    rc, out, err = _cli(TRAIN + ["--epochs", "50", "--save", "/proc/forbidden/m.npz"], capsys)
    assert rc == 2 and out == "" and err.startswith("nn-ref train: error: /proc/forbidden/m.npz")


def test_cli_debug_shows_the_traceback(capsys):
    with pytest.raises(ValueError, match="n0 = 2"):
        cli.main(["--debug"] + TRAIN + ["--layers", "3,1"])


def test_cli_divergence_is_one_line(capsys):
    """A run that diverges (lr 1e6, linear output, mse) ends in one line naming the divergence, exit 2."""
    rc, out, err = _cli(
        ["train", "--dataset", "square", "--backend", "numpy", "--no-progress", "--epochs", "5", "--lr", "1e6"], capsys
    )
    assert rc == 2 and len(err.splitlines()) == 1
    assert err.startswith("nn-ref train: error: training diverged") and "learning rate 1e+06" in err


# ============================================================================= gradient_check's options
_F = lambda P: float((P["W1"] ** 2).sum())  # noqa: E731  J = sum W^2, dJ/dW = 2 W
_P = {"W1": np.ones((2, 2))}
GRADCHECK_OPTION_CASES = {
    "max_entries_per_array=0 (would check nothing and pass)": (
        dict(max_entries_per_array=0),
        ["max_entries_per_array", ">= 1", "0"],
    ),
    "threshold=inf (would pass any gradient)": (dict(threshold=math.inf), ["threshold", "inf"]),
    "threshold=1 (the difference is at most 1)": (dict(threshold=1.0), ["threshold", "(0, 1)"]),
    "threshold=0": (dict(threshold=0.0), ["threshold", "0.0"]),
    "empty parameters": (dict(parameters={}), ["parameters", "non-empty", "empty dict"]),
    "empty grads": (dict(grads={}), ["grads", "non-empty"]),
    "names not in parameters": (dict(names=["W2"]), ["names", "W2"]),
    "a run past max_seconds": (dict(max_seconds=1e-12), ["max_seconds", "4 entries x 2 evaluations", "about"]),
}


@pytest.mark.parametrize("case", list(GRADCHECK_OPTION_CASES))
def test_gradient_check_options(case):
    options, parts = GRADCHECK_OPTION_CASES[case]
    kwargs = dict(dict(parameters=_P, grads={"W1": np.zeros((2, 2))}), **options)  # all-zero: a wrong gradient
    _raises(ValueError, lambda: gradcheck.gradient_check(_F, **kwargs), *parts)


def test_gradient_check_still_fails_a_wrong_gradient_and_passes_the_right_one():
    assert not gradcheck.gradient_check(_F, _P, {"W1": np.zeros((2, 2))}, max_entries_per_array=1).passed
    assert gradcheck.gradient_check(_F, _P, {"W1": 2 * np.ones((2, 2))}).passed


@pytest.mark.parametrize(
    "argv, words",
    [
        (["bench", "--gemm", "0"], ["nn-ref bench: error:", "--gemm", "0"]),
        (["gradcheck", "--layers", "784,1024,10", "--max-seconds", "0.001"], ["max_seconds", "about", "818010"]),
    ],
)
def test_cli_errors_are_one_line_with_status_2(argv, words, capsys):
    rc, out, err = _cli(argv, capsys)  # an argparse type's error (--gemm) or the verb's own (max_seconds)
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


# ============================================================================= files: never replaced, never hung
def _a_model(dims=(3, 4, 1)):
    P = network.initialize_parameters(list(dims), seed=0)
    meta = dict(
        format=FORMAT,
        layer_dims=list(dims),
        hidden_activation="relu",
        output_activation="sigmoid",
        loss="cross_entropy",
        alpha=0.01,
        batchnorm=False,
        bn_eps=1e-5,
        bn_momentum=0.9,
    )
    return P, meta


def test_save_refuses_a_fifo_and_load_refuses_it_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    P, meta = _a_model()
    _raises(ValueError, lambda: save_model(fifo, P, meta), str(fifo), "not a regular file")
    _raises(ValueError, lambda: check_writable(fifo), "not a regular file")
    _raises(ValueError, lambda: load_model(fifo), "not a regular file")  # opening it would block forever
    assert fifo.exists() and not fifo.is_file()  # still the FIFO


def test_save_over_a_private_model_keeps_its_mode(tmp_path):
    import os
    import stat

    path = tmp_path / "model.npz"
    P, meta = _a_model()
    save_model(path, P, meta)
    os.chmod(path, 0o600)
    save_model(path, P, meta)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    state, _ = load_model(path)
    np.testing.assert_array_equal(state["W1"], P["W1"])


def _deflated_model(path, dims):
    """A model file of ``dims`` (zero parameters) written as np.savez_compressed writes it: each entry deflated."""
    P = {k: np.zeros_like(v) for k, v in network.initialize_parameters(list(dims), init="zeros").items()}
    meta = dict(_a_model(dims)[1], layer_dims=np.array(dims))
    np.savez_compressed(path, **{f"meta_{k}": np.asarray(v) for k, v in meta.items()}, **P)


def test_a_model_that_deflates_from_a_small_file_is_refused_before_unpacking(tmp_path):
    """Entries that fit the layer dims the file claims, but 3.2 MB unpacked from a few kB: a zip bomb."""
    path = tmp_path / "bomb.npz"
    _deflated_model(path, (2, 100_000, 1))
    assert path.stat().st_size < 100_000
    _raises(ValueError, lambda: load_model(path), "bomb.npz", "would unpack to", "refusing to unpack")
    small = tmp_path / "small.npz"  # the same writer, a small net: under the bound, it loads
    _deflated_model(small, (3, 4, 1))
    assert load_model(small)[1]["layer_dims"] == [3, 4, 1]


def test_a_model_larger_than_the_memory_available_is_refused_before_unpacking(tmp_path, monkeypatch):
    from nn_ref import modelfile

    path = tmp_path / "model.npz"
    P, meta = _a_model((3, 40, 1))
    save_model(path, P, meta)
    monkeypatch.setattr(modelfile, "available_memory", lambda: 1000)  # a machine with 1 kB free
    _raises(ValueError, lambda: load_model(path), "model.npz", "[3, 40, 1]", "GB of memory available")
    monkeypatch.setattr(modelfile, "available_memory", lambda: None)  # unknown: not refused
    assert load_model(path)[1]["layer_dims"] == [3, 40, 1]


def test_a_model_that_would_unpack_too_large_is_refused_before_unpacking(tmp_path):
    import zipfile

    P, meta = _a_model()
    path = tmp_path / "bomb.npz"
    save_model(path, P, meta)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:  # 8 MB of zeros, ~8 kB on disk
        zf.writestr("W1x.npy", b"\0" * (8 << 20))
    _raises(ValueError, lambda: load_model(path), "unexpected entry", "W1x.npy")
    path2 = tmp_path / "bomb2.npz"
    with zipfile.ZipFile(path, "r") as src, zipfile.ZipFile(path2, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "W1x.npy":
                continue
            data = src.read(info) if info.filename != "W1.npy" else b"\0" * (8 << 20)
            dst.writestr(info.filename, data)
    _raises(ValueError, lambda: load_model(path2), "W1.npy", "would unpack to 8388608 bytes", "refusing")


# ----------------------------------------------------------------------------- arguments passed on inside nn-ref
def _fifo_mnist(tmp_path):
    import os

    for stem in datasets.MNIST_FILES["train"]:
        os.mkfifo(tmp_path / stem)
    return tmp_path


PASSED_ON_CASES = {
    "activation_backward's cache, as softmax_backward declares it": (
        lambda tmp: activations.activation_backward(np.ones((4, 5)), np.ones((4, 1)), "softmax"),
        r"cache: expected shape \(4, 5\), got \(4, 1\)",
    ),
    "leaky_relu's (Z, alpha) cache": (
        lambda tmp: activations.activation_backward(np.ones((4, 5)), (np.ones((4, 1)), 0.1), "leaky_relu"),
        r"cache.Z: expected shape \(4, 5\)",
    ),
    "make_optimizer's options": (lambda tmp: optim.make_optimizer("adam", beta1=2.0), r"beta1: expected a number"),
    "Trainer's optimizer options": (
        lambda tmp: train.Trainer([3, 4, 1], optimizer="momentum", optimizer_options={"beta": -0.5}),
        r"beta: expected a number",
    ),
    "load_mnist's files (FIFOs would block)": (
        lambda tmp: datasets.load_mnist(_fifo_mnist(tmp)),
        r"path: .*train-images-idx3-ubyte: not a regular file .*refusing to read it",
    ),
    "accuracy's labels {0, 2}": (
        lambda tmp: network.accuracy(np.ones((2, 4)), np.array([[0, 2, 0, 2]]), network.initialize_parameters([2, 1])),
        r"Y: accuracy with a sigmoid output expects 0/1 labels, got 2 at index \(0, 1\)",
    ),
    "a Decimal slope": (
        lambda tmp: network.linear_activation_forward(
            np.ones((2, 3)), np.ones((4, 2)), np.ones((4, 1)), "leaky_relu", Decimal("0.1")
        ),
        r"alpha: expected a number in .*got Decimal",
    ),
    "a gap in the parameter keys": (
        lambda tmp: network.forward(
            np.ones((2, 3)),
            {"W1": np.ones((3, 2)), "b1": np.ones((3, 1)), "W3": np.ones((1, 3)), "b3": np.ones((1, 1))},
        ),
        r"parameters: expected keys W1, b1, ..., W3, b3 with no gaps, missing \['W2', 'b2'\]",
    ),
    "f returning text": (
        lambda tmp: gradcheck.gradient_check(lambda p: "x", {"W1": np.ones((2, 2))}, {"W1": np.ones((2, 2))}),
        r"f: expected f\(parameters\) to return a float J or \(J, grads\), got 'x'",
    ),
}


@pytest.mark.parametrize("case", list(PASSED_ON_CASES))
def test_arguments_passed_on_inside_nn_ref_are_checked(case, tmp_path):
    """A function that passes your argument on (a registry, an optimizer's options, a folder's files) has it
    checked as the function that uses it declares it: a clear error, never a silent answer or a blocked read."""
    call, message = PASSED_ON_CASES[case]
    with pytest.raises((TypeError, ValueError), match=message):
        call(tmp_path)
