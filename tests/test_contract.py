"""The backend contract is code (``nn_ref.kernels.contract.Backend``): every backend module that can load here
implements every op of it with exactly the protocol's signature (parameter names, kinds and defaults), and
importing the package or the contract does not import numba."""

import dataclasses
import inspect
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from nn_ref.kernels import StepConfig, contract, cuda_available, get_backend, pack_parameters, parameter_views

BACKENDS = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[pytest.mark.cuda, pytest.mark.skipif(not cuda_available()[0], reason="no GPU and no simulator")],
    ),
]


def _protocol_parameters(op):
    params = list(inspect.signature(getattr(contract.Backend, op)).parameters.values())
    assert params[0].name == "self"
    return [(p.name, p.kind, p.default) for p in params[1:]]


def test_the_protocol_lists_the_ops():
    """BACKEND_OPS is read from the Protocol: every op the hand-offs of nn_ref call (``K.op(`` in its source)
    is in it, and the teaching modules call nothing else of a backend."""
    import pathlib
    import re

    import nn_ref

    used = set()
    for path in pathlib.Path(nn_ref.__file__).parent.glob("*.py"):
        used |= set(re.findall(r"\bK\.(\w+)\(", path.read_text(encoding="utf-8")))
    ops = set(contract.BACKEND_OPS)
    assert {"linear_forward", "linear_backward", "cost", "update", "axpby", "adam_update"} <= used
    assert used <= ops, sorted(used - ops)
    assert "name" not in ops and len(ops) == len(contract.BACKEND_OPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_implements_every_op_with_the_protocols_signature(backend):
    B = get_backend(backend)
    assert B.name == backend
    missing = [op for op in contract.BACKEND_OPS if not callable(getattr(B, op, None))]
    assert not missing, f"{backend}: missing ops {missing}"
    for op in contract.BACKEND_OPS:
        got = [(p.name, p.kind, p.default) for p in inspect.signature(getattr(B, op)).parameters.values()]
        assert got == _protocol_parameters(op), f"{backend}.{op}: {got} != protocol {_protocol_parameters(op)}"
    assert isinstance(B, contract.Backend)  # runtime_checkable: the module satisfies the Protocol


def test_importing_the_package_and_the_contract_does_not_import_numba():
    code = "import sys, nn_ref.kernels, nn_ref.kernels.contract; print('numba' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_pack_parameters_and_views_round_trip():
    """The flat layout theta = W1, b1, ..., WL, bL (C order): views write through; wrong shapes are errors."""
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((4, 3)),
        "b1": rng.standard_normal((4, 1)),
        "W2": rng.standard_normal((2, 4)),
        "b2": rng.standard_normal((2, 1)),
    }
    theta, dims = pack_parameters(params)
    assert dims == (3, 4, 2) and theta.shape == (4 * 3 + 4 + 2 * 4 + 2,)
    np.testing.assert_array_equal(theta[:12], params["W1"].ravel())
    views = parameter_views(theta, dims)
    for k, v in params.items():
        np.testing.assert_array_equal(views[k], v)
    views["W2"][0, 0] = 7.0  # a view: writing to it writes into theta
    assert theta[4 * 3 + 4] == 7.0
    assert pack_parameters(params, np.float32)[0].dtype == np.float32
    with pytest.raises(ValueError, match=r"b2: expected shape \(2, 1\), got \(2,\)"):
        pack_parameters(dict(params, b2=np.zeros(2)))
    with pytest.raises(ValueError, match="expected 26 values"):
        parameter_views(np.zeros(31), dims)


def test_the_numpy_oracle_has_the_protocols_signatures():
    """tests/_oracle.py, the parity tests' reference, cannot drift from the Protocol either (train_step
    included). The fused step's settings are written once, as StepConfig's fields: train_step takes a config
    and none of its fields as a parameter of its own (so no backend can take one either)."""
    import _oracle

    for op in contract.BACKEND_OPS:
        got = [(p.name, p.kind, p.default) for p in inspect.signature(getattr(_oracle, op)).parameters.values()]
        assert got == _protocol_parameters(op), f"oracle.{op}: {got} != protocol {_protocol_parameters(op)}"
    step = [name for name, _, _ in _protocol_parameters("train_step")]
    settings = {f.name for f in dataclasses.fields(StepConfig) if f.init}
    assert "config" in step and {"layer_dims", "learning_rate", "optimizer", "beta1"} <= settings
    assert not settings & set(step), f"train_step repeats StepConfig's fields {settings & set(step)}"


GOOD = dict(layer_dims=(3, 4, 2), hidden_activation="relu", output_activation="sigmoid", loss="cross_entropy")


