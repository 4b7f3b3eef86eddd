"""The PTX signature table: the argument types of every kernel of the cuda backend, at a dtype, for
``numba.cuda.compile_ptx`` (``tests/test_ptx.py`` compiles each for compute capability 8.0 and 9.0 in
float32 and float64, so a kernel that only works in the simulator cannot land). ``signatures`` raises
when the table and the kernel registry (``launch.FACTORIES``) disagree."""

import numpy as np
from numba import float64, int64

from . import elementwise, gemm, reductions  # noqa: F401  (registers every kernel factory)
from .launch import FACTORIES, NBTYPE, kernel


def _table(dt):
    M2, M1, S, I64, F64 = dt[:, ::1], dt[::1], dt, int64, float64
    GEMM = (M2, M2, M2, I64, I64, S, S, I64, M2, M2, I64, S)
    return {
        "gemm_small": GEMM,
        "gemm": GEMM,
        "gemm_large": GEMM,
        "act_forward": (M1, M1, I64, S),
        "act_backward": (M1, M1, M1, I64, S),
        "cost_grad": (M1, M1, M1, I64, S),
        "softmax": (M2, M2),
        "softmax_backward": (M2, M2, M2),
        "update": (M1, M1, S),
        "axpby": (S, M1, S, M1),
        "fill": (M1, S),
        "adam_update": (M1, M1, M1, M1, S, S, S, S, S, S),
        "row_sum": (M2, M2, S, S),
        "cost": (M1, M1, float64[::1], I64, F64),
        "bn_forward": (M2, M2, M2, S, M2, M2, M2, M2),
        "bn_backward": (M2, M2, M2, M2, S, M2, M2, M2),
        "bn_eval": (M2, M2, M2, M2, M2, S, M2),
    }


def signatures(dtype):
    """{kernel name: (python function, argument types)} for every registered kernel at ``dtype``."""
    table = _table(NBTYPE[np.dtype(dtype)])
    if set(table) != set(FACTORIES):
        raise RuntimeError(f"kernels/cuda/ptx.py is out of date: {sorted(set(table) ^ set(FACTORIES))}")
    return {k: (kernel(k, dtype).py_func, sig) for k, sig in table.items()}
