"""The backend contract is code (``nn_ref.kernels.contract.Backend``): every backend module that can load here
implements every op of it with exactly the protocol's signature (parameter names, kinds and defaults), and
importing the package or the contract does not import numba."""

import inspect
import subprocess
import sys

import numpy as np
import pytest

from nn_ref.kernels import contract, cuda_available, get_backend, pack_parameters, parameter_views

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
    """tests/_oracle.py, the parity tests' reference, cannot drift from the Protocol either (train_step's 15
    parameters included)."""
    import _oracle

    for op in contract.BACKEND_OPS:
        got = [(p.name, p.kind, p.default) for p in inspect.signature(getattr(_oracle, op)).parameters.values()]
        assert got == _protocol_parameters(op), f"oracle.{op}: {got} != protocol {_protocol_parameters(op)}"
