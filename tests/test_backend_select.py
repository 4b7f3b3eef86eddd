"""Choosing the backend: by argument, by NN_REF_BACKEND, or "auto" (cuda only on a real GPU, never the
simulator); "numpy" is a name (nn_ref's own NumPy bodies) but not a kernels module; unknown names and an
unavailable cuda are clear errors listing what is available."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import nn_ref.kernels as K
from nn_ref import network


def test_by_argument_and_module_passthrough():
    cpu = K.get_backend("cpu")
    assert cpu.name == "cpu" and cpu.__name__ == "nn_ref.kernels.cpu"
    assert K.get_backend(cpu) is cpu
    assert K.get_backend("CPU") is cpu


def test_by_environment_variable(monkeypatch):
    monkeypatch.setenv("NN_REF_BACKEND", "cpu")
    assert K.get_backend().name == "cpu"
    monkeypatch.setenv("NN_REF_BACKEND", "auto")
    assert K.get_backend("cpu").name == "cpu"  # an explicit argument wins over the variable
    monkeypatch.delenv("NN_REF_BACKEND")
    assert K.resolve_name() == "cpu"  # unset: "auto", and the simulator never counts


def test_numpy_is_a_name_not_a_kernels_backend():
    assert K.resolve_name("numpy") == "numpy"
    assert "numpy" in K.available_backends() and "numpy" not in K.BACKENDS
    with pytest.raises(ValueError, match="'numpy' is not a kernels backend: .* NumPy bodies"):
        K.get_backend("numpy")


def test_network_hands_off_to_the_chosen_backend(monkeypatch):
    """With NN_REF_BACKEND=cpu network.forward runs the cpu kernels (counted), with numpy it does not; both
    give the same A[L]."""
    cpu = K.get_backend("cpu")
    calls = []
    real = cpu.linear_forward
    monkeypatch.setattr(cpu, "linear_forward", lambda *a, **k: calls.append(1) or real(*a, **k))
    X = np.random.default_rng(0).standard_normal((3, 4))
    params = network.initialize_parameters([3, 2, 1])
    monkeypatch.setenv("NN_REF_BACKEND", "numpy")
    AL_np, _ = network.forward(X, params)
    assert calls == []
    monkeypatch.setenv("NN_REF_BACKEND", "cpu")
    AL_cpu, _ = network.forward(X, params)
    assert len(calls) == 2  # one per layer
    np.testing.assert_allclose(AL_cpu, AL_np, rtol=1e-12)


def test_auto_is_cuda_only_on_a_real_gpu(monkeypatch):
    monkeypatch.setenv("NN_REF_BACKEND", "auto")
    monkeypatch.setattr(K, "real_gpu_available", lambda: False)
    assert K.resolve_name() == "cpu"
    monkeypatch.setattr(K, "real_gpu_available", lambda: True)
    assert K.resolve_name() == "cuda"


def test_auto_never_picks_the_simulator(monkeypatch):
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")
    assert K.real_gpu_available() is False
    assert K.resolve_name("auto") == "cpu"
    assert K.resolve_name("cuda") == "cuda"  # asked for explicitly, the simulator is allowed


def test_unknown_name_lists_what_is_available():
    with pytest.raises(ValueError) as e:
        K.get_backend("tpu")
    msg = str(e.value)
    assert "'tpu'" in msg and "numpy" in msg and "cpu" in msg and "auto" in msg


def test_cuda_without_gpu_or_simulator_is_a_clear_error():
    """In a process without the simulator (this one runs it: tests/conftest.py) and without a GPU."""
    if K.real_gpu_available():
        pytest.skip("a real GPU is present: cuda is available")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    code = (
        "import nn_ref.kernels as K\n"
        "try:\n    K.get_backend('cuda')\nexcept RuntimeError as e:\n    print(e)\n"
        "print('cuda' in K.available_backends())"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    msg, listed = r.stdout.strip().splitlines()
    assert "not available" in msg and "NUMBA_ENABLE_CUDASIM" in msg and "'cpu'" in msg
    assert listed == "False"


def test_info_and_cli(capsys):
    info = K.info()
    assert info["backends_available"][:2] == ["numpy", "cpu"]
    assert info["default_backend"] == ("cuda" if K.real_gpu_available() else "cpu")
    assert info["numba_threads"] >= 1 and isinstance(info["numba_threading_layer"], str)
    assert info["numba"] and info["numba-cuda"].startswith("0.30")
    from nn_ref.cli import main

    assert main(["info", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["backends_available"] == info["backends_available"]
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "numba threading layer" in out and "CUDA" in out
