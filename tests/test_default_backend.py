"""The default is the readable code: with no backend given and NN_REF_BACKEND unset, the functional API runs
its own NumPy bodies -- importing nn_ref.network and running a whole training step never imports numba (so a
debugger steps into NumPy, not into compiled code) -- and gives exactly the numbers of those bodies."""

import os
import subprocess
import sys

import numpy as np
import pytest

from nn_ref import network

_SCRIPT = """
import sys
import numpy as np
from nn_ref import network
P = network.initialize_parameters([3, 4, 1], seed=0)
X = np.random.default_rng(0).standard_normal((3, 5))
Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
J = network.train_step(X, Y, P, learning_rate=0.1)
print(repr(J), "numba" in sys.modules, float(P["W1"][0, 0]).hex())
"""


def test_a_training_step_with_nothing_set_runs_numpy_without_importing_numba():
    env = {k: v for k, v in os.environ.items() if k not in ("NN_REF_BACKEND", "NUMBA_ENABLE_CUDASIM")}
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    J, numba_imported, W11 = out.stdout.split()
    assert numba_imported == "False"
    # the same numbers as the four NumPy calls written out by hand here
    P = network.initialize_parameters([3, 4, 1], seed=0, backend="numpy")
    X = np.random.default_rng(0).standard_normal((3, 5))
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    Z1 = P["W1"] @ X + P["b1"]
    A1 = np.maximum(Z1, 0)
    A2 = 1 / (1 + np.exp(-(P["W2"] @ A1 + P["b2"])))
    assert float(J) == pytest.approx(-(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)).sum() / 5, rel=1e-14)
    dZ2 = A2 - Y
    dZ1 = np.where(Z1 > 0, P["W2"].T @ dZ2, 0)
    W11_expected = P["W1"][0, 0] - 0.1 * (dZ1 @ X.T / 5)[0, 0]
    assert float.fromhex(W11) == pytest.approx(W11_expected, rel=1e-14)
