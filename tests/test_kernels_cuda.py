"""Runs the cuda backend's tests (tests/cuda/) in a separate pytest process.

NUMBA_ENABLE_CUDASIM must be set before numba is first imported, and this main process must stay
without it (tests/test_ptx.py compiles the real kernels here), so the simulator gets a process of
its own. On a machine with a real GPU the same tests run on the GPU instead (NN_REF_CUDA_TESTS=1).
Simulated launches are kept to a few blocks; the whole run takes about 1.5 minutes on 2 cores."""
import os
import subprocess
import sys

from nn_ref.kernels import real_gpu_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_cuda_backend_tests_pass_in_their_own_process():
    env = dict(os.environ, NN_REF_BACKEND="numpy")
    if real_gpu_available():
        env["NN_REF_CUDA_TESTS"] = "1"
        env.pop("NUMBA_ENABLE_CUDASIM", None)
    else:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    # -P: do not put the working directory first on sys.path (as scripts/gpu_check.sh runs it in place)
    r = subprocess.run([sys.executable, "-P", "-m", "pytest", "tests/cuda", "-q", "-p", "no:cacheprovider"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    assert r.returncode == 0, f"tests/cuda failed ({summary}):\n{r.stdout[-6000:]}\n{r.stderr[-3000:]}"
    assert " passed" in summary and "skipped" not in summary, summary