@pytest.mark.parametrize(
    "field, bad, message",
    [
        ("layer_dims", (3,), r"layer_dims: expected at least two positive sizes"),
        ("layer_dims", (3, 0, 2), r"layer_dims\[1\]: expected an integer >= 1, got 0"),
        ("hidden_activation", "softmax", r"hidden_activation: expected one of \('relu', .*got 'softmax'"),
        ("output_activation", "relu", r"output_activation: expected one of \('sigmoid', .*got 'relu'"),
        ("loss", "hinge", r"loss: expected one of \('cross_entropy', .*got 'hinge'"),
        ("learning_rate", 0.0, r"learning_rate: expected a positive finite number, got 0.0"),
        ("learning_rate", Fraction(1, 10), r"learning_rate: expected a positive finite number, got Fraction"),
        ("alpha", 1.5, r"alpha: expected a number in \[0, 1\), got 1.5"),
        ("optimizer", "rmsprop", r"optimizer: expected one of \('sgd', 'momentum', 'adam'\), got 'rmsprop'"),
        ("beta1", 1.0, r"beta1: expected a number in \[0, 1\), got 1.0"),
        ("beta2", math.nan, r"beta2: expected a number in \[0, 1\), got nan"),
        ("eps", 0, r"eps: expected a positive finite number, got 0"),
    ],
)
def test_step_config_checks_each_setting_once_naming_it(field, bad, message):
    """A StepConfig is checked when it is made, with nn_ref._checks' rules (the Trainer's): one error naming
    the field, the expected and the given; ``dataclasses.replace`` checks the new value again."""
    good = StepConfig(**GOOD, learning_rate=0.1)
    with pytest.raises(ValueError, match=message):
        StepConfig(**{**GOOD, "learning_rate": 0.1, field: bad})
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(good, **{field: bad})


def test_step_config_stores_its_settings_in_one_form():
    config = StepConfig([3, np.int64(4), 2], "tanh", "softmax", "mse", np.float32(0.5), optimizer="adam")
    assert config.layer_dims == (3, 4, 2) and all(type(n) is int for n in config.layer_dims)
    assert type(config.learning_rate) is float and config.learning_rate == 0.5
    assert config.size == 4 * 3 + 4 + 2 * 4 + 2
    assert config.codes == (contract.ACT_TANH, contract.ACT_SOFTMAX, contract.LOSS_MSE, contract.OPT_ADAM)
    assert dataclasses.replace(config, learning_rate=0.25).codes == config.codes
    faster = config.with_learning_rate(np.float64(0.25))  # a schedule's next value: only it is checked
    assert faster == dataclasses.replace(config, learning_rate=0.25) and type(faster.learning_rate) is float
    assert config.learning_rate == 0.5 and faster.codes == config.codes and faster.size == config.size
    with pytest.raises(ValueError, match="learning_rate: expected a positive finite number, got -1"):
        config.with_learning_rate(-1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.learning_rate = 1.0


STEP_BACKENDS = ["numpy"] + BACKENDS  # "numpy": the parity tests' oracle, tests/_oracle.py


@pytest.mark.parametrize("backend", STEP_BACKENDS)
def test_the_fused_steps_errors_are_the_contracts_on_every_backend(backend):
    """A wrong config, theta, state or Adam step t: the same error on every backend (contract.check_step),
    before anything moves."""
    import _oracle

    B = _oracle if backend == "numpy" else get_backend(backend)
    rng = np.random.default_rng(0)
    X, Y = B.to_device(rng.standard_normal((3, 5))), B.to_device((rng.random((2, 5)) > 0.5).astype(np.float64))
    theta = B.to_device(rng.standard_normal(26))
    before = B.to_host(theta).copy()
    sgd = StepConfig(**GOOD, learning_rate=0.1)
    momentum, adam = (dataclasses.replace(sgd, optimizer=o) for o in ("momentum", "adam"))
    zeros = [B.to_device(np.zeros(26)) for _ in range(2)]
    cases = [
        ((theta, tuple(GOOD.values())), TypeError, r"config: expected a StepConfig, got tuple"),
        ((B.to_device(np.zeros(31)), sgd), ValueError, r"theta: expected the flat shape \(26,\) of layer_dims "),
        ((theta, sgd, zeros[:1]), ValueError, r"state: optimizer 'sgd' expects 0 array\(s\) \(\) shaped like"),
        ((theta, adam), ValueError, r"state: optimizer 'adam' expects 2 array\(s\) \('m', 'v'\) .*got 0"),
        ((theta, momentum, "v"), ValueError, r"state: optimizer 'momentum' expects 1 array\(s\) .*got str"),
        ((theta, momentum, [B.to_device(np.zeros(25))]), ValueError, r"state\[0\]: expected the shape \(26,\) of"),
        ((theta, adam, zeros, 0), ValueError, r"t: expected an integer >= 1, got 0"),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=message):
            B.train_step(X, Y, *args)
    np.testing.assert_array_equal(B.to_host(theta), before)
    B.train_step(X, Y, theta, adam, zeros, 1)
    assert np.abs(B.to_host(theta) - before).max() > 1e-4  # the checks passed a good step
