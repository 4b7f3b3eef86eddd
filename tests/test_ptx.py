"""Every CUDA kernel of the cuda backend compiles to PTX for compute capability 8.0 and 9.0, in
float32 and float64, with numba.cuda.compile_ptx (NVVM from the cuda13 extra; no GPU needed). So a
kernel that only works in the simulator cannot land. This process must not have the simulator on."""
import os

import numpy as np
import pytest

from nn_ref.kernels import cuda_backend

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1",
                                reason="compile_ptx needs the real numba.cuda, not the simulator")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_every_kernel_compiles_to_ptx(dtype):
    from numba import cuda
    sigs = cuda_backend.ptx_signatures(dtype)
    assert set(sigs) == set(cuda_backend._FACTORIES)          # every kernel of the module, none left out
    for kname, (fn, argtypes) in sigs.items():
        for cc in ((8, 0), (9, 0)):
            ptx, _ = cuda.compile_ptx(fn, argtypes, cc=cc)
            assert f".target sm_{cc[0]}{cc[1]}" in ptx, kname
            assert ".entry" in ptx, kname
            if kname.startswith("gemm"):
                # the staged tiles live in shared memory, the products are fused multiply-adds
                assert ".shared" in ptx and f"fma.rn.f{np.dtype(dtype).itemsize * 8}" in ptx, kname
