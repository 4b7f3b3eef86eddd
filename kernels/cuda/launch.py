"""How the cuda backend's kernels are made and launched: the kernel registry (one compiled kernel per
name and dtype), the launch sizes, and the host-side helpers every wrapper uses.

Kernels are ``@cuda.jit`` without signatures, made by a factory per dtype (so the dtype of shared and
local arrays is a compile-time constant): nothing compiles, and no GPU is needed, until the first launch.
Every factory is registered here by ``@factory``; ``ptx.py`` lists a PTX signature for each one and
``tests/test_ptx.py`` checks that the two lists are the same.

Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) each CUDA thread is a Python thread
(about 0.2 ms each), so the elementwise and reduction kernels get few threads there (their grid-stride
loops make any launch size correct); the GEMM's block shape is part of its design and stays as on a GPU.
"""

import os
import warnings

import numpy as np
from numba import config, cuda, float32, float64

if "NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS" not in os.environ:
    # a small net's layers are small grids by nature; numba would warn at each such launch
    config.CUDA_LOW_OCCUPANCY_WARNINGS = 0

SIM = bool(config.ENABLE_CUDASIM)
RED_THREADS = 8 if SIM else 128  # threads of a reduction block (a power of two)
EW_THREADS = 16 if SIM else 256  # threads of an elementwise block
EW_MAX_BLOCKS = 2 if SIM else 4096  # grid-stride loops cover the rest
COST_MAX_BLOCKS = 2 if SIM else 64  # blocks of the cost reduction: the partial sums the host adds

NBTYPE = {np.dtype(np.float32): float32, np.dtype(np.float64): float64}

# ----------------------------------------------------------------------------- the kernel registry
FACTORIES = {}  # kernel name -> factory(numba dtype) -> cuda.jit kernel
_CACHE = {}


def factory(fn):
    """Register ``fn(dt)`` (a function named ``make_<kernel>``) as the factory of kernel ``<kernel>``."""
    FACTORIES[fn.__name__.removeprefix("make_")] = fn
    return fn


def kernel(kname, dtype):
    """The cuda.jit kernel ``kname`` for ``dtype`` (made once, compiled lazily at its first launch)."""
    key = (kname, np.dtype(dtype))
    if key not in _CACHE:
        _CACHE[key] = FACTORIES[kname](NBTYPE[np.dtype(dtype)])
    return _CACHE[key]


def launch_kernel(kname, dtype, grid, block, *args):
    """kernel(kname, dtype)[grid, block](*args). Under the simulator, NumPy's scalar warnings (overflow,
    0 * inf) are silenced for the launch: a GPU computes inf and NaN there without a word, and the kernels
    propagate them as the NumPy bodies do (the tests feed them NaN and inf on purpose)."""
    k = kernel(kname, dtype)[grid, block]
    if not SIM:
        k(*args)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        k(*args)


# ----------------------------------------------------------------------------- launch sizes
def elementwise_grid(size):
    """(blocks, threads) of a grid-stride elementwise kernel over ``size`` entries."""
    return max(1, min(EW_MAX_BLOCKS, (size + EW_THREADS - 1) // EW_THREADS)), EW_THREADS


def row_grid(rows):
    """(blocks, threads) of a row reduction: one block per row (grid-stride over the rows)."""
    return max(1, min(rows, EW_MAX_BLOCKS)), RED_THREADS


def cost_blocks(size):
    """Blocks of the cost reduction over ``size`` entries (each writes one float64 partial sum)."""
    return max(1, min(COST_MAX_BLOCKS, (size + RED_THREADS - 1) // RED_THREADS))


# ----------------------------------------------------------------------------- host-side helpers
def is_device(x):
    """True for a numba device array (a GPU array, or the simulator's)."""
    return hasattr(x, "copy_to_host")


def dtype_of(*xs):
    """The one float dtype of ``xs``; a ValueError naming the dtypes for anything else (ints, float16,
    or a float32/float64 mix, which the cuda backend never converts silently)."""
    dts = {np.dtype(x.dtype) for x in xs}
    if len(dts) != 1 or next(iter(dts)) not in NBTYPE:
        names = ", ".join(str(np.dtype(x.dtype)) for x in xs)
        raise ValueError(f"cuda backend: expected float32 or float64 arrays of one dtype, got {names}")
    return next(iter(dts))


def data(x, dt):
    """A device array for an input that may come from the host (X, Y, Z, dA, ...): copied over once for
    this call when it is a host array (converted to ``dt``), returned as is when already on the device."""
    if is_device(x):
        return x
    return cuda.to_device(np.ascontiguousarray(x, dtype=dt))


def on_device(x, what):
    """``x`` itself when it is a device array; else a ValueError naming the fix. Parameters, optimizer
    state and in-place targets live on the device for a whole run: a per-call copy would be slow and
    an in-place update of a copy would be lost."""
    if not is_device(x):
        raise ValueError(
            f"{what}: expected a cuda device array, got {type(x).__module__}.{type(x).__name__}; move the "
            "parameters to the device once, before training: nn_ref.to_backend(parameters, 'cuda') "
            "(or get_backend('cuda').to_device(array))"
        )
    return x


def flat(x):
    """The 1-D view of a C-contiguous device array (elementwise kernels see every array flat)."""
    return x.reshape(x.size)
