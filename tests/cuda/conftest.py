"""The CUDA backend's tests. They run in their own pytest process, started by
tests/test_kernels_cuda.py: under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1, which numba reads
when it is first imported, so it cannot be switched on inside the main test process -- and the PTX
compilation test needs that process without it), or on a real GPU with NN_REF_CUDA_TESTS=1
(scripts/gpu_check.sh). In the main process, without either, nothing here is collected."""
import os
import sys

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" and os.environ.get("NN_REF_CUDA_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: _kernel_cases
