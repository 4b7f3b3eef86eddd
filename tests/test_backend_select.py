"""Choosing the backend: by argument, by NN_REF_BACKEND, or "auto" (cuda only on a real GPU, never
the simulator); unknown names and an unavailable cuda are clear errors listing what is available."""
import json

import numpy as np
import pytest
from numba import cuda  # noqa: F401  -- the real numba.cuda, imported before any test sets NUMBA_ENABLE_CUDASIM

import nn_ref.kernels as K
from nn_ref import network


def test_by_argument_and_module_passthrough():
    assert K.get_backend("numpy").name == "numpy"
    cpu = K.get_backend("cpu")
    assert cpu.name == "cpu"
    assert K.get_backend(cpu) is cpu
    assert K.get_backend("CPU") is cpu


def test_by_environment_variable(monkeypatch):
    monkeypatch.setenv("NN_REF_BACKEND", "cpu")
    assert K.get_backend().name == "cpu"
    monkeypatch.setenv("NN_REF_BACKEND", "numpy")
    assert K.get_backend().name == "numpy"
    assert K.get_backend("cpu").name == "cpu"          # an explicit argument wins over the variable


def test_network_uses_the_chosen_backend(monkeypatch):
    X = np.random.default_rng(0).standard_normal((3, 4))
    params = network.initialize_parameters([3, 2, 1])
    AL_np, _ = network.forward(X, params, backend="numpy")
    monkeypatch.setenv("NN_REF_BACKEND", "cpu")
    AL_cpu, caches = network.forward(X, params)
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
    assert K.resolve_name("cuda") == "cuda"             # asked for explicitly, the simulator is allowed


def test_unknown_name_lists_what_is_available():
    with pytest.raises(ValueError) as e:
        K.get_backend("tpu")
    msg = str(e.value)
    assert "'tpu'" in msg and "numpy" in msg and "cpu" in msg and "auto" in msg


def test_cuda_without_gpu_or_simulator_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    if K.cuda_available()[0]:
        pytest.skip("a real GPU is present: cuda is available")
    with pytest.raises(RuntimeError) as e:
        K.get_backend("cuda")
    msg = str(e.value)
    assert "not available" in msg and "NUMBA_ENABLE_CUDASIM" in msg and "'cpu'" in msg
    assert "cuda" not in K.available_backends()


def test_info_and_cli(capsys):
    info = K.info()
    assert info["backends_available"][:2] == ["numpy", "cpu"]
    assert info["numba_threads"] >= 1 and isinstance(info["numba_threading_layer"], str)
    assert info["numba"] and info["numba-cuda"].startswith("0.30")
    from nn_ref.cli import main
    assert main(["info", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["backends_available"] == info["backends_available"]
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "numba threading layer" in out and "CUDA" in out
