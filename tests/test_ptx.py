"""Every CUDA kernel of kernels/cuda compiles to PTX for compute capability 8.0 and 9.0, in float32 and
float64, with numba.cuda.compile_ptx (NVVM from the cuda13 extra; no GPU needed), so a kernel that only
works in the simulator cannot land. The kernels are listed by the PTX table (kernels/cuda/ptx.py); this
test also checks that the table names every kernel the package defines.

compile_ptx needs numba without the simulator, and tests/conftest.py starts the simulator for the whole
pytest run, so the compilation runs in a process of its own, with NUMBA_ENABLE_CUDASIM removed."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ptx

ROOT = Path(__file__).resolve().parents[1]
CUDA_DIR = ROOT / "kernels" / "cuda"

# Runs in the child process: compile every kernel of the table for both targets, report what it saw.
COMPILE = """
import json, sys
import numpy as np
from numba import config, cuda
from nn_ref.kernels.cuda import ptx
from nn_ref.kernels.cuda.launch import FACTORIES
assert not config.ENABLE_CUDASIM
dtype = np.dtype(sys.argv[1])
out = {"registered": sorted(FACTORIES), "kernels": {}}
for name, (fn, argtypes) in ptx.signatures(dtype).items():
    for cc in ((8, 0), (9, 0)):
        text, _ = cuda.compile_ptx(fn, argtypes, cc=cc)
        out["kernels"].setdefault(name, {})[f"sm_{cc[0]}{cc[1]}"] = {
            "target": f".target sm_{cc[0]}{cc[1]}" in text,
            "entry": ".entry" in text,
            "shared": ".shared" in text,
            "fma": f"fma.rn.f{dtype.itemsize * 8}" in text,
        }
print(json.dumps(out))
"""


def kernels_defined_in_the_source():
    """Names of the @cuda.jit kernels (not device functions) written in kernels/cuda/*.py."""
    names = set()
    for path in CUDA_DIR.glob("*.py"):
        names |= set(re.findall(r"^\s*@cuda\.jit\s*\n\s*def (\w+)\(", path.read_text(), flags=re.M))
    return names


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kernel_compiles_to_ptx(dtype):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    r = subprocess.run(
        [sys.executable, "-P", "-c", COMPILE, dtype], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr[-4000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])
    # the table lists every registered kernel (ptx.signatures raises otherwise), and every kernel written in
    # the source is registered: nothing compiles only in the simulator unnoticed
    defined = kernels_defined_in_the_source()
    gemm_shapes = {"gemm_small", "gemm", "gemm_large"}  # one source kernel, three tile shapes
    assert set(report["kernels"]) == set(report["registered"])
    assert (defined - {"gemm"}) | gemm_shapes == set(report["registered"]), defined
    assert len(report["registered"]) >= 17
    for name, targets in report["kernels"].items():
        assert set(targets) == {"sm_80", "sm_90"}, name
        for cc, seen in targets.items():
            assert seen["target"] and seen["entry"], (name, cc)
            if name.startswith("gemm"):
                # the staged tiles live in shared memory, the products are fused multiply-adds
                assert seen["shared"] and seen["fma"], (name, cc, np.dtype(dtype))
