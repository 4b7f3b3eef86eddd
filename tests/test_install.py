"""The wheel installs the kernels folder as ``nn_ref.kernels`` -- never as the bare ``kernels``,
a name owned by another PyPI distribution -- and it imports from the install, not the repo."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib.util, json, sys
import nn_ref, nn_ref.kernels, nn_ref.network
import numpy as np
B = nn_ref.kernels.get_backend("cpu")
P = nn_ref.network.initialize_parameters([2, 3, 1], seed=0)
AL, _ = nn_ref.network.forward(np.ones((2, 4)), P, backend="numpy")
bare = importlib.util.find_spec("kernels")
print(json.dumps({"nn_ref": nn_ref.__file__, "kernels": nn_ref.kernels.__file__, "backend": B.__file__,
                  "AL_shape": list(AL.shape),
                  "bare": None if bare is None else (bare.origin or str(bare.submodule_search_locations))}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"  # build from a copy: never write build/ or egg-info into the repo
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    if not (src / "README.md").exists():
        (src / "README.md").write_text("nn-ref\n")
    for pkg in ("nn_ref", "kernels"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("nn_ref-*.whl")
    target = tmp / "target"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp / "elsewhere"  # cwd: neither the repo root nor the target
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    return wheel, target, json.loads(probe.stdout.strip().splitlines()[-1])


def test_wheel_ships_kernels_only_as_nn_ref_kernels(installed):
    wheel, target, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("__init__.py", "contract.py", "scalar.py", "cpu/__init__.py", "cuda/__init__.py"):
        assert f"nn_ref/kernels/{module}" in names, module
    assert not [n for n in names if n.startswith("kernels/")]
    assert (target / "nn_ref" / "kernels" / "__init__.py").exists()
    assert not (target / "kernels").exists()


def test_nn_ref_kernels_imports_from_the_installed_wheel(installed):
    _, target, probe = installed
    for key in ("nn_ref", "kernels", "backend"):
        path = Path(probe[key]).resolve()
        assert path.is_relative_to(target.resolve()), (key, path)
        assert not path.is_relative_to(ROOT), (key, path)
    assert probe["AL_shape"] == [1, 4]


def test_bare_kernels_does_not_come_from_our_wheel(installed):
    _, target, probe = installed
    bare = probe["bare"]
    assert bare is None or str(target.resolve()) not in str(Path(bare).resolve())


def test_a_clone_imports_the_numpy_path_before_installing(tmp_path):
    """``python -c "import nn_ref.network"`` in a clone that was never installed: nn_ref.kernels is the clone's
    top-level kernels/ folder (only its contract: numba is not imported on the NumPy path)."""
    for pkg in ("nn_ref", "kernels"):
        shutil.copytree(ROOT / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    probe = (
        "import json, sys, numpy as np; import nn_ref.network as net; "
        "P = net.initialize_parameters([2, 3, 1], seed=0); AL, _ = net.forward(np.ones((2, 4)), P); "
        "print(json.dumps({'kernels': sys.modules['nn_ref.kernels'].__file__, 'numba': 'numba' in sys.modules, "
        "'AL': list(AL.shape)}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NN_REF_BACKEND")}
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(got["kernels"]).resolve() == (tmp_path / "kernels" / "__init__.py").resolve()
    assert got == {"kernels": got["kernels"], "numba": False, "AL": [1, 4]}
